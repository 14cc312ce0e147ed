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
	c, err := Embedded()
	if err != nil {
		return nil
	}
	return slices.Clone(c.severities)
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
	if err == nil {
		err = c.setErrorCodes(d.ErrorCodes)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEmbedded, err)
	}
	c.severities = d.Severities
	return c, nil
}
