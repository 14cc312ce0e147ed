package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runEnrichCLI runs the default command through run with buffers and
// decodes each output line, dropping the timestamp.
func runEnrichCLI(t *testing.T, stdin string, args ...string) (int, []map[string]any, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	var recs []map[string]any
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("output line %q is not JSON: %v", l, err)
		}
		if _, ok := m["date"]; !ok {
			t.Errorf("output line %q has no date", l)
		}
		delete(m, "date")
		recs = append(recs, m)
	}
	return code, recs, errOut.String()
}

func TestRunEnrichFamilies(t *testing.T) {
	tests := []struct {
		name, line, id, product string
		explained               bool
	}{
		{"threat defense", "<166>%FTD-6-722051: Group <g> User <u> IP <1.2.3.4> IPv4 Address <10.0.0.1> IPv6 address <::> assigned to session", "722051", "cisco_ftd_asa", true},
		{"ios", ".Mar 24 20:17:03.508: %SMART_LIC-3-COMM_FAILED: Communications failure with the CSLU : down", "SMART_LIC-3-COMM_FAILED", "cisco_ios", true},
		{"unified cm trace", " 00155891.006 |17:25:26.197 |AppInfo  |IlsD wait_SdlDataInd sending ILSPwdAuthenticationFailed alarm", "ILSPwdAuthenticationFailed", "cisco_cucm", true},
		{"ibm", "# Error ID = 086008 : Key server connection failed", "086008", "ibm_storage_virtualize", true},
		{"unknown id", "%ASA-6-302013: Built inbound TCP connection", "302013", "cisco_ftd_asa", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, recs, errOut := runEnrichCLI(t, tt.line+"\n")
			if code != 0 || len(recs) != 1 {
				t.Fatalf("exit %d, %d records, stderr %q", code, len(recs), errOut)
			}
			r := recs[0]
			if r["log"] != tt.line || r["message_id"] != tt.id || r["product"] != tt.product {
				t.Errorf("record = %v, want log %q message_id %q product %q", r, tt.line, tt.id, tt.product)
			}
			if _, ok := r["explanation"]; ok != tt.explained {
				t.Errorf("explanation present = %v, want %v", ok, tt.explained)
			}
		})
	}
}

func TestRunEnrichOptions(t *testing.T) {
	const line = "%FTD-6-722051: Group <g> User <u> IP <1.2.3.4> IPv4 Address <10.0.0.1> IPv6 address <::> assigned to session"
	tests := []struct {
		name  string
		args  []string
		stdin string
		check func(t *testing.T, r map[string]any)
	}{
		{"json record keeps its keys", nil, `{"message":"` + line + `","host":"fw1","n":3}` + "\n", func(t *testing.T, r map[string]any) {
			if r["host"] != "fw1" || r["n"] != 3.0 || r["message_id"] != "722051" {
				t.Errorf("record = %v", r)
			}
		}},
		{"message key", []string{"--message-key", "text"}, line + "\n", func(t *testing.T, r map[string]any) {
			if r["text"] != line || r["message_id"] != "722051" {
				t.Errorf("record = %v, want the raw line under text, enriched", r)
			}
		}},
		{"message keys with empty parts", []string{"--message-key", "text,,log,"}, line + "\n", func(t *testing.T, r map[string]any) {
			if r["text"] != line || r["message_id"] != "722051" {
				t.Errorf("record = %v, want the raw line under text, enriched", r)
			}
		}},
		{"json record in spaces", nil, " \t{\"message\":\"" + line + "\",\"host\":\"fw1\"}\t \n", func(t *testing.T, r map[string]any) {
			if r["host"] != "fw1" || r["message_id"] != "722051" {
				t.Errorf("record = %v, want the object's keys, enriched", r)
			}
		}},
		{"nest under", []string{"--nest-under", "catalog"}, line + "\n", func(t *testing.T, r map[string]any) {
			c, ok := r["catalog"].(map[string]any)
			if !ok || c["message_id"] != "722051" || r["message_id"] != nil {
				t.Errorf("record = %v, want the fields under catalog", r)
			}
		}},
		{"field name", []string{"--field-message-id", "msgid"}, line + "\n", func(t *testing.T, r map[string]any) {
			if r["msgid"] != "722051" || r["message_id"] != nil {
				t.Errorf("record = %v, want msgid", r)
			}
		}},
		// As the plugin reads its keys: spaces around a name are not part of it.
		{"spaces around names", []string{"--field-message-id", " msgid ", "--nest-under", " catalog\t"}, line + "\n", func(t *testing.T, r map[string]any) {
			if c, ok := r["catalog"].(map[string]any); !ok || c["msgid"] != "722051" {
				t.Errorf("record = %v, want msgid under catalog", r)
			}
		}},
		{"spaces around the preset", []string{"--field-preset", " ECS "}, line + "\n", func(t *testing.T, r map[string]any) {
			if r["event.code"] != "722051" || r["message"] != line {
				t.Errorf("record = %v, want the ecs fields", r)
			}
		}},
		// As in the plugin, an object at a leading key (a Filebeat record's log) takes the fields beside it.
		{"ecs beside an object", []string{"--field-preset", "ecs"}, `{"message":"` + line + `","log":{"file":{"path":"/x"}},"event":{}}` + "\n", func(t *testing.T, r map[string]any) {
			if r["event.code"] != "722051" || r["log.level"] != "informational" || r["log.syslog.severity.code"] != 6.0 {
				t.Errorf("record = %v, want event.code, log.level and log.syslog.severity.code", r)
			}
		}},
		{"params", []string{"--params"}, line + "\n", func(t *testing.T, r map[string]any) {
			p, ok := r["params"].(map[string]any)
			if !ok || p["username"] != "u" {
				t.Errorf("params = %v, want username u", r["params"])
			}
		}},
		{"existing key kept", nil, `{"log":"` + line + `","severity":"high"}` + "\n", func(t *testing.T, r map[string]any) {
			if r["severity"] != "high" {
				t.Errorf("severity = %v, want the record's own value", r["severity"])
			}
		}},
		{"overwrite", []string{"--overwrite"}, `{"log":"` + line + `","severity":"high"}` + "\n", func(t *testing.T, r map[string]any) {
			if r["severity"] != 6.0 {
				t.Errorf("severity = %v, want 6", r["severity"])
			}
		}},
		{"overwrite a key before the message", []string{"--overwrite"}, `{"severity":"high","log":"` + line + `"}` + "\n", func(t *testing.T, r map[string]any) {
			if r["severity"] != 6.0 || r["severity_name"] != "informational" || r["message_id"] != "722051" || r["log"] != line {
				t.Errorf("record = %v, want severity 6 in place of high and every field added", r)
			}
		}},
		{"no id passes through", nil, "last message repeated 3 times\n", func(t *testing.T, r map[string]any) {
			if len(r) != 1 || r["log"] != "last message repeated 3 times" {
				t.Errorf("record = %v, want only log", r)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, recs, errOut := runEnrichCLI(t, tt.stdin, tt.args...)
			if code != 0 || len(recs) != 1 {
				t.Fatalf("exit %d, %d records, stderr %q", code, len(recs), errOut)
			}
			tt.check(t, recs[0])
		})
	}
}

func TestRunEnrichFiles(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.log")
	if err := os.WriteFile(a, []byte("%FTD-6-722051: x\n\n%SYS-5-CONFIG_I: y\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, recs, errOut := runEnrichCLI(t, "%ASA-4-722051: z\n", a, "-")
	if code != 0 || len(recs) != 4 {
		t.Fatalf("exit %d, %d records (want 4), stderr %q", code, len(recs), errOut)
	}
	if recs[1]["log"] != "" || recs[2]["log"] != "%SYS-5-CONFIG_I: y" || recs[3]["severity"] != 4.0 {
		t.Errorf("records = %v", recs)
	}
}

// TestRunEnrichByteOrderMark drops a byte order mark at the start of each input, as a JSON reader
// may, so that a first line that is a JSON object is read as one; anywhere else it is text.
func TestRunEnrichByteOrderMark(t *testing.T) {
	a := filepath.Join(t.TempDir(), "a.log")
	if err := os.WriteFile(a, []byte("\ufeff{\"log\":\"%FTD-6-722051: x\"}\n\ufeffy\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, recs, errOut := runEnrichCLI(t, "\ufeff%ASA-4-722051: z\n", a, "-")
	if code != 0 || len(recs) != 3 {
		t.Fatalf("exit %d, %d records (want 3), stderr %q", code, len(recs), errOut)
	}
	for i, want := range []string{"%FTD-6-722051: x", "\ufeffy", "%ASA-4-722051: z"} {
		if recs[i]["log"] != want {
			t.Errorf("record %d: log %q, want %q", i, recs[i]["log"], want)
		}
	}
	if recs[0]["message_id"] != "722051" {
		t.Errorf("the first record is not enriched: %v", recs[0])
	}
	// An input of a byte order mark alone (an empty file an editor saved with one) has no line.
	if code, recs, errOut := runEnrichCLI(t, "\ufeff", "-"); code != 0 || len(recs) != 0 {
		t.Errorf("a byte order mark alone: exit %d, records %v, stderr %q; want 0 and none", code, recs, errOut)
	}
}

func TestRunEnrichErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown flag", []string{"--nope"}, 2, "nope"},
		{"empty field name", []string{"--field-severity="}, 2, "--field-severity: empty name"},
		{"empty message keys", []string{"--message-key", " , "}, 2, "--message-key"},
		{"clashing names", []string{"--field-action", "explanation"}, 2, `--field-explanation and --field-action: "explanation" cannot have the same name`},
		{"raw lines under the problem's key", []string{"--message-key", "enrich_error,log"}, 2, "--message-key: enrich_error: a raw line's problem goes under enrich_error"},
		// Elasticsearch merges enrich_error.raw into the problem's key, which a raw line that is not UTF-8 also gets.
		{"raw lines inside the problem's key", []string{"--message-key", "enrich_error.raw,log"}, 2, "--message-key: enrich_error.raw: a raw line's problem goes under enrich_error"},
		// --overwrite would replace a raw line's problem with the field; without it the field is left out.
		{"field named as the problem's key", []string{"--field-explanation", "enrich_error"}, 2, "--field-explanation: enrich_error: a raw line's problem goes under enrich_error"},
		{"nest key named as the problem's key", []string{"--nest-under", " enrich_error"}, 2, "--nest-under: enrich_error: a raw line's problem goes under enrich_error"},
		// Elasticsearch merges a dotted name into the problem's key: the engine leaves the field out, or the line unenriched.
		{"field inside the problem's key", []string{"--field-explanation", "enrich_error.text"}, 2, "--field-explanation: enrich_error.text: a raw line's problem"},
		{"nest key inside the problem's key", []string{"--nest-under", "enrich_error.cisco"}, 2, "--nest-under: enrich_error.cisco: a raw line's problem"},
		{"message key inside a field", []string{"--message-key", "product.line"}, 2, `--field-product and --message-key: "product" cannot be added beside product.line`},
		{"ecs preset with nest under", []string{"--field-preset", "ecs", "--nest-under", "x"}, 2,
			`--nest-under and --field-preset: "x" cannot go with the ecs preset, whose fields have their own places`},
		{"nest under before ecs preset", []string{"--nest-under", "x", "--field-preset", "ecs"}, 2, "whose fields have their own places"},
		{"upper-case ecs preset with nest under", []string{"--field-preset", "ECS", "--nest-under", "x"}, 2, "whose fields have their own places"},
		{"unknown preset as written", []string{"--field-preset", "XYZ"}, 2, `"XYZ": want default or ecs`},
		{"missing input", []string{filepath.Join(t.TempDir(), "missing.log")}, 1, "missing.log"},
		{"unknown flag after a file", []string{"-", "--nope"}, 2, "nope"},
		{"missing catalog", []string{"--catalog", filepath.Join(t.TempDir(), "missing.json")}, 1, "missing.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runEnrichCLI(t, "", tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d stderr %q, want exit %d mentioning %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}

func TestHelpShowsEveryCommandAndTheEnrichOptions(t *testing.T) {
	for _, arg := range []string{"-h", "--help", "help"} {
		t.Run(arg, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run([]string{arg}, strings.NewReader(""), &out, &errOut)
			if code != 0 {
				t.Fatalf("exit %d, want 0; stderr %q", code, errOut.String())
			}
			for _, want := range []string{"flb-enrich catalog", "flb-enrich explain", "-message-key", "-params", "-catalog FILE", "-field-message-id"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("help output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

// TestHelpOfEachCommandGoesToStdout: -h asked for after a command or among the options prints the
// usage on standard output with exit status 0 (so that it can be paged), and a bad flag prints it on
// standard error with exit status 2.
func TestHelpOfEachCommandGoesToStdout(t *testing.T) {
	for _, args := range [][]string{{"catalog", "-h"}, {"explain", "--help"}, {"report", "-h"}, {"-", "-h"}, {"--params", "-help"}, {"version", "--help"}, {"version", "-help"}, {"version", "-h"}} {
		var out, errOut bytes.Buffer
		if code := run(args, strings.NewReader(""), &out, &errOut); code != 0 || !strings.Contains(out.String(), "usage: flb-enrich") || errOut.Len() > 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 0 and the usage on stdout only", args, code, out.String(), errOut.String())
		}
		out.Reset()
		errOut.Reset()
		if code := run(append(args[:1:1], "--nope"), strings.NewReader(""), &out, &errOut); code != 2 || out.Len() > 0 || !strings.Contains(errOut.String(), "usage: flb-enrich") {
			t.Errorf("%v --nope: exit %d, stdout %q, stderr %q; want 2 and the usage on stderr only", args[:1], code, out.String(), errOut.String())
		}
	}
}

// TestReadErrorNamesTheInputOnce: an input that cannot be read (a directory) is named once in its
// message, as "read NAME: problem", by the default command and by explain -.
func TestReadErrorNamesTheInputOnce(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{dir}, "flb-enrich: read " + dir + ": is a directory\n"},
		{[]string{"-"}, "flb-enrich: read standard input: is a directory\n"},
		{[]string{"explain", "-"}, "flb-enrich explain: read standard input: is a directory\n"},
	} {
		var out, errOut bytes.Buffer
		if code := run(tt.args, f, &out, &errOut); code != 1 || errOut.String() != tt.want {
			t.Errorf("%v: exit %d, stderr %q; want 1 and %q", tt.args, code, errOut.String(), tt.want)
		}
	}
}
