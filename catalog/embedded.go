package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ErrEmbedded reports that the catalog built into the binary cannot be
// used. It never happens with generated data; a test guards it.
var ErrEmbedded = errors.New("embedded catalog is broken")

// Severity is one level of the syslog severity table.
type Severity struct {
	Level  int    `json:"level"`
	Name   string `json:"name"`    // English keyword: "error", "warning", …
	NameJA string `json:"name_ja"` // the Japanese name the documents use: "エラー", "警告", …
	// DescriptionJA is the document's description of the level.
	DescriptionJA string `json:"description_ja"`
}

// ErrorCode is a code shared by several entries (IBM error 1785 covers
// event codes 086006-086009), with the document's title and explanation.
type ErrorCode struct {
	Product     Product `json:"product"`
	Code        string  `json:"code"`
	Title       string  `json:"title"`
	Explanation string  `json:"explanation"`
	Source      Source  `json:"source"`
}

// SourceInfo describes one source document of the generated catalog.
type SourceInfo struct {
	Document string  `json:"document"`
	SHA256   string  `json:"sha256"`
	Product  Product `json:"product,omitempty"`
	Entries  int     `json:"entries"`
}

// Data is the layout of the generated data/catalog.json.
type Data struct {
	Version    string       `json:"version"`
	Generator  string       `json:"generator"`
	Sources    []SourceInfo `json:"sources"`
	Severities []Severity   `json:"severities"`
	ErrorCodes []ErrorCode  `json:"error_codes"`
	Entries    []Entry      `json:"entries"`
}

// Signature is a string that identifies a message in a log or trace line
// (a Unified CM alarm name or failure text) and the entry it identifies.
type Signature struct {
	Text  string
	Entry *Entry
}

// embedded holds the parsed built-in catalog. It is set once and never
// modified afterwards.
var embedded struct {
	once sync.Once
	cat  *Catalog
	data *Data
	err  error
}

// Embedded returns the catalog generated from the vendor documents. It is
// parsed on first use; a broken embedded catalog is reported as an error
// wrapping ErrEmbedded, never a panic.
func Embedded() (*Catalog, error) {
	embedded.once.Do(func() {
		embedded.data, embedded.cat, embedded.err = parseEmbedded(embeddedJSON)
	})
	return embedded.cat, embedded.err
}

// EmbeddedData returns the whole generated data: source documents, severity
// table and error codes as well as the entries.
func EmbeddedData() (*Data, error) {
	if _, err := Embedded(); err != nil {
		return nil, err
	}
	return embedded.data, nil
}

func parseEmbedded(b []byte) (*Data, *Catalog, error) {
	d, err := decodeData(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrEmbedded, err)
	}
	if d.Version != Version {
		return nil, nil, fmt.Errorf("%w: data version %q differs from Version %q (regenerate with `make catalog`)", ErrEmbedded, d.Version, Version)
	}
	if len(d.Severities) != 8 {
		return nil, nil, fmt.Errorf("%w: severity table has %d levels, want 8", ErrEmbedded, len(d.Severities))
	}
	c, err := New(d.Version, d.Entries)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrEmbedded, err)
	}
	if len(c.entries) != len(d.Entries) {
		return nil, nil, fmt.Errorf("%w: %d entries share a key with another", ErrEmbedded, len(d.Entries)-len(c.entries))
	}
	if err := c.setErrorCodes(d.ErrorCodes); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrEmbedded, err)
	}
	return d, c, nil
}

// decodeData decodes a generated data file strictly: unknown fields are
// an error, so the generator and this package cannot drift apart unseen.
func decodeData(b []byte) (*Data, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var d Data
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("decode catalog data: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decode catalog data: trailing data after the catalog object")
	}
	return &d, nil
}

// setErrorCodes indexes the error-code summaries.
func (c *Catalog) setErrorCodes(codes []ErrorCode) error {
	c.errorCodes = make(map[string]*Entry, len(codes))
	for _, ec := range codes {
		if !allDigits(ec.Code) {
			return fmt.Errorf("%w: error code %q is not numeric", ErrInvalidEntry, ec.Code)
		}
		expl := ec.Title
		if ec.Explanation != "" {
			expl += "\n" + ec.Explanation
		}
		c.errorCodes[ec.Code] = &Entry{
			Product:     ec.Product,
			ID:          ec.Code,
			ErrorCode:   ec.Code,
			Explanation: expl,
			Params:      []Param{},
			Source:      ec.Source,
		}
	}
	c.codes = codes
	return nil
}

// LookupErrorCode returns a summary entry for an IBM error code ("1785")
// for lines that carry only the error code and no event ID: its
// explanation is the code's title and general explanation, its action
// empty. The summary is not one of Entries.
func (c *Catalog) LookupErrorCode(code string) (*Entry, bool) {
	e, ok := c.errorCodes[code]
	return e, ok
}

// ErrorCodes returns the error codes the catalog knows.
func (c *Catalog) ErrorCodes() []ErrorCode { return c.codes }

// Signatures returns every signature of the Unified CM entries, longest
// first so that a recogniser trying them in order finds the most specific
// one. An entry without signatures is identified by its ID.
func (c *Catalog) Signatures() []Signature { return c.signatures }

// MatchSignature returns the Unified CM entry whose signature occurs in a
// log or trace line, trying the longest signature first. It is the plain
// catalog side of recognition: the engine additionally leaves lines with a
// %FACILITY header to that header.
func (c *Catalog) MatchSignature(line string) (*Entry, bool) {
	for _, s := range c.signatures {
		if strings.Contains(line, s.Text) {
			return s.Entry, true
		}
	}
	return nil, false
}

// buildSignatures collects the signatures; when two entries claim the
// same text, the later one (a user override) wins.
func (c *Catalog) buildSignatures() {
	at := map[string]int{}
	var sigs []Signature
	for i := range c.entries {
		e := &c.entries[i]
		if e.Product != ProductCUCM {
			continue
		}
		texts := e.Signatures
		if len(texts) == 0 {
			texts = []string{e.ID}
		}
		for _, t := range texts {
			if t == "" {
				continue
			}
			if j, ok := at[t]; ok {
				sigs[j].Entry = e
				continue
			}
			at[t] = len(sigs)
			sigs = append(sigs, Signature{Text: t, Entry: e})
		}
	}
	sort.SliceStable(sigs, func(i, j int) bool {
		if len(sigs[i].Text) != len(sigs[j].Text) {
			return len(sigs[i].Text) > len(sigs[j].Text)
		}
		return sigs[i].Text < sigs[j].Text
	})
	c.signatures = sigs
}

// severityNames are the English keywords of syslog severities 0-7.
var severityNames = [8]string{"emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"}

// SeverityName returns the English keyword of a syslog severity level
// ("error" for 3), or "" when level is outside 0-7.
func SeverityName(level int) string {
	if level < 0 || level >= len(severityNames) {
		return ""
	}
	return severityNames[level]
}

// Severities returns the severity table 0-7 with the Japanese names of
// the Smart Licensing document. Should the embedded catalog be broken, the
// Japanese names are empty.
func Severities() []Severity {
	if d, err := EmbeddedData(); err == nil {
		out := make([]Severity, len(d.Severities))
		copy(out, d.Severities)
		return out
	}
	out := make([]Severity, len(severityNames))
	for i, n := range severityNames {
		out[i] = Severity{Level: i, Name: n}
	}
	return out
}
