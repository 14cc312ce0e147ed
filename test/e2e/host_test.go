// Package e2e drives the built out_enrich.so through test/host/host.c, a C
// program that loads it and calls it exactly as Fluent Bit's Go proxy does,
// so that the shared object is proven without a Fluent Bit binary.
//
// The .so is built once per test binary; set BUILD_SO to the path of one
// already built (make build writes build/out_enrich.so) to skip that.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Built by TestMain, read-only afterwards.
// hostNoCmtPath is the host built without the cmetrics functions, like a
// Fluent Bit that does not export them; hostV1Path passes Fluent Bit 1.x's api.
var soPath, hostPath, hostNoCmtPath, hostV1Path string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "enrich-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: create build directory:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	soPath = os.Getenv("BUILD_SO")
	if soPath == "" {
		soPath = filepath.Join(dir, "out_enrich.so")
		// As shipped: the symbol version test checks what the script leaves.
		cmd := exec.Command("./scripts/build-so.sh", runtime.GOARCH, soPath)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: build the plugin: %v\n%s", err, out)
			return 1
		}
	}
	hostPath = filepath.Join(dir, "host")
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	hostNoCmtPath, hostV1Path = filepath.Join(dir, "host-nocmt"), filepath.Join(dir, "host-v1")
	for bin, flags := range map[string][]string{hostPath: {"-rdynamic"}, hostNoCmtPath: {"-DHOST_NO_CMT"},
		hostV1Path: {"-rdynamic", "-DHOST_API_V1"}} {
		args := append([]string{"-O1", "-Wall", "-Wextra", "-Werror", "-o", bin}, flags...)
		cmd := exec.Command(cc, append(args, filepath.Join(root, "test", "host", "host.c"), "-ldl", "-lpthread")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: build the C host with %s: %v\n%s", cc, err, out)
			return 1
		}
	}
	return m.Run()
}

func moduleRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the test source")
	}
	return filepath.Abs(filepath.Join(filepath.Dir(file), "..", ".."))
}

// hostRun is what one run of the host reported.
type hostRun struct {
	register string
	inits    map[string]int
	flushes  []flushResult
	single   map[string]int // flushbadctx and flushfault return codes
	exitctx  map[string]exitResult
	logs     []logLine
	metrics  map[string]float64 // "INSTANCE FQNAME{LABELS}" -> value, the last metrics command's
	fails    []string
	other    []string // lines the host did not write, such as a Go crash
	stdout   []byte   // what the plugin wrote to stdout (the stdout sink)
	status   error
}

type flushResult struct {
	instance, tag                        string
	calls, ok, retry, error, other, msec int
}

type exitResult struct{ rc, msec int }

type logLine struct{ level, msg string }

var (
	reInit    = regexp.MustCompile(`^init (\S+) rc=(-?\d+)$`)
	reFlush   = regexp.MustCompile(`^flush (\S+) (\S+) calls=(\d+) ok=(\d+) retry=(\d+) error=(\d+) other=(\d+) ms=(\d+)$`)
	reSingle  = regexp.MustCompile(`^(flushbadctx|flushfault) \S+ rc=(-?\d+)$`)
	reExitCtx = regexp.MustCompile(`^exitctx (\S+) rc=(-?\d+) ms=(\d+)$`)
	reLog     = regexp.MustCompile(`^log (\S+) (.*)$`)
	reMetric  = regexp.MustCompile(`^metric (\S+) (?:counter|gauge) (\S+}) (\S+)$`)
)

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// runHost runs script (one command a line) through the host. onLine, when
// set, sees every result line as it is written, so a test can change the
// receiver between two commands.
func runHost(t *testing.T, script string, onLine func(string)) *hostRun {
	t.Helper()
	return runHostBin(t, hostPath, script, onLine)
}

// runHostBin is runHost with another build of the host.
func runHostBin(t *testing.T, bin, script string, onLine func(string)) *hostRun {
	t.Helper()
	return runHostTo(t, bin, script, onLine, nil)
}

// runHostTo is runHostBin with the host's stdout going to out instead of hostRun.stdout, when set.
func runHostTo(t *testing.T, bin, script string, onLine func(string), out *os.File) *hostRun {
	t.Helper()
	path := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatalf("write script: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, soPath, path)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if out != nil {
		cmd.Stdout = out
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatalf("host stderr: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start host: %v", err)
	}
	r := &hostRun{inits: map[string]int{}, single: map[string]int{}, exitctx: map[string]exitResult{}, metrics: map[string]float64{}}
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if onLine != nil {
			onLine(line)
		}
		r.parse(line)
	}
	r.status = cmd.Wait()
	r.stdout = stdout.Bytes()
	if testing.Verbose() || t.Failed() {
		for _, l := range r.other {
			t.Logf("host: %s", l)
		}
	}
	return r
}

func (r *hostRun) parse(line string) {
	switch {
	case strings.HasPrefix(line, "register "):
		r.register = line
	case strings.HasPrefix(line, "fail "):
		r.fails = append(r.fails, line)
	default:
		if m := reInit.FindStringSubmatch(line); m != nil {
			r.inits[m[1]] = atoi(m[2])
		} else if m := reFlush.FindStringSubmatch(line); m != nil {
			r.flushes = append(r.flushes, flushResult{m[1], m[2], atoi(m[3]), atoi(m[4]), atoi(m[5]), atoi(m[6]), atoi(m[7]), atoi(m[8])})
		} else if m := reSingle.FindStringSubmatch(line); m != nil {
			r.single[m[1]] = atoi(m[2])
		} else if m := reExitCtx.FindStringSubmatch(line); m != nil {
			r.exitctx[m[1]] = exitResult{atoi(m[2]), atoi(m[3])}
		} else if m := reLog.FindStringSubmatch(line); m != nil {
			r.logs = append(r.logs, logLine{m[1], m[2]})
		} else if m := reMetric.FindStringSubmatch(line); m != nil {
			v, _ := strconv.ParseFloat(m[3], 64)
			r.metrics[m[1]+" "+m[2]] = v
		} else {
			r.other = append(r.other, line)
		}
	}
}

// ok fails the test unless the host ran the whole script without errors.
func (r *hostRun) ok(t *testing.T) {
	t.Helper()
	if r.status != nil || len(r.fails) > 0 {
		t.Fatalf("host failed: %v %v\nother output:\n%s", r.status, r.fails, strings.Join(r.other, "\n"))
	}
}

func (r *hostRun) logsWith(level, substr string) []string {
	var out []string
	for _, l := range r.logs {
		if (level == "" || l.level == level) && strings.Contains(l.msg, substr) {
			out = append(out, l.msg)
		}
	}
	return out
}

// retryLines checks that every chunk not delivered was logged, a warning unless the reconnect
// backoff refused it without an attempt (a debug line), and returns how many were.
func (r *hostRun) retryLines(t *testing.T) int {
	t.Helper()
	delayed := r.logsWith("debug", "handed back to Fluent Bit to retry (if its Retry_Limit allows)")
	for _, l := range delayed {
		if !strings.Contains(l, "reconnect delayed") {
			t.Errorf("debug line %q, want a warning: only a retry the backoff refused is not one", l)
		}
	}
	return len(r.logsWith("warn", "handed back to Fluent Bit to retry (if its Retry_Limit allows)")) + len(delayed)
}

// flushOf returns the result of the flushes of instance with tag, summed.
func (r *hostRun) flushOf(instance, tag string) flushResult {
	var sum flushResult
	sum.instance, sum.tag = instance, tag
	for _, f := range r.flushes {
		if f.instance == instance && f.tag == tag {
			sum.calls += f.calls
			sum.ok += f.ok
			sum.retry += f.retry
			sum.error += f.error
			sum.other += f.other
			sum.msec += f.msec
		}
	}
	return sum
}

// Chunks are built here rather than read from files so that each test says
// what it sends.

func appendStr(b []byte, s string) []byte {
	switch n := len(s); {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n < 1<<8:
		b = append(b, 0xd9, byte(n))
	case n < 1<<16:
		b = binary.BigEndian.AppendUint16(append(b, 0xda), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
	}
	return append(b, s...)
}

// eventHeader appends [EventTime(sec, 0), {}] with the 2.1+ metadata map.
func eventHeader(b []byte, sec uint32) []byte {
	b = append(b, 0x92, 0xd7, 0x00)
	b = binary.BigEndian.AppendUint32(b, sec)
	b = binary.BigEndian.AppendUint32(b, 0)
	return append(b, 0x80)
}

// entry appends [[time, {}], body] with body already encoded.
func entry(b []byte, body []byte) []byte {
	b = eventHeader(append(b, 0x92), 1718000000)
	return append(b, body...)
}

// logBody encodes {"log": msg}.
func logBody(msg string) []byte {
	return appendStr([]byte{0x81, 0xa3, 'l', 'o', 'g'}, msg)
}

func chunk(msgs ...string) []byte {
	var b []byte
	for _, m := range msgs {
		b = entry(b, logBody(m))
	}
	return b
}

func writeChunk(t *testing.T, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), fmt.Sprintf("chunk-%d.bin", chunkSeq.next()))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("write chunk: %v", err)
	}
	return path
}

type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) next() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n
}

var chunkSeq counter

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// Messages with a catalogued ID, an ID the catalog does not know, and none.
const (
	knownLine   = "<166>Jun 22 2022 13:29:11 fw1 : %FTD-6-722051: Group <VPN> User <alice> IP <192.0.2.7> IPv4 Address <10.1.1.5> IPv6 address <::> assigned to session"
	unknownLine = "%ASA-6-999999: something the catalog does not know"
	noIDLine    = "last message repeated 66 times"
)
