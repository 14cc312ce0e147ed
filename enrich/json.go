package enrich

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// JSONDateKey is the key under which AppendRecordJSON writes the record's
// timestamp (seconds since the epoch, with the nanoseconds as decimals),
// the same key Fluent Bit's json outputs use by default. A body key of the
// same name takes precedence.
const JSONDateKey = "date"

// maxJSONDepth bounds the nesting AppendRecordJSON follows, so that
// hostile input cannot exhaust the stack.
const maxJSONDepth = 64

var errTooDeep = errors.New("msgpack value nested too deeply for json")

// AppendRecordJSON appends one chunk record as a single-line JSON object:
// the timestamp under JSONDateKey, then the body's keys in their original
// order. str and bin values become JSON strings (invalid UTF-8 replaced by
// U+FFFD), ext values other than EventTime become null. A body that is not
// a map is written under "body".
func AppendRecordJSON(dst, record []byte) ([]byte, error) {
	h, err := readHeader(record, 0)
	if err != nil {
		return dst, fmt.Errorf("record json: %w", err)
	}
	if h.kind != kindArray || h.n != 2 {
		return dst, fmt.Errorf("record json: record is not a [time, body] array")
	}
	p := h.hdrLen
	ts := p
	if th, err := readHeader(record, p); err == nil && th.kind == kindArray && th.n > 0 {
		ts = p + th.hdrLen
	}
	bodyOff, err := skipValue(record, p)
	if err != nil {
		return dst, fmt.Errorf("record json: timestamp: %w", err)
	}
	if _, err := skipValue(record, bodyOff); err != nil {
		return dst, fmt.Errorf("record json: body: %w", err)
	}
	start := len(dst)
	dst = append(dst, '{')
	hb, _ := readHeader(record, bodyOff)
	sep := false
	if hb.kind != kindMap || !mapHasKey(record, bodyOff, JSONDateKey) {
		dst = appendJSONString(dst, []byte(JSONDateKey))
		dst = append(dst, ':')
		dst = appendJSONTime(dst, record, ts)
		sep = true
	}
	if hb.kind != kindMap {
		dst = append(dst, `,"body":`...)
		dst, _, err = appendJSONValue(dst, record, bodyOff, 0)
	} else {
		if sep && hb.n > 0 {
			dst = append(dst, ',')
		}
		dst, _, err = appendJSONPairs(dst, record, bodyOff+hb.hdrLen, hb.n, 0)
	}
	if err != nil {
		return dst[:start], fmt.Errorf("record json: %w", err)
	}
	return append(dst, '}'), nil
}

// mapHasKey reports whether the map at b[off] has a str key equal to key.
func mapHasKey(b []byte, off int, key string) bool {
	h, err := readHeader(b, off)
	if err != nil || h.kind != kindMap {
		return false
	}
	q := off + h.hdrLen
	for i := 0; i < h.n; i++ {
		hk, err := readHeader(b, q)
		if err != nil {
			return false
		}
		kEnd, err := skipValue(b, q)
		if err != nil {
			return false
		}
		if hk.kind == kindStr && string(b[q+hk.hdrLen:kEnd]) == key {
			return true
		}
		if q, err = skipValue(b, kEnd); err != nil {
			return false
		}
	}
	return false
}

// appendJSONTime writes an EventTime, integer or float timestamp exactly.
func appendJSONTime(dst, b []byte, off int) []byte {
	h, err := readHeader(b, off)
	if err != nil {
		return append(dst, "null"...)
	}
	switch h.kind {
	case kindExt:
		p := off + h.hdrLen
		if h.extType == 0 && h.n == 8 && p+8 <= len(b) {
			sec := binary.BigEndian.Uint32(b[p:])
			nsec := binary.BigEndian.Uint32(b[p+4:])
			dst = strconv.AppendUint(dst, uint64(sec), 10)
			dst = append(dst, '.')
			frac := strconv.AppendUint(nil, uint64(nsec)+1e9, 10)
			return append(dst, frac[1:]...)
		}
	case kindInt, kindUint, kindFloat:
		d, _, err := appendJSONValue(dst, b, off, 0)
		if err == nil {
			return d
		}
	}
	return append(dst, "null"...)
}

// appendJSONValue writes the msgpack value at b[off] as JSON and returns
// the offset after it.
func appendJSONValue(dst, b []byte, off, depth int) ([]byte, int, error) {
	if depth > maxJSONDepth {
		return dst, 0, errTooDeep
	}
	h, err := readHeader(b, off)
	if err != nil {
		return dst, 0, err
	}
	end, err := skipValue(b, off)
	if err != nil {
		return dst, 0, err
	}
	p := off + h.hdrLen
	switch h.kind {
	case kindNil:
		dst = append(dst, "null"...)
	case kindBool:
		dst = strconv.AppendBool(dst, b[off] == 0xc3)
	case kindInt, kindUint:
		if v, ok := readInt(b, off, h); ok {
			dst = strconv.AppendInt(dst, v, 10)
		} else {
			dst = strconv.AppendUint(dst, binary.BigEndian.Uint64(b[p:]), 10)
		}
	case kindFloat:
		var f float64
		if h.n == 4 {
			f = float64(math.Float32frombits(binary.BigEndian.Uint32(b[p:])))
		} else {
			f = math.Float64frombits(binary.BigEndian.Uint64(b[p:]))
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			dst = append(dst, "null"...)
		} else {
			dst = strconv.AppendFloat(dst, f, 'g', -1, 64)
		}
	case kindStr, kindBin:
		dst = appendJSONString(dst, b[p:end])
	case kindExt:
		if h.extType == 0 && h.n == 8 {
			dst = appendJSONTime(dst, b, off)
		} else {
			dst = append(dst, "null"...)
		}
	case kindArray:
		dst = append(dst, '[')
		q := p
		for i := 0; i < h.n; i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, q, err = appendJSONValue(dst, b, q, depth+1); err != nil {
				return dst, 0, err
			}
		}
		dst = append(dst, ']')
	case kindMap:
		dst = append(dst, '{')
		if dst, _, err = appendJSONPairs(dst, b, p, h.n, depth); err != nil {
			return dst, 0, err
		}
		dst = append(dst, '}')
	}
	return dst, end, nil
}

const hexDigits = "0123456789abcdef"

// appendJSONPairs writes the n key/value pairs at b[q] as JSON object
// members, without braces.
func appendJSONPairs(dst, b []byte, q, n, depth int) ([]byte, int, error) {
	for i := 0; i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		hk, err := readHeader(b, q)
		if err != nil {
			return dst, 0, err
		}
		kEnd, err := skipValue(b, q)
		if err != nil {
			return dst, 0, err
		}
		if hk.kind == kindStr || hk.kind == kindBin {
			dst = appendJSONString(dst, b[q+hk.hdrLen:kEnd])
		} else {
			// JSON keys are strings: quote the key's JSON form.
			k, _, err := appendJSONValue(nil, b, q, depth+1)
			if err != nil {
				return dst, 0, err
			}
			dst = appendJSONString(dst, k)
		}
		dst = append(dst, ':')
		if dst, q, err = appendJSONValue(dst, b, kEnd, depth+1); err != nil {
			return dst, 0, err
		}
	}
	return dst, q, nil
}

// appendJSONString writes s as a JSON string, replacing invalid UTF-8.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20 || c == 0x7f:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}
