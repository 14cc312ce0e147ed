package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

const reportInput = `%ASA-6-722051: Group <g> User <u> IP <192.0.2.1> IPv4 Address <10.0.0.1> IPv6 address <::> assigned to session
%ASA-4-999001: first
{"message": "%ASA-4-999001: second"}
%LINK-3-UPDOWN: Interface Gi0/1, changed state to down
no ID at all
`

func TestReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "unknown.csv")
	var out, errOut bytes.Buffer
	if code := run([]string{"report", "--csv", path}, strings.NewReader(reportInput), &out, &errOut); code != 0 {
		t.Fatalf("code %d: %s", code, errOut.String())
	}
	got := strings.Fields(out.String())
	for _, want := range []string{
		"cisco_ftd_asa 1 2", "cisco_ios 0 1", "cisco_cucm 0 0",
		"records 5: enriched 1, unknown_id 3, no_id 1, skipped 0",
		"2 cisco_ftd_asa 999001 %ASA-4-999001: first", "1 cisco_ios LINK-3-UPDOWN %LINK-3-UPDOWN:",
	} {
		if !strings.Contains(strings.Join(got, " "), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "product,id,severity,explanation,action,count,example\n" +
		"cisco_ftd_asa,999001,4,,,2,%ASA-4-999001: first\n" +
		"cisco_ios,LINK-3-UPDOWN,3,,,1,\"%LINK-3-UPDOWN: Interface Gi0/1, changed state to down\"\n"
	if string(b) != want {
		t.Fatalf("CSV:\n%s\nwant\n%s", b, want)
	}

	// Unfilled, the file is refused; completed, it loads and explains.
	if code, _, errText := runEnrichCLI(t, "%ASA-4-999001: x\n", "--catalog", path); code != 1 || !strings.Contains(errText, "explanation and action are both empty") {
		t.Errorf("unfilled report loaded: code %d, %q", code, errText)
	}
	filled := strings.Replace(string(b), "999001,4,,,", "999001,4,説明,対処,", 1)
	filled = filled[:strings.Index(filled, "cisco_ios")]
	if err := os.WriteFile(path, []byte(filled), 0o644); err != nil {
		t.Fatal(err)
	}
	code, recs, errText := runEnrichCLI(t, "%ASA-4-999001: x\n", "--catalog", path)
	if code != 0 || len(recs) != 1 || recs[0]["explanation"] != "説明" {
		t.Errorf("completed report: code %d, records %v, %s", code, recs, errText)
	}
}

// TestReportCSVWriteFails: a --csv that the checks of Report_File refuse is refused before any
// input is read; one whose write fails anyway fails the run, the report printed still.
func TestReportCSVWriteFails(t *testing.T) {
	dir := t.TempDir()
	// /proc/version: a regular file in a directory where none can be created, even by root.
	for _, path := range []string{filepath.Join(dir, "missing", "unknown.csv"), dir, dir + "/", "/proc/version"} {
		var out, errOut bytes.Buffer
		in := &countedLines{n: 1}
		code := run([]string{"report", "--csv", path}, in, &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), "--csv "+path+": ") || out.Len() != 0 || in.reads != 0 {
			t.Errorf("--csv %s: exit %d, stderr %q, output %q, %d reads; want 2, the problem, no report, no input read", path, code, errOut.String(), out.String(), in.reads)
		}
	}
	var out, errOut bytes.Buffer
	code := run([]string{"report", "--csv", "/dev/full"}, strings.NewReader(reportInput), &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "write the report") || !strings.Contains(out.String(), "999001") {
		t.Errorf("exit %d, stderr %q, output %q; want 1, the write error and the report", code, errOut.String(), out.String())
	}
}

// TestReportOverstatedLongExample: a count that may be overstated says by how much, and an
// example is cut to 100 characters.
func TestReportOverstatedLongExample(t *testing.T) {
	var in strings.Builder
	for i := range 16 { // fill the sketch of --top 1
		fmt.Fprintf(&in, "%%ASA-4-%d: x\n", 999001+i)
	}
	long := "%ASA-4-999017: " + strings.Repeat("é", 86) // 101 characters, one too many
	in.WriteString(long + "\n" + long + "\n")
	var out, errOut bytes.Buffer
	if code := run([]string{"report", "--top", "1"}, strings.NewReader(in.String()), &out, &errOut); code != 0 {
		t.Fatalf("code %d: %s", code, errOut.String())
	}
	want := "3 (<=1 over)  cisco_ftd_asa  999017  " + string([]rune(long)[:99]) + "…\n"
	if !strings.HasSuffix(out.String(), want) {
		t.Errorf("report ends:\n%s\nwant\n%s", out.String(), want)
	}
}

func TestReportNothingUnknown(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"report"}, strings.NewReader("%ASA-4-722051: x\n"), &out, &errOut); code != 0 {
		t.Fatalf("code %d: %s", code, errOut.String())
	}
	if !strings.HasSuffix(out.String(), "\nmessage IDs the catalog lacks: none\n") {
		t.Errorf("report without unknown IDs ends:\n%s", out.String())
	}
}

// TestReportEscapesControls: an example line from the network reaches the terminal with its
// control characters escaped.
func TestReportEscapesControls(t *testing.T) {
	var out, errOut bytes.Buffer
	line := `{"log": "%ASA-4-999001: \u001b]52;c;aGk=\u0007\r\nforged row"}` + "\n"
	if code := run([]string{"report"}, strings.NewReader(line), &out, &errOut); code != 0 {
		t.Fatalf("code %d: %s", code, errOut.String())
	}
	if strings.ContainsAny(out.String(), "\x1b\x07\r") || !strings.Contains(out.String(), `\x1b]52;c;aGk=\a\r\nforged row`) {
		t.Errorf("report output %q, want the control characters escaped", out.String())
	}
}

func TestReportUsage(t *testing.T) {
	for _, args := range [][]string{{"report", "--top", "0"}, {"report", "--top", "10001"}, {"report", "--field-preset", "x"}} {
		var out, errOut bytes.Buffer
		if code := run(args, strings.NewReader(""), &out, &errOut); code != 2 || out.Len() != 0 {
			t.Errorf("%v: code %d, output %q; want 2 and nothing", args, code, out.String())
		}
	}
}

// TestReportTopBounds: --top takes 1 to 10000, both ends included.
func TestReportTopBounds(t *testing.T) {
	for _, top := range []string{"1", "10000"} {
		var out, errOut bytes.Buffer
		if code := run([]string{"report", "--top", top}, strings.NewReader(reportInput), &out, &errOut); code != 0 || !strings.Contains(out.String(), "999001") {
			t.Errorf("--top %s: code %d, stderr %q, output %q; want 0 and the report", top, code, errOut.String(), out.String())
		}
	}
}

func TestFieldPresetECS(t *testing.T) {
	line := "%ASA-6-722051: Group <g> User <u> IP <192.0.2.1> IPv4 Address <10.0.0.1> IPv6 address <::> assigned to session\n"
	code, recs, errText := runEnrichCLI(t, line, "--field-preset", "ECS", "--field-product", "observer.product") // any case, as Field_Preset
	if code != 0 || len(recs) != 1 {
		t.Fatalf("code %d, %d records: %s", code, len(recs), errText)
	}
	got := recs[0]
	delete(got, "enrich.explanation")
	delete(got, "enrich.action")
	want := map[string]any{"message": strings.TrimSuffix(line, "\n"), "event.code": "722051", "log.syslog.severity.code": 6.0,
		"log.syslog.severity.name": "informational", "log.level": "informational", "observer.product": "cisco_ftd_asa",
		"enrich.catalog_id": "722051"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("record %v\nwant %v", got, want)
	}
	if code, _, errText := runEnrichCLI(t, line, "--field-preset", "ecs", "--message-key", "log"); code != 2 || !strings.Contains(errText, "cannot go inside it") {
		t.Errorf("ecs with log as message key: code %d, %q", code, errText)
	}
}

// TestReportWithoutItsCatalog: a --catalog that cannot be loaded ends the report before any input is
// read, so no report is printed (one of zero records would say the inputs were empty) and the --csv
// file is left alone: it may be the very file being completed, whose unfinished row was refused.
func TestReportWithoutItsCatalog(t *testing.T) {
	dir := t.TempDir()
	const started = "product,id,severity,explanation,action,count,example\n" +
		"cisco_ftd_asa,999001,4,説明,対処,2,x\n" +
		"cisco_ftd_asa,999002,4,,,1,y\n" // not filled in yet: the file does not load
	for _, tt := range []struct{ name, catalog, errText string }{
		{"missing", "missing.csv", "no such file"},
		{"invalid", "other.csv", "explanation and action are both empty"},
		{"the --csv file itself", "unknown.csv", "explanation and action are both empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			csvPath := filepath.Join(dir, "unknown.csv")
			for _, p := range []string{csvPath, filepath.Join(dir, "other.csv")} {
				if err := os.WriteFile(p, []byte(started), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var out, errOut bytes.Buffer
			code := run([]string{"report", "--catalog", filepath.Join(dir, tt.catalog), "--csv", csvPath}, strings.NewReader(reportInput), &out, &errOut)
			if code != 1 || out.Len() != 0 || !strings.Contains(errOut.String(), tt.errText) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1, no report and the catalog's error", code, out.String(), errOut.String())
			}
			if b, err := os.ReadFile(csvPath); string(b) != started {
				t.Errorf("--csv file replaced without a catalog: %q, %v", b, err)
			}
		})
	}
}

// TestReportCSVIsNotACatalog: a --csv file that is also a --catalog, by any path, is refused before
// any input is read, as Report_File is: the report would replace the entries completed there.
func TestReportCSVIsNotACatalog(t *testing.T) {
	dir := t.TempDir()
	const completed = "product,id,severity,explanation,action,count,example\ncisco_ftd_asa,999001,4,説明,対処,2,x\n"
	csvPath, link := filepath.Join(dir, "unknown.csv"), filepath.Join(dir, "link.csv")
	if err := os.WriteFile(csvPath, []byte(completed), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(csvPath, link); err != nil {
		t.Fatal(err)
	}
	for _, catalogPath := range []string{csvPath, link} {
		var out, errOut bytes.Buffer
		code := run([]string{"report", "--catalog", catalogPath, "--csv", csvPath}, strings.NewReader(reportInput), &out, &errOut)
		if code != 2 || out.Len() != 0 || !strings.Contains(errOut.String(), "is also a --catalog") {
			t.Errorf("--catalog %s: exit %d, stdout %q, stderr %q; want 2, no report and the reason", catalogPath, code, out.String(), errOut.String())
		}
		if b, err := os.ReadFile(csvPath); string(b) != completed {
			t.Errorf("--catalog %s: the completed catalog was replaced: %q, %v", catalogPath, b, err)
		}
	}
}

// TestReportCSVIsNotAnInput: a --csv file that is also an input, by any path or as standard
// input redirected from it, is refused before any input is read: the report would replace the
// log it was made from.
func TestReportCSVIsNotAnInput(t *testing.T) {
	dir := t.TempDir()
	first, second, link := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log"), filepath.Join(dir, "link.log")
	if err := os.Symlink(first, link); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--csv", first, first}, {"--csv", first, second, first}, {second, "--csv", link, first},
		{"--csv", first}, {"--csv", link, second, "-"}} { // standard input is a.log
		for _, p := range []string{first, second} {
			if err := os.WriteFile(p, []byte(reportInput), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		stdin, err := os.Open(first)
		if err != nil {
			t.Fatal(err)
		}
		defer stdin.Close()
		var out, errOut bytes.Buffer
		code := run(append([]string{"report"}, args...), stdin, &out, &errOut)
		if code != 2 || out.Len() != 0 || !strings.Contains(errOut.String(), "is also an input") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2, no report and the reason", args, code, out.String(), errOut.String())
		}
		if b, err := os.ReadFile(first); string(b) != reportInput {
			t.Errorf("%q: the input was replaced: %q, %v", args, b, err)
		}
	}
}

// TestReportCSVFromStandardInputNotRead: standard input redirected from the --csv file is no
// input when the inputs are files and none is -: the report is written.
func TestReportCSVFromStandardInputNotRead(t *testing.T) {
	dir := t.TempDir()
	csvPath, input := filepath.Join(dir, "unknown.csv"), filepath.Join(dir, "a.log")
	for path, text := range map[string]string{csvPath: "old\n", input: reportInput} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stdin, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	var out, errOut bytes.Buffer
	code := run([]string{"report", "--csv", csvPath, input}, stdin, &out, &errOut)
	if b, err := os.ReadFile(csvPath); code != 0 || err != nil || !strings.Contains(string(b), "999001") {
		t.Errorf("exit %d, stderr %q, --csv file %q (%v); want 0 and the report written", code, errOut.String(), b, err)
	}
}

// TestReportWithoutCSVReadsEveryInput: without --csv no input is refused as the report's file, not
// even one naming the working directory, which an empty path stands for: it is read and fails as a
// directory, and the other inputs are reported.
func TestReportWithoutCSVReadsEveryInput(t *testing.T) {
	t.Chdir(t.TempDir())
	var out, errOut bytes.Buffer
	code := run([]string{"report", ".", "-"}, strings.NewReader(reportInput), &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "read .: is a directory") || !strings.Contains(out.String(), "999001") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1, the report of standard input and the read error", code, out.String(), errOut.String())
	}
}

// TestReportCSVDash: --csv - is refused before any input is read, rather than writing a file named -
// in the working directory.
func TestReportCSVDash(t *testing.T) {
	t.Chdir(t.TempDir())
	var out, errOut bytes.Buffer
	code := run([]string{"report", "--csv", "-"}, strings.NewReader(reportInput), &out, &errOut)
	if _, err := os.Stat("-"); code != 2 || out.Len() != 0 || !strings.Contains(errOut.String(), "--csv -: give a file path") || err == nil {
		t.Errorf("exit %d, stdout %q, stderr %q, file - (%v); want 2, no report, the reason and no file", code, out.String(), errOut.String(), err)
	}
}

// TestReportCSVIntoAFileThatIsNotRegular: --csv /dev/stdout, a named pipe or a device is written
// into, not replaced by a regular file (as root, a rename over /dev/stdout or /dev/full succeeds).
func TestReportCSVIntoAFileThatIsNotRegular(t *testing.T) {
	for _, tt := range []struct{ name string }{{"fifo"}, {"symlink to a fifo"}} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			fifo := filepath.Join(dir, "fifo")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Skip(err)
			}
			path := fifo
			if tt.name != "fifo" {
				path = filepath.Join(dir, "link")
				if err := os.Symlink(fifo, path); err != nil {
					t.Fatal(err)
				}
			}
			// A reader that does not wait for a writer, so that the report can open the pipe.
			r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var out, errOut bytes.Buffer
			code := run([]string{"report", "--csv", path}, strings.NewReader(reportInput), &out, &errOut)
			fi, err := os.Lstat(fifo)
			if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
				t.Fatalf("exit %d, stderr %q: the named pipe was replaced (%v, %v)", code, errOut.String(), fi.Mode(), err)
			}
			if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != os.ModeNamedPipe && fi.Mode().Type() != os.ModeSymlink {
				t.Fatalf("%s replaced: %v, %v", path, fi.Mode(), err)
			}
			got, _ := io.ReadAll(r)
			if code != 0 || !strings.HasPrefix(string(got), "product,id,severity,explanation,action,count,example\ncisco_ftd_asa,999001,") {
				t.Errorf("exit %d, stderr %q, pipe read %q; want 0 and the CSV", code, errOut.String(), got)
			}
		})
	}
}

// TestReportRefusesEmptyCSV: --csv "$UNSET" is a mistake, as --catalog "" is, not a report without
// its CSV.
func TestReportRefusesEmptyCSV(t *testing.T) {
	for _, args := range [][]string{{"report", "--csv", ""}, {"report", "--csv="}} {
		var out, errOut bytes.Buffer
		code := run(args, strings.NewReader(reportInput), &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), "empty file name") || out.Len() != 0 {
			t.Errorf("%q: exit %d, stdout %d bytes, stderr %q; want 2, nothing, the empty name", args, code, out.Len(), errOut.String())
		}
	}
}
