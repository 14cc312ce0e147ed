package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	assert.Equal(t, "register rc=0 type=2 proxy=11 flags=0 name=enrich event_type=0 config_map=nil", r.register)
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
		require.NoError(t, json.Unmarshal([]byte(l), &v), "stdout line %q", l)
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
	assert.Equal(t, flbOK, r.inits["A"])
	assert.Equal(t, flushResult{"A", "syslog.fw", 1, 1, 0, 0, 0, r.flushOf("A", "syslog.fw").msec}, r.flushOf("A", "syslog.fw"))
	assert.Len(t, r.logsWith("info", "effective configuration: sink=stdout"), 1)
	assert.Equal(t, exitResult{flbOK, r.exitctx["A"].msec}, r.exitctx["A"])

	lines := parseJSONLines(t, r.stdout)
	require.Len(t, lines, 3)
	for _, l := range lines {
		assert.Equal(t, "enriched.syslog.fw", l.Tag)
	}
	known := lines[0].Record
	assert.Equal(t, knownLine, known["log"])
	assert.Equal(t, "722051", known["message_id"])
	assert.Equal(t, "cisco_ftd_asa", known["product"])
	assert.EqualValues(t, 6, known["severity"])
	assert.Equal(t, "informational", known["severity_name"])
	assert.NotEmpty(t, known["explanation"])
	assert.NotEmpty(t, known["action"])
	assert.Equal(t, noIDLine, lines[2].Record["log"])
	assert.NotContains(t, lines[2].Record, "message_id")
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
	require.Equal(t, flbOK, r.inits["A"])
	assert.Equal(t, 1, r.flushOf("A", "app.log").ok, "FLB_OK once the payloads are acknowledged")

	got := srv.Messages()
	require.Greater(t, len(got), 1, "a chunk larger than Max_Payload_Size is split")
	ids := map[string]bool{}
	for _, m := range got {
		assert.Equal(t, "enriched.app.log", m.Tag)
		assert.Equal(t, forwardtest.ModePackedForward, m.Mode)
		assert.NotEmpty(t, m.Chunk)
		assert.False(t, ids[m.Chunk], "chunk id reused")
		ids[m.Chunk] = true
		assert.True(t, m.Acked)
		assert.Equal(t, m.Records, m.Size)
		if m.Records > 1 {
			assert.LessOrEqual(t, len(m.Entries), 4096)
		}
	}
	recs := srv.Records()
	require.Len(t, recs, len(msgs))
	for i, rec := range recs {
		assert.Equal(t, msgs[i], rec.Body["log"], "record %d", i)
		if msgs[i] == knownLine {
			assert.Equal(t, "722051", rec.Body["message_id"], "record %d enriched", i)
		}
	}
	assert.NotEmpty(t, r.logsWith("debug", "records=32 enriched=30"), "the debug line carries the counters")
	assert.Empty(t, srv.Violations())
}

func TestForwardFailuresRetry(t *testing.T) {
	tests := []struct {
		name    string
		opts    forwardtest.Options
		recover func(*forwardtest.Server)
	}{
		{"receiver down", forwardtest.Options{Network: "unix", Stopped: true}, func(s *forwardtest.Server) { require.NoError(t, s.Start()) }},
		{"receiver never acks", forwardtest.Options{Network: "unix", NoAck: true}, func(s *forwardtest.Server) { s.SetNoAck(false) }},
		{"ack for another chunk", forwardtest.Options{Network: "unix", WrongAck: true}, func(s *forwardtest.Server) { s.SetWrongAck(false) }},
		{"connection dropped", forwardtest.Options{Network: "unix", CloseAfterRead: true}, func(s *forwardtest.Server) { s.SetCloseAfterRead(false) }},
		{"connection closed mid-request", forwardtest.Options{Network: "unix", CloseAfterBytes: 100}, func(s *forwardtest.Server) { s.SetCloseAfterBytes(0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := forwardtest.NewServer(t, tt.opts)
			msgs := []string{knownLine, unknownLine, noIDLine}
			data := writeChunk(t, chunk(msgs...))
			// The first flush fails; the receiver then recovers, and the
			// chunk is flushed again, as Fluent Bit retries it, until it is
			// delivered (bounded: the client's reconnect backoff may refuse
			// the first retries).
			h := startHost(t, time.Minute)
			h.send(t, forwardInstance("A", srv, "ack_timeout=500ms")+"flush A first "+data)
			for l := h.next(t, 30*time.Second); !strings.HasPrefix(l, "flush A first"); l = h.next(t, 30*time.Second) {
			}
			tt.recover(srv)
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
			assert.Equal(t, 1, first.retry, "FLB_RETRY while the receiver fails: %+v", first)
			assert.Less(t, first.msec, 3000, "a failing flush returns within about the ack timeout")
			second := r.flushOf("A", "second")
			assert.Equal(t, 1, second.ok, "FLB_OK after recovery: %+v", second)
			assert.Equal(t, second.calls-1, second.retry, "retries only until delivered: %+v", second)
			assert.Len(t, r.logsWith("warn", "Fluent Bit will retry it"), 1+second.retry)
			acked := map[string]int{}
			for _, rec := range srv.Records() {
				if rec.Acked && rec.Tag == "enriched.second" {
					acked[fmt.Sprint(rec.Body["log"])]++
				}
			}
			for _, m := range msgs {
				assert.Equal(t, 1, acked[m], "record %q delivered and acknowledged", m)
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
		assert.Equal(t, flbOK, r.inits[name], "init %s", name)
		assert.Equal(t, flbOK, r.exitctx[name].rc, "exitctx %s", name)
	}
	assert.Equal(t, threads*repeats, r.flushOf("A", "app").ok)
	assert.Equal(t, threads*repeats, r.flushOf("B", "app").ok)
	assert.Equal(t, 4, r.flushOf("C", "app").ok)

	recsA := srvA.Records()
	recsB := srvB.Records()
	require.Len(t, recsA, threads*repeats*records)
	require.Len(t, recsB, threads*repeats*records)
	for _, rec := range recsA {
		require.Equal(t, "a.app", rec.Tag)
		require.Equal(t, "722051", rec.Body["message_id"])
	}
	for _, rec := range recsB {
		require.Equal(t, "b.app", rec.Tag)
		require.Equal(t, "722051", rec.Body["msgid"], "instance B keeps its own field names")
	}
	assert.Len(t, parseJSONLines(t, r.stdout), 4*records)
}

func TestInitFailsOnBadConfiguration(t *testing.T) {
	dir := t.TempDir()
	badJSON := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(badJSON, []byte(`[{"product": "cisco_ftd_asa", "id": "12"`), 0o600))
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
			assert.Equal(t, flbError, r.inits["A"])
			errs := r.logsWith("error", "")
			require.Len(t, errs, 1, "exactly one error line: %v", errs)
			assert.Contains(t, errs[0], tt.want)
			assert.Contains(t, errs[0], "cannot start")
			assert.Empty(t, r.logsWith("info", "effective configuration"))
		})
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
			assert.Equal(t, tt.info, len(r.logsWith("info", "effective configuration")) == 1)
			assert.Equal(t, tt.dbug, len(r.logsWith("debug", "flushed tag")) == 1)
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
	assert.Equal(t, flbError, r.single["flushbadctx"], "an unknown context is refused")
	assert.Len(t, parseJSONLines(t, r.stdout), 1, "only the flush with the context Init returned is delivered")
}

func TestFlushAfterExitIsRetried(t *testing.T) {
	data := writeChunk(t, chunk(knownLine))
	r := runHost(t, fmt.Sprintf("instance A sink=stdout\nflush A before %[1]s\nexitctx A\nflush A after %[1]s\n", data), nil)
	r.ok(t)
	assert.Equal(t, 1, r.flushOf("A", "before").ok)
	after := r.flushOf("A", "after")
	assert.Equal(t, 1, after.retry, "a flush that reaches a closed instance is retried, not dropped: %+v", after)
	assert.Len(t, parseJSONLines(t, r.stdout), 1, "nothing is written after exit")
}

func TestLoopIsReportedOnce(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix"})
	data := writeChunk(t, chunk(knownLine))
	r := runHost(t, forwardInstance("A", srv, "")+fmt.Sprintf("flush A enriched.app %s threads=2 repeat=3\nexitctx A\n", data), nil)
	r.ok(t)
	assert.Equal(t, 6, r.flushOf("A", "enriched.app").ok)
	assert.Len(t, r.logsWith("error", `already carry the prefix "enriched."`), 1)
	assert.Empty(t, srv.Messages(), "the plugin's own output is not sent round again")
}

func TestExitWithPendingSend(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix", NoAck: true})
	data := writeChunk(t, chunk(knownLine))
	r := runHost(t, forwardInstance("A", srv, "ack_timeout=2s")+fmt.Sprintf(`
flush A app %s async
sleep 300
exitctx A
wait
`, data), nil)
	r.ok(t)
	assert.Equal(t, 1, r.flushOf("A", "app").retry, "a flush without its ack is never reported FLB_OK")
	assert.Equal(t, flbOK, r.exitctx["A"].rc)
	assert.Less(t, r.exitctx["A"].msec, 4000, "exit returns within the ack timeout")
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
	first := regexp.MustCompile(`^\[output:enrich:enrich\.[01]\] enrich \S+ \(catalog ` + regexp.QuoteMeta(catalog.Version) + `\); \d+ goroutines running$`)
	require.NotEmpty(t, r.logs)
	assert.Regexp(t, first, r.logs[0].msg, "an instance's first line names the plugin and catalog versions")
	assert.Len(t, r.logsWith("info", "(catalog "+catalog.Version+")"), 2)
	assert.Len(t, r.logsWith("warn", "[output:enrich:enrich.0] this output runs with Workers"), 0)
	assert.Len(t, r.logsWith("warn", "[output:enrich:enrich.1] this output runs with Workers"), 1)
}
