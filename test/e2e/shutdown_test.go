package e2e

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/enrich-plugin/enrich/forward/forwardtest"
	"github.com/enrich-plugin/enrich/output"
)

// exitSlack is how long ExitCtx may take beyond Ack_Timeout: output.Close
// gives cancelled sends up to a second to return and the sink up to a
// second to close its connections.
const exitSlack = 2500 * time.Millisecond

// TestShutdownWithPendingFlushes exits while several flushes (more than
// the connection pool holds) wait for acks that come late or never. Exit
// must return within Ack_Timeout plus exitSlack, no flush may return
// FLB_OK unless the receiver acknowledged all its records, and the flushes
// that were not finished return FLB_RETRY so that Fluent Bit keeps their
// chunks.
//
// The exit comes once every connection of the pool carries a payload, and
// those sends have waited for their acks for a while (pending): the
// flushes' own Ack_Timeout then ends before the exit's. The flushes beyond
// the pool wait for a connection, unless their thread had not reached the
// plugin yet, which nothing outside it can see: such a flush meets a closed
// instance and is retried at once. The closing totals say how many flushes
// the instance took in (chunks delivered and flushes failed), and the checks count those.
func TestShutdownWithPendingFlushes(t *testing.T) {
	const (
		flushes  = 6 // more than the pool's output.DefaultForwardConns connections
		perChunk = 50
		pending  = 300 * time.Millisecond
	)
	tests := []struct {
		name       string
		opts       forwardtest.Options
		ackTimeout time.Duration
		props      string
		allOK      bool // every flush taken in must return FLB_OK
		// partial: every flush returns FLB_RETRY although the receiver
		// acknowledged some of its payloads.
		partial bool
	}{
		{
			name: "never acks, ExitCtx", opts: forwardtest.Options{Fault: forwardtest.NoAck},
			ackTimeout: 2 * time.Second,
		},
		{
			// The acks arrive before the exit deadline: the pending
			// flushes complete and nothing is retried.
			name: "slow acks within the deadline", opts: forwardtest.Options{AckDelay: 500 * time.Millisecond},
			ackTimeout: 3 * time.Second, allOK: true,
		},
		{
			// Each chunk travels in several payloads, each acked after
			// 400ms: the exit deadline falls between two of them.
			name: "deadline between payloads of a chunk", opts: forwardtest.Options{AckDelay: 400 * time.Millisecond},
			ackTimeout: time.Second, props: "max_payload_size=2k", partial: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Network = "unix"
			srv := forwardtest.NewServer(t, tt.opts)
			msgs := make([][]string, flushes)
			script := []string{forwardInstance("A", srv, fmt.Sprintf("ack_timeout=%s log_level=debug %s", tt.ackTimeout, tt.props))}
			for i := range msgs {
				var data []byte
				data, msgs[i] = seqChunk(fmt.Sprintf("t%d", i), perChunk)
				script = append(script, fmt.Sprintf("flush A t%d %s async", i, writeChunk(t, data)))
			}
			h := startHost(t, time.Minute, nil)
			h.send(t, script...)
			sent := time.Now()
			for deadline := sent.Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
				tags := map[string]bool{}
				for _, m := range srv.Messages() {
					tags[m.Tag] = true
				}
				if len(tags) >= output.DefaultForwardConns {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("payloads of %d flushes reached the receiver within 30s, want %d", len(tags), output.DefaultForwardConns)
				}
			}
			time.Sleep(pending)
			exitAfter := time.Since(sent)
			h.send(t, "exitctx A", "wait")
			r := h.finish(t)
			r.ok(t)
			if got := r.inits["A"]; got != flbOK {
				t.Fatalf("init = %d, want FLB_OK", got)
			}
			totals := r.logsWith("info", "closed; totals")
			if len(totals) != 1 {
				t.Fatalf("closing totals %q, want them logged once on exit", totals)
			}
			// A flush taken in either delivered its chunk or failed.
			m := regexp.MustCompile(` chunks=(\d+) .* failed_flushes=(\d+)`).FindStringSubmatch(totals[0])
			if m == nil {
				t.Fatalf("closing totals %q carry no chunk or failed flush count", totals[0])
			}
			takenIn := atoi(m[1]) + atoi(m[2])
			if takenIn < output.DefaultForwardConns || takenIn > flushes {
				t.Fatalf("the instance took in %d flushes, want %d to %d", takenIn, output.DefaultForwardConns, flushes)
			}
			bound := tt.ackTimeout + exitSlack
			if got := r.exitctx["A"]; got.rc != flbOK || got.msec >= int(bound.Milliseconds()) {
				t.Errorf("exitctx = %+v, want FLB_OK within Ack_Timeout plus %s", got, exitSlack)
			}

			ok, acked := 0, 0
			for i := range msgs {
				tag := fmt.Sprintf("t%d", i)
				f := r.flushOf("A", tag)
				if f.calls != 1 {
					t.Fatalf("flush %s reported %d times, want once", tag, f.calls)
				}
				if f.msec >= int((exitAfter + bound).Milliseconds()) {
					t.Errorf("flush %s took %d ms, want it to return by the exit deadline %s", tag, f.msec, exitAfter+bound)
				}
				if f.ok+f.retry != 1 {
					t.Errorf("flush %s = %+v, want FLB_OK or FLB_RETRY", tag, f)
				}
				got := ackedLogs(srv, "enriched."+tag)
				for _, msg := range msgs[i] {
					if got[msg] > 0 {
						acked++
					}
				}
				if f.ok == 1 {
					ok++
					for _, msg := range msgs[i] {
						if got[msg] == 0 {
							t.Errorf("flush %s returned FLB_OK without record %q acknowledged", tag, msg)
						}
					}
				}
			}
			t.Logf("exit after %s; %d flushes taken in; exitctx %+v; flushes %+v; %d of %d records acknowledged",
				exitAfter, takenIn, r.exitctx["A"], r.flushes, acked, flushes*perChunk)
			wantOK := 0
			if tt.allOK {
				wantOK = takenIn
			}
			if ok != wantOK {
				t.Errorf("%d flushes returned FLB_OK, want %d", ok, wantOK)
			}
			if got := r.retryLines(t); got != takenIn-ok {
				t.Errorf("%d retries logged, want one per flush taken in and not delivered (%d)", got, takenIn-ok)
			}
			if tt.opts.Fault == forwardtest.NoAck && acked != 0 {
				t.Errorf("%d records acknowledged by a receiver that acknowledges nothing", acked)
			}
			if tt.partial && (acked == 0 || acked >= flushes*perChunk) {
				t.Errorf("%d of %d records acknowledged: want some payloads acknowledged before the deadline cut the chunks short", acked, flushes*perChunk)
			}
		})
	}
}
