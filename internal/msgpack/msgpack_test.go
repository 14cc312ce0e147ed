package msgpack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"
)

// The builders below write records by hand so that tests control every
// header width and timestamp form.

// eventTime encodes an EventTime in the d7 00 form, or c7 08 00 when long.
func eventTime(sec, nsec uint32, long bool) []byte {
	out := []byte{0xd7, 0x00}
	if long {
		out = []byte{0xc7, 0x08, 0x00}
	}
	out = binary.BigEndian.AppendUint32(out, sec)
	return binary.BigEndian.AppendUint32(out, nsec)
}

// kv is one body pair: a key and an already encoded value.
type kv struct {
	k string
	v []byte
}

// mpMap encodes pairs under a header of at least size bytes (1, 3 or 5).
func mpMap(size int, pairs ...kv) []byte {
	out := AppendMapHeaderSize(nil, len(pairs), size)
	for _, p := range pairs {
		out = AppendStr(out, p.k)
		out = append(out, p.v...)
	}
	return out
}

// record encodes [[ts, meta], body].
func record(ts, meta, body []byte) []byte {
	return cat([]byte{0x92, 0x92}, ts, meta, body)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// appendBin appends p as a bin.
func appendBin(b, p []byte) []byte { return append(AppendBinHeader(b, len(p)), p...) }

var emptyMeta = []byte{0x80}

func TestAppend(t *testing.T) {
	long := func(c byte, n int) []byte { return bytes.Repeat([]byte{c}, n) }
	tests := []struct {
		name      string
		got, want []byte
	}{
		{"fixint", AppendUint(nil, 5), []byte{5}},
		{"fixint of 127", AppendUint(nil, 0x7f), []byte{0x7f}},
		{"uint8", AppendUint(nil, 200), []byte{0xcc, 200}},
		{"uint8 of 255", AppendUint(nil, math.MaxUint8), []byte{0xcc, 0xff}},
		{"uint16", AppendUint(nil, 60000), []byte{0xcd, 0xea, 0x60}},
		{"uint16 of 65535", AppendUint(nil, math.MaxUint16), []byte{0xcd, 0xff, 0xff}},
		{"uint32", AppendUint(nil, 1<<31), []byte{0xce, 0x80, 0, 0, 0}},
		{"uint32 of 2^32-1", AppendUint(nil, math.MaxUint32), []byte{0xce, 0xff, 0xff, 0xff, 0xff}},
		{"uint64 big", AppendUint(nil, math.MaxUint64), cat([]byte{0xcf}, long(0xff, 8))},
		{"fixstr", AppendStr(nil, "ack"), []byte{0xa3, 'a', 'c', 'k'}},
		{"fixstr of 31", AppendStr(nil, long('a', 31)), cat([]byte{0xbf}, long('a', 31))},
		{"str8", AppendStr(nil, string(long('a', 40))), cat([]byte{0xd9, 40}, long('a', 40))},
		{"str8 of 32", AppendStr([]byte{1}, long('a', 32)), cat([]byte{1, 0xd9, 32}, long('a', 32))},
		{"str8 of 255", AppendStr(nil, long('a', 255)), cat([]byte{0xd9, 255}, long('a', 255))},
		{"str16 of 256", AppendStr(nil, long('a', 256)), cat([]byte{0xda, 1, 0}, long('a', 256))},
		{"str16 of 65535", AppendStr(nil, long('a', math.MaxUint16)), cat([]byte{0xda, 0xff, 0xff}, long('a', math.MaxUint16))},
		{"str32 of 65536", AppendStr(nil, long('a', 1<<16)), cat([]byte{0xdb, 0, 1, 0, 0}, long('a', 1<<16))},
		{"str16", AppendStr(nil, string(long('b', 300))), cat([]byte{0xda, 1, 44}, long('b', 300))},
		{"str32", AppendStr(nil, long('c', 70000)), cat([]byte{0xdb, 0, 1, 0x11, 0x70}, long('c', 70000))},
		{"bin8", appendBin(nil, []byte{1, 2}), []byte{0xc4, 2, 1, 2}},
		{"bin16", appendBin(nil, make([]byte, 300)), cat([]byte{0xc5, 1, 44}, make([]byte, 300))},
		{"bin32", appendBin(nil, make([]byte, 70000)), cat([]byte{0xc6, 0, 1, 0x11, 0x70}, make([]byte, 70000))},
		{"fixarray", AppendArrayHeader(nil, 15), []byte{0x9f}},
		{"array16", AppendArrayHeader(nil, 0x10), []byte{0xdc, 0, 0x10}},
		{"array32", AppendArrayHeader(nil, 1<<16), []byte{0xdd, 0, 1, 0, 0}},
		{"map", AppendUint(AppendStr(AppendMapHeader(nil, 1), "size"), 3), []byte{0x81, 0xa4, 's', 'i', 'z', 'e', 3}},
		{"map16", AppendMapHeader(nil, 16), []byte{0xde, 0, 16}},
		{"map16 of 65535", AppendMapHeader(nil, 0xffff), []byte{0xde, 0xff, 0xff}},
		{"map kept 16-bit at 65535", AppendMapHeaderSize(nil, 0xffff, 3), []byte{0xde, 0xff, 0xff}},
		{"map kept 32-bit", AppendMapHeaderSize(nil, 1, 5), []byte{0xdf, 0, 0, 0, 1}},
		{"map kept 16-bit", AppendMapHeaderSize(nil, 1, 3), []byte{0xde, 0, 1}},
		{"fixmap grows", AppendMapHeaderSize(nil, 1<<16, 1), []byte{0xdf, 0, 1, 0, 0}},
		{"entry head", AppendEntryHead(nil, time.Unix(1700000000, 5)), cat([]byte{0x92, 0x92}, eventTime(1700000000, 5, false), emptyMeta)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Equal(tt.got, tt.want) {
				t.Errorf("got % x, want % x", tt.got[:min(len(tt.got), 12)], tt.want[:min(len(tt.want), 12)])
			}
		})
	}
}

func TestPutMapHeader(t *testing.T) {
	for _, size := range []int{1, 3, 5} {
		b := AppendMapHeaderSize(nil, 0, size)
		PutMapHeader(b, 9, size)
		if got, want := b, AppendMapHeaderSize(nil, 9, size); !bytes.Equal(got, want) {
			t.Errorf("size %d: got % x, want % x", size, got, want)
		}
	}
}

func TestSkip(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
	}{
		{"fixint", []byte{5}},
		{"uint64", AppendUint(nil, math.MaxUint64)},
		{"str8", AppendStr(nil, string(make([]byte, 40)))},
		{"str16", AppendStr(nil, string(make([]byte, 300)))},
		{"str32", AppendStr(nil, string(make([]byte, 70000)))},
		{"bin16", appendBin(nil, make([]byte, 300))},
		{"map", AppendUint(AppendStr(AppendMapHeader(nil, 1), "size"), 3)},
		{"event time", []byte{0xd7, 0, 0, 0, 0, 1, 0, 0, 0, 2}},
		{"ext8 event time", []byte{0xc7, 8, 0, 0, 0, 0, 1, 0, 0, 0, 2}},
		{"other ext", []byte{0xd4, 5, 9}},
		{"fixext16", cat([]byte{0xd8, 5}, make([]byte, 16))},
		{"ext16", cat([]byte{0xc8, 1, 0, 5}, make([]byte, 256))},
		{"negative fixint", []byte{0xff}},
		{"int16", []byte{0xd1, 0xff, 0x00}},
		{"float64", []byte{0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}},
		{"nil", []byte{0xc0}},
		{"record", record(eventTime(1, 2, false), emptyMeta, mpMap(5, kv{"log", AppendStr(nil, "x")}))},
		{"nested arrays", append(bytes.Repeat([]byte{0x91}, 1000), 0x01)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n, err := Skip(append(tt.b, 0xc0)); err != nil || n != len(tt.b) {
				t.Fatalf("Skip = %d, %v; want %d", n, err, len(tt.b))
			}
			for cut := 0; cut < len(tt.b); cut++ {
				if _, err := Skip(tt.b[:cut]); !errors.Is(err, ErrShort) {
					t.Fatalf("Skip of %d of %d bytes = %v, want ErrShort", cut, len(tt.b), err)
				}
			}
		})
	}
}

func TestSkipRejects(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"reserved byte", []byte{0xc1}, ErrInvalid},
		{"reserved byte inside", []byte{0x92, 0x01, 0xc1}, ErrInvalid},
		{"huge map count", []byte{0xdf, 0xff, 0xff, 0xff, 0xff, 0x01, 0x01}, ErrShort},
		{"huge str length", []byte{0xdb, 0xff, 0xff, 0xff, 0xff, 'x'}, ErrShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Skip(tt.b); !errors.Is(err, tt.want) {
				t.Errorf("Skip(% x) = %v, want %v", tt.b, err, tt.want)
			}
		})
	}
}

func TestReadInt(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want int64
	}{
		{"fixint", []byte{5}, 5},
		{"uint8", AppendUint(nil, 200), 200},
		{"uint16", AppendUint(nil, 60000), 60000},
		{"uint32", AppendUint(nil, 1<<31), 1 << 31},
		{"uint64", AppendUint(nil, math.MaxInt64), math.MaxInt64},
		{"negative fixint", []byte{0xff}, -1},
		{"int8", []byte{0xd0, 0x80}, -128},
		{"int16", []byte{0xd1, 0xff, 0x00}, -256},
		{"int32", []byte{0xd2, 0xff, 0xff, 0xff, 0xfe}, -2},
		{"int64", []byte{0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0}, math.MinInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rest, err := ReadInt(append(tt.b, 0xc0))
			if err != nil || got != tt.want || !bytes.Equal(rest, []byte{0xc0}) {
				t.Errorf("ReadInt(% x) = %d, rest % x, %v; want %d", tt.b, got, rest, err, tt.want)
			}
		})
	}
	for _, b := range [][]byte{AppendUint(nil, math.MaxUint64), AppendUint(nil, math.MaxInt64+1), {0xc0}, {0xcd, 1}} {
		if _, _, err := ReadInt(b); err == nil {
			t.Errorf("ReadInt(% x) succeeded, want an error", b)
		}
	}
}

func TestReadStrOrBin(t *testing.T) {
	str, bin := AppendStr(nil, "nonce"), appendBin(nil, []byte("nonce"))
	for _, b := range [][]byte{str, bin} {
		v, rest, err := ReadStrOrBin(append(b, 0xc3))
		if err != nil || string(v) != "nonce" || !bytes.Equal(rest, []byte{0xc3}) {
			t.Errorf("ReadStrOrBin(% x) = %q, rest % x, %v", b, v, rest, err)
		}
	}
	if _, _, err := ReadStr(bin); !errors.Is(err, ErrInvalid) {
		t.Errorf("ReadStr of a bin = %v, want ErrInvalid", err)
	}
	if _, _, err := ReadStr(str[:3]); !errors.Is(err, ErrShort) {
		t.Errorf("ReadStr of a cut str = %v, want ErrShort", err)
	}
	if v, _, err := ReadBool([]byte{0xc3}); err != nil || !v {
		t.Errorf("ReadBool(c3) = %v, %v", v, err)
	}
	if _, _, err := ReadBool([]byte{0x01}); !errors.Is(err, ErrInvalid) {
		t.Errorf("ReadBool(01) = %v, want ErrInvalid", err)
	}
}

func TestIsForwardEntry(t *testing.T) {
	et := eventTime(1, 0, false)
	tests := []struct {
		name string
		b    []byte
		want bool
	}{
		{"fluent bit 2.1 record", record(eventTime(1700000000, 0, false), emptyMeta, mpMap(1, kv{"log", AppendStr(nil, "x")})), true},
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
		{"ext8 of four bytes", []byte{0x92, 0xc7, 0x04, 0x00, 0, 0, 0, 1, 0x80}, false},
		{"ext16 of eight bytes", []byte{0x92, 0xc8, 0, 8, 0x00, 0, 0, 0, 1, 0, 0, 0, 0, 0x80}, false},
		// Fluent Bit's decoder refuses a float32 (MSGPACK_OBJECT_FLOAT32), a negative integer and a group
		// marker's seconds with nanoseconds, and the records after them.
		{"legacy float32 time", []byte{0x92, 0xca, 0x4e, 0xcc, 0xc1, 0x70, 0x80}, false},
		{"header float32 time", []byte{0x92, 0x92, 0xca, 0x4e, 0xcc, 0xc1, 0x70, 0x80, 0x80}, false},
		{"legacy negative fixint time", []byte{0x92, 0xfb, 0x80}, false},
		{"legacy negative int64 time", []byte{0x92, 0xd3, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x80}, false},
		{"legacy int8 time that is not negative", []byte{0x92, 0xd0, 0x01, 0x80}, true},
		{"legacy int64 time that is not negative", []byte{0x92, 0xd3, 0, 0, 0, 0, 0x66, 0x6a, 0x0a, 0x80, 0x80}, true},
		{"group start", cat([]byte{0x92, 0x92}, eventTime(0xFFFFFFFF, 0, false), []byte{0x80, 0x80}), true},
		{"group start seconds with nanoseconds", cat([]byte{0x92, 0x92}, eventTime(0xFFFFFFFF, 1, false), []byte{0x80, 0x80}), false},
		{"group end seconds with nanoseconds, ext8", cat([]byte{0x92, 0x92}, eventTime(0xFFFFFFFE, 1, true), []byte{0x80, 0x80}), false},
		{"legacy group end seconds with nanoseconds", cat([]byte{0x92}, eventTime(0xFFFFFFFE, 1, false), []byte{0x80}), false},
		{"seconds below a group end's, with nanoseconds", cat([]byte{0x92, 0x92}, eventTime(0xFFFFFFFD, 1, false), []byte{0x80, 0x80}), true},
		// It refuses nanoseconds of a second or more (flb_time_is_valid_eventtime).
		{"nanoseconds of 10^9", cat([]byte{0x92, 0x92}, eventTime(1, 1e9, false), []byte{0x80, 0x80}), false},
		{"legacy nanoseconds of 10^9, ext8", cat([]byte{0x92}, eventTime(1, 1e9, true), []byte{0x80}), false},
		{"nanoseconds of 10^9-1", cat([]byte{0x92, 0x92}, eventTime(1, 1e9-1, false), []byte{0x80, 0x80}), true},
		// It reads an integer above 2^63-1 as negative seconds, which it drops, or a marker of -1 or -2.
		{"legacy uint64 time above int64", []byte{0x92, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80}, false},
		{"legacy uint64 time of 2^63-1", []byte{0x92, 0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80}, true},
		// A float64's seconds are its whole part, which must not be negative: -0.5 is 0.
		{"legacy float time of -0.5", []byte{0x92, 0xcb, 0xbf, 0xe0, 0, 0, 0, 0, 0, 0, 0x80}, true},
		{"legacy float time of -1", []byte{0x92, 0xcb, 0xbf, 0xf0, 0, 0, 0, 0, 0, 0, 0x80}, false},
		{"legacy float time NaN", []byte{0x92, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0, 0x80}, false},
		{"legacy float time of 2^63", []byte{0x92, 0xcb, 0x43, 0xe0, 0, 0, 0, 0, 0, 0, 0x80}, false},
		{"metadata not a map", cat([]byte{0x92, 0x92}, et, []byte{0x01, 0x80}), false},
		{"header array of one", cat([]byte{0x92, 0x91}, et, []byte{0x80}), false},
		// Shaped like Fluent Bit's own records but for one byte: the quick path must not take them.
		{"record array of three", cat([]byte{0x93, 0x92}, et, []byte{0x80, 0x80, 0x01}), false},
		{"header array of three", cat([]byte{0x92, 0x93}, et, []byte{0x80, 0x80, 0x80}), false},
		{"header time a string", cat([]byte{0x92, 0x92, 0xa9}, make([]byte, 9), []byte{0x80, 0x80}), false},
		{"header time an ext of another type", cat([]byte{0x92, 0x92, 0xd7, 0x01}, make([]byte, 8), []byte{0x80, 0x80}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n, err := Skip(tt.b); err != nil || n != len(tt.b) {
				t.Fatalf("Skip = %d, %v: test value must be one complete msgpack object of %d bytes", n, err, len(tt.b))
			}
			if got := IsForwardEntry(tt.b); got != tt.want {
				t.Errorf("IsForwardEntry(% x) = %v, want %v", tt.b, got, tt.want)
			}
			// A flush asks it of every record, and of every item that is not one.
			if n := testing.AllocsPerRun(10, func() { IsForwardEntry(tt.b) }); n != 0 {
				t.Errorf("IsForwardEntry(% x) allocates %v times, want 0", tt.b, n)
			}
		})
	}
}
