// Command gen generates the embedded message catalog from the vendor
// documents under catalog/sources: catalog/data/catalog.json (entries,
// severity table, error codes, version, per-source information),
// catalog/zz_generated.go (version constant and embed directive) and
// catalog/data/REPORT.md (counts, empty fields, document anomalies and
// how each was resolved).
//
// It runs from the catalog directory through go generate:
//
//	go run ./internal/gen [-src sources] [-out .]
//
// Output is deterministic: the same sources always give the same bytes.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// generatorVersion changes whenever the extraction rules change, so that
// the catalog version changes with them even when the documents do not.
const generatorVersion = "gen-4"

// Expected entry counts: a parser change that loses or invents entries
// fails the generation instead of silently changing the catalog.
var wantCounts = map[string]int{
	docFTD: 337,
	docIOS: 12,
	docIBM: 4,
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	src := fs.String("src", "sources", "directory holding the source documents")
	out := fs.String("out", ".", "directory to write data/catalog.json, data/REPORT.md and zz_generated.go into")
	quiet := fs.Bool("q", false, "do not print the report summary")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	res, err := generate(*src)
	if err != nil {
		fmt.Fprintf(stderr, "gen: %v\n", err)
		return 1
	}
	if err := res.write(*out); err != nil {
		fmt.Fprintf(stderr, "gen: %v\n", err)
		return 1
	}
	if !*quiet {
		fmt.Fprint(stdout, res.summary())
	}
	return 0
}

// result is everything one generation produces.
type result struct {
	data   Data
	json   []byte
	goSrc  []byte
	report []byte
	rep    *reporter
}

func generate(src string) (*result, error) {
	names := []string{docIOS, docCUCM, docFTD, docASA, docIBM, docCUCMEntries}
	files := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			return nil, fmt.Errorf("read source: %w", err)
		}
		files[n] = b
	}
	rep := &reporter{}

	severities, err := parseSeverities(string(files[docIOS]))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", docIOS, err)
	}
	ios, err := parseIOS(string(files[docIOS]), rep)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", docIOS, err)
	}
	ftd := parseFTD(string(files[docFTD]), rep)
	if err := applyContentDefects(ftd, rep); err != nil {
		return nil, err
	}
	code, ibm, err := parseIBM(string(files[docIBM]), rep)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", docIBM, err)
	}
	cucm, origins, err := parseCUCM(files[docCUCMEntries], files[docCUCM], rep)
	if err != nil {
		return nil, err
	}
	rep.ids = origins

	counts := map[string]int{docFTD: len(ftd), docIOS: len(ios), docIBM: len(ibm), docCUCM: len(cucm)}
	for doc, want := range wantCounts {
		if counts[doc] != want {
			return nil, fmt.Errorf("%s: extracted %d entries, want %d", doc, counts[doc], want)
		}
	}

	var entries []Entry
	entries = append(entries, ftd...)
	entries = append(entries, ios...)
	entries = append(entries, cucm...)
	entries = append(entries, ibm...)
	nameRepeatedParams(entries, rep)
	if err := checkEntries(entries); err != nil {
		return nil, err
	}
	scanScripts(entries, rep)

	sum := sha256.New()
	io.WriteString(sum, generatorVersion+"\n")
	var infos []SourceInfo
	products := map[string]string{docFTD: productFTD, docIOS: productIOS, docCUCM: productCUCM, docIBM: productIBM, docCUCMEntries: productCUCM}
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	for _, n := range sorted {
		h := sha256.Sum256(files[n])
		fmt.Fprintf(sum, "%s %x\n", n, h)
		infos = append(infos, SourceInfo{Document: n, SHA256: hex.EncodeToString(h[:]), Product: products[n], Entries: counts[n]})
	}
	version := generatorVersion + "+" + hex.EncodeToString(sum.Sum(nil))[:16]

	res := &result{rep: rep, data: Data{
		Version:    version,
		Generator:  generatorVersion,
		Sources:    infos,
		Severities: severities,
		ErrorCodes: []ErrorCode{code},
		Entries:    entries,
	}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res.data); err != nil {
		return nil, fmt.Errorf("encode catalog: %w", err)
	}
	res.json = buf.Bytes()
	res.goSrc, err = goSource(version)
	if err != nil {
		return nil, err
	}
	res.report = renderReport(res.data, rep)
	return res, nil
}

// checkEntries rejects output that would be wrong for every record: a
// duplicate key, a footer or section header inside an entry's text.
func checkEntries(entries []Entry) error {
	var errs []error
	seen := map[string]bool{}
	leak := regexp.MustCompile(`翻訳について|この項では、|メッセージ \d{6} ~ \d{6}`)
	for _, e := range entries {
		k := e.Product + " " + e.ID
		if seen[k] {
			errs = append(errs, fmt.Errorf("duplicate entry %s", k))
		}
		seen[k] = true
		for _, s := range []string{e.Format, e.Explanation, e.Action} {
			if leak.MatchString(s) {
				errs = append(errs, fmt.Errorf("entry %s: document footer or section header inside the text: %q", k, leak.FindString(s)))
			}
		}
	}
	return errors.Join(errs...)
}

// nameRepeatedParams gives every parameter of an entry its own name: a
// name the format uses more than once ("[chars] : [chars]") becomes name,
// name_2, name_3 … in the order the document lists them, which is the
// order of the format. The engine names the values it extracts the same
// way, so a record's params and the catalog's agree.
func nameRepeatedParams(entries []Entry, rep *reporter) {
	for i := range entries {
		e := &entries[i]
		count := map[string]int{}
		for _, p := range e.Params {
			count[p.Name]++
		}
		seen := map[string]int{}
		for j := range e.Params {
			p := &e.Params[j]
			if count[p.Name] < 2 {
				continue
			}
			seen[p.Name]++
			if n := seen[p.Name]; n > 1 {
				orig := p.Name
				p.Name = fmt.Sprintf("%s_%d", orig, n)
				rep.add(e.Source.Document, e.ID, fmt.Sprintf("parameter name %q used %d times in the format", orig, count[orig]),
					fmt.Sprintf("occurrence %d named %q (first keeps %q), in format order", n, p.Name, orig))
			}
		}
	}
}

// scanScripts reports text in scripts foreign to the Japanese documents
// (Korean syllables, Devanagari) left by the vendor's translation tool;
// the text is kept as printed.
func scanScripts(entries []Entry, rep *reporter) {
	for _, e := range entries {
		for _, s := range []string{e.Format, e.Explanation, e.Action} {
			for _, r := range s {
				if unicode.In(r, unicode.Hangul, unicode.Devanagari) {
					i := strings.IndexRune(s, r)
					rep.add(e.Source.Document, e.ID, fmt.Sprintf("foreign-script characters from a translation tool near %q", firstRunes(s[max(0, i-12):], 12)),
						"kept as printed")
					break
				}
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

func goSource(version string) ([]byte, error) {
	src, err := format.Source([]byte(fmt.Sprintf(goTemplate, version)))
	if err != nil {
		return nil, fmt.Errorf("format generated go source: %w", err)
	}
	return src, nil
}

func (r *result) write(out string) error {
	if err := os.MkdirAll(filepath.Join(out, "data"), 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	for name, b := range map[string][]byte{
		filepath.Join(out, "data", "catalog.json"): r.json,
		filepath.Join(out, "data", "REPORT.md"):    r.report,
		filepath.Join(out, "zz_generated.go"):      r.goSrc,
	} {
		if err := os.WriteFile(name, b, 0o644); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	return nil
}

func (r *result) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "catalog %s: %d entries", r.data.Version, len(r.data.Entries))
	for _, s := range r.data.Sources {
		if s.Entries > 0 {
			fmt.Fprintf(&b, ", %s %d", s.Product, s.Entries)
		}
	}
	fmt.Fprintf(&b, "; %d anomalies handled (see data/REPORT.md)\n", len(r.rep.list))
	return b.String()
}
