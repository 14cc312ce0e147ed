package catalog

import (
	"errors"
	"fmt"
	"slices"
	"sync"
)

// ErrEmbedded reports that the built-in catalog cannot be used.
var ErrEmbedded = errors.New("embedded catalog is broken")

// embedded parses the built-in catalog on first use.
var embedded = sync.OnceValues(func() (*Catalog, error) { return parseEmbedded(embeddedJSON) })

// Embedded returns the catalog generated from the vendor documents, parsed on first use; a
// broken one is an error wrapping ErrEmbedded, never a panic.
func Embedded() (*Catalog, error) { return embedded() }

// Severities returns the severity table 0-7 with the documents' Japanese names, nil if Embedded fails.
func Severities() []Severity {
	if c, err := Embedded(); err == nil {
		return slices.Clone(c.severities)
	}
	return nil
}

// parseEmbedded decodes generated data strictly, so that hand edits cannot go unseen.
func parseEmbedded(b []byte) (*Catalog, error) {
	var d Data
	if err := decodeStrict(b, &d); err != nil {
		return nil, fmt.Errorf("%w: decode catalog data: %w", ErrEmbedded, err)
	}
	if d.Version != Version {
		return nil, fmt.Errorf("%w: data version %q differs from Version %q (regenerate with `make catalog`)", ErrEmbedded, d.Version, Version)
	}
	if len(d.Severities) != len(severityNames) {
		return nil, fmt.Errorf("%w: severity table has %d levels, want %d", ErrEmbedded, len(d.Severities), len(severityNames))
	}
	c, err := New(d.Version, d.Entries)
	if err == nil && c.Len() != len(d.Entries) {
		err = fmt.Errorf("%d entries share a key with another", len(d.Entries)-c.Len())
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEmbedded, err)
	}
	c.severities = d.Severities
	for _, ec := range d.ErrorCodes {
		if !digits(ec.Code, 0) {
			return nil, fmt.Errorf("%w: %w: error code %q is not numeric", ErrEmbedded, ErrInvalidEntry, ec.Code)
		}
		expl := ec.Title
		if ec.Explanation != "" {
			expl += "\n" + ec.Explanation
		}
		c.errorCodes[ec.Code] = &Entry{Product: ec.Product, ID: ec.Code, ErrorCode: ec.Code,
			Explanation: expl, Params: []Param{}, Source: ec.Source}
	}
	return c, nil
}
