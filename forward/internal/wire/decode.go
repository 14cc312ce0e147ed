package wire

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// EventTime is the Forward protocol's ext type 0 timestamp: seconds and nanoseconds.
type EventTime struct {
	Sec  uint32
	Nsec uint32
}

// Time converts the timestamp to a time.Time in UTC.
func (e EventTime) Time() time.Time { return time.Unix(int64(e.Sec), int64(e.Nsec)).UTC() }

// Ext is an extension value other than EventTime.
type Ext struct {
	Type int8
	Data []byte
}

// Decode decodes the first object of b into Go values: nil, bool, int64, uint64 (only above
// MaxInt64), float64, string (str), []byte (bin), []any, map[string]any (keys that are not
// strings are formatted with %v), EventTime or Ext. Strings and byte slices are copies, so
// the result stays valid after b is reused.
func Decode(b []byte) (any, []byte, error) {
	return decode(b, 0)
}

func decode(b []byte, depth int) (any, []byte, error) {
	if depth > maxDepth {
		return nil, b, fmt.Errorf("%w: nesting deeper than %d", ErrInvalid, maxDepth)
	}
	if len(b) == 0 {
		return nil, b, ErrShort
	}
	c := b[0]
	switch {
	case c <= 0x7f || c >= 0xe0 || (c >= 0xcc && c <= 0xd3 && c != 0xcf):
		return ReadInt(b)
	case c == 0xcf:
		if len(b) < 9 {
			return nil, b, ErrShort
		}
		u := binary.BigEndian.Uint64(b[1:])
		if u <= math.MaxInt64 {
			return int64(u), b[9:], nil
		}
		return u, b[9:], nil
	case c == 0xc0:
		return nil, b[1:], nil
	case c == 0xc2 || c == 0xc3:
		return ReadBool(b)
	case c == 0xca:
		if len(b) < 5 {
			return nil, b, ErrShort
		}
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b[1:]))), b[5:], nil
	case c == 0xcb:
		if len(b) < 9 {
			return nil, b, ErrShort
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b[1:])), b[9:], nil
	case c&0xe0 == 0xa0 || c == 0xd9 || c == 0xda || c == 0xdb:
		s, rest, err := ReadStr(b)
		if err != nil {
			return nil, b, err
		}
		return string(s), rest, nil
	case c == 0xc4 || c == 0xc5 || c == 0xc6:
		p, rest, err := ReadStrOrBin(b)
		if err != nil {
			return nil, b, err
		}
		return append([]byte(nil), p...), rest, nil
	case c&0xf0 == 0x90 || c == 0xdc || c == 0xdd:
		n, rest, err := ReadArrayHeader(b)
		if err != nil {
			return nil, b, err
		}
		if n > len(rest) {
			return nil, b, ErrShort // each element needs at least one byte
		}
		out := make([]any, 0, n)
		for i := 0; i < n; i++ {
			var v any
			v, rest, err = decode(rest, depth+1)
			if err != nil {
				return nil, b, err
			}
			out = append(out, v)
		}
		return out, rest, nil
	case c&0xf0 == 0x80 || c == 0xde || c == 0xdf:
		n, rest, err := ReadMapHeader(b)
		if err != nil {
			return nil, b, err
		}
		if n > len(rest)/2 {
			return nil, b, ErrShort
		}
		out := make(map[string]any, n)
		for i := 0; i < n; i++ {
			var k, v any
			k, rest, err = decode(rest, depth+1)
			if err != nil {
				return nil, b, err
			}
			v, rest, err = decode(rest, depth+1)
			if err != nil {
				return nil, b, err
			}
			ks, ok := k.(string)
			if !ok {
				ks = fmt.Sprintf("%v", k)
			}
			out[ks] = v
		}
		return out, rest, nil
	}
	// What remains are the ext families.
	hdr, body, _, err := sizes(b, c)
	if err != nil {
		return nil, b, err
	}
	if len(b) < hdr || uint64(len(b)-hdr) < body {
		return nil, b, ErrShort
	}
	typ := int8(b[hdr-1])
	data := b[hdr : hdr+int(body)]
	rest := b[hdr+int(body):]
	if typ == 0 && len(data) == 8 {
		return EventTime{Sec: binary.BigEndian.Uint32(data), Nsec: binary.BigEndian.Uint32(data[4:])}, rest, nil
	}
	return Ext{Type: typ, Data: append([]byte(nil), data...)}, rest, nil
}
