package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/enrich"
)

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
	rest, err := parseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "flb-enrich catalog: unexpected argument %q\n", rest[0])
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
		err = catalog.WriteCSV(stdout, cat.Entries())
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

const explainExamples = "  ID: 722051, %FTD-6-722051, SMART_LIC-3-COMM_FAILED, 086008, 1785, ILSPwdAuthenticationFailed\n" +
	"  or a whole log line; - reads log lines from standard input\n"

// runExplain prints, for a person to read, the catalog entry of an ID or
// of the message in a log line, or which of the other cases it is: no
// message ID, or an ID the catalog does not know. The exit code is 0 only
// when every query has an entry.
func runExplain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("flb-enrich explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var files fileList
	fs.Var(&files, "catalog", "user catalog `FILE` (.json or .csv) adding or overriding entries; repeatable")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: flb-enrich explain [--catalog FILE]... ID_OR_LOG_LINE|-")
		io.WriteString(stderr, explainExamples)
		fs.PrintDefaults()
	}
	rest, err := parseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(rest) == 0 {
		fmt.Fprintln(stderr, "flb-enrich explain: missing ID or log line")
		fs.Usage()
		return 2
	}
	queries := []string{strings.TrimSpace(strings.Join(rest, " "))}
	if len(rest) == 1 && rest[0] == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			fmt.Fprintf(stderr, "flb-enrich explain: read standard input: %v\n", err)
			return 1
		}
		queries = queries[:0]
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				queries = append(queries, l)
			}
		}
	}
	if len(queries) == 0 || queries[0] == "" {
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
	eng, err := enrich.New(cat, enrich.DefaultOptions())
	if err != nil {
		fmt.Fprintf(stderr, "flb-enrich explain: %v\n", err)
		return 1
	}
	var b strings.Builder
	code := 0
	for i, q := range queries {
		if i > 0 {
			b.WriteString("\n")
		}
		if len(queries) > 1 {
			fmt.Fprintf(&b, "line:        %s\n", q)
		}
		if !explain(&b, cat, eng, q) {
			code = 1
		}
	}
	if _, err := io.WriteString(stdout, b.String()); err != nil {
		fmt.Fprintf(stderr, "flb-enrich explain: write: %v\n", err)
		return 1
	}
	return code
}

// explain writes what query is: a catalog entry, an ID the catalog does
// not know, or no ID at all. It reports whether there is an entry.
func explain(b *strings.Builder, cat *catalog.Catalog, eng *enrich.Engine, query string) bool {
	m, found := eng.Recognise([]byte(query))
	e, ok := cat.LookupID(query)
	if !ok && found && m.Entry != nil {
		e, ok = m.Entry, true
	}
	if ok {
		b.WriteString("result:      catalog entry\n")
		printEntry(b, e, m.Severity)
		return true
	}
	if !found && !strings.ContainsAny(query, " \t") {
		// A bare name: "999999", "SMART_LIC-3-NO_SUCH".
		if allDigits(query) && (len(query) == 4 || len(query) == 6) {
			fmt.Fprintf(b, "result:      message ID %s, not in the catalog\n", query)
			return false
		}
		m, found = eng.Recognise([]byte("%" + query))
	}
	if !found {
		b.WriteString("result:      no message ID in this line\n")
		return false
	}
	fmt.Fprintf(b, "result:      message ID %s, not in the catalog\n", m.ID)
	fmt.Fprintf(b, "product:     %s (%s)\n", m.Product, productNames[m.Product])
	if m.Severity >= 0 {
		fmt.Fprintf(b, "severity:    %s in this line\n", severityText(m.Severity))
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// severityText is "6 informational (情報)".
func severityText(level int) string {
	for _, s := range catalog.Severities() {
		if s.Level == level && s.NameJA != "" {
			return fmt.Sprintf("%d %s (%s)", level, catalog.SeverityName(level), s.NameJA)
		}
	}
	return fmt.Sprintf("%d %s", level, catalog.SeverityName(level))
}

// productNames are the products as a person calls them.
var productNames = map[catalog.Product]string{
	catalog.ProductFTD:  "Cisco Secure Firewall Threat Defense / ASA",
	catalog.ProductIOS:  "Cisco IOS / IOS-XE",
	catalog.ProductCUCM: "Cisco Unified Communications Manager",
	catalog.ProductIBM:  "IBM Storage Virtualize",
}

// printEntry writes an entry; lineSeverity is the severity the log line's
// header gives, -1 when it gives none.
func printEntry(b *strings.Builder, e *catalog.Entry, lineSeverity int) {
	fmt.Fprintf(b, "product:     %s (%s)\n", e.Product, productNames[e.Product])
	fmt.Fprintf(b, "id:          %s\n", e.ID)
	if e.PrintedID != "" {
		fmt.Fprintf(b, "printed id:  %s (the ID the document prints in the message line under heading %s)\n", e.PrintedID, e.ID)
	}
	if e.ErrorCode != "" {
		fmt.Fprintf(b, "error code:  %s\n", e.ErrorCode)
	}
	documented := "(not documented)"
	if e.Severity != nil {
		documented = severityText(*e.Severity)
	}
	if lineSeverity >= 0 {
		fmt.Fprintf(b, "severity:    %s in the document, %s in this line\n", documented, severityText(lineSeverity))
	} else {
		fmt.Fprintf(b, "severity:    %s\n", documented)
	}
	if e.Format != "" {
		fmt.Fprintf(b, "format:      %s\n", e.Format)
	}
	block := func(title, text string) {
		if text == "" {
			fmt.Fprintf(b, "%s (none in the document)\n", title)
			return
		}
		fmt.Fprintf(b, "%s\n", title)
		for _, l := range strings.Split(text, "\n") {
			fmt.Fprintf(b, "  %s\n", l)
		}
	}
	block("explanation:", e.Explanation)
	block("action:", e.Action)
	if len(e.Params) > 0 {
		fmt.Fprintf(b, "params:\n")
		for _, p := range e.Params {
			lines := strings.Split(p.Description, "\n")
			fmt.Fprintf(b, "  %s: %s\n", p.Name, lines[0])
			for _, l := range lines[1:] {
				fmt.Fprintf(b, "      %s\n", l)
			}
		}
	}
	if len(e.Signatures) > 0 {
		fmt.Fprintf(b, "signatures:  %s\n", strings.Join(e.Signatures, " | "))
	}
	src := e.Source.Document
	if e.Source.Section != "" {
		src += ", " + e.Source.Section
	}
	fmt.Fprintf(b, "source:      %s\n", src)
}
