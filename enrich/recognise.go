package enrich

import (
	"bytes"
	"strings"

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
	var m match
	if !e.find(value, &m) {
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

// set stores an identifier found in the value, assigning the fields one
// by one so that no temporary struct is built and copied for every match.
func (m *match) set(product int, id []byte, sev int, ent *entryEnc, pos, text int) {
	m.product = product
	m.id = id
	m.idOwned = false
	m.sev = sev
	m.ent = ent
	m.pos = pos
	m.text = text
}

// copy sets m to o, field by field for the same reason as set.
func (m *match) copy(o *match) {
	m.set(o.product, o.id, o.sev, o.ent, o.pos, o.text)
	m.idOwned = o.idOwned
}

// find searches v for message identifiers and stores the one that names
// the message in m: the first the catalog knows, else the first
// well-formed one. '%' headers are found with bytes.IndexByte, which
// stops at the first known header. A relay header (NX-OS SYSTEM_MSG,
// IOS-XE PLATFORM) carries another process's message: a header inside it
// names the message, known to the catalog or not, and the relay header
// counts only when no other header follows it. A value with no '%' header may
// still start its message with a bare IOS-style header (IOS-XR writes
// "smartlicserver[186]: SMART_LIC-6-AGENT_READY:"); failing that, IBM
// labels, alert names and trace signatures are searched in one pass
// (scanText), only in values with no header: such sources never write
// one, and free text inside a Cisco message ("error code 1234", "self
// signed certificate") must not override the message's own header.
func (e *Engine) find(v []byte, m *match) bool {
	var first match
	// firstRelay: first holds a relay header, which any other header
	// found later replaces.
	haveFirst, firstRelay := false, false
	for i := 0; i < len(v); {
		j := bytes.IndexByte(v[i:], '%')
		if j < 0 {
			addWork(len(v) - i)
			break
		}
		addWork(j + 1)
		p := i + j
		if !e.parsePercent(v, p, m) {
			i = p + 1
			continue
		}
		if m.ent != nil {
			return true
		}
		if !haveFirst || firstRelay {
			relay := m.product == pIOS && isRelay(m.id)
			if !haveFirst || !relay {
				first.copy(m)
				haveFirst, firstRelay = true, relay
			}
		}
		i = max(m.text, p+1)
	}
	if haveFirst {
		m.copy(&first)
		return true
	}
	if e.bareHeader(v, m) {
		return true
	}
	return e.scanText(v, m)
}

// isRelay reports whether the IOS-style header id (without '%') relays
// another process's message: NX-OS writes every syslog(3) message of its
// Linux processes as FACILITY-SEV-SYSTEM_MSG, IOS-XE the messages of its
// platform processes as IOSXE-SEV-PLATFORM.
func isRelay(id []byte) bool {
	// Most headers end in another letter: one comparison rules them out.
	switch n := len(id); {
	case n == 0:
		return false
	case id[n-1] == 'G':
		return n > len("-SYSTEM_MSG") && string(id[n-len("-SYSTEM_MSG"):]) == "-SYSTEM_MSG"
	case id[n-1] == 'M':
		return n > len("IOSXE--PLATFORM") && string(id[:len("IOSXE-")]) == "IOSXE-" && string(id[n-len("-PLATFORM"):]) == "-PLATFORM"
	}
	return false
}

// bareHeader finds an IOS-style header written without its '%' where a
// message starts: at the start of v, or after a "process[pid]:" tag as
// IOS-XR writes it. Only there, and only FAC-SEV-MNEMONIC with an
// upper-case facility, a digit severity and a colon after it, so that no
// word of free text is taken for a header.
func (e *Engine) bareHeader(v []byte, m *match) bool {
	if e.bareAt(v, skipBlanks(v, 0), m) {
		return true
	}
	// The tag is part of the line's header, which is short: the search
	// stays within maxTagEnd bytes.
	h := v[:min(len(v), maxTagEnd)]
	for i := 0; i < len(h); {
		j := bytes.Index(h[i:], []byte("]:"))
		if j < 0 {
			addWork(len(h) - i)
			return false
		}
		addWork(j + 2)
		p := i + j
		// The tag is name[digits]: a bracket closing a pid.
		d := p
		for d > 0 && isDigit(v[d-1]) {
			d--
		}
		if d < p && d > 1 && v[d-1] == '[' && isWord(v[d-2]) && e.bareAt(v, skipBlanks(v, p+2), m) {
			return true
		}
		i = p + 2
	}
	return false
}

// maxTagEnd bounds where a "process[pid]:" tag can end in a value: after
// a syslog priority, sequence number, node, timestamp and host name.
const maxTagEnd = 192

// bareAt parses a bare header that starts at v[s].
func (e *Engine) bareAt(v []byte, s int, m *match) bool {
	if s >= len(v) || v[s] < 'A' || v[s] > 'Z' {
		return false
	}
	if !e.parseTokens(v, s-1, m) || m.product != pIOS {
		return false
	}
	id := m.id
	d := bytes.LastIndexByte(id, '-')
	if d < 3 || id[d-2] != '-' || !isDigitSev(id[d-1]) {
		return false
	}
	end := skipBlanks(v, s+len(id))
	return end < len(v) && v[end] == ':'
}

// parsePercent parses an identifier whose '%' is at v[p] into m.
func (e *Engine) parsePercent(v []byte, p int, m *match) bool {
	if p+1 >= len(v) {
		return false
	}
	if n := ftdPrefixLen(v[p+1:]); n > 0 {
		// A firewall prefix makes this a Threat Defense header: one whose
		// ID is not six digits names nothing, rather than an IOS-style
		// message "ASA-6-72205".
		return e.parseFTD(v, p+1+n, m)
	}
	return e.parseTokens(v, p, m)
}

// ftdPrefixLen returns the length of the Threat Defense facility name
// (ASA, FTD, PIX, FWSM, NGIPS, "Threat Defense") that b starts with, or 0.
// The name must end there: %ASAP-3-X is an IOS-style facility.
func ftdPrefixLen(b []byte) int {
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
	if n == 0 || n >= len(b) || isLetter(b[n]) || b[n] == '_' {
		return 0
	}
	return n
}

func hasPrefix(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix
}

// parseFTD parses what follows a Threat Defense prefix at v[k]:
// [<...>][-[-]][class-]SEV-NNNNNN, and the malformed-but-real "FTD7-737038"
// (severity with no dash before it).
func (e *Engine) parseFTD(v []byte, k int, m *match) bool {
	// Every part after the prefix has a bounded length.
	addWork(1)
	if k < len(v) && v[k] == '<' {
		end := bytes.IndexByte(v[k:min(len(v), k+24)], '>')
		if end < 0 {
			return false
		}
		k += end + 1
	}
	if k+1 < len(v) && isDigitSev(v[k]) && v[k+1] == '-' {
		if e.ftdID(v, int(v[k]-'0'), k+2, m) {
			return true
		}
	}
	dashes := 0
	for k < len(v) && v[k] == '-' && dashes < 2 {
		k++
		dashes++
	}
	if dashes == 0 {
		return false
	}
	// Optional lower-case class: %ASA-session-5-..., %FTD-vpn-6-...
	if k < len(v) && v[k] >= 'a' && v[k] <= 'z' {
		s := k
		for k < len(v) && k-s < 16 && v[k] >= 'a' && v[k] <= 'z' {
			k++
		}
		if k >= len(v) || v[k] != '-' {
			return false
		}
		k++
	}
	if k+1 >= len(v) || !isDigitSev(v[k]) || v[k+1] != '-' {
		return false
	}
	return e.ftdID(v, int(v[k]-'0'), k+2, m)
}

// ftdID reads the 6-digit ID at v[k] and looks it up. The ID ends at a
// byte that is neither a letter nor a digit: 7220511 and 722051abc are
// not 722051.
func (e *Engine) ftdID(v []byte, sev, k int, m *match) bool {
	if k+6 > len(v) || (k+6 < len(v) && isAlnum(v[k+6])) {
		return false
	}
	id := v[k : k+6]
	ent, ok := e.ftdIDs.find(id)
	if !ok {
		return false
	}
	m.set(pFTD, id, sev, ent, k, textStart(v, k+6))
	return true
}

// maxTokens bounds the dash-separated parts of an IOS-style header.
const maxTokens = 8

// parseTokens parses %FACILITY[-SUB...]-SEV-MNEMONIC at v[p] into m: the
// IOS family, Unified CM CiscoLog headers (%UC_..., %CCM_...) and Threat
// Defense IDs under an unknown prefix (%FDT-6-716039). Only the first and
// the last two parts are kept, and the first part that can be a
// severity; the facility's parts are split again in the rare case that
// its mnemonic is in the catalog.
func (e *Engine) parseTokens(v []byte, p int, m *match) bool {
	k := p + 1
	for k < len(v) && isWord(v[k]) {
		k++
	}
	addWork(k - p)
	if k == p+1 || !hasLetter(v[p+1:k]) {
		return false
	}
	tokens := k
	// Parts are separated by single dashes: a part ends one byte before
	// the next one starts.
	prevStart, mnStart, firstSev := -1, p+1, -1
	n := 1
	for k+1 < len(v) && v[k] == '-' && isWord(v[k+1]) {
		if n == maxTokens {
			addWork(k - tokens)
			return false
		}
		k++
		prevStart, mnStart = mnStart, k
		for k < len(v) && isWord(v[k]) {
			k++
		}
		if firstSev < 0 && k-mnStart == 1 && isDigitSev(v[mnStart]) {
			firstSev = mnStart
		}
		n++
	}
	addWork(k - tokens)
	if n < 3 {
		return false
	}
	if fac := v[p+1 : tokens]; hasPrefixFold(fac, "UC_") || hasPrefixFold(fac, "CCM_") {
		return e.parseCUCM(v, firstSev, k, m)
	}
	sevStart := prevStart
	if mnStart-1-sevStart != 1 {
		return false
	}
	sev, ok := severityOf(v[sevStart])
	if !ok {
		return false
	}
	mn := v[mnStart:k]
	fac := v[p+1 : sevStart-1]
	if len(mn) == 6 && allDigits(mn) {
		m.set(pFTD, mn, sev, e.ftdIDs.lookup(mn), mnStart, textStart(v, k))
		return true
	}
	m.set(pIOS, v[p+1:k], sev, nil, p+1, textStart(v, k))
	// Most IOS-style lines name a message the catalog does not have: the
	// mnemonic's length, then the set of mnemonics, rule those out before
	// any key is built.
	if e.iosLengths&(1<<(len(mn)&63)) != 0 && e.iosMnemonics[string(mn)] {
		m.ent = e.lookupIOS(fac, mn)
	}
	return true
}

// parseCUCM reads a Unified CM CiscoLog header that ends at v[k] and has
// its severity digit at v[sev]: everything after the severity is the
// alarm name, which legacy RTMT headers write with dashes
// (%CCM_RTMT-RTMT-2-RTMT-ERROR-ALERT).
func (e *Engine) parseCUCM(v []byte, sev, k int, m *match) bool {
	if sev < 0 || sev+2 >= k {
		return false
	}
	mn := v[sev+2 : k]
	m.set(pCUCM, mn, int(v[sev]-'0'), nil, sev+2, textStart(v, k))
	if isRTMTAlert(mn) {
		// An RTMT alert names the real alarm after the header:
		// %UC_RTMT-2-RTMT_ALERT: % AlertName=ILSPwdAuthenticationFailed
		// %CCM_RTMT-RTMT-2-RTMT-ERROR-ALERT: RTMT Alert Name:DBChangeNotifyFailure
		if s, t, ok := rtmtAlertName(v, k, min(len(v), k+48)); ok {
			m.id, m.pos, m.text = v[s:t], s, textStart(v, t)
		}
	}
	m.ent = e.index[pCUCM][string(m.id)]
	return true
}

// isRTMTAlert reports whether a Unified CM alarm name is the RTMT alert
// that relays another alert: RTMT_ALERT, or RTMT-ERROR-ALERT and its
// siblings in legacy headers.
func isRTMTAlert(mn []byte) bool {
	return string(mn) == "RTMT_ALERT" ||
		len(mn) > len("RTMT--ALERT") && hasPrefix(mn, "RTMT-") && bytes.HasSuffix(mn, []byte("-ALERT"))
}

// lookupIOS tries the facility fac as written, then without leading
// parts (LICENSE-SMART_LIC -> SMART_LIC), then without trailing parts
// (PIM-SW1 -> PIM), upper-cased, with the mnemonic.
func (e *Engine) lookupIOS(fac, mn []byte) *entryEnc {
	idx := e.index[pIOS]
	if len(idx) == 0 {
		return nil
	}
	var buf [256]byte
	try := func(f []byte) *entryEnc {
		if len(f)+1+len(mn) > len(buf) {
			return nil
		}
		n := copy(buf[:], f)
		addWork(len(f) + 1 + len(mn))
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
	for f := fac; ; {
		if ent := try(f); ent != nil {
			return ent
		}
		j := bytes.IndexByte(f, '-')
		if j < 0 {
			break
		}
		f = f[j+1:]
	}
	for f := fac; ; {
		j := bytes.LastIndexByte(f, '-')
		if j < 0 {
			return nil
		}
		f = f[:j]
		if ent := try(f); ent != nil {
			return ent
		}
	}
}

// textStart skips the ": " that ends a header at v[k], and the ">>"
// NX-OS closes a relayed "<<%FAC-SEV-MNEMONIC>>" with.
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

func skipBlanks(v []byte, k int) int {
	start := k
	for k < len(v) && (v[k] == ' ' || v[k] == '\t') {
		k++
	}
	addWork(k - start)
	return k
}

// severityOf maps a header's severity: a digit 0-7, or the letter Cisco
// Small Business switches write (F fatal/emergency, A alert, C critical,
// E error, W warning, N notice, I informational, D debug).
func severityOf(c byte) (int, bool) {
	if isDigitSev(c) {
		return int(c - '0'), true
	}
	sev := strings.IndexByte("FACEWNID", c)
	return sev, sev >= 0
}

func isDigitSev(c byte) bool { return c >= '0' && c <= '7' }
func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isLetter(c byte) bool   { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isAlnum(c byte) bool    { return byteClass[c]&classAlnum != 0 }
func isWord(c byte) bool     { return byteClass[c]&classWord != 0 }

// Classes of bytes in byteClass.
const (
	classAlnum = 1 << iota // ASCII letter or digit
	classWord              // letter, digit or '_': the bytes of a header token
)

// byteClass classifies bytes with one load where the header scanners test
// every byte of a token; it is never modified.
var byteClass = func() (t [256]uint8) {
	for c := range t {
		b := byte(c)
		if isDigit(b) || isLetter(b) {
			t[c] = classAlnum | classWord
		}
	}
	t['_'] = classWord
	return t
}()

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
