package output

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/enrich-plugin/enrich/catalog"
)

func TestUnknownReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "unknown.csv")
	cfg := DefaultConfig()
	cfg.Sink = SinkStdout
	cfg.ReportFile, cfg.ReportTop, cfg.ReportInterval = path, 2, 0
	log := &logRecorder{}
	in, err := New(cfg, log, &syncBuffer{})
	if err != nil {
		t.Fatal(err)
	}
	known := "%FTD-6-722051: Group <g> User <u> IP <192.0.2.1> IPv4 Address <10.0.0.1> IPv6 address <::> assigned to session"
	data := chunk(known, "%ASA-4-999001: first", "%ASA-4-999001: second", "%LINK-3-UPDOWN: Interface Gi0/1, changed state to down",
		"%ASA-4-999001: third", "%OSPF-5-ADJCHG: x", "no id here")
	for range 2 {
		if err := in.Flush(context.Background(), "t", data); err != nil {
			t.Fatal(err)
		}
	}
	tt := in.Totals()
	if tt.EnrichedByProduct[catalog.ProductFTD.Index()] != 2 || tt.UnknownID != 10 {
		t.Errorf("enriched by product %v, unknown %d; want 2 FTD, 10 unknown", tt.EnrichedByProduct, tt.UnknownID)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("report file written before any report: %v", err)
	}
	if err := in.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := log.count("info", "unknown message IDs: 10 records with an ID the catalog lacks, top 2\n"+
		`unknown ID #1: 999001 (cisco_ftd_asa) 6 e.g. "%ASA-4-999001: first"`+"\n"+`unknown ID #2: LINK-3-UPDOWN (cisco_ios) 2`); n != 1 {
		t.Errorf("report lines at close: %d, want 1:\n%s", n, strings.Join(log.lines, "\n"))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Top 2 of three IDs counted exactly; the tie of two goes by ID.
	want := "product,id,severity,explanation,action,count,example\n" +
		"cisco_ftd_asa,999001,4,,,6,%ASA-4-999001: first\n" +
		"cisco_ios,LINK-3-UPDOWN,3,,,2,\"%LINK-3-UPDOWN: Interface Gi0/1, changed state to down\"\n"
	if string(b) != want {
		t.Errorf("report file:\n%s\nwant\n%s", b, want)
	}
}

// TestReportInterval waits for the periodic report, which comes only when
// unknown records arrived since the last one, and is logged by a later flush.
func TestReportInterval(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Sink = SinkStdout
	cfg.ReportInterval = 100 * time.Millisecond
	log := &logRecorder{}
	in, err := New(cfg, log, &syncBuffer{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close(context.Background())
	flush := func(line string) {
		t.Helper()
		if err := in.Flush(context.Background(), "t", chunk(line)); err != nil {
			t.Fatal(err)
		}
	}
	// report flushes line, then records without an ID until a flush logs the report of n records.
	report := func(line string, n int) {
		t.Helper()
		flush(line)
		want := fmt.Sprintf("unknown message IDs: %d records", n)
		for deadline := time.Now().Add(10 * time.Second); log.count("info", want) == 0; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no report of %d records within 10s: %q", n, log.lines)
			}
			flush("no id here")
		}
	}
	report("%ASA-4-999001: x", 1)
	report("%ASA-4-999002: y", 2)
	if n := log.count("info", "2 records with an ID the catalog lacks, top 2"); n != 1 {
		t.Errorf("second report: %q", log.lines)
	}
	if n := log.count("warn", ""); n != 0 {
		t.Errorf("warnings without a %s: %q", KeyReportFile, log.lines)
	}
}

// reportingInstance is an instance with Sink stdout and reportFile (or none) whose reports come
// when the test asks, and a flush of one line.
func reportingInstance(t *testing.T, reportFile string) (*Instance, *logRecorder, func(line string)) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Sink = SinkStdout
	cfg.ReportFile = reportFile
	cfg.ReportInterval = 0
	log := &logRecorder{}
	in, err := New(cfg, log, &syncBuffer{})
	if err != nil {
		t.Fatal(err)
	}
	return in, log, func(line string) {
		t.Helper()
		if err := in.Flush(context.Background(), "t", chunk(line)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReportAgainOnlyAtClose: a periodic report comes only when unknown records arrived since the
// last one, and Close reports once more whenever any arrived at all.
func TestReportAgainOnlyAtClose(t *testing.T) {
	in, log, flush := reportingInstance(t, "")
	const want = "unknown message IDs: 1 records"
	flush("%ASA-4-999001: x")
	for _, step := range []string{"first report", "report with nothing new"} {
		in.report(false)
		flush("no id here") // logs what the report left
		if n := log.count("info", want); n != 1 {
			t.Fatalf("after the %s: %d report lines, want 1:\n%s", step, n, strings.Join(log.lines, "\n"))
		}
	}
	if err := in.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := log.count("info", want); n != 2 {
		t.Errorf("after Close: %d report lines, want 2:\n%s", n, strings.Join(log.lines, "\n"))
	}
}

// TestReportAgainForIDsAlreadyReported: a periodic report comes whenever records with unknown IDs
// arrived since the last one, also when all of them carry IDs already reported
// (docs/observability.md, The log during sustained faults).
func TestReportAgainForIDsAlreadyReported(t *testing.T) {
	in, log, flush := reportingInstance(t, "")
	defer in.Close(context.Background())
	for i := 1; i <= 2; i++ {
		flush("%ASA-4-999001: x")
		in.report(false)
		flush("no id here") // logs the report
		if n := log.count("info", fmt.Sprintf("unknown message IDs: %d records", i)); n != 1 {
			t.Fatalf("report %d: %d lines, want 1:\n%s", i, n, strings.Join(log.lines, "\n"))
		}
	}
}

// TestReportFileNotWritten: a Report_File that cannot be written is a warning naming the key,
// and the report is still logged; a FIFO put at the path after Init is refused, as at Init,
// since writing into it would block until it has a reader, and exit with it.
func TestReportFileNotWritten(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after func(dir, path string) error // what happens to the path once Init checked it
		warn  string
	}{
		{"directory removed", func(dir, _ string) error { return os.Remove(dir) }, KeyReportFile + ": "},
		{"fifo", func(_, path string) error { return syscall.Mkfifo(path, 0o600) },
			"unknown.csv: is not a regular file; want a file path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Sink = SinkStdout
			dir := filepath.Join(t.TempDir(), "reports")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			cfg.ReportFile = filepath.Join(dir, "unknown.csv")
			log := &logRecorder{}
			in, err := New(cfg, log, &syncBuffer{})
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.after(dir, cfg.ReportFile); err != nil {
				t.Fatal(err)
			}
			if err := in.Flush(context.Background(), "t", chunk("%ASA-4-999001: x")); err != nil {
				t.Fatal(err)
			}
			closed := make(chan error, 1)
			go func() { closed <- in.Close(context.Background()) }()
			select {
			case err := <-closed:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				if f, err := os.OpenFile(cfg.ReportFile, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
					defer f.Close() // a reader lets the blocked write, and Close, end
				}
				t.Fatalf("Close blocked writing the report: %v", <-closed)
			}
			if n := log.count("warn", tc.warn); n != 1 {
				t.Errorf("%q warnings: %d, want 1:\n%s", tc.warn, n, strings.Join(log.lines, "\n"))
			}
			if n := log.count("info", "unknown message IDs"); n != 1 {
				t.Errorf("report lines at close: %d, want 1:\n%s", n, strings.Join(log.lines, "\n"))
			}
		})
	}
}

// TestNoReportWithoutUnknownIDs: Close reports the unknown IDs only when any arrived: no log
// line and no Report_File otherwise.
func TestNoReportWithoutUnknownIDs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "unknown.csv")
	cfg := DefaultConfig()
	cfg.Sink = SinkStdout
	cfg.ReportFile = path
	log := &logRecorder{}
	in, err := New(cfg, log, &syncBuffer{})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Flush(context.Background(), "t", chunk("no id here")); err != nil {
		t.Fatal(err)
	}
	if err := in.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := log.count("info", "unknown message IDs"); n != 0 {
		t.Errorf("report lines at close: %d, want none:\n%s", n, strings.Join(log.lines, "\n"))
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("report file written with no unknown IDs: %v", err)
	}
}

// TestReportFileOfAnEarlierRunReplaced: a restart or a hot reload starts a new report, so the
// first periodic report rewrites a Report_File an earlier run left, even when no record has an
// unknown ID: its rows may be IDs that the catalog completed from it now explains.
func TestReportFileOfAnEarlierRunReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "unknown.csv")
	in, log, flush := instanceAfterEarlierReport(t, path)
	defer in.Close(context.Background())
	in.report(false) // before any chunk: an instance whose Init failed must write nothing
	if b, err := os.ReadFile(path); err != nil || string(b) != earlierReport {
		t.Fatalf("Report_File before any chunk: %q, %v; want it untouched", b, err)
	}
	flush(knownLine)
	in.report(false)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "product,id,severity,explanation,action,count,example\n"; string(b) != want {
		t.Errorf("Report_File after the first report of a run without unknown IDs:\n%s\nwant the header alone", b)
	}
	in.report(false) // nothing new since: no report
	flush(knownLine)
	if n := log.count("info", "unknown message IDs: 0 records"); n != 1 {
		t.Errorf("%d report lines, want 1:\n%s", n, strings.Join(log.lines, "\n"))
	}
}

// earlierReport is a Report_File an earlier run left.
const earlierReport = "product,id,severity,explanation,action,count,example\ncisco_ftd_asa,999001,4,,,1,%ASA-4-999001: x\n"

// instanceAfterEarlierReport writes earlierReport at path and starts a reportingInstance there.
func instanceAfterEarlierReport(t *testing.T, path string) (*Instance, *logRecorder, func(line string)) {
	if err := os.WriteFile(path, []byte(earlierReport), 0o600); err != nil {
		t.Fatal(err)
	}
	return reportingInstance(t, path)
}

// TestReportLoadsBackCompleted completes every row of a Report_File, as
// docs/observability.md tells the operator to, and loads it as a user catalog.
func TestReportLoadsBackCompleted(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
	}{
		{"firewall and ibm", []string{"%ASA-4-999001: x", "# Error Code = 1234 : y", "#ErrorID=086010 #ErrorCode=1234"}},
		{"one ios message at two severities", []string{"%LINK-3-UPDOWN: Interface Gi0/1, changed state to down",
			"%LINK-5-UPDOWN: Interface Gi0/1, changed state to up"}},
		{"a line that is not utf-8", []string{"%ASA-4-999002: user caf\xe9 logged in"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "unknown.csv")
			cfg := DefaultConfig()
			cfg.Sink = SinkStdout
			cfg.ReportFile, cfg.ReportInterval = path, 0
			in, err := New(cfg, &logRecorder{}, &syncBuffer{})
			if err != nil {
				t.Fatal(err)
			}
			if err := in.Flush(context.Background(), "t", chunk(tt.lines...)); err != nil {
				t.Fatal(err)
			}
			if err := in.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// Every row completed: the explanation column is the fourth.
			rows := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			for i := 1; i < len(rows); i++ {
				f := strings.SplitN(rows[i], ",", 4)
				rows[i] = f[0] + "," + f[1] + "," + f[2] + ",explained" + f[3]
			}
			if err := os.WriteFile(path, []byte(strings.Join(rows, "\n")+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			entries, err := catalog.LoadFile(path)
			if err != nil {
				t.Fatalf("the completed report does not load: %v\n%s", err, b)
			}
			if len(entries) != len(rows)-1 {
				t.Errorf("%d entries from %d rows", len(entries), len(rows)-1)
			}
		})
	}
}

// TestCheckFilesOf: two instances given one Report_File, however it is spelt, would replace
// each other's report (a warning); one whose report is the other's Catalog_File would replace
// the entries completed there (an error, under the key of the first instance's file).
func TestCheckFilesOf(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	t.Chdir(link) // a relative path, from a directory reached through a link, is a file in dir
	path := filepath.Join(dir, "unknown.csv")
	// WriteFile follows a link to the file, so an instance writing through one replaces the other's report.
	fileLink := filepath.Join(dir, "unknown-link.csv")
	if err := os.Symlink(path, fileLink); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name            string
		a, b            Config
		warning, errKey string
	}{
		{"same path", Config{ReportFile: path}, Config{ReportFile: path}, path, ""},
		{"with ./", Config{ReportFile: path}, Config{ReportFile: dir + "/./unknown.csv"}, path, ""},
		{"relative", Config{ReportFile: path}, Config{ReportFile: "unknown.csv"}, path, ""},
		{"through a symlinked directory", Config{ReportFile: path}, Config{ReportFile: filepath.Join(link, "unknown.csv")}, path, ""},
		{"through a symbolic link to the file", Config{ReportFile: path}, Config{ReportFile: fileLink}, path, ""},
		{"other file", Config{ReportFile: path}, Config{ReportFile: filepath.Join(dir, "other.csv")}, "", ""},
		{"one has none", Config{ReportFile: path}, Config{}, "", ""},
		{"neither has one", Config{}, Config{}, "", ""},
		{"report is the other's catalog", Config{ReportFile: "unknown.csv"}, Config{CatalogFiles: []string{path}}, "", KeyReportFile},
		{"catalog is the other's report", Config{CatalogFiles: []string{"x.csv", fileLink}}, Config{ReportFile: path}, "", KeyCatalogFile},
		{"catalog and report of one instance", Config{ReportFile: path, CatalogFiles: []string{path}}, Config{}, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			warning, err := (&Instance{cfg: tt.a}).CheckFilesOf(&Instance{cfg: tt.b})
			var ke *KeyError
			gotKey := ""
			if errors.As(err, &ke) {
				gotKey = ke.Key
			}
			if gotKey != tt.errKey || (err != nil) != (tt.errKey != "") || (warning != "") != (tt.warning != "") || !strings.HasPrefix(warning, tt.warning) {
				t.Errorf("CheckFilesOf = %q, %v; want a warning naming %q, an error under %q", warning, err, tt.warning, tt.errKey)
			}
		})
	}
}

// TestReportFileBecomesAFifoBetweenCheckAndWrite: a named pipe that appears at Report_File after
// the check before a write and before the write itself is not opened: the write would wait for a
// reader, and Close with it, past the bound Exit keeps.
func TestReportFileBecomesAFifoBetweenCheckAndWrite(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Sink = SinkStdout
	cfg.ReportInterval = 0
	cfg.ReportFile = filepath.Join(dir, "unknown.csv")
	in, err := New(cfg, nil, &syncBuffer{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close(context.Background())
	// A named pipe comes and goes at the path; each one is moved aside, not removed, so that a
	// write waiting on it can be let go.
	stop, stopped := make(chan struct{}), make(chan int)
	go func() {
		n := 0
		defer func() { stopped <- n }()
		for ; n < 15000; n++ {
			select {
			case <-stop:
				return
			default:
			}
			time.Sleep(50 * time.Microsecond)
			if syscall.Mkfifo(cfg.ReportFile, 0o600) != nil { // a report written there since
				os.Remove(cfg.ReportFile)
				n--
				continue
			}
			os.Rename(cfg.ReportFile, filepath.Join(dir, fmt.Sprint("fifo", n))) // a report renamed over it goes aside too
		}
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 2000 {
			if err := in.Flush(context.Background(), "t", chunk(fmt.Sprintf("%%ASA-4-%d: x", 900000+i))); err != nil {
				t.Error(err)
				return
			}
			in.report(false)
		}
	}()
	blocked := false
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		blocked = true
	}
	close(stop)
	n := <-stopped
	var readers []*os.File // a reader lets a write waiting on its pipe go on
	for i := range n {
		name := filepath.Join(dir, fmt.Sprint("fifo", i))
		if fi, err := os.Lstat(name); err != nil || fi.Mode().Type() != os.ModeNamedPipe {
			continue
		}
		if r, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			defer r.Close()
			readers = append(readers, r)
		}
	}
	<-done
	written := 0
	for _, r := range readers {
		var b [1]byte
		if k, _ := syscall.Read(int(r.Fd()), b[:]); k > 0 {
			written++
		}
	}
	if blocked || written > 0 {
		t.Errorf("a report waited on a named pipe put at Report_File (%d reports written into one of %d pipes; blocked: %v)", written, n, blocked)
	}
}

// TestReportFileOfAnEarlierRunReplacedAfterAFailedWrite: when the first report cannot replace the
// Report_File an earlier run left (its directory gone for a while, a full disk), Close replaces it,
// as it writes a report with unknown IDs again: its rows must not stay for the run and after it.
func TestReportFileOfAnEarlierRunReplacedAfterAFailedWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "unknown.csv")
	in, log, flush := instanceAfterEarlierReport(t, path)
	flush(knownLine)
	if err := os.Rename(dir, dir+".away"); err != nil {
		t.Fatal(err)
	}
	in.report(false)
	if err := os.Rename(dir+".away", dir); err != nil {
		t.Fatal(err)
	}
	flush(knownLine) // logs what the report left
	in.report(false) // nothing new since: no report
	if err := in.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := log.count("warn", KeyReportFile+": "); n != 1 {
		t.Errorf("%d Report_File warnings, want 1 for the report that failed:\n%s", n, strings.Join(log.lines, "\n"))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "product,id,severity,explanation,action,count,example\n"; string(b) != want {
		t.Errorf("Report_File after Close:\n%s\nwant the header alone, the earlier run's rows gone", b)
	}
}
