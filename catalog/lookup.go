package catalog

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Catalog is an immutable, indexed set of entries, safe for concurrent use.
type Catalog struct {
	version    string
	entries    []Entry
	index      map[[2]string]int // an entry's position by its product and key
	errorCodes map[string]*Entry // entries of IBM error codes (1785): summaries or user entries, not in entries
	signatures []Signature       // the Unified CM signature strings, longest first
	severities []Severity
}

// Signature is a string that identifies a Unified CM message in a log or trace line, and its entry.
type Signature struct {
	Text  string
	Entry *Entry
}

// MaxTextLen bounds an entry's explanation and action together, in bytes, which every record
// naming it gains: five times the longest shipped (5,933), and little enough that a flush of a
// chunk of short lines naming it stays below the 1,024 messages a threaded in_forward queues.
const MaxTextLen = 32_000

// MinSignatureLen is the shortest signature, in bytes: the engine looks signatures up by their first 4.
const MinSignatureLen = 4

// ErrInvalidEntry reports an entry that cannot be part of a catalog.
var ErrInvalidEntry = errors.New("invalid catalog entry")

// Key returns the lookup key of an entry within its product: its ID, for IOS FACILITY-MNEMONIC from
// its fields or else its ID's parts ("-" when neither gives them).
func (e *Entry) Key() string {
	switch {
	case e.Product != ProductIOS:
		return e.ID
	case e.Facility != "" && e.Mnemonic != "":
		return iosKey(e.Facility, e.Mnemonic)
	}
	return iosKey(SplitIOSID(e.ID))
}

func iosKey(facility, mnemonic string) string { return strings.ToUpper(facility) + "-" + mnemonic }

// SplitIOSID splits "SMART_LIC-3-COMM_FAILED" into facility and mnemonic, empty for another
// shape; the report counts IOS IDs by the key they give, as the catalog does.
func SplitIOSID[S ~string | ~[]byte](id S) (facility, mnemonic S) {
	first, last := -1, -1
	for i := range len(id) {
		if id[i] != '-' {
			continue
		}
		if first < 0 {
			first = i
		}
		last = i
	}
	if first <= 0 || last <= first+1 || last == len(id)-1 {
		return id[:0], id[:0]
	}
	return id[:first], id[last+1:]
}

// New builds a catalog of data version; a later entry replaces one with the same product and key,
// and takes the replaced entry's signatures when it gives none.
// An IBM entry whose ID is an error code defines that code (see LookupErrorCode), not an entry.
func New(version string, entries []Entry) (*Catalog, error) {
	c := &Catalog{version: version, index: map[[2]string]int{}, errorCodes: map[string]*Entry{}}
	for i, e := range entries {
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("entry %d (%s %q): %w", i+1, e.Product, e.ID, err)
		}
		if e.isErrorCode() {
			e.ErrorCode = e.ID // as in the documents' summaries, which explain shows
			c.errorCodes[e.ID] = &e
			continue
		}
		k := [2]string{string(e.Product), e.Key()}
		j, ok := c.index[k]
		if !ok {
			j, c.index[k] = len(c.entries), len(c.entries)
			c.entries = append(c.entries, Entry{})
		}
		if len(e.Signatures) == 0 { // found by the same trace text as the entry it replaces
			e.Signatures = c.entries[j].Signatures
		}
		c.entries[j] = e
	}
	// The signatures (a Unified CM entry without any is found by its ID), longest first; of two
	// entries with the same text, the later wins.
	byText := map[string]*Entry{}
	for i, e := range c.entries {
		texts := e.Signatures // only Unified CM entries have any (Validate)
		if e.Product == ProductCUCM && len(texts) == 0 {
			texts = []string{e.ID}
		}
		for _, t := range texts {
			byText[t] = &c.entries[i]
		}
	}
	longestFirst := func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) }
	for _, t := range slices.SortedFunc(maps.Keys(byText), longestFirst) {
		c.signatures = append(c.signatures, Signature{Text: t, Entry: byText[t]})
	}
	return c, nil
}

// isErrorCode reports whether e explains an IBM error code rather than an event: 4 digits, as
// lines carry error codes.
func (e *Entry) isErrorCode() bool { return e.Product == ProductIBM && digits(e.ID, 4) }

// Validate reports what makes an entry unusable.
func (e *Entry) Validate() error {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidEntry, fmt.Sprintf(format, args...))
	}
	switch p, key := e.Product, e.Key(); {
	case p.Name() == "":
		names := strings.ReplaceAll(strings.Trim(fmt.Sprint(products), "[]"), " ", ", ")
		return invalid("unknown product %q (want one of %s)", p, names)
	case p == ProductFTD && !digits(e.ID, 6):
		return invalid("id %q is not a 6-digit message ID", e.ID)
	case p == ProductIOS && key == "-":
		return invalid("id %q is not FACILITY-SEVERITY-MNEMONIC", e.ID)
	case p == ProductIOS && digits(strings.TrimSuffix(key[strings.LastIndexByte(key, '-')+1:], ":"), 6):
		// The engine reads a header that ends in a 6-digit ID as a firewall one, whatever its prefix.
		return invalid("id %q is a firewall message name: give product %s and its 6-digit ID", e.ID, ProductFTD)
	case p == ProductIOS && !iosKeyRe.MatchString(key):
		return invalid("id %q has the key %q, with other bytes than the ASCII letters, digits, _ and - of FACILITY-MNEMONIC", e.ID, key)
	case p == ProductIBM && !digits(e.ID, 6) && !e.isErrorCode():
		return invalid("id %q is neither a 6-digit event ID nor a 4-digit error code", e.ID)
	case p == ProductIBM && e.ErrorCode != "" && !digits(e.ErrorCode, 0):
		return invalid("error_code %q is not numeric", e.ErrorCode)
	case e.isErrorCode() && e.ErrorCode != "" && e.ErrorCode != e.ID:
		return invalid("error_code %q differs from id %q, which is an error code", e.ErrorCode, e.ID)
	case p == ProductCUCM && (e.ID == "" || strings.ContainsFunc(e.ID, unicode.IsSpace)):
		return invalid("id %q is not an alarm name", e.ID)
	case (p == ProductCUCM || p == ProductIOS) && cucmNameRe.MatchString(e.ID): // the engine keys such a line by the name after the severity
		return invalid("id %q is a Unified CM message name: give product %s and its alarm name %s", e.ID, ProductCUCM, cucmNameRe.FindStringSubmatch(e.ID)[1])
	case e.Severity != nil && (*e.Severity < 0 || *e.Severity > 7):
		return invalid("severity %d is outside 0-7", *e.Severity)
	case p == ProductFTD && e.PrintedID != "" && !digits(e.PrintedID, 6):
		return invalid("printed_id %q is not a 6-digit message ID", e.PrintedID)
	case p != ProductCUCM && len(e.Signatures) > 0: // the engine searches lines for Unified CM texts only
		return invalid("signatures are read for %s entries only; a %s entry is found by its ID", ProductCUCM, p)
	case len(e.Explanation)+len(e.Action) > MaxTextLen:
		return invalid("explanation and action have %d bytes, more than the %d every record naming the entry may gain", len(e.Explanation)+len(e.Action), MaxTextLen)
	}
	for _, s := range e.Signatures {
		if len(s) < MinSignatureLen {
			return invalid("signature %q is shorter than %d bytes, the shortest a line is searched for", s, MinSignatureLen)
		}
	}
	// Params become keys of one map in a record, so each needs its own name.
	names := make(map[string]bool, len(e.Params)) // not pairwise: a file may list 100,000
	for _, p := range e.Params {
		if names[p.Name] {
			return invalid("param name %q is used twice (a repeated placeholder is named name, name_2, …)", p.Name)
		}
		names[p.Name] = true
	}
	return nil
}

// digits reports whether s is a non-empty string of decimal digits, n of them unless n is 0.
func digits(s string, n int) bool {
	return s != "" && (n == 0 || len(s) == n) && strings.Trim(s, "0123456789") == ""
}

// Version identifies the catalog data (see the package's Version).
func (c *Catalog) Version() string { return c.version }

// Entries returns the entries in catalog order; the slice must not be modified.
func (c *Catalog) Entries() []Entry { return c.entries }

// Len returns the number of entries.
func (c *Catalog) Len() int { return len(c.entries) }

// Lookup finds the entry of product p with the given key (see Entry.Key).
func (c *Catalog) Lookup(p Product, key string) (*Entry, bool) {
	if i, ok := c.index[[2]string{string(p), key}]; ok {
		return &c.entries[i], true
	}
	return nil, false
}

var (
	// ftdIDRe matches "%FTD-6-722051", "%ASA-6-722051:", "%Threat Defense-6-722051" and, with a class as
	// the recogniser reads one, "%ASA-session-5-106100", capturing the severity and ID.
	ftdIDRe = regexp.MustCompile(`^%?(?:ASA|FTD|PIX|FWSM|NGIPS|Threat Defense)(?:-[a-z][a-z0-9]{0,15}-|-)?([0-7])-(\d{6}):?$`)
	// iosIDRe matches "%SMART_LIC-3-COMM_FAILED" with or without "%" and ":".
	iosIDRe = regexp.MustCompile(`^%?([A-Za-z][A-Za-z0-9_]*)-([0-7])-([A-Za-z0-9_]+):?$`)
	// cucmNameRe matches a Unified CM header name, UC_X-3-Alarm or CCM_X-X-3-A-B, capturing the alarm
	// name after its first severity part, as the engine reads it.
	cucmNameRe = regexp.MustCompile(`^(?i:UC_|CCM_)\w*(?:-\w+)*?-[0-7]-(\w.*)$`)
	// iosKeyRe matches an IOS key a line can give: the engine reads names of these bytes only.
	iosKeyRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// LookupID finds the entry a person names: an ID ("722051", "ILSPwdAuthenticationFailed"), a
// message name ("%FTD-6-722051", "SMART_LIC-3-COMM_FAILED"), a signature or an error code.
func (c *Catalog) LookupID(id string) (*Entry, bool) {
	id = strings.TrimSpace(id)
	if m := ftdIDRe.FindStringSubmatch(id); m != nil {
		return c.Lookup(ProductFTD, m[2])
	}
	if digits(id, 6) {
		if e, ok := c.Lookup(ProductFTD, id); ok {
			return e, true
		}
		return c.Lookup(ProductIBM, id)
	}
	if digits(id, 0) {
		return c.LookupErrorCode(id)
	}
	if m := iosIDRe.FindStringSubmatch(id); m != nil {
		if e, ok := c.Lookup(ProductIOS, iosKey(m[1], m[3])); ok {
			return e, true
		}
	}
	if e, ok := c.Lookup(ProductCUCM, id); ok {
		return e, true
	}
	if i := slices.IndexFunc(c.signatures, func(s Signature) bool { return s.Text == id }); i >= 0 {
		return c.signatures[i].Entry, true
	}
	return nil, false
}

// LookupErrorCode returns the entry of an IBM error code such as "1785": the document's summary,
// or a user catalog's entry with the code as its ID (neither in Entries), else the first event
// entry that carries the code, as the engine explains a line with the code alone (4 digits).
func (c *Catalog) LookupErrorCode(code string) (*Entry, bool) {
	if e, ok := c.errorCodes[code]; ok {
		return e, true
	}
	if i := slices.IndexFunc(c.entries, func(e Entry) bool { return e.Product == ProductIBM && e.ErrorCode == code }); i >= 0 && digits(code, 4) {
		return &c.entries[i], true
	}
	return nil, false
}

// ErrorCodes returns the error codes the catalog knows, in order.
func (c *Catalog) ErrorCodes() []string { return slices.Sorted(maps.Keys(c.errorCodes)) }

// Signatures returns the signatures of the Unified CM entries (or their IDs), longest first.
func (c *Catalog) Signatures() []Signature { return c.signatures }
