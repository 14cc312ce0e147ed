package output

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/enrich"
	"github.com/enrich-plugin/enrich/forward"
	"github.com/enrich-plugin/enrich/internal/msgpack"
	"github.com/enrich-plugin/enrich/report"
)

// Logger receives an instance's log lines: a few per flush at most, never one per record.
type Logger interface {
	Errorf(format string, args ...any)
	Warnf(format string, args ...any)
	Infof(format string, args ...any)
	Debugf(format string, args ...any)
}

// ErrClosed is returned by Flush after Close; the chunk is to be retried.
var ErrClosed = errors.New("enrich output instance is closed")

// DeliveryError reports a chunk not completely delivered; all of it is retried (at-least-once).
type DeliveryError struct {
	Tag     string // the tag the records were sent under
	Payload int    // 1-based number of the payload that failed
	Bytes   int    // size of that payload
	TLS     bool   // Forward_TLS was on, so in_forward's tls on is not a cause
	Err     error
}

// Error says which payload of which chunk failed and why, with the likely causes on
// in_forward's side that the error alone does not name.
func (e *DeliveryError) Error() string {
	s := fmt.Sprintf("deliver payload %d (%d bytes) of chunk with tag %q: %v", e.Payload, e.Bytes, e.Tag, e.Err)
	var re *forward.RetryableError
	closed := errors.As(e.Err, &re) &&
		(errors.Is(re, io.EOF) || errors.Is(re, syscall.ECONNRESET) || errors.Is(re, syscall.EPIPE))
	// An in_forward with tls on waits for a ClientHello: it sends no HELO and drops what is not TLS.
	tlsOff := "with tls on and " + KeyForwardTLS + " off"
	switch {
	case errors.Is(e.Err, forward.ErrStalled):
		var noHelo string
		if re != nil && re.Op == "handshake" && !e.TLS {
			noHelo = ", or it sends no HELO " + tlsOff
		}
		return s + " (expected while a stop or reload pauses the loop back, or while in_forward's Mem_Buf_Limit or " +
			"storage.pause_on_chunks_overlimit does; at other times in_forward is overloaded, or it is this Fluent Bit's " +
			"own and lacks Threaded On" + noHelo + ")"
	case closed && re.Op == "tls handshake":
		return s + " (an in_forward without tls on closes the connection at the TLS handshake, and so does one that is stopping)"
	case closed && (re.Op == "probe" || re.Op == "write" || re.Op == "read ack"):
		var large, atOnce string
		if re.Op != "probe" { // the probe is an empty message
			large = ", and on a message larger than its Buffer_Max_Size, 6144000 bytes by default"
		}
		if !e.TLS {
			atOnce = "; at once " + tlsOff
		}
		return s + " (in_forward closes the connection when it stops or pauses" + large + atOnce + ")"
	}
	return s
}

// Unwrap returns the sink's error.
func (e *DeliveryError) Unwrap() error { return e.Err }

// IsRetryable reports whether Fluent Bit should retry the chunk whose Flush
// returned err: a delivery failure, except a send refused as invalid.
func IsRetryable(err error) bool {
	return !errors.Is(err, forward.ErrInvalidArgument) && (errors.Is(err, ErrClosed) || errors.As(err, new(*DeliveryError)))
}

// sink delivers payloads of concatenated [[time, metadata], body] entries.
type sink interface {
	Send(ctx context.Context, tag string, entries []byte, count int) error
	Close(ctx context.Context) error
}

// Instance is one configured enrich output; Flush is safe for concurrent use, as Workers requires.
type Instance struct {
	cfg              Config
	log              Logger
	current          atomic.Pointer[loaded]
	sink             sink
	bufs             sync.Pool
	failing, refused string // see refresh
	background       sync.WaitGroup
	later            [numLater]atomic.Pointer[func(Logger)] // see logLater

	// mu guards closed against a Flush starting while Close runs.
	mu        sync.RWMutex
	closed    bool
	inflight  sync.WaitGroup
	abort     context.Context // cancels the sends still pending when Close gives up
	abortSend context.CancelFunc

	noTextLogged atomic.Bool // records without a message key's text were logged, once

	loopLogged atomic.Bool
	countMu    sync.Mutex          // guards stats, onStats, unknown, reported, unwritten, sent and sentSize
	sent       map[string]struct{} // tags handed back, without the prefix, maxSentSize at most: see looped
	sentSize   int                 // what the tags in sent take, as looped counts it
	stats      Totals
	onStats    func(Totals)
	unknown    *report.TopK // the message IDs the catalog lacks
	reported   int64        // unknown.Total() at the last report, -1 before one over an earlier run's Report_File or after a reload took IDs out
	unwritten  bool         // the last report did not write Report_File: Close writes it again
}

// Totals are an instance's counters since New. Chunks and the records count a
// chunk once, when it is delivered (or dropped as a loop); Payloads counts the payloads
// delivered, Unparsed the runs of bytes passed on under UnparsedKey, Retries
// the flushes answered with a retryable error; EnrichedByProduct is by
// catalog.Product.Index and CatalogEntries is the size of the catalog in use.
type Totals struct {
	Chunks, Records, Enriched, UnknownID, NoID, Skipped            int64
	MalformedChunks, LoopChunks, Payloads, FailedFlushes, Unparsed int64
	Retries, CatalogEntries, CatalogReloads, CatalogReloadFailures int64
	EnrichedByProduct                                              [catalog.NumProducts]int64
}

// Add counts the records of one chunk.
func (t *Totals) Add(c enrich.Counters) {
	t.Records += int64(c.Records)
	t.Enriched += int64(c.Enriched)
	t.UnknownID += int64(c.UnknownID)
	t.NoID += int64(c.NoID)
	t.Skipped += int64(c.Skipped)
	for i, n := range c.EnrichedBy {
		t.EnrichedByProduct[i] += int64(n)
	}
}

// Totals returns the instance's counters.
func (in *Instance) Totals() (t Totals) {
	in.locked(func() { t = in.stats })
	return t
}

// locked runs f under countMu, released by defer so that a recovered panic cannot leave it held.
func (in *Instance) locked(f func()) {
	in.countMu.Lock()
	defer in.countMu.Unlock()
	f()
}

// count updates the counters and the unknown IDs, then calls the OnStats function.
func (in *Instance) count(update func(*Totals)) {
	in.locked(func() {
		if update(&in.stats); in.onStats != nil {
			in.onStats(in.stats)
		}
	})
}

// OnStats registers fn (nil: none), called with the counters whenever they have moved, under the
// lock that orders their updates: a counter never reaches fn below a value it had.
func (in *Instance) OnStats(fn func(Totals)) { in.locked(func() { in.onStats = fn }) }

// totalsLine formats the counters only when the log line is written.
type totalsLine struct{ in *Instance }

func (l totalsLine) String() string {
	t := l.in.Totals()
	return fmt.Sprintf("chunks=%d records=%d enriched=%d unknown_id=%d no_id=%d skipped=%d malformed_chunks=%d unparsed=%d loop_chunks=%d payloads=%d failed_flushes=%d",
		t.Chunks, t.Records, t.Enriched, t.UnknownID, t.NoID, t.Skipped, t.MalformedChunks, t.Unparsed, t.LoopChunks, t.Payloads, t.FailedFlushes)
}

// New builds an instance and logs its effective configuration; stdout and log may be nil
// (standard output, no logs). The forward sink connects at the first flush: in_forward may be down.
func New(cfg Config, log Logger, stdout io.Writer) (*Instance, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cur, err := load(cfg.CatalogFiles, cfg.Engine)
	if err != nil {
		return nil, err
	}
	var s sink = &stdoutSink{w: cmp.Or(stdout, stdoutFile())}
	// With Sink stdout the CA file is read too, so that going back to forward needs only Sink.
	if cfg.Sink == SinkForward || cfg.TLSCAFile != "" {
		client, err := forward.NewClient(forward.Config{Address: cfg.ForwardAddress, SharedKey: cfg.SharedKey,
			TLS: cfg.TLS, TLSCAFile: cfg.TLSCAFile, TLSVerify: cfg.TLSVerify, AckTimeout: cfg.AckTimeout,
			MaxConns: cfg.ForwardConns, StallTimeout: cmp.Or(cfg.StallTimeout, -1)}) // the client's off is -1, not 0
		if err != nil { // Validate checked the address: what fails is reading the CA file
			return nil, &KeyError{Key: KeyForwardTLSCAFile, Value: cfg.TLSCAFile, Reason: err.Error()}
		}
		if cfg.Sink == SinkForward {
			s = client
		}
	}
	in := newInstance(cfg, log, cur, s)
	in.stats.CatalogEntries = int64(cur.cat.Len())
	in.log.Infof("effective configuration: %s; catalog %s with %d entries", cfg.String(), cur.cat.Version(), cur.cat.Len())
	in.background.Add(1)
	go in.watch()
	return in, nil
}

func newInstance(cfg Config, log Logger, cur *loaded, s sink) *Instance {
	in := &Instance{cfg: cfg, log: cmp.Or[Logger](log, discard{}), sink: s, unknown: report.New(cfg.ReportTop),
		sent: map[string]struct{}{}}
	if _, err := os.Stat(cfg.ReportFile); err == nil { // an earlier run's rows, which a catalog completed since may explain, must go
		in.reported = -1
	}
	in.current.Store(cur)
	in.bufs.New = func() any { return &flushBuffer{out: make([]byte, 0, 64<<10)} }
	in.abort, in.abortSend = context.WithCancel(context.Background())
	return in
}

// Config returns the instance's configuration.
func (in *Instance) Config() Config { return in.cfg }

// Flush enriches a chunk of msgpack records, read only during the call, and delivers it under the
// prefix + tag within Ack_Timeout: nil only when every payload was acknowledged, else a retryable error.
func (in *Instance) Flush(ctx context.Context, tag string, data []byte) error {
	in.mu.RLock()
	if in.closed {
		in.mu.RUnlock()
		return ErrClosed
	}
	in.inflight.Add(1)
	in.mu.RUnlock()
	defer in.inflight.Done()
	in.logPending()
	// The flush's deadline ends its sends before their own Ack_Timeout: it carries their cause.
	ctx, cancel := context.WithTimeoutCause(ctx, in.cfg.AckTimeout, forward.ErrAckTimeout)
	defer cancel()
	defer context.AfterFunc(in.abort, cancel)()

	if in.cfg.Sink == SinkForward {
		if handedBack := in.looped(tag); handedBack != "" {
			in.loop(tag, handedBack, data)
			return nil
		}
	}
	fb := in.bufs.Get().(*flushBuffer)
	defer func() { // large payloads or a huge record must not pin their memory for good
		if cap(fb.out)+cap(fb.pay)+cap(fb.group)+cap(fb.split.Ends)*8+cap(fb.split.Unknown)*int(unsafe.Sizeof(enrich.Unknown{})) <= 8<<20 {
			clear(fb.split.Unknown) // they point into the chunk
			in.bufs.Put(fb)
		}
	}()
	fb.split = enrich.Split{Ends: fb.split.Ends[:0], Unknown: fb.split.Unknown[:0]}
	cur := in.current.Load()
	payloads, wrapped, rerr, err := in.deliver(ctx, in.cfg.TagPrefix+tag, cur.eng, data, fb)
	c := fb.split.Counters
	// A chunk's records count once, when it is delivered: Fluent Bit may retry it many times.
	in.count(func(t *Totals) {
		t.Payloads += int64(payloads)
		if err != nil {
			t.FailedFlushes++
			t.Retries++
			return
		}
		for _, u := range fb.split.Unknown {
			in.unknown.Add(u.ID, string(u.Product), u.Severity, u.Line)
		}
		if next := in.current.Load(); next != cur { // a reload during the flush took explained IDs out
			in.forgetKnown(next)
		}
		t.Chunks++
		t.Add(c)
		if rerr != nil {
			t.MalformedChunks++
		}
		t.Unparsed += int64(wrapped)
	})
	// One warning per flush at most; what the chunk holds is known once it is all rewritten.
	if err != nil {
		logf := in.log.Warnf
		if errors.Is(err, forward.ErrBackoff) { // no attempt: it repeats a failure already a warning
			logf = in.log.Debugf
		}
		logf("chunk with tag %q not delivered, handed back to Fluent Bit to retry (if its Retry_Limit allows): %v", tag, err)
		return err
	}
	var note string
	if rerr != nil {
		note = fmt.Sprintf("chunk with tag %q is partly malformed (%v); ", tag, rerr)
	}
	if wrapped > 0 {
		note += fmt.Sprintf("%d runs of bytes that are not records are passed on under %s; ", wrapped, UnparsedKey)
	}
	if note != "" {
		in.log.Warnf("%srecords=%d enriched=%d skipped=%d", note, c.Records, c.Enriched, c.Skipped)
	}
	if c.NoText > 0 && in.noTextLogged.CompareAndSwap(false, true) {
		var ecs string
		if in.cfg.FieldPreset == "ecs" {
			ecs = " (with " + KeyFieldPreset + " ecs, log cannot be one: set Key message on tail inputs)"
		}
		in.log.Warnf("%d of %d records with tag %q have none of the Message_Key keys (%s) with a text value: they pass "+
			"unenriched, counted as no_id (logged once). If their line is under another key, add it to Message_Key%s",
			c.NoText, c.Records, tag, strings.Join(in.cfg.Engine.MessageKeys, ", "), ecs)
	}
	in.log.Debugf("flushed tag %q: records=%d enriched=%d unknown_id=%d no_id=%d skipped=%d payloads=%d; totals %s",
		tag, c.Records, c.Enriched, c.UnknownID, c.NoID, c.Skipped, payloads, totalsLine{in})
	return nil
}

// looped returns the start of tag up to the prefix when the chunk is one this instance handed
// back, otherwise "" after noting tag, which the chunk goes back under behind the prefix: an
// in_forward with Tag_Prefix puts its own prefix first, so a tag ending in one noted counts too.
func (in *Instance) looped(tag string) string {
	p := in.cfg.TagPrefix
	in.countMu.Lock()
	defer in.countMu.Unlock()
	for i := range len(tag) {
		if !strings.HasPrefix(tag[i:], p) {
			continue
		}
		if _, sent := in.sent[tag[i+len(p):]]; i == 0 || sent {
			return tag[:i+len(p)]
		}
	}
	if _, sent := in.sent[tag]; !sent {
		if in.sentSize += len(tag) + 64; in.sentSize > maxSentSize {
			clear(in.sent) // a new tag not remembered would loop forever, a forgotten one makes one more turn
			in.sentSize = len(tag) + 64
		}
		in.sent[tag] = struct{}{} // the tag without the prefix: looking up p+tag would allocate at every flush
	}
	return ""
}

// loop drops a chunk this plugin already enriched, which sending again would loop forever.
func (in *Instance) loop(tag, handedBack string, data []byte) {
	in.count(func(t *Totals) {
		t.Chunks++
		t.LoopChunks++
	})
	if in.loopLogged.CompareAndSwap(false, true) {
		in.log.Errorf("records with tag %q already carry the prefix %q: this output's Match also matches the records it hands back. "+
			"They are not enriched or sent again (logged once). Fix: give the enrich output a Match that excludes %s*, such as Match_Regex ^(?!%s).*",
			tag, handedBack, handedBack, regexp.QuoteMeta(handedBack))
	}
	in.log.Debugf("chunk with tag %q (%d bytes) not handed back: loop; totals %s", tag, len(data), totalsLine{in})
}

// deliver rewrites data with eng in pieces of about a payload and sends its records as they are
// made, so that a flush holds a payload or two, not the enriched chunk. Items that are not Forward
// entries, which the receiver would refuse, travel wrapped (unparsedRecord) in payloads of their
// own, each sent once it reaches the payload size, the last after the records. It returns the
// engine's error (enrich.ErrMalformed: the rest of the chunk is the last item) and the sink's.
func (in *Instance) deliver(ctx context.Context, tag string, eng *enrich.Engine, data []byte, fb *flushBuffer) (payloads, wrapped int, rerr, err error) {
	send := func(p []byte, count int) error {
		if err := in.sink.Send(ctx, tag, p, count); err != nil {
			return &DeliveryError{Tag: tag, Payload: payloads + 1, Bytes: len(p), TLS: in.cfg.TLS, Err: err}
		}
		payloads++
		return nil
	}
	sp, out, now := &fb.split, fb.out[:0], time.Now()
	fb.group = fb.group[:0]
	defer func() { fb.out = out }()
	var run, extra []byte            // the items since the last record that are not records; the wrapped runs not sent
	pending, limit, grown := 0, 0, 0 // the runs in extra; the size of the next payload; the bytes wrapped
	// wrap wraps run into extra, first sending the runs there when the new one would take them past
	// the limit: a run of a byte grows to a record of about 140, and there may be one between every
	// two records.
	wrap := func() error {
		n := len(extra)
		extra, run, wrapped = unparsedRecord(extra, run, now), run[:0], wrapped+1
		if pending, grown = pending+1, grown+len(extra)-n; pending > 1 && len(extra) > limit {
			if err := send(extra[:n], pending-1); err != nil {
				return err
			}
			extra, pending = extra[:copy(extra, extra[n:])], 1
		}
		return nil
	}
	// out holds the records not sent yet, which end at sp.Ends.
	ratio := 1.0 // output bytes per chunk byte in the last piece
	for produced, more := 0, true; more; {
		if ctx.Err() != nil { // a long rewrite sends nothing that would notice
			return payloads, wrapped, rerr, &DeliveryError{Tag: tag, Payload: payloads + 1, Err: context.Cause(ctx)}
		}
		// The output: what is made so far, and the rest of the chunk at the last piece's growth.
		estimate := produced + int(ratio*float64(len(data)-sp.Next))
		limit = payloadLimit(in.cfg.MaxPayloadSize, estimate, payloads)
		n, next, held, before := len(out), sp.Next, len(sp.Ends), grown
		sp.Limit = limit
		out, rerr = eng.RewriteSplit(out, data, sp)
		more = sp.Next < len(data)
		// The new records join the held ones; the other items wait in run until the next record.
		w, records := n, held
		for i, off := held, n; i < len(sp.Ends); i++ {
			end := sp.Ends[i]
			if (rerr == nil || i < len(sp.Ends)-1) && msgpack.IsForwardEntry(out[off:end]) {
				if len(run) > 0 {
					if err := wrap(); err != nil {
						return payloads, wrapped, rerr, err
					}
				}
				if w != off {
					copy(out[w:], out[off:end])
				}
				w += end - off
				sp.Ends[records], records = w, records+1
			} else {
				run = append(run, out[off:end]...)
			}
			off = end
		}
		made := w - n + grown - before // the piece's records and wrapped runs
		produced, ratio = produced+made, float64(made)/float64(sp.Next-next)
		// Send each batch that the next record would take past the limit, and at the end all.
		start, i, ends := 0, 0, sp.Ends[:records]
		groups := in.cfg.Sink == SinkForward && sp.Skipped > 0 // group markers are skipped items
		for i < records {
			j := i + 1
			for j < records && ends[j]-start <= limit {
				j++
			}
			if groups && j < records {
				j = groupCut(out, start, ends, i, j)
			}
			if j == records && more {
				break
			}
			if err := send(fb.payload(groups, out, start, ends[i:j], j < records)); err != nil {
				return payloads, wrapped, rerr, err
			}
			start, i = ends[j-1], j
		}
		out = out[:copy(out, out[start:w])]
		sp.Ends = sp.Ends[:copy(sp.Ends, sp.Ends[i:records])]
		for k := range sp.Ends {
			sp.Ends[k] -= start
		}
	}
	if len(run) > 0 {
		err = wrap()
	}
	if err == nil && pending > 0 {
		err = send(extra, pending)
	}
	return payloads, wrapped, rerr, err
}

// payloadsPerFlush bounds a flush's payloads: cut at len/payloadsPerFlush bytes or more of the
// output, the records of a chunk and its wrapped unparsed runs make at most 2*payloadsPerFlush+2
// payloads (two neighbours together exceed the cut). The output is only estimated while it is
// made, hence the doubling in payloadLimit; the shapes in docs/failure-behaviour.md made 705 at
// most. A threaded in_forward queues what it reads for the engine thread, which runs this flush
// when the output has no Workers, in 1024 slots (src/flb_input.c), and closes the connection
// when they stay full.
const payloadsPerFlush = 256

// payloadLimit is the size of the next payload of a flush that has sent payloads and estimates
// its output at estimate bytes: size, unless that would make more than about 2*payloadsPerFlush
// payloads; doubled every payloadsPerFlush payloads should the estimate fall short; and grown to
// maxGrownPayload at most.
func payloadLimit(size, estimate, payloads int) int {
	return max(size, min(estimate/payloadsPerFlush<<min(payloads/payloadsPerFlush, 8), maxGrownPayload))
}

// maxGrownPayload bounds the payloads that payloadsPerFlush makes larger than MaxPayloadSize:
// below in_forward's Buffer_Max_Size of 6,144,000 bytes by default, which it closes the
// connection on.
const maxGrownPayload = 4_000_000

// maxSentSize bounds the memory of the tags an instance remembers handing back, however many tags
// its Match takes and however long they are: each counts its length and 64 bytes for its map entry,
// so 4,096 tags of 192 bytes fill it.
const maxSentSize = 1 << 20

// The keys of the record that carries bytes that are not msgpack records.
const (
	UnparsedKey      = "enrich_unparsed_base64"
	UnparsedErrorKey = "enrich_error"
	unparsedReason   = "bytes of a Fluent Bit chunk that are not msgpack records, passed on unchanged in base64"
)

// unparsedRecord appends [[now, {}], {UnparsedKey: base64(rest), UnparsedErrorKey: reason}].
func unparsedRecord(dst, rest []byte, now time.Time) []byte {
	dst = msgpack.AppendMapHeader(msgpack.AppendEntryHead(dst, now), 2)
	enc := base64.StdEncoding // encoded in place: a chunk may hold a run between every two records
	dst = enc.AppendEncode(msgpack.AppendStrHeader(msgpack.AppendStr(dst, UnparsedKey), enc.EncodedLen(len(rest))), rest)
	return msgpack.AppendStr(msgpack.AppendStr(dst, UnparsedErrorKey), unparsedReason)
}

// flushBuffer is what one flush rewrites, pooled: no allocation per chunk.
type flushBuffer struct {
	out   []byte
	split enrich.Split
	group []byte // the start record of the group the payloads sent so far leave open
	pay   []byte // a payload with group markers added
}

// groupEnd is the record that ends a group, as Fluent Bit writes it.
var groupEnd = []byte{0x92, 0x92, 0xd7, 0x00, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 0, 0x80, 0x80}

// payload returns the payload of the records of out that start at start and end at ends, and
// its record count. With groups (a forward sink's chunk with skipped items, as group markers
// are), it holds its groups whole as Fluent Bit writes them: in_forward may store each payload
// in a chunk of its own, where records past a cut would lose their group. A payload that starts
// inside a group repeats its start record; one that ends inside a group ends it when cut, that
// is when more payloads follow.
func (fb *flushBuffer) payload(groups bool, out []byte, start int, ends []int, cut bool) ([]byte, int) {
	p, count := out[start:ends[len(ends)-1]], len(ends)
	if !groups {
		return p, count
	}
	if groupMarker(p) == 1 { // it starts a group, which ends the open one as the chunk does
		fb.group = fb.group[:0]
	}
	next := fb.group
	for _, end := range ends {
		switch groupMarker(out[start:end]) {
		case 1:
			next = out[start:end]
		case -1:
			next = nil
		}
		start = end
	}
	if len(fb.group) > 0 || len(next) > 0 && cut {
		fb.pay = append(append(fb.pay[:0], fb.group...), p...)
		if len(fb.group) > 0 {
			count++
		}
		if len(next) > 0 && cut {
			fb.pay, count = append(fb.pay, groupEnd...), count+1
		}
		p = fb.pay
	}
	fb.group = append(fb.group[:0], next...)
	return p, count
}

// groupCut moves the cut after ends[j-1], of a payload of the records i to j-1 that starts at
// start, off a group marker, which would otherwise send a group without records: a start record
// goes to the next payload with its first record, or takes that record along when alone; an end
// record stays with its group.
func groupCut(out []byte, start int, ends []int, i, j int) int {
	if j-1 > i {
		start = ends[j-2]
	}
	if groupMarker(out[start:ends[j-1]]) == 1 {
		if j-1 > i {
			j--
		} else {
			j++
		}
	}
	if j < len(ends) && groupMarker(out[ends[j-1]:ends[j]]) == -1 {
		j++
	}
	return j
}

// groupMarker is 1 for a group start record, -1 for a group end, else 0, as msgpack.GroupMarker
// reads its time: a record with a large integer time repeated at each payload's head would go twice.
func groupMarker(rec []byte) int {
	_, t, _ := msgpack.ReadArrayHeader(rec)
	if _, meta, err := msgpack.ReadArrayHeader(t); err == nil {
		t = meta
	}
	return msgpack.GroupMarker(t)
}

// Close stops the instance: new flushes fail with ErrClosed, flushes in progress get until ctx
// is done, then their sends are cancelled. It then closes the sink and logs the totals.
func (in *Instance) Close(ctx context.Context) error {
	in.mu.Lock()
	already := in.closed
	in.closed = true
	in.mu.Unlock()
	if already {
		return nil
	}
	done := make(chan struct{})
	go func() { in.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	in.abortSend()
	// A cancelled send returns at once, unless the sink ignores it.
	select {
	case <-done:
	case <-time.After(time.Second):
		in.log.Warnf("closing with flushes still in progress")
	}
	in.background.Wait()
	// Past ctx, the sink gets a second of its own to close, which ends a send that ignored cancellation.
	sinkCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if ctx.Err() == nil {
		sinkCtx = ctx
	}
	err := in.sink.Close(sinkCtx)
	in.report(true)
	in.logPending()
	in.log.Infof("closed; totals %s", totalsLine{in})
	if err != nil {
		return fmt.Errorf("close %s sink: %w", in.cfg.Sink, err)
	}
	return nil
}

// CheckFilesOf compares in's Report_File and Catalog_File with those of o, another open instance:
// an error when one's report would replace the entries completed in the other's catalog, as an
// instance's own files are checked; else a warning when both write one report, each replacing
// the other's (a warning, so that a reload, whose new instance may meet the old, cannot stop on it).
func (in *Instance) CheckFilesOf(o *Instance) (warning string, err error) {
	const another = " of another enrich instance in this Fluent Bit"
	r, or := in.cfg.ReportFile, o.cfg.ReportFile
	switch {
	case r != "" && IsCatalogFile(r, o.cfg.CatalogFiles):
		return "", &KeyError{Key: KeyReportFile, Reason: r + " is a " + KeyCatalogFile + another +
			": each report would replace the entries completed there; write the report elsewhere and load a completed copy"}
	case or != "" && IsCatalogFile(or, in.cfg.CatalogFiles):
		return "", &KeyError{Key: KeyCatalogFile, Reason: or + " is the " + KeyReportFile + another +
			": load a completed copy of the report, not the report itself"}
	case r != "" && or != "" && fileKey(r) == fileKey(or):
		return r + " is also the " + KeyReportFile + another + ": each report replaces the other's; give every instance its own file", nil
	}
	return "", nil
}

// fileKey names path's file however it is spelt (relative, "./", a symlinked directory, a
// link to it, which WriteFile follows): the absolute path in the directory with its symlinks resolved.
func fileKey(path string) string {
	name, _, _ := report.Resolve(path)
	abs, err := filepath.Abs(name)
	if err != nil {
		return filepath.Clean(path)
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

// discard is the Logger used when New is given none.
type discard struct{}

func (discard) Errorf(string, ...any) {}
func (discard) Warnf(string, ...any)  {}
func (discard) Infof(string, ...any)  {}
func (discard) Debugf(string, ...any) {}
