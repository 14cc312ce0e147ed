package enrich

import (
	"bytes"
	"strings"

	"github.com/enrich-plugin/enrich/catalog"
)

// Match is a message identifier found in a log value.
type Match struct {
	Product catalog.Product
	// ID is the message ID as the record gets it: "722051", "SMART_LIC-3-COMM_FAILED"
	// (the header without %), "086008", "ILSPwdAuthenticationFailed".
	ID         string
	Severity   int            // the header's severity 0-7, or -1 when the header has none
	Entry      *catalog.Entry // nil when the catalog does not know the ID
	Start, End int            // the byte offsets of the identifier in the value
}

// Recognise finds the message identifier in value, allocating only the ID string.
func (e *Engine) Recognise(value []byte) (Match, bool) {
	var m, tmp match
	if !e.find(value, &m, &tmp) {
		return Match{Severity: -1}, false
	}
	out := Match{Product: catalog.ProductAt(m.product), ID: string(m.id), Severity: m.sev,
		Start: m.pos, End: m.pos + len(m.id)}
	if m.ent != nil {
		out.Entry = m.ent.entry
	}
	if m.text >= 0 { // a signature, whose ID is not in the value
		out.End = m.pos
	}
	return out, true
}

// The products' indexes in catalog.ProductAt.
const (
	pFTD = iota
	pIOS
	pCUCM
	pIBM
)

// match is the allocation-free Match of the hot path: id is in the value, or the entry's ID.
type match struct {
	product int
	id      []byte
	sev     int
	ent     *entryEnc
	pos     int // where the identifier starts in the value, for ordering
	// text is where the message text starts, for parameter matching, or ^k when it starts at
	// textStart(value, k): most records never need it worked out. Only signature matches,
	// whose id is the entry's, set it directly.
	text int
	// nxRelayed: the message came in an NX-OS SYSTEM_MSG relay, whose text ends in the process
	// that sent it (nxTextEnd); set and copy clear it, find sets it.
	nxRelayed bool
}

// set and copy assign field by field: a struct assignment is slower here.
func (m *match) set(product int, id []byte, sev int, ent *entryEnc, pos, text int) {
	m.product, m.id, m.sev, m.ent, m.pos, m.text, m.nxRelayed = product, id, sev, ent, pos, text, false
}

func (m *match) copy(o *match) { m.set(o.product, o.id, o.sev, o.ent, o.pos, o.text) }

// find stores in m the identifier of v by docs/recognition.md: the first '%'
// header that is not a relay's, else the first relay header, known to the catalog
// or not; then a bare header; then scanText. A header that a message quotes
// further on (a user name, a URL, a command) is its text, in an NX-OS relay's
// text too. Once m holds a relay header, the next ones are parsed into tmp.
func (e *Engine) find(v []byte, m, tmp *match) bool {
	haveRelay, nx := false, false // nx: behind an NX-OS relay, at the start of its text
	cur := m
	for i := 0; i < len(v); {
		j := bytes.IndexByte(v[i:], '%')
		if j < 0 {
			addWork(len(v) - i)
			break
		}
		addWork(j + 1)
		p := i + j
		// A Threat Defense prefix needs a Threat Defense ID.
		if n := ftdPrefixLen(v[p+1:]); n > 0 && !e.parseFTD(v, p+1+n, cur) || n == 0 && !e.parseTokens(v, p, cur) {
			if nx {
				break
			}
			i = p + 1
			continue
		}
		if cur.product != pIOS || !isRelay(cur.id) {
			if cur != m {
				m.copy(cur)
				m.nxRelayed = nx
			}
			return true
		}
		i, nx = max(cur.text, ^cur.text, p+1), bytes.HasSuffix(cur.id, []byte("-SYSTEM_MSG")) // textStart skips no '%'
		haveRelay, cur = true, tmp
		// NX-OS writes the header it carries first ("%USER-2-SYSTEM_MSG: <<%USBHSD-2-MOUNT>> ...");
		// one further on is a daemon's text, such as a login name.
		if nx {
			if i = textStart(v, i); hasPrefix(v[i:], "<<") {
				i += 2
			}
			if i >= len(v) || v[i] != '%' {
				break
			}
		}
	}
	if haveRelay {
		return true
	}
	return e.bareHeader(v, m) || e.scanText(v, m)
}

// isRelay reports whether id relays another message: NX-OS FAC-SEV-SYSTEM_MSG, IOS-XE IOSXE-SEV-PLATFORM.
func isRelay(id []byte) bool {
	return len(id) > len("-SYSTEM_MSG") && bytes.HasSuffix(id, []byte("-SYSTEM_MSG")) ||
		len(id) > len("IOSXE--PLATFORM") && hasPrefix(id, "IOSXE-") && bytes.HasSuffix(id, []byte("-PLATFORM"))
}

// nxTextEnd returns where the text t of a message an NX-OS relay carries ends: before the
// " - process" or " - process[pid]" NX-OS appends to it (" - smartlic", "online  - usbhsd-log[2799]"),
// a name of letters, digits, '_', '-' and '.' that starts with a letter; else len(t).
func nxTextEnd(t []byte) int {
	e := len(t)
	for e > 0 && isBlank(t[e-1]) {
		e--
	}
	if e > 0 && t[e-1] == ']' {
		d := e - 1
		for d > 0 && isDigit(t[d-1]) {
			d--
		}
		if d == e-1 || d == 0 || t[d-1] != '[' {
			return len(t)
		}
		e = d - 1
	}
	n := e
	for n > 0 && (isParamWordByte(t[n-1]) || t[n-1] == '.') {
		n--
	}
	if n == e || !isLetter(t[n]) || n < 3 || string(t[n-3:n]) != " - " {
		return len(t)
	}
	return n - 3 // the blanks before it end the last value
}

// maxTagEnd bounds where a "process[pid]:" tag ends, after priority, sequence, node, time and
// host, and a relay's header in front of them (the Kiwi wrapper of the real samples is 108 bytes).
const maxTagEnd = 320

// bareHeader finds an IOS-style header without '%' after a "name[pid]:" tag in
// the first maxTagEnd bytes of v, else at its start (IOS-XR).
func (e *Engine) bareHeader(v []byte, m *match) bool {
	h := v[:min(len(v), maxTagEnd)]
	for i := 0; i < len(h); {
		j := bytes.Index(h[i:], []byte("]:"))
		if j < 0 {
			addWork(len(h) - i)
			break
		}
		addWork(j + 2)
		p := i + j
		d := p
		for d > 0 && isDigit(v[d-1]) {
			d--
		}
		if d < p && d > 1 && v[d-1] == '[' && isWord(v[d-2]) && e.bareAt(v, skipBlanks(v, p+2), m) {
			return true
		}
		i = p + 2
	}
	// At the start, a name followed by a time is a device's host name (NX-OS behind the shipped
	// parser), unless the catalog knows it.
	s := skipBlanks(v, 0)
	return e.bareAt(v, s, m) && (m.ent != nil || !timeAt(v, textStart(v, s+len(m.id))))
}

// bareAt parses a bare header at v[s]: only FAC-SEV-MNEMONIC with an upper-case
// facility, a digit severity and a colon, so that free text is not taken for one.
func (e *Engine) bareAt(v []byte, s int, m *match) bool {
	if s >= len(v) || v[s] < 'A' || v[s] > 'Z' || !e.parseTokens(v, s-1, m) || m.product != pIOS {
		return false
	}
	id := m.id
	// The facility is word bytes, lower-case letters from 'a' on: one anywhere in it (Step-1-install) is free text.
	for _, c := range id[:bytes.IndexByte(id, '-')] {
		if c >= 'a' {
			return false
		}
	}
	if d := bytes.LastIndexByte(id, '-'); !isDigitSev(id[d-1]) { // parseTokens made it FAC[-SUB...]-S-MNEMONIC
		return false
	}
	end := skipBlanks(v, s+len(id))
	return end < len(v) && v[end] == ':'
}

// timeAt reports whether v[k:] starts as what IOS and NX-OS write after a host name: a clock
// flag ('*', '.'), a year, sequence number or uptime (a digit), or a month and a blank.
func timeAt(v []byte, k int) bool {
	if k < len(v) && (v[k] == '*' || v[k] == '.' || isDigit(v[k])) {
		return true
	}
	if k+4 > len(v) || v[k+3] != ' ' {
		return false
	}
	switch string(v[k : k+3]) {
	case "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec":
		return true
	}
	return false
}

// ftdPrefixLen returns the length of the Threat Defense facility name that
// b starts with and that ends there (%ASAP-3-X is IOS-style), or 0.
func ftdPrefixLen(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	// Constant prefixes, which the compiler compares inline.
	n := 0
	switch b[0] {
	case 'A':
		if hasPrefix(b, "ASA") {
			n = 3
		}
	case 'F':
		if hasPrefix(b, "FTD") {
			n = 3
		} else if hasPrefix(b, "FWSM") {
			n = 4
		}
	case 'P':
		if hasPrefix(b, "PIX") {
			n = 3
		}
	case 'N':
		if hasPrefix(b, "NGIPS") {
			n = 5
		}
	case 'T':
		if hasPrefix(b, "Threat Defense") {
			n = len("Threat Defense")
		}
	}
	// A digit after the prefix is a severity whose dash is missing (%FTD7-737038), not more of a name (%ASA5505-).
	if n > 0 && n < len(b) && !isLetter(b[n]) && b[n] != '_' && (!isDigit(b[n]) || n+1 < len(b) && b[n+1] == '-') {
		return n
	}
	return 0
}

func hasPrefix(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix
}

// parseFTD parses what follows a Threat Defense prefix at v[k], a byte at least (ftdPrefixLen):
// [<...>][-[-]][class-]SEV-NNNNNN, or SEV-NNNNNN with no dash (FTD7-737038).
func (e *Engine) parseFTD(v []byte, k int, m *match) bool {
	addWork(1) // every part after the prefix has a bounded length
	if v[k] == '<' {
		end := bytes.IndexByte(v[k:min(len(v), k+24)], '>')
		if end < 0 {
			return false
		}
		k += end + 1
	}
	d := k // one or two dashes, then perhaps a class: %ASA-session-5-...
	for k < len(v) && v[k] == '-' && k-d < 2 {
		k++
	}
	if c := k; k > d && k < len(v) && v[k] >= 'a' && v[k] <= 'z' {
		// A class starts with a letter and may hold digits after it: ipv6, e911.
		for k++; k < len(v) && k-c < 16 && (v[k] >= 'a' && v[k] <= 'z' || isDigit(v[k])); k++ {
		}
		if k >= len(v) || v[k] != '-' { // a class ends in a dash
			return false
		}
		k++
	}
	// The 6-digit ID must not run on into a letter or digit.
	if k+8 > len(v) || !isDigitSev(v[k]) || v[k+1] != '-' || k+8 < len(v) && (isLetter(v[k+8]) || isDigit(v[k+8])) {
		return false
	}
	id := v[k+2 : k+8]
	ent, ok := e.ftdIDs.lookup(id)
	if ok {
		m.set(pFTD, id, int(v[k]-'0'), ent, k+2, ^(k + 8))
	}
	return ok
}

// maxTokens bounds the dash-separated parts of an IOS-style header, and maxHeader its
// length (the longest known is 46 bytes): what is longer is no message ID, and would
// otherwise be kept whole in records and the unknown-ID report.
const maxTokens, maxHeader = 8, 128

// parseTokens parses %FACILITY[-SUB...]-SEV-MNEMONIC at v[p]: the IOS family, Unified CM
// CiscoLog headers and Threat Defense IDs under an unknown prefix (%FDT-6-716039).
func (e *Engine) parseTokens(v []byte, p int, m *match) bool {
	k := wordEnd(v, p+1)
	addWork(k - p)
	if k == p+1 || !hasLetter(v[p+1:k]) {
		return false
	}
	tokens := k
	// Only the first part, the last two and the first possible severity are kept.
	prevStart, mnStart, firstSev := -1, p+1, -1
	n := 1
	for k+1 < len(v) && v[k] == '-' && isWord(v[k+1]) {
		if n == maxTokens {
			addWork(k - tokens)
			return false
		}
		prevStart, mnStart = mnStart, k+1
		k = wordEnd(v, k+1)
		if firstSev < 0 && k-mnStart == 1 && isDigitSev(v[mnStart]) {
			firstSev = mnStart
		}
		n++
	}
	addWork(k - tokens)
	// A digit then a hex digit is a URL escape (%20, %2F), not a facility:
	// those that start with a digit go on with a letter past F (%2SWPORT).
	if n < 3 || k-p-1 > maxHeader || isDigit(v[p+1]) && isHex(v[p+2]) {
		return false
	}
	if fac := v[p+1 : tokens]; hasPrefixFold(fac, "uc_") || hasPrefixFold(fac, "ccm_") {
		return e.parseCUCM(v, firstSev, k, m)
	}
	sevStart := prevStart
	if mnStart-1-sevStart != 1 {
		return false
	}
	sev := int(v[sevStart] - '0')
	if !isDigitSev(v[sevStart]) {
		// Cisco Small Business switches write letters.
		if sev = strings.IndexByte("FACEWNID", v[sevStart]); sev < 0 {
			return false
		}
	}
	mn := v[mnStart:k]
	if ent, ok := e.ftdIDs.lookup(mn); ok {
		m.set(pFTD, mn, sev, ent, mnStart, ^k)
		return true
	}
	m.set(pIOS, v[p+1:k], sev, nil, p+1, ^k)
	// Most IOS-style lines name a message the catalog lacks: rule those out before building a key.
	if e.iosLengths&(1<<(len(mn)&63)) != 0 && e.iosMnemonics[string(mn)] {
		m.ent = e.lookupIOS(v[p+1:sevStart-1], mn)
	}
	return true
}

// parseCUCM reads a Unified CM CiscoLog header that ends at v[k] with its
// severity digit at v[sev]; the alarm name after it may contain dashes.
func (e *Engine) parseCUCM(v []byte, sev, k int, m *match) bool {
	if sev < 0 || sev+2 >= k {
		return false
	}
	mn := v[sev+2 : k]
	m.set(pCUCM, mn, int(v[sev]-'0'), nil, sev+2, ^k)
	// An RTMT alert names the real alarm after the header.
	if string(mn) == "RTMT_ALERT" || len(mn) > len("RTMT--ALERT") && hasPrefix(mn, "RTMT-") && bytes.HasSuffix(mn, []byte("-ALERT")) {
		if s, t, ok := rtmtAlertName(v, k, min(len(v), k+48)); ok {
			m.id, m.pos, m.text = v[s:t], s, ^t
		}
	}
	m.ent = e.index[pCUCM][string(m.id)]
	return true
}

// lookupIOS tries the upper-cased facility as written, then every shorter run of its parts,
// longest first from each start (LICENSE-SMART_LIC -> SMART_LIC, PIM-SW1 -> PIM,
// LICENSE-SMART_LIC-SW1 -> SMART_LIC): a known facility found as a part matches.
func (e *Engine) lookupIOS(fac, mn []byte) *entryEnc {
	idx := e.index[pIOS]
	var buf [256]byte
	for start := fac; ; {
		for f := start; ; {
			if n := len(f); n+1+len(mn) <= len(buf) {
				addWork(n + 1 + len(mn))
				for i, c := range f {
					if c >= 'a' { // of the word bytes and dashes of a facility, lower-case letters
						c -= 'a' - 'A'
					}
					buf[i] = c
				}
				buf[n] = '-'
				if ent := idx[string(buf[:n+1+copy(buf[n+1:], mn)])]; ent != nil {
					return ent
				}
			}
			j := bytes.LastIndexByte(f, '-')
			if j < 0 {
				break
			}
			f = f[:j]
		}
		j := bytes.IndexByte(start, '-')
		if j < 0 {
			return nil
		}
		start = start[j+1:]
	}
}

// textStart skips the ": " that ends a header at v[k], and an NX-OS relay's closing ">>"; it does
// afterSep's work inline, as a call to it doubles textStart's time.
func textStart(v []byte, k int) int {
	for n := 0; n < 2 && k < len(v) && v[k] == '>'; n++ {
		k++
	}
	k = skipBlanks(v, k)
	if k < len(v) && v[k] == ':' {
		k = skipBlanks(v, k+1)
	}
	return k
}

// afterSep skips blanks at v[k] and, if one of seps follows, it and the blanks after it.
func afterSep(v []byte, k int, seps string) (int, bool) {
	k = skipBlanks(v, k)
	if k < len(v) && strings.IndexByte(seps, v[k]) >= 0 {
		return skipBlanks(v, k+1), true
	}
	return k, false
}

func skipBlanks(v []byte, k int) int {
	start := k
	for k < len(v) && (v[k] == ' ' || v[k] == '\t') {
		k++
	}
	addWork(k - start)
	return k
}

func isDigitSev(c byte) bool { return c >= '0' && c <= '7' }
func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isLetter(c byte) bool   { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isHex(c byte) bool      { return isDigit(c) || (c|0x20) >= 'a' && (c|0x20) <= 'f' }
func isWord(c byte) bool     { return wordByte[c] }

// wordByte holds the bytes of a header token, letter, digit or '_', for one load in the token scanners; never modified.
var wordByte = func() (t [256]bool) {
	for c := range t {
		t[c] = isDigit(byte(c)) || isLetter(byte(c)) || c == '_'
	}
	return t
}()

func hasLetter(b []byte) bool {
	for _, c := range b {
		if isLetter(c) {
			return true
		}
	}
	return false
}

// hasPrefixFold reports whether b starts with prefix, ignoring the case of ASCII letters;
// prefix is lower case ASCII, without the k and s that Unicode folds with other letters.
func hasPrefixFold(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i := range len(prefix) {
		if c := b[i]; c != prefix[i] && !(c >= 'A' && c <= 'Z' && c+'a'-'A' == prefix[i]) {
			return false
		}
	}
	return true
}
