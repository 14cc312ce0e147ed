// Package wire is what is left of the Forward protocol's MessagePack codec
// while forward/forwardtest still decodes with it: a generic Decode, and
// the readers and writers of internal/msgpack under their old names. It
// goes when forwardtest decodes with vmihailenco/msgpack/v5.
package wire

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/enrich-plugin/enrich/internal/msgpack"
)

// maxDepth bounds the nesting Decode follows, so hostile input cannot exhaust the stack.
const maxDepth = 128

// The errors of internal/msgpack.
var (
	ErrShort   = msgpack.ErrShort
	ErrInvalid = msgpack.ErrInvalid
)

// The readers and writers forwardtest calls.
func Skip(b []byte) (int, error)                    { return msgpack.Skip(b) }
func ReadArrayHeader(b []byte) (int, []byte, error) { return msgpack.ReadArrayHeader(b) }
func ReadStr(b []byte) ([]byte, []byte, error)      { return msgpack.ReadStr(b) }
func ReadStrOrBin(b []byte) ([]byte, []byte, error) { return msgpack.ReadStrOrBin(b) }
func AppendArrayHeader(b []byte, n int) []byte      { return msgpack.AppendArrayHeader(b, n) }
func AppendMapHeader(b []byte, n int) []byte        { return msgpack.AppendMapHeader(b, n) }
func AppendStr(b []byte, s string) []byte           { return msgpack.AppendStr(b, s) }
func AppendStrBytes(b []byte, s []byte) []byte      { return msgpack.AppendStr(b, s) }
func AppendBin(b []byte, p []byte) []byte           { return msgpack.AppendBin(b, p) }
func AppendUint(b []byte, v uint64) []byte          { return msgpack.AppendUint(b, v) }

// AppendBool appends a bool.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 0xc3)
	}
	return append(b, 0xc2)
}

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
	h, err := msgpack.ReadHeader(b)
	if err != nil {
		return nil, b, err
	}
	p := b[h.Size:]
	if h.Kind != msgpack.Array && h.Kind != msgpack.Map {
		if len(p) < h.N {
			return nil, b, ErrShort
		}
		p = p[:h.N]
	}
	rest := b[h.Size+len(p):]
	switch h.Kind {
	case msgpack.Nil:
		return nil, rest, nil
	case msgpack.Bool:
		return b[0] == 0xc3, rest, nil
	case msgpack.Int, msgpack.Uint:
		if v, _, err := msgpack.ReadInt(b); err == nil {
			return v, rest, nil
		}
		return binary.BigEndian.Uint64(p), rest, nil
	case msgpack.Float:
		if h.N == 4 {
			return float64(math.Float32frombits(binary.BigEndian.Uint32(p))), rest, nil
		}
		return math.Float64frombits(binary.BigEndian.Uint64(p)), rest, nil
	case msgpack.Str:
		return string(p), rest, nil
	case msgpack.Bin:
		return append([]byte(nil), p...), rest, nil
	case msgpack.Ext:
		if h.Ext == 0 && h.N == 8 {
			return EventTime{Sec: binary.BigEndian.Uint32(p), Nsec: binary.BigEndian.Uint32(p[4:])}, rest, nil
		}
		return Ext{Type: h.Ext, Data: append([]byte(nil), p...)}, rest, nil
	case msgpack.Array:
		if h.N > len(p) {
			return nil, b, ErrShort // each element needs at least one byte
		}
		out := make([]any, 0, h.N)
		for range h.N {
			var v any
			if v, p, err = decode(p, depth+1); err != nil {
				return nil, b, err
			}
			out = append(out, v)
		}
		return out, p, nil
	}
	if h.N > len(p)/2 {
		return nil, b, ErrShort
	}
	out := make(map[string]any, h.N)
	for range h.N {
		var k, v any
		if k, p, err = decode(p, depth+1); err != nil {
			return nil, b, err
		}
		if v, p, err = decode(p, depth+1); err != nil {
			return nil, b, err
		}
		ks, ok := k.(string)
		if !ok {
			ks = fmt.Sprintf("%v", k)
		}
		out[ks] = v
	}
	return out, p, nil
}
