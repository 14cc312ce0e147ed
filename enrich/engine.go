// Package enrich recognises message identifiers in log records and adds
// the catalog's explanation to them, working directly on the msgpack bytes
// of Fluent Bit chunks: no reflection, no decoding into maps, and no
// allocation per record once the output buffer has grown.
//
// The package is pure: bytes in, bytes and counters out, no I/O.
package enrich

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"

	"github.com/enrich-plugin/enrich/catalog"
)

// ErrMalformed reports a chunk that stops being valid msgpack at some
// record. Rewrite still returns every byte of the chunk.
var ErrMalformed = errors.New("malformed chunk")

// severityNames are the syslog severity names, indexed by level.
var severityNames = [8]string{"emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"}

// Counters say what Rewrite did with the records of a chunk. Records is
// the sum of the other four.
type Counters struct {
	Records   int // records seen, including skipped ones
	Enriched  int // records whose identifier the catalog knows
	UnknownID int // records with a well-formed identifier the catalog does not know
	NoID      int // map records with no identifier, copied byte for byte
	Skipped   int // group markers, non-map bodies, and an unparseable rest of a chunk
}

// Add adds o to c, for totals over several chunks.
func (c *Counters) Add(o Counters) {
	c.Records += o.Records
	c.Enriched += o.Enriched
	c.UnknownID += o.UnknownID
	c.NoID += o.NoID
	c.Skipped += o.Skipped
}

// Engine enriches records. It is immutable after New and safe for
// concurrent use.
type Engine struct {
	opts Options
	// index maps, per product, a catalog key to the entry's encodings.
	index [numProducts]map[string]*entryEnc
	// ftdIDs and ibmIDs are the 6-digit keys of index[pFTD] and index[pIBM]
	// in tables of integers.
	ftdIDs, ibmIDs numTable
	// ibmCodes maps an IBM error code to the first entry that shares it.
	ibmCodes map[string]*entryEnc
	// sigs are the Unified CM alarm names and failure texts, longest first.
	sigs []signature
	// text finds alert names, IBM labels and signatures in one pass.
	text *textScanner
	// iosMnemonics are the mnemonics of index[pIOS]'s keys.
	iosMnemonics hashSet

	// Encodings of the added keys and of the values that do not depend on
	// the record, computed once.
	msgIDKey      []byte
	sevPair       [8][]byte
	sevNamePair   [8][]byte
	docSevPair    [8][]byte
	productPair   [numProducts][]byte
	paramsKey     []byte
	nestKey       []byte
	namesByLength [maxNameLen + 1][]nameRef
	// sevPairs is sevPair and sevNamePair together, for one append.
	sevPairs [8][]byte
	// unknownPairs[p][sev+1] is what follows the message ID in a record
	// of product p whose identifier the catalog does not know: the
	// severity pairs (none for sev -1) and the product, most records'
	// added pairs in one append.
	unknownPairs [numProducts][9][]byte
	// nameFilter has, for each first byte of a name in namesByLength, the
	// bit of its length modulo 64.
	nameFilter [256]uint64
}

// entryEnc is a catalog entry with its added pairs already encoded.
type entryEnc struct {
	entry       *catalog.Entry
	severity    int    // documented severity, -1 when none
	product     int    // index in products
	explanation []byte // key + value, nil when the entry has no text
	action      []byte
	matcher     *matcher // nil when the format has no variables
	// pairs is every pair after the message ID that a record naming this
	// entry gets when its header's severity is the documented one (or it
	// has none) and it has none of the added keys already: severity and
	// severity name (when documented), explanation, action and product,
	// in field order, so that the usual record gets them in one append.
	// explanation and action are slices of it.
	pairs []byte
	// restOff is where the explanation starts in pairs, for records whose
	// severity differs from the documented one.
	restOff int
	// restMask has the fields in pairs[restOff:].
	restMask uint16
}

type signature struct {
	text []byte
	id   []byte
	ent  *entryEnc
}

// nameRef says what a record key means to the engine.
type nameRef struct {
	name  string
	msg   int // index in MessageKeys, or -1
	field int // added field index, fieldNest for NestUnder, or -1
}

const fieldNest = numFields

// New builds an engine for cat with opts, which must be valid. Every
// entry's added fields and parameter matcher are prepared here, once.
func New(cat *catalog.Catalog, opts Options) (*Engine, error) {
	if cat == nil {
		return nil, errors.New("enrich: nil catalog")
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts.MessageKeys = slices.Clone(opts.MessageKeys)
	e := &Engine{opts: opts, ibmCodes: make(map[string]*entryEnc)}
	f := opts.Fields
	e.msgIDKey = appendStr(nil, f.MessageID)
	e.paramsKey = appendStr(nil, f.Params)
	for l := 0; l < 8; l++ {
		e.sevPair[l] = appendSmallInt(appendStr(nil, f.Severity), l)
		e.sevNamePair[l] = appendStr(appendStr(nil, f.SeverityName), severityNames[l])
		e.docSevPair[l] = appendSmallInt(appendStr(nil, f.DocumentedSeverity), l)
	}
	for p, name := range products {
		e.productPair[p] = appendStr(appendStr(nil, f.Product), string(name))
	}
	for l := range e.sevPairs {
		e.sevPairs[l] = append(slices.Clip(e.sevPair[l]), e.sevNamePair[l]...)
	}
	for p := range e.unknownPairs {
		e.unknownPairs[p][0] = e.productPair[p]
		for l := range e.sevPairs {
			e.unknownPairs[p][l+1] = append(slices.Clip(e.sevPairs[l]), e.productPair[p]...)
		}
	}
	if opts.NestUnder != "" {
		e.nestKey = appendStr(nil, opts.NestUnder)
	}
	e.indexNames()

	for p := range e.index {
		e.index[p] = make(map[string]*entryEnc)
	}
	entries := cat.Entries()
	encs := make(map[*catalog.Entry]*entryEnc, len(entries))
	for i := range entries {
		ent := &entries[i]
		p := slices.Index(products[:], ent.Product)
		if p < 0 {
			continue
		}
		enc, err := e.encodeEntry(ent, p)
		if err != nil {
			return nil, err
		}
		encs[ent] = enc
		e.index[p][ent.Key()] = enc
	}
	e.ftdIDs = newNumTable(e.index[pFTD])
	e.ibmIDs = newNumTable(e.index[pIBM])
	// An IBM error code alone gets the catalog's summary of the code, or,
	// for catalogs without summaries, the first entry that shares it.
	for _, ec := range cat.ErrorCodes() {
		if ent, ok := cat.LookupErrorCode(ec.Code); ok {
			// The summary is matched by an IBM label, whatever product
			// the catalog files it under.
			enc, err := e.encodeEntry(ent, pIBM)
			if err != nil {
				return nil, err
			}
			e.ibmCodes[ec.Code] = enc
		}
	}
	for i := range entries {
		ent := &entries[i]
		if ent.Product != catalog.ProductIBM || ent.ErrorCode == "" {
			continue
		}
		if _, ok := e.ibmCodes[ent.ErrorCode]; !ok {
			e.ibmCodes[ent.ErrorCode] = encs[ent]
		}
	}
	// Unified CM trace lines are recognised by the catalog's signatures and
	// by the alarm names themselves.
	seen := make(map[string]bool)
	addSig := func(text string, ent *catalog.Entry) {
		enc := encs[ent]
		if len(text) < 4 || seen[text] || enc == nil {
			return
		}
		seen[text] = true
		e.sigs = append(e.sigs, signature{text: []byte(text), id: []byte(ent.ID), ent: enc})
	}
	for _, s := range cat.Signatures() {
		addSig(s.Text, s.Entry)
	}
	for i := range entries {
		if entries[i].Product == catalog.ProductCUCM {
			addSig(entries[i].ID, &entries[i])
		}
	}
	// Longest first, so that a specific text wins over a shorter one found
	// at the same place.
	slices.SortStableFunc(e.sigs, func(a, b signature) int { return cmp.Compare(len(b.text), len(a.text)) })
	e.text = newTextScanner(e.sigs)
	mns := make([]string, 0, len(e.index[pIOS]))
	for k := range e.index[pIOS] {
		// Keys are FACILITY-MNEMONIC; a mnemonic is one dash-free token.
		mns = append(mns, k[strings.LastIndexByte(k, '-')+1:])
	}
	e.iosMnemonics = newHashSet(mns)
	return e, nil
}

func (e *Engine) encodeEntry(ent *catalog.Entry, product int) (*entryEnc, error) {
	enc := &entryEnc{entry: ent, severity: -1, product: product, restMask: 1 << fProduct}
	var pairs []byte
	if ent.Severity != nil {
		enc.severity = *ent.Severity
		pairs = append(pairs, e.sevPairs[enc.severity]...)
	}
	enc.restOff = len(pairs)
	if ent.Explanation != "" {
		pairs = appendStr(appendStr(pairs, e.opts.Fields.Explanation), ent.Explanation)
		enc.restMask |= 1 << fExplanation
	}
	explEnd := len(pairs)
	if ent.Action != "" {
		pairs = appendStr(appendStr(pairs, e.opts.Fields.Action), ent.Action)
		enc.restMask |= 1 << fAction
	}
	actionEnd := len(pairs)
	enc.pairs = append(pairs, e.productPair[product]...)
	if explEnd > enc.restOff {
		enc.explanation = enc.pairs[enc.restOff:explEnd:explEnd]
	}
	if actionEnd > explEnd {
		enc.action = enc.pairs[explEnd:actionEnd:actionEnd]
	}
	if e.opts.Params {
		m, err := compileMatcher(ent)
		if err != nil {
			return nil, fmt.Errorf("enrich: params matcher for %s %q: %w", ent.Product, ent.ID, err)
		}
		enc.matcher = m
	}
	return enc, nil
}

// indexNames prepares the comparison of record keys by length.
func (e *Engine) indexNames() {
	add := func(r nameRef) {
		l := len(r.name)
		for i, old := range e.namesByLength[l] {
			if old.name == r.name {
				if r.msg >= 0 {
					e.namesByLength[l][i].msg = r.msg
				}
				if r.field >= 0 {
					e.namesByLength[l][i].field = r.field
				}
				return
			}
		}
		e.namesByLength[l] = append(e.namesByLength[l], r)
		// Validate has ruled out empty names.
		e.nameFilter[r.name[0]] |= 1 << (l & 63)
	}
	for i, k := range e.opts.MessageKeys {
		add(nameRef{name: k, msg: i, field: -1})
	}
	if e.opts.NestUnder != "" {
		add(nameRef{name: e.opts.NestUnder, msg: -1, field: fieldNest})
		return
	}
	for i, f := range e.opts.Fields.list() {
		add(nameRef{name: f.name, msg: -1, field: i})
	}
}

// span is a half-open byte range. int32 halves the per-record stack
// arrays the engine zeroes; chunks are far below 2 GiB.
type span struct{ start, end int32 }

// maxDrops is how many existing pairs Overwrite can remove from one record
// without allocating: a record with more keys that collide with added
// fields takes a slower path that moves the list to the heap.
const maxDrops = 16

// Rewrite appends the enriched form of chunk to dst and returns it with
// counters. Records without an identifier, group markers and non-map
// bodies are copied byte for byte; enriched records keep every original
// byte and get their new pairs appended to the body map. When the chunk
// stops being valid msgpack, the records before that point are rewritten,
// the rest is appended unchanged, and the error wraps ErrMalformed.
func (e *Engine) Rewrite(dst, chunk []byte) ([]byte, Counters, error) {
	dst, _, c, err := e.rewrite(dst, chunk, nil, false)
	return dst, c, err
}

// RewriteSplit is Rewrite that also appends to ends, for every record it
// appends to dst and for the unchanged rest of a malformed chunk, the
// offset in the returned buffer where that item ends. A caller that cuts
// the output into messages at record boundaries then needs no second
// parse of it.
func (e *Engine) RewriteSplit(dst, chunk []byte, ends []int) ([]byte, []int, Counters, error) {
	return e.rewrite(dst, chunk, ends, true)
}

func (e *Engine) rewrite(dst, chunk []byte, ends []int, split bool) ([]byte, []int, Counters, error) {
	var c Counters
	if len(chunk) > math.MaxInt32 {
		c.Records, c.Skipped = 1, 1
		dst = append(dst, chunk...)
		if split {
			ends = append(ends, len(dst))
		}
		return dst, ends, c, fmt.Errorf("%w: chunk of %d bytes is larger than 2 GiB", ErrMalformed, len(chunk))
	}
	for off := 0; off < len(chunk); {
		var end int
		var err error
		dst, end, err = e.rewriteRecord(dst, chunk, off, &c)
		if err != nil {
			dst = append(dst, chunk[off:]...)
			if split {
				ends = append(ends, len(dst))
			}
			c.Records++
			c.Skipped++
			return dst, ends, c, fmt.Errorf("%w: record at offset %d of %d bytes: %w", ErrMalformed, off, len(chunk), err)
		}
		if split {
			ends = append(ends, len(dst))
		}
		off = end
	}
	return dst, ends, c, nil
}

// rewriteRecord handles the record at chunk[off:] and returns its end. It
// appends nothing to dst when it returns an error.
func (e *Engine) rewriteRecord(dst, chunk []byte, off int, c *Counters) ([]byte, int, error) {
	// Records almost always start with a fixarray of two.
	p := off + 1
	if chunk[off] != 0x92 {
		h, err := readHeader(chunk, off)
		if err != nil {
			return dst, 0, err
		}
		if h.kind != kindArray || h.n != 2 {
			return e.passThrough(dst, chunk, off, c)
		}
		p = off + h.hdrLen
	}
	var err error
	var marker, isRecord bool
	var bodyOff int
	// Fast path for the usual [[EventTime d7 00, {}], body] header, with the
	// empty metadata map as a fixmap or, as in_tail writes it, with a 32-bit
	// count.
	if metaLen := emptyMapLen(chunk, p+11); p+11 < len(chunk) && metaLen > 0 && chunk[p] == 0x92 && chunk[p+1] == 0xd7 && chunk[p+2] == 0x00 {
		sec := binary.BigEndian.Uint32(chunk[p+3:])
		marker, isRecord, bodyOff = sec == 0xFFFFFFFF || sec == 0xFFFFFFFE, true, p+11+metaLen
	} else {
		if marker, isRecord, err = recordTime(chunk, p); err != nil {
			return dst, 0, err
		}
		if bodyOff, err = skipValue(chunk, p); err != nil {
			return dst, 0, err
		}
	}
	nPairs, hdrLen, width, isMap, err := mapHeader(chunk, bodyOff)
	if err != nil {
		return dst, 0, err
	}
	if marker || !isRecord || !isMap {
		return e.passThrough(dst, chunk, off, c)
	}

	// Walk the body once: find the message values and any key that has
	// the name of an added field.
	var vals [MaxMessageKeys]span
	var haveVal uint32
	var exists uint16
	var dropBuf [maxDrops]span
	var dropFieldBuf [maxDrops]int8
	drops, dropField := dropBuf[:0], dropFieldBuf[:0]
	q := bodyOff + hdrLen
	for i := 0; i < nPairs; i++ {
		keyStart := q
		// Keys are almost always fixstr: read those without the general
		// header decoder.
		var name []byte
		var kEnd int
		if q < len(chunk) && chunk[q]&0xe0 == 0xa0 {
			kEnd = q + 1 + int(chunk[q]&0x1f)
			if kEnd > len(chunk) {
				return dst, 0, errTruncated
			}
			name = chunk[q+1 : kEnd]
		} else {
			hk, err := readHeader(chunk, q)
			if err != nil {
				return dst, 0, err
			}
			if kEnd, err = skipValue(chunk, q); err != nil {
				return dst, 0, err
			}
			if hk.kind == kindStr && hk.n <= maxNameLen {
				name = chunk[q+hk.hdrLen : kEnd]
			}
		}
		// Values are mostly short strings and bins of mixed kinds: read
		// their length here, with a table and a conditional move rather
		// than a call and branches that the mix of kinds mispredicts.
		vEnd := -1
		if kEnd+1 < len(chunk) {
			c := chunk[kEnd]
			h := int(shortStrHdr[c])
			n := int(c & 0x1f)
			if h == 2 {
				n = int(chunk[kEnd+1])
			}
			if h != 0 {
				vEnd = kEnd + h + n
			}
		}
		if vEnd < 0 || vEnd > len(chunk) {
			if vEnd, err = valueEnd(chunk, kEnd); err != nil {
				return dst, 0, err
			}
		}
		// Most keys are none of the engine's names: one bit, by first byte
		// and length, rules them out.
		if len(name) > 0 && e.nameFilter[name[0]]&(1<<(len(name)&63)) != 0 {
			for _, r := range e.namesByLength[len(name)] {
				if r.name != string(name) {
					continue
				}
				if r.msg >= 0 && haveVal&(1<<r.msg) == 0 {
					if n := strHeaderLen(chunk[kEnd]); n > 0 {
						vals[r.msg] = span{int32(kEnd + n), int32(vEnd)}
						haveVal |= 1 << r.msg
					}
				}
				if r.field >= 0 {
					exists |= 1 << r.field
					if e.opts.Overwrite {
						drops = append(drops, span{int32(keyStart), int32(vEnd)})
						dropField = append(dropField, int8(r.field))
					}
				}
				break
			}
		}
		q = vEnd
	}
	end := q
	c.Records++

	// ms[best] is what the record gets; the next value is searched into
	// the other slot, so that no match is copied.
	var ms [2]match
	var val []byte
	best := -1
	for hv := haveVal; hv != 0; hv &= hv - 1 {
		i := bits.TrailingZeros32(hv)
		v := chunk[vals[i].start:vals[i].end]
		cur := 0
		if best == 0 {
			cur = 1
		}
		if !e.find(v, &ms[cur]) {
			continue
		}
		if best < 0 || (ms[best].ent == nil && ms[cur].ent != nil) {
			best, val = cur, v
		}
		if ms[cur].ent != nil {
			break
		}
	}
	if best < 0 {
		c.NoID++
		return append(dst, chunk[off:end]...), end, nil
	}
	m := &ms[best]
	if m.ent != nil {
		c.Enriched++
	} else {
		c.UnknownID++
	}

	sev := m.sev
	if sev < 0 && m.ent != nil {
		sev = m.ent.severity
	}
	mask := uint16(1<<fMessageID | 1<<fProduct)
	if sev >= 0 {
		mask |= 1<<fSeverity | 1<<fSeverityName
	}
	// The captures are zeroed only for entries with a matcher, not for
	// every recognised record.
	var caps *[maxParams]span
	ncaps := 0
	if m.ent != nil {
		if m.sev >= 0 && m.ent.severity >= 0 && m.sev != m.ent.severity {
			mask |= 1 << fDocumentedSeverity
		}
		if m.ent.explanation != nil {
			mask |= 1 << fExplanation
		}
		if m.ent.action != nil {
			mask |= 1 << fAction
		}
		if m.ent.matcher != nil && m.text <= len(val) {
			caps = new([maxParams]span)
			ncaps = m.ent.matcher.match(val[m.text:], caps)
			if ncaps > 0 {
				mask |= 1 << fParams
			}
		}
	}

	added := bits.OnesCount16(mask)
	if e.nestKey != nil {
		if exists != 0 && !e.opts.Overwrite {
			return append(dst, chunk[off:end]...), end, nil
		}
		added = 1
	} else if !e.opts.Overwrite {
		mask &^= exists
		added = bits.OnesCount16(mask)
		if added == 0 {
			return append(dst, chunk[off:end]...), end, nil
		}
	}

	// Overwrite removes only the existing pairs that an added field
	// replaces.
	removed := 0
	for i := range drops {
		if dropField[i] == fieldNest || mask&(1<<dropField[i]) != 0 {
			drops[removed] = drops[i]
			removed++
		}
	}
	if n := nPairs - removed + added; removed == 0 && (hdrLen == 1 && n < 16 || hdrLen == 3 && n < 1<<16 || hdrLen == 5) {
		// The usual record keeps every pair and its header's width: copy
		// it whole in one append and patch the pair count in place.
		base := len(dst)
		dst = append(dst, chunk[off:end]...)
		putMapHeader(dst[base+bodyOff-off:], n, hdrLen)
	} else {
		dst = append(dst, chunk[off:bodyOff]...)
		dst = appendMapHeader(dst, n, width)
		from := bodyOff + hdrLen
		for i := 0; i < removed; i++ {
			dst = append(dst, chunk[from:drops[i].start]...)
			from = int(drops[i].end)
		}
		dst = append(dst, chunk[from:end]...)
	}
	if e.nestKey != nil {
		dst = append(dst, e.nestKey...)
		dst = appendMapHeader(dst, bits.OnesCount16(mask), 0)
	}
	dst = e.appendFields(dst, mask, m, sev, val, caps, ncaps)
	return dst, end, nil
}

// appendFields appends the pairs selected by mask, in field order.
func (e *Engine) appendFields(dst []byte, mask uint16, m *match, sev int, val []byte, caps *[maxParams]span, ncaps int) []byte {
	// Most enriched records get every pair their entry has: those come
	// from the entry's precomputed block in one or a few appends.
	const sevBits = 1<<fSeverity | 1<<fSeverityName
	const docBit = 1 << fDocumentedSeverity
	if ent := m.ent; ent != nil && ent.product == m.product {
		full := ent.restMask | 1<<fMessageID | mask&docBit
		if sev >= 0 {
			full |= sevBits
		}
		if mask&^(1<<fParams) == full {
			dst = append(dst, e.msgIDKey...)
			dst = appendStr(dst, m.id)
			if sev == ent.severity {
				dst = append(dst, ent.pairs...)
			} else {
				// sev >= 0 here: it differs from the documented one.
				dst = append(dst, e.sevPairs[sev]...)
				if mask&docBit != 0 {
					dst = append(dst, e.docSevPair[ent.severity]...)
				}
				dst = append(dst, ent.pairs[ent.restOff:]...)
			}
			return e.appendParams(dst, mask, m, val, caps, ncaps)
		}
	} else if ent == nil {
		want := uint16(1<<fMessageID | 1<<fProduct)
		if sev >= 0 {
			want |= sevBits
		}
		if mask == want {
			dst = append(dst, e.msgIDKey...)
			dst = appendStr(dst, m.id)
			return append(dst, e.unknownPairs[m.product][sev+1]...)
		}
	}
	if mask&(1<<fMessageID) != 0 {
		dst = append(dst, e.msgIDKey...)
		dst = appendStr(dst, m.id)
	}
	if mask&(1<<fSeverity) != 0 {
		dst = append(dst, e.sevPair[sev]...)
	}
	if mask&(1<<fSeverityName) != 0 {
		dst = append(dst, e.sevNamePair[sev]...)
	}
	if mask&(1<<fDocumentedSeverity) != 0 {
		dst = append(dst, e.docSevPair[m.ent.severity]...)
	}
	if mask&(1<<fExplanation) != 0 {
		dst = append(dst, m.ent.explanation...)
	}
	if mask&(1<<fAction) != 0 {
		dst = append(dst, m.ent.action...)
	}
	if mask&(1<<fProduct) != 0 {
		dst = append(dst, e.productPair[m.product]...)
	}
	return e.appendParams(dst, mask, m, val, caps, ncaps)
}

// appendParams appends the params pair when mask selects it.
func (e *Engine) appendParams(dst []byte, mask uint16, m *match, val []byte, caps *[maxParams]span, ncaps int) []byte {
	if mask&(1<<fParams) != 0 {
		mt := m.ent.matcher
		dst = append(dst, e.paramsKey...)
		dst = appendMapHeader(dst, ncaps, 0)
		text := val[m.text:]
		for i := 0; i < ncaps; i++ {
			dst = append(dst, mt.keys[i]...)
			dst = appendStr(dst, text[caps[i].start:caps[i].end])
		}
	}
	return dst
}

// putMapHeader overwrites the map header of hdrLen bytes (1, 3 or 5) at
// b[0] with one for n pairs, which must fit it.
func putMapHeader(b []byte, n, hdrLen int) {
	switch hdrLen {
	case 1:
		b[0] = 0x80 | byte(n)
	case 3:
		_ = b[2]
		b[0], b[1], b[2] = 0xde, byte(n>>8), byte(n)
	default:
		_ = b[4]
		b[0] = 0xdf
		binary.BigEndian.PutUint32(b[1:], uint32(n))
	}
}

// mapHeader decodes the map header of a record body at b[p]: its count,
// the header's length and its width (0, 2 or 4), and whether it is a map
// at all. It decodes the usual headers inline and returns its results in
// registers rather than as a header struct, to avoid copying a struct per
// record.
func mapHeader(b []byte, p int) (n, hdrLen, width int, isMap bool, err error) {
	if p < len(b) {
		switch c := b[p]; {
		case c&0xf0 == 0x80:
			return int(c & 0x0f), 1, 0, true, nil
		case c == 0xdf && p+5 <= len(b):
			return int(binary.BigEndian.Uint32(b[p+1:])), 5, 4, true, nil
		}
	}
	h, err := readHeader(b, p)
	if err != nil || h.kind != kindMap {
		return 0, 0, 0, false, err
	}
	return h.n, h.hdrLen, h.width, true, nil
}

// shortStrHdr is the header length of fixstr (1), str8 and bin8 (2)
// values by first byte, 0 for every other type; it is never modified.
var shortStrHdr = func() (t [256]uint8) {
	for c := 0xa0; c <= 0xbf; c++ {
		t[c] = 1
	}
	t[0xd9], t[0xc4] = 2, 2
	return t
}()

// strHeaderLen returns the header length of the str or bin value whose
// first byte is c, or 0 when c starts another type.
func strHeaderLen(c byte) int {
	switch {
	case c&0xe0 == 0xa0:
		return 1
	case c == 0xd9 || c == 0xc4:
		return 2
	case c == 0xda || c == 0xc5:
		return 3
	case c == 0xdb || c == 0xc6:
		return 5
	}
	return 0
}

// emptyMapLen returns the length of the empty map header at b[p]: 1 for a
// fixmap, 3 or 5 for map16 and map32 headers with a zero count; 0 for
// anything else.
func emptyMapLen(b []byte, p int) int {
	if p >= len(b) {
		return 0
	}
	switch b[p] {
	case 0x80:
		return 1
	case 0xde:
		if p+3 <= len(b) && b[p+1]|b[p+2] == 0 {
			return 3
		}
	case 0xdf:
		if p+5 <= len(b) && b[p+1]|b[p+2]|b[p+3]|b[p+4] == 0 {
			return 5
		}
	}
	return 0
}

// passThrough copies a record the engine does not enrich.
func (e *Engine) passThrough(dst, chunk []byte, off int, c *Counters) ([]byte, int, error) {
	end, err := skipValue(chunk, off)
	if err != nil {
		return dst, 0, err
	}
	c.Records++
	c.Skipped++
	return append(dst, chunk[off:end]...), end, nil
}

// recordTime inspects the first element of a record at b[p]: a
// [timestamp, metadata map] array or a bare (legacy) timestamp. It reports
// whether the record is a group marker (seconds 0xFFFFFFFF or
// 0xFFFFFFFE) and whether the element is a record header at all: anything
// else is not a record Fluent Bit would write, and passes through as it is.
func recordTime(b []byte, p int) (marker, ok bool, err error) {
	h, err := readHeader(b, p)
	if err != nil {
		return false, false, err
	}
	if h.kind == kindArray {
		if h.n != 2 {
			return false, false, nil
		}
		p += h.hdrLen
		metaOff, err := skipValue(b, p)
		if err != nil {
			return false, false, err
		}
		meta, err := readHeader(b, metaOff)
		if err != nil {
			return false, false, err
		}
		if meta.kind != kindMap {
			return false, false, nil
		}
		if h, err = readHeader(b, p); err != nil {
			return false, false, err
		}
	}
	switch h.kind {
	case kindExt:
		if h.extType != 0 || h.n != 8 || p+h.hdrLen+8 > len(b) {
			return false, h.extType == 0, nil
		}
		sec := binary.BigEndian.Uint32(b[p+h.hdrLen:])
		return sec == 0xFFFFFFFF || sec == 0xFFFFFFFE, true, nil
	case kindInt, kindUint:
		if p+h.hdrLen+h.n > len(b) {
			return false, false, errTruncated
		}
		v, _ := readInt(b, p, h)
		return v == -1 || v == -2 || v == 0xFFFFFFFF || v == 0xFFFFFFFE, true, nil
	case kindFloat:
		return false, true, nil
	}
	return false, false, nil
}
