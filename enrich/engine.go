// Package enrich recognises message identifiers in log records and adds the catalog's
// explanation, working on the msgpack bytes of Fluent Bit chunks with no reflection and
// no allocation per record. It is pure: bytes in, bytes and counters out, no I/O.
package enrich

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/internal/msgpack"
)

// ErrMalformed reports a chunk that stops being valid msgpack; Rewrite still returns all of it.
var ErrMalformed = errors.New("malformed chunk")

// Counters say what Rewrite did with a chunk's records; Records is the sum of the next four.
type Counters struct {
	Records   int // records seen, including skipped ones
	Enriched  int // records whose identifier the catalog knows
	UnknownID int // records with a well-formed identifier the catalog does not know
	NoID      int // map records with no identifier, copied byte for byte
	NoText    int // of NoID, those where no message key holds a non-empty str or bin value
	Skipped   int // group markers, non-map bodies, and an unparseable rest of a chunk
	// EnrichedBy counts Enriched by the entry's product, indexed by catalog.Product.Index.
	EnrichedBy [catalog.NumProducts]int
}

// Split is what RewriteSplit reports besides the records, and where it starts and stops.
type Split struct {
	Ends     []int     // where each item (a record, another value, the unparsed rest of a chunk) ends in dst
	Unknown  []Unknown // the records whose identifier the catalog does not know
	Counters           // summed over the calls
	// Next is where in the chunk the next call starts. A call stops after the item that makes
	// what it appended more than Limit bytes, when Limit is positive, or at the end of the chunk.
	Next, Limit int
}

// Unknown is a record whose identifier the catalog does not know.
type Unknown struct {
	ID, Line []byte // valid as long as the chunk is
	Product  catalog.Product
	Severity int // from the line, -1 when it has none
}

// Engine enriches records. It is immutable after New and safe for concurrent use.
type Engine struct {
	opts           Options
	names          [numFields]FieldOption                    // opts.Fields by option, read once
	index          [catalog.NumProducts]map[string]*entryEnc // per product, a catalog key's entry
	ftdIDs, ibmIDs numTable                                  // the 6-digit keys of index[pFTD] and index[pIBM]
	ibmCodes       map[string]*entryEnc                      // an IBM error code's summary, or first entry
	iosMnemonics   map[string]bool                           // the mnemonics of index[pIOS]'s keys
	iosLengths     uint64                                    // a bit per mnemonic length modulo 64
	text           *textScanner                              // finds alert names, IBM labels and signatures
	namesByLen     [maxNameLen + 1][]nameRef                 // the record keys the engine looks for, by length
	// nameFilter has a bit per first byte and length modulo 64 of namesByLen: cheaper than a map.
	nameFilter [256]uint64

	msgIDKey, paramsKey, nestKey []byte                             // encoded keys
	sevField                     [fDocumentedSeverity + 1][8][]byte // the pairs of the severity fields by level
	sevPairs                     [8][]byte                          // severity, name and level pairs together
	sevBits                      uint16                             // the fields of sevPairs
	unknown                      [catalog.NumProducts][9]*entryEnc  // by severity+1, for IDs the catalog lacks
}

// entryEnc is a catalog entry with its added pairs already encoded.
type entryEnc struct {
	entry    *catalog.Entry
	severity int      // documented severity, -1 when none
	product  int      // catalog.Product.Index of the entry's product, which its matches are of
	matcher  *matcher // nil when the format has no variables
	// pairs are the usual record's pairs after the message ID: the documented
	// severity's, then from restOff on the fields of restMask.
	pairs    []byte
	restOff  int
	restMask uint16
	field    [numFields][]byte // the pairs of restMask
}

type signature struct {
	text, id []byte
	ent      *entryEnc
}

// nameRef says what a record key is: msg its index in MessageKeys, field the added field (or
// fieldNest) it names, -1 for none; block the fields (or fieldNest) with a dotted name it leads.
type nameRef struct {
	name       string
	word       uint64 // the first 8 bytes of name, little-endian, zero-padded
	msg, field int8
	block      uint16
}

const fieldNest = numFields

// New builds an engine for cat with valid opts, encoding every entry's fields and matcher once.
func New(cat *catalog.Catalog, opts Options) (*Engine, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{opts: opts, ibmCodes: make(map[string]*entryEnc), iosMnemonics: make(map[string]bool)}
	e.names = e.opts.Fields.ByOption()
	e.msgIDKey, e.paramsKey = msgpack.AppendStr(nil, opts.Fields.MessageID), msgpack.AppendStr(nil, opts.Fields.Params)
	e.sevBits = 1<<fSeverity | 1<<fSeverityName
	if opts.Fields.Level != "" {
		e.sevBits |= 1 << fLevel
	}
	for l := range 8 {
		num, name := msgpack.AppendUint(nil, uint64(l)), msgpack.AppendStr(nil, catalog.SeverityName(l))
		for i, v := range [][]byte{num, name, name, num} { // severity, its name, level, documented
			if n := *e.names[fSeverity+i].Name; n != "" {
				e.sevField[fSeverity+i][l] = append(msgpack.AppendStr(nil, n), v...)
			}
		}
		e.sevPairs[l] = slices.Concat(e.sevField[fSeverity][l], e.sevField[fSeverityName][l], e.sevField[fLevel][l])
	}
	if opts.NestUnder != "" {
		e.nestKey = msgpack.AppendStr(nil, opts.NestUnder)
	}
	e.indexNames()

	for p := range e.index {
		e.index[p] = make(map[string]*entryEnc)
		for l := range 9 {
			sev := l - 1
			e.unknown[p][l] = e.encodeEntry(&catalog.Entry{Severity: &sev}, p)
		}
	}
	// An IBM error code alone gets the catalog's summary, else the first entry that shares it.
	for _, code := range cat.ErrorCodes() {
		ent, _ := cat.LookupErrorCode(code) // found: ErrorCodes lists the codes it knows
		e.ibmCodes[code] = e.encodeEntry(ent, pIBM)
	}
	// Unified CM trace lines are recognised by the catalog's signatures and alarm names.
	texts := slices.Clone(cat.Signatures())
	for i := range cat.Entries() {
		ent := &cat.Entries()[i]
		p := ent.Product.Index() // catalog.New accepts known products only
		enc := e.encodeEntry(ent, p)
		e.index[p][ent.Key()] = enc
		switch {
		case p == pIOS:
			// Keys are FACILITY-MNEMONIC; a mnemonic is one dash-free token.
			mn := ent.Key()[strings.LastIndexByte(ent.Key(), '-')+1:]
			e.iosMnemonics[mn] = true
			e.iosLengths |= 1 << (len(mn) & 63)
		case p == pIBM && ent.ErrorCode != "" && e.ibmCodes[ent.ErrorCode] == nil:
			e.ibmCodes[ent.ErrorCode] = enc
		case p == pCUCM:
			texts = append(texts, catalog.Signature{Text: ent.ID, Entry: ent})
		}
	}
	e.ftdIDs, e.ibmIDs = newNumTable(e.index[pFTD]), newNumTable(e.index[pIBM])
	var sigs []signature
	seen := make(map[string]bool)
	for _, s := range texts {
		// The catalog refuses shorter signatures; a shorter alarm name is left to its header and AlertName=,
		// and so is one of digits only, which would match inside any number of a line (a port, a pid).
		number := s.Text == s.Entry.ID && strings.Trim(s.Text, "0123456789") == ""
		if len(s.Text) >= catalog.MinSignatureLen && !seen[s.Text] && !number {
			seen[s.Text] = true
			sigs = append(sigs, signature{[]byte(s.Text), []byte(s.Entry.ID), e.index[pCUCM][s.Entry.Key()]})
		}
	}
	// Longest first, so that a specific text wins over a shorter one at the same place.
	slices.SortStableFunc(sigs, func(a, b signature) int { return len(b.text) - len(a.text) })
	e.text = newTextScanner(sigs)
	return e, nil
}

// encodeEntry encodes the pairs ent adds to a record of product.
func (e *Engine) encodeEntry(ent *catalog.Entry, product int) *entryEnc {
	enc := &entryEnc{entry: ent, severity: -1, product: product}
	if ent.Severity != nil && *ent.Severity >= 0 {
		enc.severity = *ent.Severity
		enc.pairs = slices.Clone(e.sevPairs[enc.severity])
	}
	enc.restOff = len(enc.pairs)
	values := [numFields]string{fExplanation: ent.Explanation, fAction: ent.Action,
		fProduct: string(catalog.ProductAt(product)), fCatalogID: ent.ID}
	for f := fExplanation; f <= fCatalogID; f++ {
		if start := len(enc.pairs); *e.names[f].Name != "" && values[f] != "" {
			enc.pairs = msgpack.AppendStr(msgpack.AppendStr(enc.pairs, *e.names[f].Name), values[f])
			// Growing pairs later leaves these bytes as they are, in the old array or the same one.
			enc.field[f] = enc.pairs[start:len(enc.pairs):len(enc.pairs)]
			enc.restMask |= 1 << f
		}
	}
	if e.opts.Params {
		enc.matcher = compileMatcher(ent)
	}
	return enc
}

// indexNames indexes the message keys and the added fields' names.
func (e *Engine) indexNames() {
	ref := func(name string) *nameRef {
		if r := e.lookupName([]byte(name)); r != nil {
			return r
		}
		l := &e.namesByLen[len(name)]
		w := binary.LittleEndian.Uint64(append([]byte(name), make([]byte, 8)...)) // zero-padded
		*l = append(*l, nameRef{name: name, word: w, msg: -1, field: -1})
		e.nameFilter[name[0]] |= 1 << (len(name) & 63)
		return &(*l)[len(*l)-1]
	}
	for i, k := range e.opts.MessageKeys {
		ref(k).msg = int8(i)
	}
	if e.opts.NestUnder != "" {
		ref(e.opts.NestUnder).field = fieldNest
		for _, p := range parents(e.opts.NestUnder) {
			ref(p).block |= 1 << fieldNest
		}
		return
	}
	for i, f := range e.names {
		if n := *f.Name; n != "" {
			ref(n).field = int8(i)
			for _, p := range parents(n) {
				ref(p).block |= 1 << i
			}
			// Keys that continue the name (product.name) go to scanPair.
			e.nameFilter[n[0]] |= math.MaxUint64 << min(len(n)+2, 63)
		}
	}
}

// span is a half-open byte range; int32 halves the per-record arrays the engine zeroes.
type span struct{ start, end int32 }

// drop is an existing pair that Overwrite may remove, and the added field (or fieldNest) it names.
type drop struct {
	span
	field int8
}

// maxDrops is how many pairs Overwrite removes from a record without allocating.
const maxDrops = 16

// Rewrite appends the enriched chunk to dst. Records without an identifier, group
// markers and non-map bodies are copied as they are; enriched records keep every byte
// and get pairs appended to the body map. From where a chunk stops being valid
// msgpack, the rest is appended unchanged and the error wraps ErrMalformed.
func (e *Engine) Rewrite(dst, chunk []byte) ([]byte, Counters, error) {
	var sp Split
	dst, err := e.rewrite(dst, chunk, &sp, false)
	return dst, sp.Counters, err
}

// RewriteSplit is Rewrite of chunk[sp.Next:], stopping as sp.Limit says, which also appends
// to sp.Ends where each item ends in dst and to sp.Unknown the records whose identifier the
// catalog does not know. Called until sp.Next is len(chunk), it rewrites the chunk in pieces.
func (e *Engine) RewriteSplit(dst, chunk []byte, sp *Split) ([]byte, error) {
	return e.rewrite(dst, chunk, sp, true)
}

func (e *Engine) rewrite(dst, chunk []byte, sp *Split, split bool) ([]byte, error) {
	var err error
	start, off := len(dst), sp.Next
	var sc scratch
	for off < len(chunk) { // an error appends the rest of the chunk, which ends the loop
		var end int
		if len(chunk) > math.MaxInt32 { // spans are int32
			err = fmt.Errorf("%w: chunk of %d bytes is larger than 2 GiB", ErrMalformed, len(chunk))
		} else if dst, end, err = e.rewriteRecord(dst, chunk, off, sp, split, &sc); err != nil {
			err = fmt.Errorf("%w: record at offset %d of %d bytes: %w", ErrMalformed, off, len(chunk), err)
		}
		if err != nil {
			dst, end = append(dst, chunk[off:]...), len(chunk)
			sp.Records++
			sp.Skipped++
		}
		off = end
		if split {
			sp.Ends = append(sp.Ends, len(dst))
			if sp.Limit > 0 && len(dst)-start > sp.Limit {
				break
			}
		}
	}
	sp.Next = off
	return dst, err
}

// scratch is what rewriteRecord works in, kept from record to record so that it is not zeroed for each.
type scratch struct {
	s  pairScan
	ms [3]match // two to compare, one find parses into
}

// rewriteRecord handles the record at chunk[off:] and returns its end; on error it appends nothing.
func (e *Engine) rewriteRecord(dst, chunk []byte, off int, sp *Split, split bool, sc *scratch) ([]byte, int, error) {
	c := &sp.Counters
	bodyOff, size, n, err := recordBody(chunk, off)
	if err != nil {
		return dst, 0, err
	}
	if size == 0 {
		k, err := msgpack.Skip(chunk[off:])
		if err != nil {
			return dst, 0, err
		}
		c.Records++
		c.Skipped++
		return append(dst, chunk[off:off+k]...), off + k, nil
	}
	s := &sc.s
	s.haveVal, s.exists, s.blocked = 0, 0, 0
	var drops []drop
	if e.opts.Overwrite {
		// A list on the stack, zeroed only when it is used.
		drops = new([maxDrops]drop)[:0]
	}
	drops, end, err := e.scanPairs(chunk, bodyOff+size, n, s, drops)
	if err != nil {
		return dst, 0, err
	}
	c.Records++
	m, val := e.bestMatch(chunk, s, &sc.ms)
	switch {
	case m == nil:
		c.NoID++
		if !s.hasText() {
			c.NoText++
		}
		return append(dst, chunk[off:end]...), end, nil
	case m.ent != nil:
		c.Enriched++
		c.EnrichedBy[m.ent.product]++
	default:
		c.UnknownID++
		if split {
			u := Unknown{ID: m.id, Line: val, Product: catalog.ProductAt(m.product), Severity: m.sev}
			sp.Unknown = append(sp.Unknown, u)
		}
	}
	// Captures are zeroed only for entries with a matcher.
	var caps *[maxParams]span
	ncaps := 0
	if m.ent != nil && m.ent.matcher != nil {
		if m.text < 0 {
			m.text = textStart(val, ^m.text)
		}
		text := val[m.text:]
		if m.nxRelayed {
			text = text[:nxTextEnd(text)]
		}
		caps = new([maxParams]span)
		ncaps = m.ent.matcher.match(text, caps)
	}
	mask, sev := e.addedFields(m, ncaps)
	added := 1 // the nest map
	if e.nestKey == nil {
		if !e.opts.Overwrite {
			mask &^= s.exists
		}
		mask &^= s.blocked // never replaced: it may hold the message itself
		added = bits.OnesCount16(mask)
	}
	if added == 0 || e.nestKey != nil && (s.exists != 0 && !e.opts.Overwrite || s.blocked != 0) {
		// The record keeps its own keys of the added fields' names, and of the nest key's leading parts.
		return append(dst, chunk[off:end]...), end, nil
	}
	if n += added; len(drops) == 0 && (n < 16 || size == 3 && n < 1<<16 || size == 5) {
		// The usual record keeps every pair and its header's width (any fits under 16): patch the count in place.
		dst = append(dst, chunk[off:end]...)
		msgpack.PutMapHeader(dst[len(dst)-(end-bodyOff):], n, size)
	} else {
		dst = appendBody(dst, chunk, off, bodyOff, size, n, end, mask, drops)
	}
	if e.nestKey != nil {
		dst = append(dst, e.nestKey...)
		dst = msgpack.AppendMapHeader(dst, bits.OnesCount16(mask))
	}
	return e.appendFields(dst, mask, m, sev, val, caps, ncaps), end, nil
}

// recordBody returns where the body map of the record at b[off:] starts, its header size and
// pair count; size is 0 for group markers and shapes other than [[time, map], map], [time, map].
func recordBody(b []byte, off int) (bodyOff, size, n int, err error) {
	// Most records are [[EventTime d7 00, {}], body]: read here with one bounds check.
	if h := b[off:]; len(h) >= 22 && binary.BigEndian.Uint32(h) == 0x9292d700 && binary.BigEndian.Uint32(h[4:]) < 0xFFFFFFFE &&
		binary.BigEndian.Uint32(h[8:]) < 1e9 {
		var m int // the length of the empty metadata map's header: 80, or df 00 00 00 00 (tail)
		switch {
		case h[12] == 0x80:
			m = 1
		case h[12] == 0xdf && binary.BigEndian.Uint32(h[13:]) == 0:
			m = 5
		}
		switch c := h[12+m]; {
		case m == 0: // other metadata
		case c&0xf0 == 0x80:
			return off + 12 + m, 1, int(c & 0x0f), nil
		case c == 0xdf:
			return off + 12 + m, 5, int(binary.BigEndian.Uint32(h[13+m:])), nil
		}
	}
	return otherRecordBody(b, off)
}

// otherRecordBody is recordBody of an array of two whose first is [time, map] or a time, in any header
// widths; a function of its own, so that the usual record's path above spills no registers.
func otherRecordBody(b []byte, off int) (bodyOff, size, n int, err error) {
	h, err := msgpack.ReadHeader(b[off:])
	if err != nil || h.Kind != msgpack.Array || h.N != 2 {
		return 0, 0, 0, err
	}
	p := off + h.Size
	k, err := msgpack.Skip(b[p:])
	if err != nil {
		return 0, 0, 0, err
	}
	if h, err = msgpack.ReadHeader(b[p+k:]); err != nil || h.Kind != msgpack.Map || !isRecordTime(b, p) {
		return 0, 0, 0, err
	}
	return p + k, h.Size, h.N, nil
}

// isRecordTime reports whether the [time, map] or time at b[t], one complete value, is a time and no group marker.
func isRecordTime(b []byte, t int) bool {
	if h, _ := msgpack.ReadHeader(b[t:]); h.Kind == msgpack.Array {
		if h.N != 2 {
			return false
		}
		t += h.Size
		tk, _ := msgpack.Skip(b[t:])
		if meta, _ := msgpack.ReadHeader(b[t+tk:]); meta.Kind != msgpack.Map {
			return false
		}
	}
	// A record the receiver refuses is passed on as it is, not enriched.
	return msgpack.IsEntryTime(b[t:]) && msgpack.GroupMarker(b[t:]) == 0
}

// pairScan is what a walk over a record's body finds.
type pairScan struct {
	vals    [MaxMessageKeys]span // the str or bin value of each message key
	haveVal uint32               // the vals that are set
	exists  uint16               // the added fields whose name is a key already
	blocked uint16               // the added fields whose name a key leads (with a non-map value) or continues
}

// hasText reports whether a message key holds a non-empty str or bin value (others are empty).
func (s *pairScan) hasText() bool {
	for hv := s.haveVal; hv != 0; hv &= hv - 1 {
		if v := s.vals[bits.TrailingZeros32(hv)%MaxMessageKeys]; v.end > v.start {
			return true
		}
	}
	return false
}

// scanPairs walks the n pairs at chunk[q:], appending to drops the pairs Overwrite may remove.
func (e *Engine) scanPairs(chunk []byte, q, n int, s *pairScan, drops []drop) ([]drop, int, error) {
	for ; n > 0; n-- {
		// The usual pair, a fixstr key with 8 bytes from its name on and a short str or bin
		// value, is read here without a call; scanPair reads the others.
		if q+9 <= len(chunk) && chunk[q]&0xe0 == 0xa0 {
			nl := int(chunk[q] & 0x1f)
			kEnd := q + 1 + nl
			if kEnd+1 < len(chunk) {
				// A table and a conditional move read the value's length without branches the mix mispredicts.
				c := chunk[kEnd]
				hdr := int(shortStrHdr[c])
				vl := int(c & 0x1f)
				if hdr == 2 {
					vl = int(chunk[kEnd+1])
				}
				if vEnd := kEnd + hdr + vl; hdr != 0 && vEnd <= len(chunk) {
					if nl == 0 || e.nameFilter[chunk[q+1]]&(1<<nl) == 0 {
						q = vEnd
						continue
					}
					// Names of 8 bytes or less are compared as one word; added fields' are left to scanPair.
					if r := e.lookupWord(nl, binary.LittleEndian.Uint64(chunk[q+1:])); r != nil && r.field < 0 {
						if r.msg >= 0 && s.haveVal&(1<<r.msg) == 0 {
							s.vals[r.msg] = span{int32(kEnd + hdr), int32(vEnd)}
							s.haveVal |= 1 << r.msg
						}
						s.blocked |= r.block
						q = vEnd
						continue
					}
				}
			}
		}
		var err error
		if drops, q, err = e.scanPair(chunk, q, s, drops); err != nil {
			return drops, 0, err
		}
	}
	return drops, q, nil
}

// lookupWord returns the name of n bytes, at most 8, that w (little-endian) starts with, or nil.
func (e *Engine) lookupWord(n int, w uint64) *nameRef {
	if n > 8 {
		return nil
	}
	w &= math.MaxUint64 >> (64 - 8*n)
	l := e.namesByLen[n]
	for i := range l {
		if l[i].word == w {
			return &l[i]
		}
	}
	return nil
}

// scanPair reads the pair at chunk[q:] into s and drops and returns its end.
func (e *Engine) scanPair(chunk []byte, q int, s *pairScan, drops []drop) ([]drop, int, error) {
	keyStart := q
	// Keys are almost always fixstr.
	var name []byte
	kEnd := q + 1
	if q < len(chunk) && chunk[q]&0xe0 == 0xa0 {
		if kEnd += int(chunk[q] & 0x1f); kEnd > len(chunk) {
			return drops, 0, msgpack.ErrShort
		}
		name = chunk[q+1 : kEnd]
	} else {
		k, err := msgpack.Skip(chunk[q:])
		if err != nil {
			return drops, 0, err
		}
		kEnd = q + k
		// A bin key is the same key once written as JSON, as Fluent Bit and Elasticsearch read it.
		if h, _ := msgpack.ReadHeader(chunk[q:]); h.Kind == msgpack.Str || h.Kind == msgpack.Bin {
			name = chunk[q+h.Size : kEnd]
		}
	}
	k, err := msgpack.Skip(chunk[kEnd:])
	if err != nil {
		return drops, 0, err
	}
	// A value other than str or bin is searched as empty, so that of a key given twice it still is the first.
	vEnd := kEnd + k
	vStart := vEnd
	h, _ := msgpack.ReadHeader(chunk[kEnd:])
	if h.Kind == msgpack.Str || h.Kind == msgpack.Bin {
		vStart = kEnd + h.Size
	}
	r := e.lookupName(name)
	if r != nil {
		if r.msg >= 0 && s.haveVal&(1<<r.msg) == 0 {
			s.vals[r.msg] = span{int32(vStart), int32(vEnd)}
			s.haveVal |= 1 << r.msg
		}
		// Elasticsearch merges a dotted name into an object, which flb-enrich passes as its JSON text.
		if h.Kind != msgpack.Map && (h.Kind != msgpack.Ext || h.Ext != msgpack.JSONTextExt || h.N == 0 || chunk[kEnd+h.Size] != '{') {
			s.blocked |= r.block
		}
		if r.field >= 0 {
			s.exists |= 1 << r.field
			if e.opts.Overwrite {
				drops = append(drops, drop{span{int32(keyStart), int32(vEnd)}, r.field})
			}
		}
	}
	// Elasticsearch reads a field as an object when a key continues its name (product.name beside product).
	for i := 1; r == nil && i < len(name) && e.nestKey == nil; i++ {
		if name[i] == '.' {
			if p := e.lookupName(name[:i]); p != nil && p.field >= 0 {
				s.blocked |= 1 << p.field
			}
		}
	}
	return drops, vEnd, nil
}

// lookupName returns what the record key name means to the engine, or nil.
func (e *Engine) lookupName(name []byte) *nameRef {
	if len(name) > 0 && len(name) <= maxNameLen && e.nameFilter[name[0]]&(1<<(len(name)&63)) != 0 {
		for i, r := range e.namesByLen[len(name)] {
			if r.name == string(name) {
				return &e.namesByLen[len(name)][i]
			}
		}
	}
	return nil
}

// shortStrHdr is the header length of fixstr, str8 and bin8 by type byte; never modified.
var shortStrHdr = func() (t [256]uint8) {
	for c := 0xa0; c <= 0xbf; c++ {
		t[c] = 1
	}
	t[0xd9], t[0xc4] = 2, 2
	return t
}()

// bestMatch returns the match the record gets (in key order, the first known, else the
// first found, of the values no other key's value holds, then of those) and its value; each
// search fills the other slot of ms, copying no match.
func (e *Engine) bestMatch(chunk []byte, s *pairScan, ms *[3]match) (*match, []byte) {
	if hv := s.haveVal; hv&(hv-1) == 0 { // no value or, as in most records, one
		if hv == 0 {
			return nil, nil
		}
		sv := s.vals[bits.TrailingZeros32(hv)%MaxMessageKeys]
		if v := chunk[sv.start:sv.end]; e.find(v, &ms[0], &ms[2]) {
			return &ms[0], v
		}
		return nil, nil
	}
	var val []byte
	best, held := -1, uint32(0)
	// A value another key's value holds is searched only when the others give no identifier.
	for keys, pass := s.haveVal, 0; pass < 2 && best < 0; keys, pass = held, pass+1 {
		for hv := keys; hv != 0; hv &= hv - 1 {
			i := bits.TrailingZeros32(hv)
			v := chunk[s.vals[i].start:s.vals[i].end]
			if pass == 0 && heldByOther(chunk, s, i, v) {
				held |= 1 << i
				continue
			}
			cur := (best + 1) & 1 // the slot best does not use
			if !e.find(v, &ms[cur], &ms[2]) {
				continue
			}
			if best < 0 || ms[cur].ent != nil { // best is unknown here: a known one ends the loop
				best, val = cur, v
			}
			if ms[cur].ent != nil {
				break
			}
		}
	}
	if best < 0 {
		return nil, nil
	}
	return &ms[best], val
}

// heldByOther reports whether the longer value of another message key holds v, the value of key
// i, as the raw line of raw_message_key holds a syslog parser's message: there the header the
// parser cut off comes first, and a header in v may be the message's text, a login name.
func heldByOther(chunk []byte, s *pairScan, i int, v []byte) bool {
	for hv := s.haveVal &^ (1 << i); hv != 0; hv &= hv - 1 {
		w := s.vals[bits.TrailingZeros32(hv)]
		if int(w.end-w.start) > len(v) && bytes.Contains(chunk[w.start:w.end], v) {
			return true
		}
	}
	return false
}

// addedFields returns the fields a record with match m gets, before its own keys, and its severity.
func (e *Engine) addedFields(m *match, ncaps int) (mask uint16, sev int) {
	sev, mask = m.sev, 1<<fMessageID|1<<fProduct
	if ent := m.ent; ent != nil {
		mask |= ent.restMask // explanation and action, when the entry has them
		if sev < 0 {
			sev = ent.severity
		} else if ent.severity >= 0 && sev != ent.severity {
			mask |= 1 << fDocumentedSeverity
		}
	}
	if sev >= 0 {
		mask |= e.sevBits
	}
	if ncaps > 0 {
		mask |= 1 << fParams
	}
	return mask, sev
}

// appendBody appends the record chunk[off:end] with a body header for n pairs, less the drops replaced.
func appendBody(dst, chunk []byte, off, bodyOff, size, n, end int, mask uint16, drops []drop) []byte {
	removed := 0
	for _, d := range drops {
		if d.field == fieldNest || mask&(1<<d.field) != 0 {
			drops[removed] = d
			removed++
		}
	}
	dst = append(dst, chunk[off:bodyOff]...)
	dst = msgpack.AppendMapHeaderSize(dst, n-removed, size)
	from := bodyOff + size
	for _, d := range drops[:removed] {
		dst = append(dst, chunk[from:d.start]...)
		from = int(d.end)
	}
	return append(dst, chunk[from:end]...)
}

// appendFields appends the pairs selected by mask, in field order.
func (e *Engine) appendFields(dst []byte, mask uint16, m *match, sev int, val []byte, caps *[maxParams]span, ncaps int) []byte {
	ent := m.ent
	if ent == nil {
		ent = e.unknown[m.product][sev+1]
	}
	// Most records get every pair of their entry, from its precomputed block.
	const docBit = 1 << fDocumentedSeverity
	full := ent.restMask | 1<<fMessageID | mask&docBit
	if sev >= 0 {
		full |= e.sevBits
	}
	if mask&^(1<<fParams) != full {
		dst = e.appendEach(dst, mask, m, ent, sev)
	} else {
		dst = append(dst, e.msgIDKey...)
		dst = msgpack.AppendStr(dst, m.id)
		if sev == ent.severity {
			dst = append(dst, ent.pairs...)
		} else { // sev >= 0 here: it differs from the documented one.
			dst = append(dst, e.sevPairs[sev]...)
			if mask&docBit != 0 {
				dst = append(dst, e.sevField[fDocumentedSeverity][ent.severity]...)
			}
			dst = append(dst, ent.pairs[ent.restOff:]...)
		}
	}
	if mask&(1<<fParams) != 0 {
		dst = msgpack.AppendMapHeader(append(dst, e.paramsKey...), ncaps)
		for i, text := 0, val[m.text:]; i < ncaps; i++ {
			dst = append(dst, ent.matcher.keys[i]...)
			dst = msgpack.AppendStr(dst, text[caps[i].start:caps[i].end])
		}
	}
	return dst
}

// appendEach appends the pairs selected by mask one by one.
func (e *Engine) appendEach(dst []byte, mask uint16, m *match, ent *entryEnc, sev int) []byte {
	if mask&(1<<fMessageID) != 0 {
		dst = append(dst, e.msgIDKey...)
		dst = msgpack.AppendStr(dst, m.id)
	}
	for f := fSeverity; f < fParams; f++ {
		switch {
		case mask&(1<<f) == 0:
		case f <= fLevel:
			dst = append(dst, e.sevField[f][sev]...)
		case f == fDocumentedSeverity:
			dst = append(dst, e.sevField[f][ent.severity]...)
		default:
			dst = append(dst, ent.field[f]...)
		}
	}
	return dst
}
