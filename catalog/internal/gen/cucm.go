package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// The Unified CM document is a how-to with trace excerpts, not a message
// list, so its entries are curated by hand in cisco-cucm-ils-entries.json.
// Every sentence of a curated entry must occur in the document (white space
// normalised), every signature verbatim in a trace line, and every section
// title as a line of the document; the generator refuses anything else.

// curatedEntry is one entry of cisco-cucm-ils-entries.json.
type curatedEntry struct {
	ID          string   `json:"id"`
	Section     string   `json:"section"`
	Explanation []string `json:"explanation"`
	Action      []string `json:"action"`
	Signatures  []string `json:"signatures"`
}

// parseCUCM reads and verifies the curated entries against the document.
func parseCUCM(curated, doc []byte) ([]Entry, error) {
	dec := json.NewDecoder(bytes.NewReader(curated))
	dec.DisallowUnknownFields()
	var list []curatedEntry
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("%s: %w", docCUCMEntries, err)
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
	for i, c := range list {
		where := fmt.Sprintf("%s: entry %d (%q)", docCUCMEntries, i+1, c.ID)
		if c.ID == "" || strings.ContainsAny(c.ID, " \t\n") {
			errs = append(errs, fmt.Errorf("%s: id must be a non-empty name without spaces", where))
		}
		if seen[c.ID] {
			errs = append(errs, fmt.Errorf("%s: duplicate id", where))
		}
		seen[c.ID] = true
		if !lines[c.Section] {
			errs = append(errs, fmt.Errorf("%s: section %q is not a line of the document", where, c.Section))
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
		entries = append(entries, Entry{
			Product:     productCUCM,
			ID:          c.ID,
			Explanation: strings.Join(c.Explanation, "\n"),
			Action:      strings.Join(c.Action, "\n"),
			Params:      []Param{},
			Signatures:  c.Signatures,
			Source:      Source{Document: docCUCM, Section: c.Section},
		})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return entries, nil
}
