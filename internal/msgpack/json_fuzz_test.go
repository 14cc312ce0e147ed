package msgpack

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzAppendRecordJSON renders arbitrary records as the stdout sink and flb-enrich do: no panic;
// a record refused leaves dst as it was; one accepted is one line of valid JSON, an object, no
// longer than linear in the record.
func FuzzAppendRecordJSON(f *testing.F) {
	ts := eventTime(1700000000, 5, false)
	for _, r := range [][]byte{
		record(ts, emptyMeta, mpMap(0, kv{"log", AppendStr(nil, "x\n\"\xff")}, kv{"date", []byte{0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0}})),
		record([]byte{0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, emptyMeta, []byte{0x92, 0xc4, 0x01, 0x80, 0xd4, 0x01, 0x02}),
		cat([]byte{0x92}, ts, []byte{0x81, 0x81, 0xa1, 'a', 0xc0, 0xca, 0x7f, 0x7f, 0xff, 0xff}),
		cat([]byte{0x92, 0x92}, ts, []byte{0x81, 0xa1, 'm', 0x01, 0x81, 0xa4, 'd', 'a', 't', 'e', 0xa0}),
	} {
		f.Add(r)
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		got, err := AppendRecordJSON([]byte("prefix"), rec, false)
		if err != nil {
			if string(got) != "prefix" {
				t.Fatalf("AppendRecordJSON refused %x (%v) and left %q, want prefix", rec, err, got)
			}
			return
		}
		out, ok := bytes.CutPrefix(got, []byte("prefix"))
		var obj map[string]any
		if !ok || bytes.ContainsAny(out, "\r\n") || json.Unmarshal(out, &obj) != nil || obj == nil {
			t.Fatalf("AppendRecordJSON(%x) = %q, want one line of a JSON object", rec, out)
		}
		if len(out) > 64*len(rec)+64 {
			t.Errorf("AppendRecordJSON of %d bytes wrote %d", len(rec), len(out))
		}
		AppendRecordJSON(nil, rec, true) // JSONTextExt values written as they are: no panic
	})
}
