// Package fluentbit holds the integration tests that run the shipped
// configuration (fluent-bit.conf, fluent-bit.yaml) under a real Fluent Bit
// binary with the built out_enrich.so: lines go in through the tail and
// syslog inputs, are enriched by the plugin, come back through in_forward and
// leave through the es output into an Elasticsearch stand-in.
//
// The tests are skipped unless a fluent-bit binary is on PATH or
// FLUENT_BIT_BIN names one. BUILD_SO names a prebuilt plugin; otherwise the
// tests build ./plugin into a temporary directory.
package fluentbit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var keep = flag.Bool("keep", false, "keep the temporary directories and always print Fluent Bit's output")

// stopTimeout bounds how long a stopped Fluent Bit may take to exit before it
// is killed; the shipped configuration's Grace is 15 s.
const stopTimeout = 30 * time.Second

// repoRoot returns the module root: two directories up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatalf("resolve repository root: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root %s has no go.mod: %v", root, err)
	}
	return root
}

// fluentBitBinary returns the Fluent Bit binary to test against, or skips the
// test when there is none.
func fluentBitBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("FLUENT_BIT_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("FLUENT_BIT_BIN=%s: %v", p, err)
		}
		return p
	}
	p, err := exec.LookPath("fluent-bit")
	if err != nil {
		t.Skip("no fluent-bit binary: put fluent-bit on PATH or set FLUENT_BIT_BIN=/path/to/fluent-bit " +
			"to run the shipped configuration under real Fluent Bit")
	}
	return p
}

var (
	soOnce sync.Once
	soPath string
	soDir  string
	soErr  error
)

// pluginSO returns the plugin to load: BUILD_SO when set, otherwise ./plugin
// built once per test binary into a temporary directory (so a concurrent
// `make build` never sees a half-written build/out_enrich.so).
func pluginSO(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("BUILD_SO"); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatalf("BUILD_SO=%s: %v", p, err)
		}
		if _, err := os.Stat(abs); err != nil {
			t.Fatalf("BUILD_SO=%s: %v", p, err)
		}
		return abs
	}
	root := repoRoot(t)
	soOnce.Do(func() {
		soDir, soErr = os.MkdirTemp("", "enrich-so-")
		if soErr != nil {
			return
		}
		out := filepath.Join(soDir, "out_enrich.so")
		cmd := exec.Command("./scripts/build-so.sh", runtime.GOARCH, out)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			soErr = fmt.Errorf("build ./plugin: %w\n%s", err, b)
			return
		}
		soPath = out
	})
	if soErr != nil {
		t.Fatalf("plugin: %v", soErr)
	}
	return soPath
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if soDir != "" {
		os.RemoveAll(soDir)
	}
	os.Exit(code)
}

// tempDir returns a short-named temporary directory (unix socket paths are
// limited to about 100 bytes), removed at the end unless -keep is set.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "enrich-fb-")
	if err != nil {
		t.Fatalf("create temporary directory: %v", err)
	}
	t.Cleanup(func() {
		if *keep {
			t.Logf("kept %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	return dir
}

var (
	reVersion = regexp.MustCompile(`Fluent Bit v(\d+)\.(\d+)\.(\d+)`)
	reEnvRef  = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`)
)

// before reports whether bin, as its --version prints, is older than Fluent Bit version,
// given as major, minor and, optionally, patch.
func before(t *testing.T, bin string, version ...int) bool {
	t.Helper()
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --version: %v\n%s", bin, err, out)
	}
	m := reVersion.FindSubmatch(out)
	if m == nil {
		t.Fatalf("%s --version printed no version: %s", bin, out)
	}
	for i, want := range version {
		if got, _ := strconv.Atoi(string(m[i+1])); got != want {
			return got < want
		}
	}
	return false
}

// configFor returns the configuration file to run with bin. Fluent Bit
// before 4.2 does not know the ${NAME:-default} form the shipped files use;
// for those versions the references are expanded here, from env or their
// defaults, into a copy of the file in a temporary directory (the tests set
// every path through env, so no relative path is left to resolve).
func configFor(t *testing.T, bin, config string, env []string) string {
	t.Helper()
	if strings.HasSuffix(config, ".yaml") && before(t, bin, 3, 2) {
		t.Skip("fluent-bit.yaml needs Fluent Bit 3.2 or newer (its top-level parsers: section)")
	}
	if !before(t, bin, 4, 2) {
		return config
	}
	vars := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	body, err := os.ReadFile(config)
	if err != nil {
		t.Fatalf("read %s: %v", config, err)
	}
	expanded := reEnvRef.ReplaceAllFunc(body, func(ref []byte) []byte {
		sm := reEnvRef.FindSubmatch(ref)
		if v, ok := vars[string(sm[1])]; ok {
			return []byte(v)
		}
		if v, ok := os.LookupEnv(string(sm[1])); ok {
			return []byte(v)
		}
		return sm[2]
	})
	f, err := os.Create(filepath.Join(tempDir(t), filepath.Base(config)))
	if err != nil {
		t.Fatalf("write the expanded configuration: %v", err)
	}
	if _, err := f.Write(expanded); err != nil {
		t.Fatalf("write %s: %v", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("write %s: %v", f.Name(), err)
	}
	return f.Name()
}

// writePluginsFile writes a plugins file that loads so and returns its path.
func writePluginsFile(t *testing.T, dir, so string) string {
	t.Helper()
	p := filepath.Join(dir, "plugins.conf")
	body := "[PLUGINS]\n    Path " + so + "\n"
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatalf("write plugins file: %v", err)
	}
	return p
}

// freePort returns a port on 127.0.0.1 that was free a moment ago for the
// given network ("tcp" or "udp").
func freePort(t *testing.T, network string) int {
	t.Helper()
	switch network {
	case "tcp":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("find a free tcp port: %v", err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	case "udp":
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("find a free udp port: %v", err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	t.Fatalf("freePort: unknown network %q", network)
	return 0
}

// syncBuffer collects a process's output from two pipes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// process is a running Fluent Bit.
type process struct {
	t       *testing.T
	cmd     *exec.Cmd
	out     *syncBuffer
	done    chan struct{}
	waitErr error
}

// startFluentBit starts bin with args and extra environment and stops it
// when the test ends.
func startFluentBit(t *testing.T, bin string, env []string, args ...string) *process {
	t.Helper()
	p := &process{t: t, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() || *keep {
			t.Logf("fluent-bit output:\n%s", p.out.String())
		}
	})
	return p
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits for the exit, killing the process if it
// takes longer than stopTimeout.
func (p *process) stop() {
	if p.exited() {
		return
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.t.Logf("signal fluent-bit: %v", err)
	}
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		p.t.Errorf("fluent-bit did not stop within %s of SIGTERM; killing it", stopTimeout)
		p.cmd.Process.Kill()
		<-p.done
	}
}

// wait waits for the process to exit by itself, up to timeout, and returns
// its exit code.
func (p *process) wait(timeout time.Duration) (int, error) {
	select {
	case <-p.done:
	case <-time.After(timeout):
		return 0, fmt.Errorf("fluent-bit still running after %s", timeout)
	}
	var ee *exec.ExitError
	if errors.As(p.waitErr, &ee) {
		return ee.ExitCode(), nil
	}
	if p.waitErr != nil {
		return 0, p.waitErr
	}
	return 0, nil
}

// waitFor polls cond every 100 ms until it holds, the process exits, or
// timeout passes.
func waitFor(t *testing.T, p *process, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return
		}
		if p != nil && p.exited() {
			t.Fatalf("fluent-bit exited while waiting for %s", what)
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// fakeES stands in for Elasticsearch: it accepts the es output's _bulk
// requests and keeps every document.
type fakeES struct {
	srv *httptest.Server

	mu       sync.Mutex
	docs     []map[string]any
	problems []string
}

func newFakeES(t *testing.T) *fakeES {
	t.Helper()
	es := &fakeES{}
	es.srv = httptest.NewServer(http.HandlerFunc(es.serve))
	t.Cleanup(es.srv.Close)
	return es
}

// hostPort returns the server's host and port.
func (es *fakeES) hostPort(t *testing.T) (string, string) {
	t.Helper()
	host, port, err := net.SplitHostPort(es.srv.Listener.Addr().String())
	if err != nil {
		t.Fatalf("fake elasticsearch address: %v", err)
	}
	return host, port
}

func (es *fakeES) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/_bulk") {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"version":{"number":"8.15.0"}}`)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if errors.Is(err, io.ErrUnexpectedEOF) {
		// The sender was killed mid-request: nothing was stored, and
		// the records are still its to send again.
		return
	}
	if err != nil {
		es.problem(fmt.Sprintf("read bulk body: %v", err))
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var items []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	var action map[string]json.RawMessage
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if action == nil {
			if err := json.Unmarshal(line, &action); err != nil || len(action) != 1 {
				es.problem(fmt.Sprintf("bulk action line %q: %v", line, err))
				http.Error(w, "bad action line", http.StatusBadRequest)
				return
			}
			continue
		}
		var doc map[string]any
		if err := json.Unmarshal(line, &doc); err != nil {
			es.problem(fmt.Sprintf("bulk document %q: %v", line, err))
			http.Error(w, "bad document", http.StatusBadRequest)
			return
		}
		for op := range action {
			items = append(items, fmt.Sprintf(`{%q:{"status":201,"result":"created"}}`, op))
		}
		es.mu.Lock()
		es.docs = append(es.docs, doc)
		es.mu.Unlock()
		action = nil
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"took":1,"errors":false,"items":[%s]}`, strings.Join(items, ","))
}

func (es *fakeES) problem(s string) {
	es.mu.Lock()
	defer es.mu.Unlock()
	es.problems = append(es.problems, s)
}

// snapshot returns the documents received so far and any malformed request.
func (es *fakeES) snapshot() ([]map[string]any, []string) {
	es.mu.Lock()
	defer es.mu.Unlock()
	return append([]map[string]any(nil), es.docs...), append([]string(nil), es.problems...)
}

func (es *fakeES) count() int {
	es.mu.Lock()
	defer es.mu.Unlock()
	return len(es.docs)
}
