package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/enrich-plugin/enrich/internal/msgpack"
)

// jsonScanner reads one JSON object and converts it to a msgpack map for
// the engine: keys become str, the string values of message keys become
// str (unescaped), and every other value is kept as its JSON text in a
// JSONTextExt value, with the whitespace between tokens removed but
// numbers, strings, key order and duplicate keys as written. It walks
// nested values with a stack of its own, so any depth is fine.
type jsonScanner struct {
	b     []byte
	i     int
	stack []byte // closing brackets of the open containers
	isMsg func(key []byte) bool
}

// syntaxError says what is wrong with the line and where (1-based byte
// column).
type syntaxError struct {
	col  int
	what string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("column %d: %s", e.col, e.what) }

func (s *jsonScanner) fail(what string) error {
	if s.i >= len(s.b) {
		return &syntaxError{len(s.b) + 1, "unexpected end of line, " + what}
	}
	c := s.b[s.i]
	if c < 0x20 || c >= 0x7f {
		return &syntaxError{s.i + 1, fmt.Sprintf("byte 0x%02x: %s", c, what)}
	}
	return &syntaxError{s.i + 1, fmt.Sprintf("%q: %s", c, what)}
}

// appendObject appends line, a JSON object, as a msgpack map to dst. On
// an error dst is returned unchanged.
func (s *jsonScanner) appendObject(dst, line []byte) ([]byte, error) {
	s.b, s.i = line, 0
	start := len(dst)
	out, err := s.object(dst)
	s.b = nil
	if err != nil {
		return dst[:start], err
	}
	return out, nil
}

func (s *jsonScanner) object(dst []byte) ([]byte, error) {
	s.ws()
	if !s.eat('{') {
		return dst, s.fail("want {")
	}
	hdr := len(dst)
	dst = msgpack.AppendMapHeaderSize(dst, 0, 5) // count patched below
	n := 0
	s.ws()
	if !s.eat('}') {
		for {
			s.ws()
			if s.i >= len(s.b) || s.b[s.i] != '"' {
				return dst, s.fail("want a key")
			}
			key, err := s.str()
			if err != nil {
				return dst, err
			}
			k, err := unquote(key)
			if err != nil {
				return dst, err
			}
			dst = msgpack.AppendStr(dst, k)
			s.ws()
			if !s.eat(':') {
				return dst, s.fail("want :")
			}
			s.ws()
			if s.i < len(s.b) && s.b[s.i] == '"' && s.isMsg(k) {
				v, err := s.str()
				if err != nil {
					return dst, err
				}
				if v, err = unquote(v); err != nil {
					return dst, err
				}
				dst = msgpack.AppendStr(dst, v)
			} else if dst, err = s.textValue(dst); err != nil {
				return dst, err
			}
			n++
			s.ws()
			if s.eat('}') {
				break
			}
			if !s.eat(',') {
				return dst, s.fail("want , or }")
			}
		}
	}
	s.ws()
	if s.i < len(s.b) {
		return dst, s.fail("text after the object")
	}
	msgpack.PutMapHeader(dst[hdr:], n, 5)
	return dst, nil
}

// textValue appends the value at s.i as a JSONTextExt holding its text.
func (s *jsonScanner) textValue(dst []byte) ([]byte, error) {
	hdr := len(dst)
	dst = append(dst, 0xc9, 0, 0, 0, 0, byte(msgpack.JSONTextExt))
	dst, err := s.value(dst)
	if err != nil {
		return dst, err
	}
	n := len(dst) - hdr - 6
	dst[hdr+1], dst[hdr+2], dst[hdr+3], dst[hdr+4] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return dst, nil
}

// value appends the JSON value at s.i to dst without the whitespace
// between its tokens.
func (s *jsonScanner) value(dst []byte) ([]byte, error) {
	stack := s.stack[:0]
	defer func() { s.stack = stack[:0] }()
	for {
		s.ws()
		if s.i >= len(s.b) {
			return dst, s.fail("want a value")
		}
		switch c := s.b[s.i]; c {
		case '{', '[':
			s.i++
			dst = append(dst, c)
			s.ws()
			if s.eat(c + 2) { // '{'+2 is '}', '['+2 is ']'
				dst = append(dst, c+2)
				break
			}
			stack = append(stack, c+2)
			if c == '{' {
				var err error
				if dst, err = s.member(dst); err != nil {
					return dst, err
				}
			}
			continue
		case '"':
			v, err := s.str()
			if err != nil {
				return dst, err
			}
			dst = append(dst, v...)
		case 't':
			if !s.literal("true") {
				return dst, s.fail("want a value")
			}
			dst = append(dst, "true"...)
		case 'f':
			if !s.literal("false") {
				return dst, s.fail("want a value")
			}
			dst = append(dst, "false"...)
		case 'n':
			if !s.literal("null") {
				return dst, s.fail("want a value")
			}
			dst = append(dst, "null"...)
		default:
			from := s.i
			if !s.number() {
				return dst, s.fail("want a value")
			}
			dst = append(dst, s.b[from:s.i]...)
		}
		// After a value: close containers until one goes on.
		for {
			if len(stack) == 0 {
				return dst, nil
			}
			s.ws()
			closer := stack[len(stack)-1]
			if s.eat(closer) {
				dst = append(dst, closer)
				stack = stack[:len(stack)-1]
				continue
			}
			if !s.eat(',') {
				return dst, s.fail(fmt.Sprintf("want , or %c", closer))
			}
			dst = append(dst, ',')
			if closer == '}' {
				var err error
				if dst, err = s.member(dst); err != nil {
					return dst, err
				}
			}
			break
		}
	}
}

// member appends the key and colon of an object member inside a value.
func (s *jsonScanner) member(dst []byte) ([]byte, error) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return dst, s.fail("want a key")
	}
	k, err := s.str()
	if err != nil {
		return dst, err
	}
	dst = append(dst, k...)
	s.ws()
	if !s.eat(':') {
		return dst, s.fail("want :")
	}
	return append(dst, ':'), nil
}

// str checks the string at s.i and returns it with its quotes.
func (s *jsonScanner) str() ([]byte, error) {
	from := s.i
	s.i++
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.b[from:s.i], nil
		case c == '\\':
			s.i++
			if s.i >= len(s.b) {
				return nil, s.fail("unterminated string")
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				for k := 1; k <= 4; k++ {
					if s.i+k >= len(s.b) || !isHex(s.b[s.i+k]) {
						return nil, s.fail("bad \\u escape")
					}
				}
				s.i += 5
			default:
				return nil, s.fail("bad escape")
			}
		case c < 0x20:
			return nil, s.fail("control character in a string")
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, size := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && size == 1 {
				return nil, s.fail("invalid UTF-8 in a string")
			}
			s.i += size
		}
	}
	return nil, s.fail("unterminated string")
}

// number checks the number at s.i: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScanner) number() bool {
	s.eat('-')
	switch {
	case s.eat('0'):
	case s.digits() == 0:
		return false
	}
	if s.eat('.') && s.digits() == 0 {
		return false
	}
	if s.eat('e') || s.eat('E') {
		if !s.eat('+') {
			s.eat('-')
		}
		if s.digits() == 0 {
			return false
		}
	}
	return true
}

func (s *jsonScanner) digits() int {
	from := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i - from
}

func (s *jsonScanner) literal(word string) bool {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	return true
}

func (s *jsonScanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *jsonScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// unquote returns the content of a checked JSON string: a slice of it when
// it has no escapes, else the decoded text.
func unquote(q []byte) ([]byte, error) {
	inner := q[1 : len(q)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner, nil
	}
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return nil, fmt.Errorf("string %s: %w", q, err)
	}
	return []byte(s), nil
}
