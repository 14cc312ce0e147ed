package msgpack

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

// mpText encodes s as a JSONTextExt value.
func mpText(s string) []byte {
	out := []byte{0xc9, byte(len(s) >> 24), byte(len(s) >> 16), byte(len(s) >> 8), byte(len(s)), byte(JSONTextExt)}
	return append(out, s...)
}

func TestAppendRecordJSON(t *testing.T) {
	ts := eventTime(1700000000, 5, false)
	str := func(s string) []byte { return AppendStr(nil, s) }
	f64 := func(f float64) []byte { return binary.BigEndian.AppendUint64([]byte{0xcb}, math.Float64bits(f)) }
	tests := []struct {
		name      string
		record    []byte
		want      string
		wantPlain string // the output without text, when it differs
	}{
		{"time first", record(ts, emptyMeta, mpMap(0, kv{"log", str("x")})),
			`{"date":1700000000.000000005,"log":"x"}`, ""},
		{"empty body", record(ts, emptyMeta, mpMap(0)), `{"date":1700000000.000000005}`, ""},
		{"a date key of the record wins", record(ts, emptyMeta, mpMap(0, kv{"log", str("x")}, kv{"date", str("today")})),
			`{"log":"x","date":"today"}`, ""},
		{"a bin date key of the record wins", record(ts, emptyMeta, []byte{0x81, 0xc4, 4, 'd', 'a', 't', 'e', 0xa1, 'x'}),
			`{"date":"x"}`, ""},
		{"nested date key does not count", record(ts, emptyMeta, mpMap(0, kv{"a", mpMap(0, kv{"date", []byte{0x01}})})),
			`{"date":1700000000.000000005,"a":{"date":1}}`, ""},
		{"json text kept as written", record(ts, emptyMeta, mpMap(5, kv{"n", mpText("18446744073709551615")}, kv{"f", mpText("1.0")}, kv{"big", mpText("1e400")}, kv{"o", mpText(`{"a":[1,2.50]}`)})),
			`{"date":1700000000.000000005,"n":18446744073709551615,"f":1.0,"big":1e400,"o":{"a":[1,2.50]}}`,
			`{"date":1700000000.000000005,"n":null,"f":null,"big":null,"o":null}`},
		{"body not a map", record(ts, emptyMeta, str("x")), `{"date":1700000000.000000005,"body":"x"}`, ""},
		// Floats from 1e-6 to 1e21 are written without an exponent, as encoding/json writes them, so
		// that a float time reads as seconds, as Fluent Bit writes it.
		{"float time and values", cat([]byte{0x92}, f64(1700000000.25), mpMap(0, kv{"a", f64(123456789)}, kv{"b", f64(1e-6)},
			kv{"c", f64(1e21)}, kv{"d", f64(-2.5e-7)}, kv{"e", f64(math.Copysign(0, -1))}, kv{"f", f64(0.1)}, kv{"g", f64(-1.5)})),
			`{"date":1700000000.25,"a":123456789,"b":0.000001,"c":1e+21,"d":-2.5e-07,"e":-0,"f":0.1,"g":-1.5}`, ""},
		{"floats, NaN and infinity null", record(ts, emptyMeta, mpMap(0, kv{"f32", binary.BigEndian.AppendUint32([]byte{0xca}, math.Float32bits(1.5))},
			kv{"f64", binary.BigEndian.AppendUint64([]byte{0xcb}, math.Float64bits(0.1))},
			kv{"nan", binary.BigEndian.AppendUint64([]byte{0xcb}, math.Float64bits(math.NaN()))},
			kv{"inf", binary.BigEndian.AppendUint32([]byte{0xca}, math.Float32bits(float32(math.Inf(-1))))})),
			`{"date":1700000000.000000005,"f32":1.5,"f64":0.1,"nan":null,"inf":null}`, ""},
		// An EventTime whose nanoseconds reach a second (not normalised by its writer) is
		// written as seconds + nanoseconds / 1e9, not its last nine digits.
		{"event time nanoseconds past a second", record(eventTime(1, 1500000000, false), emptyMeta, mpMap(0, kv{"t", eventTime(1, 4294967295, true)})),
			`{"date":2.500000000,"t":5.294967295}`, ""},
		{"metadata skipped", record(ts, mpMap(0, kv{"m", str("meta")}), mpMap(0, kv{"log", str("x")})),
			`{"date":1700000000.000000005,"log":"x"}`, ""},
		{"empty time array", cat([]byte{0x92, 0x90}, []byte{0x05}), `{"date":null,"body":5}`, ""},
		{"booleans, arrays and integers past int64", record(ts, emptyMeta, mpMap(0, kv{"t", []byte{0xc3}}, kv{"f", []byte{0xc2}},
			kv{"a", []byte{0x93, 0x01, 0xc0, 0xff}}, kv{"u", []byte{0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}})),
			`{"date":1700000000.000000005,"t":true,"f":false,"a":[1,null,-1],"u":18446744073709551614}`, ""},
		// DEL is escaped, alone and inside a run of plain bytes.
		{"delete escaped", record(ts, emptyMeta, mpMap(0, kv{"s", str("\x7fabcdefgh\x7f")})),
			`{"date":1700000000.000000005,"s":"\u007fabcdefgh\u007f"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendRecordJSON([]byte("prefix"), tt.record, true)
			if err != nil {
				t.Fatalf("AppendRecordJSON text: %v", err)
			}
			if got, want := string(got), "prefix"+tt.want; got != want {
				t.Errorf("AppendRecordJSON text = %s, want %s", got, want)
			}
			wantPlain := tt.wantPlain
			if wantPlain == "" {
				wantPlain = tt.want
			}
			plain, err := AppendRecordJSON(nil, tt.record, false)
			if err != nil {
				t.Fatalf("AppendRecordJSON: %v", err)
			}
			if got := string(plain); got != wantPlain {
				t.Errorf("AppendRecordJSON = %s, want %s", got, wantPlain)
			}
		})
	}
}

func TestAppendJSONString(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"empty", ""},
		{"ascii", "%ASA-6-722051: Group <g> User <u> IP <1.2.3.4>"},
		{"japanese", "指摘されたアドレスが、指摘されたユーザーに割り当てられました。"},
		{"mixed", "IP アドレス 192.0.2.1 の ASA が、ユーザー <u> に"},
		{"two-byte and four-byte", "café ü 😀 ok"},
		{"escapes in a long run", strings.Repeat("abcdefg", 5) + "\"\\\n\r\t\x00\x1f\x7f" + strings.Repeat("xyz", 9)},
		{"control byte in a plain run", "abcdefgh\x1fijklmnop"},
		{"special at every offset", "0123456789\"0123456789\\0123456789\x010123456789"},
		{"surrogate encoded", "a\xed\xa0\x80b"},
		{"overlong three-byte", "a\xe0\x80\x80b"},
		{"invalid utf-8", "ab\xffcd\xe3\x81"},
		{"truncated three-byte at end", "日本\xe6\x97"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendJSONString(nil, []byte(tt.in))
			// encoding/json also replaces invalid UTF-8 when decoding: the output itself must be valid.
			if !utf8.Valid(got) {
				t.Errorf("AppendJSONString(%q) = %q, not valid UTF-8", tt.in, got)
			}
			var back string
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("%s is not a JSON string: %v", got, err)
			}
			// Each byte that is not part of valid UTF-8 becomes U+FFFD.
			want := string([]rune(tt.in))
			if back != want {
				t.Errorf("AppendJSONString(%q) = %s, decodes to %q, want %q", tt.in, got, back, want)
			}
		})
	}
}

func TestAppendRecordJSONDepth(t *testing.T) {
	ts := eventTime(1700000000, 5, false)
	nested := func(depth int) []byte { // depth arrays around a 1 under the key "a"
		return record(ts, emptyMeta, mpMap(0, kv{"a", append(bytes.Repeat([]byte{0x91}, depth), 0x01)}))
	}
	if _, err := AppendRecordJSON(nil, nested(maxJSONDepth-1), false); err != nil {
		t.Errorf("AppendRecordJSON of %d nested arrays: %v, want no error", maxJSONDepth-1, err)
	}
	if got, err := AppendRecordJSON([]byte("prefix"), nested(maxJSONDepth), false); err == nil || string(got) != "prefix" {
		t.Errorf("AppendRecordJSON of %d nested arrays = %q, %v; want prefix and an error", maxJSONDepth, got, err)
	}
	if got, err := AppendRecordJSON([]byte("prefix"), nested(maxJSONDepth+1), false); err == nil || string(got) != "prefix" {
		t.Errorf("AppendRecordJSON of %d nested arrays = %q, %v; want prefix and an error", maxJSONDepth+1, got, err)
	}
	// A key that is not a string is written as its JSON text, which each such key around it escapes
	// again, doubling its backslashes: keys nested in keys must not make the output grow exponentially.
	keys := func(levels int) []byte { // maps as keys of maps, "a" the innermost key, nil every value
		key := AppendStr(nil, "a")
		for range levels {
			key = append(append([]byte{0x81}, key...), 0xc0)
		}
		return record(ts, emptyMeta, append(append([]byte{0x81}, key...), 0xc0))
	}
	if got, err := AppendRecordJSON(nil, keys(1), false); err != nil || string(got) != `{"date":1700000000.000000005,"{\"a\":null}":null}` {
		t.Errorf("AppendRecordJSON of a map key = %s, %v; want its JSON text in quotes", got, err)
	}
	for _, levels := range []int{2, 3, 20} {
		rec := keys(levels)
		if got, err := AppendRecordJSON(nil, rec, false); err == nil && len(got) > 64*len(rec) {
			t.Errorf("AppendRecordJSON of maps as keys %d levels deep (%d bytes) = %d bytes, want an error or at most %d",
				levels, len(rec), len(got), 64*len(rec))
		}
	}
}

func TestAppendRecordJSONRejects(t *testing.T) {
	ts := eventTime(1700000000, 5, false)
	tests := []struct {
		name   string
		record []byte
	}{
		{"not an array", mpMap(0, kv{"log", AppendStr(nil, "x")})},
		{"one element", cat([]byte{0x91}, ts)},
		{"three elements", cat([]byte{0x93}, ts, emptyMeta, emptyMeta)},
		// Records cut short or holding the unused type byte c1, as fuzzing finds them.
		{"time cut short", []byte{0x92, 0xcf, 0x00}},
		{"body of the unused type byte", cat([]byte{0x92}, ts, []byte{0xc1})},
		{"body cut inside a string", cat([]byte{0x92}, ts, []byte{0xa5, 'a'})},
		{"key of the unused type byte", cat([]byte{0x92}, ts, []byte{0x81, 0xc1, 0xc0})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := AppendRecordJSON([]byte("prefix"), tt.record, false); err == nil || string(got) != "prefix" {
				t.Errorf("AppendRecordJSON = %q, %v; want prefix and an error", got, err)
			}
		})
	}
	if got, err := AppendPairsJSON([]byte("prefix"), []byte{0xa1, 'k', 0xa5, 'v'}, 1); err == nil || string(got) != "prefix" {
		t.Errorf("AppendPairsJSON of a value cut short = %q, %v; want prefix and an error", got, err)
	}
}
