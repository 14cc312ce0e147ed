package enrich

import (
	"encoding/binary"
	"errors"
	"math"
)

// Errors of the msgpack reader. They are values without context so that
// the hot path never allocates; Rewrite wraps them once, with the offset.
var (
	errTruncated = errors.New("truncated msgpack value")
	errInvalid   = errors.New("invalid msgpack type byte 0xc1")
	errTooLarge  = errors.New("msgpack container larger than the input")
)

// headerKind says which msgpack family a header byte belongs to.
type headerKind uint8

const (
	kindOther headerKind = iota
	kindMap
	kindArray
	kindStr
	kindBin
	kindInt
	kindUint
	kindFloat
	kindExt
	kindNil
	kindBool
)

// header is a decoded msgpack header: the family, the element count (maps,
// arrays), payload length (str, bin, ext) and where the payload starts.
type header struct {
	kind    headerKind
	n       int  // element count, payload length, or 0
	hdrLen  int  // bytes taken by the header itself
	extType int8 // for kindExt
	width   int  // for maps and arrays: 0 fix, 2 for 16-bit, 4 for 32-bit counts
}

// readHeader decodes the header of the value at b[off:]. For scalars with
// inline payloads (ints, floats) n is the payload length in bytes.
func readHeader(b []byte, off int) (header, error) {
	if off >= len(b) {
		return header{}, errTruncated
	}
	c := b[off]
	rest := len(b) - off - 1
	switch {
	case c <= 0x7f:
		return header{kind: kindUint, hdrLen: 1}, nil
	case c <= 0x8f:
		return header{kind: kindMap, n: int(c & 0x0f), hdrLen: 1}, nil
	case c <= 0x9f:
		return header{kind: kindArray, n: int(c & 0x0f), hdrLen: 1}, nil
	case c <= 0xbf:
		return header{kind: kindStr, n: int(c & 0x1f), hdrLen: 1}, nil
	case c >= 0xe0:
		return header{kind: kindInt, hdrLen: 1}, nil
	}
	var need int
	switch c {
	case 0xc0:
		return header{kind: kindNil, hdrLen: 1}, nil
	case 0xc2, 0xc3:
		return header{kind: kindBool, hdrLen: 1}, nil
	case 0xc1:
		return header{}, errInvalid
	case 0xc4, 0xd9:
		need = 1
	case 0xc5, 0xda, 0xdc, 0xde:
		need = 2
	case 0xc6, 0xdb, 0xdd, 0xdf:
		need = 4
	case 0xc7:
		need = 2
	case 0xc8:
		need = 3
	case 0xc9:
		need = 5
	case 0xca:
		return header{kind: kindFloat, n: 4, hdrLen: 1}, nil
	case 0xcb:
		return header{kind: kindFloat, n: 8, hdrLen: 1}, nil
	case 0xcc, 0xd0:
		return intHeader(c, 1), nil
	case 0xcd, 0xd1:
		return intHeader(c, 2), nil
	case 0xce, 0xd2:
		return intHeader(c, 4), nil
	case 0xcf, 0xd3:
		return intHeader(c, 8), nil
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		need = 1
	}
	if rest < need {
		return header{}, errTruncated
	}
	p := b[off+1:]
	switch c {
	case 0xc4:
		return header{kind: kindBin, n: int(p[0]), hdrLen: 2}, nil
	case 0xc5:
		return header{kind: kindBin, n: int(binary.BigEndian.Uint16(p)), hdrLen: 3}, nil
	case 0xc6:
		return header{kind: kindBin, n: int(binary.BigEndian.Uint32(p)), hdrLen: 5}, nil
	case 0xd9:
		return header{kind: kindStr, n: int(p[0]), hdrLen: 2}, nil
	case 0xda:
		return header{kind: kindStr, n: int(binary.BigEndian.Uint16(p)), hdrLen: 3}, nil
	case 0xdb:
		return header{kind: kindStr, n: int(binary.BigEndian.Uint32(p)), hdrLen: 5}, nil
	case 0xdc:
		return header{kind: kindArray, n: int(binary.BigEndian.Uint16(p)), hdrLen: 3, width: 2}, nil
	case 0xdd:
		return header{kind: kindArray, n: int(binary.BigEndian.Uint32(p)), hdrLen: 5, width: 4}, nil
	case 0xde:
		return header{kind: kindMap, n: int(binary.BigEndian.Uint16(p)), hdrLen: 3, width: 2}, nil
	case 0xdf:
		return header{kind: kindMap, n: int(binary.BigEndian.Uint32(p)), hdrLen: 5, width: 4}, nil
	case 0xc7:
		return header{kind: kindExt, n: int(p[0]), extType: int8(p[1]), hdrLen: 3}, nil
	case 0xc8:
		return header{kind: kindExt, n: int(binary.BigEndian.Uint16(p)), extType: int8(p[2]), hdrLen: 4}, nil
	case 0xc9:
		return header{kind: kindExt, n: int(binary.BigEndian.Uint32(p)), extType: int8(p[4]), hdrLen: 6}, nil
	case 0xd4:
		return header{kind: kindExt, n: 1, extType: int8(p[0]), hdrLen: 2}, nil
	case 0xd5:
		return header{kind: kindExt, n: 2, extType: int8(p[0]), hdrLen: 2}, nil
	case 0xd6:
		return header{kind: kindExt, n: 4, extType: int8(p[0]), hdrLen: 2}, nil
	case 0xd7:
		return header{kind: kindExt, n: 8, extType: int8(p[0]), hdrLen: 2}, nil
	default: // 0xd8
		return header{kind: kindExt, n: 16, extType: int8(p[0]), hdrLen: 2}, nil
	}
}

func intHeader(c byte, n int) header {
	if c >= 0xd0 {
		return header{kind: kindInt, n: n, hdrLen: 1}
	}
	return header{kind: kindUint, n: n, hdrLen: 1}
}

// payloadLen is the number of bytes after the header that belong to the
// value itself (not to its elements).
func (h header) payloadLen() int {
	switch h.kind {
	case kindStr, kindBin, kindExt, kindFloat, kindInt, kindUint:
		return h.n
	}
	return 0
}

// skipValue returns the offset just past the value that starts at b[off].
// It walks nested containers iteratively with a pending-element counter,
// so hostile nesting depth cannot exhaust the stack, and it rejects
// counts that could not fit in the remaining input before trusting them.
func skipValue(b []byte, off int) (int, error) {
	pending := 1
	for pending > 0 {
		h, err := readHeader(b, off)
		if err != nil {
			return 0, err
		}
		pending--
		off += h.hdrLen
		switch h.kind {
		case kindMap, kindArray:
			n := h.n
			if h.kind == kindMap {
				n *= 2
			}
			// Every element takes at least one byte.
			if n > len(b)-off || pending > len(b)-off {
				return 0, errTooLarge
			}
			pending += n
		default:
			p := h.payloadLen()
			if p > len(b)-off {
				return 0, errTruncated
			}
			off += p
		}
	}
	return off, nil
}

// valueEnd is skipValue with inline fast paths for the scalars that make
// up almost every record body (short strings, bins, small ints, nil, bool).
func valueEnd(b []byte, off int) (int, error) {
	if off < len(b) {
		c := b[off]
		switch {
		case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
			return off + 1, nil
		case c&0xe0 == 0xa0:
			if end := off + 1 + int(c&0x1f); end <= len(b) {
				return end, nil
			}
		case c == 0xd9 || c == 0xc4:
			if off+1 < len(b) {
				if end := off + 2 + int(b[off+1]); end <= len(b) {
					return end, nil
				}
			}
		}
	}
	return skipValue(b, off)
}

// RecordEnd returns the byte length of the first msgpack object in b, so
// that a chunk can be split at record boundaries. It fails on truncated or
// invalid input.
func RecordEnd(b []byte) (int, error) {
	return skipValue(b, 0)
}

// IsForwardEntry reports whether b, one complete msgpack value, is an
// entry a Forward receiver accepts: [time, map] or [[time, map], map],
// where time is an EventTime, an integer or a float. A caller that cuts
// records out of a chunk uses it to keep anything else out of a message.
func IsForwardEntry(b []byte) bool {
	// Fluent Bit's own records, [[EventTime, {} (fixmap or 32-bit
	// header)], map], are checked without walking them.
	if len(b) > 12 && b[0] == 0x92 && b[1] == 0x92 && b[2] == 0xd7 && b[3] == 0x00 {
		switch {
		case b[12] == 0x80:
			return isMapAt(b, 13)
		case b[12] == 0xdf && len(b) > 17 && b[13]|b[14]|b[15]|b[16] == 0:
			return isMapAt(b, 17)
		}
	}
	h, err := readHeader(b, 0)
	if err != nil || h.kind != kindArray || h.n != 2 {
		return false
	}
	p := h.hdrLen
	if h, err = readHeader(b, p); err == nil && h.kind == kindArray {
		q := p + h.hdrLen
		if h.n != 2 || !isEntryTime(b, q) {
			return false
		}
		if q, err = skipValue(b, q); err != nil || !isMapAt(b, q) {
			return false
		}
		if p, err = skipValue(b, q); err != nil {
			return false
		}
	} else {
		if !isEntryTime(b, p) {
			return false
		}
		if p, err = skipValue(b, p); err != nil {
			return false
		}
	}
	return isMapAt(b, p)
}

// isEntryTime reports whether the value at b[p] is an entry's time: an
// integer, a float, or an EventTime (ext type 0 of 8 bytes, as fixext8 or
// ext8).
func isEntryTime(b []byte, p int) bool {
	if p >= len(b) {
		return false
	}
	switch c := b[p]; {
	case c < 0x80 || c >= 0xe0: // fixints
		return true
	case c >= 0xca && c <= 0xd3: // floats and sized ints
		return true
	case c == 0xd7:
		return p+1 < len(b) && b[p+1] == 0
	case c == 0xc7:
		return p+2 < len(b) && b[p+1] == 8 && b[p+2] == 0
	}
	return false
}

// isMapAt reports whether a map header starts at b[p].
func isMapAt(b []byte, p int) bool {
	return p < len(b) && (b[p]&0xf0 == 0x80 || b[p] == 0xde || b[p] == 0xdf)
}

// readUint reads an integer value (positive or negative) of header h at
// b[off]; ok is false for values that are not integers.
func readInt(b []byte, off int, h header) (v int64, ok bool) {
	c := b[off]
	switch h.kind {
	case kindUint:
		if h.n == 0 {
			return int64(c), true
		}
		p := b[off+1 : off+1+h.n]
		switch h.n {
		case 1:
			return int64(p[0]), true
		case 2:
			return int64(binary.BigEndian.Uint16(p)), true
		case 4:
			return int64(binary.BigEndian.Uint32(p)), true
		default:
			u := binary.BigEndian.Uint64(p)
			if u > math.MaxInt64 {
				return 0, false
			}
			return int64(u), true
		}
	case kindInt:
		if h.n == 0 {
			return int64(int8(c)), true
		}
		p := b[off+1 : off+1+h.n]
		switch h.n {
		case 1:
			return int64(int8(p[0])), true
		case 2:
			return int64(int16(binary.BigEndian.Uint16(p))), true
		case 4:
			return int64(int32(binary.BigEndian.Uint32(p))), true
		default:
			return int64(binary.BigEndian.Uint64(p)), true
		}
	}
	return 0, false
}

// appendStr appends s as a msgpack str with the smallest header.
func appendStr[T string | []byte](dst []byte, s T) []byte {
	n := len(s)
	switch {
	case n < 32:
		dst = append(dst, 0xa0|byte(n))
	case n < 1<<8:
		dst = append(dst, 0xd9, byte(n))
	case n < 1<<16:
		dst = append(dst, 0xda, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, s...)
}

// AppendStr appends s to dst as a msgpack str with the smallest header,
// for callers that build records of their own next to Rewrite's.
func AppendStr[T string | []byte](dst []byte, s T) []byte { return appendStr(dst, s) }

// appendSmallInt appends a non-negative integer below 128 as a fixint.
func appendSmallInt(dst []byte, v int) []byte {
	return append(dst, byte(v&0x7f))
}

// appendMapHeader appends a map header for n pairs using at least the
// given width (0 fix, 2 or 4 bytes), growing it when n does not fit, so
// that a rewritten map keeps its original header width where it can.
func appendMapHeader(dst []byte, n, width int) []byte {
	switch {
	case width == 0 && n < 16:
		return append(dst, 0x80|byte(n))
	case width <= 2 && n < 1<<16:
		return append(dst, 0xde, byte(n>>8), byte(n))
	default:
		return append(dst, 0xdf, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}
