package enrich

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/internal/msgpack"
)

func TestRewrite(t *testing.T) {
	cat := testCatalog(t)
	const known = "%FTD-6-722051: Group <g> User <u> IP <1.2.3.4> IPv4 Address <10.0.0.1> IPv6 address <::> assigned to session"
	pad := strings.Repeat(" ", 256) // makes a value str16 or bin16, which the pair scan's fast path leaves to scanPair
	full := map[string]any{
		"message_id": "722051", "severity": 6.0, "severity_name": "informational",
		"explanation": "An address was assigned.", "action": "None required.", "product": "cisco_ftd_asa",
	}
	with := func(base map[string]any, extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			if v == nil {
				delete(out, k)
				continue
			}
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name     string
		mod      func(*Options)
		in       []byte
		want     map[string]any // body after rewrite; nil = copied byte for byte
		counters Counters
	}{
		{"event time fixmap", nil, logRecord(known), with(full, map[string]any{"log": known}), Counters{Records: 1, Enriched: 1}},
		{"event time long ext", nil, record(eventTime(1, 2, true), emptyMeta, mpMap(0, kv{"log", mpStr(known)})),
			with(full, map[string]any{"log": known}), Counters{Records: 1, Enriched: 1}},
		{"tail style map32", nil, record(eventTime(1, 2, false), mpMap(4), mpMap(4, kv{"log", mpStr(known)})),
			with(full, map[string]any{"log": known}), Counters{Records: 1, Enriched: 1}},
		{"map16 metadata and body", nil, record(eventTime(1, 2, false), mpMap(2), mpMap(2, kv{"log", mpStr(known)})),
			with(full, map[string]any{"log": known}), Counters{Records: 1, Enriched: 1}},
		{"legacy int", nil, legacy([]byte{0xce, 0x65, 0x53, 0xf1, 0x00}, mpMap(0, kv{"message", mpStr(known)})),
			with(full, map[string]any{"message": known}), Counters{Records: 1, Enriched: 1}},
		{"legacy float", nil, legacy([]byte{0xcb, 0x41, 0xd9, 0x54, 0xfc, 0x40, 0, 0, 0}, mpMap(0, kv{"msg", mpStr(known)})),
			with(full, map[string]any{"msg": known}), Counters{Records: 1, Enriched: 1}},
		{"bin value", nil, logRecordKV(kv{"raw", mpBin(known)}), with(full, map[string]any{"raw": known}), Counters{Records: 1, Enriched: 1}},
		{"bin16 value", nil, logRecordKV(kv{"raw", mpBin(known + pad)}), with(full, map[string]any{"raw": known + pad}), Counters{Records: 1, Enriched: 1}},
		// Of a key a record holds twice, the first value is searched (docs/recognition.md), short or long.
		{"duplicate message key", nil, logRecordKV(kv{"log", mpStr("no id")}, kv{"log", mpStr(known)}), nil, Counters{Records: 1, NoID: 1}},
		{"duplicate message key str16", nil, logRecordKV(kv{"log", mpStr("no id" + pad)}, kv{"log", mpStr(known + pad)}), nil, Counters{Records: 1, NoID: 1}},
		{"duplicate message key, the first not a string", nil, logRecordKV(kv{"log", []byte{0x2a}}, kv{"log", mpStr(known)}), nil, Counters{Records: 1, NoID: 1, NoText: 1}},
		{"duplicate message key, the first a map", nil, logRecordKV(kv{"log", mpMap(0)}, kv{"msg", mpStr(known)}, kv{"log", mpStr(known)}),
			map[string]any{"log": known, "msg": known, "message_id": "722051", "severity": 6.0, "severity_name": "informational",
				"explanation": "An address was assigned.", "action": "None required.", "product": "cisco_ftd_asa"}, Counters{Records: 1, Enriched: 1}},
		{"header severity differs", nil, logRecord("%ASA-4-722051: x"),
			with(full, map[string]any{"log": "%ASA-4-722051: x", "severity": 4.0, "severity_name": "warning", "documented_severity": 6.0}),
			Counters{Records: 1, Enriched: 1}},
		// A record that keeps a field of its own still gets the documented severity beside the line's.
		{"header severity differs, a field kept", nil, logRecordKV(kv{"log", mpStr("%ASA-4-722051: x")}, kv{"explanation", mpStr("own")}),
			with(full, map[string]any{"log": "%ASA-4-722051: x", "severity": 4.0, "severity_name": "warning", "documented_severity": 6.0, "explanation": "own"}),
			Counters{Records: 1, Enriched: 1}},
		{"unknown id", nil, logRecord("%FTD-6-302013: Built"),
			map[string]any{"log": "%FTD-6-302013: Built", "message_id": "302013", "severity": 6.0, "severity_name": "informational", "product": "cisco_ftd_asa"},
			Counters{Records: 1, UnknownID: 1}},
		{"unknown id of severity 0", nil, logRecord("%FTD-0-302013: Built"),
			map[string]any{"log": "%FTD-0-302013: Built", "message_id": "302013", "severity": 0.0, "severity_name": "emergency", "product": "cisco_ftd_asa"},
			Counters{Records: 1, UnknownID: 1}},
		{"no id", nil, logRecord("last message repeated 66 times"), nil, Counters{Records: 1, NoID: 1}},
		{"two message keys, no id", nil, logRecordKV(kv{"log", mpStr("no id")}, kv{"msg", mpStr("none either")}), nil, Counters{Records: 1, NoID: 1}},
		{"no message key", nil, logRecordKV(kv{"other", mpStr(known)}), nil, Counters{Records: 1, NoID: 1, NoText: 1}},
		// The name filter passes a key of a message key's first byte and length: its name decides.
		{"key like a message key", nil, logRecordKV(kv{"lag", mpStr(known)}), nil, Counters{Records: 1, NoID: 1, NoText: 1}},
		{"non-string message", nil, logRecordKV(kv{"log", []byte{0x2a}}), nil, Counters{Records: 1, NoID: 1, NoText: 1}},
		{"group start", nil, record(eventTime(0xFFFFFFFF, 0, false), emptyMeta, mpMap(0, kv{"log", mpStr(known)})), nil, Counters{Records: 1, Skipped: 1}},
		{"group end", nil, record(eventTime(0xFFFFFFFE, 0, false), emptyMeta, mpMap(0)), nil, Counters{Records: 1, Skipped: 1}},
		// Only an EventTime marks a group (flb_log_event_decoder.c): an integer of a marker's seconds is a
		// time, and negative integers are refused.
		{"legacy int time of a group start's seconds", nil, legacy([]byte{0xce, 0xff, 0xff, 0xff, 0xff}, mpMap(0, kv{"log", mpStr(known)})),
			with(full, map[string]any{"log": known}), Counters{Records: 1, Enriched: 1}},
		{"legacy int time -2", nil, legacy([]byte{0xfe}, mpMap(0, kv{"log", mpStr(known)})), nil, Counters{Records: 1, Skipped: 1}},
		{"legacy int time -1", nil, legacy([]byte{0xff}, mpMap(0, kv{"log", mpStr(known)})), nil, Counters{Records: 1, Skipped: 1}},
		{"time with nanoseconds of 10^9", nil, record(eventTime(1, 1e9, false), emptyMeta, mpMap(0, kv{"log", mpStr(known)})), nil, Counters{Records: 1, Skipped: 1}},
		{"group start seconds with nanoseconds", nil, record(eventTime(0xFFFFFFFF, 1, false), emptyMeta, mpMap(0, kv{"log", mpStr(known)})), nil, Counters{Records: 1, Skipped: 1}},
		{"legacy float time of -1", nil, legacy([]byte{0xcb, 0xbf, 0xf0, 0, 0, 0, 0, 0, 0}, mpMap(0, kv{"log", mpStr(known)})), nil, Counters{Records: 1, Skipped: 1}},
		{"legacy float time of -0.5", nil, legacy([]byte{0xcb, 0xbf, 0xe0, 0, 0, 0, 0, 0, 0}, mpMap(0, kv{"log", mpStr(known)})),
			with(full, map[string]any{"log": known}), Counters{Records: 1, Enriched: 1}},
		{"array body", nil, record(eventTime(1, 0, false), emptyMeta, []byte{0x91, 0x01}), nil, Counters{Records: 1, Skipped: 1}},
		{"metadata not a map", nil, record(eventTime(1, 0, false), []byte{0x92, 0x01, 0x02}, mpMap(0, kv{"log", mpStr(known)})), nil, Counters{Records: 1, Skipped: 1}},
		// Only an EventTime a Forward receiver accepts (fixext8 or ext8) is a time: other type 0 exts are not.
		{"time ext of four bytes", nil, record([]byte{0xd6, 0x00, 0, 0, 0, 1}, emptyMeta, mpMap(0, kv{"log", mpStr(known)})), nil, Counters{Records: 1, Skipped: 1}},
		{"time ext16 of eight bytes", nil, record([]byte{0xc8, 0, 8, 0x00, 0, 0, 0, 1, 0, 0, 0, 0}, emptyMeta, mpMap(0, kv{"log", mpStr(known)})), nil, Counters{Records: 1, Skipped: 1}},
		{"legacy time ext of sixteen bytes", nil, legacy(append([]byte{0xd8, 0x00}, make([]byte, 16)...), mpMap(0, kv{"log", mpStr(known)})), nil, Counters{Records: 1, Skipped: 1}},
		// Fluent Bit's decoder refuses these times: the record is not enriched, and travels wrapped.
		{"legacy float32 time", nil, legacy([]byte{0xca, 0x4e, 0xcc, 0xc1, 0x70}, mpMap(0, kv{"log", mpStr(known)})), nil, Counters{Records: 1, Skipped: 1}},
		{"float32 time", nil, record([]byte{0xca, 0x4e, 0xcc, 0xc1, 0x70}, emptyMeta, mpMap(0, kv{"log", mpStr(known)})), nil, Counters{Records: 1, Skipped: 1}},
		{"legacy negative int time", nil, legacy([]byte{0xd3, 0xff, 0, 0, 0, 0, 0, 0, 0}, mpMap(0, kv{"log", mpStr(known)})), nil, Counters{Records: 1, Skipped: 1}},
		{"header of three", nil, append([]byte{0x92, 0x93, 0x01, 0x80, 0x80}, mpMap(0, kv{"log", mpStr(known)})...), nil, Counters{Records: 1, Skipped: 1}},
		{"header of one", nil, append([]byte{0x92, 0x91, 0x01}, mpMap(0, kv{"log", mpStr(known)})...), nil, Counters{Records: 1, Skipped: 1}},
		{"metadata a string", nil, record(eventTime(1, 0, false), mpStr("x"), mpMap(0, kv{"log", mpStr(known)})), nil, Counters{Records: 1, Skipped: 1}},
		{"legacy array of three", nil, slices.Concat([]byte{0x93, 0x01}, mpMap(0, kv{"log", mpStr(known)}), []byte{0x05}), nil, Counters{Records: 1, Skipped: 1}},
		{"tail metadata with a map key", nil, record(eventTime(1, 2, false), []byte{0xdf, 0, 0, 0, 1, 0x80, 0x01}, mpMap(0, kv{"log", mpStr(known)})),
			with(full, map[string]any{"log": known}), Counters{Records: 1, Enriched: 1}},
		{"existing key kept", nil, logRecordKV(kv{"log", mpStr(known)}, kv{"severity", mpStr("high")}),
			with(full, map[string]any{"log": known, "severity": "high"}), Counters{Records: 1, Enriched: 1}},
		// A bin key is the same key to Fluent Bit's JSON and to Elasticsearch, which refuses a document with two.
		{"existing bin key kept", nil, record(eventTime(1, 0, false), emptyMeta, slices.Concat([]byte{0x82}, mpStr("log"), mpStr(known), mpBin("severity"), mpStr("high"))),
			with(full, map[string]any{"log": known, "severity": "high"}), Counters{Records: 1, Enriched: 1}},
		{"bin message key", nil, record(eventTime(1, 0, false), emptyMeta, slices.Concat([]byte{0x81}, mpBin("log"), mpStr(known))),
			with(full, map[string]any{"log": known}), Counters{Records: 1, Enriched: 1}},
		{"overwrite replaces", func(o *Options) { o.Overwrite = true }, logRecordKV(kv{"severity", mpStr("high")}, kv{"log", mpStr(known)}),
			with(full, map[string]any{"log": known}), Counters{Records: 1, Enriched: 1}},
		// Elasticsearch reads product as an object for product.name, and would refuse product's value.
		{"key continues a field's name", nil, logRecordKV(kv{"log", mpStr(known)}, kv{"product.name", mpStr("x")}),
			with(full, map[string]any{"log": known, "product.name": "x", "product": nil}), Counters{Records: 1, Enriched: 1}},
		{"key continues a field's name, overwrite", func(o *Options) { o.Overwrite = true },
			logRecordKV(kv{"log", mpStr(known)}, kv{"product", mpStr("p")}, kv{"action.a.b", []byte{0x03}}, kv{"product.name", mpStr("x")}),
			with(full, map[string]any{"log": known, "product": "p", "action.a.b": 3.0, "product.name": "x", "action": nil}), Counters{Records: 1, Enriched: 1}},
		{"long key continues a field's name", nil, logRecordKV(kv{"log", mpStr(known)}, kv{"explanation." + strings.Repeat("x", 30), mpStr("x")}),
			with(full, map[string]any{"log": known, "explanation." + strings.Repeat("x", 30): "x", "explanation": nil}), Counters{Records: 1, Enriched: 1}},
		{"key continues a one-byte field's name", func(o *Options) { o.Fields.Product = "p" }, logRecordKV(kv{"log", mpStr(known)}, kv{"p.x", mpStr("x")}),
			with(full, map[string]any{"log": known, "p.x": "x", "product": nil}), Counters{Records: 1, Enriched: 1}},
		{"keys that extend a field's name without a dot", nil, logRecordKV(kv{"log", mpStr(known)}, kv{"product_name", mpStr("x")}, kv{"severityx.y", mpStr("x")}),
			with(full, map[string]any{"log": known, "product_name": "x", "severityx.y": "x"}), Counters{Records: 1, Enriched: 1}},
		{"key continues the nest key", func(o *Options) { o.NestUnder = "catalog" }, logRecordKV(kv{"log", mpStr(known)}, kv{"catalog.x", mpStr("y")}, kv{"catalog.y", []byte{0x01}}),
			map[string]any{"log": known, "catalog.x": "y", "catalog.y": 1.0, "catalog": full}, Counters{Records: 1, Enriched: 1}},
		{"nest under", func(o *Options) { o.NestUnder = "catalog" }, logRecord(known),
			map[string]any{"log": known, "catalog": full}, Counters{Records: 1, Enriched: 1}},
		{"nest key exists", func(o *Options) { o.NestUnder = "catalog" }, logRecordKV(kv{"log", mpStr(known)}, kv{"catalog", mpStr("x")}),
			nil, Counters{Records: 1, Enriched: 1}},
		// Elasticsearch needs catalog as an object for catalog.fields, and would refuse the record.
		{"nest key inside a record key", func(o *Options) { o.NestUnder = "catalog.fields"; o.Overwrite = true },
			logRecordKV(kv{"log", mpStr(known)}, kv{"catalog", mpStr("x")}), nil, Counters{Records: 1, Enriched: 1}},
		{"nest key inside a record object", func(o *Options) { o.NestUnder = "catalog.fields" },
			logRecordKV(kv{"log", mpStr(known)}, kv{"catalog", mpMap(0)}), map[string]any{"log": known, "catalog": map[string]any{}, "catalog.fields": full},
			Counters{Records: 1, Enriched: 1}},
		{"custom names", func(o *Options) { o.Fields.MessageID = "msgid"; o.MessageKeys = []string{"line"} },
			logRecordKV(kv{"line", mpStr("%FTD-6-302013: x")}),
			map[string]any{"line": "%FTD-6-302013: x", "msgid": "302013", "severity": 6.0, "severity_name": "informational", "product": "cisco_ftd_asa"},
			Counters{Records: 1, UnknownID: 1}},
		{"params", func(o *Options) { o.Params = true }, logRecord(known),
			with(full, map[string]any{"log": known, "params": map[string]any{
				"group-policy": "g", "username": "u", "public-ip": "1.2.3.4", "assigned-ip": "10.0.0.1", "assigned-ipv6": "::"}}),
			Counters{Records: 1, Enriched: 1}},
		{"params ios repeated placeholder", func(o *Options) { o.Params = true }, logRecord("%SMART_LIC-3-COMM_FAILED: Communications failure with the CSLU : no route"),
			map[string]any{"log": "%SMART_LIC-3-COMM_FAILED: Communications failure with the CSLU : no route", "message_id": "SMART_LIC-3-COMM_FAILED",
				"severity": 3.0, "severity_name": "error", "explanation": "Smart licensing communication failed.", "action": "Check reachability.",
				"product": "cisco_ios", "params": map[string]any{"chars": "CSLU", "chars_2": "no route"}},
			Counters{Records: 1, Enriched: 1}},
		// The text after an NX-OS relay's ">>" is the relayed message's, read by its format.
		{"params after an nx-os relay", func(o *Options) { o.Params = true }, logRecord("%USER-3-SYSTEM_MSG: <<%SMART_LIC-3-COMM_FAILED>> Communications failure with the CSLU : no route"),
			map[string]any{"log": "%USER-3-SYSTEM_MSG: <<%SMART_LIC-3-COMM_FAILED>> Communications failure with the CSLU : no route", "message_id": "SMART_LIC-3-COMM_FAILED",
				"severity": 3.0, "severity_name": "error", "explanation": "Smart licensing communication failed.", "action": "Check reachability.",
				"product": "cisco_ios", "params": map[string]any{"chars": "CSLU", "chars_2": "no route"}},
			Counters{Records: 1, Enriched: 1}},
		{"message key of nine bytes", func(o *Options) { o.MessageKeys = []string{"short_msg"} }, logRecordKV(kv{"short_msg", mpStr(known)}),
			with(full, map[string]any{"short_msg": known}), Counters{Records: 1, Enriched: 1}},
		{"message key of 255 bytes", func(o *Options) { o.MessageKeys = []string{strings.Repeat("k", 255)} }, logRecordKV(kv{strings.Repeat("k", 255), mpStr(known)}),
			with(full, map[string]any{strings.Repeat("k", 255): known}), Counters{Records: 1, Enriched: 1}},
		{"second message key known", nil, logRecordKV(kv{"log", mpStr("%SYS-5-CONFIG_I: x")}, kv{"msg", mpStr(known)}),
			with(full, map[string]any{"log": "%SYS-5-CONFIG_I: x", "msg": known}), Counters{Records: 1, Enriched: 1}},
		{"first of two unknown message IDs", nil, logRecordKV(kv{"log", mpStr("%SYS-5-CONFIG_I: x")}, kv{"msg", mpStr("%LINK-3-UPDOWN: y")}),
			map[string]any{"log": "%SYS-5-CONFIG_I: x", "msg": "%LINK-3-UPDOWN: y", "message_id": "SYS-5-CONFIG_I",
				"severity": 5.0, "severity_name": "notice", "product": "cisco_ios"}, Counters{Records: 1, UnknownID: 1}},
		// A syslog parser's message is the raw line of raw_message_key without the header it cut off:
		// a header in it is the message's text (a login name), which the raw line's own header comes before.
		{"parsed message held by the raw line, quoting a known header", nil,
			logRecordKV(kv{"message", mpStr("Login failed [user: " + known + "]")}, kv{"raw", mpBin("<188>12: %SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: " + known + "]")}),
			map[string]any{"message": "Login failed [user: " + known + "]", "raw": "<188>12: %SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: " + known + "]",
				"message_id": "SEC_LOGIN-4-LOGIN_FAILED", "severity": 4.0, "severity_name": "warning", "product": "cisco_ios"}, Counters{Records: 1, UnknownID: 1}},
		{"parsed message held by the raw line, quoting an unknown header", nil,
			logRecordKV(kv{"message", mpStr("Login failed [user: %SYS-0-X]")}, kv{"raw", mpStr("<188>12: %SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: %SYS-0-X]")}),
			map[string]any{"message": "Login failed [user: %SYS-0-X]", "raw": "<188>12: %SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: %SYS-0-X]",
				"message_id": "SEC_LOGIN-4-LOGIN_FAILED", "severity": 4.0, "severity_name": "warning", "product": "cisco_ios"}, Counters{Records: 1, UnknownID: 1}},
		{"parsed message held by a raw line that gives no identifier", nil,
			logRecordKV(kv{"message", mpStr("SMART_LIC-3-COMM_FAILED: x")}, kv{"raw", mpBin("<187>SMART_LIC-3-COMM_FAILED: x")}),
			map[string]any{"message": "SMART_LIC-3-COMM_FAILED: x", "raw": "<187>SMART_LIC-3-COMM_FAILED: x", "message_id": "SMART_LIC-3-COMM_FAILED",
				"severity": 3.0, "severity_name": "error", "explanation": "Smart licensing communication failed.", "action": "Check reachability.",
				"product": "cisco_ios"}, Counters{Records: 1, Enriched: 1}},
		{"empty key with a number", nil, logRecordKV(kv{"", []byte{0x01}}, kv{"log", mpStr(known)}),
			with(full, map[string]any{"": 1.0, "log": known}), Counters{Records: 1, Enriched: 1}},
		{"key longer than any name", nil, logRecordKV(kv{strings.Repeat("l", maxNameLen+4), mpStr("x")}, kv{"log", mpStr(known)}),
			with(full, map[string]any{strings.Repeat("l", maxNameLen+4): "x", "log": known}), Counters{Records: 1, Enriched: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t, cat, tt.mod)
			out, c, err := e.Rewrite(nil, tt.in)
			if err != nil {
				t.Fatalf("Rewrite: %v", err)
			}
			by := 0
			for _, n := range c.EnrichedBy {
				by += n
			}
			if by != c.Enriched {
				t.Errorf("EnrichedBy %v does not add up to Enriched %d", c.EnrichedBy, c.Enriched)
			}
			c.EnrichedBy = [catalog.NumProducts]int{}
			if c != tt.counters {
				t.Errorf("counters = %+v, want %+v", c, tt.counters)
			}
			if tt.want == nil {
				if !bytes.Equal(out, tt.in) {
					t.Errorf("record changed:\n got %x\nwant %x", out, tt.in)
				}
				return
			}
			recs := records(t, out)
			if len(recs) != 1 {
				t.Fatalf("got %d records, want 1", len(recs))
			}
			if got := bodyOf(t, recs[0]); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("body =\n %v\nwant\n %v", got, tt.want)
			}
			// Everything before the body map is kept byte for byte.
			if tt.name != "overwrite replaces" {
				assertOriginalBytes(t, tt.in, out)
			}
		})
	}
}

// logRecordKV builds an EventTime record whose fixmap body has pairs.
func logRecordKV(pairs ...kv) []byte {
	return record(eventTime(1700000000, 5, false), emptyMeta, mpMap(0, pairs...))
}

// assertOriginalBytes checks that out starts with in's bytes up to the
// body map header and contains every original body pair unchanged.
func assertOriginalBytes(t *testing.T, in, out []byte) {
	t.Helper()
	bodyOff := bodyOffset(t, in)
	if !bytes.HasPrefix(out, in[:bodyOff]) {
		t.Errorf("record header or timestamp changed")
	}
	hb, _ := msgpack.ReadHeader(in[bodyOff:])
	if hb.Kind != msgpack.Map {
		return
	}
	pairs := in[bodyOff+hb.Size:]
	if !bytes.Contains(out, pairs) {
		t.Errorf("original body pairs are not kept contiguous in the output")
	}
}

func TestRewriteMapHeaderGrows(t *testing.T) {
	e := newEngine(t, testCatalog(t), nil)
	pairs := []kv{{"log", mpStr("%FTD-6-302013: x")}}
	for i := 0; len(pairs) < 15; i++ {
		pairs = append(pairs, kv{string(rune('a' + i)), []byte{0xc0}})
	}
	in := record(eventTime(1, 0, false), emptyMeta, mpMap(0, pairs...))
	out, _, err := e.Rewrite(nil, in)
	if err != nil {
		t.Fatalf("Rewrite: %v", err)
	}
	hb, err := msgpack.ReadHeader(out[bodyOffset(t, out):])
	if err != nil || hb.Kind != msgpack.Map || hb.Size != 3 || hb.N != 15+4 {
		t.Fatalf("body header = %+v (%v), want a map16 of 19 pairs", hb, err)
	}
	if got := len(bodyOf(t, out)); got != 19 {
		t.Errorf("decoded %d keys, want 19", got)
	}
}

// TestRewriteMapHeaderLimits checks the body header at the widths' limits: a count patched in place
// must fit the header it replaces, so 16 pairs need a map16 and 65536 a map32.
func TestRewriteMapHeaderLimits(t *testing.T) {
	e := newEngine(t, testCatalog(t), nil)
	tests := []struct {
		name            string
		width, pairs    int // of the body map; the record gains 4 pairs
		wantSize, wantN int
	}{
		{"fixmap stays", 0, 11, 1, 15},
		{"fixmap grows at 16", 0, 12, 3, 16},
		{"map16 stays", 2, 65531, 3, 65535},
		{"map16 grows at 65536", 2, 65532, 5, 65536},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pairs := []kv{{"log", mpStr("%FTD-6-302013: x")}}
			for len(pairs) < tt.pairs {
				pairs = append(pairs, kv{"k", []byte{0xc0}})
			}
			in := record(eventTime(1, 0, false), emptyMeta, mpMap(tt.width, pairs...))
			out, _, err := e.Rewrite(nil, in)
			if err != nil {
				t.Fatalf("Rewrite: %v", err)
			}
			off := bodyOffset(t, out)
			hb, err := msgpack.ReadHeader(out[off:])
			if err != nil || hb.Kind != msgpack.Map || hb.Size != tt.wantSize || hb.N != tt.wantN {
				t.Fatalf("body header = %+v (%v), want a map of %d pairs in %d bytes", hb, err, tt.wantN, tt.wantSize)
			}
			inBody := bodyOffset(t, in)
			inHdr, _ := msgpack.ReadHeader(in[inBody:])
			if !bytes.HasPrefix(out[off+hb.Size:], in[inBody+inHdr.Size:]) {
				t.Errorf("original body pairs are not kept after the header")
			}
			if n, err := msgpack.Skip(out); err != nil || n != len(out) {
				t.Errorf("Skip(output) = %d, %v; want %d", n, err, len(out))
			}
		})
	}
}

func TestRewriteMalformed(t *testing.T) {
	e := newEngine(t, testCatalog(t), nil)
	good := logRecord("%FTD-6-722051: Group g")
	tests := []struct {
		name      string
		tail      []byte
		wantWhole bool
	}{
		{"truncated record", logRecord("%FTD-6-722051: x")[:10], false},
		{"invalid byte", []byte{0xc1, 0x00}, false},
		{"tail record cut in its body header", record(eventTime(1, 0, false), mpMap(4), mpMap(4, kv{"log", mpStr("x")}))[:21], false},
		{"cut after a str8 header", logRecordKV(kv{"message", mpStr(strings.Repeat("x", 40))})[:23], false},
		{"cut inside a value other than a record", []byte{0xa5, 'a', 'b'}, false},
		{"cut inside its message value", logRecord("%FTD-6-722051: Group g")[:30], false},
		{"huge map count", []byte{0x92, 0x92, 0xd7, 0x00, 0, 0, 0, 1, 0, 0, 0, 0, 0x80, 0xdf, 0xff, 0xff, 0xff, 0xff}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append(append([]byte{}, good...), tt.tail...)
			out, c, err := e.Rewrite(nil, in)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			if !bytes.HasSuffix(out, tt.tail) {
				t.Errorf("unparseable rest not appended verbatim")
			}
			if c.Enriched != 1 || c.Skipped != 1 || c.Records != 2 {
				t.Errorf("counters = %+v, want 1 enriched and 1 skipped of 2", c)
			}
			// Not parseable at all: passed on unchanged.
			out, _, err = e.Rewrite(out[:0:0], tt.tail)
			if !errors.Is(err, ErrMalformed) || !bytes.Equal(out, tt.tail) {
				t.Errorf("unparseable chunk: out %x err %v, want it unchanged with ErrMalformed", out, err)
			}
		})
	}
}

func TestRewriteAllocs(t *testing.T) {
	for _, params := range []bool{false, true} {
		e := newEngine(t, embeddedCatalog(t), func(o *Options) { o.Params = params })
		chunk := benchChunk(t, 200)
		dst, _, err := e.Rewrite(nil, chunk)
		if err != nil {
			t.Fatalf("Rewrite: %v", err)
		}
		allocs := testing.AllocsPerRun(20, func() {
			dst, _, _ = e.Rewrite(dst[:0], chunk)
		})
		if allocs != 0 {
			t.Errorf("params=%v: %v allocations per Rewrite of a warm buffer, want 0", params, allocs)
		}
	}
	// Overwrite removes up to maxDrops existing pairs without allocating.
	var pairs []kv
	for i := 0; i < maxDrops/2; i++ {
		pairs = append(pairs, kv{"severity", mpStr("old")}, kv{"product", mpStr("old")})
	}
	pairs = append(pairs, kv{"log", mpStr("%FTD-6-722051: Group <g> User <u> IP <1.2.3.4>")})
	chunk := bytes.Repeat(logRecordKV(pairs...), 50)
	e := newEngine(t, testCatalog(t), func(o *Options) { o.Overwrite = true })
	dst, c, err := e.Rewrite(nil, chunk)
	if err != nil || c.Enriched != 50 {
		t.Fatalf("Rewrite: %+v, %v", c, err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		dst, _, _ = e.Rewrite(dst[:0], chunk)
	})
	if allocs != 0 {
		t.Errorf("overwrite: %v allocations per Rewrite of a warm buffer, want 0", allocs)
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Options)
		want string // substring of the error, "" for valid
	}{
		{"defaults", func(o *Options) {}, ""},
		{"no message keys", func(o *Options) { o.MessageKeys = nil }, "message_key"},
		{"duplicate message key", func(o *Options) { o.MessageKeys = []string{"log", "log"} }, `message_key: "log" listed twice`},
		{"empty field name", func(o *Options) { o.Fields.Severity = "" }, "field_severity"},
		{"field names clash", func(o *Options) { o.Fields.Action = "explanation" }, "field_action"},
		{"field shadows message key", func(o *Options) { o.Fields.Product = "log" }, "field_product"},
		{"nest under message key", func(o *Options) { o.NestUnder = "log" }, "nest_under"},
		{"field may equal message key when nested", func(o *Options) { o.NestUnder = "catalog"; o.Fields.Product = "log" }, ""},
		{"nested field inside another", func(o *Options) { o.NestUnder = "catalog"; o.Fields.Product = "explanation.product" }, "field_product"},
		{"nest under inside message key", func(o *Options) { o.NestUnder = "log.catalog" }, "nest_under"},
		{"message key inside a field", func(o *Options) { o.MessageKeys = []string{"log", "product.line"} }, `field_product and message_key: "product" cannot be added beside product.line`},
		{"message key inside a nested field", func(o *Options) { o.NestUnder = "catalog"; o.MessageKeys = []string{"product.line"} }, ""},
		{"message key naming a nested field", func(o *Options) { o.NestUnder = "catalog"; o.MessageKeys = []string{"log", "catalog.severity"} },
			`field_severity and message_key: "catalog.severity"`},
		{"message key inside a field in the nest key", func(o *Options) { o.NestUnder = "a.b"; o.MessageKeys = []string{"a.b.product.line"} }, "field_product and message_key"},
		{"message key holding a nested field", func(o *Options) {
			o.NestUnder = "catalog"
			o.Fields.Product = "x.product"
			o.MessageKeys = []string{"catalog.x"}
		},
			"field_product and message_key"},
		{"message key beside the nested fields", func(o *Options) {
			o.NestUnder = "catalog"
			o.MessageKeys = []string{"catalog.line", "catalogue.severity"}
		}, ""},
		{"message key inside another", func(o *Options) { o.MessageKeys = []string{"log", "log.line"} }, ""},
		{"dotted message key beside no field", func(o *Options) { o.MessageKeys = []string{"log", "app.line"} }, ""},
		// A record's own keys may be anything: the dots Elasticsearch refuses in a field name are a message key's.
		{"message keys with a leading, a trailing and a doubled dot", func(o *Options) { o.MessageKeys = []string{".log", "log.", "app..line"} }, ""},
		{"too many keys", func(o *Options) { o.MessageKeys = make([]string, MaxMessageKeys+1) }, "message_key"},
		{"16 keys", func(o *Options) {
			o.MessageKeys = nil
			for i := range 16 { // the README's "at most 16"
				o.MessageKeys = append(o.MessageKeys, fmt.Sprintf("k%d", i))
			}
		}, ""},
		{"17 keys", func(o *Options) {
			o.MessageKeys = nil
			for i := range 17 {
				o.MessageKeys = append(o.MessageKeys, fmt.Sprintf("k%d", i))
			}
		}, "17 keys given"},
		{"optional field names clash", func(o *Options) { o.Fields.Level = "product" }, "field_level and field_product"},
		{"message key with a carriage return", func(o *Options) { o.MessageKeys = []string{"log\r"} }, "message_key"},
		{"field name with a NUL", func(o *Options) { o.Fields.Product = "prod\x00uct" }, "field_product"},
		{"field name with a tab", func(o *Options) { o.Fields.Product = "prod\tuct" }, "field_product: \"prod\\tuct\" contains a control character"},
		{"message key with an ESC", func(o *Options) { o.MessageKeys = []string{"\x1b[31mlog"} }, "message_key"},
		{"field name with DEL", func(o *Options) { o.Fields.Explanation = "explanation\x7f" }, "field_explanation"},
		{"field name starting with a dot", func(o *Options) { o.Fields.Product = ".product" }, "field_product"},
		{"field name with two dots in a row", func(o *Options) { o.Fields.Product = "enrich..product" }, "field_product"},
		{"name of 255 bytes", func(o *Options) { o.Fields.Product = strings.Repeat("p", 255) }, ""},
		{"name of 256 bytes", func(o *Options) { o.Fields.Product = strings.Repeat("p", 256) }, "field_product"},
		{"message key with a newline", func(o *Options) { o.MessageKeys = []string{"log\n"} }, "message_key"},
		{"field name ending in a dot", func(o *Options) { o.Fields.Product = "product." }, "field_product"},
		// Only a message key is read by Fluent Bit's filters as a record accessor; a field name is written as given.
		{"field name starting with $", func(o *Options) { o.Fields.Product = "$product" }, ""},
	}
	cat := testCatalog(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			tt.mod(&o)
			err := o.Validate()
			if _, nerr := New(cat, o); (nerr == nil) != (err == nil) {
				t.Errorf("New = %v, want what Validate says", nerr)
			}
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !errors.Is(err, ErrInvalidOptions) || !bytes.Contains([]byte(err.Error()), []byte(tt.want))):
				t.Errorf("Validate() = %v, want an ErrInvalidOptions naming %s", err, tt.want)
			}
		})
	}
}

// topKeys returns the keys of a record's body map at the top level, in
// order, and fails when the header's count does not match the pairs.
func topKeys(t testing.TB, rec []byte) []string {
	t.Helper()
	return mapKeys(t, rec, bodyOffset(t, rec))
}

// mapKeys returns the string keys of the map at b[off], which must end b.
func mapKeys(t testing.TB, b []byte, off int) []string {
	t.Helper()
	hb, err := msgpack.ReadHeader(b[off:])
	if err != nil || hb.Kind != msgpack.Map {
		t.Fatalf("map at %d: kind %v, %v", off, hb.Kind, err)
	}
	var keys []string
	q := off + hb.Size
	for i := 0; i < hb.N; i++ {
		hk, err := msgpack.ReadHeader(b[q:])
		if err != nil || hk.Kind != msgpack.Str {
			t.Fatalf("key %d: kind %v, %v", i, hk.Kind, err)
		}
		keys = append(keys, string(b[q+hk.Size:q+hk.Size+hk.N]))
		for _, what := range []string{"key", "value"} {
			k, err := msgpack.Skip(b[q:])
			if err != nil {
				t.Fatalf("%s %d: %v", what, i, err)
			}
			q += k
		}
	}
	if q != len(b) {
		t.Fatalf("map of %d pairs ends at %d of %d bytes", hb.N, q, len(b))
	}
	return keys
}

// TestRewriteOverwriteManyCollisions checks that Overwrite replaces every
// existing pair of an added field, however many the record has.
func TestRewriteOverwriteManyCollisions(t *testing.T) {
	const known = "%FTD-6-722051: Group <g> User <u> IP <1.2.3.4> IPv4 Address <10.0.0.1> IPv6 address <::> assigned to session"
	added := []string{"message_id", "severity", "severity_name", "explanation", "action", "product"}
	// pairs returns n pairs that cycle through the names, plus the message
	// and a key that is not an added field.
	pairs := func(n int, names ...string) []kv {
		out := []kv{{"host", mpStr("fw1")}}
		for i := 0; i < n; i++ {
			out = append(out, kv{names[i%len(names)], mpStr("old")})
		}
		return append(out, kv{"log", mpStr(known)})
	}
	tests := []struct {
		name  string
		nest  string
		pairs []kv
		want  []string // sorted top-level keys
	}{
		{"one field at the limit", "", pairs(maxDrops, "severity"),
			[]string{"action", "explanation", "host", "log", "message_id", "product", "severity", "severity_name"}},
		{"one field past the limit", "", pairs(maxDrops+1, "severity"),
			[]string{"action", "explanation", "host", "log", "message_id", "product", "severity", "severity_name"}},
		{"every field many times", "", pairs(200, added...),
			[]string{"action", "explanation", "host", "log", "message_id", "product", "severity", "severity_name"}},
		{"unadded field name kept", "", pairs(40, "documented_severity", "severity"),
			append(slices.Repeat([]string{"documented_severity"}, 20), "action", "explanation", "host", "log", "message_id", "product", "severity", "severity_name")},
		{"nest key many times", "catalog", pairs(maxDrops*3, "catalog"), []string{"catalog", "host", "log"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t, testCatalog(t), func(o *Options) { o.Overwrite = true; o.NestUnder = tt.nest })
			in := record(eventTime(1700000000, 5, false), emptyMeta, mpMap(2, tt.pairs...))
			out, c, err := e.Rewrite(nil, in)
			if err != nil {
				t.Fatalf("Rewrite: %v", err)
			}
			if c.Enriched != 1 {
				t.Fatalf("counters = %+v, want one enriched record", c)
			}
			recs := records(t, out)
			if len(recs) != 1 {
				t.Fatalf("got %d records, want 1", len(recs))
			}
			got := topKeys(t, recs[0])
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("keys = %q, want %q", got, want)
			}
			body := bodyOf(t, recs[0])
			if tt.nest != "" {
				body, _ = body[tt.nest].(map[string]any)
			}
			if body["severity"] != 6.0 || body["message_id"] != "722051" {
				t.Errorf("added fields = %v, want the catalog's", body)
			}
		})
	}
}

func TestRewriteSplitReportsProductsAndUnknowns(t *testing.T) {
	e := newEngine(t, testCatalog(t), nil)
	var chunk []byte
	for _, l := range []string{
		"%FTD-6-722051: Group g User u IP 1.2.3.4 IPv4 Address 5.6.7.8 IPv6 address :: assigned to session",
		"%ASA-4-999001: not in the catalog",
		"%SMART_LIC-3-COMM_FAILED: Communications failure with the a : b",
		"%LINK-3-UPDOWN: Interface Gi0/1, changed state to down",
		"last message repeated 2 times",
	} {
		chunk = append(chunk, logRecord(l)...)
	}
	sp := Split{Unknown: make([]Unknown, 0, 1)}
	_, err := e.RewriteSplit(nil, chunk, &sp)
	if err != nil {
		t.Fatal(err)
	}
	c := sp.Counters
	want := [catalog.NumProducts]int{}
	want[catalog.ProductFTD.Index()], want[catalog.ProductIOS.Index()] = 1, 1
	if c.EnrichedBy != want {
		t.Errorf("EnrichedBy = %v, want %v", c.EnrichedBy, want)
	}
	var got []string
	for _, u := range sp.Unknown {
		got = append(got, fmt.Sprintf("%s %s %d %q", u.ID, u.Product, u.Severity, u.Line))
	}
	wantU := []string{
		`999001 cisco_ftd_asa 4 "%ASA-4-999001: not in the catalog"`,
		`LINK-3-UPDOWN cisco_ios 3 "%LINK-3-UPDOWN: Interface Gi0/1, changed state to down"`,
	}
	if !slices.Equal(got, wantU) {
		t.Errorf("Unknown =\n %q\nwant\n %q", got, wantU)
	}
}

func TestRewriteECSFields(t *testing.T) {
	ecs := func(o *Options) {
		o.Fields = ECSFieldNames()
		o.MessageKeys = []string{"message"}
	}
	known := "<187>%SMART_LIC-3-COMM_FAILED: Communications failure with the a : b"
	// The body when log holds a value other than an object: the log.* fields are left out.
	blocked := func(log any) map[string]any {
		return map[string]any{"message": known, "log": log, "event.code": "SMART_LIC-3-COMM_FAILED", "enrich.explanation": "Smart licensing communication failed.",
			"enrich.action": "Check reachability.", "enrich.product": "cisco_ios", "enrich.catalog_id": "SMART_LIC-3-COMM_FAILED"}
	}
	tests := []struct {
		name string
		in   []byte
		want map[string]any
	}{
		{"known", logRecordKV(kv{"message", mpStr(known)}), map[string]any{
			"message": known, "event.code": "SMART_LIC-3-COMM_FAILED", "log.syslog.severity.code": 3.0,
			"log.syslog.severity.name": "error", "log.level": "error", "enrich.explanation": "Smart licensing communication failed.",
			"enrich.action": "Check reachability.", "enrich.product": "cisco_ios", "enrich.catalog_id": "SMART_LIC-3-COMM_FAILED"}},
		// A key that is a leading part of a field holds a value where
		// Elasticsearch needs an object: those fields are left out, and
		// the key is kept even with Overwrite.
		{"log is a value", logRecordKV(kv{"message", mpStr(known)}, kv{"log", mpStr("line")}), map[string]any{
			"message": known, "log": "line", "event.code": "SMART_LIC-3-COMM_FAILED", "enrich.explanation": "Smart licensing communication failed.",
			"enrich.action": "Check reachability.", "enrich.product": "cisco_ios", "enrich.catalog_id": "SMART_LIC-3-COMM_FAILED"}},
		{"log is a number", logRecordKV(kv{"message", mpStr(known)}, kv{"log", []byte{0x2a}}), blocked(42.0)},
		// Only flb-enrich's JSON text of an object stands for one: not another ext type, nor an empty text (last in the chunk).
		{"log is an ext of another type", logRecordKV(kv{"message", mpStr(known)}, kv{"log", []byte{0xd5, 0x01, '{', '}'}}), blocked(nil)},
		{"log is an empty JSON text", logRecordKV(kv{"message", mpStr(known)}, kv{"log", []byte{0xc7, 0x00, 'J'}}), blocked(nil)},
		{"log is the JSON text of an array", logRecordKV(kv{"message", mpStr(known)}, kv{"log", []byte{0xd5, 'J', '[', ']'}}), blocked(nil)},
		{"log is the JSON text of an object", logRecordKV(kv{"message", mpStr(known)}, kv{"log", []byte{0xd5, 'J', '{', '}'}}), map[string]any{
			"message": known, "log": nil, "event.code": "SMART_LIC-3-COMM_FAILED", "log.syslog.severity.code": 3.0,
			"log.syslog.severity.name": "error", "log.level": "error", "enrich.explanation": "Smart licensing communication failed.",
			"enrich.action": "Check reachability.", "enrich.product": "cisco_ios", "enrich.catalog_id": "SMART_LIC-3-COMM_FAILED"}},
		// Elasticsearch merges dotted names into an object (a Filebeat record's log and event), so those fields are added.
		{"log and event are objects", logRecordKV(kv{"message", mpStr(known)}, kv{"log", mpMap(0, kv{"offset", []byte{0x2a}})}, kv{"event", mpMap(2)}), map[string]any{
			"message": known, "log": map[string]any{"offset": 42.0}, "event": map[string]any{}, "event.code": "SMART_LIC-3-COMM_FAILED",
			"log.syslog.severity.code": 3.0, "log.syslog.severity.name": "error", "log.level": "error", "enrich.explanation": "Smart licensing communication failed.",
			"enrich.action": "Check reachability.", "enrich.product": "cisco_ios", "enrich.catalog_id": "SMART_LIC-3-COMM_FAILED"}},
		{"a key continues event.code", logRecordKV(kv{"message", mpStr(known)}, kv{"event.code.x", mpStr("y")}), map[string]any{
			"message": known, "event.code.x": "y", "log.syslog.severity.code": 3.0,
			"log.syslog.severity.name": "error", "log.level": "error", "enrich.explanation": "Smart licensing communication failed.",
			"enrich.action": "Check reachability.", "enrich.product": "cisco_ios", "enrich.catalog_id": "SMART_LIC-3-COMM_FAILED"}},
		{"unknown", logRecordKV(kv{"message", mpStr("%LINK-3-UPDOWN: x")}), map[string]any{
			"message": "%LINK-3-UPDOWN: x", "event.code": "LINK-3-UPDOWN", "log.syslog.severity.code": 3.0,
			"log.syslog.severity.name": "error", "log.level": "error", "enrich.product": "cisco_ios"}},
	}
	for _, overwrite := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s overwrite %v", tt.name, overwrite), func(t *testing.T) {
				e := newEngine(t, testCatalog(t), func(o *Options) { ecs(o); o.Overwrite = overwrite })
				out, _, err := e.Rewrite(nil, tt.in)
				if err != nil {
					t.Fatal(err)
				}
				if got := bodyOf(t, records(t, out)[0]); !reflect.DeepEqual(got, tt.want) {
					t.Errorf("body =\n %v\nwant\n %v", got, tt.want)
				}
			})
		}
	}
}

func TestDottedNamesValidated(t *testing.T) {
	o := DefaultOptions()
	o.Fields = ECSFieldNames() // log is also a message key
	err := o.Validate()
	var oe *OptionError
	if !errors.As(err, &oe) || !slices.Equal(oe.Options, []string{"message_key", "field_severity"}) || oe.Value != "log" {
		t.Errorf("Validate = %v, want message_key and field_severity refused for log", err)
	}
	o.MessageKeys = []string{"message"}
	if err := o.Validate(); err != nil {
		t.Errorf("ECS fields with message: %v", err)
	}
	o.Fields.Product = "enrich" // a leading part of the other enrich.* fields
	if err := o.Validate(); !errors.As(err, &oe) || oe.Value != "enrich" {
		t.Errorf("Validate = %v, want enrich refused", err)
	}
}

// TestCatalogIDAggregatesSpellings checks that every spelling of a message
// gets the entry's own ID, whatever the line prints.
func TestCatalogIDAggregatesSpellings(t *testing.T) {
	e := newEngine(t, testCatalog(t), func(o *Options) { o.Fields.CatalogID = "catalog_id" })
	for _, line := range []string{
		"%SMART_LIC-3-COMM_FAILED: Communications failure with the a : b",
		"%LICENSE-SMART_LIC-3-COMM_FAILED: Communications failure with the a : b",
		"%SMART_LIC-SW1-6-COMM_FAILED: Communications failure with the a : b",
		"smartagent[123]: SMART_LIC-3-COMM_FAILED: Communications failure with the a : b",
	} {
		out, _, err := e.Rewrite(nil, logRecord(line))
		if err != nil {
			t.Fatal(err)
		}
		body := bodyOf(t, records(t, out)[0])
		if body["catalog_id"] != "SMART_LIC-3-COMM_FAILED" {
			t.Errorf("%s: message_id %v, catalog_id %v; want catalog_id SMART_LIC-3-COMM_FAILED", line, body["message_id"], body["catalog_id"])
		}
	}
}
