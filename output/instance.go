package output

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/enrich"
	"github.com/enrich-plugin/enrich/forward"
	"github.com/enrich-plugin/enrich/internal/msgpack"
	"github.com/enrich-plugin/enrich/report"
)

// Logger receives an instance's log lines. The plugin's implementation
// writes them through Fluent Bit's logger and formats a line only when the
// instance's log level lets it through, so debug lines cost nothing when
// they are off. An instance logs at most a few lines per flush, never one per
// record.
type Logger interface {
	Errorf(format string, args ...any)
	Warnf(format string, args ...any)
	Infof(format string, args ...any)
	Debugf(format string, args ...any)
}

// ErrClosed is returned by Flush after Close: Fluent Bit should keep the
// chunk and retry it, which it does only until it stops.
var ErrClosed = errors.New("enrich output instance is closed")

// DeliveryError reports a chunk that was not completely delivered to the
// sink. Fluent Bit should retry the whole chunk; payloads of it that were
// delivered before the failure are then delivered again (at-least-once).
type DeliveryError struct {
	Tag     string // the tag the records were sent under
	Payload int    // 1-based number of the payload that failed
	Bytes   int    // size of that payload
	Err     error
}

// Error says which payload of which chunk failed and why.
func (e *DeliveryError) Error() string {
	return fmt.Sprintf("deliver payload %d (%d bytes) of chunk with tag %q: %v", e.Payload, e.Bytes, e.Tag, e.Err)
}

// Unwrap returns the sink's error, so that errors.Is and errors.As see it.
func (e *DeliveryError) Unwrap() error { return e.Err }

// IsRetryable reports whether Fluent Bit should retry the chunk whose Flush
// returned err. Delivery failures are retryable: dropping a chunk loses its
// records for good, while a retry at worst delivers them twice. A send the
// sink refused as invalid would fail the same way at every retry.
func IsRetryable(err error) bool {
	if errors.Is(err, forward.ErrInvalidArgument) {
		return false
	}
	var de *DeliveryError
	var fe *forward.RetryableError
	return errors.As(err, &de) || errors.As(err, &fe) || errors.Is(err, ErrClosed)
}

// sink delivers payloads of records: concatenated [[time, metadata], body]
// entries, the body of a Forward PackedForward message.
type sink interface {
	Send(ctx context.Context, tag string, entries []byte, count int) error
	Close(ctx context.Context) error
}

// maxPooledBuffer bounds the rewrite buffers kept for reuse, so that one
// huge chunk does not pin its memory for the life of the process.
const maxPooledBuffer = 8 << 20

// Instance is one configured enrich output. Flush is safe for concurrent
// use, as Fluent Bit's Workers option requires.
type Instance struct {
	cfg     Config
	log     Logger
	current atomic.Pointer[loaded]
	sink    sink
	bufs    sync.Pool
	// failing and refused are states of the Catalog_File files that did
	// not load once and twice in a row; bgDone is closed when the goroutine
	// checking them and reporting ends.
	failing, refused string
	bgDone           chan struct{}
	unknown          unknownReport

	// mu guards closed against a Flush that starts while Close runs; inflight
	// counts the flushes Close waits for.
	mu       sync.RWMutex
	closed   bool
	inflight sync.WaitGroup
	// abort cancels the sends still pending when Close gives up waiting.
	abort     context.Context
	abortSend context.CancelFunc

	loopLogged atomic.Bool
	totals     totals
	onStats    atomic.Pointer[func()]
}

// totals are the instance's counters since Init, logged at debug level once
// per flush and at info level on Close.
type totals struct {
	chunks, records, enriched, unknownID, noID, skipped atomic.Int64
	malformed, loops, payloads, failed, wrapped         atomic.Int64
	retries, reloads, reloadFailures                    atomic.Int64
	byProduct                                           [catalog.NumProducts]atomic.Int64
}

// Totals are an instance's counters since New.
type Totals struct {
	Chunks, Records, Enriched, UnknownID, NoID, Skipped int64
	// MalformedChunks had bytes that were not msgpack records; LoopChunks
	// carried the tag prefix already; FailedFlushes returned an error.
	MalformedChunks, LoopChunks, Payloads, FailedFlushes int64
	// Unparsed counts the runs of bytes passed on under UnparsedKey.
	Unparsed int64
	// Retries counts the flushes answered with a retryable error.
	Retries int64
	// EnrichedByProduct counts enriched records by the product of their
	// entry, by catalog.Product.Index.
	EnrichedByProduct [catalog.NumProducts]int64
	// CatalogEntries is the size of the catalog in use; CatalogReloads and
	// CatalogReloadFailures count the Catalog_File reloads that took effect
	// and that were refused.
	CatalogEntries                        int64
	CatalogReloads, CatalogReloadFailures int64
}

// Totals returns the instance's counters.
func (in *Instance) Totals() Totals {
	t := &in.totals
	tt := Totals{
		Chunks: t.chunks.Load(), Records: t.records.Load(), Enriched: t.enriched.Load(),
		UnknownID: t.unknownID.Load(), NoID: t.noID.Load(), Skipped: t.skipped.Load(),
		MalformedChunks: t.malformed.Load(), LoopChunks: t.loops.Load(),
		Payloads: t.payloads.Load(), FailedFlushes: t.failed.Load(), Unparsed: t.wrapped.Load(),
		Retries: t.retries.Load(), CatalogReloads: t.reloads.Load(), CatalogReloadFailures: t.reloadFailures.Load(),
	}
	if cat := in.current.Load().cat; cat != nil {
		tt.CatalogEntries = int64(cat.Len())
	}
	for i := range t.byProduct {
		tt.EnrichedByProduct[i] = t.byProduct[i].Load()
	}
	return tt
}

// OnStats registers fn, called after each flush and each catalog reload
// attempt, when the counters may have moved: the plugin publishes them to
// Fluent Bit's metrics from there.
func (in *Instance) OnStats(fn func()) { in.onStats.Store(&fn) }

func (in *Instance) notify() {
	if fn := in.onStats.Load(); fn != nil {
		(*fn)()
	}
}

func (t *totals) String() string {
	return fmt.Sprintf("chunks=%d records=%d enriched=%d unknown_id=%d no_id=%d skipped=%d malformed_chunks=%d unparsed=%d loop_chunks=%d payloads=%d failed_flushes=%d",
		t.chunks.Load(), t.records.Load(), t.enriched.Load(), t.unknownID.Load(), t.noID.Load(), t.skipped.Load(),
		t.malformed.Load(), t.wrapped.Load(), t.loops.Load(), t.payloads.Load(), t.failed.Load())
}

// New loads the catalogs, builds the engine and the sink of an instance and
// logs its effective configuration once. The stdout sink writes to stdout
// (os.Stdout when nil); log may be nil to discard the log lines. The
// forward sink connects on the first flush, so New succeeds while the
// in_forward listener is not up yet.
func New(cfg Config, log Logger, stdout io.Writer) (*Instance, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = discard{}
	}
	cur, err := load(cfg.CatalogFiles, cfg.Engine)
	if err != nil {
		return nil, err
	}
	var s sink
	switch cfg.Sink {
	case SinkStdout:
		if stdout == nil {
			stdout = os.Stdout
		}
		s = &stdoutSink{w: stdout}
	default:
		fc := forward.Config{
			Address:      cfg.ForwardAddress,
			SharedKey:    cfg.SharedKey,
			TLS:          cfg.TLS,
			TLSCAFile:    cfg.TLSCAFile,
			TLSVerify:    cfg.TLSVerify,
			AckTimeout:   cfg.AckTimeout,
			MaxConns:     cfg.ForwardConns,
			StallTimeout: stallTimeout(cfg.StallTimeout),
		}
		client, err := forward.NewClient(fc)
		if err != nil {
			return nil, fmt.Errorf("%w: %s %q: %w", ErrInvalidConfig, KeyForwardAddress, cfg.ForwardAddress, err)
		}
		s = client
	}
	in := newInstance(cfg, log, cur.eng, s)
	in.current.Store(cur)
	log.Infof("effective configuration: %s; catalog %s with %d entries", cfg.String(), cur.cat.Version(), cur.cat.Len())
	if in.refreshEvery() > 0 || cfg.ReportInterval > 0 {
		in.bgDone = make(chan struct{})
		go in.background()
	}
	return in, nil
}

func newInstance(cfg Config, log Logger, eng *enrich.Engine, s sink) *Instance {
	in := &Instance{cfg: cfg, log: log, sink: s, unknown: unknownReport{top: report.New(cfg.ReportTop)}}
	in.current.Store(&loaded{eng: eng})
	in.abort, in.abortSend = context.WithCancel(context.Background())
	return in
}

// Config returns the instance's configuration.
func (in *Instance) Config() Config { return in.cfg }

// Flush enriches one chunk (concatenated msgpack records, as Fluent Bit
// flushes them) and delivers it to the sink under the tag prefix + tag,
// split at record boundaries into payloads of about Max_Payload_Size. It
// returns nil only when every payload was delivered (for the forward sink:
// acknowledged), and otherwise an error for which IsRetryable is true. data
// is read only during the call.
//
// The whole flush, every payload's connection, send and acknowledgement
// included, is bounded by Ack_Timeout, so that a flush never holds a
// Fluent Bit worker longer than that.
//
// With the forward sink, a chunk whose tag already carries the prefix is
// the plugin's own output coming back: it is neither enriched nor sent
// again, and the loop is logged once per instance. The stdout sink hands
// nothing back, so it has no loop to break.
func (in *Instance) Flush(ctx context.Context, tag string, data []byte) error {
	if !in.enter() {
		return ErrClosed
	}
	defer in.inflight.Done()
	defer in.notify()
	ctx, cancel := context.WithTimeout(ctx, in.cfg.AckTimeout)
	defer cancel()
	stop := context.AfterFunc(in.abort, cancel)
	defer stop()

	in.totals.chunks.Add(1)
	if in.cfg.Sink == SinkForward && strings.HasPrefix(tag, in.cfg.TagPrefix) {
		in.loop(tag, data)
		return nil
	}

	fb := in.buffer()
	defer in.release(fb)
	fb.split.Ends, fb.split.Unknown = fb.split.Ends[:0], fb.split.Unknown[:0]
	out, c, err := in.current.Load().eng.RewriteSplit(fb.out[:0], data, &fb.split)
	fb.out = out
	ends := fb.split.Ends
	in.noteUnknown(fb.split.Unknown)
	for i, n := range c.EnrichedBy {
		in.totals.byProduct[i].Add(int64(n))
	}
	in.totals.records.Add(int64(c.Records))
	in.totals.enriched.Add(int64(c.Enriched))
	in.totals.unknownID.Add(int64(c.UnknownID))
	in.totals.noID.Add(int64(c.NoID))
	in.totals.skipped.Add(int64(c.Skipped))
	// One warning per flush at most: what could not be parsed, or that the
	// chunk was not delivered.
	var note string
	// Rewrite's only error is enrich.ErrMalformed: it appended the part it
	// could not parse verbatim as the last item, which is passed on rather
	// than dropped, and must not travel as a record.
	restIsRaw := err != nil
	if restIsRaw {
		in.totals.malformed.Add(1)
		note = fmt.Sprintf("chunk with tag %q is partly malformed (%v); ", tag, err)
	}

	outTag := in.cfg.TagPrefix + tag
	payloads, wrapped, err := in.deliver(ctx, outTag, out, ends, restIsRaw)
	in.totals.payloads.Add(int64(payloads))
	in.totals.wrapped.Add(int64(wrapped))
	if wrapped > 0 {
		note += fmt.Sprintf("%d runs of bytes that are not records are passed on under %s; ", wrapped, UnparsedKey)
	}
	if err != nil {
		in.totals.failed.Add(1)
		in.totals.retries.Add(1)
		in.log.Warnf("%schunk with tag %q not delivered, Fluent Bit will retry it: %v", note, tag, err)
		return err
	}
	if note != "" {
		in.log.Warnf("%srecords=%d enriched=%d skipped=%d", note, c.Records, c.Enriched, c.Skipped)
	}
	in.log.Debugf("flushed tag %q: records=%d enriched=%d unknown_id=%d no_id=%d skipped=%d payloads=%d; totals %s",
		tag, c.Records, c.Enriched, c.UnknownID, c.NoID, c.Skipped, payloads, &in.totals)
	return nil
}

// enter registers a flush unless the instance is closed.
func (in *Instance) enter() bool {
	in.mu.RLock()
	defer in.mu.RUnlock()
	if in.closed {
		return false
	}
	in.inflight.Add(1)
	return true
}

// loop handles a chunk of records this plugin already enriched. Sending
// them again would put them back into the same routes forever, and
// in_forward has already routed them to every output that matches their
// tag, so dropping them here loses nothing the pipeline would deliver.
func (in *Instance) loop(tag string, data []byte) {
	in.totals.loops.Add(1)
	if in.loopLogged.CompareAndSwap(false, true) {
		in.log.Errorf("records with tag %q already carry the prefix %q: this output's Match also matches the records it hands back. "+
			"They are not enriched or sent again (logged once). Fix: give the enrich output a Match that excludes %s*, such as Match_Regex ^(?!%s).*",
			tag, in.cfg.TagPrefix, in.cfg.TagPrefix, strings.ReplaceAll(in.cfg.TagPrefix, ".", `\.`))
	}
	in.log.Debugf("chunk with tag %q (%d bytes) not handed back: loop; totals %s", tag, len(data), &in.totals)
}

// deliver sends out in payloads of about MaxPayloadSize bytes, cut at record
// boundaries; a record larger than that travels alone. ends are the offsets
// where the items of out end, as RewriteSplit reports them, so that out is
// not parsed a second time; restIsRaw says that the last item is the
// unparsed rest of a malformed chunk. Items that are not Forward entries (values that are not
// [time, map] records, or that unparsable rest) would make the receiver
// refuse the whole payload, and so the chunk would be retried forever: each
// run of them travels instead, byte for byte, inside one record of its own
// (see unparsedRecord), in a last payload after the records. deliver stops
// at the first payload that fails and reports how many runs it wrapped.
func (in *Instance) deliver(ctx context.Context, tag string, out []byte, ends []int, restIsRaw bool) (payloads, wrapped int, err error) {
	limit := in.cfg.MaxPayloadSize
	send := func(p []byte, count int) error {
		payloads++
		if err := in.sink.Send(ctx, tag, p, count); err != nil {
			return &DeliveryError{Tag: tag, Payload: payloads, Bytes: len(p), Err: err}
		}
		return nil
	}
	var extra []byte
	var now time.Time
	start, off, count, run := 0, 0, 0, -1
	endRun := func(end int) {
		if run >= 0 {
			if now.IsZero() {
				now = time.Now()
			}
			extra = unparsedRecord(extra, out[run:end], now)
			wrapped++
			run = -1
		}
	}
	for i := 0; off < len(out); i++ {
		var n int
		var err error
		switch {
		case i >= len(ends) || ends[i] <= off || ends[i] > len(out):
			// Not what RewriteSplit reports; the rest cannot be trusted
			// to be records.
			err = errBadBoundary
		default:
			n = ends[i] - off
			if restIsRaw && i == len(ends)-1 {
				err = errBadBoundary
			}
		}
		if err != nil {
			n = len(out) - off
		}
		if err != nil || !msgpack.IsForwardEntry(out[off:off+n]) {
			if count > 0 {
				if err := send(out[start:off], count); err != nil {
					return payloads, wrapped, err
				}
				count = 0
			}
			if run < 0 {
				run = off
			}
			off += n
			continue
		}
		endRun(off)
		if count > 0 && off+n-start > limit {
			if err := send(out[start:off], count); err != nil {
				return payloads, wrapped, err
			}
			count = 0
		}
		if count == 0 {
			start = off
		}
		off += n
		count++
	}
	if count > 0 {
		if err := send(out[start:off], count); err != nil {
			return payloads, wrapped, err
		}
	}
	endRun(len(out))
	if wrapped > 0 {
		if err := send(extra, wrapped); err != nil {
			return payloads, wrapped, err
		}
	}
	return payloads, wrapped, nil
}

// errBadBoundary marks an item deliver does not treat as a record.
var errBadBoundary = errors.New("not a complete record")

// The keys of the record that carries bytes of a chunk that are not
// msgpack records.
const (
	UnparsedKey      = "enrich_unparsed_base64"
	UnparsedErrorKey = "enrich_error"
	unparsedReason   = "bytes of a Fluent Bit chunk that are not msgpack records, passed on unchanged in base64"
)

// unparsedRecord appends [[now, {}], {UnparsedKey: base64(rest),
// UnparsedErrorKey: reason}]: a record any receiver accepts, so that the
// bytes reach the destination instead of being dropped or retried forever.
func unparsedRecord(dst, rest []byte, now time.Time) []byte {
	dst = msgpack.AppendMapHeader(msgpack.AppendEntryHead(dst, now), 2)
	dst = msgpack.AppendStr(dst, UnparsedKey)
	dst = msgpack.AppendStr(dst, base64.StdEncoding.EncodeToString(rest))
	dst = msgpack.AppendStr(dst, UnparsedErrorKey)
	return msgpack.AppendStr(dst, unparsedReason)
}

// flushBuffer holds what one flush rewrites: the records and where each
// ends. Flushes reuse them, so that a steady stream of chunks does not
// allocate a chunk-sized buffer each time.
type flushBuffer struct {
	out   []byte
	split enrich.Split
}

func (in *Instance) buffer() *flushBuffer {
	if fb, ok := in.bufs.Get().(*flushBuffer); ok {
		return fb
	}
	return &flushBuffer{out: make([]byte, 0, 64<<10)}
}

func (in *Instance) release(fb *flushBuffer) {
	if cap(fb.out) > maxPooledBuffer {
		return
	}
	clear(fb.split.Unknown) // they point into the chunk
	in.bufs.Put(fb)
}

// Close stops the instance: new flushes fail with ErrClosed, flushes in
// progress get until ctx is done to finish, then their sends are cancelled
// (they return retryable errors, so nothing they had not delivered is
// reported delivered). It then closes the sink and logs the totals.
func (in *Instance) Close(ctx context.Context) error {
	in.mu.Lock()
	already := in.closed
	in.closed = true
	in.mu.Unlock()
	if already {
		return nil
	}
	done := make(chan struct{})
	go func() {
		in.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		in.abortSend()
		// A cancelled send returns at once; the bound only keeps Close from
		// hanging on a sink that ignores cancellation.
		timer := time.NewTimer(time.Second)
		select {
		case <-done:
		case <-timer.C:
			in.log.Warnf("closing with flushes still in progress")
		}
		timer.Stop()
	}
	in.abortSend()
	if in.bgDone != nil {
		<-in.bgDone
	}
	if ctx.Err() != nil {
		// The deadline is spent: sends still running were cancelled above.
		// Give the sink a moment of its own to close its connections,
		// which also ends any send that ignored the cancellation.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), time.Second)
		defer cancel()
	}
	err := in.sink.Close(ctx)
	in.report(true)
	in.log.Infof("closed; totals %s", &in.totals)
	if err != nil {
		return fmt.Errorf("close %s sink: %w", in.cfg.Sink, err)
	}
	return nil
}

// stallTimeout maps Stall_Timeout to the forward client's setting, where
// a negative value, not 0, turns the check off.
func stallTimeout(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// discard is the Logger used when New is given none.
type discard struct{}

func (discard) Errorf(string, ...any) {}
func (discard) Warnf(string, ...any)  {}
func (discard) Infof(string, ...any)  {}
func (discard) Debugf(string, ...any) {}
