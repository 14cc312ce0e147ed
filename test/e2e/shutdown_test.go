package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/enrich-plugin/enrich/forward/forwardtest"
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
func TestShutdownWithPendingFlushes(t *testing.T) {
	const (
		flushes    = 6 // the pool holds 4 connections: 2 flushes wait for one
		perChunk   = 50
		exitAfter  = 300 * time.Millisecond
		exitctxCmd = "exitctx A\nwait"
	)
	tests := []struct {
		name       string
		opts       forwardtest.Options
		ackTimeout time.Duration
		props      string
		exit       string // the exit commands, and when the flushes are reported
		wantOK     int    // flushes that must return FLB_OK
		// partial: every flush returns FLB_RETRY although the receiver
		// acknowledged some of its payloads.
		partial bool
	}{
		{
			name: "never acks, ExitCtx", opts: forwardtest.Options{NoAck: true},
			ackTimeout: 2 * time.Second, exit: exitctxCmd,
		},
		{
			// The acks arrive before the exit deadline: the pending
			// flushes complete and nothing is retried.
			name: "slow acks within the deadline", opts: forwardtest.Options{AckDelay: 500 * time.Millisecond},
			ackTimeout: 3 * time.Second, exit: exitctxCmd, wantOK: flushes,
		},
		{
			// Each chunk travels in several payloads, each acked after
			// 400ms: the exit deadline falls between two of them.
			name: "deadline between payloads of a chunk", opts: forwardtest.Options{AckDelay: 400 * time.Millisecond},
			ackTimeout: time.Second, props: "max_payload_size=2k", exit: exitctxCmd, partial: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Network = "unix"
			srv := forwardtest.NewServer(t, tt.opts)
			msgs := make([][]string, flushes)
			var script strings.Builder
			script.WriteString(forwardInstance("A", srv, fmt.Sprintf("ack_timeout=%s %s", tt.ackTimeout, tt.props)))
			for i := range msgs {
				var data []byte
				data, msgs[i] = seqChunk(fmt.Sprintf("t%d", i), perChunk)
				fmt.Fprintf(&script, "flush A t%d %s async\n", i, writeChunk(t, data))
			}
			fmt.Fprintf(&script, "sleep %d\n%s\n", exitAfter.Milliseconds(), tt.exit)

			r := runHost(t, script.String(), nil)
			r.ok(t)
			require.Equal(t, flbOK, r.inits["A"])
			bound := tt.ackTimeout + exitSlack
			assert.Equal(t, flbOK, r.exitctx["A"].rc)
			assert.Less(t, r.exitctx["A"].msec, int(bound.Milliseconds()), "ExitCtx returns within Ack_Timeout")

			ok, acked := 0, 0
			for i := range msgs {
				tag := fmt.Sprintf("t%d", i)
				f := r.flushOf("A", tag)
				require.Equal(t, 1, f.calls, "flush %s reported", tag)
				assert.Less(t, f.msec, int((exitAfter + bound).Milliseconds()), "flush %s returns by the exit deadline", tag)
				assert.Equal(t, 1, f.ok+f.retry, "flush %s returns FLB_OK or FLB_RETRY: %+v", tag, f)
				got := ackedLogs(srv, "enriched."+tag)
				for _, msg := range msgs[i] {
					if got[msg] > 0 {
						acked++
					}
				}
				if f.ok == 1 {
					ok++
					for _, msg := range msgs[i] {
						assert.Positive(t, got[msg], "flush %s returned FLB_OK without record %q acknowledged", tag, msg)
					}
				}
			}
			t.Logf("exitctx %+v; flushes %+v; %d of %d records acknowledged", r.exitctx["A"], r.flushes, acked, flushes*perChunk)
			assert.Equal(t, tt.wantOK, ok, "flushes that returned FLB_OK")
			assert.Len(t, r.logsWith("warn", "Fluent Bit will retry it"), flushes-ok, "one warning per flush not delivered")
			if tt.opts.NoAck {
				assert.Zero(t, acked, "the receiver acknowledged nothing")
			}
			if tt.partial {
				assert.Positive(t, acked, "some payloads were acknowledged before the deadline")
				assert.Less(t, acked, flushes*perChunk, "the deadline cut the chunks short")
			}
			assert.Len(t, r.logsWith("info", "closed; totals"), 1, "the totals are logged once on exit")
		})
	}
}
