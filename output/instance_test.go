package output

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/enrich-plugin/enrich/forward"
	"github.com/enrich-plugin/enrich/forward/forwardtest"
	"github.com/enrich-plugin/enrich/internal/msgpack"
)

// Messages with a catalogued ID, an ID the catalog does not know, and none.
const (
	knownLine   = "<166>Jun 22 2022 13:29:11 fw1 : %FTD-6-722051: Group <VPN> User <alice> IP <192.0.2.7> IPv4 Address <10.1.1.5> IPv6 address <::> assigned to session"
	unknownLine = "%ASA-6-999999: something the catalog does not know"
	noIDLine    = "last message repeated 66 times"
)

// record encodes [[time, {}], {"log": msg}] as Fluent Bit 2.1+ chunks hold it.
func record(msg string) []byte {
	b := []byte{0x92, 0x92, 0xd7, 0x00}
	b = binary.BigEndian.AppendUint32(b, 1718000000)
	b = binary.BigEndian.AppendUint32(b, 123)
	b = append(b, 0x80, 0x81)
	b = msgpack.AppendStr(b, "log")
	return msgpack.AppendStr(b, msg)
}

func chunk(msgs ...string) []byte {
	var b []byte
	for _, m := range msgs {
		b = append(b, record(m)...)
	}
	return b
}

// logRecorder is a Logger that keeps every line.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) add(level, format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, level+" "+fmt.Sprintf(format, args...))
}

func (l *logRecorder) Errorf(f string, a ...any) { l.add("error", f, a...) }
func (l *logRecorder) Warnf(f string, a ...any)  { l.add("warn", f, a...) }
func (l *logRecorder) Infof(f string, a ...any)  { l.add("info", f, a...) }
func (l *logRecorder) Debugf(f string, a ...any) { l.add("debug", f, a...) }

// count returns how many lines start with level and contain substr.
func (l *logRecorder) count(level, substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.lines {
		if strings.HasPrefix(s, level+" ") && strings.Contains(s, substr) {
			n++
		}
	}
	return n
}

func newForward(t *testing.T, srv *forwardtest.Server, mod func(*Config)) (*Instance, *logRecorder) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.ForwardAddress = srv.Addr()
	cfg.AckTimeout = 2 * time.Second
	if mod != nil {
		mod(&cfg)
	}
	log := &logRecorder{}
	in, err := New(cfg, log, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := in.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return in, log
}

// newStdout returns an instance with the stdout sink writing to a buffer.
func newStdout(t *testing.T) (*Instance, *logRecorder, *bytes.Buffer) {
	t.Helper()
	out := &bytes.Buffer{}
	cfg := DefaultConfig()
	cfg.Sink = SinkStdout
	log := &logRecorder{}
	in, err := New(cfg, log, out)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return in, log, out
}

func TestFlushStdout(t *testing.T) {
	in, log, out := newStdout(t)
	if got := log.count("info", "effective configuration: sink=stdout"); got != 1 {
		t.Errorf("%d lines log the effective configuration, want 1", got)
	}
	if err := in.Flush(context.Background(), "syslog.fw", chunk(knownLine, unknownLine, noIDLine)); err != nil {
		t.Fatalf("Flush: %v", err)
	}

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3:\n%s", len(lines), out)
	}
	var got []struct {
		Tag    string         `json:"tag"`
		Record map[string]any `json:"record"`
	}
	for _, l := range lines {
		var v struct {
			Tag    string         `json:"tag"`
			Record map[string]any `json:"record"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("line %s: %v", l, err)
		}
		got = append(got, v)
	}
	for i, g := range got {
		if g.Tag != "enriched.syslog.fw" {
			t.Errorf("line %d tag = %q, want enriched.syslog.fw", i, g.Tag)
		}
	}
	if got, want := got[0].Record["log"], knownLine; got != want {
		t.Errorf("record 0 log = %v, want %v", got, want)
	}
	if got, want := got[0].Record["message_id"], "722051"; got != want {
		t.Errorf("record 0 message_id = %v, want %v", got, want)
	}
	if got[0].Record["explanation"] == nil || got[0].Record["explanation"] == "" {
		t.Errorf("record 0 has no explanation: %v", got[0].Record)
	}
	if got, want := got[2].Record["log"], noIDLine; got != want {
		t.Errorf("record 2 log = %v, want %v", got, want)
	}
	if v, ok := got[2].Record["message_id"]; ok {
		t.Errorf("record 2 without an ID has message_id %v", v)
	}

	tot := in.Totals()
	if tot.Records != 3 || tot.Enriched != 1 || tot.NoID != 1 || tot.Payloads != 1 {
		t.Errorf("totals = %+v, want 3 records, 1 enriched, 1 without ID, 1 payload", tot)
	}
	if err := in.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// TestStdoutSinkRecords checks that the stdout sink reports by size only what it cannot show as
// JSON, and still writes every record after it.
func TestStdoutSinkRecords(t *testing.T) {
	head := []byte{0x92, 0x92, 0xd7, 0x00, 0, 0, 0, 1, 0, 0, 0, 0, 0x80}
	ok := append(bytes.Clone(head), 0x81, 0xa1, 'b', 0x02)
	deep := append(bytes.Clone(head), 0x81, 0xa1, 'a')
	for range 70 { // deeper than the JSON writer follows
		deep = append(deep, 0x91)
	}
	deep = append(deep, 0x01)
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name    string
		entries []byte
		want    string
	}{
		{"records", join(ok, ok), `{"tag":"t","record":{"date":1.000000000,"b":2}}` + "\n" +
			`{"tag":"t","record":{"date":1.000000000,"b":2}}` + "\n"},
		{"a record too deep for JSON is reported alone", join(ok, deep, ok), `{"tag":"t","record":{"date":1.000000000,"b":2}}` + "\n" +
			fmt.Sprintf(`{"tag":"t","unparsed_bytes":%d}`, len(deep)) + "\n" + `{"tag":"t","record":{"date":1.000000000,"b":2}}` + "\n"},
		{"bytes that are not msgpack end the payload", join(ok, []byte{0xc1, 0x01}), `{"tag":"t","record":{"date":1.000000000,"b":2}}` + "\n" +
			`{"tag":"t","unparsed_bytes":2}` + "\n"},
		// Only flb-enrich's own records hold JSON text: from Fluent Bit, an ext of its type is not trusted.
		{"an ext of the JSON text type is null", join(head, []byte{0x81, 0xa1, 'b', 0xd4, byte(msgpack.JSONTextExt), '{'}),
			`{"tag":"t","record":{"date":1.000000000,"b":null}}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := (&stdoutSink{w: &out}).Send(context.Background(), "t", tt.entries, 0); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if got := out.String(); got != tt.want {
				t.Errorf("Send wrote\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestStdoutFileCloseOnExec: the stdout sink's own descriptor is not passed on to the programs
// Fluent Bit starts, which would keep standard output open after Fluent Bit exits.
func TestStdoutFileCloseOnExec(t *testing.T) {
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, stdoutFile().(*os.File).Fd(), syscall.F_GETFD, 0)
	if errno != 0 || flags&syscall.FD_CLOEXEC == 0 {
		t.Errorf("stdout sink descriptor flags %#x (%v), want FD_CLOEXEC", flags, errno)
	}
}

func TestStdoutSinkTagAndWriteError(t *testing.T) {
	ok := []byte{0x92, 0x92, 0xd7, 0x00, 0, 0, 0, 1, 0, 0, 0, 0, 0x80, 0x80}
	var out bytes.Buffer
	if err := (&stdoutSink{w: &out}).Send(context.Background(), "a\"b\\c", ok, 0); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got, want := out.String(), `{"tag":"a\"b\\c","record":{"date":1.000000000}}`+"\n"; got != want {
		t.Errorf("Send wrote %s, want %s", got, want)
	}
	// A tag is written as the same bytes in a record are: no HTML escapes, DEL escaped, invalid
	// UTF-8 as U+FFFD (tags from forward senders and tail paths can hold any of them).
	tag := "net.<a>&b\x7f\u2028\xff"
	rec := msgpack.AppendStr(append(ok[:len(ok)-1:len(ok)-1], 0x81, 0xa1, 'v'), tag)
	out.Reset()
	if err := (&stdoutSink{w: &out}).Send(context.Background(), tag, rec, 0); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got, v, _ := strings.Cut(out.String(), `,"record":{"date":1.000000000,"v":`); got[len(`{"tag":`):] != strings.TrimSuffix(v, "}}\n") {
		t.Errorf("Send wrote the tag as %s, the same bytes in the record as %s", got, v)
	}
	// A flush whose write failed must fail, to be retried, not count as delivered.
	r, w := io.Pipe()
	r.Close() // a reader that has gone: every write fails
	if err := (&stdoutSink{w: w}).Send(context.Background(), "t", ok, 0); err == nil {
		t.Error("Send to a writer that fails returned no error")
	}
}

func TestFlushForward(t *testing.T) {
	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) {
			srv := forwardtest.NewServer(t, forwardtest.Options{Network: network})
			in, _ := newForward(t, srv, nil)
			if err := in.Flush(context.Background(), "app", chunk(knownLine, noIDLine)); err != nil {
				t.Fatalf("Flush: %v", err)
			}

			msgs := srv.Messages()
			if len(msgs) != 1 {
				t.Fatalf("got %d messages, want 1", len(msgs))
			}
			if m := msgs[0]; m.Tag != "enriched.app" || m.Chunk == "" || m.Size != 2 || !m.Acked {
				t.Errorf("message tag %q chunk %q size %d acked %v, want enriched.app, a chunk id, 2, acked", m.Tag, m.Chunk, m.Size, m.Acked)
			}
			recs := srv.Records()
			if len(recs) != 2 {
				t.Fatalf("got %d records, want 2", len(recs))
			}
			if got, want := recs[0].Body["message_id"], "722051"; got != want {
				t.Errorf("record 0 message_id = %v, want %v", got, want)
			}
			if got, want := recs[0].Body["log"], knownLine; got != want {
				t.Errorf("record 0 log = %v, want %v", got, want)
			}
			if got, want := recs[1].Body["log"], noIDLine; got != want {
				t.Errorf("record 1 log = %v, want %v", got, want)
			}
		})
	}
}

func TestFlushSplitsPayloads(t *testing.T) {
	big := strings.Repeat("x", 3000)
	tests := []struct {
		name     string
		msgs     []string
		limit    int
		payloads int // number of payloads expected
	}{
		{"fits one payload", []string{noIDLine, noIDLine}, 1024, 1},
		{"split at record boundaries", repeat(knownLine, 20), 1024, 10}, // enriched records are ~420 bytes
		{"large record alone", []string{knownLine, big, knownLine}, 1024, 3},
		{"default limit keeps a chunk whole", repeat(knownLine, 200), DefaultMaxPayloadSize, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix"})
			in, _ := newForward(t, srv, func(c *Config) { c.MaxPayloadSize = tt.limit })
			if err := in.Flush(context.Background(), "app", chunk(tt.msgs...)); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			msgs := srv.Messages()
			if len(msgs) != tt.payloads {
				t.Fatalf("got %d payloads, want %d", len(msgs), tt.payloads)
			}
			ids := map[string]bool{}
			for i, m := range msgs {
				if ids[m.Chunk] {
					t.Errorf("chunk id %q reused", m.Chunk)
				}
				ids[m.Chunk] = true
				if len(m.Records) > 1 && len(m.Entries) > tt.limit {
					t.Errorf("payload %d holds %d records in %d bytes, more than the limit %d", i, len(m.Records), len(m.Entries), tt.limit)
				}
				if i+1 < len(msgs) {
					next, err := msgpack.Skip(msgs[i+1].Entries)
					if err != nil {
						t.Fatalf("payload %d: %v", i+1, err)
					}
					if len(m.Entries)+next <= tt.limit {
						t.Errorf("payload %d was cut at %d bytes before it was full: the next record (%d bytes) fits the limit %d", i, len(m.Entries), next, tt.limit)
					}
				}
			}
			recs := srv.Records()
			if len(recs) != len(tt.msgs) {
				t.Fatalf("got %d records, want %d", len(recs), len(tt.msgs))
			}
			for i, r := range recs {
				if r.Body["log"] != tt.msgs[i] {
					t.Errorf("record %d log = %.40q, want %.40q: out of order", i, r.Body["log"], tt.msgs[i])
				}
			}
			if got := in.Totals().Payloads; got != int64(tt.payloads) {
				t.Errorf("totals count %d payloads, want %d", got, tt.payloads)
			}
		})
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestFlushDeliveryFailures(t *testing.T) {
	tests := []struct {
		name string
		opts forwardtest.Options
	}{
		{"receiver down", forwardtest.Options{Network: "unix", Stopped: true}},
		{"no ack", forwardtest.Options{Network: "unix", Fault: forwardtest.NoAck}},
		{"wrong ack", forwardtest.Options{Network: "unix", Fault: forwardtest.WrongAck}},
		{"closed as the request arrives", forwardtest.Options{Network: "unix", Fault: forwardtest.DropMidMessage}},
		{"closed after the request", forwardtest.Options{Network: "unix", Fault: forwardtest.Drop}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := forwardtest.NewServer(t, tt.opts)
			in, log := newForward(t, srv, func(c *Config) { c.AckTimeout = 300 * time.Millisecond })
			start := time.Now()
			err := in.Flush(context.Background(), "app", chunk(knownLine, noIDLine))
			elapsed := time.Since(start)
			if !IsRetryable(err) {
				t.Fatalf("Flush = %v, want a retryable error", err)
			}
			var de *DeliveryError
			if !errors.As(err, &de) || de.Tag != "enriched.app" {
				t.Errorf("Flush = %v, want a *DeliveryError for tag enriched.app", err)
			}
			if elapsed >= 3*time.Second {
				t.Errorf("Flush took %s: a flush must not outlive its ack timeout by far", elapsed)
			}
			if got := log.count("warn", "handed back to Fluent Bit to retry (if its Retry_Limit allows)"); got != 1 {
				t.Errorf("%d retry warnings, want 1", got)
			}
			if got := in.Totals(); got.FailedFlushes != 1 || got.Retries != 1 || got.Payloads != 0 || got.Chunks != 0 || got.Records != 0 {
				t.Errorf("totals: %d failed flushes, %d retries, %d payloads, %d chunks, %d records; want 1, 1, 0, 0, 0 (counted once delivered)",
					got.FailedFlushes, got.Retries, got.Payloads, got.Chunks, got.Records)
			}
		})
	}
}

func TestFlushRecoversAfterReceiverReturns(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix", Fault: forwardtest.NoAck})
	in, _ := newForward(t, srv, func(c *Config) { c.AckTimeout = 300 * time.Millisecond })
	data := chunk(knownLine, unknownLine, noIDLine)
	if err := in.Flush(context.Background(), "app", data); err == nil {
		t.Fatal("Flush to a receiver that never acks = nil, want an error")
	}
	srv.SetFault(forwardtest.NoFault)
	var err error
	failed := int64(1)
	for i := 0; i < 50; i++ { // the client backs off after failures: retry like Fluent Bit
		if err = in.Flush(context.Background(), "app", data); err == nil {
			break
		}
		failed++
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("Flush after the receiver recovered: %v", err)
	}
	// The records count once, however often the chunk was retried.
	tt := in.Totals()
	if tt.Chunks != 1 || tt.Records != 3 || tt.Enriched != 1 || tt.UnknownID != 1 || tt.NoID != 1 || tt.Retries != failed || in.unknown.Total() != 1 {
		t.Errorf("totals %+v, unknown IDs %d; want 1 chunk, 3 records (1 enriched, 1 unknown, 1 without ID), %d retries, 1 unknown ID",
			tt, in.unknown.Total(), failed)
	}
	acked := 0
	for _, r := range srv.Records() {
		if r.Acked {
			acked++
		}
	}
	if acked != 3 {
		t.Errorf("%d records acknowledged, want every one of the 3 once recovered", acked)
	}
}

// TestRecordsWithoutMessageKeyAreLoggedOnce: records with none of the Message_Key keys holding
// text (a parser that moved the line elsewhere, a line under a map) can never be enriched;
// a stream of them is said once per instance, with the keys to check, not per chunk nor never.
func TestRecordsWithoutMessageKeyAreLoggedOnce(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix"})
	in, log := newForward(t, srv, nil)
	body := func(key string, value []byte) []byte {
		b := append(record("")[:12], 0x80, 0x81)
		return append(msgpack.AppendStr(b, key), value...)
	}
	inner := msgpack.AppendStr(msgpack.AppendStr([]byte{0x81}, "inner"), knownLine)
	for i, data := range [][]byte{chunk(noIDLine), body("text", msgpack.AppendStr(nil, knownLine)), body("log", inner), chunk(knownLine)} {
		if err := in.Flush(context.Background(), "net.app", data); err != nil {
			t.Fatalf("Flush %d: %v", i, err)
		}
	}
	if got := log.count("warn", "none of the Message_Key keys"); got != 1 {
		t.Errorf("%d warnings of records without a message key, want 1:\n%s", got, strings.Join(log.lines, "\n"))
	}
	if got := log.count("warn", `tag "net.app"`); got != 1 {
		t.Errorf("the warning does not name the tag:\n%s", strings.Join(log.lines, "\n"))
	}
	if tot := in.Totals(); tot.NoID != 3 || tot.Enriched != 1 {
		t.Errorf("totals = %+v, want 3 no_id and 1 enriched", tot)
	}
}

// TestRecordsWithoutMessageKeyECSAdvice: with Field_Preset ecs, which refuses log as a message
// key, the warning about tail's records says to set Key message instead.
func TestRecordsWithoutMessageKeyECSAdvice(t *testing.T) {
	for _, preset := range []string{"default", "ecs"} {
		cfg, err := ParseConfig(props{"sink": "stdout", "field_preset": preset, "message_key": "message"})
		if err != nil {
			t.Fatal(err)
		}
		log := &logRecorder{}
		in, err := New(cfg, log, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if err := in.Flush(context.Background(), "net.file", chunk(knownLine)); err != nil { // {"log": line}, as tail writes
			t.Fatal(err)
		}
		in.Close(context.Background())
		if got, want := log.count("warn", "set Key message on tail inputs"), map[string]int{"ecs": 1}[preset]; got != want {
			t.Errorf("%s: %d warnings saying to set Key message, want %d:\n%s", preset, got, want, strings.Join(log.lines, "\n"))
		}
	}
}

// failSink fails each Send with the next of errs.
type failSink struct{ errs []error }

func (s *failSink) Send(context.Context, string, []byte, int) error {
	err := s.errs[0]
	s.errs = s.errs[1:]
	return err
}

func (s *failSink) Close(context.Context) error { return nil }

// TestBackoffRefusalsAreNotWarnings: while in_forward stays paused or down, most retries are
// refused by the reconnect backoff without an attempt; the attempts' failures are the warnings,
// one per backoff period at most, and the refusals, which repeat them, are debug lines.
func TestBackoffRefusalsAreNotWarnings(t *testing.T) {
	refused := &forward.RetryableError{Op: "dial", Addr: "unix:///x", Err: syscall.ECONNREFUSED}
	delayed := &forward.RetryableError{Op: "dial", Addr: "unix:///x",
		Err: fmt.Errorf("%w: next attempt in 1s, after dial: %w", forward.ErrBackoff, syscall.ECONNREFUSED)}
	log := &logRecorder{}
	in := newInstance(DefaultConfig(), log, &loaded{eng: defaultEngine(t)}, &failSink{errs: []error{refused, delayed, delayed, refused}})
	for i := range 4 {
		if err := in.Flush(context.Background(), "net.app", chunk(knownLine)); !IsRetryable(err) {
			t.Fatalf("Flush %d = %v, want a retryable error", i, err)
		}
	}
	if w, d := log.count("warn", "not delivered"), log.count("debug", "not delivered"); w != 2 || d != 2 {
		t.Errorf("%d warnings and %d debug lines of chunks not delivered, want 2 of each:\n%s", w, d, strings.Join(log.lines, "\n"))
	}
}

func TestFlushLoopIsNotSentAgain(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix"})
	in, log := newForward(t, srv, nil)
	for i := 0; i < 3; i++ {
		if err := in.Flush(context.Background(), "enriched.app", chunk(knownLine)); err != nil {
			t.Fatalf("Flush %d: %v", i, err)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("the receiver got %d messages, want none", n)
	}
	if got := log.count("error", `already carry the prefix "enriched."`); got != 1 {
		t.Errorf("the loop is logged %d times, want once per instance", got)
	}
	if tot := in.Totals(); tot.LoopChunks != 3 || tot.Chunks != 3 || tot.Records != 0 {
		t.Errorf("totals = %+v, want 3 chunks, all loop chunks, and 0 records", tot)
	}
}

// TestFlushLoopBehindInForwardTagPrefix: an in_forward with Tag_Prefix hands the records back
// under its prefix before the output's, so the loop must be told by the tag sent, not by its start.
func TestFlushLoopBehindInForwardTagPrefix(t *testing.T) {
	tests := []struct {
		name, tag string
		loop      bool
	}{
		{name: "tag handed back under in_forward's prefix", tag: "fwd.enriched.app", loop: true},
		{name: "tag handed back under two prefixes", tag: "a.fwd.enriched.app", loop: true},
		{name: "prefix inside a tag never handed back", tag: "fwd.enriched.other", loop: false},
		{name: "tag with regular expression characters", tag: "k8s(node1)+a[1]$.enriched.app", loop: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix"})
			in, log := newForward(t, srv, nil)
			for _, tag := range []string{"app", tt.tag} {
				if err := in.Flush(context.Background(), tag, chunk(knownLine)); err != nil {
					t.Fatalf("Flush %q: %v", tag, err)
				}
			}
			if got, want := len(srv.Messages()), map[bool]int{true: 1, false: 2}[tt.loop]; got != want {
				t.Errorf("the receiver got %d messages, want %d", got, want)
			}
			want := 0
			if tt.loop {
				want = 1
			}
			handedBack := tt.tag[:len(tt.tag)-len("app")]
			if got := log.count("error", fmt.Sprintf("already carry the prefix %q", handedBack)); got != want {
				t.Errorf("%d loop errors naming the prefix %q, want %d", got, handedBack, want)
			}
			if got := log.count("error", fmt.Sprintf("a Match that excludes %s*", handedBack)); got != want {
				t.Errorf("%d loop errors advising a Match excluding %q, want %d", got, handedBack, want)
			}
			// The advised lookahead, anchored, must match the tag that loops.
			log.mu.Lock()
			advice := regexp.MustCompile(`Match_Regex \^\(\?!(.*)\)\.\*`).FindStringSubmatch(strings.Join(log.lines, "\n"))
			log.mu.Unlock()
			if tt.loop && (advice == nil || !regexp.MustCompile("^"+advice[1]).MatchString(tt.tag)) {
				t.Errorf("the Match_Regex advised (%q) does not exclude %q", advice, tt.tag)
			}
		})
	}
}

// TestFlushLoopBehindInForwardTagPrefixManyTags: an instance whose Match took more tags than it
// remembers must still tell a new tag's records coming back, or they would loop forever.
func TestFlushLoopBehindInForwardTagPrefixManyTags(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix"})
	in, _ := newForward(t, srv, nil)
	n := 0
	for ; in.sentSize+len(fmt.Sprint("net.host", n))+64 <= maxSentSize; n++ {
		in.looped(fmt.Sprint("net.host", n))
	}
	if in.looped("net.host0"); len(in.sent) != n { // one remembered already forgets none
		t.Errorf("%d tags remembered, want %d", len(in.sent), n)
	}
	for _, tag := range []string{"app", "fwd.enriched.app"} {
		if err := in.Flush(context.Background(), tag, chunk(knownLine)); err != nil {
			t.Fatalf("Flush %q: %v", tag, err)
		}
	}
	if got, want := len(srv.Messages()), 1; got != want {
		t.Errorf("after %d tags the receiver got %d messages, want %d", n, got, want)
	}
	if len(in.sent) != 1 {
		t.Errorf("after a new tag %d tags remembered, want only it", len(in.sent))
	}
}

// TestLoopedLongTags: tags near Fluent Bit's 64 KB cap are remembered within maxSentSize, as
// short ones are, and the last one is always remembered.
func TestLoopedLongTags(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix"})
	in, _ := newForward(t, srv, nil)
	long := strings.Repeat("x", 65_000)
	for i := range 100 {
		tag := fmt.Sprint(i, long)
		if in.looped(tag); in.sentSize > maxSentSize || len(in.sent) > maxSentSize/65_000 {
			t.Fatalf("after %d tags of 65 KB: %d remembered, counted as %d bytes, want %d at most", i+1, len(in.sent), in.sentSize, maxSentSize)
		}
		if got := in.looped("fwd." + in.cfg.TagPrefix + tag); got == "" {
			t.Fatalf("the tag just handed back, behind a prefix, was not recognised")
		}
	}
}

// TestFlushLoopTagIsThePrefix: a tag that is the prefix alone, one character long, is a loop too.
func TestFlushLoopTagIsThePrefix(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix"})
	in, _ := newForward(t, srv, func(c *Config) { c.TagPrefix = "e" })
	if err := in.Flush(context.Background(), "e", chunk(knownLine)); err != nil || len(srv.Messages()) != 0 {
		t.Errorf("Flush = %v, the receiver got %d messages, want nil and none", err, len(srv.Messages()))
	}
}

// TestLoopedDoesNotAllocate: the loop check runs at every flush, and a tag longer than the
// runtime's stack buffer for a concatenation must not cost an allocation.
func TestLoopedDoesNotAllocate(t *testing.T) {
	in, _ := newForward(t, forwardtest.NewServer(t, forwardtest.Options{Network: "unix"}), nil)
	tag := "net.core-router-01.datacenter-east.syslog"
	in.looped(tag)
	if n := testing.AllocsPerRun(100, func() { in.looped(tag) }); n != 0 {
		t.Errorf("looped(%q) allocates %v times, want 0", tag, n)
	}
}

func TestFlushStdoutHasNoLoop(t *testing.T) {
	in, log, out := newStdout(t)
	if err := in.Flush(context.Background(), "enriched.app", chunk(knownLine)); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if !strings.Contains(out.String(), `"message_id":"722051"`) {
		t.Errorf("output %s is not enriched: the stdout sink hands nothing back, so a prefixed tag is enriched as any other", out)
	}
	if got := log.count("error", "already carry the prefix"); got != 0 {
		t.Errorf("%d loop errors logged, want none", got)
	}
	if got := in.Totals().LoopChunks; got != 0 {
		t.Errorf("totals count %d loop chunks, want 0", got)
	}
}

// TestFlushWithForwardTLSNamesNoTLSMismatch: with Forward_TLS on, a missing HELO or a closed
// connection cannot come from tls on met without TLS, so the warning must not name that cause.
func TestFlushWithForwardTLSNamesNoTLSMismatch(t *testing.T) {
	tests := []struct {
		name      string
		sharedKey string // the output's; the receiver has none, so it sends no HELO
		fault     forwardtest.Fault
	}{
		{name: "no HELO", sharedKey: "s3cret"},
		{name: "connection closed", fault: forwardtest.Drop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := forwardtest.NewServer(t, forwardtest.Options{TLS: true})
			srv.SetFault(tt.fault)
			in, _ := newForward(t, srv, func(c *Config) { c.TLS, c.TLSCAFile, c.SharedKey = true, srv.CAFile, tt.sharedKey })
			err := in.Flush(context.Background(), "app", chunk(knownLine))
			if err == nil || strings.Contains(err.Error(), KeyForwardTLS+" off") {
				t.Errorf("Flush = %v, want an error not naming %s off", err, KeyForwardTLS)
			}
		})
	}
}

// TestFlushToTLSListenerWithoutForwardTLS: an in_forward with tls on drops a client that does not
// speak TLS at once, or never sends it a HELO; the warning names that cause among the others.
func TestFlushToTLSListenerWithoutForwardTLS(t *testing.T) {
	for _, key := range []string{"", "s3cret"} {
		t.Run("shared key "+strconv.Quote(key), func(t *testing.T) {
			srv := forwardtest.NewServer(t, forwardtest.Options{TLS: true, SharedKey: key})
			in, _ := newForward(t, srv, func(c *Config) { c.SharedKey = key })
			err := in.Flush(context.Background(), "app", chunk(knownLine))
			if want := "tls on and " + KeyForwardTLS + " off"; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Flush = %v, want an error naming %q", err, want)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("the receiver got %d messages, want none", n)
			}
		})
	}
}

func TestFlushIsBoundedByAckTimeoutAsAWhole(t *testing.T) {
	// Every payload is acknowledged within Ack_Timeout, but the chunk's
	// payloads together take longer: the flush still ends at Ack_Timeout.
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix", AckDelay: 150 * time.Millisecond})
	in, _ := newForward(t, srv, func(c *Config) {
		c.AckTimeout = 400 * time.Millisecond
		c.MaxPayloadSize = MinMaxPayloadSize
	})
	data := chunk(repeat(knownLine, 64)...)
	if len(data) <= 4*MinMaxPayloadSize {
		t.Fatalf("the chunk is %d bytes: it must need several payloads", len(data))
	}
	start := time.Now()
	err := in.Flush(context.Background(), "app", data)
	elapsed := time.Since(start)
	if !IsRetryable(err) {
		t.Errorf("Flush = %v, want a retryable error: a flush cut short by its deadline is retried", err)
	}
	if elapsed >= 2*time.Second {
		t.Errorf("Flush took %s: it must end near Ack_Timeout, not after every payload's own timeout", elapsed)
	}
}

// TestFlushTimeoutNamesTheAckTimeout: a flush whose ack did not come within Ack_Timeout fails
// with forward.ErrAckTimeout, as a Send alone does, not with a bare "context deadline exceeded":
// the flush's own deadline, which is Ack_Timeout too, ends the Send first.
func TestFlushTimeoutNamesTheAckTimeout(t *testing.T) {
	tests := []struct {
		name    string
		opts    forwardtest.Options
		records int
	}{
		{"never acks", forwardtest.Options{Network: "unix", Fault: forwardtest.NoAck}, 1},
		{"acks after the timeout", forwardtest.Options{Network: "unix", AckDelay: time.Second}, 1},
		{"payloads together take longer", forwardtest.Options{Network: "unix", AckDelay: 150 * time.Millisecond}, 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := forwardtest.NewServer(t, tt.opts)
			in, log := newForward(t, srv, func(c *Config) {
				c.AckTimeout = 400 * time.Millisecond
				c.MaxPayloadSize = MinMaxPayloadSize
			})
			err := in.Flush(context.Background(), "app", chunk(repeat(knownLine, tt.records)...))
			if !IsRetryable(err) || !errors.Is(err, forward.ErrAckTimeout) {
				t.Errorf("Flush = %v, want a retryable error wrapping forward.ErrAckTimeout", err)
			}
			if got := log.count("warn", forward.ErrAckTimeout.Error()); got != 1 {
				t.Errorf("%d warnings say %q, want the retry warning to", got, forward.ErrAckTimeout)
			}
		})
	}
}

func TestFlushMalformedChunk(t *testing.T) {
	garbage := []byte{0xc1, 0xff, 0x00, 0x42}
	two := chunk(knownLine, noIDLine)
	// A record whose time Fluent Bit's decoder refuses, and the records after it with it, or drops.
	timed := func(t []byte) []byte {
		return slices.Concat([]byte{0x92}, t, []byte{0x81}, msgpack.AppendStr(nil, "log"), msgpack.AppendStr(nil, knownLine))
	}
	one := chunk(knownLine)
	type malformedCase struct {
		name      string
		data      []byte
		records   []string // log values of the records parsed before the rest
		rest      []byte   // what must arrive under UnparsedKey
		malformed int64    // the chunks counted as malformed
	}
	tests := []malformedCase{
		{"garbage after records", append(chunk(knownLine, noIDLine), garbage...), []string{knownLine, noIDLine}, garbage, 1},
		{"truncated last record", two[:len(two)-5], []string{knownLine}, two[len(one) : len(two)-5], 1},
		{"not msgpack at all", []byte("this is not msgpack"), nil, []byte("this is not msgpack"), 0}, // ASCII bytes are fixints
		// A value that is not a record is valid msgpack, and passed on however short.
		{"one-byte value after records", append(chunk(knownLine), 0x01), []string{knownLine}, []byte{0x01}, 0},
	}
	for name, time := range map[string][]byte{
		"a float32 time":                           {0xca, 0x4e, 0xcc, 0xc1, 0x70},
		"a negative integer time":                  {0xff},
		"an integer time above 2^63-1":             {0xcf, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0},
		"a float time of -1":                       {0xcb, 0xbf, 0xf0, 0, 0, 0, 0, 0, 0},
		"a group start's seconds with nanoseconds": {0xd7, 0x00, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1},
		"nanoseconds of 10^9":                      {0xd7, 0x00, 0, 0, 0, 1, 0x3b, 0x9a, 0xca, 0x00},
	} {
		rec := timed(time)
		tests = append(tests, malformedCase{"record with " + name + " between records", slices.Concat(chunk(knownLine), rec, chunk(noIDLine)), []string{knownLine, noIDLine}, rec, 0})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix"})
			in, log := newForward(t, srv, nil)
			if err := in.Flush(context.Background(), "app", tt.data); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			recs := srv.Records()
			if len(recs) != len(tt.records)+1 {
				t.Fatalf("got %d records, want %d and one with the rest", len(recs), len(tt.records))
			}
			for i, want := range tt.records {
				if got := recs[i].Body["log"]; got != want {
					t.Errorf("record %d log = %v, want %v", i, got, want)
				}
			}
			last := recs[len(recs)-1].Body
			raw, err := base64.StdEncoding.DecodeString(fmt.Sprint(last[UnparsedKey]))
			if err != nil {
				t.Fatalf("%s of the last record: %v", UnparsedKey, err)
			}
			if !bytes.Equal(raw, tt.rest) {
				t.Errorf("unparsed rest = %x, want %x byte for byte", raw, tt.rest)
			}
			if got := log.count("warn", UnparsedKey); got != 1 {
				t.Errorf("%d warnings name where the bytes went, want one for the flush", got)
			}
			if got := in.Totals().Unparsed; got != 1 {
				t.Errorf("totals count %d unparsed, want 1", got)
			}
			if got := in.Totals().MalformedChunks; got != tt.malformed {
				t.Errorf("totals count %d malformed chunks, want %d", got, tt.malformed)
			}
		})
	}
}

func TestFlushConcurrent(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix"})
	in, _ := newForward(t, srv, func(c *Config) { c.MaxPayloadSize = 2048 })
	const workers, flushes = 8, 10
	data := chunk(repeat(knownLine, 25)...)
	var wg sync.WaitGroup
	errs := make(chan error, workers*flushes)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < flushes; i++ {
				errs <- in.Flush(context.Background(), fmt.Sprintf("app.%d", w), data)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Flush: %v", err)
		}
	}
	if got, want := len(srv.Records()), workers*flushes*25; got != want {
		t.Errorf("the receiver got %d records, want %d", got, want)
	}
	if got, want := in.Totals().Enriched, int64(workers*flushes*25); got != want {
		t.Errorf("totals count %d enriched, want %d", got, want)
	}
}

func TestForwardConnectionsBoundTheSockets(t *testing.T) {
	for _, conns := range []int{1, 3} {
		t.Run(fmt.Sprint(conns), func(t *testing.T) {
			srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix", AckDelay: 5 * time.Millisecond})
			in, _ := newForward(t, srv, func(c *Config) { c.ForwardConns = conns })
			data := chunk(knownLine)
			var wg sync.WaitGroup
			for w := 0; w < 6; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 5; i++ {
						if err := in.Flush(context.Background(), "app", data); err != nil {
							t.Errorf("Flush: %v", err)
						}
					}
				}()
			}
			wg.Wait()
			if got := srv.MaxOpenConns(); got > conns {
				t.Errorf("the receiver saw %d connections at once: Forward_Connections %d must bound them", got, conns)
			}
			if got := len(srv.Records()); got != 30 {
				t.Errorf("the receiver got %d records, want 30", got)
			}
		})
	}
}

func TestCloseBoundsPendingFlushes(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix", Fault: forwardtest.NoAck})
	cfg := DefaultConfig()
	cfg.ForwardAddress = srv.Addr()
	cfg.AckTimeout = time.Minute
	in, err := New(cfg, &logRecorder{}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}

	done := make(chan error, 1)
	go func() { done <- in.Flush(context.Background(), "app", chunk(knownLine)) }()
	if err := srv.WaitRecords(1, 5*time.Second); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := in.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if elapsed := time.Since(start); elapsed >= 3*time.Second {
		t.Errorf("Close took %s with a 300ms deadline", elapsed)
	}
	select {
	case err := <-done:
		if !IsRetryable(err) {
			t.Errorf("pending Flush = %v, want a retryable error: an unacknowledged flush must not report success", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("pending flush did not return after Close")
	}
	err = in.Flush(context.Background(), "app", chunk(knownLine))
	if !errors.Is(err, ErrClosed) || !IsRetryable(err) {
		t.Errorf("Flush after Close = %v, want a retryable ErrClosed", err)
	}
}

// closeSink records the context its Close gets.
type closeSink struct {
	sendRecorder
	closeCtx context.Context
}

func (s *closeSink) Close(ctx context.Context) error {
	s.closeCtx = ctx
	return nil
}

// TestCloseGivesTheSinkItsContext: a sink closed before the caller's deadline has all of it, not
// only the second of its own it gets past that deadline.
func TestCloseGivesTheSinkItsContext(t *testing.T) {
	sink := &closeSink{}
	in := newInstance(DefaultConfig(), nil, nil, sink)
	deadline := time.Now().Add(time.Hour)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if err := in.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got, ok := sink.closeCtx.Deadline(); !ok || !got.Equal(deadline) {
		t.Errorf("the sink closed with deadline %v (set %v), want %v", got, ok, deadline)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"missing catalog file", func(c *Config) { c.CatalogFiles = []string{"/nonexistent/catalog.json"} }, "/nonexistent/catalog.json"},
		{"invalid config", func(c *Config) { c.MaxPayloadSize = 1 }, KeyMaxPayloadSize},
		{"empty tag prefix", func(c *Config) { c.TagPrefix = "" }, KeyForwardTagPrefix},
		{"missing CA file", func(c *Config) {
			c.Sink, c.ForwardAddress, c.TLS, c.TLSCAFile = SinkForward, "tcp://127.0.0.1:24224", true, "/nonexistent/ca.pem"
		}, KeyForwardTLSCAFile + ": invalid value \"/nonexistent/ca.pem\""},
		// Checked with Sink stdout too: going back to forward needs only Sink.
		{"missing CA file, stdout", func(c *Config) {
			c.ForwardAddress, c.TLS, c.TLSCAFile = "tcp://127.0.0.1:24224", true, "/nonexistent/ca.pem"
		}, KeyForwardTLSCAFile + ": invalid value \"/nonexistent/ca.pem\""},
		{"CA file without a certificate, stdout", func(c *Config) {
			c.ForwardAddress, c.TLS, c.TLSCAFile = "tcp://127.0.0.1:24224", true, "instance_test.go"
		}, KeyForwardTLSCAFile + ": invalid value \"instance_test.go\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Sink = SinkStdout
			tt.mod(&cfg)
			_, err := New(cfg, nil, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error naming %s", err, tt.want)
			}
		})
	}
}

func TestUnparsedRecordIsARecord(t *testing.T) {
	rec := unparsedRecord(nil, []byte{1, 2, 3}, time.Unix(1700000000, 5))
	n, err := msgpack.Skip(rec)
	if err != nil || n != len(rec) {
		t.Fatalf("RecordEnd = %d, %v; want %d, nil: the record must be one whole record", n, err, len(rec))
	}
	js, err := msgpack.AppendRecordJSON(nil, rec, false)
	if err != nil {
		t.Fatalf("AppendRecordJSON: %v", err)
	}
	if want := `"` + UnparsedKey + `":"AQID"`; !strings.Contains(string(js), want) {
		t.Errorf("record %s does not hold %s", js, want)
	}
	// Runs of every str width; a chunk may hold one between every two records, so none allocates.
	for _, size := range []int{21, 22, 189, 190, 49149, 49152} {
		run := bytes.Repeat([]byte{0xc1}, size)
		rec := unparsedRecord(nil, run, time.Unix(1700000000, 5))
		_, body, _ := msgpack.ReadArrayHeader(rec)
		k, _ := msgpack.Skip(body)
		_, body, _ = msgpack.ReadMapHeader(body[k:])
		_, body, _ = msgpack.ReadStr(body)
		if v, _, err := msgpack.ReadStr(body); err != nil || string(v) != base64.StdEncoding.EncodeToString(run) {
			t.Errorf("run of %d bytes: %s value %.40q, %v; want its base64", size, UnparsedKey, v, err)
		}
		buf := make([]byte, 0, 2*len(rec))
		if n := testing.AllocsPerRun(10, func() { unparsedRecord(buf, run, time.Time{}) }); n != 0 {
			t.Errorf("run of %d bytes: unparsedRecord allocates %v times, want 0", size, n)
		}
	}
}

func TestIsRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"delivery failure", &DeliveryError{Tag: "t", Payload: 1, Err: &forward.RetryableError{Op: "write", Err: io.EOF}}, true},
		{"closed instance", ErrClosed, true},
		{"invalid send", &DeliveryError{Tag: "t", Payload: 1, Err: fmt.Errorf("tag is empty: %w", forward.ErrInvalidArgument)}, false},
		{"other error", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsRetryable(tt.err); got != tt.want {
				t.Errorf("IsRetryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// TestFlushDropsLargeBuffers: a flush whose buffers grew past 8 MiB, for a huge record, does not
// keep them for the next flushes.
func TestFlushDropsLargeBuffers(t *testing.T) {
	in, _, _ := newStdout(t)
	if err := in.Flush(context.Background(), "t", chunk(strings.Repeat("x", 9<<20))); err != nil {
		t.Fatal(err)
	}
	if fb := in.bufs.Get().(*flushBuffer); cap(fb.out) > 8<<20 {
		t.Errorf("the pool holds a buffer of %d bytes after a huge record, want none over 8 MiB", cap(fb.out))
	}
}

// TestFlushWithStallTimeoutOff: Stall_Timeout off turns the forward client's stall checks off,
// the wait for the shared-key HELO included.
func TestFlushWithStallTimeoutOff(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix", SharedKey: "k"})
	in, _ := newForward(t, srv, func(c *Config) { c.SharedKey, c.StallTimeout = "k", 0 })
	if err := in.Flush(context.Background(), "app", chunk(knownLine)); err != nil {
		t.Fatalf("Flush with Stall_Timeout off: %v", err)
	}
}
