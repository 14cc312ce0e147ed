package output

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/enrich-plugin/enrich/report"
)

// userCatalog writes a CSV user catalog with one entry for 999001.
func userCatalog(t *testing.T, path, explanation string) {
	t.Helper()
	csv := "id,severity,explanation,action,product\n999001,4," + explanation + ",対処,cisco_ftd_asa\n"
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
}

const userLine = "%ASA-4-999001: a message only the user catalog knows"

// newReloading returns a stdout instance with a user catalog that is
// checked every refresh (0: only when the test calls refresh).
func newReloading(t *testing.T, refresh time.Duration) (in *Instance, log *logRecorder, out *syncBuffer, path string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "user.csv")
	userCatalog(t, path, "第一版")
	cfg := DefaultConfig()
	cfg.Sink = SinkStdout
	cfg.CatalogFiles = []string{path}
	cfg.CatalogRefresh = refresh
	log, out = &logRecorder{}, &syncBuffer{}
	in, err := New(cfg, log, out)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := in.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return in, log, out, path
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// take returns and clears what was written.
func (s *syncBuffer) take() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.b.Reset()
	return s.b.String()
}

// explanations flushes n user lines and returns the explanations written.
func explanations(t *testing.T, in *Instance, out *syncBuffer, n int) []string {
	t.Helper()
	msgs := make([]string, n)
	for i := range msgs {
		msgs[i] = userLine
	}
	if err := in.Flush(context.Background(), "t", chunk(msgs...)); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return explanationsIn(t, out.take())
}

func explanationsIn(t *testing.T, jsonLines string) []string {
	t.Helper()
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(jsonLines), "\n") {
		var v struct {
			Record map[string]any `json:"record"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("output line %q: %v", l, err)
		}
		got = append(got, fmt.Sprint(v.Record["explanation"]))
	}
	return got
}

// TestCatalogReloadCountsEntries: the catalog_entries gauge follows a reload that adds an entry.
func TestCatalogReloadCountsEntries(t *testing.T) {
	in, _, _, path := newReloading(t, 0)
	before := in.Totals().CatalogEntries
	csv := "id,severity,explanation,action,product\n999001,4,x,y,cisco_ftd_asa\n999002,4,x,y,cisco_ftd_asa\n"
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	in.refresh()
	if got, want := in.Totals().CatalogEntries, before+1; got != want {
		t.Errorf("catalog entries after a reload adding one: %d, want %d", got, want)
	}
}

func TestCatalogReload(t *testing.T) {
	in, log, out, path := newReloading(t, 0)
	check := func(step, want string, reloads, failures int64) {
		t.Helper()
		if got := explanations(t, in, out, 1); got[0] != want {
			t.Errorf("%s: explanation %q, want %q", step, got[0], want)
		}
		tt := in.Totals()
		if tt.CatalogReloads != reloads || tt.CatalogReloadFailures != failures {
			t.Errorf("%s: reloads ok/failed %d/%d, want %d/%d", step, tt.CatalogReloads, tt.CatalogReloadFailures, reloads, failures)
		}
	}
	check("start", "第一版", 0, 0)
	in.refresh()
	check("unchanged", "第一版", 0, 0)

	// A file caught half written is not reported: it loads at the next check.
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	in.refresh()
	check("half written", "第一版", 0, 0)
	userCatalog(t, path, "第二版")
	in.refresh()
	check("edited", "第二版", 1, 0)
	if n := log.count("error", ""); n != 0 {
		t.Errorf("error lines after a half-written file: %q", log.lines)
	}
	if n := log.count("info", "catalog reloaded"); n != 1 {
		t.Errorf("reload log lines: %d, want 1", n)
	}

	// A broken file is refused whole, and reported once however often it is checked.
	if err := os.WriteFile(path, []byte("id,severity,explanation,action,product\n999001,9,x,y,cisco_ftd_asa\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in.refresh()
	in.refresh()
	in.refresh()
	check("broken", "第二版", 1, 1)
	if n := log.count("error", "catalog not reloaded, the catalog in use stays"); n != 1 {
		t.Errorf("refusal log lines: %d, want 1: %q", n, log.lines)
	}
	if n := log.count("error", path+": line 2"); n != 1 {
		t.Errorf("the refusal names the file and line: %q", log.lines)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	in.refresh()
	in.refresh()
	check("removed", "第二版", 1, 2)

	userCatalog(t, path, "第三版")
	in.refresh()
	check("fixed", "第三版", 2, 2)

	// A FIFO is refused without being opened: reading it would block the checks for good.
	// This one serves a valid catalog to whoever opens it.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		userCatalog(t, path, "第四版") // blocks until a reader opens
	}()
	defer func() { // releases the writer if nothing opened the FIFO
		if f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			<-served
			f.Close()
		}
	}()
	in.refresh()
	in.refresh()
	check("fifo", "第三版", 2, 3)
	if n := log.count("error", path+": not a regular file"); n != 1 {
		t.Errorf("the refusal of a FIFO names it: %q", log.lines)
	}
}

// TestReloadRefusalReportedAgain: broken contents refused before are reported again when they
// come back after the file was restored or a reload succeeded.
func TestReloadRefusalReportedAgain(t *testing.T) {
	in, _, _, path := newReloading(t, 0)
	broken := func(step string, want int64) {
		t.Helper()
		if err := os.WriteFile(path, []byte("id,severity,explanation,action,product\n999001,9,x,y,cisco_ftd_asa\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		in.refresh()
		in.refresh()
		if got := in.Totals().CatalogReloadFailures; got != want {
			t.Errorf("%s: refusals %d, want %d", step, got, want)
		}
	}
	broken("broken", 1)
	userCatalog(t, path, "第一版")
	in.refresh()
	broken("broken again after the file was restored", 2)
	userCatalog(t, path, "第二版")
	in.refresh()
	broken("broken again after a reload", 3)
}

// TestReloadForgetsExplainedIDs: once a reload explains an ID, the unknown-ID report and
// Report_File no longer list it, and a report of what is left comes at the next interval.
func TestReloadForgetsExplainedIDs(t *testing.T) {
	in, log, out, path := newReloading(t, 0)
	in.cfg.ReportFile = filepath.Join(t.TempDir(), "unknown.csv")
	if err := in.Flush(context.Background(), "t", chunk("%ASA-4-999002: x", "%ASA-4-999002: y",
		"%LINK-3-UPDOWN: z", "%ASA-4-999003: w")); err != nil {
		t.Fatal(err)
	}
	out.take()
	in.report(false)
	csv := "id,severity,explanation,action,product\n999001,4,a,b,cisco_ftd_asa\n" +
		"999002,4,説明,対処,cisco_ftd_asa\nLINK-5-UPDOWN,5,説明,対処,cisco_ios\n"
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	in.refresh()
	if in.Totals().CatalogReloads != 1 {
		t.Fatalf("reloads %d, want 1: %q", in.Totals().CatalogReloads, log.lines)
	}
	in.report(false)
	in.logPending()
	if n := log.count("info", "unknown message IDs: 1 records with an ID the catalog lacks, top 1\n"+
		`unknown ID #1: 999003 (cisco_ftd_asa) 1`); n != 1 {
		t.Errorf("report after the reload:\n%s", strings.Join(log.lines, "\n"))
	}
	b, err := os.ReadFile(in.cfg.ReportFile)
	if err != nil {
		t.Fatal(err)
	}
	if want := "product,id,severity,explanation,action,count,example\ncisco_ftd_asa,999003,4,,,1,%ASA-4-999003: w\n"; string(b) != want {
		t.Errorf("report file after the reload:\n%s\nwant\n%s", b, want)
	}
}

// TestReloadForgetsIDPastTheExample: an ID that a line carries after the 512 bytes its example
// keeps, or across their end, leaves the report when a reload explains it, as its records are then
// enriched. A header the line quotes, or a relay header that carries the line's message, explains
// nothing when a reload explains it.
// An entry of the same ID for another product explains nothing.
func TestReloadForgetsIDPastTheExample(t *testing.T) {
	past := "<134>host app: " + strings.Repeat("k=v ", report.MaxExample/4)
	for _, tc := range []struct{ name, line, row, want string }{
		{"ftd", past + "%ASA-4-999002: x", "999002,4,説明,対処,cisco_ftd_asa", "[999003]"},
		{"ios", past + "%LINK-3-UPDOWN: x", "LINK-5-UPDOWN,5,説明,対処,cisco_ios", "[999003]"},
		// The example ends in %LINK-3-UP, an ID of its own that the catalog lacks.
		{"ios cut inside the ID", past[:report.MaxExample-len("%LINK-3-UP")] + "%LINK-3-UPDOWN: x", "LINK-5-UPDOWN,5,説明,対処,cisco_ios", "[999003]"},
		// That shorter ID known does not explain the item's.
		{"ios cut inside the ID, the shorter one known", past[:report.MaxExample-len("%LINK-3-UP")] + "%LINK-3-UPDOWN: x", "LINK-5-UP,5,説明,対処,cisco_ios", "[999003 LINK-3-UPDOWN]"},
		// A header the message quotes further on is its text: explaining it leaves the line's own ID unknown.
		{"a quoted header explained", "%ASA-4-999002: x %ASA-4-999004: y", "999004,4,説明,対処,cisco_ftd_asa", "[999002 999003]"},
		{"a quoted header explained, ending the line", "%ASA-4-999002: x %ASA-4-999004", "999004,4,説明,対処,cisco_ftd_asa", "[999002 999003]"},
		{"a quoted header explained, the example cut", "%ASA-4-999002: x %ASA-4-999004: " + past, "999004,4,説明,対処,cisco_ftd_asa", "[999002 999003]"},
		{"a quoted header explained, ending a line just shorter than the cut", past[:report.MaxExample-utf8.UTFMax-len(" %ASA-4-999002: x %ASA-4-999004")] +
			" %ASA-4-999002: x %ASA-4-999004", "999004,4,説明,対処,cisco_ftd_asa", "[999002 999003]"},
		// A relay header explained explains only the lines it carries no message in.
		{"relay header explained", "%USER-2-SYSTEM_MSG: <<%FOO-3-BAR>> x", "USER-2-SYSTEM_MSG,2,説明,対処,cisco_ios", "[999003 FOO-3-BAR]"},
		{"relay header explained, nothing inside", "%USER-2-SYSTEM_MSG: x", "USER-2-SYSTEM_MSG,2,説明,対処,cisco_ios", "[999003]"},
		// Its example ends with the ID, which a reload explains by a facility within it.
		{"ios sub-facility ending the example", past[:report.MaxExample-len("%FOO-BAR-3-BAZ")] + "%FOO-BAR-3-BAZ: x", "BAR-3-BAZ,3,説明,対処,cisco_ios", "[999003]"},
		{"another product's entry", past + "%ASA-4-999002: x", "999002,4,説明,対処,ibm_storage_virtualize", "[999002 999003]"},
		// Past the example, the ID is looked up by the key the catalog gives the report's row.
		{"ios sub-facility past the example", past + "%PIM-SW1-6-NBRCHG: x", "PIM-SW1-6-NBRCHG,6,説明,対処,cisco_ios", "[999003]"},
		{"ios letter severity past the example", past + "%LINK-W-DOWN: x", "LINK-W-DOWN,4,説明,対処,cisco_ios", "[999003]"},
		// A reload that explains what the line shows before its ID enriches its records as that entry.
		{"another entry explained before the ID", "MyClusterAlarmFailed raised, Event ID 999002 x", "MyClusterAlarmFailed,4,説明,対処,cisco_cucm", "[999003]"},
		// So in a cut example, when that entry ends before the cut.
		{"another entry explained before the ID, the example cut", "MyClusterAlarmFailed raised, Event ID 999002 x" + past, "MyClusterAlarmFailed,4,説明,対処,cisco_cucm", "[999003]"},
		{"an IBM error code past the example", past + " error_code=4321 x", "4321,3,説明,対処,ibm_storage_virtualize", "[999003]"},
		{"an IBM error code past the example, another explained", past + " error_code=4321 x", "4322,3,説明,対処,ibm_storage_virtualize", "[4321 999003]"},
		{"an ID of two products past the example", past + " Event ID 999002 x", "999002,4,説明,対処,cisco_ftd_asa\n999002,,説明,対処,ibm_storage_virtualize", "[999003]"},
		// A line of MaxExample-UTFMax bytes is whole: the ID that ends it, explained, explains the
		// line's (an unknown event ID loses to a known error code).
		{"an IBM error code ending a line just shorter than the cut", past[:report.MaxExample-utf8.UTFMax-len(" Event ID 999002 x error_code=4321")] +
			" Event ID 999002 x error_code=4321", "4321,3,説明,対処,ibm_storage_virtualize", "[999003]"},
		// An example of one byte more may be cut before a character: the relay header that ends it,
		// explained, leaves the message the line relays after it unknown.
		{"relay header explained, ending an example cut before a character", past[:report.MaxExample-utf8.UTFMax+1-len("%IOSXE-3-PLATFORM")] +
			"%IOSXE-3-PLATFORM😀: R0/0: cpp_cp: %FOO-3-BAR: x", "IOSXE-3-PLATFORM,3,説明,対処,cisco_ios", "[999003 FOO-3-BAR]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, _, out, path := newReloading(t, 0)
			if err := in.Flush(context.Background(), "t", chunk(tc.line, "%ASA-4-999003: w")); err != nil {
				t.Fatal(err)
			}
			out.take()
			if err := os.WriteFile(path, []byte("id,severity,explanation,action,product\n"+tc.row+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			in.refresh()
			var ids []string
			in.locked(func() {
				for _, it := range in.unknown.Top() {
					ids = append(ids, it.ID)
				}
			})
			if got, want := fmt.Sprint(ids), tc.want; got != want {
				t.Errorf("unknown IDs after the reload %v, want %v", got, want)
			}
		})
	}
}

// gateWriter holds the first Write until release is closed.
type gateWriter struct {
	entered, release chan struct{}
	once             sync.Once
}

func (g *gateWriter) Write(p []byte) (int, error) {
	g.once.Do(func() {
		close(g.entered)
		<-g.release
	})
	return len(p), nil
}

// TestReloadDuringFlushForgetsExplainedIDs: a flush that began before a reload explaining its
// unknown ID counts it after the reload took the ID out of the report; it must not bring it back.
func TestReloadDuringFlushForgetsExplainedIDs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "user.csv")
	userCatalog(t, path, "第一版")
	cfg := DefaultConfig()
	cfg.Sink, cfg.CatalogFiles, cfg.CatalogRefresh = SinkStdout, []string{path}, 0
	w := &gateWriter{entered: make(chan struct{}), release: make(chan struct{})}
	in, err := New(cfg, &logRecorder{}, w)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close(context.Background())
	done := make(chan error)
	go func() { done <- in.Flush(context.Background(), "t", chunk("%ASA-4-999002: x", "%ASA-4-999003: y")) }()
	<-w.entered
	csv := "id,severity,explanation,action,product\n999002,4,説明,対処,cisco_ftd_asa\n"
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	in.refresh()
	close(w.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var ids []string
	var total int64
	in.locked(func() {
		for _, it := range in.unknown.Top() {
			ids = append(ids, it.ID)
		}
		total = in.unknown.Total()
	})
	if fmt.Sprint(ids, total) != "[999003] 1" {
		t.Errorf("unknown IDs %v, total %d after the reload; want [999003], 1", ids, total)
	}
}

// TestReloadThenAsManyNewUnknown: a reload that explains two records and two new unknown
// records before the next report leave the total where it was, but the report has changed.
func TestReloadThenAsManyNewUnknown(t *testing.T) {
	in, log, out, path := newReloading(t, 0)
	in.cfg.ReportFile = filepath.Join(t.TempDir(), "unknown.csv")
	if err := in.Flush(context.Background(), "t", chunk("%ASA-4-999002: x", "%ASA-4-999002: y")); err != nil {
		t.Fatal(err)
	}
	in.report(false)
	csv := "id,severity,explanation,action,product\n999002,4,説明,対処,cisco_ftd_asa\n"
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	in.refresh()
	if err := in.Flush(context.Background(), "t", chunk("%ASA-4-999004: x", "%ASA-4-999004: y")); err != nil {
		t.Fatal(err)
	}
	out.take()
	in.report(false)
	in.logPending()
	if n := log.count("info", "unknown ID #1: 999004 (cisco_ftd_asa) 2"); n != 1 {
		t.Errorf("no report of 999004 after the reload:\n%s", strings.Join(log.lines, "\n"))
	}
	b, err := os.ReadFile(in.cfg.ReportFile)
	if err != nil {
		t.Fatal(err)
	}
	if want := "product,id,severity,explanation,action,count,example\ncisco_ftd_asa,999004,4,,,2,%ASA-4-999004: x\n"; string(b) != want {
		t.Errorf("report file after the reload:\n%s\nwant\n%s", b, want)
	}
}

// TestReloadKeepsCountsBracketed: a reload that explains IDs in a full report frees their places;
// an ID taken over before the reload that comes back has more records than it is counted
// from then on, and the report says by how much its count may be over, not that it is exact.
func TestReloadKeepsCountsBracketed(t *testing.T) {
	in, log, out, path := newReloading(t, 0)
	in.unknown = report.New(1) // Report_Top 1
	var lines []string
	for i := range report.Spare - 1 {
		for range 100 {
			lines = append(lines, fmt.Sprintf("%%ASA-4-%d: x", 999101+i))
		}
	}
	for range 50 {
		lines = append(lines, "%ASA-4-999200: x")
	}
	for i := range 20 { // the first takes over 999200's place
		lines = append(lines, fmt.Sprintf("%%ASA-4-%d: x", 999300+i))
	}
	if err := in.Flush(context.Background(), "t", chunk(lines...)); err != nil {
		t.Fatal(err)
	}
	csv := "id,severity,explanation,action,product\n"
	for i := range report.Spare - 1 {
		csv += fmt.Sprintf("%d,4,説明,対処,cisco_ftd_asa\n", 999101+i)
	}
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	in.refresh()
	if err := in.Flush(context.Background(), "t", chunk(slices.Repeat([]string{"%ASA-4-999200: x"}, 80)...)); err != nil {
		t.Fatal(err)
	}
	out.take()
	in.report(false)
	in.logPending()
	// 130 records: the count it had when taken over (50 or more) is its overestimate.
	if n := log.count("info", "unknown ID #1: 999200 (cisco_ftd_asa) 149 (at most 69 over)"); n != 1 {
		t.Errorf("report after the reload:\n%s", strings.Join(log.lines[len(log.lines)-2:], "\n"))
	}
}

// TestCatalogWatch lets the instance find the change by itself.
func TestCatalogWatch(t *testing.T) {
	in, _, out, path := newReloading(t, 100*time.Millisecond)
	userCatalog(t, path, "第二版")
	deadline := time.Now().Add(10 * time.Second)
	for in.Totals().CatalogReloads == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the edited catalog was not reloaded within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := explanations(t, in, out, 1); got[0] != "第二版" {
		t.Errorf("explanation %q after the reload, want 第二版", got[0])
	}
}

// TestReloadDuringFlushes swaps catalogs while flushes run: every chunk is
// enriched whole from one catalog or the other, never a mix.
func TestReloadDuringFlushes(t *testing.T) {
	in, _, out, path := newReloading(t, 0)
	const workers, flushes, per = 4, 30, 20
	msgs := make([]string, per)
	for i := range msgs {
		msgs[i] = userLine
	}
	data := chunk(msgs...)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []error
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < flushes; i++ {
				if err := in.Flush(context.Background(), "t", data); err != nil {
					mu.Lock()
					failed = append(failed, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < 20; i++ {
		userCatalog(t, path, fmt.Sprintf("版%d", i))
		in.refresh()
	}
	wg.Wait()
	if len(failed) > 0 {
		t.Fatalf("flushes failed: %v", failed)
	}
	// The stdout sink writes each chunk in one Write.
	got := explanationsIn(t, out.take())
	if len(got) != workers*flushes*per {
		t.Fatalf("%d records written, want %d", len(got), workers*flushes*per)
	}
	for i := 0; i < len(got); i += per {
		for _, e := range got[i : i+per] {
			if e != got[i] {
				t.Fatalf("chunk at record %d mixes catalogs: %q and %q", i, got[i], e)
			}
		}
	}
	if r := in.Totals().CatalogReloads; r != 20 {
		t.Errorf("reloads %d, want 20", r)
	}
}

// TestBackgroundPanic keeps a panic in the background goroutine from ending the process:
// it is logged as an error by the next flush, and the catalog in use stays.
func TestBackgroundPanic(t *testing.T) {
	in, log, out, _ := newReloading(t, 0)
	in.guard("catalog check", func() { panic("boom") })
	if got := explanations(t, in, out, 1); got[0] != "第一版" {
		t.Errorf("explanation %q after the panic, want 第一版", got[0])
	}
	if n := log.count("error", "catalog check: internal error, enrichment goes on: boom"); n != 1 {
		t.Errorf("panic log lines: %d, want 1: %q", n, log.lines)
	}
}

// TestBackgroundPanicSurvivesReload: a reload after a panic in the background goroutine and
// before the next flush leaves that flush logging both, as the reload replaced no panic.
func TestBackgroundPanicSurvivesReload(t *testing.T) {
	in, log, out, path := newReloading(t, 0)
	in.guard("unknown-ID report", func() { panic("boom") })
	userCatalog(t, path, "第二版")
	in.refresh()
	if got := explanations(t, in, out, 1); got[0] != "第二版" {
		t.Errorf("explanation %q, want 第二版", got[0])
	}
	if n := log.count("error", "unknown-ID report: internal error, enrichment goes on: boom"); n != 1 {
		t.Errorf("panic log lines: %d, want 1: %q", n, log.lines)
	}
}

// TestPanicReleasesCounters recovers a panic raised while the counters are updated, as the
// exported functions and the background goroutine do: the counters stay usable.
func TestPanicReleasesCounters(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Sink = SinkStdout
	in, err := New(cfg, nil, &syncBuffer{})
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() { recover() }()
		in.count(func(*Totals) { panic("boom") })
	}()
	done := make(chan Totals)
	go func() { done <- in.Totals() }()
	select {
	case <-done:
		if err := in.Close(context.Background()); err != nil {
			t.Error(err)
		}
	case <-time.After(10 * time.Second): // Close would wait for the lock too
		t.Fatal("Totals still waits for the counters' lock 10s after a recovered panic")
	}
}

// TestReloadAfterRefusalLogsLast: a set refused and then fixed before the next flush leaves
// that flush logging the reload, not a refusal of contents no longer there after it.
func TestReloadAfterRefusalLogsLast(t *testing.T) {
	in, log, out, path := newReloading(t, 0)
	if err := os.WriteFile(path, []byte("id,severity,explanation,action,product\n999001,9,x,y,cisco_ftd_asa\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in.refresh()
	in.refresh()
	userCatalog(t, path, "第二版")
	in.refresh()
	if got := explanations(t, in, out, 1); got[0] != "第二版" {
		t.Errorf("explanation %q, want 第二版", got[0])
	}
	last := ""
	for _, l := range log.lines {
		if strings.Contains(l, "catalog reloaded") || strings.Contains(l, "catalog not reloaded") {
			last = l
		}
	}
	if !strings.HasPrefix(last, "info catalog reloaded") {
		t.Errorf("last catalog line %q, want the reload:\n%s", last, strings.Join(log.lines, "\n"))
	}
}

// TestRestoreAfterRefusalLogsNothing: a file removed or broken long enough to be refused, then
// put back as the catalog in use has it before the next flush, leaves that flush logging no
// refusal of a file that is there again: putting the file back logs nothing, and the refusal
// is counted, as one a reload replaced is.
func TestRestoreAfterRefusalLogsNothing(t *testing.T) {
	for _, tc := range []struct {
		name      string
		breakFile func(path string) error
	}{
		{"removed", os.Remove},
		{"broken", func(path string) error {
			return os.WriteFile(path, []byte("id,severity,explanation,action,product\n999001,9,x,y,cisco_ftd_asa\n"), 0o644)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, log, out, path := newReloading(t, 0)
			if err := tc.breakFile(path); err != nil {
				t.Fatal(err)
			}
			in.refresh()
			in.refresh()
			userCatalog(t, path, "第一版") // as loaded at start
			in.refresh()
			if got := explanations(t, in, out, 1); got[0] != "第一版" {
				t.Errorf("explanation %q, want 第一版", got[0])
			}
			if got := log.count("error", "catalog not reloaded"); got != 0 {
				t.Errorf("%d refusals logged after the file was back as in use, want none:\n%s", got, strings.Join(log.lines, "\n"))
			}
			if got := in.Totals().CatalogReloadFailures; got != 1 {
				t.Errorf("refusals counted %d, want 1", got)
			}
		})
	}
}
