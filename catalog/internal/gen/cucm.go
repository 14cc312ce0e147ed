package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// The Unified CM document is a how-to with trace excerpts, not a message
// list, so its entries are curated by hand in cisco-cucm-ils-entries.json.
// Every sentence of a curated entry must occur in the document (white space
// normalised), every signature verbatim in a trace line, and every section
// title as a line of the document; the generator refuses anything else.
//
// An entry is named by the alarm the document prints (ILSPwdAuthenticationFailed)
// when there is one. A failure signature the document explains without an
// alarm gets a derived ID: "ILS" followed by words of the trace text it is
// derived from, in CamelCase ("Certificate verification failed" gives
// ILSCertificateVerificationFailed). The curated file names that trace text
// in derived_from, and the generation report lists every derived ID, so
// that nobody mistakes it for a vendor name.

// curatedEntry is one entry of cisco-cucm-ils-entries.json.
type curatedEntry struct {
	ID string `json:"id"`
	// DerivedFrom is the trace text a derived ID is made from; empty when
	// the ID is an alarm name printed in the document.
	DerivedFrom string `json:"derived_from"`
	// Sections are the titles of every section of the document whose case
	// the entry explains.
	Sections    []string `json:"sections"`
	Explanation []string `json:"explanation"`
	Action      []string `json:"action"`
	Signatures  []string `json:"signatures"`
}

// idOrigin says where the ID of a curated entry comes from, for the report.
type idOrigin struct {
	ID       string
	Derived  bool
	From     string // the trace text a derived ID is made from
	Sections []string
}

// sectionSep joins the titles of an entry's sections in Source.Section.
const sectionSep = " / "

// parseCUCM reads and verifies the curated entries against the document.
func parseCUCM(curated, doc []byte) ([]Entry, []idOrigin, error) {
	dec := json.NewDecoder(bytes.NewReader(curated))
	dec.DisallowUnknownFields()
	var list []curatedEntry
	if err := dec.Decode(&list); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", docCUCMEntries, err)
	}
	text := string(doc)
	norm := normalizeSpace(text)
	lines := map[string]bool{}
	for _, l := range strings.Split(text, "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	var errs []error
	seen := map[string]bool{}
	sigs := map[string]string{}
	var entries []Entry
	var origins []idOrigin
	for i, c := range list {
		where := fmt.Sprintf("%s: entry %d (%q)", docCUCMEntries, i+1, c.ID)
		if c.ID == "" || strings.ContainsAny(c.ID, " \t\n") {
			errs = append(errs, fmt.Errorf("%s: id must be a non-empty name without spaces", where))
		}
		if seen[c.ID] {
			errs = append(errs, fmt.Errorf("%s: duplicate id", where))
		}
		seen[c.ID] = true
		if err := checkDerivedID(c, text); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
		if len(c.Sections) == 0 {
			errs = append(errs, fmt.Errorf("%s: sections must not be empty", where))
		}
		for _, s := range c.Sections {
			if !lines[s] {
				errs = append(errs, fmt.Errorf("%s: section %q is not a line of the document", where, s))
			}
			if strings.Contains(s, sectionSep) {
				errs = append(errs, fmt.Errorf("%s: section %q contains the separator %q", where, s, sectionSep))
			}
		}
		if len(c.Explanation) == 0 || len(c.Action) == 0 || len(c.Signatures) == 0 {
			errs = append(errs, fmt.Errorf("%s: explanation, action and signatures must not be empty", where))
		}
		for _, s := range append(append([]string{}, c.Explanation...), c.Action...) {
			if !strings.Contains(norm, normalizeSpace(s)) {
				errs = append(errs, fmt.Errorf("%s: sentence %q does not occur in the document", where, s))
			}
		}
		for _, s := range c.Signatures {
			if !strings.Contains(text, s) {
				errs = append(errs, fmt.Errorf("%s: signature %q does not occur in the document", where, s))
			}
			if other, dup := sigs[s]; dup {
				errs = append(errs, fmt.Errorf("%s: signature %q already identifies %s", where, s, other))
			}
			sigs[s] = c.ID
		}
		origins = append(origins, idOrigin{ID: c.ID, Derived: c.DerivedFrom != "", From: c.DerivedFrom, Sections: c.Sections})
		entries = append(entries, Entry{
			Product:     productCUCM,
			ID:          c.ID,
			Explanation: strings.Join(c.Explanation, "\n"),
			Action:      strings.Join(c.Action, "\n"),
			Params:      []Param{},
			Signatures:  c.Signatures,
			Source:      Source{Document: docCUCM, Section: strings.Join(c.Sections, sectionSep)},
		})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return entries, origins, nil
}

// checkDerivedID enforces the naming rule: an ID printed in the document
// is a vendor name and has no derived_from; any other ID must be derived
// from a trace text of the document, "ILS" followed by words of that text.
func checkDerivedID(c curatedEntry, doc string) error {
	inDoc := c.ID != "" && strings.Contains(doc, c.ID)
	switch {
	case inDoc && c.DerivedFrom != "":
		return fmt.Errorf("id is an alarm name printed in the document, yet derived_from %q is set", c.DerivedFrom)
	case inDoc:
		return nil
	case c.DerivedFrom == "":
		return errors.New("id does not occur in the document: a derived id needs derived_from naming the trace text it is made from")
	case !strings.Contains(doc, c.DerivedFrom):
		return fmt.Errorf("derived_from %q does not occur in the document", c.DerivedFrom)
	}
	rest, ok := strings.CutPrefix(c.ID, "ILS")
	if !ok || rest == "" {
		return fmt.Errorf("derived id must be \"ILS\" followed by words of %q", c.DerivedFrom)
	}
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(c.DerivedFrom), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		words[w] = true
	}
	for _, w := range camelWords(rest) {
		if !words[strings.ToLower(w)] {
			return fmt.Errorf("derived id word %q is not a word of derived_from %q", w, c.DerivedFrom)
		}
	}
	return nil
}

// camelWords splits "CertificateNotInLocalStore" into its words.
func camelWords(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if i > start && unicode.IsUpper(r) {
			out = append(out, s[start:i])
			start = i
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
