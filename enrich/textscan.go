package enrich

import (
	"bytes"
	"encoding/binary"
	"math/bits"

	"github.com/enrich-plugin/enrich/catalog"
)

// sigKeys are the prefix lengths that index signatures, longest first. A signature is indexed by
// the longest it has, so that the first match is the longest, and names that share their first
// bytes, as alarm names do ("CiscoDRF..."), are told apart by a longer prefix.
var sigKeys = [...]int{16, 8, catalog.MinSignatureLen}

// startBit reads 4 bytes: no signature may be shorter.
const _ = uint(catalog.MinSignatureLen - 4)

// textScanner finds RTMT alert names, IBM labels and Unified CM signatures in one pass:
// a bitmap of their first two byte pairs, tested at every other byte, rejects most of a value.
type textScanner struct {
	pairs [1 << 16 / 64]uint64
	// starts has a bit per hash of the first 4 bytes of a signature: one test rules out most
	// places before the maps are looked at.
	starts     []uint64
	startShift int
	sigs       [len(sigKeys)]map[string][]signature // by prefix of sigKeys' length, longest first
}

// startBit returns the word and bit of starts for the first 4 bytes of v.
func (t *textScanner) startBit(v []byte) (int, uint64) {
	h := uint64(binary.LittleEndian.Uint32(v)) * 0x9E3779B97F4A7C15 >> t.startShift
	return int(h / 64), 1 << (h % 64)
}

// addAnchor records the pairs of an anchor that starts with a, b, c.
func (t *textScanner) addAnchor(a, b, c byte) {
	for _, x := range [2]uint16{uint16(a) | uint16(b)<<8, uint16(b) | uint16(c)<<8} {
		t.pairs[x>>6] |= 1 << (x & 63)
	}
}

const alertLabel = "AlertName=" // introduces an RTMT alert name

// newTextScanner indexes sigs, which are longest first.
func newTextScanner(sigs []signature) *textScanner {
	t := new(textScanner)
	t.addAnchor(alertLabel[0], alertLabel[1], alertLabel[2])
	for _, e := range []byte("eE") { // IBM labels: error, ERROR, eVENT, ...
		for _, rest := range []string{"rr", "RR", "ve", "VE"} {
			t.addAnchor(e, rest[0], rest[1])
		}
	}
	t.startShift = 64 - bits.Len(uint(len(sigs))) - 4 // 16 bits or more a signature
	t.starts = make([]uint64, max(1, (1<<(64-t.startShift))/64))
	for k, n := range sigKeys {
		t.sigs[k] = map[string][]signature{}
		for _, s := range sigs {
			if len(s.text) < n || k > 0 && len(s.text) >= sigKeys[k-1] {
				continue
			}
			t.addAnchor(s.text[0], s.text[1], s.text[2])
			w, b := t.startBit(s.text)
			t.starts[w] |= b
			key := string(s.text[:n])
			t.sigs[k][key] = append(t.sigs[k][key], s)
		}
	}
	return t
}

// scanText stores in m the first alert name, IBM label or signature of v the
// catalog knows (an IBM event ID over an error code), else the first IBM ID.
func (e *Engine) scanText(v []byte, m *match) bool {
	t := e.text
	var first, cand, event match
	haveKnown, haveFirst, haveEvent := false, false, false
scan:
	for j := 0; j+1 < len(v); j += 2 {
		addWork(2)
		x := uint16(v[j]) | uint16(v[j+1])<<8
		if t.pairs[x>>6]&(1<<(x&63)) == 0 {
			continue
		}
		for i := max(j-1, 0); i <= j; i++ {
			// Past the earliest known identifier only an event ID can win, over an error code.
			if haveKnown && i >= m.pos && (haveEvent || !isErrorCode(m)) {
				break scan
			}
			if !e.anchorAt(v, i, &cand) {
				continue
			}
			switch {
			case cand.ent != nil:
				if !haveKnown || cand.pos < m.pos {
					m.copy(&cand)
					haveKnown = true
				}
				if !haveEvent && cand.product == pIBM && !isErrorCode(&cand) {
					event.copy(&cand)
					haveEvent = true
				}
			case !haveFirst: // an unknown ID is an IBM one, which a later anchor cannot find earlier
				first = cand
				haveFirst = true
			}
		}
	}
	if haveKnown {
		if haveEvent && isErrorCode(m) {
			m.copy(&event)
		}
		return true
	}
	if haveFirst {
		m.copy(&first)
	}
	return haveFirst
}

// isErrorCode reports whether m is an IBM error code rather than an event ID.
func isErrorCode(m *match) bool { return m.product == pIBM && len(m.id) == 4 }

// anchorAt parses a known alert name, an IBM label or a signature at v[i], where i+1 < len(v).
func (e *Engine) anchorAt(v []byte, i int, m *match) bool {
	switch v[i] {
	case 'A':
		if hasPrefix(v[i:], alertLabel) {
			s := i + len(alertLabel)
			t := wordEnd(v, s)
			addWork(t - i)
			if ent := e.index[pCUCM][string(v[s:t])]; t > s && ent != nil {
				m.set(pCUCM, v[s:t], -1, ent, s, ^t)
				return true
			}
		}
	case 'e', 'E':
		if e.parseIBM(v, i+1, m) {
			return true
		}
	}
	if len(v)-i < catalog.MinSignatureLen {
		return false
	}
	// A clear bit of starts rules out every signature here.
	if w, b := e.text.startBit(v[i:]); e.text.starts[w]&b == 0 {
		return false
	}
	for k, n := range sigKeys {
		if len(v)-i < n {
			continue
		}
		for _, s := range e.text.sigs[k][string(v[i:i+n])] {
			addWork(len(s.text))
			if bytes.HasPrefix(v[i:], s.text) {
				m.set(pCUCM, s.id, -1, s.ent, i, i+len(s.text))
				return true
			}
		}
	}
	return false
}

// wordEnd returns where the header token that starts at v[s] ends.
func wordEnd(v []byte, s int) int {
	for s < len(v) && isWord(v[s]) {
		s++
	}
	return s
}

// rtmtAlertName returns the span of the name after "AlertName=" or "Alert Name:" in v[from:to]:
// a name longer than maxHeader is none, as a header that long is no message ID, and so is
// an empty one, where the word after the separator is the next label (AlertName= AlertDetail=).
func rtmtAlertName(v []byte, from, to int) (int, int, bool) {
	addWork(to - from)
	for from < to {
		j := bytes.Index(v[from:to], []byte("Alert"))
		if j < 0 {
			return 0, 0, false
		}
		k := from + j + len("Alert")
		if k < len(v) && v[k] == ' ' {
			k++
		}
		if hasPrefix(v[k:], "Name") {
			if s, sep := afterSep(v, k+len("Name"), "=:"); sep {
				// A word followed by '=' or ':' is the next label: the name is empty.
				if t := wordEnd(v, s); t > s && t-s <= maxHeader {
					if _, label := afterSep(v, t, "=:"); !label {
						return s, t, true
					}
				}
			}
		}
		from += j + 1
	}
	return 0, 0, false
}

// parseIBM parses into m an IBM label whose "rror"/"vent" is at v[p], after its 'e' ("Error ID",
// "error_code", "Event ID"...) and the event ID (6 digits) or error code (4, after a code
// label only: "Event ID 4625" is Windows') after it.
func (e *Engine) parseIBM(v []byte, p int, m *match) bool {
	if p+4 > len(v) || (p >= 2 && isLetter(v[p-2])) {
		return false
	}
	if w := string(v[p : p+4]); w != "rror" && w != "vent" && w != "RROR" && w != "VENT" {
		return false
	}
	k := p + 4
	if k < len(v) && (v[k] == ' ' || v[k] == '_') {
		k++
	}
	code := false
	switch {
	case hasPrefixFold(v[k:], "id"):
		k += 2
	case hasPrefixFold(v[k:], "code"):
		k, code = k+4, true
	default:
		return false
	}
	k, _ = afterSep(v, k, "=:") // a letter here ("Error Identity") is refused after the digits
	s := k
	for k < len(v) && isDigit(v[k]) {
		k++
	}
	addWork(k - p)
	if k < len(v) && isLetter(v[k]) {
		return false
	}
	id := v[s:k]
	var ent *entryEnc
	switch len(id) {
	case 6:
		ent, _ = e.ibmIDs.lookup(id)
	case 4:
		if !code {
			return false
		}
		ent = e.ibmCodes[string(id)]
	default:
		return false
	}
	m.set(pIBM, id, -1, ent, s, ^k)
	return true
}
