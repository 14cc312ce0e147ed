package enrich

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// noIDFile lists the real lines that carry no message identifier, each
// with the reason, so that the list can be reviewed: REASON<TAB>"LINE",
// the line Go-quoted so that multi-line records fit on one line.
var noIDFile = filepath.Join("..", "test", "fixtures", "real", "no-id.tsv")

func loadNoID(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(noIDFile)
	if err != nil {
		t.Fatalf("open %s: %v", noIDFile, err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		reason, quoted, ok := strings.Cut(line, "\t")
		text, err := strconv.Unquote(quoted)
		if !ok || reason == "" || err != nil {
			t.Fatalf("%s:%d: want REASON<TAB>\"QUOTED LINE\"", noIDFile, n)
		}
		out[text] = reason
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", noIDFile, err)
	}
	return out
}

// realRecords returns the single-line records of the *.log files and the
// blank-line separated records of the *.multiline.txt files.
func realRecords(t *testing.T) []string {
	t.Helper()
	recs := realLines(t)
	files, _ := filepath.Glob(filepath.Join("..", "test", "fixtures", "real", "*.multiline.txt"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		recs = append(recs, strings.Split(strings.TrimRight(string(b), "\n"), "\n\n")...)
	}
	return recs
}

// TestRealSamples runs the recogniser over every real record: a record
// that is not listed in no-id.tsv must be recognised, and a listed one
// must not be (so the list cannot go stale).
func TestRealSamples(t *testing.T) {
	e := newEngine(t, embeddedCatalog(t), nil)
	noID := loadNoID(t)
	listed := map[string]bool{}
	recognised, known := 0, 0
	for _, rec := range realRecords(t) {
		m, ok := e.Recognise([]byte(rec))
		reason, isListed := noID[rec]
		listed[rec] = true
		switch {
		case !ok && !isListed:
			t.Errorf("no identifier recognised in %q", rec)
		case ok && isListed:
			t.Errorf("listed as carrying no identifier (%s) but recognised as %s %q: %q", reason, m.Product, m.ID, rec)
		}
		if ok {
			recognised++
			if m.Entry != nil {
				known++
			}
		}
	}
	for rec := range noID {
		if !listed[rec] {
			t.Errorf("no-id.tsv lists a line that is not in the samples: %q", rec)
		}
	}
	t.Logf("%d records recognised (%d known to the catalog), %d listed without an identifier", recognised, known, len(noID))
}
