package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/forward/forwardtest"
)

// Fluent Bit's return codes.
const (
	flbError = 0
	flbOK    = 1
	flbRetry = 2
)

func TestRegister(t *testing.T) {
	r := runHost(t, "", nil)
	r.ok(t)
	if want := "register rc=0 type=2 proxy=11 flags=0 name=enrich event_type=0 config_map=nil"; r.register != want {
		t.Errorf("register = %q, want %q", r.register, want)
	}
}

type jsonLine struct {
	Tag    string         `json:"tag"`
	Record map[string]any `json:"record"`
}

func parseJSONLines(t *testing.T, b []byte) []jsonLine {
	t.Helper()
	var out []jsonLine
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l == "" {
			continue
		}
		var v jsonLine
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("stdout line %q: %v", l, err)
		}
		out = append(out, v)
	}
	return out
}

func TestStdoutSink(t *testing.T) {
	data := writeChunk(t, chunk(knownLine, unknownLine, noIDLine))
	r := runHost(t, fmt.Sprintf(`
instance A sink=stdout match=*
flush A syslog.fw %s
exitctx A
`, data), nil)
	r.ok(t)
	if got := r.inits["A"]; got != flbOK {
		t.Errorf("init = %d, want FLB_OK", got)
	}
	f := r.flushOf("A", "syslog.fw")
	if want := (flushResult{"A", "syslog.fw", 1, 1, 0, 0, 0, f.msec}); f != want {
		t.Errorf("flush = %+v, want %+v", f, want)
	}
	if got := len(r.logsWith("info", "effective configuration: sink=stdout")); got != 1 {
		t.Errorf("%d lines log the effective configuration, want 1", got)
	}
	if got := r.exitctx["A"]; got.rc != flbOK {
		t.Errorf("exitctx = %+v, want FLB_OK", got)
	}

	lines := parseJSONLines(t, r.stdout)
	if len(lines) != 3 {
		t.Fatalf("got %d stdout lines, want 3", len(lines))
	}
	for i, l := range lines {
		if l.Tag != "enriched.syslog.fw" {
			t.Errorf("line %d tag = %q, want enriched.syslog.fw", i, l.Tag)
		}
	}
	known := lines[0].Record
	for k, want := range map[string]any{"log": knownLine, "message_id": "722051", "product": "cisco_ftd_asa", "severity": float64(6), "severity_name": "informational"} {
		if got := known[k]; got != want {
			t.Errorf("known record %s = %v, want %v", k, got, want)
		}
	}
	for _, k := range []string{"explanation", "action"} {
		if known[k] == nil || known[k] == "" {
			t.Errorf("known record has no %s: %v", k, known)
		}
	}
	if got := lines[2].Record["log"]; got != noIDLine {
		t.Errorf("record 2 log = %v, want %v", got, noIDLine)
	}
	if v, ok := lines[2].Record["message_id"]; ok {
		t.Errorf("record 2 without an ID has message_id %v", v)
	}
}

// TestStdoutSinkReaderGone flushes to a stdout whose reader has gone (fluent-bit | head): the
// write fails and the flush is retried. Fluent Bit ignores SIGPIPE and so must the plugin, whose
// process is Fluent Bit's.
func TestStdoutSinkReaderGone(t *testing.T) {
	data := writeChunk(t, chunk(knownLine))
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	rd.Close()
	defer wr.Close()
	r := runHostTo(t, hostPath, fmt.Sprintf("instance A sink=stdout\nflush A app %s\nexitctx A\n", data), nil, wr)
	r.ok(t)
	if f := r.flushOf("A", "app"); f.calls != 1 || f.retry != 1 {
		t.Errorf("flush = %+v, want one FLB_RETRY", f)
	}
}

func forwardInstance(name string, srv *forwardtest.Server, extra string) string {
	return fmt.Sprintf("instance %s forward_address=%s %s\n", name, srv.Addr(), extra)
}

func TestForwardSink(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix"})
	msgs := append(repeat(knownLine, 30), unknownLine, noIDLine)
	data := writeChunk(t, chunk(msgs...))
	r := runHost(t, forwardInstance("A", srv, "Max_Payload_Size=4k log_level=debug")+fmt.Sprintf(`
flush A app.log %s
exitctx A
`, data), nil)
	r.ok(t)
	if got := r.inits["A"]; got != flbOK {
		t.Fatalf("init = %d, want FLB_OK", got)
	}
	if f := r.flushOf("A", "app.log"); f.ok != 1 {
		t.Errorf("flush = %+v, want FLB_OK once the payloads are acknowledged", f)
	}

	got := srv.Messages()
	if len(got) <= 1 {
		t.Fatalf("got %d messages: a chunk larger than Max_Payload_Size is split", len(got))
	}
	ids := map[string]bool{}
	for i, m := range got {
		if m.Tag != "enriched.app.log" || m.Chunk == "" || ids[m.Chunk] || !m.Acked {
			t.Errorf("message %d: tag %q, chunk %q (reused %v), acked %v; want enriched.app.log with a fresh chunk id, acked", i, m.Tag, m.Chunk, ids[m.Chunk], m.Acked)
		}
		ids[m.Chunk] = true
		if len(m.Records) > 1 && len(m.Entries) > 4096 {
			t.Errorf("message %d holds %d records in %d bytes, more than Max_Payload_Size 4k", i, len(m.Records), len(m.Entries))
		}
	}
	recs := srv.Records()
	if len(recs) != len(msgs) {
		t.Fatalf("got %d records, want %d", len(recs), len(msgs))
	}
	for i, rec := range recs {
		if got := rec.Body["log"]; got != msgs[i] {
			t.Errorf("record %d log = %.40q, want %.40q", i, got, msgs[i])
		}
		if got := rec.Body["message_id"]; msgs[i] == knownLine && got != "722051" {
			t.Errorf("record %d message_id = %v, want 722051", i, got)
		}
	}
	if len(r.logsWith("debug", "records=32 enriched=30")) == 0 {
		t.Error("no debug line carries the counters records=32 enriched=30")
	}
}

func TestForwardFailuresRetry(t *testing.T) {
	tests := []struct {
		name string
		opts forwardtest.Options
	}{
		{"receiver down", forwardtest.Options{Stopped: true}},
		{"receiver never acks", forwardtest.Options{Fault: forwardtest.NoAck}},
		{"ack for another chunk", forwardtest.Options{Fault: forwardtest.WrongAck}},
		{"connection dropped", forwardtest.Options{Fault: forwardtest.Drop}},
		{"connection closed mid-request", forwardtest.Options{Fault: forwardtest.DropMidMessage}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Network = "unix"
			srv := forwardtest.NewServer(t, tt.opts)
			msgs := []string{knownLine, unknownLine, noIDLine}
			data := writeChunk(t, chunk(msgs...))
			// The first flush fails; the receiver then recovers, and the
			// chunk is flushed again, as Fluent Bit retries it, until it is
			// delivered (bounded: the client's reconnect backoff may refuse
			// the first retries).
			h := startHost(t, time.Minute, nil)
			h.send(t, forwardInstance("A", srv, "ack_timeout=500ms log_level=debug")+"flush A first "+data)
			for l := h.next(t, 30*time.Second); !strings.HasPrefix(l, "flush A first"); l = h.next(t, 30*time.Second) {
			}
			if tt.opts.Stopped {
				if err := srv.Start(); err != nil {
					t.Fatal(err)
				}
			}
			srv.SetFault(forwardtest.NoFault)
			retries := 0
			for ; retries < 50 && h.run.flushOf("A", "second").ok == 0; retries++ {
				h.send(t, "flush A second "+data)
				for l := h.next(t, 30*time.Second); !strings.HasPrefix(l, "flush A second"); l = h.next(t, 30*time.Second) {
				}
				if h.run.flushOf("A", "second").ok == 0 {
					h.send(t, "sleep 50")
				}
			}
			h.send(t, "exitctx A")
			r := h.finish(t)
			r.ok(t)
			first := r.flushOf("A", "first")
			if first.retry != 1 {
				t.Errorf("first flush = %+v, want FLB_RETRY while the receiver fails", first)
			}
			if first.msec >= 3000 {
				t.Errorf("first flush took %d ms, want about the ack timeout", first.msec)
			}
			second := r.flushOf("A", "second")
			if second.ok != 1 || second.retry != second.calls-1 {
				t.Errorf("second flush = %+v, want FLB_RETRY until delivered, then FLB_OK", second)
			}
			if got, want := r.retryLines(t), 1+second.retry; got != want {
				t.Errorf("%d retries logged, want %d", got, want)
			}
			acked := ackedLogs(srv, "enriched.second")
			for _, m := range msgs {
				if acked[m] != 1 {
					t.Errorf("record %q delivered and acknowledged %d times, want 1", m, acked[m])
				}
			}
		})
	}
}

func TestInstancesAndThreads(t *testing.T) {
	srvA := forwardtest.NewServer(t, forwardtest.Options{Network: "unix"})
	srvB := forwardtest.NewServer(t, forwardtest.Options{Network: "tcp"})
	const threads, repeats, records = 4, 5, 40
	data := writeChunk(t, chunk(repeat(knownLine, records)...))
	r := runHost(t,
		forwardInstance("A", srvA, "forward_tag_prefix=a. max_payload_size=8k")+
			forwardInstance("B", srvB, "forward_tag_prefix=b. field_message_id=msgid")+
			"instance C sink=stdout\n"+
			fmt.Sprintf(`
flush A app %[1]s threads=%[2]d repeat=%[3]d async
flush B app %[1]s threads=%[2]d repeat=%[3]d async
flush C app %[1]s threads=2 repeat=2 async
wait
exitctx A
exitctx B
exitctx C
`, data, threads, repeats), nil)
	r.ok(t)
	for _, name := range []string{"A", "B", "C"} {
		if r.inits[name] != flbOK || r.exitctx[name].rc != flbOK {
			t.Errorf("instance %s: init %d, exitctx %+v; want FLB_OK", name, r.inits[name], r.exitctx[name])
		}
	}
	for name, want := range map[string]int{"A": threads * repeats, "B": threads * repeats, "C": 4} {
		if f := r.flushOf(name, "app"); f.ok != want {
			t.Errorf("instance %s flushes = %+v, want %d FLB_OK", name, f, want)
		}
	}
	for _, c := range []struct {
		srv        *forwardtest.Server
		tag, field string
	}{{srvA, "a.app", "message_id"}, {srvB, "b.app", "msgid"}} {
		recs := c.srv.Records()
		if len(recs) != threads*repeats*records {
			t.Fatalf("%s: got %d records, want %d", c.tag, len(recs), threads*repeats*records)
		}
		for i, rec := range recs {
			if rec.Tag != c.tag || rec.Body[c.field] != "722051" {
				t.Fatalf("record %d: tag %q, %s %v; want %s and 722051: each instance keeps its own tag prefix and field names", i, rec.Tag, c.field, rec.Body[c.field], c.tag)
			}
		}
	}
	if got := len(parseJSONLines(t, r.stdout)); got != 4*records {
		t.Errorf("got %d stdout lines, want %d", got, 4*records)
	}
}

func TestInitFailsOnBadConfiguration(t *testing.T) {
	dir := t.TempDir()
	badJSON := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(badJSON, []byte(`[{"product": "cisco_ftd_asa", "id": "12"`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		props string
		want  string
	}{
		{"unknown sink", "sink=elasticsearch", "Sink"},
		{"boolean", "sink=stdout params=maybe", "Params"},
		{"duration", "sink=stdout ack_timeout=forever", "Ack_Timeout"},
		{"size", "sink=stdout max_payload_size=lots", "Max_Payload_Size"},
		{"missing address", "sink=forward", "Forward_Address"},
		{"bad address", "forward_address=localhost:24224", "Forward_Address"},
		{"missing catalog", "sink=stdout catalog_file=/nonexistent/enrich.json", "/nonexistent/enrich.json"},
		{"malformed catalog", "sink=stdout catalog_file=" + badJSON, badJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runHost(t, "instance A "+tt.props+"\n", nil)
			r.ok(t)
			if got := r.inits["A"]; got != flbError {
				t.Errorf("init = %d, want FLB_ERROR", got)
			}
			errs := r.logsWith("error", "")
			if len(errs) != 1 {
				t.Fatalf("error lines %q, want exactly one", errs)
			}
			if !strings.Contains(errs[0], tt.want) || !strings.Contains(errs[0], "cannot start") {
				t.Errorf("error line %q, want it to name %s and say cannot start", errs[0], tt.want)
			}
			if got := r.logsWith("info", "effective configuration"); len(got) != 0 {
				t.Errorf("a failed init logged its configuration: %q", got)
			}
		})
	}
}

// TestInitWithoutContextCloses starts instances whose Init gets no context to store: each is
// refused after its output was built, and closes it, so that a later instance's Init counts no
// goroutine of theirs still running.
func TestInitWithoutContextCloses(t *testing.T) {
	const failed = 4
	var script strings.Builder
	for i := range failed {
		fmt.Fprintf(&script, "instancenoctx F%d sink=stdout\n", i)
	}
	script.WriteString("instance A sink=stdout\nexitctx A\n")
	r := runHost(t, script.String(), nil)
	r.ok(t)
	count := regexp.MustCompile(`^\[output:enrich:(\w+)\] enrich .*; (\d+) goroutines running$`)
	goroutines := map[string]int{}
	for _, l := range r.logsWith("info", "goroutines running") {
		if m := count.FindStringSubmatch(l); m != nil {
			goroutines[m[1]] = atoi(m[2])
		}
	}
	for i := range failed {
		name := fmt.Sprintf("F%d", i)
		if got := r.inits[name]; got != flbError {
			t.Errorf("init %s = %d, want FLB_ERROR", name, got)
		}
		prefix := "[output:enrich:" + name + "] "
		if got := r.logsWith("error", prefix+"cannot start: Fluent Bit passed no instance context"); len(got) != 1 {
			t.Errorf("%s: error lines saying why %q, want 1", name, got)
		}
		if got := r.logsWith("info", prefix+"closed; totals"); len(got) != 1 {
			t.Errorf("%s: closing totals %q, want them logged once: the output Init built is closed", name, got)
		}
	}
	if got := r.inits["A"]; got != flbOK {
		t.Fatalf("init A = %d, want FLB_OK", got)
	}
	// Each instance left open keeps its catalog-check goroutine; one of the last close may still be
	// on its way out when A counts.
	first, last := goroutines["F0"], goroutines["A"]
	if first == 0 || last-first > 1 {
		t.Errorf("goroutines running at the first Init %d and after %d refused ones %d, want at most one more: "+
			"a refused instance leaves nothing running", first, failed, last)
	}
}

// TestLongErrorIsNotCut refuses a user catalog with many bad rows: each
// problem reaches the log on a line of its own, none cut at Fluent Bit's 4 KiB.
func TestLongErrorIsNotCut(t *testing.T) {
	const rows = 80
	csv := "id,severity,explanation,action,product\n"
	for i := range rows {
		csv += fmt.Sprintf("%06d,9,%s,act,cisco_ftd_asa\n", 900000+i, strings.Repeat("x", 40))
	}
	path := filepath.Join(t.TempDir(), "user.csv")
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runHost(t, "instance A sink=stdout catalog_file="+path+"\n", nil)
	r.ok(t) // the host fails a line longer than Fluent Bit keeps
	if got := r.inits["A"]; got != flbError {
		t.Errorf("init = %d, want FLB_ERROR", got)
	}
	for i := range rows {
		if got := r.logsWith("error", fmt.Sprintf(": line %d (id %q)", i+2, fmt.Sprintf("%06d", 900000+i))); len(got) != 1 {
			t.Fatalf("error lines naming row %d: %q, want 1", i+2, got)
		}
	}
}

// TestLongAlias starts an instance whose Alias is longer than a log line:
// its name is cut in the lines' prefix, and every line fits.
func TestLongAlias(t *testing.T) {
	alias := strings.Repeat("é", 2500)
	r := runHost(t, "instance A sink=stdout alias="+alias+"\n", nil)
	r.ok(t) // the host fails a line longer than Fluent Bit keeps
	if got := r.inits["A"]; got != flbOK {
		t.Errorf("init = %d, want FLB_OK", got)
	}
	if got := r.logsWith("info", "[output:enrich:"+alias[:256]+"] effective configuration"); len(got) != 1 {
		t.Errorf("lines under the alias cut to 256 bytes: got %d, want 1", len(got))
	}
}

// TestFluentBit1Refused starts an instance in a host that passes Fluent Bit
// 1.x's api, which has no logger: Init refuses with a line that says why,
// through the flb_log_print the binary exports, and reads nothing past the api.
func TestFluentBit1Refused(t *testing.T) {
	r := runHostBin(t, hostV1Path, "instance A sink=stdout\n", nil)
	r.ok(t)
	if got := r.inits["A"]; got != flbError {
		t.Errorf("init = %d, want FLB_ERROR", got)
	}
	if got := r.logsWith("error", "[output:enrich] cannot start: this Fluent Bit is older than 2.0"); len(got) != 1 {
		t.Errorf("error lines saying why: %q, want 1", got)
	}
}

func TestLogLevel(t *testing.T) {
	data := writeChunk(t, chunk(knownLine))
	tests := []struct {
		level      string
		info, dbug bool
	}{
		{"error", false, false},
		{"info", true, false},
		{"debug", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			r := runHost(t, fmt.Sprintf("instance A sink=stdout log_level=%s\nflush A app %s\nexitctx A\n", tt.level, data), nil)
			r.ok(t)
			if got := len(r.logsWith("info", "effective configuration")) == 1; got != tt.info {
				t.Errorf("info line logged: %v, want %v", got, tt.info)
			}
			if got := len(r.logsWith("debug", "flushed tag")) == 1; got != tt.dbug {
				t.Errorf("debug line logged: %v, want %v", got, tt.dbug)
			}
		})
	}
}

func TestContexts(t *testing.T) {
	data := writeChunk(t, chunk(knownLine))
	r := runHost(t, fmt.Sprintf(`
instance A sink=stdout
flushbadctx app %[1]s
flush A app %[1]s
exitctx A
`, data), nil)
	r.ok(t)
	if got := r.single["flushbadctx"]; got != flbError {
		t.Errorf("flush with an unknown context = %d, want FLB_ERROR", got)
	}
	if got := len(parseJSONLines(t, r.stdout)); got != 1 {
		t.Errorf("got %d stdout lines, want 1: only the flush with the context Init returned is delivered", got)
	}
}

// TestExitWithoutContext: when an Init fails, Fluent Bit 5.1 stops starting and calls
// FLBPluginExitCtx for the instances it created, the started ones with their context and those
// whose Init never ran with NULL, the context an instance whose Init failed also holds. The plugin
// must return from that call without touching anything, and close the started instance as usual.
func TestExitWithoutContext(t *testing.T) {
	r := runHost(t, "instance A sink=stdout\ninstance B sink=bogus\nexitctx A\nexitctx B\n", nil)
	r.ok(t) // the host fails a use of an instance after its exit
	if r.inits["A"] != flbOK || r.inits["B"] == flbOK {
		t.Fatalf("inits %v: want A to start and B to be refused", r.inits)
	}
	if got, ok := r.exitctx["B"]; !ok || got.rc == flbOK {
		t.Errorf("exitctx with a NULL context = %+v (returned %v), want a return, not FLB_OK", got, ok)
	}
	if got := r.logsWith("", "closed; totals"); len(got) != 1 || !strings.HasPrefix(got[0], "[output:enrich:A] ") {
		t.Errorf("closing lines %q, want A's alone", got)
	}
	if got := r.logsWith("", "[output:enrich:B] "); len(got) != 2 {
		t.Errorf("B's lines %q, want its two Init lines only", got)
	}
}

// TestForkedProcessRefused: Fluent Bit's daemon mode (-d, Daemon On) forks after loading the
// plugin and before starting it. The Go runtime does not survive a fork: a call into Go in the
// child waits for ever, and Fluent Bit hangs with no output and no error. Init in the forked
// process must refuse, saying why, and exit must return at once, without entering Go.
func TestForkedProcessRefused(t *testing.T) {
	h := startHost(t, 30*time.Second, nil)
	h.send(t, "fork", "instance A sink=stdout", "exitctx A")
	r := h.finish(t)
	if r.status != nil {
		t.Fatalf("host: %v (a call into the plugin hung in the forked process)\n%s", r.status, strings.Join(r.other, "\n"))
	}
	r.ok(t)
	if got := r.inits["A"]; got == flbOK {
		t.Errorf("init in a forked process = FLB_OK, want a refusal")
	}
	if got := r.logsWith("error", "daemon mode"); len(got) != 1 {
		t.Errorf("error lines naming daemon mode: %q, want one", got)
	}
	if _, ok := r.exitctx["A"]; !ok {
		t.Errorf("exitctx did not return")
	}
}

// TestSignalsReachFluentBit sends SIGHUP (hot reload) and SIGCONT (dump) with an instance running:
// each must reach Fluent Bit's own handler, which the plugin must not take over (a SIGHUP the Go
// runtime keeps never starts the reload), and the instance works on after them.
func TestSignalsReachFluentBit(t *testing.T) {
	data := writeChunk(t, chunk(knownLine))
	r := runHost(t, fmt.Sprintf("instance A sink=stdout\nflush A before %[1]s\nsignal HUP\nsignal CONT\nflush A after %[1]s\nexitctx A\n", data), nil)
	r.ok(t) // the host fails a signal its Fluent Bit handler did not get
	for _, tag := range []string{"before", "after"} {
		if f := r.flushOf("A", tag); f.ok != 1 {
			t.Errorf("flush %s the signals = %+v, want FLB_OK", tag, f)
		}
	}
	if got := r.exitctx["A"]; got.rc != flbOK {
		t.Errorf("exitctx = %+v, want FLB_OK", got)
	}
}

// TestFaultAfterSignalIsRecovered: a fault in Go code inside a flush (a nil dereference) is a
// panic the export recovers, FLB_ERROR, also after a SIGHUP or SIGCONT, on which Fluent Bit
// installs its own SIGSEGV handler again, which aborts. The instance works on after it.
func TestFaultAfterSignalIsRecovered(t *testing.T) {
	data := writeChunk(t, chunk(knownLine))
	// A hot reload registers the plugin again after Fluent Bit's handler ran for its SIGHUP.
	for _, signals := range []string{"", "signal HUP\n", "signal CONT\n", "signal HUP\nregister\n"} {
		t.Run(strings.ReplaceAll(signals, "\n", ";"), func(t *testing.T) {
			r := runHost(t, "instance A sink=stdout\n"+signals+fmt.Sprintf("flushfault A\nflush A after %s\nexitctx A\n", data), nil)
			r.ok(t)
			if got := r.single["flushfault"]; got != flbError {
				t.Errorf("flush that faults = %d, want FLB_ERROR (%d)", got, flbError)
			}
			if got := r.logsWith("error", "flush: internal error"); len(got) != 1 {
				t.Errorf("error lines %q, want one naming the internal error", got)
			}
			if f := r.flushOf("A", "after"); f.ok != 1 {
				t.Errorf("flush after the fault = %+v, want FLB_OK", f)
			}
		})
	}
}

// TestLibraryFaultHandlerIsKept: a SIGSEGV handler a library installed (a WebAssembly runtime's,
// for its bounds checks) is not replaced by the Go runtime's, as Fluent Bit's own is.
func TestLibraryFaultHandlerIsKept(t *testing.T) {
	data := writeChunk(t, chunk(knownLine))
	r := runHost(t, fmt.Sprintf("instance A sink=stdout\nlibhandler set\nflush A x %s\nlibhandler kept\nexitctx A\n", data), nil)
	r.ok(t) // the host fails a library handler replaced
	if f := r.flushOf("A", "x"); f.ok != 1 {
		t.Errorf("flush = %+v, want FLB_OK", f)
	}
}

func TestFlushAfterExitIsRetried(t *testing.T) {
	data := writeChunk(t, chunk(knownLine))
	r := runHost(t, fmt.Sprintf("instance A sink=stdout\nflush A before %[1]s\nexitctx A\nflush A after %[1]s\n", data), nil)
	r.ok(t)
	if before := r.flushOf("A", "before"); before.ok != 1 {
		t.Errorf("flush before exit = %+v, want FLB_OK", before)
	}
	if after := r.flushOf("A", "after"); after.retry != 1 {
		t.Errorf("flush after exit = %+v, want FLB_RETRY: a flush that reaches a closed instance is retried, not dropped", after)
	}
	if got := len(parseJSONLines(t, r.stdout)); got != 1 {
		t.Errorf("got %d stdout lines, want 1: nothing is written after exit", got)
	}
}

func TestLoopIsReportedOnce(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix"})
	data := writeChunk(t, chunk(knownLine))
	r := runHost(t, forwardInstance("A", srv, "")+fmt.Sprintf("flush A enriched.app %s threads=2 repeat=3\nexitctx A\n", data), nil)
	r.ok(t)
	if f := r.flushOf("A", "enriched.app"); f.ok != 6 {
		t.Errorf("flushes = %+v, want 6 FLB_OK", f)
	}
	if got := len(r.logsWith("error", `already carry the prefix "enriched."`)); got != 1 {
		t.Errorf("the loop is logged %d times, want once", got)
	}
	if got := len(srv.Messages()); got != 0 {
		t.Errorf("the receiver got %d messages: the plugin's own output must not be sent round again", got)
	}
}

func TestExitWithPendingSend(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix", Fault: forwardtest.NoAck})
	data := writeChunk(t, chunk(knownLine))
	h := startHost(t, time.Minute, nil)
	h.send(t, forwardInstance("A", srv, "ack_timeout=2s")+"flush A app "+data+" async")
	// Exit once the payload is at the receiver: the flush started before, so its own
	// Ack_Timeout ends before the exit's.
	if err := srv.WaitRecords(1, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	h.send(t, "exitctx A", "wait")
	r := h.finish(t)
	r.ok(t)
	if f := r.flushOf("A", "app"); f.retry != 1 {
		t.Errorf("flush = %+v, want FLB_RETRY: a flush without its ack is never reported FLB_OK", f)
	}
	if got := r.exitctx["A"]; got.rc != flbOK || got.msec >= 4000 {
		t.Errorf("exitctx = %+v, want FLB_OK within the ack timeout", got)
	}
}

// TestWorkersWarning checks that an instance whose flushes run on a thread
// other than the one Init ran on (Fluent Bit's Workers) says once what that
// means for hot reload, and that one flushed on the Init thread says nothing.
func TestWorkersWarning(t *testing.T) {
	data := writeChunk(t, chunk(knownLine))
	r := runHost(t, fmt.Sprintf(`
instance A sink=stdout match=*
instance B sink=stdout match=*
flush A t %[1]s
flush A t %[1]s
flush B t %[1]s threads=2 repeat=3
exitctx A
exitctx B
`, data), nil)
	r.ok(t)
	// The prefix is the instance's name as Fluent Bit's flb_output_name gives it.
	first := regexp.MustCompile(`^\[output:enrich:A\] enrich \S+ \(catalog ` + regexp.QuoteMeta(catalog.Version) + `\); \d+ goroutines running$`)
	if len(r.logs) == 0 {
		t.Fatal("no log lines")
	}
	if !first.MatchString(r.logs[0].msg) {
		t.Errorf("first line %q, want it to name the plugin and catalog versions (%s)", r.logs[0].msg, first)
	}
	got := []int{
		len(r.logsWith("info", "(catalog "+catalog.Version+")")),
		len(r.logsWith("warn", "[output:enrich:A] this output runs with Workers")),
		len(r.logsWith("warn", "[output:enrich:B] this output runs with Workers")),
	}
	if want := []int{2, 0, 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("version lines, Workers warnings for instance 0 and 1 = %v, want %v", got, want)
	}
}

// TestReportFileSharedByInstances: an instance given the Report_File of another open instance
// starts, with a warning that each report would replace the other's; once that instance has
// exited, the file is its own.
func TestReportFileSharedByInstances(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "unknown.csv")
	r := runHost(t, fmt.Sprintf(`
instance A sink=stdout report_file=%[1]s
instance B sink=stdout report_file=%[2]s
instance C sink=stdout report_file=%[3]s
exitctx A
exitctx B
instance D sink=stdout report_file=%[1]s
exitctx C
exitctx D
`, path, dir+"/./unknown.csv", filepath.Join(dir, "other.csv")), nil)
	r.ok(t)
	const warning = "is also the Report_File of another enrich instance"
	got := []int{len(r.logsWith("warn", "[output:enrich:A] ")), len(r.logsWith("warn", "[output:enrich:B] "+dir+"/./unknown.csv"+" "+warning)),
		len(r.logsWith("warn", "[output:enrich:C] ")), len(r.logsWith("warn", "[output:enrich:D] "))}
	if want := []int{0, 1, 0, 0}; !reflect.DeepEqual(got, want) {
		t.Errorf("warnings of instances A to D = %v, want %v: only B shares an open instance's file\n%v", got, want, r.logs)
	}
}

// TestReportFileAfterReload: the operator completes the report, loads the completed copy with
// Catalog_File and reloads (the old instance exits, a new one starts); the report of the new
// instance, at its exit here, replaces the old rows, which its catalog now explains, although no
// record carries an unknown ID any more.
func TestReportFileAfterReload(t *testing.T) {
	dir := t.TempDir()
	rep, completed := filepath.Join(dir, "unknown.csv"), filepath.Join(dir, "completed.csv")
	if err := os.WriteFile(completed, []byte("product,id,severity,explanation,action\ncisco_ftd_asa,999001,4,a user message,check it\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := writeChunk(t, chunk("%ASA-4-999001: user message"))
	r := runHost(t, fmt.Sprintf(`
instance A sink=stdout match=* report_file=%[1]s
flush A t %[3]s
exitctx A
instance B sink=stdout match=* report_file=%[1]s catalog_file=%[2]s
flush B t %[3]s
exitctx B
`, rep, completed, data), nil)
	r.ok(t)
	if got := r.logsWith("info", "[output:enrich:A] unknown ID #1: 999001"); len(got) != 1 {
		t.Fatalf("the first instance reported %q, want 999001 once", got)
	}
	b, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "999001") {
		t.Errorf("Report_File still lists 999001, which the new instance's catalog explains:\n%s", b)
	}
}

// TestReportFileIsAnotherInstancesCatalog: an instance whose Report_File is another open
// instance's Catalog_File, in either order, is refused at start: each report would replace the
// entries completed there with rows that do not load, and the next start would fail on them.
func TestReportFileIsAnotherInstancesCatalog(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "user.csv")
	if err := os.WriteFile(path, []byte("id,severity,explanation,action\n106023,4,x,y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runHost(t, fmt.Sprintf(`
instance A sink=stdout catalog_file=%[1]s
instance B sink=stdout report_file=%[2]s
exitctx A
instance C sink=stdout report_file=%[1]s
instance D sink=stdout catalog_file=%[1]s
exitctx C
`, path, dir+"/./user.csv"), nil)
	got := []int{r.inits["A"], r.inits["B"], r.inits["C"], r.inits["D"],
		len(r.logsWith("error", "[output:enrich:B] cannot start: configuration key Report_File: "+dir+"/./user.csv"+
			" is a Catalog_File of another enrich instance")),
		len(r.logsWith("error", "[output:enrich:D] cannot start: configuration key Catalog_File: "+path+" is the Report_File of another enrich instance")),
		len(r.logsWith("warn", ""))}
	if want := []int{1, 0, 1, 0, 1, 1, 0}; !reflect.DeepEqual(got, want) {
		t.Errorf("inits of A to D, the refusals of B and D, warnings = %v, want %v\n%v", got, want, r.logs)
	}
}
