package wire

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"
)

func TestAppendDecodeRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		enc  []byte
		want any
	}{
		{name: "fixint", enc: AppendUint(nil, 5), want: int64(5)},
		{name: "uint8", enc: AppendUint(nil, 200), want: int64(200)},
		{name: "uint16", enc: AppendUint(nil, 60000), want: int64(60000)},
		{name: "uint32", enc: AppendUint(nil, 1<<31), want: int64(1 << 31)},
		{name: "uint64 big", enc: AppendUint(nil, math.MaxUint64), want: uint64(math.MaxUint64)},
		{name: "fixstr", enc: AppendStr(nil, "ack"), want: "ack"},
		{name: "str8", enc: AppendStr(nil, string(bytes.Repeat([]byte("a"), 40))), want: string(bytes.Repeat([]byte("a"), 40))},
		{name: "str16", enc: AppendStr(nil, string(bytes.Repeat([]byte("b"), 300))), want: string(bytes.Repeat([]byte("b"), 300))},
		{name: "str32", enc: AppendStr(nil, string(bytes.Repeat([]byte("c"), 70000))), want: string(bytes.Repeat([]byte("c"), 70000))},
		{name: "bin8", enc: AppendBin(nil, []byte{1, 2}), want: []byte{1, 2}},
		{name: "bin16", enc: AppendBin(nil, make([]byte, 300)), want: make([]byte, 300)},
		{name: "bin32", enc: AppendBin(nil, make([]byte, 70000)), want: make([]byte, 70000)},
		{name: "bool", enc: AppendBool(nil, true), want: true},
		{name: "array16", enc: AppendArrayHeader(nil, 0x10), want: nil},
		{name: "map", enc: AppendUint(AppendStr(AppendMapHeader(nil, 1), "size"), 3), want: map[string]any{"size": int64(3)}},
		{name: "event time", enc: []byte{0xd7, 0, 0, 0, 0, 1, 0, 0, 0, 2}, want: EventTime{Sec: 1, Nsec: 2}},
		{name: "ext8 event time", enc: []byte{0xc7, 8, 0, 0, 0, 0, 1, 0, 0, 0, 2}, want: EventTime{Sec: 1, Nsec: 2}},
		{name: "other ext", enc: []byte{0xd4, 5, 9}, want: Ext{Type: 5, Data: []byte{9}}},
		{name: "negative fixint", enc: []byte{0xff}, want: int64(-1)},
		{name: "int16", enc: []byte{0xd1, 0xff, 0x00}, want: int64(-256)},
		{name: "float64", enc: []byte{0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}, want: 1.5},
		{name: "nil", enc: []byte{0xc0}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "array16" {
				// 16 elements need the array16 form.
				if tt.enc[0] != 0xdc {
					t.Fatalf("AppendArrayHeader(16) = %x, want array16", tt.enc)
				}
				return
			}
			n, err := Skip(tt.enc)
			if err != nil || n != len(tt.enc) {
				t.Fatalf("Skip = %d, %v; want %d", n, err, len(tt.enc))
			}
			got, rest, err := Decode(tt.enc)
			if err != nil || len(rest) != 0 {
				t.Fatalf("Decode = %v, rest %d, %v", got, len(rest), err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Decode = %#v, want %#v", got, tt.want)
			}
			for cut := 0; cut < len(tt.enc); cut++ {
				if _, err := Skip(tt.enc[:cut]); !errors.Is(err, ErrShort) {
					t.Fatalf("Skip of %d of %d bytes = %v, want ErrShort", cut, len(tt.enc), err)
				}
			}
		})
	}
}

func TestSkipRejectsReservedByte(t *testing.T) {
	if _, err := Skip([]byte{0xc1}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Skip(0xc1) = %v, want ErrInvalid", err)
	}
}

func TestDecodeDepthLimit(t *testing.T) {
	deep := bytes.Repeat([]byte{0x91}, maxDepth+10)
	deep = append(deep, 0x01)
	if n, err := Skip(deep); err != nil || n != len(deep) {
		t.Fatalf("Skip of deep nesting = %d, %v; want it to succeed iteratively", n, err)
	}
	if _, _, err := Decode(deep); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Decode of deep nesting = %v, want ErrInvalid", err)
	}
}

// FuzzSkipDecode checks that the two readers never panic and agree on object boundaries.
func FuzzSkipDecode(f *testing.F) {
	f.Add([]byte{0x93, 0xa1, 't', 0xc4, 0x00, 0x80})
	f.Add(AppendUint(AppendStr(AppendMapHeader(nil, 1), "ack"), 1))
	f.Add([]byte{0xdf, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0xc7, 8, 0, 0, 0, 0, 1, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, serr := Skip(b)
		_, rest, derr := Decode(b)
		if derr == nil {
			if serr != nil {
				t.Fatalf("Decode accepted what Skip rejected: %v", serr)
			}
			if n != len(b)-len(rest) {
				t.Fatalf("Skip consumed %d bytes, Decode %d", n, len(b)-len(rest))
			}
		}
		if serr == nil && n > len(b) {
			t.Fatalf("Skip returned %d for %d bytes", n, len(b))
		}
	})
}
