package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/enrich-plugin/enrich/catalog"
)

// The Unified CM document is a how-to with trace excerpts, so its entries are
// curated in cisco-cucm-ils-entries.json (see docs/catalog.md); the generator
// refuses any text of them that is not the document's, in its own section.

// curatedCase is a failure explained in a section of its own (Section, as printed; Title, the table of
// contents' wording where that is garbled): its sentences, log label and trace text, and the heading and
// fixing sentences of the configuration method it analyses.
type curatedCase struct {
	ID, Section, Title, Log, Method string
	Explanation, Trace, Action      []string
}

// title is how the entries name the case.
func (c curatedCase) title() string { return cmp.Or(c.Title, c.Section) }

// curatedEntry is an entry; DerivedFrom is the trace text of a derived ID, "" for a printed alarm name.
type curatedEntry struct {
	ID                string
	DerivedFrom       string `json:"derived_from"`
	Cases, Signatures []string
}

// sectionSep joins the titles of an entry's sections in Source.Section.
const sectionSep = " / "

// parseCUCM reads the curated entries, verifies them against the document and keeps them in rep.
func parseCUCM(curated, text string, rep *reporter) ([]catalog.Entry, error) {
	dec := json.NewDecoder(strings.NewReader(curated))
	dec.DisallowUnknownFields()
	var file struct { // the keys are the field names in lower case
		Cases   []curatedCase
		Entries []curatedEntry
	}
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("%s: %w", docCUCMEntries, err)
	}
	// A case's or method's section runs to the next case or method ("方法…") heading.
	heads := `^(?:方法.*`
	for _, c := range file.Cases {
		heads += "|" + regexp.QuoteMeta(c.Section) + "|" + regexp.QuoteMeta(c.Method)
	}
	spans := map[string]string{}
	for _, s := range sections(strings.Split(text, "\n"), regexp.MustCompile(heads+`)$`))[1:] {
		spans[s.m[0]] = strings.Join(s.lines, "\n")
	}
	var errs []error
	where := "" // the case or entry checked
	// need records a problem of where, worded by format and args, unless ok; it returns ok.
	need := func(ok bool, format string, args ...any) bool {
		if !ok {
			errs = append(errs, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...)))
		}
		return ok
	}
	cases := map[string]curatedCase{}
	for i, c := range file.Cases {
		where = fmt.Sprintf("%s: case %d (%q)", docCUCMEntries, i+1, c.ID)
		need(c.ID != "" && cases[c.ID].ID == "", "case id must be set and unique")
		cases[c.ID] = c
		rep.add(docCUCM, c.ID, finding{c.Title != "",
			fmt.Sprintf("section heading %q is garbled (a stray 設定します。)", c.Section),
			fmt.Sprintf("the case is named as the table of contents words it: %q; "+
				"the heading is kept as printed in source.section", c.Title)})
		// The case's texts are the document's, in its own section, and its fix its method's.
		need(c.Section != "" && c.Log != "" && c.Method != "" && len(c.Explanation) > 0 && len(c.Trace) > 0 &&
			len(c.Action) > 0, "section, explanation, log, trace, method and action must not be empty")
		need(!strings.Contains(c.Section, sectionSep), "section %q contains the separator %q",
			c.Section, sectionSep)
		need(c.Title == "" || containsText(text, c.Title), "title %q does not occur in the document", c.Title)
		body, ok := spans[c.Section]
		need(ok, "section %q is not a line of the document", c.Section)
		for _, s := range c.Explanation {
			need(containsText(body, s), "sentence %q does not occur in its section", s)
		}
		need(slices.Contains(strings.Split(body, "\n"), c.Log), "log label %q is not a line of its section", c.Log)
		for _, t := range c.Trace {
			need(strings.Contains(body, t), "trace text %q does not occur in its section", t)
		}
		method, ok := spans[c.Method]
		need(ok, "method %q is not a line of the document", c.Method)
		for _, s := range c.Action {
			need(containsText(method, s), "fix %q does not occur in the section of %q", s, c.Method)
		}
	}
	// The entries' IDs are checked with every other entry's (checkEntries).
	sigs := map[string]string{}
	var entries []catalog.Entry
	for i, c := range file.Entries {
		where = fmt.Sprintf("%s: entry %d (%q)", docCUCMEntries, i+1, c.ID)
		// An ID printed in the document has no derived_from; any other is "ILS" and words of derived_from.
		rest, ils := strings.CutPrefix(c.ID, "ILS")
		words := regexp.MustCompile(`[\pL\p{Nd}]+`).FindAllString(strings.ToLower(c.DerivedFrom), -1)
		switch {
		case c.ID != "" && strings.Contains(text, c.ID):
			need(c.DerivedFrom == "", "id is an alarm name printed in the document, yet derived_from %q is set",
				c.DerivedFrom)
		case need(c.DerivedFrom != "", "id does not occur in the document: "+
			"a derived id needs derived_from naming the trace text it is made from") &&
			need(strings.Contains(text, c.DerivedFrom), "derived_from %q does not occur in the document",
				c.DerivedFrom) &&
			need(ils && rest != "", "derived id must be \"ILS\" followed by words of %q", c.DerivedFrom):
			for _, w := range regexp.MustCompile(`\P{Lu}+|\p{Lu}\P{Lu}*`).FindAllString(rest, -1) {
				need(slices.Contains(words, strings.ToLower(w)), "derived id word %q is not a word of derived_from %q",
					w, c.DerivedFrom)
			}
		}
		need(len(c.Cases) > 0 && len(c.Signatures) > 0, "cases and signatures must not be empty")
		// Each line names its case; a fix names its method, which "この方法" refers to.
		var expl, act, sections []string
		for _, id := range c.Cases {
			cs, ok := cases[id]
			need(ok, "no case %q", id)
			p := "【" + cs.title() + "】"
			expl = append(expl, prefixLines(p, cs.Explanation), prefixLines(p+cs.Log+" ", cs.Trace))
			act = append(act, prefixLines(p+"（"+cs.Method+"）", cs.Action))
			sections = append(sections, cs.Section)
		}
		for _, s := range c.Signatures {
			need(strings.Contains(text, s), "signature %q does not occur in the document", s)
			other, dup := sigs[s]
			need(!dup, "signature %q already identifies %s", s, other)
			sigs[s] = c.ID
		}
		entries = append(entries, catalog.Entry{Product: catalog.ProductCUCM, ID: c.ID,
			Explanation: strings.Join(expl, "\n"), Action: strings.Join(act, "\n"),
			Params: []catalog.Param{}, Signatures: c.Signatures,
			Source: catalog.Source{Document: docCUCM, Section: strings.Join(sections, sectionSep)}})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	rep.cases, rep.ids = file.Cases, file.Entries
	rep.add(docCUCM, "(all entries)", finding{true,
		"the fixes start \"この方法を使用するには\" (to use this method) inside the section of a configuration method, far from the failure they fix",
		"each fix is given with the heading of its method in parentheses, which \"この方法\" refers to"},
		finding{true, "the failure sections explain log excerpts (\"スポークからのログは、…を示します\") printed as trace lines",
			"each case carries the trace text its sentences refer to, after the section's own log label"})
	return entries, nil
}

// containsText reports whether text contains s, white space aside.
func containsText(text, s string) bool {
	normalize := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	return strings.Contains(normalize(text), normalize(s))
}

// prefixLines is the lines of list, each after prefix.
func prefixLines(prefix string, list []string) string {
	return prefix + strings.Join(list, "\n"+prefix)
}
