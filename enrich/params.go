package enrich

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/internal/msgpack"
)

// maxParams bounds the variables extracted from one message.
const maxParams = 32

// matcher extracts a message's variables by the literals between them in the
// entry's format, lits[0] var0 lits[1] ... lits[n], as docs/recognition.md says.
type matcher struct {
	lits  [][]byte // normalised: see normaliseLiteral
	keys  [][]byte // encoded parameter names
	names [][]byte // the placeholders as written: a value that reads the same is literal text
	tail  []byte   // the punctuation that ends the format, which real lines often leave out
	// bit i: variable i is an address before ":port", so it ends at the last ':' (2001:db8::1:500)
	beforePort uint32
	// bit i: variable i is followed by a punctuation mark and a blank ("[chars]: [chars]"), so it ends at
	// the first such mark the line also follows with a blank, if any before a blank: a UDI (PID:C9300,SN:FOC1) holds colons
	blankAfter uint32
}

// formatHeader is a "%FAC-SEV-ID:" header that starts a format, perhaps after "Error Message"
// (エラーメッセージ in the Japanese documents, which print "%Threat Defense-4-722001:", and a few
// without the colon: "%Threat Defense-7-725014 SSL lib error. Function: *function*").
var formatHeader = regexp.MustCompile(`^[^%]*%(?:Threat Defense|[A-Z][A-Z0-9_]*)-[^:*\[ \t]*(?::[ \t]*|[ \t]+)`)

// compileMatcher builds the matcher of an entry's format, nil when it has no variables.
func compileMatcher(ent *catalog.Entry) *matcher {
	format := strings.TrimSpace(ent.Format)
	if p := strings.IndexByte(format, '%'); p >= 0 && utf8.RuneCountInString(format[:p]) <= 20 {
		format = format[len(formatHeader.FindString(format)):]
	}
	// Longest first, so that no name cuts another; a name marked up (<status>) is one only there.
	var params, ports []string // ports: the names the list describes as one (751021's "variable 2": ローカル ポート)
	for _, p := range ent.Params {
		n := strings.Trim(p.Name, "* []<>")
		if strings.Contains(p.Description, "ポート") {
			ports = append(ports, n)
		}
		if !slices.Contains(params, n) && !strings.Contains(format, "<"+n+">") && !strings.Contains(format, "*"+n+"*") {
			params = append(params, n)
		}
	}
	slices.SortStableFunc(params, func(a, b string) int { return len(b) - len(a) })
	var lits [][]byte
	var names []string
	var verbs []int // indexes in names of printf verbs
	litStart := 0
	var blankAfter uint32
	addVar := func(name string, i, end int) int {
		lit := normaliseLiteral(format[litStart:i])
		if len(names) > 0 && len(lit) == 1 && isPunct(lit[0]) && strings.HasSuffix(format[litStart:i], " ") {
			blankAfter |= 1 << (len(names) - 1)
		}
		lits = append(lits, lit)
		names = append(names, name)
		litStart = end
		return end
	}
	for i := 0; i < len(format); {
		c := format[i]
		if o := strings.IndexByte("*[<", c); o >= 0 {
			// Threat Defense lines print the brackets of a tag ([FQDN]) and of words ([CPU percentage | memory
			// percentage]); Cipher[order] (Cipher[1]: trimValue removes them) and a user's [IP_address] are placeholders.
			j := strings.IndexByte(format[i+1:], "*]>"[o])
			n := format[i+1 : i+1+max(j, 0)]
			blank, ftd := strings.Contains(n, " "), c == '[' && ent.Product == catalog.ProductFTD
			if j > 0 && j < 40 && !strings.ContainsAny(n, "*[]<>") && !(c == '*' && blank) &&
				!(ftd && (blank || !strings.ContainsFunc(n, unicode.IsLower))) {
				i = addVar(format[i+1:i+1+j], i, i+j+2)
				continue
			}
		}
		if c == '%' && i+1 < len(format) && strings.IndexByte("sdiuxXBpA", format[i+1]) >= 0 &&
			(i+2 == len(format) || !isParamWordByte(format[i+2])) {
			// A verb described in brackets (%s[Master unit name]) is one variable of that name.
			if i+2 < len(format) && format[i+2] == '[' {
				if j := strings.IndexByte(format[i+3:], ']'); j > 0 && j < 40 && !strings.ContainsAny(format[i+3:i+3+j], "*[<>") {
					i = addVar(format[i+3:i+3+j], i, i+4+j)
					continue
				}
			}
			verbs = append(verbs, len(names))
			i = addVar(format[i+1:i+2], i, i+2)
			continue
		}
		if i == 0 || !isParamWordByte(format[i-1]) {
			n, end := paramAt(format, i, params)
			if n == "" && ent.Product == catalog.ProductFTD {
				// A word at the start followed by ':' is the message's tag.
				if w := wordAt(format, i); placeholderWord(format, i, w) && !(i == 0 && strings.HasPrefix(format[len(w):], ":")) {
					n, end = w, i+len(w)
				}
			}
			// The word before is a label unless it is the variable just read ("user = user : user IP").
			afterLabel := sameWord(prevWord(format, i), n) && (len(names) == 0 || strings.Trim(format[litStart:i], " :=") != "")
			if n != "" && (afterLabel || !isLabel(format, i, end)) && !isTextAfterArticle(format, i, n) && (afterLabel || !labelled(format, n)) {
				i = addVar(n, i, end)
				continue
			}
		}
		i++
	}
	lits = append(lits, normaliseLiteral(format[litStart:]))
	if len(names) == 0 {
		return nil
	}
	if len(verbs) == len(ent.Params) { // the list names the verbs in order
		for k, vi := range verbs {
			names[vi] = ent.Params[k].Name
		}
	}
	if len(names) > maxParams {
		names, lits = names[:maxParams], lits[:maxParams+1]
	}
	m := &matcher{lits: lits, blankAfter: blankAfter}
	used := make(map[string]int, len(names))
	for i, n := range names {
		m.names = append(m.names, []byte(n))
		if i > 0 && string(lits[i]) == ":" {
			if l := strings.ToLower(n); strings.HasSuffix(l, "port") || l == "u" || l == "p" || slices.Contains(ports, n) {
				m.beforePort |= 1 << (i - 1)
			}
		}
		key := n
		for used[key] > 0 { // a repeat, or a name a repeat took (a format may write [chars_2] too)
			used[n]++
			key = fmt.Sprintf("%s_%d", n, used[n])
		}
		used[key]++
		m.keys = append(m.keys, msgpack.AppendStr(nil, key))
	}
	last := lits[len(lits)-1]
	t := len(bytes.TrimRightFunc(last, func(r rune) bool { return r < 0x80 && (isPunct(byte(r)) || r == ' ') }))
	m.tail = bytes.TrimSpace(last[t:])
	m.lits[len(m.lits)-1] = last[:t]
	return m
}

// paramAt returns the parameter name at format[i] that ends at a word boundary,
// blanks next to punctuation aside ("local IP:local port"), and its end, or "".
func paramAt(format string, i int, params []string) (string, int) {
	skip := func(j int) int { return len(format) - len(strings.TrimLeft(format[j:], " ")) }
next:
	for _, name := range params {
		j := i
		for k := 0; k < len(name); k++ {
			c := name[k]
			if c == ' ' && (isPunct(name[k+1]) || isPunct(name[k-1])) { // names are trimmed: a blank is inside
				continue
			}
			if isPunct(c) {
				j = skip(j)
			}
			if j >= len(format) || format[j] != c {
				continue next
			}
			if j++; isPunct(c) && k+1 < len(name) {
				j = skip(j)
			}
		}
		if j == len(format) || !isParamWordByte(format[j]) {
			return name, j
		}
	}
	return "", 0
}

func isParamWordByte(c byte) bool { return isWord(c) || c == '-' }

// isPunct reports whether c is ASCII punctuation, around which blanks are optional.
func isPunct(c byte) bool { return c > ' ' && c < 0x7f && !isWord(c) }

// wordAt returns the word (letters, digits, '_' and '-') at format[i].
func wordAt(format string, i int) string {
	j := i
	for j < len(format) && isParamWordByte(format[j]) {
		j++
	}
	return strings.TrimRight(format[i:j], "-")
}

// placeholderWord reports whether the word w at format[i] is shaped as no text is:
// IP_address, user-name (ending in a valueKinds), or starting with its label ("Group group", "length: length",
// "User username").
func placeholderWord(format string, i int, w string) bool {
	if strings.Contains(w, "_") && strings.ContainsFunc(w, unicode.IsLower) {
		return true
	}
	if w == "" || w[0] < 'a' || strings.ContainsFunc(w, unicode.IsUpper) { // no byte of a word is past 'z'
		return false
	}
	j := strings.LastIndexByte(w, '-')
	p := prevWord(format, i)
	l := joiners.Replace(strings.ToLower(p))
	return j > 0 && slices.Contains(valueKinds, w[j+1:]) || sameWord(p, w) || len(l) >= 3 && strings.HasPrefix(joiners.Replace(w), l)
}

// valueKinds end the hyphenated placeholder names of the Threat Defense document.
var valueKinds = []string{"name", "id", "ip", "port", "type", "num", "number", "length", "version", "value", "mask",
	"hex", "address", "addr", "string", "count", "size", "code", "level", "index", "reason"}

// prevWord returns the word before format[i], parted from it by blanks, perhaps after a ':' or
// '=' ("length: length"), or by a '=' alone ("recycle=recycle"); else "".
func prevWord(format string, i int) string {
	e := len(strings.TrimRight(format[:i], " "))
	if e > 0 && (format[e-1] == ':' || format[e-1] == '=') {
		e = len(strings.TrimRight(format[:e-1], " "))
	}
	s := e
	for s > 0 && isParamWordByte(format[s-1]) {
		s--
	}
	if e == i {
		return ""
	}
	return format[s:e]
}

// labelSep parts a label from the word it labels: a blank, perhaps after ':' or '=', perhaps before a quote.
var labelSep = regexp.MustCompile(`^ ?[:=]? ['"<(\[]?`)

// isLabel reports whether format[i:end] labels the same word after it ("reason: reason").
func isLabel(format string, i, end int) bool {
	sep := labelSep.FindString(format[end:])
	next := wordAt(format, end+len(sep))
	return next != "" && sameWord(next, format[i:end]) // a two-word name is no label of its first word
}

// labelled reports whether format writes n after its label somewhere ("Pool=pool"): n is then a
// placeholder only there, and text elsewhere ("Returned ip-address to pool").
func labelled(format, n string) bool {
	for i := 0; ; i++ {
		j := strings.Index(format[i:], n)
		if j < 0 {
			return false
		}
		if i += j; sameWord(prevWord(format, i), n) {
			return true
		}
	}
}

// joiners drops the '-' and '_' inside words; built once, as a Replacer costs more to build than to use.
var joiners = strings.NewReplacer("-", "", "_", "")

// sameWord compares two words ignoring case, '-' and '_' (trust-point, trustpoint).
func sameWord(a, b string) bool { return strings.EqualFold(joiners.Replace(a), joiners.Replace(b)) }

// isTextAfterArticle reports whether the word n at format[i] is text, lower-case letters after an
// article (this connection); licenseType there is a name.
func isTextAfterArticle(format string, i int, n string) bool {
	w := prevWord(format, i)
	return !strings.ContainsFunc(n, func(r rune) bool { return r < 'a' || r > 'z' }) && strings.HasSuffix(format[:i], w+" ") &&
		slices.Contains([]string{"a", "an", "the", "this", "that", "these", "those"}, strings.ToLower(w))
}

// normaliseLiteral makes runs of blanks one and drops those next to punctuation (optional to litMatch).
func normaliseLiteral(l string) []byte {
	var out []byte
	for _, c := range []byte(l) {
		if c == '\t' || c == '\n' || c == '\r' {
			c = ' '
		}
		switch n := len(out); {
		case c == ' ' && n > 0 && (out[n-1] == ' ' || isPunct(out[n-1])):
			continue
		case isPunct(c) && n > 0 && out[n-1] == ' ':
			out = out[:n-1]
		}
		out = append(out, c)
	}
	return out
}

// isBlank reports whether c is a blank of a line, which a blank of a format matches and which is
// trimmed from the ends of values: a space, a tab, or the line break a message wrapped over lines
// has in place of a space (a console capture, a record a multiline parser joined).
func isBlank(c byte) bool { return blankByte[c] }

// blankByte holds the bytes isBlank accepts, for one load in the matcher's loops; never modified.
var blankByte = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

// indexBlank returns the position of the first blank of b, or -1.
func indexBlank(b []byte) int {
	for i, c := range b {
		if isBlank(c) {
			return i
		}
	}
	return -1
}

// skipLineBlanks skips the blanks, line breaks included, at text[k].
func skipLineBlanks(text []byte, k int) int {
	start := k
	for k < len(text) && isBlank(text[k]) {
		k++
	}
	addWork(k - start)
	return k
}

// litMatch matches the literal lit at text[i] and returns its end: letters in
// either case, a blank against blanks, and any blanks around punctuation.
func litMatch(text []byte, i int, lit []byte) (int, bool) {
	j := i
	for k := 0; k < len(lit); k++ {
		c := lit[k]
		switch {
		case c == ' ':
			// A number may follow the word before it with no blank or a '-' (IKEv1, drop rate-1).
			if k == len(lit)-1 && k > 0 && isWord(lit[k-1]) && j < len(text) && !isBlank(text[j]) {
				if text[j] == '-' && j+1 < len(text) && isDigit(text[j+1]) {
					j++
				}
				if isDigit(text[j]) {
					continue
				}
			}
			if j >= len(text) || !isBlank(text[j]) {
				return 0, false
			}
			j = skipLineBlanks(text, j)
		case isPunct(c):
			j = skipLineBlanks(text, j)
			if j >= len(text) || text[j] != c {
				return 0, false
			}
			if j++; k+1 < len(lit) {
				j = skipLineBlanks(text, j)
			}
		default:
			if j >= len(text) || text[j] != c && (!isLetter(c) || text[j]|0x20 != c|0x20) {
				return 0, false
			}
			j++
		}
	}
	return j, true
}

// litIndex returns the span of the first match of lit in text[from:], found by lit's first
// non-blank byte in either case; the match starts at the blanks before it (" User ", ":").
func litIndex(text []byte, from int, lit []byte) (int, int, bool) {
	k := 0
	if lit[0] == ' ' {
		if len(lit) == 1 { // a run of blanks
			if i := indexBlank(text[from:]); i >= 0 {
				return from + i, skipLineBlanks(text, from+i), true
			}
			return 0, 0, false
		}
		k = 1
	}
	c := lit[k]
	a, b := c, c
	if isLetter(c) {
		a, b = c|0x20, c&^0x20
	}
	back := k == 1 || isPunct(c)
	// The next positions of a and b at or after i, each searched again only once i passes it.
	na, nb := -1, -1
	for i := from + k; i < len(text); {
		if na < i {
			na = indexFrom(text, i, a)
		}
		if nb < i {
			nb = indexFrom(text, i, b)
		}
		q := min(na, nb)
		if q >= len(text) {
			return 0, 0, false
		}
		s := q
		if back {
			for s > i-k && isBlank(text[s-1]) {
				s--
			}
		}
		if end, ok := litMatch(text, s, lit); ok {
			return s, end, true
		}
		i = q + 1
	}
	return 0, 0, false
}

// indexFrom returns the position of c in text at or after i, or len(text).
func indexFrom(text []byte, i int, c byte) int {
	if j := bytes.IndexByte(text[i:], c); j >= 0 {
		return i + j
	}
	return len(text)
}

// match extracts text's variables into caps, up to a missing literal or a value that is its placeholder.
func (m *matcher) match(text []byte, caps *[maxParams]span) int {
	// A line break may part the text from its header: textStart leaves it.
	pos, ok := litMatch(text, skipLineBlanks(text, 0), m.lits[0])
	if !ok {
		return 0
	}
	n := 0
	last := len(m.keys) - 1
	for i := range m.keys {
		lit := m.lits[i+1]
		var end, next int
		switch {
		case i == last && len(lit) == 0:
			end, next = len(text), len(text)
			for end > pos && isBlank(text[end-1]) {
				end--
			}
			// The tail, or what is left of it without the final period: "1500)" of "(threshold num).".
			for t := len(m.tail); t > 0; t-- {
				if end-t >= pos && bytes.Equal(text[end-t:end], m.tail[:t]) {
					end -= t
					break
				}
			}
		case len(lit) == 0:
			v := skipLineBlanks(text, pos)
			end = len(text)
			if k := indexBlank(text[v:]); k >= 0 {
				end = v + k
			}
			next = end
		default: // a blank alone between two variables makes the first one word
			from, v, angled := pos, skipLineBlanks(text, pos), false
			if len(lit) == 1 && lit[0] == ' ' { // the word, not the blanks a mark before it leaves ("Temp: 95 C")
				from = v
			}
			// A value in angle brackets ends at its '>': "Group <Guest User Policy> User".
			if v < len(text) && text[v] == '<' {
				if g := bytes.IndexByte(text[v:], '>'); g > 0 {
					from, angled = v+g+1, true
				}
			}
			s, e, ok := litIndex(text, from, lit)
			if !ok {
				// The line stops matching after a value in angle brackets, which is whole.
				if caps[n] = trimValue(text, pos, from); angled && !bytes.Equal(text[caps[n].start:caps[n].end], m.names[i]) {
					n++
				}
				return n
			}
			// A number glued to the literal's last word ("Group Remote User2 User bob") is part of the value
			// when the literal comes later with its blank.
			if lit[len(lit)-1] == ' ' && !isBlank(text[e-1]) {
				if s2, e2, ok := litIndex(text, e, lit); ok && isBlank(text[e2-1]) {
					s, e = s2, e2
				}
			}
			if m.blankAfter&(1<<i) != 0 {
				// Only within one word: the UDI is one, a later ", " past "(5,0x0c) dropped" no end of it.
				word := len(text)
				if k := indexBlank(text[s:]); k >= 0 {
					word = s + k
				}
				for s2, e2, ok := s, e, true; ok && s2 <= word; s2, e2, ok = litIndex(text, e2, lit) {
					if e2 == len(text) || isBlank(text[e2]) {
						s, e = s2, e2
						break
					}
				}
			}
			// An address before ":port" may hold colons (2001:db8::1:500): the value ends
			// at the last ':' before the literal that follows the port.
			if m.beforePort&(1<<i) != 0 {
				s2 := len(text) // the port ends the message
				if l := m.lits[i+2]; len(l) > 0 {
					if t, _, ok := litIndex(text, e, l); ok {
						s2 = t
					} else if k := indexBlank(text[e:]); k >= 0 {
						s2 = e + k // the line stops matching after the port, which ends the word
					}
				}
				if q := bytes.LastIndexByte(text[s:s2], ':'); q > 0 {
					s, e = s+q, s+q+1
				}
			}
			end, next = s, e
		}
		caps[n] = trimValue(text, pos, end)
		if bytes.Equal(text[caps[n].start:caps[n].end], m.names[i]) {
			return n
		}
		n++
		pos = next
	}
	return n
}

// trimValue trims blanks and the angle or square brackets Threat Defense lines put around values.
func trimValue(text []byte, s, e int) span {
	for s < e && isBlank(text[s]) {
		s++
	}
	for e > s && isBlank(text[e-1]) {
		e--
	}
	// One pair around the whole value, not the first and last of several: "[F1547][major]" stays.
	if e-s >= 2 && (text[s] == '<' && text[e-1] == '>' || text[s] == '[' && text[e-1] == ']') &&
		bytes.IndexByte(text[s+1:e-1], text[e-1]) < 0 {
		return trimValue(text, s+1, e-1) // and the blanks inside: "[ Scanning]"
	}
	return span{int32(s), int32(e)}
}
