// Package msgpack reads and writes the part of MessagePack the plugin uses,
// on byte slices without reflection, so that the hot paths do not allocate.
package msgpack

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

var (
	// ErrShort reports input that ends inside a value: more bytes may complete it.
	ErrShort = errors.New("msgpack: input ends inside a value")
	// ErrInvalid reports bytes that are not MessagePack, or not of the expected type.
	ErrInvalid = errors.New("msgpack: invalid or unexpected data")
)

// Kind is the family of a value.
type Kind uint8

// The kinds; Invalid is the type byte 0xc1, which MessagePack never uses.
const (
	Invalid Kind = iota
	Nil
	Bool
	Int // negative fixint and the signed encodings
	Uint
	Float
	Str
	Bin
	Array
	Map
	Ext
)

// Header is a decoded value header.
type Header struct {
	Kind Kind
	N    int  // array elements, map pairs, else payload bytes (0 for fixints, nil, bools)
	Size int  // bytes taken by the header itself
	Ext  int8 // the type of an Ext
}

// typeInfo is a type byte's kind, header size, length field width and N when it has none.
type typeInfo struct {
	kind          Kind
	size, lenW, n uint8
}

// types is indexed by type byte; it is never modified.
var types = func() (t [256]typeInfo) {
	for c := range 0x80 {
		t[c] = typeInfo{Uint, 1, 0, 0}
	}
	for i := range uint8(0x20) { // fixmap and fixarray, fixstr, negative fixint
		t[0x80+i] = typeInfo{[2]Kind{Map, Array}[i>>4], 1, 0, i & 0xf}
		t[0xa0+i] = typeInfo{Str, 1, 0, i}
		t[0xe0+i] = typeInfo{Int, 1, 0, 0}
	}
	copy(t[0xc0:], []typeInfo{
		{Nil, 1, 0, 0}, {}, {Bool, 1, 0, 0}, {Bool, 1, 0, 0}, // c0 nil, c1 never used, c2 false, c3 true
		{Bin, 2, 1, 0}, {Bin, 3, 2, 0}, {Bin, 5, 4, 0}, {Ext, 3, 1, 0}, {Ext, 4, 2, 0}, {Ext, 6, 4, 0},
		{Float, 1, 0, 4}, {Float, 1, 0, 8}, {Uint, 1, 0, 1}, {Uint, 1, 0, 2}, {Uint, 1, 0, 4}, {Uint, 1, 0, 8},
		{Int, 1, 0, 1}, {Int, 1, 0, 2}, {Int, 1, 0, 4}, {Int, 1, 0, 8}, // d0 to d3
		{Ext, 2, 0, 1}, {Ext, 2, 0, 2}, {Ext, 2, 0, 4}, {Ext, 2, 0, 8}, {Ext, 2, 0, 16}, // fixext
		{Str, 2, 1, 0}, {Str, 3, 2, 0}, {Str, 5, 4, 0}, // d9 to db
		{Array, 3, 2, 0}, {Array, 5, 4, 0}, {Map, 3, 2, 0}, {Map, 5, 4, 0}, // dc to df
	})
	return t
}()

// ReadHeader decodes the header of the value that starts b.
func ReadHeader(b []byte) (Header, error) {
	if len(b) == 0 {
		return Header{}, ErrShort
	}
	t := types[b[0]]
	if t.kind == Invalid {
		return Header{}, ErrInvalid
	}
	if len(b) < int(t.size) {
		return Header{}, ErrShort
	}
	h := Header{Kind: t.kind, N: int(t.n), Size: int(t.size)}
	switch t.lenW {
	case 1:
		h.N = int(b[1])
	case 2:
		h.N = int(binary.BigEndian.Uint16(b[1:]))
	case 4:
		h.N = int(binary.BigEndian.Uint32(b[1:]))
	}
	if h.Kind == Ext {
		h.Ext = int8(b[h.Size-1])
	}
	return h, nil
}

// Skip returns the length of the first complete value in b. A counter
// rather than recursion walks nested containers, so that hostile nesting
// costs no stack; the work is bounded by len(b) whatever the headers claim.
func Skip(b []byte) (int, error) {
	off := 0
	for pending := 1; pending > 0; pending-- {
		h, err := ReadHeader(b[off:])
		if err != nil {
			return 0, err
		}
		off += h.Size
		switch h.Kind {
		case Array:
			pending += h.N
		case Map:
			pending += 2 * h.N
		default:
			off += h.N
		}
		if pending-1 > len(b)-off { // also when off is past the end: pending is at least 1
			return 0, ErrShort
		}
	}
	return off, nil
}

// readKind reads the header at b[0], which must be of one of the kinds, and returns its N
// and the rest of b after the header; a scalar's payload must be complete.
func readKind(b []byte, kinds ...Kind) (int, []byte, error) {
	h, err := ReadHeader(b)
	switch {
	case err != nil:
	case !slices.Contains(kinds, h.Kind):
		err = typeError(b[0])
	case h.Kind != Array && h.Kind != Map && len(b)-h.Size < h.N:
		err = ErrShort
	default:
		return h.N, b[h.Size:], nil
	}
	return 0, b, err
}

// typeError is ErrInvalid for an unexpected type byte, made without allocating (a byte in an
// interface is static): IsForwardEntry tries one type after another on every record of a flush.
type typeError byte

func (e typeError) Error() string {
	return fmt.Sprintf("%v: unexpected type byte 0x%02x", ErrInvalid, byte(e))
}
func (e typeError) Unwrap() error { return ErrInvalid }

// ReadArrayHeader reads an array header and returns its element count and the rest of b.
func ReadArrayHeader(b []byte) (int, []byte, error) { return readKind(b, Array) }

// ReadMapHeader reads a map header and returns its pair count and the rest of b.
func ReadMapHeader(b []byte) (int, []byte, error) { return readKind(b, Map) }

// ReadStr reads a str and returns its bytes (aliasing b) and the rest of b.
func ReadStr(b []byte) ([]byte, []byte, error) { return readBytes(b, Str) }

// ReadStrOrBin is ReadStr that also accepts a bin, as the Forward protocol
// does for nonces, salts and acks.
func ReadStrOrBin(b []byte) ([]byte, []byte, error) { return readBytes(b, Str, Bin) }

func readBytes(b []byte, kinds ...Kind) ([]byte, []byte, error) {
	n, rest, err := readKind(b, kinds...)
	return rest[:n:n], rest[n:], err
}

// ReadBool reads a bool.
func ReadBool(b []byte) (bool, []byte, error) {
	_, rest, err := readKind(b, Bool)
	return err == nil && b[0] == 0xc3, rest, err
}

// ReadInt reads an integer that fits an int64.
func ReadInt(b []byte) (int64, []byte, error) {
	n, rest, err := readKind(b, Int, Uint)
	if err != nil {
		return 0, b, err
	}
	var u uint64
	if n == 0 {
		u = uint64(b[0]) // a fixint
	}
	for _, c := range rest[:n] {
		u = u<<8 | uint64(c)
	}
	if types[b[0]].kind == Uint {
		if u > math.MaxInt64 {
			return 0, b, fmt.Errorf("%w: integer %d overflows int64", ErrInvalid, u)
		}
		return int64(u), rest[n:], nil
	}
	bits := 64 - 8*max(n, 1)
	return int64(u<<bits) >> bits, rest[n:], nil
}

// AppendArrayHeader appends an array header for n elements.
func AppendArrayHeader(b []byte, n int) []byte { return appendHeader(b, 0x90, 0xdc, n, 1) }

// AppendMapHeader appends a map header for n pairs.
func AppendMapHeader(b []byte, n int) []byte { return appendHeader(b, 0x80, 0xde, n, 1) }

// AppendMapHeaderSize appends a map header for n pairs that takes at least
// size bytes (1, 3 or 5), so that a rewritten map can keep its header's width.
func AppendMapHeaderSize(b []byte, n, size int) []byte { return appendHeader(b, 0x80, 0xde, n, size) }

// appendHeader appends the container header fix|n, c16 or c16+1 (32-bit).
func appendHeader(b []byte, fix, c16 byte, n, size int) []byte {
	switch {
	case size <= 1 && n < 16:
		return append(b, fix|byte(n))
	case size <= 3 && n <= math.MaxUint16:
		return append(b, c16, byte(n>>8), byte(n))
	}
	return append(b, c16+1, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// PutMapHeader overwrites the map header of size bytes (1, 3 or 5) at b[0]
// with one for n pairs, which must fit it.
func PutMapHeader(b []byte, n, size int) { appendHeader(b[:0], 0x80, 0xde, n, size) }

// appendLen appends the header c8, c8+1 or c8+2 with the 8-, 16- or 32-bit length n.
func appendLen(b []byte, c8 byte, n int) []byte {
	switch {
	case n <= math.MaxUint8:
		return append(b, c8, byte(n))
	case n <= math.MaxUint16:
		return append(b, c8+1, byte(n>>8), byte(n))
	}
	return append(b, c8+2, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// AppendStr appends s as a str with the smallest header.
func AppendStr[T string | []byte](b []byte, s T) []byte {
	return append(AppendStrHeader(b, len(s)), s...)
}

// AppendStrHeader appends the smallest header of a str of n bytes, whose payload the caller writes.
func AppendStrHeader(b []byte, n int) []byte {
	if n < 32 {
		return append(b, 0xa0|byte(n))
	}
	return appendLen(b, 0xd9, n)
}

// AppendBinHeader appends the header of a bin of n bytes, whose payload the caller writes.
func AppendBinHeader(b []byte, n int) []byte { return appendLen(b, 0xc4, n) }

// AppendExt appends p as an ext of type typ (ext 8, 16 or 32).
func AppendExt(b []byte, typ int8, p []byte) []byte {
	return append(append(appendLen(b, 0xc7, len(p)), byte(typ)), p...)
}

// AppendUint appends v in its shortest encoding.
func AppendUint(b []byte, v uint64) []byte {
	switch {
	case v <= 0x7f:
		return append(b, byte(v))
	case v <= math.MaxUint8:
		return append(b, 0xcc, byte(v))
	case v <= math.MaxUint16:
		return append(b, 0xcd, byte(v>>8), byte(v))
	case v <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(v))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xcf), v)
}

// AppendEntryHead appends the start of a Fluent Bit record,
// [[EventTime(t), {}], followed by the body the caller appends.
func AppendEntryHead(b []byte, t time.Time) []byte {
	b = append(b, 0x92, 0x92, 0xd7, 0x00)
	b = binary.BigEndian.AppendUint32(b, uint32(t.Unix()))
	b = binary.BigEndian.AppendUint32(b, uint32(t.Nanosecond()))
	return append(b, 0x80)
}

// IsForwardEntry reports whether b, one complete value, is an entry a
// Forward receiver accepts: [time, map] or [[time, map], map], where time
// is one IsEntryTime accepts. Fluent Bit's own records are
// checked without walking them.
func IsForwardEntry(b []byte) bool {
	if len(b) > 12 && b[0] == 0x92 && b[1] == 0x92 && b[2] == 0xd7 && b[3] == 0x00 &&
		binary.BigEndian.Uint32(b[4:]) < 0xFFFFFFFE && binary.BigEndian.Uint32(b[8:]) < 1e9 {
		switch {
		case b[12] == 0x80:
			return isMap(b[13:])
		case b[12] == 0xdf && len(b) > 17 && b[13]|b[14]|b[15]|b[16] == 0:
			return isMap(b[17:])
		}
	}
	n, p, err := ReadArrayHeader(b)
	if err != nil || n != 2 {
		return false
	}
	if n, head, err := ReadArrayHeader(p); err == nil && n == 2 && IsEntryTime(head) {
		k, err := Skip(head) // the time: the metadata follows
		if err != nil || !isMap(head[k:]) {
			return false
		}
		p = head[k:]
	} else if err == nil || !IsEntryTime(p) { // a header that is not [time, metadata]
		return false
	}
	k, err := Skip(p)
	return err == nil && isMap(p[k:])
}

// IsEntryTime reports whether b starts with a time that Fluent Bit's decoder
// (flb_log_event_decoder.c) reads: an integer of 0 to 2^63-1, a float64 of
// more than -1 and less than 2^63 (one that truncates to 0 or more seconds), or
// an EventTime (ext type 0 of 8 bytes, as fixext8 or ext8) with nanoseconds
// below 10^9, 0 in a group marker. It refuses other EventTimes and types, and
// with them the rest of the chunk; other numbers it reads as negative seconds,
// which drop the record or, at -1 and -2, make it a group marker.
func IsEntryTime(b []byte) bool {
	h, err := ReadHeader(b)
	switch {
	case err != nil:
		return false
	case h.Kind == Uint:
		return b[0] != 0xcf || len(b) > 1 && b[1] < 0x80 // not above 2^63-1
	case h.Kind == Int:
		v, _, err := ReadInt(b)
		return err == nil && v >= 0
	case b[0] == 0xcb && len(b) >= 9: // a float64; a float32 is refused
		f := math.Float64frombits(binary.BigEndian.Uint64(b[1:]))
		return f > -1 && f < 1<<63 // NaN is neither
	case h.Kind != Ext || h.Ext != 0 || h.N != 8 || b[0] != 0xd7 && b[0] != 0xc7 || len(b) < h.Size+8:
		return false
	}
	ns := binary.BigEndian.Uint32(b[h.Size+4:])
	return ns == 0 || ns < 1e9 && binary.BigEndian.Uint32(b[h.Size:]) < 0xFFFFFFFE
}

// GroupMarker is 1 when b starts with the time of a group start record, -1 with a group end's,
// else 0, as Fluent Bit's decoder reads them: an EventTime of seconds 0xFFFFFFFF or 0xFFFFFFFE
// and no nanoseconds. An integer time is an ordinary record's, however large.
func GroupMarker(b []byte) int {
	h, err := ReadHeader(b)
	if err != nil || h.Kind != Ext || h.Ext != 0 || h.N != 8 || len(b) < h.Size+8 || binary.BigEndian.Uint32(b[h.Size+4:]) != 0 {
		return 0
	}
	switch binary.BigEndian.Uint32(b[h.Size:]) {
	case 0xFFFFFFFF:
		return 1
	case 0xFFFFFFFE:
		return -1
	}
	return 0
}

func isMap(b []byte) bool { return len(b) > 0 && types[b[0]].kind == Map }
