package output

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	require.NoError(t, err)
	want := DefaultConfig()
	want.ForwardAddress = testAddr
	assert.Equal(t, want, c)
	assert.Equal(t, SinkForward, c.Sink)
	assert.Equal(t, "enriched.", c.TagPrefix)
	assert.Equal(t, 10*time.Second, c.AckTimeout)
	assert.Equal(t, 256*1024, c.MaxPayloadSize)
	assert.True(t, c.TLSVerify)
	assert.Equal(t, []string{"log", "message", "msg", "raw"}, c.Engine.MessageKeys)
}

func TestParseConfigValues(t *testing.T) {
	tests := []struct {
		name  string
		props props
		check func(t *testing.T, c Config)
	}{
		{"message keys trimmed", props{"Message_Key": " log , ,msg "}, func(t *testing.T, c Config) {
			assert.Equal(t, []string{"log", "msg"}, c.Engine.MessageKeys)
		}},
		{"catalog files", props{"catalog_file": "/etc/a.json, /etc/b.csv"}, func(t *testing.T, c Config) {
			assert.Equal(t, []string{"/etc/a.json", "/etc/b.csv"}, c.CatalogFiles)
		}},
		{"params on", props{"PARAMS": "On"}, func(t *testing.T, c Config) { assert.True(t, c.Engine.Params) }},
		{"params yes", props{"params": "yes"}, func(t *testing.T, c Config) { assert.True(t, c.Engine.Params) }},
		{"params true", props{"params": "TRUE"}, func(t *testing.T, c Config) { assert.True(t, c.Engine.Params) }},
		{"overwrite off", props{"overwrite": "no"}, func(t *testing.T, c Config) { assert.False(t, c.Engine.Overwrite) }},
		{"overwrite on", props{"overwrite": "true"}, func(t *testing.T, c Config) { assert.True(t, c.Engine.Overwrite) }},
		{"nest under", props{"nest_under": "cisco"}, func(t *testing.T, c Config) { assert.Equal(t, "cisco", c.Engine.NestUnder) }},
		{"field names", props{
			"field_message_id": "mid", "field_severity": "sev", "field_severity_name": "sevname",
			"field_documented_severity": "docsev", "field_explanation": "why", "field_action": "todo",
			"field_product": "prod", "field_params": "vars",
		}, func(t *testing.T, c Config) {
			f := c.Engine.Fields
			assert.Equal(t, []string{"mid", "sev", "sevname", "docsev", "why", "todo", "prod", "vars"},
				[]string{f.MessageID, f.Severity, f.SeverityName, f.DocumentedSeverity, f.Explanation, f.Action, f.Product, f.Params})
		}},
		{"sink stdout without address", props{"sink": "STDOUT", "forward_address": ""}, func(t *testing.T, c Config) {
			assert.Equal(t, SinkStdout, c.Sink)
		}},
		{"tcp address", props{"forward_address": "tcp://127.0.0.1:24224"}, func(t *testing.T, c Config) {
			assert.Equal(t, "tcp://127.0.0.1:24224", c.ForwardAddress)
		}},
		{"ipv6 address", props{"forward_address": "tcp://[::1]:24224"}, func(t *testing.T, c Config) {
			assert.Equal(t, "tcp://[::1]:24224", c.ForwardAddress)
		}},
		{"tag prefix", props{"forward_tag_prefix": "explained."}, func(t *testing.T, c Config) { assert.Equal(t, "explained.", c.TagPrefix) }},
		{"shared key", props{"forward_shared_key": "s3cret"}, func(t *testing.T, c Config) { assert.Equal(t, "s3cret", c.SharedKey) }},
		{"tls with ca and no verify", props{"forward_address": "tcp://logs.example:24224", "forward_tls": "on",
			"forward_tls_ca_file": "/etc/ca.pem", "forward_tls_verify": "off"}, func(t *testing.T, c Config) {
			assert.True(t, c.TLS)
			assert.Equal(t, "/etc/ca.pem", c.TLSCAFile)
			assert.False(t, c.TLSVerify)
		}},
		{"ack timeout duration", props{"ack_timeout": "1500ms"}, func(t *testing.T, c Config) {
			assert.Equal(t, 1500*time.Millisecond, c.AckTimeout)
		}},
		{"stall timeout default", props{}, func(t *testing.T, c Config) { assert.Equal(t, time.Second, c.StallTimeout) }},
		{"stall timeout duration", props{"stall_timeout": "250ms"}, func(t *testing.T, c Config) { assert.Equal(t, 250*time.Millisecond, c.StallTimeout) }},
		{"stall timeout off", props{"stall_timeout": "Off"}, func(t *testing.T, c Config) { assert.Equal(t, time.Duration(0), c.StallTimeout) }},
		{"ack timeout seconds", props{"ack_timeout": "30"}, func(t *testing.T, c Config) { assert.Equal(t, 30*time.Second, c.AckTimeout) }},
		{"forward connections", props{"forward_connections": "8"}, func(t *testing.T, c Config) { assert.Equal(t, 8, c.ForwardConns) }},
		{"forward connections default", props{}, func(t *testing.T, c Config) { assert.Equal(t, DefaultForwardConns, c.ForwardConns) }},
		{"ack timeout minimum", props{"ack_timeout": "100ms"}, func(t *testing.T, c Config) { assert.Equal(t, 100*time.Millisecond, c.AckTimeout) }},
		{"ack timeout maximum", props{"ack_timeout": "1h"}, func(t *testing.T, c Config) { assert.Equal(t, time.Hour, c.AckTimeout) }},
		{"payload 256k", props{"max_payload_size": "256k"}, func(t *testing.T, c Config) { assert.Equal(t, 256<<10, c.MaxPayloadSize) }},
		{"payload 1M", props{"max_payload_size": "1M"}, func(t *testing.T, c Config) { assert.Equal(t, 1<<20, c.MaxPayloadSize) }},
		{"payload 2MB", props{"max_payload_size": "2MB"}, func(t *testing.T, c Config) { assert.Equal(t, 2<<20, c.MaxPayloadSize) }},
		{"payload 64kb", props{"max_payload_size": "64Kb"}, func(t *testing.T, c Config) { assert.Equal(t, 64<<10, c.MaxPayloadSize) }},
		{"payload bytes", props{"max_payload_size": "100000"}, func(t *testing.T, c Config) { assert.Equal(t, 100000, c.MaxPayloadSize) }},
		{"payload minimum", props{"max_payload_size": "1k"}, func(t *testing.T, c Config) { assert.Equal(t, 1024, c.MaxPayloadSize) }},
		{"payload maximum", props{"max_payload_size": "64M"}, func(t *testing.T, c Config) { assert.Equal(t, 64<<20, c.MaxPayloadSize) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := props{"forward_address": testAddr}
			for k, v := range tt.props {
				delete(p, strings.ToLower(k))
				p[k] = v
			}
			c, err := ParseConfig(p)
			require.NoError(t, err)
			tt.check(t, c)
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
		{"forward address no port", props{"forward_address": "tcp://127.0.0.1"}, KeyForwardAddress, "tcp://host:port"},
		{"forward address bad port", props{"forward_address": "tcp://127.0.0.1:70000"}, KeyForwardAddress, "from 1 to 65535"},
		{"forward address no host", props{"forward_address": "tcp://:24224"}, KeyForwardAddress, "tcp://host:port"},
		{"forward address http", props{"forward_address": "http://127.0.0.1:24224"}, KeyForwardAddress, "tcp://host:port"},
		{"bad address with stdout sink", props{"sink": "stdout", "forward_address": "localhost:24224"}, KeyForwardAddress, "tcp://host:port"},
		{"tls over unix socket", props{"forward_tls": "on"}, KeyForwardTLS, "tcp://"},
		{"ca file without tls", props{"forward_tls_ca_file": "/etc/ca.pem"}, KeyForwardTLSCAFile, "Forward_TLS is off"},
		{"tag prefix with space", props{"forward_tag_prefix": "en riched."}, KeyForwardTagPrefix, "without spaces"},
		{"ack timeout word", props{"ack_timeout": "soon"}, KeyAckTimeout, "such as 10s"},
		{"stall timeout word", props{"stall_timeout": "never"}, KeyStallTimeout, "or off"},
		{"stall timeout too short", props{"stall_timeout": "10ms"}, KeyStallTimeout, "from 100ms"},
		{"ack timeout zero", props{"ack_timeout": "0"}, KeyAckTimeout, "from 100ms"},
		{"ack timeout negative", props{"ack_timeout": "-5s"}, KeyAckTimeout, "from 100ms"},
		{"ack timeout too short", props{"ack_timeout": "1ns"}, KeyAckTimeout, "from 100ms"},
		{"forward connections zero", props{"forward_connections": "0"}, KeyForwardConns, "from 1 to 64"},
		{"forward connections too many", props{"forward_connections": "65"}, KeyForwardConns, "from 1 to 64"},
		{"forward connections word", props{"forward_connections": "many"}, KeyForwardConns, "whole number"},
		{"ack timeout just too short", props{"ack_timeout": "99ms"}, KeyAckTimeout, "from 100ms"},
		{"ack timeout too long", props{"ack_timeout": "2h"}, KeyAckTimeout, "to 1h"},
		{"payload unit unknown", props{"max_payload_size": "256x"}, KeyMaxPayloadSize, "such as 256k, 1M"},
		{"payload too small", props{"max_payload_size": "512"}, KeyMaxPayloadSize, "from 1k to 64M"},
		{"payload too large", props{"max_payload_size": "1G"}, KeyMaxPayloadSize, "from 1k to 64M"},
		{"payload negative", props{"max_payload_size": "-1k"}, KeyMaxPayloadSize, "from 1k to 64M"},
		{"payload fraction", props{"max_payload_size": "0.5M"}, KeyMaxPayloadSize, "such as 256k"},
		{"payload overflow", props{"max_payload_size": "99999999999999999999k"}, KeyMaxPayloadSize, "from 1k to 64M"},
		{"duplicate field names", props{"field_severity": "level", "field_severity_name": "level"}, KeyFieldSeverity + " and " + KeyFieldSeverityName, "same name"},
		{"field name taken from a default", props{"field_severity": "severity_name"}, KeyFieldSeverity + " and " + KeyFieldSeverityName, "same name"},
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
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrInvalidConfig), "errors.Is(%v, ErrInvalidConfig)", err)
			var ke *KeyError
			require.True(t, errors.As(err, &ke), "want a *KeyError, got %T: %v", err, err)
			assert.Equal(t, tt.key, ke.Key)
			assert.Contains(t, err.Error(), tt.key)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "\n", "the error must fit one log line")
		})
	}
}

func TestParseConfigFirstErrorWins(t *testing.T) {
	_, err := ParseConfig(props{"params": "bad", "sink": "bad"})
	var ke *KeyError
	require.True(t, errors.As(err, &ke))
	assert.Equal(t, KeyParams, ke.Key)
}

func TestParseConfigEngineOptionsChecked(t *testing.T) {
	// A field name equal to a message key is refused by the engine's own
	// validation; the error must still be a configuration error.
	_, err := ParseConfig(props{"forward_address": testAddr, "message_key": "log,severity"})
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrInvalidConfig))
	assert.Contains(t, err.Error(), "severity")
}

func TestConfigStringRedactsSharedKey(t *testing.T) {
	c, err := ParseConfig(props{"forward_address": testAddr, "forward_shared_key": "hunter2-secret", "nest_under": "cisco info"})
	require.NoError(t, err)
	s := c.String()
	assert.NotContains(t, s, "hunter2")
	assert.Contains(t, s, "forward_shared_key=(redacted)")
	assert.Contains(t, s, "forward_address="+testAddr)
	assert.Contains(t, s, `nest_under="cisco info"`)
	assert.Contains(t, s, "max_payload_size=262144")
	assert.Contains(t, s, "ack_timeout=10s")
	assert.NotContains(t, s, "\n")

	c.SharedKey = ""
	assert.Contains(t, c.String(), "forward_shared_key=(none)")
}
