package main

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/enrich-plugin/enrich/internal/msgpack"
)

// jsonScanner converts one JSON object to a msgpack map for the engine: keys and the string values
// of message keys that UTF-8 can hold become str, every other value a JSONTextExt of its text without
// the whitespace between tokens, so that numbers, escapes, key order and duplicate keys stay as written.
type jsonScanner struct {
	b       []byte
	i       int
	stack   []byte // closing brackets of the open containers
	text    []byte // the value being compacted
	msgKeys []string
}

// fail says what is wrong at s.i, with its 1-based byte column.
func (s *jsonScanner) fail(what string) error {
	switch {
	case s.i >= len(s.b):
		return fmt.Errorf("column %d: unexpected end of line, %s", len(s.b)+1, what)
	case s.b[s.i] < 0x20 || s.b[s.i] >= 0x7f:
		return fmt.Errorf("column %d: byte 0x%02x: %s", s.i+1, s.b[s.i], what)
	}
	return fmt.Errorf("column %d: %q: %s", s.i+1, s.b[s.i], what)
}

// object appends line, a JSON object from its first byte after JSON whitespace, '{', as a msgpack
// map to dst. Its own stack of closing brackets lets it take any depth: a value completed at the
// bottom, the top-level object, is a value of the map; nested ones are compacted into s.text.
func (s *jsonScanner) object(dst, line []byte) ([]byte, error) {
	s.b, s.i = line, 0
	s.ws()
	s.i++ // the '{', counted in the columns of errors as the rest of the line is
	stack := append(s.stack[:0], '}')
	defer func() { s.stack = stack[:0] }()
	hdr, n := len(dst), 0
	dst = msgpack.AppendMapHeaderSize(dst, 0, 5)
	var key []byte
	for empty := s.tok('}'); !empty; { // the loop ends with a break at the last '}'
		if stack[len(stack)-1] == '}' {
			if s.ws(); s.i >= len(s.b) || s.b[s.i] != '"' {
				return dst, s.fail("want a key")
			}
			k, err := s.str()
			if err != nil {
				return dst, err
			} else if !s.tok(':') {
				return dst, s.fail("want :")
			}
			if len(stack) > 1 {
				s.text = append(append(s.text, k...), ':')
			} else {
				key, _ = unquote(k) // a key is str even if it needs U+FFFD
				s.text = s.text[:0]
				dst = msgpack.AppendStr(dst, key)
			}
		}
		if s.ws(); s.i >= len(s.b) {
			return dst, s.fail("want a value")
		}
		switch c := s.b[s.i]; c {
		case '{', '[':
			s.i++
			if s.text = append(s.text, c); !s.tok(c + 2) { // '{'+2 is '}', '['+2 is ']'
				stack = append(stack, c+2)
				continue
			}
			s.text = append(s.text, c+2)
		case '"':
			v, err := s.str()
			if err != nil {
				return dst, err
			}
			s.text = append(s.text, v...)
		default:
			from := s.i
			if !s.literal("true") && !s.literal("false") && !s.literal("null") && !s.number() {
				return dst, s.fail("want a value")
			}
			s.text = append(s.text, s.b[from:s.i]...)
		}
		// After a value: close containers until one goes on.
		for len(stack) > 1 && s.tok(stack[len(stack)-1]) {
			s.text, stack = append(s.text, stack[len(stack)-1]), stack[:len(stack)-1]
		}
		if len(stack) == 1 {
			if s.text[0] != '"' || !slices.Contains(s.msgKeys, string(key)) {
				dst = msgpack.AppendExt(dst, msgpack.JSONTextExt, s.text)
			} else if v, lossy := unquote(s.text); !lossy {
				dst = msgpack.AppendStr(dst, v)
			} else {
				dst = msgpack.AppendExt(dst, msgpack.JSONTextExt, s.text) // kept as written, not searched
			}
			if n++; s.tok('}') {
				break
			}
		}
		if !s.eat(',') {
			return dst, s.fail(fmt.Sprintf("want , or %c", stack[len(stack)-1]))
		}
		if len(stack) > 1 {
			s.text = append(s.text, ',')
		}
	}
	if s.ws(); s.i < len(s.b) {
		return dst, s.fail("text after the object")
	}
	msgpack.PutMapHeader(dst[hdr:], n, 5)
	return dst, nil
}

// str checks the string at s.i and returns it with its quotes.
func (s *jsonScanner) str() ([]byte, error) {
	from := s.i
	for s.i++; s.i < len(s.b); {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return s.b[from:s.i], nil
		case c == '\\':
			s.i++
			switch {
			case s.i >= len(s.b):
				return nil, s.fail("unterminated string")
			case strings.IndexByte(`"\/bfnrt`, s.b[s.i]) >= 0:
				s.i++
			case s.b[s.i] != 'u':
				return nil, s.fail("bad escape")
			case len(s.b)-s.i < 5 || !isHex(s.b[s.i+1]) || !isHex(s.b[s.i+2]) || !isHex(s.b[s.i+3]) || !isHex(s.b[s.i+4]):
				return nil, s.fail("bad \\u escape")
			default:
				s.i += 5
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
	ok := s.eat('0') || s.digits() > 0
	if ok && s.eat('.') {
		ok = s.digits() > 0
	}
	if ok && (s.eat('e') || s.eat('E')) {
		if !s.eat('+') {
			s.eat('-')
		}
		ok = s.digits() > 0
	}
	return ok
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

// tok eats c after whitespace.
func (s *jsonScanner) tok(c byte) bool {
	s.ws()
	return s.eat(c)
}

func (s *jsonScanner) ws() {
	for s.i < len(s.b) && isJSONSpace(s.b[s.i]) {
		s.i++
	}
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// unquote returns the content of a string str has checked, and whether UTF-8 could not hold it as
// written: an escaped half of a UTF-16 surrogate pair (\ud800 alone) becomes U+FFFD, as in encoding/json.
func unquote(q []byte) (text []byte, lossy bool) {
	if q = q[1 : len(q)-1]; bytes.IndexByte(q, '\\') < 0 {
		return q, false
	}
	for i := bytes.IndexByte(q, '\\'); i >= 0; i = bytes.IndexByte(q, '\\') {
		text, q = append(text, q[:i]...), q[i:]
		r, n := escapedRune(q), 6
		if r < 0 { // one of \" \\ \/ \b \f \n \r \t
			text, q = append(text, "\"\\/\b\f\n\r\t"[strings.IndexByte(`"\/bfnrt`, q[1])]), q[2:]
			continue
		}
		if pair := utf16.DecodeRune(r, escapedRune(q[6:])); pair != utf8.RuneError {
			r, n = pair, 12 // a high and a low surrogate, escaped one after the other
		} else if utf16.IsSurrogate(r) {
			r, lossy = utf8.RuneError, true
		}
		text, q = utf8.AppendRune(text, r), q[n:]
	}
	return append(text, q...), lossy
}

// escapedRune reads the \u escape that starts b, in a string str has checked, or returns -1 if none does.
func escapedRune(b []byte) rune {
	if !bytes.HasPrefix(b, []byte(`\u`)) {
		return -1
	}
	n, _ := strconv.ParseUint(string(b[2:6]), 16, 16)
	return rune(n)
}
