package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/enrich"
	"github.com/enrich-plugin/enrich/internal/msgpack"
)

// dateRe matches the read time flb-enrich puts first in each line.
var dateRe = regexp.MustCompile(`^\{"date":[0-9]+\.[0-9]{9},?`)

// runLines runs the command and returns its output lines with the read
// time removed, exactly as written otherwise.
func runLines(t *testing.T, stdin string, args ...string) (code int, lines []string, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	if out.Len() > 0 && !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
		t.Errorf("output does not end with a newline: %q", tail(out.String()))
	}
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if l != "" || out.Len() > 0 {
			lines = append(lines, dateRe.ReplaceAllString(l, "{"))
		}
	}
	return code, lines, errOut.String()
}

func tail(s string) string {
	if len(s) > 80 {
		return "…" + s[len(s)-80:]
	}
	return s
}

const ftdLine = "%ASA-6-722051: Group <g> User <u> IP <1.2.3.4> IPv4 Address <10.0.0.1> IPv6 address <::> assigned to session"

// ftdAdded is what the default options add to ftdLine.
const ftdAdded = `"message_id":"722051","severity":6,"severity_name":"informational","explanation":"指摘されたアドレスが、指摘されたユーザーに割り当てられました。","action":"不要。","product":"cisco_ftd_asa"`

func TestRunEnrichKeepsRecordsExactly(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 65) + "1" + strings.Repeat("}", 65)
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"big integer", `{"n":18446744073709551615,"log":"` + ftdLine + `"}`, `{"n":18446744073709551615,"log":"` + ftdLine + `",` + ftdAdded + `}`},
		{"number literals", `{"a":1.0,"b":-0,"c":1E5,"d":0.1e-3,"e":2e+5}`, `{"a":1.0,"b":-0,"c":1E5,"d":0.1e-3,"e":2e+5}`},
		{"number out of float range", `{"big":1e400,"log":"x"}`, `{"big":1e400,"log":"x"}`},
		{"duplicate keys in order", `{"z":1,"a":2,"z":3}`, `{"z":1,"a":2,"z":3}`},
		{"nested values compacted, not rewritten", `{ "o" : { "b" : [ 1 , 2.50 , "\u00e9" ] , "b" : null } }`, `{"o":{"b":[1,2.50,"\u00e9"],"b":null}}`},
		{"65 levels deep", `{"d":` + deep + `}`, `{"d":` + deep + `}`},
		{"escaped message value", `{"log":"a\u0041\"b"}`, `{"log":"aA\"b"}`},
		{"lone surrogate in a message key kept as written", `{"log":"a\ud800b"}`, `{"log":"a\ud800b"}`},
		{"lone low surrogate after a pair kept as written", `{"log":"\ud83d\ude00\uDC00"}`, `{"log":"\ud83d\ude00\uDC00"}`},
		{"high surrogate before another escape kept as written", `{"log":"\ud800\u0041"}`, `{"log":"\ud800\u0041"}`},
		{"message with a lone surrogate not searched", `{"log":"` + ftdLine + ` \udfff"}`, `{"log":"` + ftdLine + ` \udfff"}`},
		{"other message key searched beside a lone surrogate", `{"log":"\ud800","message":"` + ftdLine + `"}`,
			`{"log":"\ud800","message":"` + ftdLine + `",` + ftdAdded + `}`},
		{"surrogate pair decoded and searched", `{"log":"\ud83d\ude00 ` + ftdLine + `"}`, `{"log":"😀 ` + ftdLine + `",` + ftdAdded + `}`},
		{"escaped backslash before u is no escape", `{"log":"\\ud800 ` + ftdLine + `"}`, `{"log":"\\ud800 ` + ftdLine + `",` + ftdAdded + `}`},
		{"escaped key", `{"l\u006fg":"` + ftdLine + `"}`, `{"log":"` + ftdLine + `",` + ftdAdded + `}`},
		{"message key with a number", `{"log":7}`, `{"log":7}`},
		{"empty object", `{}`, `{}`},
		{"blank line", ``, `{"log":""}`},
		{"raw line", ftdLine, `{"log":"` + ftdLine + `",` + ftdAdded + `}`},
		{"crlf", "x\r", `{"log":"x"}`},
		{"carriage return inside a line", "a\rb", `{"log":"a\rb"}`},
		{"not valid JSON", `{"log":"` + ftdLine + `"`, `{"log":"{\"log\":\"` + ftdLine + `\"","enrich_error":"not a valid JSON object: column 118: unexpected end of line, want , or }",` + ftdAdded + `}`},
		{"text after the object", `{"a":1} x`, `{"log":"{\"a\":1} x","enrich_error":"not a valid JSON object: column 9: 'x': text after the object"}`},
		{"invalid UTF-8 in a string", "{\"a\":\"\xff\"}", `{"log":"{\"a\":\"\ufffd\"}","enrich_error":"not a valid JSON object: column 7: byte 0xff: invalid UTF-8 in a string; ` + notUTF8 + `"}`},
		{"string escapes of other keys kept as written", `{"s":"\u00CF\u00ff\/\n","log":"x"}`, `{"s":"\u00CF\u00ff\/\n","log":"x"}`},
		{"carriage return between tokens", "{\"a\":\r1}", `{"a":1}`},
		{"cut off in a \\u escape", `{"a":"\u123`, `{"log":"{\"a\":\"\\u123","enrich_error":"not a valid JSON object: column 8: 'u': bad \\u escape"}`},
		{"\\u escape with a fourth digit not hex", `{"a":"\u123x"}`, `{"log":"{\"a\":\"\\u123x\"}","enrich_error":"not a valid JSON object: column 8: 'u': bad \\u escape"}`},
		{"control character in a string", "{\"a\":\"\x1f\"}", `{"log":"{\"a\":\"\u001f\"}","enrich_error":"not a valid JSON object: column 7: byte 0x1f: control character in a string"}`},
		{"fraction without digits", `{"a":1.}`, `{"log":"{\"a\":1.}","enrich_error":"not a valid JSON object: column 8: '}': want a value"}`},
		{"DEL named by its byte", "{\"a\":\x7f}", `{"log":"{\"a\":\u007f}","enrich_error":"not a valid JSON object: column 6: byte 0x7f: want a value"}`},
		{"bad number", `{"a":01}`, `{"log":"{\"a\":01}","enrich_error":"not a valid JSON object: column 7: '1': want , or }"}`},
		{"key without a colon", `{"a" 1}`, `{"log":"{\"a\" 1}","enrich_error":"not a valid JSON object: column 6: '1': want :"}`},
		{"cut inside a key", `{"a`, `{"log":"{\"a","enrich_error":"not a valid JSON object: column 4: unexpected end of line, unterminated string"}`},
		{"cut after a colon", `{"a":`, `{"log":"{\"a\":","enrich_error":"not a valid JSON object: column 6: unexpected end of line, want a value"}`},
		{"cut inside a string", `{"a":"x`, `{"log":"{\"a\":\"x","enrich_error":"not a valid JSON object: column 8: unexpected end of line, unterminated string"}`},
		{"cut after a backslash", `{"a":"x\`, `{"log":"{\"a\":\"x\\","enrich_error":"not a valid JSON object: column 9: unexpected end of line, unterminated string"}`},
		{"text beyond ASCII in a message", `{"log":"café ` + ftdLine + `"}`, `{"log":"café ` + ftdLine + `",` + ftdAdded + `}`},
		{"escape of a space", `{"a":"\ "}`, `{"log":"{\"a\":\"\\ \"}","enrich_error":"not a valid JSON object: column 8: ' ': bad escape"}`},
		{"\\u escape with a first digit not hex", `{"a":"\ux123"}`, `{"log":"{\"a\":\"\\ux123\"}","enrich_error":"not a valid JSON object: column 8: 'u': bad \\u escape"}`},
		{"\\u escape with a second digit not hex", `{"a":"\u1x23"}`, `{"log":"{\"a\":\"\\u1x23\"}","enrich_error":"not a valid JSON object: column 8: 'u': bad \\u escape"}`},
		{"\\u escape with a third digit not hex", `{"a":"\u12x3"}`, `{"log":"{\"a\":\"\\u12x3\"}","enrich_error":"not a valid JSON object: column 8: 'u': bad \\u escape"}`},
		{"cut after a \\u escape", `{"a":"\u1234`, `{"log":"{\"a\":\"\\u1234","enrich_error":"not a valid JSON object: column 13: unexpected end of line, unterminated string"}`},
		{"\\u escape with hex letters a and A", `{"s":"\u00aA"}`, `{"s":"\u00aA"}`},
		{"escaped NUL in a message", `{"log":"a\u0000b"}`, `{"log":"a\u0000b"}`},
		{"exponent without digits", `{"a":1e}`, `{"log":"{\"a\":1e}","enrich_error":"not a valid JSON object: column 8: '}': want a value"}`},
		{"cut after a number", `{"a":12`, `{"log":"{\"a\":12","enrich_error":"not a valid JSON object: column 8: unexpected end of line, want , or }"}`},
		{"cut after a literal", `{"a":true`, `{"log":"{\"a\":true","enrich_error":"not a valid JSON object: column 10: unexpected end of line, want , or }"}`},
		{"lone continuation byte in a string", "{\"a\":\"\x80\"}", `{"log":"{\"a\":\"\ufffd\"}","enrich_error":"not a valid JSON object: column 7: byte 0x80: invalid UTF-8 in a string; ` + notUTF8 + `"}`},
		{"replacement character in a string", "{\"a\":\"\ufffd\"}", "{\"a\":\"\ufffd\"}"},
		// Only JSON's whitespace may surround an object: other space is part of the line.
		{"JSON whitespace around an object", " \t{\"a\":1} \t", `{"a":1}`},
		{"no-break space before an object", "\u00a0{\"a\":1}", "{\"log\":\"\u00a0{\\\"a\\\":1}\"}"},
		{"ideographic space after an object", "{\"a\":1}\u3000",
			"{\"log\":\"{\\\"a\\\":1}\u3000\",\"enrich_error\":\"not a valid JSON object: column 8: byte 0xe3: text after the object\"}"},
		{"vertical tab and form feed around an object", "\v{\"a\":1}\f", `{"log":"\u000b{\"a\":1}\u000c"}`},
		// JSON cannot hold bytes that are not UTF-8: the line says they were replaced.
		{"text that is not UTF-8", "caf\xe9 \x82\xa0", `{"log":"caf\ufffd \ufffd\ufffd","enrich_error":"not UTF-8: each byte that is not part of UTF-8 text is written as U+FFFD"}`},
		{"not a valid object and not UTF-8", "{\"a\":1 x} caf\xe9", `{"log":"{\"a\":1 x} caf\ufffd","enrich_error":"not a valid JSON object: column 8: 'x': want , or }; ` + notUTF8 + `"}`},
		// Columns count from the start of the line, its whitespace included.
		{"error column after whitespace", "  {\"a\":1 x}", `{"log":"  {\"a\":1 x}","enrich_error":"not a valid JSON object: column 10: 'x': want , or }"}`},
		{"the record's date is kept, the read time left out", `{"date":"2024-01-02","log":"x"}`, `{"date":"2024-01-02","log":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The next line must come out too, after the one tested.
			code, lines, errOut := runLines(t, tt.in+"\nnext\n")
			if code != 0 {
				t.Errorf("exit %d, stderr %q", code, errOut)
			}
			if len(lines) != 2 {
				t.Fatalf("%d output lines, want 2: %q", len(lines), lines)
			}
			if got := lines[0]; got != tt.want {
				t.Errorf("output\n got  %s\n want %s", got, tt.want)
			}
			if got, want := lines[1], `{"log":"next"}`; got != want {
				t.Errorf("next line = %s, want %s", got, want)
			}
		})
	}
}

// TestJSONScannerLiteralCutAtTheEnd: a literal cut by the end of the line is refused, without
// reading past the line.
func TestJSONScannerLiteralCutAtTheEnd(t *testing.T) {
	for _, line := range []string{`{"a":tru`, `{"a":fals`, `{"a":nul`} {
		b := []byte(line)
		if _, err := new(jsonScanner).object(nil, b[:len(b):len(b)]); err == nil || !strings.Contains(err.Error(), "want a value") {
			t.Errorf("object(%s) = %v, want an error saying want a value", line, err)
		}
	}
}

// The last line needs no line ending; only "\n" or "\r\n" is one, so a "\r" before the end of
// the input is the line's.
func TestRunEnrichLastLineWithoutEnding(t *testing.T) {
	for in, want := range map[string]string{
		"x":       `{"log":"x"}`,
		"x\r":     `{"log":"x\r"}`,
		"x\r\r\n": `{"log":"x\r"}`,
		"x\n\r":   `{"log":"\r"}`,
	} {
		code, lines, errOut := runLines(t, in)
		if code != 0 || len(lines) == 0 {
			t.Fatalf("%q: exit %d, %d lines, stderr %q", in, code, len(lines), errOut)
		}
		if got := lines[len(lines)-1]; got != want {
			t.Errorf("%q: last line = %s, want %s", in, got, want)
		}
	}
}

func TestRunEnrichLongLine(t *testing.T) {
	long := `{"log":"` + ftdLine + " " + strings.Repeat("x", 17<<20) + `","n":1.50}`
	code, lines, errOut := runLines(t, long+"\nnext\n")
	if code != 0 || len(lines) != 2 {
		t.Fatalf("exit %d, %d lines, stderr %q", code, len(lines), errOut)
	}
	if want := long[:len(long)-1] + "," + ftdAdded + "}"; lines[0] != want {
		t.Errorf("the 17 MiB line is not written whole and enriched (%d bytes, want %d)", len(lines[0]), len(want))
	}
}

func TestLineOverLimitIsReplacedByAnErrorRecord(t *testing.T) {
	var out bytes.Buffer
	l := newLineEnricher(newTestEngine(t), enrich.DefaultOptions(), &out)
	l.in = bufio.NewReaderSize(nil, 16) // lines longer than the buffer
	l.maxLine = 100
	// A byte order mark starts the input, not its first line, which it would take past the limit.
	in := "\ufeff" + strings.Repeat("a", 100) + "\n" + strings.Repeat("b", 101) + "\r\n" + strings.Repeat("c", 100) + "\r\n" + "last"
	err := l.file("-", strings.NewReader(in))
	if err == nil || !strings.Contains(err.Error(), "standard input:2: line longer than 100 bytes") {
		t.Errorf("error = %v, want one naming standard input:2", err)
	}
	if err := l.flush(); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	for i := range got {
		got[i] = dateRe.ReplaceAllString(got[i], "{")
	}
	want := []string{
		`{"log":"` + strings.Repeat("a", 100) + `"}`,
		`{"enrich_error":"standard input:2: line longer than 100 bytes: replaced by an error record"}`,
		`{"log":"` + strings.Repeat("c", 100) + `"}`, // its \r\n is no part of it
		`{"log":"last"}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("output\n got  %q\n want %q", got, want)
	}
}

func newTestEngine(t testing.TB) *enrich.Engine {
	t.Helper()
	cat, err := catalog.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := enrich.New(cat, enrich.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func TestRunEnrichGoesOnAfterABadInput(t *testing.T) {
	dir := t.TempDir()
	var good strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&good, "%s %d\n", ftdLine, i)
	}
	goodLog := filepath.Join(dir, "good.log")
	other := filepath.Join(dir, "other.log")
	for path, text := range map[string]string{goodLog: good.String(), other: "other\n"} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	missing := filepath.Join(dir, "nonexistent")
	code, lines, errOut := runLines(t, "", goodLog, missing, dir, other)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{"nonexistent", "read " + dir} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q does not mention %q", errOut, want)
		}
	}
	if len(lines) != 1001 {
		t.Fatalf("%d lines, want 1001", len(lines))
	}
	for i, l := range lines[:1000] {
		if want := fmt.Sprintf(`{"log":"%s %d",%s}`, ftdLine, i, ftdAdded); l != want {
			t.Fatalf("line %d = %s, want %s", i+1, l, want)
		}
	}
	if got, want := lines[1000], `{"log":"other"}`; got != want {
		t.Errorf("last line = %s, want %s", got, want)
	}
}

// TestReadErrorMarksTheLineItCut: a line a read error ends may be cut short; its record says so,
// whatever the line is, and the lines before it are written as read.
func TestReadErrorMarksTheLineItCut(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"text", "first\n" + ftdLine[:40], `{"log":"` + ftdLine[:40] + `","enrich_error":"standard input:2: read error, the line may be cut short: input/output error",`},
		{"json", "first\n" + `{"log":"x"}`, `{"log":"{\"log\":\"x\"}","enrich_error":"standard input:2: read error, the line may be cut short: input/output error"}`},
		{"at a line's end", "first\n", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := io.MultiReader(strings.NewReader(tt.in), iotest.ErrReader(errors.New("input/output error")))
			var out, errOut bytes.Buffer
			code := run(nil, r, &out, &errOut)
			var lines []string
			for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
				lines = append(lines, dateRe.ReplaceAllString(l, "{"))
			}
			want := []string{`{"log":"first"}`}
			if tt.want != "" {
				want = append(want, tt.want)
			}
			if code != 1 || !strings.Contains(errOut.String(), "read standard input: input/output error") || len(lines) != len(want) {
				t.Fatalf("exit %d, stderr %q, %d lines; want 1, the read error, %d lines", code, errOut.String(), len(lines), len(want))
			}
			for i := range want {
				if !strings.HasPrefix(lines[i], want[i]) {
					t.Errorf("line %d = %s, want it to start with %s", i+1, lines[i], want[i])
				}
			}
		})
	}
}

func TestRunEnrichFlagsAnywhere(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.log")
	if err := os.WriteFile(a, []byte(ftdLine+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dashed := filepath.Join(dir, "--params")
	if err := os.WriteFile(dashed, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"option after the file", []string{a, "--field-product", "vendor"}, []string{`{"log":"` + ftdLine + `",` + strings.Replace(ftdAdded, `"product"`, `"vendor"`, 1) + `}`}},
		{"options around files", []string{"--nest-under", "c", a, "-", "--field-action", "todo"}, []string{
			`{"log":"` + ftdLine + `","c":{` + strings.Replace(ftdAdded, `"action"`, `"todo"`, 1) + `}}`,
			`{"log":"stdin"}`,
		}},
		{"after -- a name is a file", []string{"--", dashed}, []string{`{"log":"x"}`}},
		{"after -- a relative name like an option is a file", []string{"--", "--params", "--params"}, []string{`{"log":"x"}`, `{"log":"x"}`}},
	}
	t.Chdir(dir)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, lines, errOut := runLines(t, "stdin\n", tt.args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if strings.Join(lines, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("output\n got  %q\n want %q", lines, tt.want)
			}
		})
	}
}

// TestRunEnrichStreams feeds lines through a pipe that stays open and
// waits for each output line before writing the next input line.
func TestRunEnrichStreams(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan int)
	go func() {
		code := run(nil, inR, outW, io.Discard)
		outW.Close()
		done <- code
	}()
	out := bufio.NewReader(outR)
	for i := range 3 {
		if _, err := fmt.Fprintf(inW, "%s %d\n", ftdLine, i); err != nil {
			t.Fatal(err)
		}
		got := make(chan string, 1)
		go func() {
			l, _ := out.ReadString('\n')
			got <- l
		}()
		select {
		case l := <-got:
			if want := fmt.Sprintf(`{"log":"%s %d",%s}`, ftdLine, i, ftdAdded); dateRe.ReplaceAllString(strings.TrimSuffix(l, "\n"), "{") != want {
				t.Fatalf("line %d = %q, want %s", i, l, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("line %d: no output while the input stays open", i)
		}
	}
	inW.Close()
	if code := <-done; code != 0 {
		t.Errorf("exit %d", code)
	}
}

// writeCounter counts the writes it is given.
type writeCounter struct {
	bytes.Buffer
	writes int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

// TestRunEnrichFlushesOnlyBeforeItWaits: the lines read together, a blank one among them, are
// written together; the output is flushed only when the next line is still to be read.
func TestRunEnrichFlushesOnlyBeforeItWaits(t *testing.T) {
	var out writeCounter
	var errOut bytes.Buffer
	if code := run(nil, strings.NewReader("a\n\nb\n"), &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	if n := strings.Count(out.String(), "\n"); out.writes != 1 || n != 3 {
		t.Errorf("%d lines in %d writes, want 3 in 1", n, out.writes)
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestRunEnrichStopsWhenOutputFails(t *testing.T) {
	var errOut bytes.Buffer
	code := run(nil, strings.NewReader("x\ny\n"), failWriter{}, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "write output: broken pipe") {
		t.Errorf("exit %d, stderr %q; want 1 and the write error", code, errOut.String())
	}
}

// failOnceWriter fails its first write only.
type failOnceWriter struct{ failed bool }

func (w *failOnceWriter) Write(p []byte) (int, error) {
	if !w.failed {
		w.failed = true
		return 0, errors.New("broken pipe")
	}
	return len(p), nil
}

// TestOutputFailureOutlastsLaterWrites: help ignores its first write's error, and a later write
// that succeeds must not hide it.
func TestOutputFailureOutlastsLaterWrites(t *testing.T) {
	var errOut bytes.Buffer
	if code := run([]string{"--help"}, strings.NewReader(""), &failOnceWriter{}, &errOut); code != 1 || !strings.Contains(errOut.String(), "broken pipe") {
		t.Errorf("exit %d, stderr %q; want 1 and the write error", code, errOut.String())
	}
}

// TestEveryCommandFailsWhenOutputFails: whatever a command writes to standard output, a write that
// fails (a full disk, a closed pipe) is reported and gives exit status 1, not 0 with the output lost.
func TestEveryCommandFailsWhenOutputFails(t *testing.T) {
	for _, tt := range []struct {
		name  string
		args  []string
		stdin string
	}{
		{"enrich", nil, "x\n"},
		{"enrich, the last line without a newline", nil, "x"},
		{"report", []string{"report"}, "%ASA-4-999001: x\n"},
		{"report after an input error", []string{"report", "no-such-file.log"}, ""},
		{"catalog json", []string{"catalog"}, ""},
		{"catalog csv", []string{"catalog", "--format", "csv"}, ""},
		{"explain", []string{"explain", "722051"}, ""},
		{"version", []string{"version"}, ""},
		{"--version", []string{"--version"}, ""},
		{"help", []string{"--help"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var errOut bytes.Buffer
			code := run(tt.args, strings.NewReader(tt.stdin), failWriter{}, &errOut)
			if code != 1 || strings.Count(errOut.String(), "broken pipe") != 1 {
				t.Errorf("%v: exit %d, stderr %q; want 1 and the write error once", tt.args, code, errOut.String())
			}
		})
	}
}

// TestCacheOfAdditionsBounded: lines of ever new message IDs do not grow the cache past its bound.
func TestCacheOfAdditionsBounded(t *testing.T) {
	var in strings.Builder
	for i := range maxCachedAdditions + 10 {
		fmt.Fprintf(&in, "%%ASA-4-%06d: x\n", 100000+i)
	}
	l := newLineEnricher(newTestEngine(t), enrich.DefaultOptions(), io.Discard)
	if err := l.file("-", strings.NewReader(in.String())); err != nil {
		t.Fatal(err)
	}
	if got := len(l.added); got != maxCachedAdditions {
		t.Errorf("the cache holds %d additions, want %d", got, maxCachedAdditions)
	}
}

// TestLineOfACachedMessageAllocatesNothing: once a message's additions are cached, another line of
// it, raw or JSON, is enriched and written without an allocation.
func TestLineOfACachedMessageAllocatesNothing(t *testing.T) {
	l := newLineEnricher(newTestEngine(t), enrich.DefaultOptions(), io.Discard)
	for _, s := range []string{ftdLine, `{"log":"` + ftdLine + `","n":1}`} {
		line := []byte(s)
		if err := l.line(line); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { _ = l.line(line) }); n != 0 {
			t.Errorf("%s: %.0f allocations a line, want 0", s, n)
		}
	}
}

// TestRecordJSONCannotHoldIsWrittenAsItsLine: a record that JSON cannot hold (msgpack nested
// deeper than the writer follows, which no JSON line makes) is written as its line with the error.
func TestRecordJSONCannotHoldIsWrittenAsItsLine(t *testing.T) {
	var out bytes.Buffer
	l := newLineEnricher(newTestEngine(t), enrich.DefaultOptions(), &out)
	rec := msgpack.AppendMapHeader(msgpack.AppendEntryHead(nil, time.Unix(1, 0)), 2)
	rec = msgpack.AppendStr(msgpack.AppendStr(rec, "log"), ftdLine)
	rec = append(append(msgpack.AppendStr(rec, "d"), bytes.Repeat([]byte{0x91}, 70)...), 0x01)
	if err := l.write(rec, []byte("the line")); err != nil {
		t.Fatal(err)
	}
	if err := l.flush(); err != nil {
		t.Fatal(err)
	}
	want := `{"log":"the line","enrich_error":"record json: msgpack value nested too deeply for json"}` + "\n"
	if got := dateRe.ReplaceAllString(out.String(), "{"); got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

// TestRecordWhoseHeaderGrows: a record of 15 pairs in a fixmap, which its additions grow into a
// map16 with a longer header, is written whole with them.
func TestRecordWhoseHeaderGrows(t *testing.T) {
	var out bytes.Buffer
	l := newLineEnricher(newTestEngine(t), enrich.DefaultOptions(), &out)
	rec := msgpack.AppendMapHeader(msgpack.AppendEntryHead(nil, time.Unix(1, 0)), 15)
	var want strings.Builder
	for i := range 14 {
		rec = msgpack.AppendStr(msgpack.AppendStr(rec, fmt.Sprint("k", i)), "v")
		fmt.Fprintf(&want, `"k%d":"v",`, i)
	}
	rec = msgpack.AppendStr(msgpack.AppendStr(rec, "log"), ftdLine)
	for range 2 { // the second from the cache
		if err := l.write(rec, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.flush(); err != nil {
		t.Fatal(err)
	}
	line := "{" + want.String() + `"log":"` + ftdLine + `",` + ftdAdded + "}"
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	for i := range got {
		got[i] = dateRe.ReplaceAllString(got[i], "{")
	}
	if len(got) != 2 || got[0] != line || got[1] != line {
		t.Errorf("output\n got  %q\n want %q twice", got, line)
	}
}

// TestAdditionsJSONCannotHoldAreNotCached: added pairs that JSON cannot hold fail each time they
// come, and take no place in the cache.
func TestAdditionsJSONCannotHoldAreNotCached(t *testing.T) {
	l := newLineEnricher(newTestEngine(t), enrich.DefaultOptions(), io.Discard)
	head := slices.Clip(msgpack.AppendEntryHead(nil, time.Unix(1, 0)))
	rec := msgpack.AppendStr(msgpack.AppendStr(msgpack.AppendMapHeader(head, 1), "log"), "x")
	out := msgpack.AppendStr(msgpack.AppendStr(msgpack.AppendMapHeader(head, 2), "log"), "x")
	out = append(append(msgpack.AppendStr(out, "k"), bytes.Repeat([]byte{0x91}, 70)...), 0x01)
	for i := range 2 {
		if _, err := l.appendJSON(nil, rec, out); err == nil {
			t.Errorf("appendJSON %d: no error, want one", i+1)
		}
	}
	if len(l.added) != 0 {
		t.Errorf("the cache holds %d additions, want none", len(l.added))
	}
}

// TestNoCacheOfAdditionsThatVary: with options whose added pairs change with every line (params),
// change the record's own pairs (overwrite) or may be named like the time, no additions are cached.
func TestNoCacheOfAdditionsThatVary(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  func(*enrich.Options)
	}{
		{"params", func(o *enrich.Options) { o.Params = true }},
		{"overwrite", func(o *enrich.Options) { o.Overwrite = true }},
		{"a field named date", func(o *enrich.Options) { o.Fields.Severity = msgpack.JSONDateKey }},
		{"nested under date", func(o *enrich.Options) { o.NestUnder = msgpack.JSONDateKey }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opts := enrich.DefaultOptions()
			tt.set(&opts)
			if l := newLineEnricher(newTestEngine(t), opts, io.Discard); l.added != nil {
				t.Errorf("additions are cached")
			}
		})
	}
}

// TestIsFile: only standard input redirected from the regular file itself is that file.
func TestIsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.log")
	if err := os.WriteFile(path, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	tests := []struct {
		name string
		in   io.Reader
		path string
		want bool
	}{
		{"the file", f, path, true},
		{"another file", f, os.Args[0], false},
		{"a path that does not exist", f, path + ".missing", false},
		{"not a file", strings.NewReader("x"), path, false},
		{"a pipe, named by its descriptor", r, fmt.Sprintf("/proc/self/fd/%d", r.Fd()), false},
	}
	for _, tt := range tests {
		if got := isFile(tt.in, tt.path); got != tt.want {
			t.Errorf("%s: isFile = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestRunEnrichFieldNamedDate: an added field named date is the record's date; no second
// date, the time, is written (docs/flb-enrich.md).
func TestRunEnrichFieldNamedDate(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--field-severity", "date"}, `"date":6,`},
		{[]string{"--nest-under", "date"}, `"date":{"message_id":"722051",`},
	} {
		var out, errOut bytes.Buffer
		if code := run(tt.args, strings.NewReader(ftdLine+"\n"), &out, &errOut); code != 0 {
			t.Fatalf("%v: exit %d: %s", tt.args, code, errOut.String())
		}
		if n := strings.Count(out.String(), `"date":`); n != 1 || !strings.Contains(out.String(), tt.want) {
			t.Errorf("%v: output %q has %d date keys, want one, %s", tt.args, out.String(), n, tt.want)
		}
	}
}

// TestCachedAdditionsChangeNothing enriches the realistic mix with and
// without the cache of added pairs and compares the output.
func TestCachedAdditionsChangeNothing(t *testing.T) {
	// Records of 15 pairs beside the usual few.
	var many strings.Builder
	for i := range 14 {
		fmt.Fprintf(&many, `"k%d":%d,`, i, i)
	}
	lines := append(mixLines(t, 3000),
		`{"date":"x","log":"`+ftdLine+`"}`, `{}`, `{"log":"%FTD-4-722051: a"}`, `{"log":"%FTD-4-722051: a"}`,
		`{`+many.String()+`"log":"`+ftdLine+`"}`, `{`+many.String()+`"log":"`+ftdLine+`"}`)
	input := strings.Join(lines, "\n") + "\n"
	for _, opt := range []struct {
		name string
		set  func(*enrich.Options)
	}{
		{"defaults", func(*enrich.Options) {}},
		{"nest under", func(o *enrich.Options) { o.NestUnder = "catalog" }},
		{"renamed fields", func(o *enrich.Options) { o.Fields.Explanation = "setsumei" }},
	} {
		t.Run(opt.name, func(t *testing.T) {
			opts := enrich.DefaultOptions()
			opt.set(&opts)
			cat, err := catalog.Embedded()
			if err != nil {
				t.Fatal(err)
			}
			eng, err := enrich.New(cat, opts)
			if err != nil {
				t.Fatal(err)
			}
			var outs [2]string
			for i, cached := range []bool{true, false} {
				var out bytes.Buffer
				l := newLineEnricher(eng, opts, &out)
				if l.added == nil {
					t.Fatal("the cache is off for these options")
				}
				if !cached {
					l.added = nil
				}
				if err := l.file("-", strings.NewReader(input)); err != nil {
					t.Fatal(err)
				}
				if err := l.flush(); err != nil {
					t.Fatal(err)
				}
				outs[i] = regexp.MustCompile(`(?m)^\{"date":[0-9.]+`).ReplaceAllString(out.String(), "{")
			}
			if outs[0] != outs[1] {
				t.Errorf("output with the cache differs from the output without")
			}
		})
	}
}

// TestRunEnrichRefusesToReadItsOutput: an input that is the regular file standard output writes
// to (flb-enrich logs/*.log >> logs/all.log, run twice) would be read back without end.
func TestRunEnrichRefusesToReadItsOutput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.log")
	if err := os.WriteFile(in, []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		args  []string
		stdin bool
	}{
		{"a file", []string{"-", "{out}"}, false},
		{"standard input", []string{in, "-"}, true},
		{"explain -", []string{"explain", "-"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			outPath := filepath.Join(dir, "out.log")
			if err := os.WriteFile(outPath, []byte("x\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := os.OpenFile(outPath, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			var stdin io.Reader = strings.NewReader("")
			if tt.stdin {
				f, err := os.Open(outPath)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				stdin = f
			}
			args := slices.Clone(tt.args)
			for i := range args {
				args[i] = strings.ReplaceAll(args[i], "{out}", outPath)
			}
			var errOut bytes.Buffer
			done := make(chan int, 1)
			go func() { done <- run(args, stdin, out, &errOut) }()
			var code int
			select {
			case code = <-done:
			case <-time.After(2 * time.Second):
				out.Close() // ends the run with a write error
				<-done
				t.Fatal("still reading its own output after 2s")
			}
			got, _ := os.ReadFile(outPath)
			if code != 2 || !strings.Contains(errOut.String(), "is also the standard output") || string(got) != "x\n" {
				t.Errorf("exit %d, stderr %q, output file %q; want 2, the input named, the file unchanged", code, errOut.String(), got)
			}
		})
	}
}

// TestRunEnrichFlushesBeforeOpeningAnInput: the last line of an input, without a line ending, is
// written before the next input is opened, which may wait (a named pipe without a writer yet).
func TestRunEnrichFlushesBeforeOpeningAnInput(t *testing.T) {
	dir := t.TempDir()
	first, fifo := filepath.Join(dir, "first.log"), filepath.Join(dir, "fifo")
	if err := os.WriteFile(first, []byte("a\nno ending"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	outR, outW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := run([]string{first, fifo}, strings.NewReader(""), outW, io.Discard)
		outW.Close()
		done <- code
	}()
	got := make(chan string, 1)
	go func() {
		b := bufio.NewReader(outR)
		a, _ := b.ReadString('\n')
		l, _ := b.ReadString('\n')
		got <- dateRe.ReplaceAllString(a, "{") + dateRe.ReplaceAllString(l, "{")
		io.Copy(io.Discard, b)
	}()
	select {
	case l := <-got:
		if want := "{\"log\":\"a\"}\n{\"log\":\"no ending\"}\n"; l != want {
			t.Errorf("output %q, want %q", l, want)
		}
	case <-time.After(2 * time.Second):
		t.Error("the last line of the first input is not written while the next one is opened")
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // lets the run open the pipe and end
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if code := <-done; code != 0 {
		t.Errorf("exit %d", code)
	}
}
