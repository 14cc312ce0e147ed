package output

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/enrich"
	"github.com/enrich-plugin/enrich/report"
)

// loaded is a catalog and its engine. A flush keeps the one in use when it
// starts; a reload swaps in a new one between chunks.
type loaded struct {
	cat *catalog.Catalog
	eng *enrich.Engine
	sum [sha256.Size]byte // of the Catalog_File contents it was built from
}

// fileSum hashes the contents of files, in order.
func fileSum(files []string) ([sha256.Size]byte, error) {
	h := sha256.New()
	for _, f := range files {
		b, err := catalog.ReadFile(f)
		if err != nil {
			return [sha256.Size]byte{}, err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	return [sha256.Size]byte(h.Sum(nil)), nil
}

// load builds the catalog and engine of files. The sum is taken first, so
// that a file changing during the load is loaded again at the next check.
func load(files []string, opts enrich.Options) (*loaded, error) {
	sum, _ := fileSum(files) // a file it cannot read fails catalog.Load, which names it
	cat, err := catalog.Load(files...)
	if err != nil {
		return nil, fmt.Errorf("load catalog (%s %s): %w", KeyCatalogFile, strings.Join(files, ","), err)
	}
	eng, err := enrich.New(cat, opts) // fails only on options Config.Validate refused before any load
	return &loaded{cat: cat, eng: eng, sum: sum}, err
}

// refresh swaps in the Catalog_File files again when their contents changed.
// A set with any error is refused whole, logged and counted once, when the
// same contents fail twice in a row: a file caught half written loads next time (and at once
// when the part written is valid, as a CSV cut at the end of a row is).
func (in *Instance) refresh() {
	sum, err := fileSum(in.cfg.CatalogFiles)
	if err == nil && sum == in.current.Load().sum {
		in.later[laterFailed].Store(nil) // a refusal still waiting to be logged is of contents no longer there
		in.failing, in.refused = "", ""
		return
	}
	state := fmt.Sprint(sum, err) // the contents, or why they cannot be read
	if state == in.refused {
		return
	}
	switch next, err := load(in.cfg.CatalogFiles, in.cfg.Engine); {
	case err == nil:
		in.failing, in.refused = "", ""
		in.current.Store(next)
		in.locked(func() { in.forgetKnown(next) })
		in.later[laterFailed].Store(nil) // a refusal still waiting to be logged is of contents this reload replaced
		in.logLater(laterReloaded, func(l Logger) {
			l.Infof("catalog reloaded: %s with %d entries", next.cat.Version(), next.cat.Len())
		})
		in.count(func(t *Totals) { t.CatalogReloads, t.CatalogEntries = t.CatalogReloads+1, int64(next.cat.Len()) })
	case state != in.failing:
		in.failing = state
	default:
		in.refused = state
		in.logLater(laterFailed, func(l Logger) { l.Errorf("catalog not reloaded, the catalog in use stays: %v", err) })
		in.count(func(t *Totals) { t.CatalogReloadFailures++ })
	}
}

// forgetKnown takes the IDs that l's catalog explains, judged by their example (or their ID when
// the example was cut before it or inside it), out of the unknown-ID report; it runs under countMu.
func (in *Instance) forgetKnown(l *loaded) {
	before := in.unknown.Total()
	in.unknown.Forget(func(it report.Item) bool {
		// An example cut inside an IOS ID ends in a shorter one (%LINK-3-UP), which is not the item's, known or not.
		m, ok := l.eng.Recognise([]byte(it.Example))
		cut := m.End == len(it.Example) && len(it.Example) > report.MaxExample-utf8.UTFMax
		if ok && (m.ID == it.ID || m.Entry != nil && !cut) {
			return m.Entry != nil
		}
		// By the key the catalog gives the item's ID, as it keys the report's row once completed:
		// an IOS sub-facility (PIM-SW1-6-NBR) or letter severity (LINK-W-DOWN) included.
		p := catalog.Product(it.Product)
		_, ok = l.cat.Lookup(p, (&catalog.Entry{Product: p, ID: it.ID}).Key())
		_, code := l.cat.LookupErrorCode(it.ID)
		return ok || code && p == catalog.ProductIBM
	})
	if in.unknown.Total() != before {
		// New IDs may bring the total back to what was reported: the report is due anyway.
		in.reported = -1
	}
}

// The kinds of line the background goroutine leaves for Flush and Close to log.
const (
	laterReloaded = iota
	laterFailed
	laterPanic // apart from laterFailed, which a reload clears
	laterReport
	numLater
)

// logLater leaves log for the next Flush or Close to call, replacing an older one of its kind:
// Fluent Bit writes a line to its Log_File only when it is logged from one of its own threads.
func (in *Instance) logLater(kind int, log func(Logger)) { in.later[kind].Store(&log) }

// logPending logs what the background goroutine left; it loads before it swaps, so that
// flushes on several threads do not all write the same memory when nothing is left.
func (in *Instance) logPending() {
	for i := range in.later {
		if in.later[i].Load() != nil {
			if log := in.later[i].Swap(nil); log != nil {
				(*log)(in.log)
			}
		}
	}
}

// guard runs f, logging a panic as an error: no caller above the goroutine
// recovers it, and a panic there would end Fluent Bit.
func (in *Instance) guard(what string, f func()) {
	defer func() {
		if r := recover(); r != nil {
			in.logLater(laterPanic, func(l Logger) { l.Errorf("%s: internal error, enrichment goes on: %v", what, r) })
		}
	}()
	f()
}

// watch checks the Catalog_File files every CatalogRefresh and reports the
// unknown message IDs every ReportInterval, until Close.
func (in *Instance) watch() {
	defer in.background.Done()
	// time.Tick(0) is nil, a channel that never fires; without files, refresh finds nothing changed.
	refresh, report := time.Tick(in.cfg.CatalogRefresh), time.Tick(in.cfg.ReportInterval)
	for {
		select {
		case <-in.abort.Done():
			return
		case <-refresh:
			in.guard("catalog check", in.refresh)
		case <-report:
			in.guard("unknown-ID report", func() { in.report(false) })
		}
	}
}

// report logs the unknown message IDs and writes Report_File when new ones arrived or a
// catalog reload explained some since the last report, or at close when any arrived at all or the
// last write failed;
// also at the first report after a chunk when Report_File was there at start. Never before a chunk:
// an instance that Init then refused (its Report_File another instance's Catalog_File) writes nothing.
func (in *Instance) report(closing bool) {
	var items []report.Item
	var total int64
	changed := false
	in.locked(func() {
		total = in.unknown.Total()
		if changed = (total != in.reported || closing && (total > 0 || in.unwritten)) && in.stats.Chunks > 0; changed {
			in.reported, items = total, in.unknown.Top()
		}
	})
	if !changed {
		return
	}
	var err error
	// Checked again as at Init, as the path may have changed; ReplaceFile refuses a FIFO put there
	// after this check, whose opening would block the write, and exit with it.
	switch p := ReportFileProblem(in.cfg.ReportFile, in.cfg.CatalogFiles); {
	case p != "":
		err = fmt.Errorf("%s: %s", in.cfg.ReportFile, p)
	case in.cfg.ReportFile != "": // "" has no problem and no file
		err = report.ReplaceFile(in.cfg.ReportFile, items)
	}
	in.locked(func() { in.unwritten = err != nil })
	in.logLater(laterReport, func(l Logger) {
		l.Infof("unknown message IDs: %s", report.Summary(items, total))
		if err != nil {
			l.Warnf("%s: %v", KeyReportFile, err)
		}
	})
}
