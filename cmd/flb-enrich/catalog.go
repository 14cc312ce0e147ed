package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/enrich"
)

// runCatalog writes the whole catalog as JSON or CSV.
func runCatalog(args []string, stdout, stderr io.Writer) int {
	c := newCommand("flb-enrich catalog", "usage: flb-enrich catalog [--format json|csv] [--catalog FILE]...\n", stderr)
	format := c.String("format", "json", "output format: json or csv")
	rest, code, ok := c.parse(args)
	switch {
	case !ok:
		return code
	case len(rest) > 0:
		defer c.Usage()
		return c.fail(2, fmt.Errorf("unexpected argument %q", rest[0]))
	case *format != "json" && *format != "csv":
		return c.fail(2, fmt.Errorf("--format %q: want json or csv", *format))
	}
	cat, err := catalog.Load(c.catalogs...)
	if err == nil {
		err = catalog.Write(stdout, *format, cat.Entries())
	}
	if err != nil {
		return c.fail(1, err)
	}
	return 0
}

// runExplain prints, for a person to read, the catalog entry of an ID or
// of the message in a log line, or which of the other cases it is: no
// message ID, or an ID the catalog does not know. The exit code is 0 only
// when every query has an entry.
func runExplain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCommand("flb-enrich explain", "usage: flb-enrich explain [--catalog FILE]... ID_OR_LOG_LINE|-\n"+
		"  ID: 722051, %FTD-6-722051, SMART_LIC-3-COMM_FAILED, 086008, 1785, ILSPwdAuthenticationFailed\n"+
		"  or a whole log line; - reads log lines from standard input\n", stderr)
	rest, code, ok := c.parse(args)
	if !ok {
		return code
	}
	queries := []string{strings.TrimSpace(strings.Join(rest, " "))}
	if len(rest) == 1 && rest[0] == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return c.fail(1, fmt.Errorf("read standard input: %w", err))
		}
		queries = queries[:0]
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				queries = append(queries, l)
			}
		}
	}
	if len(rest) == 0 || len(queries) == 0 || queries[0] == "" {
		// A blank argument names nothing; it is a mistake in the command,
		// not a message missing from the catalog.
		defer c.Usage()
		if len(rest) == 0 {
			return c.fail(2, errors.New("missing ID or log line"))
		}
		return c.fail(2, errors.New("empty ID or log line"))
	}
	cat, err := catalog.Load(c.catalogs...)
	if err != nil {
		return c.fail(1, err)
	}
	eng, err := enrich.New(cat, enrich.DefaultOptions())
	if err != nil {
		return c.fail(1, err)
	}
	var b strings.Builder
	code = 0
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
		return c.fail(1, fmt.Errorf("write: %w", err))
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
		if _, err := strconv.ParseUint(query, 10, 32); err == nil && (len(query) == 4 || len(query) == 6) {
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
	fmt.Fprintf(b, "product:     %s (%s)\n", m.Product, m.Product.Name())
	if m.Severity >= 0 {
		fmt.Fprintf(b, "severity:    %s in this line\n", severityText(m.Severity))
	}
	return false
}

// severityText is "6 informational (情報)".
func severityText(level int) string {
	s := fmt.Sprintf("%d %s", level, catalog.SeverityName(level))
	if sev := catalog.Severities(); level < len(sev) && sev[level].NameJA != "" {
		s += " (" + sev[level].NameJA + ")"
	}
	return s
}

// printEntry writes an entry; lineSeverity is the severity the log line's
// header gives, -1 when it gives none.
func printEntry(b *strings.Builder, e *catalog.Entry, lineSeverity int) {
	fmt.Fprintf(b, "product:     %s (%s)\n", e.Product, e.Product.Name())
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
	for _, f := range []struct{ title, text string }{{"explanation:", e.Explanation}, {"action:", e.Action}} {
		if f.text == "" {
			fmt.Fprintf(b, "%s (none in the document)\n", f.title)
			continue
		}
		fmt.Fprintf(b, "%s\n  %s\n", f.title, strings.ReplaceAll(f.text, "\n", "\n  "))
	}
	if len(e.Params) > 0 {
		b.WriteString("params:\n")
		for _, p := range e.Params {
			fmt.Fprintf(b, "  %s: %s\n", p.Name, strings.ReplaceAll(p.Description, "\n", "\n      "))
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
