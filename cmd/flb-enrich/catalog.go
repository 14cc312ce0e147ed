package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/enrich-plugin/enrich/catalog"
)

// recogniseLine finds the message of a whole log line; the engine sets it.
// While it is nil, explain accepts IDs only.
var recogniseLine func(cat *catalog.Catalog, line string) (catalog.Product, string, bool)

// fileList collects a repeatable --catalog flag.
type fileList []string

func (f *fileList) String() string { return strings.Join(*f, ",") }

func (f *fileList) Set(v string) error {
	if v == "" {
		return errors.New("empty file name")
	}
	*f = append(*f, v)
	return nil
}

// runCatalog writes the whole catalog as JSON or CSV.
func runCatalog(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("flb-enrich catalog", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "json", "output format: json or csv")
	var files fileList
	fs.Var(&files, "catalog", "user catalog `FILE` (.json or .csv) adding or overriding entries; repeatable")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: flb-enrich catalog [--format json|csv] [--catalog FILE]...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "flb-enrich catalog: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if *format != "json" && *format != "csv" {
		fmt.Fprintf(stderr, "flb-enrich catalog: --format %q: want json or csv\n", *format)
		return 2
	}
	cat, err := catalog.Load(files...)
	if err != nil {
		fmt.Fprintf(stderr, "flb-enrich catalog: %v\n", err)
		return 1
	}
	if *format == "csv" {
		err = writeCSV(stdout, cat.Entries())
	} else {
		err = writeJSON(stdout, cat.Entries())
	}
	if err != nil {
		fmt.Fprintf(stderr, "flb-enrich catalog: %v\n", err)
		return 1
	}
	return 0
}

func writeJSON(w io.Writer, entries []catalog.Entry) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(entries); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// csvHeader is the CSV layout; it is also a valid user catalog header, so
// a spreadsheet edited from this output loads back. Params are left out.
var csvHeader = []string{"product", "id", "error_code", "severity", "format", "explanation", "action", "source_document", "source_section"}

func writeCSV(w io.Writer, entries []catalog.Entry) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, e := range entries {
		sev := ""
		if e.Severity != nil {
			sev = strconv.Itoa(*e.Severity)
		}
		rec := []string{string(e.Product), e.ID, e.ErrorCode, sev, e.Format, e.Explanation, e.Action, e.Source.Document, e.Source.Section}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

const explainExamples = "  ID: 722051, %FTD-6-722051, SMART_LIC-3-COMM_FAILED, 086008, 1785, ILSPwdAuthenticationFailed\n"

// runExplain prints one entry for a person to read.
func runExplain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("flb-enrich explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var files fileList
	fs.Var(&files, "catalog", "user catalog `FILE` (.json or .csv) adding or overriding entries; repeatable")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: flb-enrich explain [--catalog FILE]... ID_OR_LOG_LINE")
		io.WriteString(stderr, explainExamples)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "flb-enrich explain: missing ID or log line")
		fs.Usage()
		return 2
	}
	query := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if query == "" {
		// A blank argument names nothing; it is a mistake in the command,
		// not a message missing from the catalog.
		fmt.Fprintln(stderr, "flb-enrich explain: empty ID or log line")
		fs.Usage()
		return 2
	}
	cat, err := catalog.Load(files...)
	if err != nil {
		fmt.Fprintf(stderr, "flb-enrich explain: %v\n", err)
		return 1
	}
	e, ok := cat.LookupID(query)
	if !ok && recogniseLine != nil {
		if p, key, found := recogniseLine(cat, query); found {
			e, ok = cat.Lookup(p, key)
			if !ok && p == catalog.ProductIBM {
				e, ok = cat.LookupErrorCode(key)
			}
		}
	}
	if !ok {
		fmt.Fprintf(stderr, "flb-enrich explain: no catalog entry for %q\n", query)
		return 1
	}
	if err := printEntry(stdout, e); err != nil {
		fmt.Fprintf(stderr, "flb-enrich explain: %v\n", err)
		return 1
	}
	return 0
}

// productNames are the products as a person calls them.
var productNames = map[catalog.Product]string{
	catalog.ProductFTD:  "Cisco Secure Firewall Threat Defense / ASA",
	catalog.ProductIOS:  "Cisco IOS / IOS-XE",
	catalog.ProductCUCM: "Cisco Unified Communications Manager",
	catalog.ProductIBM:  "IBM Storage Virtualize",
}

func printEntry(w io.Writer, e *catalog.Entry) error {
	var b strings.Builder
	fmt.Fprintf(&b, "product:     %s (%s)\n", e.Product, productNames[e.Product])
	fmt.Fprintf(&b, "id:          %s\n", e.ID)
	if e.PrintedID != "" {
		fmt.Fprintf(&b, "printed id:  %s (the ID the document prints in the message line under heading %s)\n", e.PrintedID, e.ID)
	}
	if e.ErrorCode != "" {
		fmt.Fprintf(&b, "error code:  %s\n", e.ErrorCode)
	}
	if e.Severity != nil {
		ja := ""
		for _, s := range catalog.Severities() {
			if s.Level == *e.Severity && s.NameJA != "" {
				ja = " (" + s.NameJA + ")"
			}
		}
		fmt.Fprintf(&b, "severity:    %d %s%s\n", *e.Severity, catalog.SeverityName(*e.Severity), ja)
	} else {
		fmt.Fprintf(&b, "severity:    (not documented)\n")
	}
	if e.Format != "" {
		fmt.Fprintf(&b, "format:      %s\n", e.Format)
	}
	block := func(title, text string) {
		if text == "" {
			fmt.Fprintf(&b, "%s (none in the document)\n", title)
			return
		}
		fmt.Fprintf(&b, "%s\n", title)
		for _, l := range strings.Split(text, "\n") {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	block("explanation:", e.Explanation)
	block("action:", e.Action)
	if len(e.Params) > 0 {
		fmt.Fprintf(&b, "params:\n")
		for _, p := range e.Params {
			lines := strings.Split(p.Description, "\n")
			fmt.Fprintf(&b, "  %s: %s\n", p.Name, lines[0])
			for _, l := range lines[1:] {
				fmt.Fprintf(&b, "      %s\n", l)
			}
		}
	}
	if len(e.Signatures) > 0 {
		fmt.Fprintf(&b, "signatures:  %s\n", strings.Join(e.Signatures, " | "))
	}
	src := e.Source.Document
	if e.Source.Section != "" {
		src += ", " + e.Source.Section
	}
	fmt.Fprintf(&b, "source:      %s\n", src)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}
