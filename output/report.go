package output

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/enrich-plugin/enrich/enrich"
	"github.com/enrich-plugin/enrich/report"
)

// unknownReport tracks the message IDs the catalog lacks across the
// instance's flushes.
type unknownReport struct {
	mu       sync.Mutex
	top      *report.TopK
	reported int64 // Total at the last report
}

// noteUnknown adds a flush's unknown identifiers to the report.
func (in *Instance) noteUnknown(unk []enrich.Unknown) {
	if len(unk) == 0 {
		return
	}
	u := &in.unknown
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, x := range unk {
		u.top.Add(x.ID, string(x.Product), x.Severity, x.Line)
	}
}

// report logs the unknown message IDs at info level and writes Report_File,
// when any arrived since the last report, and at close when any arrived
// at all.
func (in *Instance) report(closing bool) {
	u := &in.unknown
	u.mu.Lock()
	total := u.top.Total()
	if total == 0 || (total == u.reported && !closing) {
		u.mu.Unlock()
		return
	}
	u.reported = total
	items := u.top.Top()
	u.mu.Unlock()

	in.log.Infof("unknown message IDs: %s", report.Summary(items, total))
	if in.cfg.ReportFile == "" {
		return
	}
	if err := writeReport(in.cfg.ReportFile, items); err != nil {
		in.log.Warnf("%s: %v", KeyReportFile, err)
	}
}

// writeReport replaces path with the report in one rename, so that a
// reader never sees half a file.
func writeReport(path string, items []report.Item) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	if err = cmp.Or(report.WriteCSV(tmp, items), tmp.Close(), os.Chmod(tmp.Name(), 0o644)); err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write the report: %w", err)
	}
	return nil
}
