package enrich

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/enrich-plugin/enrich/catalog"
)

// maxParams bounds the variables extracted from one message.
const maxParams = 32

// matcher extracts a message's variables by the literal text between them
// in the entry's documented format: lits[0] var0 lits[1] var1 ... lits[n].
type matcher struct {
	lits [][]byte
	keys [][]byte // encoded parameter names
}

// compileMatcher builds the matcher of an entry's format, or returns nil
// when the format has no variables. Variables are written *name*
// (Threat Defense documents), [chars]/[dec] (IOS documents), or as a bare
// word equal to one of the entry's parameter names.
func compileMatcher(ent *catalog.Entry) (*matcher, error) {
	format := stripHeader(strings.TrimSpace(ent.Format))
	if format == "" {
		return nil, nil
	}
	// Parameter names may contain spaces and punctuation ("local IP:local
	// port"); try the longest first so that one name never cuts another.
	var params []string
	for _, p := range ent.Params {
		if n := strings.Trim(p.Name, "* []"); n != "" && !slices.Contains(params, n) {
			params = append(params, n)
		}
	}
	slices.SortStableFunc(params, func(a, b string) int { return len(b) - len(a) })
	var lits []string
	var names []string
	var lit strings.Builder
	addVar := func(name string) {
		lits = append(lits, lit.String())
		lit.Reset()
		names = append(names, name)
	}
	for i := 0; i < len(format); {
		c := format[i]
		if c == '*' || c == '[' {
			closer := byte('*')
			if c == '[' {
				closer = ']'
			}
			if j := strings.IndexByte(format[i+1:], closer); j > 0 && j < 40 && !strings.ContainsAny(format[i+1:i+1+j], "*[]") &&
				(c == '[' || !strings.Contains(format[i+1:i+1+j], " ")) {
				addVar(format[i+1 : i+1+j])
				i += j + 2
				continue
			}
		}
		if i == 0 || !isParamWordByte(format[i-1]) {
			if n := paramAt(format, i, params); n != "" {
				addVar(n)
				i += len(n)
				continue
			}
		}
		lit.WriteByte(c)
		i++
	}
	lits = append(lits, lit.String())
	if len(names) == 0 {
		return nil, nil
	}
	if len(names) > maxParams {
		names, lits = names[:maxParams], lits[:maxParams+1]
	}
	m := &matcher{}
	used := make(map[string]int, len(names))
	for _, n := range names {
		used[n]++
		if used[n] > 1 {
			n = fmt.Sprintf("%s_%d", n, used[n])
		}
		m.keys = append(m.keys, appendStr(nil, n))
	}
	for _, l := range lits {
		m.lits = append(m.lits, []byte(l))
	}
	return m, nil
}

// paramAt returns the parameter name that starts at format[i] and ends at
// a word boundary, or "".
func paramAt(format string, i int, params []string) string {
	for _, n := range params {
		end := i + len(n)
		if strings.HasPrefix(format[i:], n) && (end == len(format) || !isParamWordByte(format[end])) {
			return n
		}
	}
	return ""
}

func isParamWordByte(c byte) bool { return isWord(c) || c == '-' }

// stripHeader removes a leading "%FAC-SEV-ID:" (possibly after a label
// such as "Error Message") from a documented format.
func stripHeader(format string) string {
	p := strings.IndexByte(format, '%')
	if p < 0 || p > 20 {
		return format
	}
	end := strings.IndexByte(format[p:], ':')
	if end < 0 || strings.ContainsAny(format[p:p+end], "*[") {
		return format
	}
	return strings.TrimLeft(format[p+end+1:], " \t")
}

// match extracts the variables of text into caps and returns how many it
// found; it stops at the first literal the text does not contain.
func (m *matcher) match(text []byte, caps *[maxParams]span) int {
	if !bytes.HasPrefix(text, m.lits[0]) {
		return 0
	}
	pos := len(m.lits[0])
	n := 0
	last := len(m.keys) - 1
	for i := range m.keys {
		lit := m.lits[i+1]
		var end, next int
		switch {
		case i == last && len(bytes.TrimSpace(lit)) == 0:
			end, next = len(text), len(text)
		case len(lit) == 0:
			j := bytes.IndexByte(text[pos:], ' ')
			if j < 0 {
				j = len(text) - pos
			}
			end, next = pos+j, pos+j
		default:
			j := bytes.Index(text[pos:], lit)
			if j < 0 {
				return n
			}
			end, next = pos+j, pos+j+len(lit)
		}
		caps[n] = trimValue(text, pos, end)
		n++
		pos = next
	}
	return n
}

// trimValue trims blanks and one pair of enclosing angle brackets, which
// real Threat Defense lines put around values the document writes bare.
func trimValue(text []byte, s, e int) span {
	for s < e && (text[s] == ' ' || text[s] == '\t') {
		s++
	}
	for e > s && (text[e-1] == ' ' || text[e-1] == '\t' || text[e-1] == '\r' || text[e-1] == '\n') {
		e--
	}
	if e-s >= 2 && text[s] == '<' && text[e-1] == '>' {
		s, e = s+1, e-1
	}
	return span{int32(s), int32(e)}
}
