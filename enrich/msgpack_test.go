package enrich

import "testing"

func TestIsForwardEntry(t *testing.T) {
	et := eventTime(1, 0, false)
	cat := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name string
		b    []byte
		want bool
	}{
		{"fluent bit 2.1 record", logRecord("x"), true},
		{"legacy int time", []byte{0x92, 0x01, 0x80}, true},
		{"legacy float time", []byte{0x92, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0, 0x80}, true},
		{"legacy event time", cat([]byte{0x92}, et, []byte{0x80}), true},
		{"ext8 event time", []byte{0x92, 0xc7, 0x08, 0x00, 0, 0, 0, 1, 0, 0, 0, 0, 0x80}, true},
		{"32-bit headers", cat([]byte{0xdd, 0, 0, 0, 2, 0xdc, 0, 2}, et, []byte{0xdf, 0, 0, 0, 0, 0xdf, 0, 0, 0, 0}), true},
		{"tail record with 32-bit maps", cat([]byte{0x92, 0x92}, et, []byte{0xdf, 0, 0, 0, 0, 0xdf, 0, 0, 0, 0}), true},
		{"tail record with metadata", cat([]byte{0x92, 0x92}, et, []byte{0xdf, 0, 0, 0, 1, 0xa1, 'k', 0x01, 0x80}), true},
		{"16-bit body map", cat([]byte{0x92, 0x92}, et, []byte{0x80, 0xde, 0, 0}), true},
		{"tail record, body not a map", cat([]byte{0x92, 0x92}, et, []byte{0xdf, 0, 0, 0, 0, 0x01}), false},
		{"fixmap metadata, body not a map", cat([]byte{0x92, 0x92}, et, []byte{0x80, 0xa1, 'x'}), false},
		{"not an array", []byte{0x01}, false},
		{"array of three", []byte{0x93, 0x01, 0x80, 0x80}, false},
		{"body not a map", []byte{0x92, 0x01, 0xa1, 'x'}, false},
		{"time is a string", []byte{0x92, 0xa1, 'x', 0x80}, false},
		{"ext of another type", []byte{0x92, 0xd7, 0x05, 0, 0, 0, 1, 0, 0, 0, 0, 0x80}, false},
		{"ext16 of eight bytes", []byte{0x92, 0xc8, 0, 8, 0x00, 0, 0, 0, 1, 0, 0, 0, 0, 0x80}, false},
		{"metadata not a map", cat([]byte{0x92, 0x92}, et, []byte{0x01, 0x80}), false},
		{"header array of one", cat([]byte{0x92, 0x91}, et, []byte{0x80}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n, err := RecordEnd(tt.b); err != nil || n != len(tt.b) {
				t.Fatalf("RecordEnd = %d, %v: test value must be one complete msgpack object of %d bytes", n, err, len(tt.b))
			}
			if got := IsForwardEntry(tt.b); got != tt.want {
				t.Errorf("IsForwardEntry(% x) = %v, want %v", tt.b, got, tt.want)
			}
		})
	}
}

func TestAppendStr(t *testing.T) {
	tests := []struct {
		name string
		n    int
		hdr  []byte
	}{
		{"fixstr", 31, []byte{0xbf}},
		{"str8", 32, []byte{0xd9, 32}},
		{"str16", 256, []byte{0xda, 1, 0}},
		{"str32", 1 << 16, []byte{0xdb, 0, 1, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := string(make([]byte, tt.n))
			got := AppendStr([]byte{0x01}, s)
			want := append(append([]byte{0x01}, tt.hdr...), s...)
			if string(got) != string(want) {
				t.Errorf("AppendStr of %d bytes starts % x, want % x", tt.n, got[:min(len(got), 6)], want[:min(len(want), 6)])
			}
		})
	}
}
