package output

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// TestDeliverBoundaries checks that cutting payloads at the record ends
// RewriteSplit reports sends exactly what finding them by parsing sends.
func TestDeliverBoundaries(t *testing.T) {
	tail := record(knownLine)
	tail = append(append(tail[:12:12], 0xdf, 0, 0, 0, 0, 0xdf, 0, 0, 0, 1), tail[14:]...)
	tests := []struct {
		name  string
		chunk []byte
		limit int
	}{
		{"one payload", chunk(knownLine, unknownLine, noIDLine), DefaultMaxPayloadSize},
		{"a payload per record", chunk(knownLine, unknownLine, noIDLine, knownLine), MinMaxPayloadSize},
		{"tail-style records", bytes.Repeat(tail, 50), 4 << 10},
		{"not a record in between", append(append(chunk(knownLine), 0x92, 0x01, 0xa1, 'x'), chunk(noIDLine)...), DefaultMaxPayloadSize},
		{"malformed rest", append(chunk(knownLine, noIDLine), record(knownLine)[:20]...), DefaultMaxPayloadSize},
		{"truncated body map", append(chunk(knownLine), record(knownLine)[:16]...), DefaultMaxPayloadSize},
	}
	src := DefaultConfig()
	src.Sink = SinkStdout
	rewriter, err := New(src, nil, io.Discard)
	require.NoError(t, err)
	engine := rewriter.engine
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.MaxPayloadSize = tt.limit
			var viaEnds, viaParse sendRecorder
			inEnds := newInstance(cfg, nil, nil, &viaEnds)
			inParse := newInstance(cfg, nil, nil, &viaParse)
			out, ends, _, rerr := engine.RewriteSplit(nil, tt.chunk, nil)
			p1, w1, err := inEnds.deliver(context.Background(), "t", out, ends, rerr != nil)
			require.NoError(t, err)
			p2, w2, err := inParse.deliver(context.Background(), "t", out, nil, false)
			require.NoError(t, err)
			assert.Equal(t, p2, p1, "payloads")
			assert.Equal(t, w2, w1, "wrapped runs")
			assert.Equal(t, viaParse.counts, viaEnds.counts, "records per payload")
			require.Equal(t, len(viaParse.payloads), len(viaEnds.payloads))
			for i := range viaParse.payloads {
				if i == len(viaParse.payloads)-1 && w1 > 0 {
					// The wrapped run carries the time of the flush.
					continue
				}
				assert.Equal(t, viaParse.payloads[i], viaEnds.payloads[i], "payload %d", i+1)
			}
		})
	}
}
