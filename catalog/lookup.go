package catalog

import (
	"errors"
	"fmt"
	"strings"
)

// Catalog is an immutable, indexed set of entries. It is safe for
// concurrent use.
type Catalog struct {
	version string
	entries []Entry
	// index maps, per product, a key (see Entry.Key) to the position of
	// its entry. One map per product keeps lookups free of allocation.
	index map[Product]map[string]int
	// errorCodes holds the summary entries of shared error codes (IBM
	// 1785), which are not part of entries.
	errorCodes map[string]*Entry
	codes      []ErrorCode
	// signatures are the Unified CM signature strings, longest first.
	signatures []Signature
}

// ErrInvalidEntry reports an entry that cannot be part of a catalog.
var ErrInvalidEntry = errors.New("invalid catalog entry")

// Key returns the lookup key of an entry within its product: the 6-digit
// ID for Threat Defense/ASA, FACILITY-MNEMONIC (severity digit dropped,
// facility upper-cased) for IOS, the event ID for IBM, and the alarm name
// for Unified CM.
func (e *Entry) Key() string {
	if e.Product == ProductIOS {
		fac, mn := e.Facility, e.Mnemonic
		if fac == "" || mn == "" {
			fac, mn = SplitIOSID(e.ID)
		}
		return IOSKey(fac, mn)
	}
	return e.ID
}

// IOSKey is the lookup key of an IOS-style message: the facility in upper
// case, a dash, and the mnemonic as written.
func IOSKey(facility, mnemonic string) string {
	return strings.ToUpper(facility) + "-" + mnemonic
}

// SplitIOSID splits "SMART_LIC-3-COMM_FAILED" into its facility and
// mnemonic, dropping the severity; it returns empty strings when id is not
// of that shape.
func SplitIOSID(id string) (facility, mnemonic string) {
	first := strings.IndexByte(id, '-')
	last := strings.LastIndexByte(id, '-')
	if first <= 0 || last <= first+1 || last == len(id)-1 {
		return "", ""
	}
	return id[:first], id[last+1:]
}

// New builds a catalog from entries. Later entries with the same product
// and key replace earlier ones, which is how user catalogs override the
// built-in one. version identifies the data (see Version).
func New(version string, entries []Entry) (*Catalog, error) {
	c := &Catalog{
		version: version,
		index:   make(map[Product]map[string]int, len(Products)),
	}
	for _, p := range Products {
		c.index[p] = make(map[string]int)
	}
	for i := range entries {
		e := entries[i]
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("entry %d (%s %q): %w", i+1, e.Product, e.ID, err)
		}
		m, k := c.index[e.Product], e.Key()
		if at, ok := m[k]; ok {
			c.entries[at] = e
			continue
		}
		m[k] = len(c.entries)
		c.entries = append(c.entries, e)
	}
	c.buildSignatures()
	return c, nil
}

// Validate reports what makes an entry unusable.
func (e *Entry) Validate() error {
	switch e.Product {
	case ProductFTD:
		if len(e.ID) != 6 || !allDigits(e.ID) {
			return fmt.Errorf("%w: id %q is not a 6-digit message ID", ErrInvalidEntry, e.ID)
		}
	case ProductIOS:
		fac, mn := e.Facility, e.Mnemonic
		if fac == "" || mn == "" {
			fac, mn = SplitIOSID(e.ID)
		}
		if fac == "" || mn == "" {
			return fmt.Errorf("%w: id %q is not FACILITY-SEVERITY-MNEMONIC", ErrInvalidEntry, e.ID)
		}
	case ProductIBM:
		if len(e.ID) != 6 || !allDigits(e.ID) {
			return fmt.Errorf("%w: id %q is not a 6-digit event ID", ErrInvalidEntry, e.ID)
		}
		if e.ErrorCode != "" && !allDigits(e.ErrorCode) {
			return fmt.Errorf("%w: error_code %q is not numeric", ErrInvalidEntry, e.ErrorCode)
		}
	case ProductCUCM:
		if e.ID == "" || strings.ContainsAny(e.ID, " \t\r\n") {
			return fmt.Errorf("%w: id %q is not an alarm name", ErrInvalidEntry, e.ID)
		}
	default:
		return fmt.Errorf("%w: unknown product %q (want one of %s)", ErrInvalidEntry, e.Product, productList())
	}
	if e.Severity != nil && (*e.Severity < 0 || *e.Severity > 7) {
		return fmt.Errorf("%w: severity %d is outside 0-7", ErrInvalidEntry, *e.Severity)
	}
	if e.PrintedID != "" && e.Product == ProductFTD && (len(e.PrintedID) != 6 || !allDigits(e.PrintedID)) {
		return fmt.Errorf("%w: printed_id %q is not a 6-digit message ID", ErrInvalidEntry, e.PrintedID)
	}
	// Params become keys of one map in a record, so each needs its own name.
	for i, p := range e.Params {
		for _, q := range e.Params[:i] {
			if p.Name == q.Name {
				return fmt.Errorf("%w: param name %q is used twice (a repeated placeholder is named name, name_2, …)", ErrInvalidEntry, p.Name)
			}
		}
	}
	return nil
}

func productList() string {
	s := make([]string, len(Products))
	for i, p := range Products {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Version identifies the catalog data: for the embedded catalog, a hash of
// the source documents and the generator version.
func (c *Catalog) Version() string { return c.version }

// Entries returns the entries in catalog order. The slice must not be
// modified.
func (c *Catalog) Entries() []Entry { return c.entries }

// Len returns the number of entries.
func (c *Catalog) Len() int { return len(c.entries) }

// Lookup finds the entry of product p with the given key (see Entry.Key).
// The conversion of a []byte key with string(b) in the call does not
// allocate.
func (c *Catalog) Lookup(p Product, key string) (*Entry, bool) {
	i, ok := c.index[p][key]
	if !ok {
		return nil, false
	}
	return &c.entries[i], true
}
