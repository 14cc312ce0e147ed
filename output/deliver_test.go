package output

import (
	"bytes"
	"context"
	"encoding/binary"
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
		// A run of a byte wraps into a record of about 140: their payloads keep to the limit too.
		{"a run between every two records", bytes.Repeat(append(record(""), 0xc0), 2_000_000/(len(record(""))+1)), DefaultMaxPayloadSize, 2_000_000 / (len(record("")) + 1)},
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
			// A threaded in_forward queues 1024 messages for the engine thread, which runs the flush;
			// estimating the output, wrapped runs included, the flush makes about 2*payloadsPerFlush+2
			// payloads at most.
			if most := 2*payloadsPerFlush + 2; payloads > most {
				t.Errorf("%d payloads in one flush, want %d at most, well below what in_forward queues while it runs", payloads, most)
			}
			// A limit that would make too many payloads grows with the output, which the flush
			// estimates: here at twice its size at most.
			limit := func(i int) int { return payloadLimit(tt.limit, 2*len(out), i) }
			if held := cap(fb.out); held > max(initial, 4*(limit(payloads)+largest)) {
				t.Errorf("the flush held %d bytes for an output of %d; want a few payloads of %d at most", held, len(out), limit(payloads))
			}
			// The records travel as they are, the wrapped runs in payloads of their own.
			var sent, raw [][]byte
			runs := 0
			for i, p := range got.payloads {
				if limit := limit(i); got.counts[i] > 1 && len(p) > limit {
					t.Errorf("payload %d of %d records is %d bytes, more than the limit %d", i+1, got.counts[i], len(p), limit)
				}
				n, r := checkEntries(t, p)
				if n != got.counts[i] {
					t.Errorf("payload %d holds %d records, its count says %d", i+1, n, got.counts[i])
				}
				if len(r) > 0 {
					if len(r) != n {
						t.Errorf("payload %d holds %d wrapped runs among %d records", i+1, len(r), n)
					}
					runs, raw = runs+len(r), append(raw, r...)
					continue
				}
				for off := 0; off < len(p); {
					end, _ := msgpack.Skip(p[off:]) // checkEntries read them
					sent, off = append(sent, p[off:off+end]), off+end
				}
			}
			if runs != wrapped || !bytes.Equal(bytes.Join(raw, nil), other) {
				t.Errorf("%d runs of %d bytes in all wrapped, want %d runs of the %d bytes that are not records",
					runs, len(bytes.Join(raw, nil)), wrapped, len(other))
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
		{&forward.RetryableError{Op: "write", Err: fmt.Errorf("%w: read unix: i/o timeout", forward.ErrStalled)}, "Mem_Buf_Limit"},
		// Past the handshake, HELO was received: tls on is not a cause.
		{&forward.RetryableError{Op: "read ack", Err: fmt.Errorf("%w: read unix: i/o timeout", forward.ErrStalled)}, "lacks Threaded On)"},
		{&forward.RetryableError{Op: "read ack", Err: fmt.Errorf("receiver closed the connection: %w", io.EOF)}, "larger than its Buffer_Max_Size"},
		{&forward.RetryableError{Op: "read ack", Err: &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}}, "larger than its Buffer_Max_Size"},
		{&forward.RetryableError{Op: "write", Err: &net.OpError{Op: "write", Err: os.NewSyscallError("write", syscall.EPIPE)}}, "larger than its Buffer_Max_Size"},
		// The probe is an empty message: no size is a cause.
		{&forward.RetryableError{Op: "probe", Err: &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}}, "when it stops or pauses; at once with tls on"},
		{&forward.RetryableError{Op: "dial", Err: syscall.ECONNREFUSED}, ""},
		{&forward.RetryableError{Op: "tls handshake", Err: io.EOF}, "without tls on closes the connection at the TLS handshake, and so does one that is stopping)"},
		// A connection that failed otherwise was not closed by in_forward.
		{&forward.RetryableError{Op: "tls handshake", Err: errors.New("tls: failed to verify certificate: x509: certificate signed by unknown authority")}, ""},
		{&forward.RetryableError{Op: "read ack", Err: &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ETIMEDOUT)}}, ""},
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
	var de *DeliveryError
	if !errors.Is(err, context.Canceled) || !IsRetryable(err) || payloads != 1 || len(sink.payloads) != 1 ||
		!errors.As(err, &de) || de.Payload != 2 {
		t.Errorf("deliver = %d payloads (the sink got %d), %v; want 1 and a retryable context.Canceled for payload 2",
			payloads, len(sink.payloads), err)
	}
}

// TestDeliveryErrorNumbersThePayload: the error of a payload the sink refuses names it by its
// number in the flush, counted from 1.
func TestDeliveryErrorNumbersThePayload(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxPayloadSize = MinMaxPayloadSize
	in := newInstance(cfg, nil, nil, &failSink{errs: []error{nil, io.ErrClosedPipe}})
	_, _, _, err := in.deliver(context.Background(), "t", defaultEngine(t), chunk(repeat(knownLine, 20)...), in.bufs.Get().(*flushBuffer))
	var de *DeliveryError
	if !errors.As(err, &de) || de.Payload != 2 || !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("deliver = %v, want the sink's error for payload 2", err)
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
		// Doubled eight times at most: 2,560,000 / 256 = 10,000 bytes, then 2,560,000.
		{MinMaxPayloadSize, 2_560_000, 8 * payloadsPerFlush, 2_560_000},
		{MinMaxPayloadSize, 2_560_000, 9 * payloadsPerFlush, 2_560_000},
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

// markerRecord encodes a group start (resource named name) or, with name "", a group end, as
// the opentelemetry input writes them: with 32-bit map headers, or with fixmaps and the ext8
// time when small.
func markerRecord(name string, small bool) []byte {
	sec, pairs := uint32(0xFFFFFFFE), 0
	if name != "" {
		sec, pairs = 0xFFFFFFFF, 1
	}
	b := []byte{0x92, 0x92, 0xd7, 0x00}
	if small {
		b = []byte{0x92, 0x92, 0xc7, 0x08, 0x00}
	}
	b = binary.BigEndian.AppendUint64(b, uint64(sec)<<32)
	for _, key := range []string{"resource_id", "service.name"} {
		if small {
			b = msgpack.AppendMapHeader(b, pairs)
		} else {
			b = binary.BigEndian.AppendUint32(append(b, 0xdf), uint32(pairs))
		}
		if name != "" {
			b = msgpack.AppendStr(msgpack.AppendStr(b, key), name)
		}
	}
	return b
}

// TestDeliverKeepsGroups: in_forward may store each payload in a chunk of its own, so every
// payload holds its groups whole, each record in the group it was in: a payload that starts
// inside a group repeats its start record, one cut inside a group ends it.
func TestDeliverKeepsGroups(t *testing.T) {
	end := markerRecord("", false)
	type groupCase struct {
		name  string
		chunk [][]byte
	}
	tests := []groupCase{
		{"a group over many payloads", [][]byte{markerRecord("a", false), chunk(repeat(knownLine, 30)...), end}},
		{"groups between records", [][]byte{chunk(repeat(noIDLine, 5)...), markerRecord("a", false), chunk(repeat(knownLine, 7)...), end,
			chunk(repeat(unknownLine, 9)...), markerRecord("bb", true), chunk(repeat(noIDLine, 11)...), markerRecord("", true), chunk(knownLine)}},
		{"groups one after another", [][]byte{markerRecord("a", false), chunk(knownLine, noIDLine), end, markerRecord("b", false), chunk(repeat(knownLine, 4)...), end}},
		// Fluent Bit's decoder reads an integer time as an ordinary record's, however large.
		{"integer times are no markers", [][]byte{{0x92, 0x92, 0xce, 0xff, 0xff, 0xff, 0xff, 0x80, 0x81, 0xa1, 'r', 0xa1, 'c'}, chunk(repeat(knownLine, 30)...),
			{0x92, 0x92, 0xce, 0xff, 0xff, 0xff, 0xfe, 0x80, 0x80}}},
		// Nor are 64-bit integer or float times of a marker's seconds, or an EventTime next to them.
		// (One of a marker's seconds with nanoseconds is refused: see TestFlushMalformedChunk.)
		{"other times are no markers", [][]byte{{0x92, 0x92, 0xcf, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x80, 0x81, 0xa1, 'r', 0xa1, 'c'},
			{0x92, 0x92, 0xcb, 0x41, 0xef, 0xff, 0xff, 0xff, 0xe0, 0, 0, 0x80, 0x81, 0xa1, 'r', 0xa1, 'd'},
			{0x92, 0x92, 0xd7, 0x00, 0xff, 0xff, 0xff, 0xfd, 0, 0, 0, 1, 0x80, 0x81, 0xa1, 'r', 0xa1, 'e'}, chunk(repeat(knownLine, 30)...),
			{0x92, 0x92, 0xcb, 0x41, 0xef, 0xff, 0xff, 0xff, 0xc0, 0, 0, 0x80, 0x80}}},
		// The chunk's last payload leaves its group open as the chunk does: no end is made up.
		{"a chunk that ends inside a group", [][]byte{chunk(knownLine), markerRecord("a", false), chunk(repeat(knownLine, 30)...)}},
	}
	// Groups at every offset from the cuts: a cut right after a start or right before an end
	// would leave a payload a group without records. With long records, a start record and its
	// first record fill a payload alone.
	long := knownLine + strings.Repeat(" x", 300)
	for k := range 24 {
		for _, line := range []string{knownLine, long} {
			tests = append(tests, groupCase{fmt.Sprintf("a group of %d-byte records after %d short records", len(line), k), [][]byte{chunk(repeat(noIDLine, k)...),
				markerRecord("a", false), chunk(repeat(line, 3)...), chunk(repeat(noIDLine, k%7)...), end, chunk(repeat(noIDLine, 30)...)}})
		}
	}
	// A group start after a group left open (a sender's message that ended inside it): a payload
	// that starts with it does not repeat the open group's start first.
	for k := range 40 {
		tests = append(tests, groupCase{fmt.Sprintf("a group start after %d records of a group left open", k+1), [][]byte{markerRecord("a", false),
			chunk(repeat(noIDLine, k+1)...), markerRecord("b", false), chunk(repeat(noIDLine, 3)...), end, chunk(repeat(noIDLine, 60)...)}})
	}
	engine := defaultEngine(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := bytes.Join(tt.chunk, nil)
			cfg := DefaultConfig()
			cfg.MaxPayloadSize = MinMaxPayloadSize
			var got sendRecorder
			in := newInstance(cfg, nil, nil, &got)
			if _, _, _, err := in.deliver(context.Background(), "t", engine, data, in.bufs.Get().(*flushBuffer)); err != nil || len(got.payloads) < 3 {
				t.Fatalf("deliver: %d payloads, %v; want 3 or more", len(got.payloads), err)
			}
			// Each record after the group start record it is in ("" outside), as Fluent Bit reads them.
			grouped := func(p []byte) (recs []string, open bool, entries, empty int) {
				var group []byte
				inGroup := 0 // the records of the open group
				for off := 0; off < len(p); entries++ {
					n, err := msgpack.Skip(p[off:])
					if err != nil {
						t.Fatalf("payload: %v", err)
					}
					r := p[off : off+n]
					var sec []byte // an EventTime's seconds and nanoseconds: only they mark groups
					switch {
					case r[2] == 0xd7 && r[3] == 0x00:
						sec = r[4:12]
					case r[2] == 0xc7 && r[3] == 0x08 && r[4] == 0x00:
						sec = r[5:13]
					}
					switch {
					case bytes.Equal(sec, []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}):
						if group != nil && inGroup == 0 { // a start of a group without records
							empty++
						}
						group, inGroup = r, 0
					case bytes.Equal(sec, []byte{0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 0}):
						if group == nil || inGroup == 0 { // an end of no group, or of one without records
							empty++
						}
						group = nil
					default:
						recs, inGroup = append(recs, fmt.Sprintf("%x in %x", r, group)), inGroup+1
					}
					off += n
				}
				if group != nil && inGroup == 0 {
					empty++
				}
				return recs, group != nil, entries, empty
			}
			out, _, _ := engine.Rewrite(nil, data)
			want, wantOpen, _, _ := grouped(out)
			var sent []string
			for i, p := range got.payloads {
				recs, open, n, empty := grouped(p)
				if empty > 0 {
					t.Errorf("payload %d of %d holds %d groups without records, or ends of no group", i+1, len(got.payloads), empty)
				}
				if last := i == len(got.payloads)-1; open != (last && wantOpen) {
					t.Errorf("payload %d of %d leaves a group open: %v, want %v", i+1, len(got.payloads), open, last && wantOpen)
				}
				if n != got.counts[i] {
					t.Errorf("payload %d holds %d records, its count says %d", i+1, n, got.counts[i])
				}
				// Only the group records a payload repeats or adds, or a record alone, pass the limit.
				if limit := cfg.MaxPayloadSize + len(markerRecord("bb", false)) + len(end); len(recs) > 1 && len(p) > limit {
					t.Errorf("payload %d of %d holds %d records in %d bytes, want at most %d", i+1, len(got.payloads), len(recs), len(p), limit)
				}
				sent = append(sent, recs...)
			}
			if !reflect.DeepEqual(sent, want) {
				t.Errorf("%d records sent, want %d in the same order, each in its group", len(sent), len(want))
			}
		})
	}
}

// TestDeliverStdoutKeepsGroupsAsTheyAre: Sink stdout prints the records as the chunk holds them,
// so its payloads, cut inside a group, add no group records: together they are the rewrite.
func TestDeliverStdoutKeepsGroupsAsTheyAre(t *testing.T) {
	data := bytes.Join([][]byte{markerRecord("a", false), chunk(repeat(knownLine, 30)...), markerRecord("", false)}, nil)
	engine := defaultEngine(t)
	cfg := DefaultConfig()
	cfg.Sink, cfg.MaxPayloadSize = SinkStdout, MinMaxPayloadSize
	var got sendRecorder
	in := newInstance(cfg, nil, nil, &got)
	if _, _, _, err := in.deliver(context.Background(), "t", engine, data, in.bufs.Get().(*flushBuffer)); err != nil || len(got.payloads) < 3 {
		t.Fatalf("deliver: %d payloads, %v; want 3 or more", len(got.payloads), err)
	}
	count := 0
	for _, n := range got.counts {
		count += n
	}
	if want, _, _ := engine.Rewrite(nil, data); !bytes.Equal(bytes.Join(got.payloads, nil), want) || count != 32 {
		t.Errorf("the payloads hold %d records in %d bytes, want the rewrite's 32 in %d", count, len(bytes.Join(got.payloads, nil)), len(want))
	}
}

// TestDeliverStartsOutsideAGroup: a chunk's payloads repeat no start record of the group that
// the chunk the flush buffer delivered before left open.
func TestDeliverStartsOutsideAGroup(t *testing.T) {
	engine := defaultEngine(t)
	cfg := DefaultConfig()
	cfg.MaxPayloadSize = MinMaxPayloadSize
	var got sendRecorder
	in := newInstance(cfg, nil, nil, &got)
	fb := in.bufs.Get().(*flushBuffer)
	open := bytes.Join([][]byte{markerRecord("a", false), chunk(repeat(knownLine, 30)...)}, nil)
	next := bytes.Join([][]byte{markerRecord("b", false), chunk(knownLine), markerRecord("", false)}, nil)
	for _, data := range [][]byte{open, next} {
		got, fb.split = sendRecorder{}, enrich.Split{} // as Flush starts each chunk
		if _, _, _, err := in.deliver(context.Background(), "t", engine, data, fb); err != nil {
			t.Fatalf("deliver: %v", err)
		}
	}
	if want, _, _ := engine.Rewrite(nil, next); len(got.payloads) != 1 || !bytes.Equal(got.payloads[0], want) {
		t.Errorf("the next chunk's payloads: %x, want its rewrite %x alone", got.payloads, want)
	}
}
