package output

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/enrich"
	"github.com/enrich-plugin/enrich/forward"
	"github.com/enrich-plugin/enrich/internal/msgpack"
)

// sendRecorder is a sink that keeps what it is sent.
type sendRecorder struct {
	payloads [][]byte
	counts   []int
}

func (s *sendRecorder) Send(_ context.Context, _ string, entries []byte, count int) error {
	s.payloads = append(s.payloads, bytes.Clone(entries))
	s.counts = append(s.counts, count)
	return nil
}

func (s *sendRecorder) Close(context.Context) error { return nil }

// TestDeliverBoundaries checks the payloads deliver sends against an independent parse of the
// whole chunk's rewrite: every record travels once, whole and in order, in payloads of at most
// the limit (a larger record alone), and what is not a record travels wrapped. The flush
// holds a few payloads, not the enriched chunk.
func TestDeliverBoundaries(t *testing.T) {
	tail := record(knownLine)
	tail = append(append(tail[:12:12], 0xdf, 0, 0, 0, 0, 0xdf, 0, 0, 0, 1), tail[14:]...)
	longest := longestFTDLine(t)
	tests := []struct {
		name        string
		chunk       []byte
		limit       int
		wantWrapped int
	}{
		{"one payload", chunk(knownLine, unknownLine, noIDLine), DefaultMaxPayloadSize, 0},
		{"a payload per record", chunk(knownLine, unknownLine, noIDLine, knownLine), MinMaxPayloadSize, 0},
		{"tail-style records", bytes.Repeat(tail, 50), 4 << 10, 0},
		{"more records than payloads a flush may send", chunk(repeat(knownLine, 2400)...), MinMaxPayloadSize, 0},
		{"records and other items alternating", bytes.Repeat(append(chunk(knownLine), 0x92, 0x01, 0xa1, 'x'), 1500), MinMaxPayloadSize, 1500},
		{"not a record in between", append(append(chunk(knownLine), 0x92, 0x01, 0xa1, 'x'), chunk(noIDLine)...), DefaultMaxPayloadSize, 1},
		{"runs of other items over pieces", bytes.Repeat(append(chunk(knownLine), bytes.Repeat([]byte{0x92, 0x01, 0xa1, 'x'}, 300)...), 50), MinMaxPayloadSize, 50},
		{"malformed rest", append(chunk(knownLine, noIDLine), record(knownLine)[:20]...), DefaultMaxPayloadSize, 1},
		{"truncated body map", append(chunk(knownLine), record(knownLine)[:16]...), DefaultMaxPayloadSize, 1},
		{"short lines that gain long texts", chunk(repeat(longest, 20000)...), DefaultMaxPayloadSize, 0},
		{"plain records, then ones that gain long texts", chunk(append(repeat(noIDLine, 20000), repeat(longest, 3000)...)...), MinMaxPayloadSize, 0},
	}
	engine := defaultEngine(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.MaxPayloadSize = tt.limit
			var got sendRecorder
			in := newInstance(cfg, nil, nil, &got)
			// The records of the whole chunk's rewrite, found by parsing it from the start.
			out, _, rerr := engine.Rewrite(nil, tt.chunk)
			var want [][]byte
			var other []byte // what is not a record, in order
			largest := 0
			for off := 0; off < len(out); {
				n, err := msgpack.Skip(out[off:])
				if err != nil {
					other = append(other, out[off:]...)
					break
				}
				if msgpack.IsForwardEntry(out[off : off+n]) {
					want, largest = append(want, out[off:off+n]), max(largest, n)
				} else {
					other = append(other, out[off:off+n]...)
				}
				off += n
			}
			fb := in.bufs.Get().(*flushBuffer)
			initial := cap(fb.out)
			payloads, wrapped, derr, err := in.deliver(context.Background(), "t", engine, tt.chunk, fb)
			if err != nil || (derr == nil) != (rerr == nil) {
				t.Fatalf("deliver: %v, engine error %v; Rewrite's %v", err, derr, rerr)
			}
			if wrapped != tt.wantWrapped {
				t.Errorf("%d wrapped runs, want %d", wrapped, tt.wantWrapped)
			}
			if payloads != len(got.payloads) {
				t.Errorf("deliver reports %d payloads, the sink got %d", payloads, len(got.payloads))
			}
			// A threaded in_forward queues 1024 messages for the engine thread, which runs the flush.
			if payloads > 1024 {
				t.Errorf("%d payloads in one flush, more than in_forward queues while it runs", payloads)
			}
			// A limit that would make too many payloads grows with the output, which the flush
			// estimates: here at twice its size at most.
			limit := func(i int) int { return payloadLimit(tt.limit, 2*len(out), i) }
			if held := cap(fb.out); held > max(initial, 4*(limit(payloads)+largest)) {
				t.Errorf("the flush held %d bytes for an output of %d; want a few payloads of %d at most", held, len(out), limit(payloads))
			}
			records := got.payloads
			if wrapped > 0 {
				records = records[:len(records)-1]
				if n := got.counts[len(got.counts)-1]; n != wrapped {
					t.Errorf("the last payload counts %d records, want the %d wrapped runs", n, wrapped)
				}
				if n, raw := checkEntries(t, got.payloads[len(got.payloads)-1]); n != wrapped || !bytes.Equal(bytes.Join(raw, nil), other) {
					t.Errorf("the last payload wraps %d runs of %d bytes in all, want %d runs of the %d bytes that are not records",
						n, len(bytes.Join(raw, nil)), wrapped, len(other))
				}
			}
			var sent [][]byte
			for i, p := range records {
				if limit := limit(i); got.counts[i] > 1 && len(p) > limit {
					t.Errorf("payload %d of %d records is %d bytes, more than the limit %d", i+1, got.counts[i], len(p), limit)
				}
				n := 0
				for off := 0; off < len(p); n++ {
					end, err := msgpack.Skip(p[off:])
					if err != nil {
						t.Fatalf("payload %d: %v", i+1, err)
					}
					sent = append(sent, p[off:off+end])
					off += end
				}
				if n != got.counts[i] {
					t.Errorf("payload %d holds %d records, its count says %d", i+1, n, got.counts[i])
				}
			}
			if !reflect.DeepEqual(sent, want) {
				t.Errorf("%d records sent, want %d in the same order", len(sent), len(want))
			}
		})
	}
}

// longestFTDLine returns a short line naming the Threat Defense entry with the longest text.
func longestFTDLine(t *testing.T) string {
	cat, err := catalog.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	id, size := "", 0
	for _, e := range cat.Entries() {
		if n := len(e.Explanation) + len(e.Action); e.Product == catalog.ProductFTD && n > size {
			id, size = e.ID, n
		}
	}
	return "%FTD-3-" + id + ": x"
}

// TestDeliveryErrorNamesCauses: a stall and a closed connection say what in_forward does
// that leads to them, which the bare errors do not.
func TestDeliveryErrorNamesCauses(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&forward.RetryableError{Op: "write", Err: fmt.Errorf("%w: read unix: i/o timeout", forward.ErrStalled)}, "lacks Threaded On"},
		{&forward.RetryableError{Op: "read ack", Err: fmt.Errorf("receiver closed the connection: %w", io.EOF)}, "larger than its Buffer_Max_Size"},
		{&forward.RetryableError{Op: "read ack", Err: &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}}, "larger than its Buffer_Max_Size"},
		{&forward.RetryableError{Op: "write", Err: &net.OpError{Op: "write", Err: os.NewSyscallError("write", syscall.EPIPE)}}, "larger than its Buffer_Max_Size"},
		{&forward.RetryableError{Op: "dial", Err: syscall.ECONNREFUSED}, ""},
		{&forward.RetryableError{Op: "tls handshake", Err: io.EOF}, "without tls on"},
		{&forward.RetryableError{Op: "handshake", Err: fmt.Errorf("read HELO: receiver closed the connection: %w", io.EOF)}, ""},
	}
	for _, tt := range tests {
		msg := (&DeliveryError{Tag: "enriched.app", Payload: 2, Bytes: 4500032, Err: tt.err}).Error()
		if !strings.Contains(msg, "deliver payload 2 (4500032 bytes)") || strings.Contains(msg, "in_forward") != (tt.want != "") ||
			!strings.Contains(msg, tt.want) {
			t.Errorf("%q, want it to name %q", msg, tt.want)
		}
	}
}

// cancelSink cancels the flush's context at its first Send, and then accepts every payload, as
// the stdout sink does whatever the context.
type cancelSink struct {
	sendRecorder
	cancel context.CancelFunc
}

func (s *cancelSink) Send(ctx context.Context, tag string, entries []byte, count int) error {
	s.cancel()
	return s.sendRecorder.Send(ctx, tag, entries, count)
}

// TestDeliverStopsWhenCancelled: a flush past Ack_Timeout, or aborted by Close, rewrites no
// further piece, even for a sink that does not watch the context.
func TestDeliverStopsWhenCancelled(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxPayloadSize = MinMaxPayloadSize
	ctx, cancel := context.WithCancel(context.Background())
	sink := &cancelSink{cancel: cancel}
	in := newInstance(cfg, nil, nil, sink)
	data := chunk(repeat(knownLine, 2000)...)
	payloads, _, _, err := in.deliver(ctx, "t", defaultEngine(t), data, in.bufs.Get().(*flushBuffer))
	if !errors.Is(err, context.Canceled) || !IsRetryable(err) || payloads != 1 || len(sink.payloads) != 1 {
		t.Errorf("deliver = %d payloads (the sink got %d), %v; want 1 and a retryable context.Canceled",
			payloads, len(sink.payloads), err)
	}
}

// TestDeliverFillsPayloadsToTheLimit: a payload may reach the limit exactly, so two records of
// half the limit each travel together.
func TestDeliverFillsPayloadsToTheLimit(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxPayloadSize = 2 * len(record(noIDLine)) // records without an ID pass unchanged
	var got sendRecorder
	in := newInstance(cfg, nil, nil, &got)
	payloads, _, _, err := in.deliver(context.Background(), "t", defaultEngine(t), chunk(repeat(noIDLine, 4)...), in.bufs.Get().(*flushBuffer))
	if want := []int{2, 2}; err != nil || payloads != 2 || !reflect.DeepEqual(got.counts, want) {
		t.Errorf("deliver = %d payloads of %v records, %v; want %v", payloads, got.counts, err, want)
	}
}

// TestPayloadLimit: payloads grow past Max_Payload_Size only to keep a flush's payloads
// few, and then to maxGrownPayload at most.
func TestPayloadLimit(t *testing.T) {
	tests := []struct {
		size, estimate, payloads, want int
	}{
		{DefaultMaxPayloadSize, 2_000_000, 0, DefaultMaxPayloadSize},
		{MinMaxPayloadSize, 2_000_000, 0, 2_000_000 / payloadsPerFlush},
		{MinMaxPayloadSize, 2_000_000, payloadsPerFlush, 2 * (2_000_000 / payloadsPerFlush)},
		{MinMaxPayloadSize, 2_000_000, 2 * payloadsPerFlush, 4 * (2_000_000 / payloadsPerFlush)},
		{DefaultMaxPayloadSize, 2_000_000_000, 0, maxGrownPayload},
		{MinMaxPayloadSize, 300_000_000, 1000 * payloadsPerFlush, maxGrownPayload},
		{MaxMaxPayloadSize, 2_000_000_000, 0, MaxMaxPayloadSize},
		// The figures the README gives: more than 256 payloads, up to 4,000,000 bytes.
		{MinMaxPayloadSize, 2_560_000, 0, 10_000},
		{MinMaxPayloadSize, 2_000_000_000, 0, 4_000_000},
	}
	for _, tt := range tests {
		if got := payloadLimit(tt.size, tt.estimate, tt.payloads); got != tt.want {
			t.Errorf("payloadLimit(%d, %d, %d) = %d, want %d", tt.size, tt.estimate, tt.payloads, got, tt.want)
		}
	}
}

// defaultEngine is the engine of an instance with the default configuration.
func defaultEngine(tb testing.TB) *enrich.Engine {
	tb.Helper()
	cfg := DefaultConfig()
	cfg.Sink = SinkStdout
	in, err := New(cfg, nil, io.Discard)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return in.current.Load().eng
}
