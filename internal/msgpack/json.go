package msgpack

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// JSONDateKey is the key of the record's time (seconds, nanoseconds as decimals) in AppendRecordJSON's
// output, as in Fluent Bit's json outputs; a body key of the same name takes precedence.
const JSONDateKey = "date"

// JSONTextExt is the extension type of a value holding JSON text, which flb-enrich writes back as read.
const JSONTextExt int8 = 'J'

// maxJSONDepth bounds the nesting the JSON writer follows, to protect the stack; a key that is
// not a string counts as keyDepth levels.
const maxJSONDepth, keyDepth = 64, 16

// AppendRecordJSON appends one record as a single-line JSON object: the time under JSONDateKey, then
// the body's keys in order. str and bin values become JSON strings (invalid UTF-8 replaced by U+FFFD),
// ext values other than EventTime null, except that with text JSONTextExt values, valid JSON, are
// written as they are. A body that is not a map is written under "body".
func AppendRecordJSON(dst, record []byte, text bool) ([]byte, error) {
	n, rest, err := ReadArrayHeader(record)
	if err != nil || n != 2 {
		return dst, fmt.Errorf("record json: record is not a [time, body] array")
	}
	p := len(record) - len(rest)
	ts, bodyOff := p+1, p+12
	// Skip the common [[EventTime, {}], body] quickly.
	if p+12 >= len(record) || record[p] != 0x92 || record[p+1] != 0xd7 || record[p+2] != 0x00 || record[p+11] != 0x80 {
		k, _ := Skip(rest) // a time cut short is read as the body below, and refused there
		ts, bodyOff = p, p+k
		if th, _ := ReadHeader(rest); th.Kind == Array && th.N > 0 {
			ts += th.Size // [[time, metadata], body]
		}
	}
	start := len(dst)
	dst = append(dst, `{"`+JSONDateKey+`":`...)
	dst = appendJSONTime(dst, record, ts)
	w := jsonWriter{text: text}
	if hb, herr := ReadHeader(record[bodyOff:]); herr != nil || hb.Kind != Map {
		dst = append(dst, `,"body":`...)
		dst, _, err = w.value(dst, record, bodyOff, 0)
	} else {
		if hb.N > 0 {
			dst = append(dst, ',')
		}
		// A body key JSONDateKey replaces the time written in front of it.
		mark := len(dst)
		if dst, _, err = w.pairs(dst, record, bodyOff+hb.Size, hb.N, 0); err == nil && w.hasDate {
			dst = append(dst[:start+1], dst[mark:]...)
		}
	}
	if err != nil {
		return dst[:start], fmt.Errorf("record json: %w", err)
	}
	return append(dst, '}'), nil
}

// AppendPairsJSON appends the n pairs at the start of b as JSON object members, as in AppendRecordJSON.
func AppendPairsJSON(dst, b []byte, n int) ([]byte, error) {
	start := len(dst)
	dst, _, err := (&jsonWriter{}).pairs(dst, b, 0, n, 0)
	if err != nil {
		return dst[:start], fmt.Errorf("pairs json: %w", err)
	}
	return dst, nil
}

type jsonWriter struct {
	text    bool // write JSONTextExt values as they are
	hasDate bool // a key of the outermost map is JSONDateKey
}

// appendJSONTime writes an EventTime, integer or float timestamp exactly, anything else as null.
func appendJSONTime(dst, b []byte, off int) []byte {
	h, err := ReadHeader(b[off:])
	switch {
	case err != nil:
	case h.Kind == Ext && h.Ext == 0 && h.N == 8 && off+h.Size+8 <= len(b):
		p := b[off+h.Size:]
		// Nanoseconds of a second or more (a writer that did not normalise) carry into the seconds.
		sec, ns := uint64(binary.BigEndian.Uint32(p)), uint64(binary.BigEndian.Uint32(p[4:]))
		sec, ns = sec+ns/1e9, ns%1e9
		dst = strconv.AppendUint(dst, sec, 10)
		var frac [10]byte // the nanoseconds after a 1, which keeps their leading zeros
		return append(append(dst, '.'), strconv.AppendUint(frac[:0], ns+1e9, 10)[1:]...)
	case h.Kind == Int || h.Kind == Uint || h.Kind == Float:
		if d, _, err := (&jsonWriter{}).value(dst, b, off, 0); err == nil {
			return d
		}
	}
	return append(dst, "null"...)
}

// value writes the value at b[off] as JSON and returns the offset after it.
func (w *jsonWriter) value(dst, b []byte, off, depth int) ([]byte, int, error) {
	if depth > maxJSONDepth {
		return dst, 0, errors.New("msgpack value nested too deeply for json")
	}
	h, err := ReadHeader(b[off:])
	if err != nil {
		return dst, 0, err
	}
	p := off + h.Size
	end := p
	if h.Kind != Array && h.Kind != Map {
		if end += h.N; end > len(b) {
			return dst, 0, ErrShort
		}
	}
	switch {
	case h.Kind == Str || h.Kind == Bin:
		dst = AppendJSONString(dst, b[p:end])
	case h.Kind == Ext && w.text && h.Ext == JSONTextExt:
		dst = append(dst, b[p:end]...)
	case h.Kind == Ext && h.Ext == 0 && h.N == 8:
		dst = appendJSONTime(dst, b, off)
	case h.Kind == Bool:
		dst = strconv.AppendBool(dst, b[off] == 0xc3)
	case b[off] == 0xcf: // a uint64, the one integer that may not fit an int64
		dst = strconv.AppendUint(dst, binary.BigEndian.Uint64(b[p:]), 10)
	case h.Kind == Int || h.Kind == Uint:
		v, _, _ := ReadInt(b[off:]) // the payload is complete and fits
		dst = strconv.AppendInt(dst, v, 10)
	case h.Kind == Float:
		f := float64(math.Float32frombits(binary.BigEndian.Uint32(b[p:])))
		if h.N == 8 {
			f = math.Float64frombits(binary.BigEndian.Uint64(b[p:]))
		}
		// Plain digits from 1e-6 to 1e21, where JSON writers use them: a float time reads as seconds.
		if a := math.Abs(f); math.IsNaN(f) || math.IsInf(f, 0) {
			dst = append(dst, "null"...)
		} else if a < 1e21 && (a >= 1e-6 || a == 0) {
			dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
		} else {
			dst = strconv.AppendFloat(dst, f, 'e', -1, 64)
		}
	case h.Kind == Array:
		dst = append(dst, '[')
		for i := 0; i < h.N; i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, end, err = w.value(dst, b, end, depth+1); err != nil {
				return dst, 0, err
			}
		}
		dst = append(dst, ']')
	case h.Kind == Map:
		dst = append(dst, '{')
		if dst, end, err = w.pairs(dst, b, end, h.N, depth); err != nil {
			return dst, 0, err
		}
		dst = append(dst, '}')
	default: // nil, other ext types
		dst = append(dst, "null"...)
	}
	return dst, end, nil
}

// pairs writes the n key/value pairs at b[q] as JSON object members and returns the offset after them.
func (w *jsonWriter) pairs(dst, b []byte, q, n, depth int) ([]byte, int, error) {
	for i := 0; i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		hk, _ := ReadHeader(b[q:]) // a key it cannot read, value refuses below
		var err error
		if hk.Kind == Str || hk.Kind == Bin {
			w.hasDate = w.hasDate || depth == 0 && string(b[q+hk.Size:min(len(b), q+hk.Size+hk.N)]) == JSONDateKey
			dst, q, err = w.value(dst, b, q, depth+1)
		} else {
			// JSON keys are strings: quote the key's JSON form. Each key around it escapes that again,
			// doubling its backslashes, so it counts as keyDepth levels: the output stays linear.
			var k []byte
			if k, q, err = w.value(nil, b, q, depth+keyDepth); err == nil {
				dst = AppendJSONString(dst, k)
			}
		}
		if err != nil {
			return dst, 0, err
		}
		dst = append(dst, ':')
		if dst, q, err = w.value(dst, b, q, depth+1); err != nil {
			return dst, 0, err
		}
	}
	return dst, q, nil
}

const hexDigits = "0123456789abcdef"

// AppendJSONString writes s as a JSON string, replacing invalid UTF-8.
func AppendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	from := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
				i++
				for i+8 <= len(s) && plainASCII8(binary.LittleEndian.Uint64(s[i:])) {
					i += 8
				}
				continue
			}
			dst = append(dst, s[from:i]...)
			if e := strings.IndexByte("\"\\\n\r\t", c); e >= 0 {
				dst = append(dst, '\\', "\"\\nrt"[e])
			} else {
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			from = i
			continue
		}
		// Three-byte sequences (the catalog's Japanese) are checked inline.
		for i+2 < len(s) && s[i] >= 0xe1 && s[i] < 0xf0 && s[i] != 0xed && s[i+1]&0xc0 == 0x80 && s[i+2]&0xc0 == 0x80 {
			i += 3
		}
		if i >= len(s) || s[i] < utf8.RuneSelf {
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[from:i]...)
			dst = append(dst, `\ufffd`...)
			from = i + 1
		}
		i += size
	}
	dst = append(dst, s[from:]...)
	return append(dst, '"')
}

// plainASCII8 reports whether the eight bytes of v need no escaping in JSON.
func plainASCII8(v uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	hasZero := func(x uint64) uint64 { return (x - ones) & ^x & highs }
	return (v|(v+ones))&highs == 0 && // no byte >= 0x7f
		(v-ones*0x20)&^v&highs == 0 && // no byte < 0x20
		hasZero(v^(ones*'"')) == 0 &&
		hasZero(v^(ones*'\\')) == 0
}
