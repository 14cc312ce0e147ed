package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/enrich"
	"github.com/enrich-plugin/enrich/output"
	"github.com/enrich-plugin/enrich/report"
)

// tally counts the engine's results by product and keeps the most frequent unknown IDs, as the plugin.
type tally struct {
	output.Totals
	unknownBy [catalog.NumProducts]int
	k         *int    // --top
	csv       *string // --csv
	top       *report.TopK
	split     enrich.Split
	dst       []byte
}

func (t *tally) add(eng *enrich.Engine, rec []byte) {
	t.split = enrich.Split{Ends: t.split.Ends[:0], Unknown: t.split.Unknown[:0]}
	t.dst, _ = eng.RewriteSplit(t.dst[:0], rec, &t.split) // a malformed record counts as skipped
	t.Add(t.split.Counters)
	for _, u := range t.split.Unknown {
		t.unknownBy[u.Product.Index()]++
		t.top.Add(u.ID, string(u.Product), u.Severity, u.Line)
	}
}

// runReport reads lines as the default command does and prints, instead of the records, how many got
// each result per product and the most frequent message IDs the catalog lacks.
func runReport(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCommand("flb-enrich report", "usage: flb-enrich report [options] [FILE...]\n"+
		"Reads log lines as flb-enrich does and prints records per product and result, and the most frequent\n"+
		"message IDs the catalog lacks; --csv writes those as a user catalog to complete and load with --catalog.\n", stdout, stderr)
	t := &tally{k: c.Int("top", 20, "how many unknown message `IDS` to print, 1 to 10000 (16 times as many are tracked)"), csv: new(string)}
	c.Func("csv", "also write the unknown IDs to `FILE` as a user-catalog CSV (not one of the --catalog files)",
		fileName(func(v string) { *t.csv = v }))
	code := enrichLines(c, args, stdin, io.Discard, t)
	if t.top == nil { // -h, a bad option, or a catalog that does not load
		return code
	}
	if *t.csv != "" {
		if err := report.WriteFile(*t.csv, t.top.Top()); err != nil {
			code = c.fail(1, err)
		}
	}
	// Written whole and checked here: run reports a failed write only when no other error has.
	var b strings.Builder
	t.print(&b)
	if _, err := io.WriteString(stdout, b.String()); err != nil {
		return c.fail(1, fmt.Errorf("write: %w", err))
	}
	return code
}

func (t *tally) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "PRODUCT\tENRICHED\tUNKNOWN_ID\n")
	for i := range catalog.NumProducts {
		fmt.Fprintf(tw, "%s\t%d\t%d\n", catalog.ProductAt(i), t.EnrichedByProduct[i], t.unknownBy[i])
	}
	tw.Flush()
	fmt.Fprintf(w, "records %d: enriched %d, unknown_id %d, no_id %d, skipped %d\n\n",
		t.Records, t.Enriched, t.UnknownID, t.NoID, t.Skipped)
	items := t.top.Top()
	if len(items) == 0 {
		fmt.Fprintf(w, "message IDs the catalog lacks: none\n")
		return
	}
	fmt.Fprintf(w, "message IDs the catalog lacks, most frequent first:\n")
	fmt.Fprintf(tw, "COUNT\tPRODUCT\tID\tEXAMPLE\n")
	for _, it := range items {
		count := fmt.Sprint(it.Count)
		if it.Over > 0 {
			count += fmt.Sprintf(" (<=%d over)", it.Over)
		}
		ex := []rune(report.Readable(it.Example))
		if len(ex) > 100 {
			ex = append(ex[:99], '…')
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", count, it.Product, it.ID, string(ex))
	}
	tw.Flush()
}
