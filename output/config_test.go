package output

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/enrich-plugin/enrich/enrich"
	"github.com/enrich-plugin/enrich/report"
)

// props is a Getter over a property table; like Fluent Bit it matches keys
// case-insensitively.
type props map[string]string

func (p props) Get(key string) string {
	for k, v := range p {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

const testAddr = "unix:///run/fluent-bit/enrich.sock"

func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig(props{"forward_address": testAddr})
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	want := DefaultConfig()
	want.ForwardAddress = testAddr
	if !reflect.DeepEqual(c, want) {
		t.Errorf("ParseConfig = %+v, want the defaults %+v", c, want)
	}
	got := []any{c.Sink, c.TagPrefix, c.AckTimeout, c.MaxPayloadSize, c.TLSVerify, c.Engine.MessageKeys, c.ReportInterval}
	documented := []any{SinkForward, "enriched.", 10 * time.Second, 256_000, true, []string{"log", "message", "msg", "raw"}, 10 * time.Minute}
	if !reflect.DeepEqual(got, documented) {
		t.Errorf("sink, tag prefix, ack timeout, payload size, TLS verify, message keys, report interval = %v, want the documented defaults %v", got, documented)
	}
}

func TestParseConfigValues(t *testing.T) {
	tests := []struct {
		name  string
		props props
		check func(c Config) (got, want any)
	}{
		{"message keys trimmed", props{"Message_Key": " log , ,msg "}, func(c Config) (any, any) {
			return c.Engine.MessageKeys, []string{"log", "msg"}
		}},
		{"catalog files", props{"catalog_file": "/etc/a.json, /etc/b.csv"}, func(c Config) (any, any) {
			return c.CatalogFiles, []string{"/etc/a.json", "/etc/b.csv"}
		}},
		{"params on", props{"PARAMS": "On"}, func(c Config) (any, any) { return c.Engine.Params, true }},
		{"params yes", props{"params": "yes"}, func(c Config) (any, any) { return c.Engine.Params, true }},
		{"params true", props{"params": "TRUE"}, func(c Config) (any, any) { return c.Engine.Params, true }},
		{"overwrite off", props{"overwrite": "no"}, func(c Config) (any, any) { return c.Engine.Overwrite, false }},
		{"overwrite on", props{"overwrite": "true"}, func(c Config) (any, any) { return c.Engine.Overwrite, true }},
		{"nest under", props{"nest_under": "cisco"}, func(c Config) (any, any) { return c.Engine.NestUnder, "cisco" }},
		{"ecs preset", props{"field_preset": "ECS"}, func(c Config) (any, any) {
			return []any{c.Engine.Fields, c.Engine.MessageKeys}, []any{enrich.ECSFieldNames(), []string{"message", "msg", "raw"}}
		}},
		{"ecs preset with a field renamed", props{"field_preset": "ecs", "field_product": "observer.product"}, func(c Config) (any, any) {
			return []string{c.Engine.Fields.Product, c.Engine.Fields.MessageID}, []string{"observer.product", "event.code"}
		}},
		{"catalog id on", props{"field_catalog_id": "catalog_id"}, func(c Config) (any, any) { return c.Engine.Fields.CatalogID, "catalog_id" }},
		{"refresh off", props{"catalog_refresh_interval": "0"}, func(c Config) (any, any) { return c.CatalogRefresh, time.Duration(0) }},
		{"report interval", props{"report_interval": "1h"}, func(c Config) (any, any) { return c.ReportInterval, time.Hour }},
		{"report off", props{"report_interval": "off"}, func(c Config) (any, any) { return c.ReportInterval, time.Duration(0) }},
		{"report top", props{"report_top": "100"}, func(c Config) (any, any) { return c.ReportTop, 100 }},
		{"report file", props{"report_file": "/tmp/unknown.csv"}, func(c Config) (any, any) { return c.ReportFile, "/tmp/unknown.csv" }},
		{"field names", props{
			"field_message_id": "mid", "field_severity": "sev", "field_severity_name": "sevname",
			"field_documented_severity": "docsev", "field_explanation": "why", "field_action": "todo",
			"field_product": "prod", "field_params": "vars",
		}, func(c Config) (any, any) {
			f := c.Engine.Fields
			return []string{f.MessageID, f.Severity, f.SeverityName, f.DocumentedSeverity, f.Explanation, f.Action, f.Product, f.Params},
				[]string{"mid", "sev", "sevname", "docsev", "why", "todo", "prod", "vars"}
		}},
		{"sink stdout without address", props{"sink": "STDOUT", "forward_address": ""}, func(c Config) (any, any) {
			return c.Sink, SinkStdout
		}},
		{"tcp address", props{"forward_address": "tcp://127.0.0.1:24224"}, func(c Config) (any, any) {
			return c.ForwardAddress, "tcp://127.0.0.1:24224"
		}},
		{"ipv6 address", props{"forward_address": "tcp://[::1]:24224"}, func(c Config) (any, any) {
			return c.ForwardAddress, "tcp://[::1]:24224"
		}},
		{"tag prefix", props{"forward_tag_prefix": "explained."}, func(c Config) (any, any) { return c.TagPrefix, "explained." }},
		{"tag prefix of 255 bytes", props{"forward_tag_prefix": strings.Repeat("e", 255)}, func(c Config) (any, any) { return c.TagPrefix, strings.Repeat("e", 255) }},
		{"shared key", props{"forward_shared_key": "s3cret"}, func(c Config) (any, any) { return c.SharedKey, "s3cret" }},
		{"tls with ca and no verify", props{"forward_address": "tcp://logs.example:24224", "forward_tls": "on",
			"forward_tls_ca_file": "/etc/ca.pem", "forward_tls_verify": "off"}, func(c Config) (any, any) {
			return []any{c.TLS, c.TLSCAFile, c.TLSVerify}, []any{true, "/etc/ca.pem", false}
		}},
		{"ack timeout duration", props{"ack_timeout": "1500ms"}, func(c Config) (any, any) {
			return c.AckTimeout, 1500 * time.Millisecond
		}},
		{"stall timeout default", props{}, func(c Config) (any, any) { return c.StallTimeout, time.Second }},
		{"stall timeout duration", props{"stall_timeout": "250ms"}, func(c Config) (any, any) { return c.StallTimeout, 250 * time.Millisecond }},
		{"stall timeout off", props{"stall_timeout": "Off"}, func(c Config) (any, any) { return c.StallTimeout, time.Duration(0) }},
		{"value with spaces around", props{"ack_timeout": " 30s "}, func(c Config) (any, any) { return c.AckTimeout, 30 * time.Second }},
		{"ack timeout seconds", props{"ack_timeout": "30"}, func(c Config) (any, any) { return c.AckTimeout, 30 * time.Second }},
		{"forward connections", props{"forward_connections": "8"}, func(c Config) (any, any) { return c.ForwardConns, 8 }},
		{"forward connections default", props{}, func(c Config) (any, any) { return c.ForwardConns, DefaultForwardConns }},
		{"ack timeout minimum", props{"ack_timeout": "100ms"}, func(c Config) (any, any) { return c.AckTimeout, 100 * time.Millisecond }},
		{"ack timeout maximum", props{"ack_timeout": "1h"}, func(c Config) (any, any) { return c.AckTimeout, time.Hour }},
		// Units in either case, and d for days, as Fluent Bit reads times (flb_utils_time_to_seconds).
		{"ack timeout upper-case unit", props{"ack_timeout": "10S"}, func(c Config) (any, any) { return c.AckTimeout, 10 * time.Second }},
		{"stall timeout upper-case minutes", props{"stall_timeout": "2M"}, func(c Config) (any, any) { return c.StallTimeout, 2 * time.Minute }},
		{"report interval upper-case hour", props{"report_interval": "1H"}, func(c Config) (any, any) { return c.ReportInterval, time.Hour }},
		{"report interval a day", props{"report_interval": "1d"}, func(c Config) (any, any) { return c.ReportInterval, 24 * time.Hour }},
		{"refresh a day upper-case", props{"catalog_refresh_interval": "1D"}, func(c Config) (any, any) { return c.CatalogRefresh, 24 * time.Hour }},
		// Units of 1000, as Fluent Bit reads in_forward's Buffer_Max_Size.
		{"payload 256k", props{"max_payload_size": "256k"}, func(c Config) (any, any) { return c.MaxPayloadSize, 256_000 }},
		{"payload 1M", props{"max_payload_size": "1M"}, func(c Config) (any, any) { return c.MaxPayloadSize, 1_000_000 }},
		{"payload 2MB", props{"max_payload_size": "2MB"}, func(c Config) (any, any) { return c.MaxPayloadSize, 2_000_000 }},
		{"payload 64kb", props{"max_payload_size": "64Kb"}, func(c Config) (any, any) { return c.MaxPayloadSize, 64_000 }},
		{"payload fraction", props{"max_payload_size": "1.5M"}, func(c Config) (any, any) { return c.MaxPayloadSize, 1_500_000 }},
		{"payload with a space before the unit", props{"max_payload_size": "256 k"}, func(c Config) (any, any) { return c.MaxPayloadSize, 256_000 }},
		{"payload bytes", props{"max_payload_size": "100000"}, func(c Config) (any, any) { return c.MaxPayloadSize, 100000 }},
		{"payload minimum", props{"max_payload_size": "1k"}, func(c Config) (any, any) { return c.MaxPayloadSize, 1000 }},
		{"payload maximum", props{"max_payload_size": "64M"}, func(c Config) (any, any) { return c.MaxPayloadSize, 64_000_000 }},
		{"refresh maximum", props{"catalog_refresh_interval": "24h"}, func(c Config) (any, any) { return c.CatalogRefresh, 24 * time.Hour }},
		{"report top maximum", props{"report_top": "10000"}, func(c Config) (any, any) { return c.ReportTop, 10000 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := props{"forward_address": testAddr}
			for k, v := range tt.props {
				delete(p, strings.ToLower(k))
				p[k] = v
			}
			c, err := ParseConfig(p)
			if err != nil {
				t.Fatalf("ParseConfig(%v): %v", p, err)
			}
			if got, want := tt.check(c); !reflect.DeepEqual(got, want) {
				t.Errorf("got %#v, want %#v", got, want)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name  string
		props props
		key   string // the key the error must name
		want  string // and a part of what it says is accepted
	}{
		{"params not a boolean", props{"params": "1"}, KeyParams, "want on, off, true, false, yes or no"},
		{"overwrite not a boolean", props{"overwrite": "enabled"}, KeyOverwrite, "want on, off"},
		{"tls not a boolean", props{"forward_tls": "tls1.2"}, KeyForwardTLS, "want on, off"},
		{"tls verify not a boolean", props{"forward_tls_verify": "maybe"}, KeyForwardTLSVerify, "want on, off"},
		{"sink unknown", props{"sink": "es"}, KeySink, "want forward or stdout"},
		{"message key only commas", props{"message_key": " , ,"}, KeyMessageKey, "comma-separated list"},
		{"forward address missing", props{"forward_address": ""}, KeyForwardAddress, "required with Sink forward"},
		{"forward address no scheme", props{"forward_address": "/run/fb.sock"}, KeyForwardAddress, `want "unix:///path" or "tcp://host:port"`},
		{"forward address relative unix", props{"forward_address": "unix://run/fb.sock"}, KeyForwardAddress, "must be absolute"},
		{"forward address unix path too long", props{"forward_address": "unix:///" + strings.Repeat("s", 107)}, KeyForwardAddress, "at most 107 bytes"},
		{"forward address no port", props{"forward_address": "tcp://127.0.0.1"}, KeyForwardAddress, "tcp://host:port"},
		{"forward address bad port", props{"forward_address": "tcp://127.0.0.1:70000"}, KeyForwardAddress, "from 1 to 65535"},
		{"forward address no host", props{"forward_address": "tcp://:24224"}, KeyForwardAddress, "tcp://host:port"},
		{"forward address http", props{"forward_address": "http://127.0.0.1:24224"}, KeyForwardAddress, "tcp://host:port"},
		{"bad address with stdout sink", props{"sink": "stdout", "forward_address": "localhost:24224"}, KeyForwardAddress, "tcp://host:port"},
		{"tls over unix socket", props{"forward_tls": "on"}, KeyForwardTLS, "tcp://"},
		{"ca file without tls", props{"forward_tls_ca_file": "/etc/ca.pem"}, KeyForwardTLSCAFile, "Forward_TLS is off"},
		{"verify off without tls", props{"forward_tls_verify": "off"}, KeyForwardTLSVerify, `invalid value "off": set while Forward_TLS is off`},
		{"unix socket path a directory", props{"forward_address": "unix:///run/fluent-bit/"}, KeyForwardAddress, "not a directory"},
		{"unix socket path ending in /.", props{"forward_address": "unix:///run/fluent-bit/."}, KeyForwardAddress, "not a directory"},
		{"unix socket path ending in /..", props{"forward_address": "unix:///run/fluent-bit/.."}, KeyForwardAddress, "not a directory"},
		{"tag prefix with space", props{"forward_tag_prefix": "en riched."}, KeyForwardTagPrefix, "without spaces"},
		{"tag prefix with a tab", props{"forward_tag_prefix": "en\triched."}, KeyForwardTagPrefix, "without spaces"},
		{"tag prefix of 256 bytes", props{"forward_tag_prefix": strings.Repeat("e", 256)}, KeyForwardTagPrefix, "at most 255 bytes"},
		{"ack timeout word", props{"ack_timeout": "soon"}, KeyAckTimeout, "such as 10s"},
		{"stall timeout word", props{"stall_timeout": "never"}, KeyStallTimeout, "or off"},
		// Ack_Timeout has no off: refused where it is read, before the keys read after it.
		{"ack timeout off", props{"ack_timeout": "off", "params": "1"}, KeyAckTimeout, `invalid value "off": want a duration such as 10s`},
		{"preset unknown", props{"field_preset": "elastic"}, KeyFieldPreset, "want default or ecs"},
		{"ecs with nest under", props{"field_preset": "ecs", "nest_under": "x"}, KeyNestUnder + " and " + KeyFieldPreset, "cannot go with the ecs preset"},
		{"ecs with log as message key", props{"field_preset": "ecs", "message_key": "log,message"}, KeyMessageKey + " and Field_Severity", "cannot go inside it"},
		// Fluent Bit's filters take $log for the key log; here it would name a key that no record has.
		{"message key as a record accessor", props{"message_key": "log,$msg"}, KeyMessageKey, "record accessor"},
		{"field name ending in a dot", props{"field_explanation": "enrich."}, "Field_Explanation", "Elasticsearch refuses"},
		{"field name starting with a dot", props{"field_action": ".action"}, "Field_Action", "Elasticsearch refuses"},
		{"message id field name ending in a dot", props{"field_message_id": "mid."}, "Field_Message_ID", "Elasticsearch refuses"},
		{"field name with two dots", props{"field_params": "enrich..params"}, "Field_Params", "Elasticsearch refuses"},
		{"nest under a dot", props{"nest_under": "."}, KeyNestUnder, "Elasticsearch refuses"},
		{"refresh too short", props{"catalog_refresh_interval": "1ms"}, KeyCatalogRefresh, "from 100ms to 24h"},
		{"refresh word", props{"catalog_refresh_interval": "hourly"}, KeyCatalogRefresh, "or off"},
		{"report interval too long", props{"report_interval": "48h"}, KeyReportInterval, "to 24h"},
		{"refresh just too long", props{"catalog_refresh_interval": "24h1ns"}, KeyCatalogRefresh, "to 24h"},
		{"report interval just too long", props{"report_interval": "24h1ns"}, KeyReportInterval, "to 24h"},
		{"report interval two days", props{"report_interval": "2d"}, KeyReportInterval, "to 24h"},
		// Fluent Bit reads 500MS as 500 s (only a last d, h or m is a unit to it): refused, not read as 500ms.
		{"ack timeout upper-case ms", props{"ack_timeout": "500MS"}, KeyAckTimeout, "such as 10s"},
		{"ack timeout mixed-case ms", props{"ack_timeout": "500Ms"}, KeyAckTimeout, "such as 10s"},
		{"report interval part of a day", props{"report_interval": "1.5d"}, KeyReportInterval, "or off"},
		{"report interval negative days", props{"report_interval": "-1d"}, KeyReportInterval, "or off"},
		{"report interval days without a number", props{"report_interval": "d"}, KeyReportInterval, "or off"},
		{"report file named json", props{"report_file": os.TempDir() + "/unknown.JSON"}, KeyReportFile, "give it a .csv name"},
		{"report top too many", props{"report_top": "10001"}, KeyReportTop, "from 1 to 10000"},
		{"tag prefix with a carriage return", props{"forward_tag_prefix": "en\rriched."}, KeyForwardTagPrefix, "without spaces"},
		{"report file under a regular file", props{"report_file": "/dev/null/unknown.csv"}, KeyReportFile, "directory does not exist"},
		{"report top zero", props{"report_top": "0"}, KeyReportTop, "from 1 to 10000"},
		{"report top word", props{"report_top": "many"}, KeyReportTop, "from 1 to 10000"},
		{"report file directory missing", props{"report_file": "/nonexistent/dir/unknown.csv"}, KeyReportFile, "directory does not exist"},
		{"report file a directory", props{"report_file": os.TempDir()}, KeyReportFile, "names a directory"},
		{"report file ending in a slash", props{"report_file": "/nonexistent/dir/"}, KeyReportFile, "names a directory"},
		// The report would replace the catalog the operator completed, with rows that do not load.
		{"report file is a catalog file", props{"catalog_file": "/etc/a.json," + os.TempDir() + "/unknown.csv",
			"report_file": os.TempDir() + "/unknown.csv"}, KeyReportFile, "is also a " + KeyCatalogFile},
		{"report file is a catalog file spelt otherwise", props{"catalog_file": os.TempDir() + "/./unknown.csv",
			"report_file": os.TempDir() + "//unknown.csv"}, KeyReportFile, "is also a " + KeyCatalogFile},
		// Each report would rename a regular file over the device.
		{"report file a device", props{"report_file": "/dev/null"}, KeyReportFile, "not a regular file"},
		{"report file where none can be created", props{"report_file": "/proc/unknown.csv"}, KeyReportFile, "cannot create a file in its directory"},
		{"tls with stdout sink", props{"sink": "stdout", "forward_address": "", "forward_tls": "on"}, KeyForwardTLS, "tcp://"},
		{"error shows the value as written", props{"ack_timeout": "0"}, KeyAckTimeout, `invalid value "0":`},
		{"stall timeout too short", props{"stall_timeout": "10ms"}, KeyStallTimeout, "from 100ms"},
		{"ack timeout zero", props{"ack_timeout": "0"}, KeyAckTimeout, "from 100ms"},
		{"ack timeout negative", props{"ack_timeout": "-5s"}, KeyAckTimeout, "from 100ms"},
		{"ack timeout too short", props{"ack_timeout": "1ns"}, KeyAckTimeout, "from 100ms"},
		// As whole seconds in 64 bits, 18446744074s would overflow to 290ms.
		{"ack timeout seconds overflowing", props{"ack_timeout": "18446744074"}, KeyAckTimeout, "such as 10s"},
		{"forward connections zero", props{"forward_connections": "0"}, KeyForwardConns, "from 1 to 64"},
		{"forward connections too many", props{"forward_connections": "65"}, KeyForwardConns, "from 1 to 64"},
		{"forward connections word", props{"forward_connections": "many"}, KeyForwardConns, "whole number"},
		{"ack timeout just too short", props{"ack_timeout": "99ms"}, KeyAckTimeout, "from 100ms"},
		{"ack timeout too long", props{"ack_timeout": "2h"}, KeyAckTimeout, "to 1h"},
		{"ack timeout just too long", props{"ack_timeout": "1h1ns"}, KeyAckTimeout, "to 1h"},
		{"stall timeout just too long", props{"stall_timeout": "1h1ns"}, KeyStallTimeout, "to 1h"},
		{"payload unit unknown", props{"max_payload_size": "256x"}, KeyMaxPayloadSize, "such as 256k, 1.5M"},
		{"payload unit without a number", props{"max_payload_size": "M", "params": "1"}, KeyMaxPayloadSize, `invalid value "M": want a size such as 256k, 1.5M`},
		{"payload far too large", props{"max_payload_size": "100G", "params": "1"}, KeyMaxPayloadSize, `invalid value "100G": want a size such as 256k, 1.5M`},
		{"payload too small", props{"max_payload_size": "512"}, KeyMaxPayloadSize, "from 1k to 64M"},
		{"payload too large", props{"max_payload_size": "1G"}, KeyMaxPayloadSize, "from 1k to 64M"},
		{"payload negative", props{"max_payload_size": "-1k"}, KeyMaxPayloadSize, "from 1k to 64M"},
		{"payload fraction too small", props{"max_payload_size": "0.5k"}, KeyMaxPayloadSize, "from 1k to 64M"},
		{"payload exponent", props{"max_payload_size": "1e3"}, KeyMaxPayloadSize, "such as 256k"},
		{"payload two points", props{"max_payload_size": "1.2.3k"}, KeyMaxPayloadSize, "such as 256k"},
		{"payload overflow", props{"max_payload_size": "99999999999999999999k"}, KeyMaxPayloadSize, "from 1k to 64M"},
		{"duplicate field names", props{"field_severity": "level", "field_severity_name": "level"}, "Field_Severity and Field_Severity_Name", "same name"},
		{"field name taken from a default", props{"field_severity": "severity_name"}, "Field_Severity and Field_Severity_Name", "same name"},
		{"catalog file list empty", props{"catalog_file": " , "}, KeyCatalogFile, "comma-separated list"},
		{"forward address with a path", props{"forward_address": "tcp://127.0.0.1:24224/x"}, KeyForwardAddress, `port "24224/x" must be a number`},
		{"forward address with a user", props{"forward_address": "tcp://user@host:24224"}, KeyForwardAddress, "not a host name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := props{"forward_address": testAddr}
			for k, v := range tt.props {
				p[k] = v
			}
			_, err := ParseConfig(p)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("ParseConfig = %v, want an error that is ErrInvalidConfig", err)
			}
			var ke *KeyError
			if !errors.As(err, &ke) {
				t.Fatalf("ParseConfig = %v (%T), want a *KeyError", err, err)
			}
			if ke.Key != tt.key {
				t.Errorf("error key = %q, want %q", ke.Key, tt.key)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.key) || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q, want it to name %s and say %q", msg, tt.key, tt.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q does not fit one log line", msg)
			}
		})
	}
}

func TestParseConfigFirstErrorWins(t *testing.T) {
	_, err := ParseConfig(props{"params": "bad", "sink": "bad"})
	var ke *KeyError
	if !errors.As(err, &ke) || ke.Key != KeyParams {
		t.Errorf("ParseConfig = %v, want a *KeyError for %s, the first key checked", err, KeyParams)
	}
}

func TestParseConfigEngineOptionsChecked(t *testing.T) {
	// A field name equal to a message key is refused by the engine's own
	// validation; the error must still be a configuration error.
	_, err := ParseConfig(props{"forward_address": testAddr, "message_key": "log,severity"})
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "severity") {
		t.Errorf("ParseConfig = %v, want an ErrInvalidConfig naming severity", err)
	}
}

func TestConfigStringRedactsSharedKey(t *testing.T) {
	c, err := ParseConfig(props{"forward_address": testAddr, "forward_shared_key": "hunter2-secret", "nest_under": "cisco info", "stall_timeout": "off"})
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	s := c.String()
	if strings.Contains(s, "hunter2") || strings.Contains(s, "\n") {
		t.Errorf("String() = %q shows the shared key or spans lines", s)
	}
	for _, want := range []string{"forward_shared_key=(redacted)", "forward_address=" + testAddr, `nest_under="cisco info"`, "max_payload_size=256000", "ack_timeout=10s", "stall_timeout=off", `report_file=""`} {
		if !strings.Contains(s, want) {
			t.Errorf("String() = %q, want it to contain %s", s, want)
		}
	}

	c.SharedKey = ""
	if s := c.String(); !strings.Contains(s, "forward_shared_key=(none)") {
		t.Errorf("String() without a key = %q, want forward_shared_key=(none)", s)
	}
}

// TestReportFileThroughALink: a Report_File that is a link is checked where it leads, where the
// report is written.
func TestReportFileThroughALink(t *testing.T) {
	for _, tt := range []struct{ name, target, want string }{
		{"to a file in a missing directory", "/nonexistent/dir/unknown.csv", "its directory does not exist"},
		{"to a directory", os.TempDir(), "names a directory; want a file path"},
		{"to a new file", filepath.Join(t.TempDir(), "unknown.csv"), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			link := filepath.Join(t.TempDir(), "unknown.csv")
			if err := os.Symlink(tt.target, link); err != nil {
				t.Fatal(err)
			}
			if got := ReportFileProblem(link, nil); got != tt.want {
				t.Errorf("ReportFileProblem(a link %s) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}

// TestReportFileHardLinkToACatalog: a Report_File that is another name of a Catalog_File, a
// hard link, is refused as that catalog is: the report would replace its entries.
func TestReportFileHardLinkToACatalog(t *testing.T) {
	catalogFile := filepath.Join(t.TempDir(), "user.csv")
	if err := os.WriteFile(catalogFile, []byte("id,severity,explanation,action\n722051,6,x,y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "unknown.csv")
	if err := os.Link(catalogFile, link); err != nil {
		t.Fatal(err)
	}
	if got, want := ReportFileProblem(link, []string{catalogFile}), "is also a "+KeyCatalogFile; !strings.HasPrefix(got, want) {
		t.Errorf("ReportFileProblem(a hard link to the catalog) = %q, want %q…", got, want)
	}
}

// TestReportFileForeignLink: a Report_File that is another user's link in a sticky,
// world-writable directory is refused at start, as each write refuses it.
func TestReportFileForeignLink(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "unknown.csv")
	if err := errors.Join(os.Chmod(dir, 0o777|os.ModeSticky), os.Symlink(filepath.Join(t.TempDir(), "x"), link)); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(link, 4321, 4321); err != nil {
		t.Skipf("giving the link away needs root: %v", err)
	}
	if got := ReportFileProblem(link, nil); got != report.ForeignLinkProblem {
		t.Errorf("ReportFileProblem(another user's link in a sticky directory) = %q, want %q", got, report.ForeignLinkProblem)
	}
}

// TestReportFileOthersInStickyDirectory: in a sticky directory such as /tmp only root and the owners
// of the file or the directory may rename over a file, so a report file root made there is refused
// at start to Fluent Bit run as another user, rather than failing every write; a directory without the
// sticky bit, or one the user owns, lets it replace the file, and root replaces any.
func TestReportFileOthersInStickyDirectory(t *testing.T) {
	if path := os.Getenv("ENRICH_TEST_REPORT_FILE"); path != "" { // the test binary run as nobody
		fmt.Printf("problem=%q\n", ReportFileProblem(path, nil))
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("running the check as another user needs root")
	}
	const nobody = 65534
	dir := t.TempDir()
	exe, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "output.test")
	if err := errors.Join(os.WriteFile(bin, exe, 0o755), os.Chmod(filepath.Dir(dir), 0o755), os.Chmod(dir, 0o777|os.ModeSticky),
		os.WriteFile(dir+"/roots.csv", nil, 0o666), os.WriteFile(dir+"/own.csv", nil, 0o600), os.Chown(dir+"/own.csv", nobody, nobody)); err != nil {
		t.Fatal(err)
	}
	// A world-writable directory without the sticky bit, and a sticky one of a group's that nobody owns.
	if err := errors.Join(os.Mkdir(dir+"/plain", 0o755), os.Chmod(dir+"/plain", 0o777), os.WriteFile(dir+"/plain/roots.csv", nil, 0o666),
		os.Mkdir(dir+"/nobodys", 0o755), os.Chmod(dir+"/nobodys", 0o770|os.ModeSticky), os.Chown(dir+"/nobodys", nobody, nobody),
		os.WriteFile(dir+"/nobodys/roots.csv", nil, 0o666), os.WriteFile(dir+"/nobodys/others.csv", nil, 0o666),
		os.Chown(dir+"/nobodys/others.csv", 4321, 4321)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, file, want string }{
		{"root's file in a sticky directory", "roots.csv", "is another user's file in a sticky directory: only its owner, the directory's or root can replace it"},
		{"its own file in a sticky directory", "own.csv", ""},
		{"a new file in a sticky directory", "new.csv", ""},
		{"root's file in a directory without the sticky bit", "plain/roots.csv", ""},
		{"root's file in a sticky directory it owns", "nobodys/roots.csv", ""},
	} {
		cmd := exec.Command(bin, "-test.run=^TestReportFileOthersInStickyDirectory$")
		cmd.Env = append(os.Environ(), "ENRICH_TEST_REPORT_FILE="+filepath.Join(dir, tt.file))
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		out, err := cmd.CombinedOutput()
		if want := fmt.Sprintf("problem=%q\n", tt.want); err != nil || !strings.Contains(string(out), want) {
			t.Errorf("ReportFileProblem(%s) as another user: %s (%v), want %s", tt.name, out, err, want)
		}
	}
	// Root may replace any file.
	if got := ReportFileProblem(dir+"/nobodys/others.csv", nil); got != "" {
		t.Errorf("ReportFileProblem(another user's file in a third's sticky directory) as root = %q, want none", got)
	}
}

// TestParseConfigQuotesAndComments: Fluent Bit's classic format, and -p on the command line, keep
// quotes and a '#' after the value as part of it. Quoted, Forward_Tag_Prefix "enriched." hands the
// records back under "enriched."net.x, which no output matching enriched.* takes: all of them are
// dropped without a word. A comment after a unix Forward_Address is retried for ever, after a
// Report_File names the file the report goes to, after a name names the field. Each is refused at
// start, naming the key (the shared key is taken as written: TestParseConfigSharedKeyAsGiven).
func TestParseConfigQuotesAndComments(t *testing.T) {
	for _, tt := range []struct {
		key, value string
		want       string
	}{
		{KeyForwardTagPrefix, `"enriched."`, "in quotes"},
		{KeyForwardTagPrefix, `'enriched.'`, "in quotes"},
		{KeyNestUnder, `"enrich"`, "in quotes"},
		{"Field_Severity", `'sev'`, "in quotes"},
		{KeyMessageKey, `"log", "message"`, "in quotes"},
		{KeyMessageKey, `log, "message"`, "in quotes"},
		{KeyMessageKey, `"log, message"`, "in quotes"},
		{KeyForwardAddress, testAddr + " # the loop back", "comment"},
		{KeyReportFile, os.TempDir() + "/unknown.csv # to complete", "comment"},
		{KeyNestUnder, "enrich\t# the added fields", "comment"},
		{"Field_Severity", "sev # 0 to 7", "comment"},
		{KeyMessageKey, "message # the raw line", "comment"},
		{KeySink, "stdout # for now", "comment"},
		{KeyNestUnder, "# enrich", "comment"},
		{KeyMessageKey, "#message", "comment"},
		{KeyMessageKey, "log,#message", "comment"},
	} {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			_, err := ParseConfig(props{"forward_address": testAddr, strings.ToLower(tt.key): tt.value})
			var ke *KeyError
			if !errors.As(err, &ke) || ke.Key != tt.key || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s %s: ParseConfig = %v, want a *KeyError naming %s that says %q", tt.key, tt.value, err, tt.key, tt.want)
			}
		})
	}
	for k, v := range map[string]string{"nest_under": "it's", "forward_tag_prefix": "a#b.", "field_action": `say "hi"`} {
		if _, err := ParseConfig(props{"forward_address": testAddr, k: v}); err != nil {
			t.Errorf("%s %s: ParseConfig = %v, want it accepted: neither in quotes nor a comment", k, v, err)
		}
	}
}

// TestParseConfigYAMLNull: Fluent Bit passes a YAML null on as the text written, so
// nest_under: null nested the added fields under "null", field_catalog_id: ~ added a field "~"
// (with ecs, where it is on, instead of leaving it out), and report_file: ~ wrote the report to a
// file ~ in Fluent Bit's working directory. Each is refused, naming the key.
func TestParseConfigYAMLNull(t *testing.T) {
	for _, tt := range []struct{ key, value string }{
		{KeyNestUnder, "null"}, {KeyNestUnder, "~"}, {"Field_Catalog_ID", "NULL"},
		{KeyReportFile, "~"}, {KeyMessageKey, "Null"}, {KeyMessageKey, "log, null"}, {KeyCatalogRefresh, "null"},
	} {
		_, err := ParseConfig(props{"forward_address": testAddr, "field_preset": "ecs", strings.ToLower(tt.key): tt.value})
		var ke *KeyError
		if !errors.As(err, &ke) || ke.Key != tt.key || !strings.Contains(err.Error(), "YAML null") {
			t.Errorf("%s %s: ParseConfig = %v, want a *KeyError naming %s that says it is a YAML null", tt.key, tt.value, err, tt.key)
		}
	}
	if _, err := ParseConfig(props{"forward_address": testAddr, "nest_under": "nullable", "field_params": "null.params"}); err != nil {
		t.Errorf("ParseConfig = %v, want names that only begin with null accepted", err)
	}
}

// TestParseConfigSharedKeyAsGiven: in_forward takes its Shared_Key as Fluent Bit passes it, so a
// key from the environment that ends in a newline or starts with a space must be sent so too, and
// one with quotes or a '#', which in_forward's Shared_Key in the same file keeps.
func TestParseConfigSharedKeyAsGiven(t *testing.T) {
	for _, v := range []string{"s3cret\n", " s3cret", "s3cret", `"s3cr#t"`, "s3cr #t", "it's"} {
		c, err := ParseConfig(props{"forward_address": testAddr, "forward_shared_key": v})
		if err != nil || c.SharedKey != v {
			t.Errorf("Forward_Shared_Key %q: ParseConfig = %q, %v, want the key as given", v, c.SharedKey, err)
		}
	}
}
