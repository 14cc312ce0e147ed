// Command gen generates data/catalog.json, zz_generated.go and data/REPORT.md (counts, empty fields,
// anomalies) from catalog/sources, the same bytes for the same sources, with package catalog's types.
// Run it from the catalog directory: go run ./internal/gen [-q] [-out .].
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/enrich-plugin/enrich/catalog"
)

// generatorVersion is bumped with the extraction rules, so that the catalog version changes with them.
const generatorVersion = "gen-9"

// Source document names under catalog/sources.
const (
	docIOS         = "cisco-iosxe-smart-licensing-troubleshooting.ja.txt"
	docCUCM        = "cisco-cucm-ils-cluster-join-troubleshooting.ja.txt"
	docFTD         = "cisco-ftd-syslog-722001-776254.ja.txt"
	docASA         = "cisco-asa-anonymous-reporting-smart-call-home.ja.txt"
	docIBM         = "ibm-storage-virtualize-error-1785.ja.txt"
	docCUCMEntries = "cisco-cucm-ils-entries.json" // hand-curated Unified CM entries
)

// sources are the documents in hash order: their product and the entries a parsed one must give.
var sources = []catalog.SourceInfo{
	{Document: docASA}, {Document: docCUCM, Product: catalog.ProductCUCM},
	{Document: docCUCMEntries, Product: catalog.ProductCUCM},
	{Document: docFTD, Product: catalog.ProductFTD, Entries: 337},
	{Document: docIOS, Product: catalog.ProductIOS, Entries: 12},
	{Document: docIBM, Product: catalog.ProductIBM, Entries: 4},
}

func main() {
	out := flag.String("out", ".", "directory to write data/catalog.json, data/REPORT.md and zz_generated.go into")
	quiet := flag.Bool("q", false, "do not print the report summary")
	flag.Parse()
	res, err := generate("sources")
	if err == nil {
		err = os.MkdirAll(filepath.Join(*out, "data"), 0o755)
		for name, b := range res.files {
			err = errors.Join(err, os.WriteFile(filepath.Join(*out, name), b, 0o644))
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
	if !*quiet {
		fmt.Printf("catalog %s: %d entries; %d anomalies handled (see data/REPORT.md)\n", res.data.Version, len(res.data.Entries), len(res.rep.list))
	}
}

// result is everything one generation produces.
type result struct {
	data  catalog.Data
	rep   *reporter
	files map[string][]byte // by path under the catalog directory
}

func generate(src string) (*result, error) {
	files := map[string]string{}
	sum := sha256.New()
	fmt.Fprintf(sum, "%s\n", generatorVersion)
	infos := slices.Clone(sources)
	for i, s := range infos {
		b, err := os.ReadFile(filepath.Join(src, s.Document))
		if err != nil {
			return nil, fmt.Errorf("read source: %w", err)
		}
		infos[i].SHA256 = fmt.Sprintf("%x", sha256.Sum256(b))
		fmt.Fprintf(sum, "%s %s\n", s.Document, infos[i].SHA256)
		files[s.Document] = string(b)
	}
	version := fmt.Sprintf("%s+%.8x", generatorVersion, sum.Sum(nil)) // 16 hex digits

	rep := &reporter{}
	severities, ios, errIOS := parseIOS(files[docIOS], rep)
	ftd, errFTD := parseFTD(files[docFTD], rep)
	code, ibm, errIBM := parseIBM(files[docIBM], rep)
	cucm, errCUCM := parseCUCM(files[docCUCMEntries], files[docCUCM], rep)
	if err := errors.Join(errIOS, errFTD, errIBM, errCUCM); err != nil {
		return nil, err
	}
	counts := map[string]int{docFTD: len(ftd), docIOS: len(ios), docIBM: len(ibm), docCUCM: len(cucm)}
	for i, s := range infos {
		// A parser change that loses or invents entries fails the generation.
		if s.Entries > 0 && counts[s.Document] != s.Entries {
			return nil, fmt.Errorf("%s: extracted %d entries, want %d", s.Document, counts[s.Document], s.Entries)
		}
		infos[i].Entries = counts[s.Document]
	}
	entries := slices.Concat(ftd, ios, cucm, ibm)
	nameRepeatedParams(entries, rep)
	if err := checkEntries(entries, rep); err != nil {
		return nil, err
	}

	res := &result{rep: rep, data: catalog.Data{Version: version, Generator: generatorVersion, Sources: infos,
		Severities: severities, ErrorCodes: []catalog.ErrorCode{code}, Entries: entries}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res.data); err != nil {
		return nil, fmt.Errorf("encode catalog: %w", err)
	}
	res.files = map[string][]byte{
		"data/catalog.json": buf.Bytes(),
		"data/REPORT.md":    renderReport(res.data, rep),
		"zz_generated.go":   fmt.Appendf(nil, goTemplate, version),
	}
	return res, nil
}

// checkEntries rejects an invalid or duplicate entry and a footer or section header inside a text;
// it reports Korean or Devanagari text left by the vendor's translation tool, kept as printed.
func checkEntries(entries []catalog.Entry, rep *reporter) error {
	var errs []error
	seen := map[string]bool{}
	leak := regexp.MustCompile(`翻訳について|この項では、|メッセージ \d{6} ~ \d{6}`)
	for _, e := range entries {
		k := string(e.Product) + " " + e.Key()
		if err := e.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("entry %s: %w", k, err))
		}
		if seen[k] {
			errs = append(errs, fmt.Errorf("duplicate entry %s", k))
		}
		seen[k] = true
		for _, s := range []string{e.Format, e.Explanation, e.Action} {
			if leak.MatchString(s) {
				errs = append(errs, fmt.Errorf("entry %s: document footer or section header inside the text: %q", k, leak.FindString(s)))
			}
			i := strings.IndexFunc(s, func(r rune) bool { return unicode.In(r, unicode.Hangul, unicode.Devanagari) })
			rep.add(e.Source.Document, e.ID, finding{i >= 0, fmt.Sprintf(
				"foreign-script characters from a translation tool near %q", firstRunes(s[max(0, i-12):], 12)),
				"kept as printed"})
		}
	}
	return errors.Join(errs...)
}

// nameRepeatedParams renames the repeats of a parameter name to name_2, name_3 …, as the engine does.
func nameRepeatedParams(entries []catalog.Entry, rep *reporter) {
	for _, e := range entries {
		count, seen := map[string]int{}, map[string]int{}
		for _, p := range e.Params {
			count[p.Name]++
		}
		for j, p := range e.Params {
			if seen[p.Name]++; seen[p.Name] > 1 {
				e.Params[j].Name = fmt.Sprintf("%s_%d", p.Name, seen[p.Name])
				rep.add(e.Source.Document, e.ID, finding{true,
					fmt.Sprintf("parameter name %q used %d times in the format", p.Name, count[p.Name]),
					fmt.Sprintf("occurrence %d named %q (first keeps %q), in format order",
						seen[p.Name], e.Params[j].Name, p.Name)})
			}
		}
	}
}

const goTemplate = `// Code generated by catalog/internal/gen; DO NOT EDIT.
// Source: catalog/sources (see catalog/sources/README.md and data/REPORT.md).

package catalog

import _ "embed"

// Version identifies the embedded catalog: the generator version and a hash
// of the source documents it was generated from.
const Version = %q

// embeddedJSON is the generated catalog data.
//
//go:embed data/catalog.json
var embeddedJSON []byte
`
