package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/enrich"
	"github.com/enrich-plugin/enrich/report"
)

// runCatalog writes the whole catalog as JSON or CSV.
func runCatalog(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	c := newCommand("flb-enrich catalog", "usage: flb-enrich catalog [--format json|csv] [--catalog FILE]...\n", stdout, stderr)
	format := c.String("format", "json", "output format: json or csv")
	rest, code, ok := c.parse(args)
	switch {
	case !ok:
		return code
	case len(rest) > 0:
		return c.failUsage(fmt.Errorf("unexpected argument %q", rest[0]))
	case *format != "json" && *format != "csv":
		return c.fail(2, fmt.Errorf("--format %q: want json or csv", *format))
	}
	cat, err := catalog.Load(c.catalogs...)
	if err == nil {
		err = catalog.Write(stdout, *format, withUserErrorCodes(cat))
	}
	if err != nil {
		return c.fail(1, err)
	}
	return 0
}

// withUserErrorCodes adds to the entries the IBM error codes user files define, which are not events
// but must load back; the built-in summaries are not entries.
func withUserErrorCodes(cat *catalog.Catalog) []catalog.Entry {
	entries := slices.Clip(cat.Entries())
	base, _ := catalog.Embedded() // it loaded, or cat would not have
	for _, code := range cat.ErrorCodes() {
		e, _ := cat.LookupErrorCode(code)
		if b, _ := base.LookupErrorCode(code); e != b {
			entries = append(entries, *e)
		}
	}
	return entries
}

// runExplain explains an ID or log line (each line of stdin for "-"); it exits 0 when all have an entry.
func runExplain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCommand("flb-enrich explain", "usage: flb-enrich explain [--catalog FILE]... ID_OR_LOG_LINE|-\n"+
		"  ID: 722051, %FTD-6-722051, SMART_LIC-3-COMM_FAILED, 086008, 1785, ILSPwdAuthenticationFailed\n"+
		"  or a whole log line; - reads log lines from standard input\n", stdout, stderr)
	rest, code, ok := c.parse(args)
	if !ok {
		return code
	}
	fromStdin := len(rest) == 1 && rest[0] == "-"
	if len(rest) == 0 {
		return c.failUsage(errors.New("missing ID or log line"))
	} else if fromStdin && readsOutput(rest, stdin, stdout) != "" {
		return c.fail(2, errors.New("standard input is also the standard output: its explanations would be read back without end"))
	}
	// The argument is one query, a record of several lines included; stdin is read line by line.
	next := func() (string, error) { return strings.Join(rest, " "), io.EOF }
	if in := bufio.NewReader(stdin); fromStdin {
		first := true // a byte order mark starts the input, as for the enrich command, not its first line
		next = func() (string, error) {
			line, err := in.ReadString('\n')
			if first {
				line, first = strings.TrimPrefix(line, "\ufeff"), false
			}
			return line, err
		}
	}
	cat, err := catalog.Load(c.catalogs...)
	var eng *enrich.Engine
	if err == nil {
		eng, err = enrich.New(cat, enrich.DefaultOptions())
	}
	if err != nil {
		return c.fail(1, err)
	}
	// Each line is explained and written before the next is read: tail -f | flb-enrich explain -.
	n := 0
	for err == nil {
		var line string
		if line, err = next(); err != nil && err != io.EOF {
			return c.fail(1, readError("standard input", err))
		} else if line = strings.TrimSpace(line); line == "" {
			continue
		}
		var b strings.Builder
		if n++; n > 1 {
			b.WriteString("\n")
		}
		if fromStdin {
			field(&b, "line:", report.Readable(line)) // a line from the network must not drive the terminal
		}
		if !explain(&b, cat, eng, line) {
			code = 1
		}
		if _, werr := io.WriteString(stdout, b.String()); werr != nil {
			return c.fail(1, fmt.Errorf("write: %w", werr))
		}
	}
	if n == 0 && !fromStdin { // a blank query is a mistake in the command; input without lines explains none
		return c.failUsage(errors.New("empty ID or log line"))
	}
	return code
}

// explain writes what query is: a catalog entry, an unknown ID or no ID; it reports an entry.
func explain(b *strings.Builder, cat *catalog.Catalog, eng *enrich.Engine, query string) bool {
	m, found := eng.Recognise([]byte(query)) // m.Severity is the line's, -1 for none
	if !found || m.Severity < 0 {
		// A bare name, read as the header it is when it has no blank or is all header (a line has
		// text after it): "ASA-4-722051", "Threat Defense-session-4-722051", "SMART_LIC-3-COMM_FAILED",
		// and "UC_CALLMANAGER-3-ILSPwdAuthenticationFailed", whose alarm name alone is found as text.
		h, hf := eng.Recognise([]byte("%" + query))
		if hf && (!strings.ContainsAny(query, " \t") || h.End == len(strings.TrimRight(query, " \t:"))+1) {
			m, found = h, true
		}
	}
	e, ok := m.Entry, m.Entry != nil
	if !ok {
		e, ok = cat.LookupID(query) // a bare ID, error code or signature
	}
	if !ok {
		switch {
		case !found && (len(query) == 4 || len(query) == 6) && strings.Trim(query, "0123456789") == "": // a bare number: "999999"
			field(b, "result:", "message ID "+query+", not in the catalog")
		case !found:
			field(b, "result:", "no message ID in this line")
		default:
			field(b, "result:", "message ID "+m.ID+", not in the catalog")
			field(b, "product:", fmt.Sprintf("%s (%s)", m.Product, m.Product.Name()))
			if m.Severity >= 0 {
				field(b, "severity:", severityText(m.Severity)+" in this line")
			}
		}
		return false
	}
	field(b, "result:", "catalog entry")
	field(b, "product:", fmt.Sprintf("%s (%s)", e.Product, e.Product.Name()))
	field(b, "id:", e.ID)
	if e.PrintedID != "" {
		field(b, "printed id:", e.PrintedID+" (the ID the document prints in the message line under heading "+e.ID+")")
	}
	field(b, "error code:", e.ErrorCode)
	severity := "(not documented)"
	if e.Severity != nil {
		severity = severityText(*e.Severity)
	}
	if e.Severity != nil && *e.Severity == m.Severity {
		severity += " in the document and in this line"
	} else if m.Severity >= 0 {
		severity += " in the document, " + severityText(m.Severity) + " in this line"
	}
	field(b, "severity:", severity)
	field(b, "format:", e.Format)
	for _, f := range [][2]string{{"explanation:", e.Explanation}, {"action:", e.Action}} {
		if f[1] == "" {
			fmt.Fprintf(b, "%s (none in the document)\n", f[0])
		} else {
			fmt.Fprintf(b, "%s\n  %s\n", f[0], strings.ReplaceAll(f[1], "\n", "\n  "))
		}
	}
	if len(e.Params) > 0 {
		b.WriteString("params:\n")
	}
	for _, p := range e.Params {
		fmt.Fprintf(b, "  %s: %s\n", p.Name, strings.ReplaceAll(p.Description, "\n", "\n      "))
	}
	field(b, "signatures:", strings.Join(e.Signatures, " | "))
	field(b, "source:", strings.TrimSuffix(e.Source.Document+", "+e.Source.Section, ", "))
	return true
}

// field writes "title text" with the texts aligned, when there is a text.
func field(b *strings.Builder, title, text string) {
	if text != "" {
		fmt.Fprintf(b, "%-13s%s\n", title, text)
	}
}

// severityText is "6 informational (情報)".
func severityText(level int) string {
	return fmt.Sprintf("%d %s (%s)", level, catalog.SeverityName(level), catalog.Severities()[level].NameJA)
}
