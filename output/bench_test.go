package output

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/enrich-plugin/enrich/forward/forwardtest"
	"github.com/enrich-plugin/enrich/internal/msgpack"
)

// fixtureLines returns the non-blank lines of the fixture logs that make
// bench-e2e use: the real samples and the per-family lines.
func fixtureLines(tb testing.TB) []string {
	tb.Helper()
	var files []string
	for _, pattern := range []string{"real/*.log", "lines/*.log"} {
		m, err := filepath.Glob(filepath.Join("..", "test", "fixtures", pattern))
		if err != nil {
			tb.Fatalf("glob %s: %v", pattern, err)
		}
		files = append(files, m...)
	}
	var lines []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			tb.Fatalf("open %s: %v", f, err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if sc.Text() != "" {
				lines = append(lines, sc.Text())
			}
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			tb.Fatalf("read %s: %v", f, err)
		}
	}
	if len(lines) == 0 {
		tb.Fatal("no fixture lines under test/fixtures/real and test/fixtures/lines")
	}
	return lines
}

// tailChunk builds a chunk of about size bytes as Fluent Bit 5's in_tail
// writes it: [[EventTime, {}], {"log": line}] records whose maps have 32-bit
// headers, the fixture lines cycled in order, the way bench-e2e feeds
// Fluent Bit.
func tailChunk(tb testing.TB, size int) ([]byte, int) {
	tb.Helper()
	lines := fixtureLines(tb)
	var b []byte
	n := 0
	for len(b) < size {
		b = append(b, 0x92, 0x92, 0xd7, 0x00)
		b = binary.BigEndian.AppendUint32(b, 1718000000+uint32(n))
		b = binary.BigEndian.AppendUint32(b, uint32(n))
		b = append(b, 0xdf, 0, 0, 0, 0, 0xdf, 0, 0, 0, 1)
		b = msgpack.AppendStr(b, "log")
		b = msgpack.AppendStr(b, lines[n%len(lines)])
		n++
	}
	return b, n
}

// BenchmarkFlush measures Flush end to end on a realistic 2 MB chunk:
// rewrite, split into payloads and acknowledged delivery over a unix
// socket, as Fluent Bit's flush of a full tail chunk does.
func BenchmarkFlush(b *testing.B) {
	cfg := DefaultConfig()
	cfg.ForwardAddress = forwardtest.NewServer(b, forwardtest.Options{Network: "unix", DiscardEntries: true}).Addr()
	cfg.AckTimeout = 10 * time.Second
	in, err := New(cfg, nil, nil)
	if err != nil {
		b.Fatalf("new instance: %v", err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := in.Close(ctx); err != nil {
			b.Errorf("close: %v", err)
		}
	})
	data, records := tailChunk(b, 2<<20)
	ctx := context.Background()
	if err := in.Flush(ctx, "net.bench", data); err != nil {
		b.Fatalf("flush: %v", err)
	}
	if got := in.Totals(); got.Records != int64(records) || got.Enriched == 0 {
		b.Fatalf("totals %+v after one flush of %d records", got, records)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := in.Flush(ctx, "net.bench", data); err != nil {
			b.Fatalf("flush: %v", err)
		}
	}
	b.ReportMetric(float64(records*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(records*b.N), "ns/record")
}

// BenchmarkRewrite is the engine's share of BenchmarkFlush: the same chunk
// rewritten into a reused buffer, nothing delivered.
func BenchmarkRewrite(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Sink = SinkStdout
	in, err := New(cfg, nil, io.Discard)
	if err != nil {
		b.Fatalf("new instance: %v", err)
	}
	data, records := tailChunk(b, 2<<20)
	dst, _, err := in.current.Load().eng.Rewrite(nil, data)
	if err != nil {
		b.Fatalf("rewrite: %v", err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		dst, _, _ = in.current.Load().eng.Rewrite(dst[:0], data)
	}
	b.ReportMetric(float64(records*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(records*b.N), "ns/record")
}
