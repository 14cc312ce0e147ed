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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		assert.NoError(t, in.Close(ctx))
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
	require.NoError(t, err)
	return in, log, out
}

func TestFlushStdout(t *testing.T) {
	in, log, out := newStdout(t)
	assert.Equal(t, 1, log.count("info", "effective configuration: sink=stdout"))

	require.NoError(t, in.Flush(context.Background(), "syslog.fw", chunk(knownLine, unknownLine, noIDLine)))

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Len(t, lines, 3)
	var got []struct {
		Tag    string         `json:"tag"`
		Record map[string]any `json:"record"`
	}
	for _, l := range lines {
		var v struct {
			Tag    string         `json:"tag"`
			Record map[string]any `json:"record"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &v), l)
		got = append(got, v)
	}
	for _, g := range got {
		assert.Equal(t, "enriched.syslog.fw", g.Tag)
	}
	assert.Equal(t, knownLine, got[0].Record["log"])
	assert.Equal(t, "722051", got[0].Record["message_id"])
	assert.NotEmpty(t, got[0].Record["explanation"])
	assert.Equal(t, noIDLine, got[2].Record["log"])
	assert.NotContains(t, got[2].Record, "message_id")

	tot := in.Totals()
	assert.Equal(t, int64(3), tot.Records)
	assert.Equal(t, int64(1), tot.Enriched)
	assert.Equal(t, int64(1), tot.NoID)
	assert.Equal(t, int64(1), tot.Payloads)
	require.NoError(t, in.Close(context.Background()))
}

func TestFlushForward(t *testing.T) {
	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) {
			srv := forwardtest.NewServer(t, forwardtest.Options{Network: network})
			in, _ := newForward(t, srv, nil)
			require.NoError(t, in.Flush(context.Background(), "app", chunk(knownLine, noIDLine)))

			msgs := srv.Messages()
			require.Len(t, msgs, 1)
			assert.Equal(t, "enriched.app", msgs[0].Tag)
			assert.Equal(t, forwardtest.ModePackedForward, msgs[0].Mode)
			assert.NotEmpty(t, msgs[0].Chunk)
			assert.Equal(t, 2, msgs[0].Size)
			assert.True(t, msgs[0].Acked)
			recs := srv.Records()
			require.Len(t, recs, 2)
			assert.Equal(t, "722051", recs[0].Body["message_id"])
			assert.Equal(t, knownLine, recs[0].Body["log"])
			assert.Equal(t, noIDLine, recs[1].Body["log"])
			assert.Empty(t, srv.Violations())
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
			require.NoError(t, in.Flush(context.Background(), "app", chunk(tt.msgs...)))
			msgs := srv.Messages()
			require.Len(t, msgs, tt.payloads)
			ids := map[string]bool{}
			for i, m := range msgs {
				assert.False(t, ids[m.Chunk], "chunk id %q reused", m.Chunk)
				ids[m.Chunk] = true
				assert.Equal(t, m.Records, m.Size, "option size is the record count")
				if m.Records > 1 {
					assert.LessOrEqual(t, len(m.Entries), tt.limit, "payload %d holds several records and exceeds the limit", i)
				}
				if i+1 < len(msgs) {
					next, err := msgpack.Skip(msgs[i+1].Entries)
					require.NoError(t, err)
					assert.Greater(t, len(m.Entries)+next, tt.limit, "payload %d was cut before it was full", i)
				}
			}
			recs := srv.Records()
			require.Len(t, recs, len(tt.msgs))
			for i, r := range recs {
				assert.Equal(t, tt.msgs[i], r.Body["log"], "record %d out of order", i)
			}
			assert.Equal(t, int64(tt.payloads), in.Totals().Payloads)
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
		name  string
		opts  forwardtest.Options
		cause error
	}{
		{"receiver down", forwardtest.Options{Network: "unix", Stopped: true}, nil},
		{"no ack", forwardtest.Options{Network: "unix", NoAck: true}, nil},
		{"wrong ack", forwardtest.Options{Network: "unix", WrongAck: true}, nil},
		{"closed after a few bytes", forwardtest.Options{Network: "unix", CloseAfterBytes: 10}, nil},
		{"closed after the request", forwardtest.Options{Network: "unix", CloseAfterRead: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := forwardtest.NewServer(t, tt.opts)
			in, log := newForward(t, srv, func(c *Config) { c.AckTimeout = 300 * time.Millisecond })
			start := time.Now()
			err := in.Flush(context.Background(), "app", chunk(knownLine, noIDLine))
			elapsed := time.Since(start)
			require.Error(t, err)
			assert.True(t, IsRetryable(err), "%v must be retryable", err)
			var de *DeliveryError
			require.True(t, errors.As(err, &de))
			assert.Equal(t, "enriched.app", de.Tag)
			assert.Less(t, elapsed, 3*time.Second, "a flush must not outlive its ack timeout by far")
			assert.Equal(t, 1, log.count("warn", "Fluent Bit will retry it"))
			assert.Equal(t, int64(1), in.Totals().FailedFlushes)
		})
	}
}

func TestFlushRecoversAfterReceiverReturns(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix", NoAck: true})
	in, _ := newForward(t, srv, func(c *Config) { c.AckTimeout = 300 * time.Millisecond })
	data := chunk(knownLine, unknownLine, noIDLine)
	require.Error(t, in.Flush(context.Background(), "app", data))
	srv.SetNoAck(false)
	var err error
	for i := 0; i < 50; i++ { // the client backs off after failures: retry like Fluent Bit
		if err = in.Flush(context.Background(), "app", data); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, err)
	acked := 0
	for _, r := range srv.Records() {
		if r.Acked {
			acked++
		}
	}
	assert.Equal(t, 3, acked, "every record delivered and acknowledged once recovered")
}

func TestFlushLoopIsNotSentAgain(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix"})
	in, log := newForward(t, srv, nil)
	for i := 0; i < 3; i++ {
		require.NoError(t, in.Flush(context.Background(), "enriched.app", chunk(knownLine)))
	}
	assert.Empty(t, srv.Messages())
	assert.Equal(t, 1, log.count("error", `already carry the prefix "enriched."`), "the loop is logged once per instance")
	assert.Equal(t, int64(3), in.Totals().LoopChunks)
	assert.Equal(t, int64(0), in.Totals().Records)
}

func TestFlushStdoutHasNoLoop(t *testing.T) {
	in, log, out := newStdout(t)
	require.NoError(t, in.Flush(context.Background(), "enriched.app", chunk(knownLine)))
	assert.Contains(t, out.String(), `"message_id":"722051"`, "the stdout sink hands nothing back, so a prefixed tag is enriched as any other")
	assert.Zero(t, log.count("error", "already carry the prefix"))
	assert.Equal(t, int64(0), in.Totals().LoopChunks)
}

func TestFlushIsBoundedByAckTimeoutAsAWhole(t *testing.T) {
	// Every payload is acknowledged within Ack_Timeout, but the chunk's
	// payloads together take longer: the flush still ends at Ack_Timeout.
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix", AckDelay: 150 * time.Millisecond})
	in, _ := newForward(t, srv, func(c *Config) {
		c.AckTimeout = 400 * time.Millisecond
		c.MaxPayloadSize = MinMaxPayloadSize
	})
	lines := make([]string, 0, 64)
	for i := 0; i < 64; i++ {
		lines = append(lines, knownLine)
	}
	data := chunk(lines...)
	require.Greater(t, len(data), 4*MinMaxPayloadSize, "the chunk must need several payloads")
	start := time.Now()
	err := in.Flush(context.Background(), "app", data)
	elapsed := time.Since(start)
	require.Error(t, err)
	assert.True(t, IsRetryable(err), "a flush cut short by its deadline is retried: %v", err)
	assert.Less(t, elapsed, 2*time.Second, "the flush must end near Ack_Timeout, not after every payload's own timeout")
}

func TestFlushMalformedChunk(t *testing.T) {
	garbage := []byte{0xc1, 0xff, 0x00, 0x42}
	two := chunk(knownLine, noIDLine)
	one := chunk(knownLine)
	tests := []struct {
		name    string
		data    []byte
		records []string // log values of the records parsed before the rest
		rest    []byte   // what must arrive under UnparsedKey
	}{
		{"garbage after records", append(chunk(knownLine, noIDLine), garbage...), []string{knownLine, noIDLine}, garbage},
		{"truncated last record", two[:len(two)-5], []string{knownLine}, two[len(one) : len(two)-5]},
		{"not msgpack at all", []byte("this is not msgpack"), nil, []byte("this is not msgpack")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix"})
			in, log := newForward(t, srv, nil)
			require.NoError(t, in.Flush(context.Background(), "app", tt.data))
			recs := srv.Records()
			require.Len(t, recs, len(tt.records)+1)
			for i, want := range tt.records {
				assert.Equal(t, want, recs[i].Body["log"])
			}
			last := recs[len(recs)-1].Body
			raw, err := base64.StdEncoding.DecodeString(fmt.Sprint(last[UnparsedKey]))
			require.NoError(t, err)
			assert.Equal(t, tt.rest, raw, "the unparsed rest is passed on byte for byte")
			assert.Equal(t, 1, log.count("warn", UnparsedKey), "one warning for the flush names where the bytes went")
			assert.Equal(t, int64(1), in.Totals().Unparsed)
			assert.Empty(t, srv.Violations())
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
		require.NoError(t, err)
	}
	assert.Len(t, srv.Records(), workers*flushes*25)
	assert.Equal(t, int64(workers*flushes*25), in.Totals().Enriched)
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
						assert.NoError(t, in.Flush(context.Background(), "app", data))
					}
				}()
			}
			wg.Wait()
			assert.LessOrEqual(t, srv.MaxOpenConns(), conns, "Forward_Connections bounds the open connections")
			assert.Len(t, srv.Records(), 30)
		})
	}
}

func TestCloseBoundsPendingFlushes(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix", NoAck: true})
	cfg := DefaultConfig()
	cfg.ForwardAddress = srv.Addr()
	cfg.AckTimeout = time.Minute
	in, err := New(cfg, &logRecorder{}, nil)
	require.NoError(t, err)

	done := make(chan error, 1)
	go func() { done <- in.Flush(context.Background(), "app", chunk(knownLine)) }()
	require.Eventually(t, func() bool { return len(srv.Messages()) == 1 }, 5*time.Second, 10*time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	require.NoError(t, in.Close(ctx))
	assert.Less(t, time.Since(start), 3*time.Second)
	select {
	case err := <-done:
		assert.True(t, IsRetryable(err), "an unacknowledged flush must not report success: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("pending flush did not return after Close")
	}
	err = in.Flush(context.Background(), "app", chunk(knownLine))
	assert.ErrorIs(t, err, ErrClosed)
	assert.True(t, IsRetryable(err))
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"missing catalog file", func(c *Config) { c.CatalogFiles = []string{"/nonexistent/catalog.json"} }, "/nonexistent/catalog.json"},
		{"invalid config", func(c *Config) { c.MaxPayloadSize = 1 }, KeyMaxPayloadSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Sink = SinkStdout
			tt.mod(&cfg)
			_, err := New(cfg, nil, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestUnparsedRecordIsARecord(t *testing.T) {
	rec := unparsedRecord(nil, []byte{1, 2, 3}, time.Unix(1700000000, 5))
	n, err := msgpack.Skip(rec)
	require.NoError(t, err)
	assert.Equal(t, len(rec), n)
	js, err := msgpack.AppendRecordJSON(nil, rec)
	require.NoError(t, err)
	assert.Contains(t, string(js), `"`+UnparsedKey+`":"AQID"`)
}

func TestIsRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"delivery failure", &DeliveryError{Tag: "t", Payload: 1, Err: &forward.RetryableError{Op: "write", Err: io.EOF}}, true},
		{"forward failure", &forward.RetryableError{Op: "dial", Err: io.EOF}, true},
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
