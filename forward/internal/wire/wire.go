// Package wire reads and writes the small subset of MessagePack that the Forward protocol
// needs. It works on byte slices without reflection so that the client's per-send path does
// not allocate and so that a receiver can find message boundaries in a byte stream.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrShort reports that the input ends before the object does: more bytes may complete it.
var ErrShort = errors.New("msgpack: input ends inside an object")

// ErrInvalid reports bytes that are not valid MessagePack or not of the expected type.
var ErrInvalid = errors.New("msgpack: invalid or unexpected data")

// maxDepth bounds the nesting Decode follows, so hostile input cannot exhaust the stack.
const maxDepth = 128

// Skip returns the length in bytes of the first complete object in b. It is iterative, so
// deeply nested input costs no stack, and every element consumes at least one byte, so the
// work is bounded by len(b) whatever the headers claim.
func Skip(b []byte) (int, error) {
	pos := 0
	pending := uint64(1)
	for pending > 0 {
		pending--
		if pos >= len(b) {
			return 0, ErrShort
		}
		c := b[pos]
		hdr, body, children, err := sizes(b[pos:], c)
		if err != nil {
			return 0, err
		}
		if uint64(len(b)-pos) < uint64(hdr)+body {
			return 0, ErrShort
		}
		pos += hdr + int(body)
		pending += children
	}
	return pos, nil
}

// sizes returns, for the object starting at b (whose first byte is c), the header length,
// the payload length and the number of child objects that follow.
func sizes(b []byte, c byte) (hdr int, body uint64, children uint64, err error) {
	switch {
	case c <= 0x7f, c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3:
		return 1, 0, 0, nil
	case c&0xe0 == 0xa0: // fixstr
		return 1, uint64(c & 0x1f), 0, nil
	case c&0xf0 == 0x90: // fixarray
		return 1, 0, uint64(c & 0x0f), nil
	case c&0xf0 == 0x80: // fixmap
		return 1, 0, 2 * uint64(c&0x0f), nil
	}
	switch c {
	case 0xcc, 0xd0:
		return 1, 1, 0, nil
	case 0xcd, 0xd1:
		return 1, 2, 0, nil
	case 0xce, 0xd2, 0xca:
		return 1, 4, 0, nil
	case 0xcf, 0xd3, 0xcb:
		return 1, 8, 0, nil
	case 0xd4:
		return 2, 1, 0, nil
	case 0xd5:
		return 2, 2, 0, nil
	case 0xd6:
		return 2, 4, 0, nil
	case 0xd7:
		return 2, 8, 0, nil
	case 0xd8:
		return 2, 16, 0, nil
	case 0xc4, 0xd9: // bin8, str8
		n, err := uintN(b, 1)
		return 2, n, 0, err
	case 0xc5, 0xda: // bin16, str16
		n, err := uintN(b, 2)
		return 3, n, 0, err
	case 0xc6, 0xdb: // bin32, str32
		n, err := uintN(b, 4)
		return 5, n, 0, err
	case 0xc7: // ext8
		n, err := uintN(b, 1)
		return 3, n, 0, err
	case 0xc8: // ext16
		n, err := uintN(b, 2)
		return 4, n, 0, err
	case 0xc9: // ext32
		n, err := uintN(b, 4)
		return 6, n, 0, err
	case 0xdc:
		n, err := uintN(b, 2)
		return 3, 0, n, err
	case 0xdd:
		n, err := uintN(b, 4)
		return 5, 0, n, err
	case 0xde:
		n, err := uintN(b, 2)
		return 3, 0, 2 * n, err
	case 0xdf:
		n, err := uintN(b, 4)
		return 5, 0, 2 * n, err
	}
	return 0, 0, 0, fmt.Errorf("%w: reserved type byte 0x%02x", ErrInvalid, c)
}

// uintN reads the big-endian length of width w that follows the type byte b[0].
func uintN(b []byte, w int) (uint64, error) {
	if len(b) < 1+w {
		return 0, ErrShort
	}
	switch w {
	case 1:
		return uint64(b[1]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(b[1:])), nil
	default:
		return uint64(binary.BigEndian.Uint32(b[1:])), nil
	}
}

// ReadArrayHeader reads an array header and returns its element count and the rest of b.
func ReadArrayHeader(b []byte) (int, []byte, error) {
	if len(b) == 0 {
		return 0, b, ErrShort
	}
	c := b[0]
	if c&0xf0 == 0x90 {
		return int(c & 0x0f), b[1:], nil
	}
	switch c {
	case 0xdc:
		n, err := uintN(b, 2)
		if err != nil {
			return 0, b, err
		}
		return int(n), b[3:], nil
	case 0xdd:
		n, err := uintN(b, 4)
		if err != nil {
			return 0, b, err
		}
		return int(n), b[5:], nil
	}
	return 0, b, fmt.Errorf("%w: want array, got type byte 0x%02x", ErrInvalid, c)
}

// ReadMapHeader reads a map header and returns its pair count and the rest of b.
func ReadMapHeader(b []byte) (int, []byte, error) {
	if len(b) == 0 {
		return 0, b, ErrShort
	}
	c := b[0]
	if c&0xf0 == 0x80 {
		return int(c & 0x0f), b[1:], nil
	}
	switch c {
	case 0xde:
		n, err := uintN(b, 2)
		if err != nil {
			return 0, b, err
		}
		return int(n), b[3:], nil
	case 0xdf:
		n, err := uintN(b, 4)
		if err != nil {
			return 0, b, err
		}
		return int(n), b[5:], nil
	}
	return 0, b, fmt.Errorf("%w: want map, got type byte 0x%02x", ErrInvalid, c)
}

// readBytes reads a str (when wantStr) or bin (when wantBin) value without copying.
func readBytes(b []byte, wantStr, wantBin bool) ([]byte, []byte, error) {
	if len(b) == 0 {
		return nil, b, ErrShort
	}
	c := b[0]
	var hdr int
	var n uint64
	var err error
	isStr := false
	switch {
	case c&0xe0 == 0xa0:
		hdr, n, isStr = 1, uint64(c&0x1f), true
	case c == 0xd9 || c == 0xda || c == 0xdb:
		isStr = true
		hdr, n, _, err = sizes(b, c)
	case c == 0xc4 || c == 0xc5 || c == 0xc6:
		hdr, n, _, err = sizes(b, c)
	default:
		return nil, b, fmt.Errorf("%w: want string, got type byte 0x%02x", ErrInvalid, c)
	}
	if err != nil {
		return nil, b, err
	}
	if (isStr && !wantStr) || (!isStr && !wantBin) {
		return nil, b, fmt.Errorf("%w: string of the wrong kind (type byte 0x%02x)", ErrInvalid, c)
	}
	if len(b) < hdr || uint64(len(b)-hdr) < n {
		return nil, b, ErrShort
	}
	end := hdr + int(n)
	return b[hdr:end:end], b[end:], nil
}

// ReadStr reads a str value and returns its bytes (aliasing b) and the rest of b.
func ReadStr(b []byte) ([]byte, []byte, error) { return readBytes(b, true, false) }

// ReadStrOrBin reads a str or bin value, both of which the Forward protocol allows for
// nonces, salts and PackedForward entries.
func ReadStrOrBin(b []byte) ([]byte, []byte, error) { return readBytes(b, true, true) }

// ReadBool reads a boolean.
func ReadBool(b []byte) (bool, []byte, error) {
	if len(b) == 0 {
		return false, b, ErrShort
	}
	switch b[0] {
	case 0xc2:
		return false, b[1:], nil
	case 0xc3:
		return true, b[1:], nil
	}
	return false, b, fmt.Errorf("%w: want bool, got type byte 0x%02x", ErrInvalid, b[0])
}

// ReadInt reads any integer encoding that fits in an int64.
func ReadInt(b []byte) (int64, []byte, error) {
	if len(b) == 0 {
		return 0, b, ErrShort
	}
	c := b[0]
	switch {
	case c <= 0x7f:
		return int64(c), b[1:], nil
	case c >= 0xe0:
		return int64(int8(c)), b[1:], nil
	}
	var need int
	switch c {
	case 0xcc, 0xd0:
		need = 1
	case 0xcd, 0xd1:
		need = 2
	case 0xce, 0xd2:
		need = 4
	case 0xcf, 0xd3:
		need = 8
	default:
		return 0, b, fmt.Errorf("%w: want integer, got type byte 0x%02x", ErrInvalid, c)
	}
	if len(b) < 1+need {
		return 0, b, ErrShort
	}
	p := b[1 : 1+need]
	rest := b[1+need:]
	switch c {
	case 0xcc:
		return int64(p[0]), rest, nil
	case 0xcd:
		return int64(binary.BigEndian.Uint16(p)), rest, nil
	case 0xce:
		return int64(binary.BigEndian.Uint32(p)), rest, nil
	case 0xcf:
		u := binary.BigEndian.Uint64(p)
		if u > math.MaxInt64 {
			return 0, b, fmt.Errorf("%w: integer %d overflows int64", ErrInvalid, u)
		}
		return int64(u), rest, nil
	case 0xd0:
		return int64(int8(p[0])), rest, nil
	case 0xd1:
		return int64(int16(binary.BigEndian.Uint16(p))), rest, nil
	case 0xd2:
		return int64(int32(binary.BigEndian.Uint32(p))), rest, nil
	default:
		return int64(binary.BigEndian.Uint64(p)), rest, nil
	}
}

// AppendArrayHeader appends an array header for n elements.
func AppendArrayHeader(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x90|byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xdc, byte(n>>8), byte(n))
	default:
		return append(b, 0xdd, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// AppendMapHeader appends a map header for n pairs.
func AppendMapHeader(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x80|byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xde, byte(n>>8), byte(n))
	default:
		return append(b, 0xdf, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// AppendStrHeader appends the header of a str of n bytes.
func AppendStrHeader(b []byte, n int) []byte {
	switch {
	case n < 32:
		return append(b, 0xa0|byte(n))
	case n <= math.MaxUint8:
		return append(b, 0xd9, byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xda, byte(n>>8), byte(n))
	default:
		return append(b, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// AppendStr appends s as a str.
func AppendStr(b []byte, s string) []byte {
	return append(AppendStrHeader(b, len(s)), s...)
}

// AppendStrBytes appends s as a str.
func AppendStrBytes(b []byte, s []byte) []byte {
	return append(AppendStrHeader(b, len(s)), s...)
}

// AppendBinHeader appends the header of a bin of n bytes; the caller writes the payload, which
// lets a large payload go to the socket without being copied behind the header.
func AppendBinHeader(b []byte, n int) []byte {
	switch {
	case n <= math.MaxUint8:
		return append(b, 0xc4, byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xc5, byte(n>>8), byte(n))
	default:
		return append(b, 0xc6, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// AppendBin appends p as a bin.
func AppendBin(b []byte, p []byte) []byte {
	return append(AppendBinHeader(b, len(p)), p...)
}

// AppendBool appends a boolean.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 0xc3)
	}
	return append(b, 0xc2)
}

// AppendUint appends a non-negative integer in its shortest encoding.
func AppendUint(b []byte, v uint64) []byte {
	switch {
	case v <= 0x7f:
		return append(b, byte(v))
	case v <= math.MaxUint8:
		return append(b, 0xcc, byte(v))
	case v <= math.MaxUint16:
		return append(b, 0xcd, byte(v>>8), byte(v))
	case v <= math.MaxUint32:
		return append(b, 0xce, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	default:
		return binary.BigEndian.AppendUint64(append(b, 0xcf), v)
	}
}
