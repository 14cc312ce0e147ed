package enrich

import (
	"bytes"

	"github.com/enrich-plugin/enrich/catalog"
)

// Match is a message identifier found in a log value.
type Match struct {
	Product catalog.Product
	// ID is the message ID as the record gets it: "722051",
	// "SMART_LIC-3-COMM_FAILED" (the header without %), "086008",
	// "ILSPwdAuthenticationFailed".
	ID string
	// Severity is the header's severity 0-7, or -1 when the header has none
	// (IBM labels, Unified CM trace signatures and alert names).
	Severity int
	// Entry is the catalog entry, nil when the catalog does not know the ID.
	Entry *catalog.Entry
	// Start and End are the byte offsets of the identifier in the value.
	Start, End int
}

// Recognise finds the message identifier in value. It allocates only the
// returned ID string; Rewrite uses the same search without allocating.
func (e *Engine) Recognise(value []byte) (Match, bool) {
	m, ok := e.find(value)
	if !ok {
		return Match{Severity: -1}, false
	}
	out := Match{Product: products[m.product], ID: string(m.id), Severity: m.sev, Start: m.pos, End: m.pos + len(m.id)}
	if m.ent != nil {
		out.Entry = m.ent.entry
	}
	if m.idOwned {
		out.Start, out.End = m.pos, m.pos
	}
	return out, true
}

// Product indexes, in the order of catalog.Products' values used here.
const (
	pFTD = iota
	pIOS
	pCUCM
	pIBM
	numProducts
)

var products = [numProducts]catalog.Product{catalog.ProductFTD, catalog.ProductIOS, catalog.ProductCUCM, catalog.ProductIBM}

// match is the allocation-free form of Match used on the hot path: id is a
// sub-slice of the value, or of the entry's ID for signature matches.
type match struct {
	product int
	id      []byte
	idOwned bool // id does not point into the value (signature matches)
	sev     int
	ent     *entryEnc
	pos     int // where the identifier starts in the value, for ordering
	text    int // where the message text starts, for parameter matching
}

// candidates collects what the scanners find: the earliest identifier the
// catalog knows, and the earliest well-formed one.
type candidates struct {
	known, first         match
	haveKnown, haveFirst bool
}

func (c *candidates) add(m match) {
	if m.ent != nil {
		if !c.haveKnown || m.pos < c.known.pos {
			c.known, c.haveKnown = m, true
		}
		return
	}
	if !c.haveFirst || m.pos < c.first.pos {
		c.first, c.haveFirst = m, true
	}
}

// limit is the end of the region still worth searching: past the
// earliest known identifier nothing can win any more.
func (c *candidates) limit(n int) int {
	if c.haveKnown {
		return c.known.pos
	}
	return n
}

// find searches v for message identifiers. '%' headers are found with
// bytes.IndexByte; labels, alert names and trace signatures with
// bytes.Index, each only in the part of v before the earliest known ID.
// The first identifier the catalog knows wins, else the first well-formed
// one.
func (e *Engine) find(v []byte) (match, bool) {
	var c candidates
	for i := 0; i < len(v); {
		j := bytes.IndexByte(v[i:], '%')
		if j < 0 {
			break
		}
		p := i + j
		m, ok := e.parsePercent(v, p)
		if !ok {
			i = p + 1
			continue
		}
		c.add(m)
		if m.ent != nil {
			break
		}
		i = m.text
		if i <= p {
			i = p + 1
		}
	}
	// IBM labels, RTMT alert names and Unified CM trace texts are searched
	// only in values with no '%' header: such sources never write one, and
	// free text inside a Cisco message ("error code 1234", "self signed
	// certificate") must not override the message's own header.
	if !c.haveKnown && !c.haveFirst {
		e.scanAlertNames(v, &c)
		e.scanIBM(v, &c)
		e.scanSignatures(v, &c)
	}
	switch {
	case c.haveKnown:
		return c.known, true
	case c.haveFirst:
		return c.first, true
	}
	return match{}, false
}

// searchRegion returns the part of v in which a needle of length n may
// start before limit.
func searchRegion(v []byte, limit, n int) []byte {
	end := limit + n - 1
	if end > len(v) {
		end = len(v)
	}
	return v[:end]
}

// ftdPrefixes are the facility names of Threat Defense / ASA messages.
var ftdPrefixes = [...]string{"ASA", "FTD", "PIX", "FWSM", "NGIPS", "Threat Defense"}

// parsePercent parses an identifier whose '%' is at v[p].
func (e *Engine) parsePercent(v []byte, p int) (match, bool) {
	rest := v[p+1:]
	if len(rest) == 0 {
		return match{}, false
	}
	switch rest[0] {
	case 'A', 'F', 'P', 'N', 'T':
		for _, pre := range ftdPrefixes {
			if len(rest) > len(pre) && string(rest[:len(pre)]) == pre {
				if m, ok := e.parseFTD(v, p, p+1+len(pre)); ok {
					return m, true
				}
				break
			}
		}
	}
	return e.parseTokens(v, p)
}

// parseFTD parses what follows a Threat Defense prefix at v[k]:
// [<...>][-[-]][class-]SEV-NNNNNN, and the malformed-but-real "FTD7-737038"
// (severity with no dash before it).
func (e *Engine) parseFTD(v []byte, p, k int) (match, bool) {
	if k < len(v) && v[k] == '<' {
		end := bytes.IndexByte(v[k:min(len(v), k+24)], '>')
		if end < 0 {
			return match{}, false
		}
		k += end + 1
	}
	if k+1 < len(v) && isDigitSev(v[k]) && v[k+1] == '-' {
		if m, ok := e.ftdID(v, p, int(v[k]-'0'), k+2); ok {
			return m, true
		}
	}
	dashes := 0
	for k < len(v) && v[k] == '-' && dashes < 2 {
		k++
		dashes++
	}
	if dashes == 0 {
		return match{}, false
	}
	// Optional lower-case class: %ASA-session-5-..., %FTD-vpn-6-...
	if k < len(v) && v[k] >= 'a' && v[k] <= 'z' {
		s := k
		for k < len(v) && k-s < 16 && v[k] >= 'a' && v[k] <= 'z' {
			k++
		}
		if k >= len(v) || v[k] != '-' {
			return match{}, false
		}
		k++
	}
	if k+1 >= len(v) || !isDigitSev(v[k]) || v[k+1] != '-' {
		return match{}, false
	}
	return e.ftdID(v, p, int(v[k]-'0'), k+2)
}

// ftdID reads the 6-digit ID at v[k] and looks it up.
func (e *Engine) ftdID(v []byte, p, sev, k int) (match, bool) {
	if k+6 > len(v) || !allDigits(v[k:k+6]) || (k+6 < len(v) && isDigit(v[k+6])) {
		return match{}, false
	}
	id := v[k : k+6]
	return match{product: pFTD, id: id, sev: sev, ent: e.ftdIDs.lookup(id), pos: k, text: textStart(v, k+6)}, true
}

// maxTokens bounds the dash-separated parts of an IOS-style header.
const maxTokens = 8

// parseTokens parses %FACILITY[-SUB...]-SEV-MNEMONIC at v[p]: the IOS
// family, Unified CM CiscoLog headers (%UC_..., %CCM_...) and Threat
// Defense IDs under an unknown prefix (%FDT-6-716039).
func (e *Engine) parseTokens(v []byte, p int) (match, bool) {
	var starts, ends [maxTokens]int
	n := 0
	k := p + 1
	for {
		s := k
		for k < len(v) && isWord(v[k]) {
			k++
		}
		if k == s || n == maxTokens {
			return match{}, false
		}
		starts[n], ends[n] = s, k
		n++
		if k+1 < len(v) && v[k] == '-' && isWord(v[k+1]) {
			k++
			continue
		}
		break
	}
	if n < 3 || ends[n-2]-starts[n-2] != 1 || !hasLetter(v[starts[0]:ends[0]]) {
		return match{}, false
	}
	sev, ok := severityOf(v[starts[n-2]])
	if !ok {
		return match{}, false
	}
	mn := v[starts[n-1]:ends[n-1]]
	fac0 := v[starts[0]:ends[0]]
	switch {
	case hasPrefixFold(fac0, "UC_") || hasPrefixFold(fac0, "CCM_"):
		m := match{product: pCUCM, id: mn, sev: sev, pos: starts[n-1], text: textStart(v, k)}
		if string(mn) == "RTMT_ALERT" {
			// An RTMT alert names the real alarm after the header:
			// %UC_RTMT-2-RTMT_ALERT: % AlertName=ILSPwdAuthenticationFailed
			if s, t, ok := alertName(v, k, min(len(v), k+48)); ok {
				m.id, m.pos, m.text = v[s:t], s, textStart(v, t)
			}
		}
		m.ent = e.index[pCUCM][string(m.id)]
		return m, true
	case len(mn) == 6 && allDigits(mn):
		return match{product: pFTD, id: mn, sev: sev, ent: e.ftdIDs.lookup(mn), pos: starts[n-1], text: textStart(v, k)}, true
	}
	m := match{product: pIOS, id: v[p+1 : k], sev: sev, pos: p + 1, text: textStart(v, k)}
	m.ent = e.lookupIOS(v, starts[:n-2], ends[:n-2], mn)
	return m, true
}

// lookupIOS tries the facility as written, then without leading parts
// (LICENSE-SMART_LIC -> SMART_LIC), then without trailing parts
// (PIM-SW1 -> PIM), upper-cased, with the mnemonic.
func (e *Engine) lookupIOS(v []byte, starts, ends []int, mn []byte) *entryEnc {
	idx := e.index[pIOS]
	if len(idx) == 0 {
		return nil
	}
	var buf [256]byte
	try := func(a, b int) *entryEnc {
		fac := v[starts[a]:ends[b]]
		if len(fac)+1+len(mn) > len(buf) {
			return nil
		}
		n := copy(buf[:], fac)
		for i := 0; i < n; i++ {
			if c := buf[i]; c >= 'a' && c <= 'z' {
				buf[i] = c - 'a' + 'A'
			}
		}
		buf[n] = '-'
		n++
		n += copy(buf[n:], mn)
		return idx[string(buf[:n])]
	}
	last := len(starts) - 1
	for a := 0; a <= last; a++ {
		if ent := try(a, last); ent != nil {
			return ent
		}
	}
	for b := last - 1; b >= 0; b-- {
		if ent := try(0, b); ent != nil {
			return ent
		}
	}
	return nil
}

// scanAlertNames finds RTMT's AlertName=NAME anywhere in v.
func (e *Engine) scanAlertNames(v []byte, c *candidates) {
	const needle = "AlertName="
	region := searchRegion(v, c.limit(len(v)), len(needle))
	for i := 0; i < len(region); {
		j := bytes.Index(region[i:], []byte(needle))
		if j < 0 {
			return
		}
		p := i + j
		if s, t, ok := alertName(v, p, p+len(needle)); ok {
			c.add(match{product: pCUCM, id: v[s:t], sev: -1, ent: e.index[pCUCM][string(v[s:t])], pos: s, text: textStart(v, t)})
			return
		}
		i = p + 1
	}
}

// alertName finds "AlertName=" in v[from:to] and returns the span of the
// name after it.
func alertName(v []byte, from, to int) (int, int, bool) {
	if to > len(v) {
		to = len(v)
	}
	j := bytes.Index(v[from:to], []byte("AlertName="))
	if j < 0 {
		return 0, 0, false
	}
	s := from + j + len("AlertName=")
	t := s
	for t < len(v) && isWord(v[t]) {
		t++
	}
	return s, t, t > s
}

// ibmNeedles find the labels "Error ID", "ErrorID", "error_code",
// "Event ID", "event_id", "ERROR CODE"... by their tails, which are rarer
// than their first letters.
var ibmNeedles = [...]string{"rror", "vent", "RROR", "VENT"}

// scanIBM finds IBM Storage Virtualize event IDs (6 digits) and error
// codes (4 digits) after an error/event id/code label.
func (e *Engine) scanIBM(v []byte, c *candidates) {
	for _, needle := range ibmNeedles {
		region := searchRegion(v, c.limit(len(v)), len(needle))
		for i := 0; i < len(region); {
			j := bytes.Index(region[i:], []byte(needle))
			if j < 0 {
				break
			}
			p := i + j
			if m, ok := e.parseIBM(v, p); ok {
				c.add(m)
				if m.ent != nil {
					break
				}
			}
			i = p + len(needle)
		}
	}
}

// parseIBM parses the label whose "rror"/"vent" is at v[p].
func (e *Engine) parseIBM(v []byte, p int) (match, bool) {
	if p == 0 || (v[p-1] != 'e' && v[p-1] != 'E') || (p >= 2 && isLetter(v[p-2])) {
		return match{}, false
	}
	k := p + 4
	if k < len(v) && (v[k] == ' ' || v[k] == '_') {
		k++
	}
	switch {
	case hasPrefixFold(v[k:], "id"):
		k += 2
	case hasPrefixFold(v[k:], "code"):
		k += 4
	default:
		return match{}, false
	}
	if k < len(v) && isLetter(v[k]) {
		return match{}, false
	}
	k = skipBlanks(v, k)
	if k < len(v) && (v[k] == '=' || v[k] == ':') {
		k = skipBlanks(v, k+1)
	}
	s := k
	for k < len(v) && isDigit(v[k]) {
		k++
	}
	if k < len(v) && isLetter(v[k]) {
		return match{}, false
	}
	id := v[s:k]
	m := match{product: pIBM, id: id, sev: -1, pos: s, text: textStart(v, k)}
	switch len(id) {
	case 6:
		m.ent = e.ibmIDs.lookup(id)
	case 4:
		m.ent = e.ibmCodes[string(id)]
	default:
		return match{}, false
	}
	return m, true
}

// scanSignatures finds the Unified CM alarm names and failure texts the
// catalog lists, in the part of v before any known identifier.
func (e *Engine) scanSignatures(v []byte, c *candidates) {
	for i := range e.sigs {
		s := &e.sigs[i]
		limit := c.limit(len(v))
		if limit == 0 {
			return
		}
		j := bytes.Index(searchRegion(v, limit, len(s.text)), s.text)
		if j < 0 {
			continue
		}
		c.add(match{product: pCUCM, id: s.id, idOwned: true, sev: -1, ent: s.ent, pos: j, text: j + len(s.text)})
	}
}

// textStart skips the ": " that ends a header at v[k].
func textStart(v []byte, k int) int {
	k = skipBlanks(v, k)
	if k < len(v) && v[k] == ':' {
		k = skipBlanks(v, k+1)
	}
	return k
}

func skipBlanks(v []byte, k int) int {
	for k < len(v) && (v[k] == ' ' || v[k] == '\t') {
		k++
	}
	return k
}

// severityOf maps a header's severity: a digit 0-7, or the letter Cisco
// Small Business switches write (F fatal/emergency, A alert, C critical,
// E error, W warning, N notice, I informational, D debug).
func severityOf(c byte) (int, bool) {
	switch c {
	case '0', '1', '2', '3', '4', '5', '6', '7':
		return int(c - '0'), true
	case 'F':
		return 0, true
	case 'A':
		return 1, true
	case 'C':
		return 2, true
	case 'E':
		return 3, true
	case 'W':
		return 4, true
	case 'N':
		return 5, true
	case 'I':
		return 6, true
	case 'D':
		return 7, true
	}
	return 0, false
}

func isDigitSev(c byte) bool { return c >= '0' && c <= '7' }
func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isLetter(c byte) bool   { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isWord(c byte) bool     { return isDigit(c) || isLetter(c) || c == '_' }

func allDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return len(b) > 0
}

func hasLetter(b []byte) bool {
	for _, c := range b {
		if isLetter(c) {
			return true
		}
	}
	return false
}

// hasPrefixFold reports whether b starts with the lower- or upper-case
// ASCII prefix, ignoring case.
func hasPrefixFold(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if b[i]|0x20 != prefix[i]|0x20 {
			return false
		}
	}
	return true
}
