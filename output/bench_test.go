package output

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

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

// ackReceiver is a Forward receiver over a unix socket that acks every
// message after checking only its framing, so that the benchmark measures
// the sending side. forwardtest.Server decodes and keeps every record,
// which would grow without bound over a benchmark's iterations.
func ackReceiver(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "fwd.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		tb.Fatalf("listen on %s: %v", path, err)
	}
	done := make(chan struct{})
	tb.Cleanup(func() {
		ln.Close()
		<-done
	})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveAcks(c)
		}
	}()
	return "unix://" + path
}

// serveAcks reads [tag, bin entries, {"chunk": id, ...}] messages and
// answers {"ack": id} until the client closes the connection.
func serveAcks(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 1<<20)
	var ack []byte
	for {
		id, err := readPacked(r)
		if err != nil {
			return
		}
		ack = append(ack[:0], 0x81)
		ack = msgpack.AppendStr(ack, "ack")
		ack = msgpack.AppendStr(ack, id)
		if _, err := c.Write(ack); err != nil {
			return
		}
	}
}

var errFrame = errors.New("not a PackedForward message with a chunk id")

// readPacked reads one PackedForward message and returns its chunk id.
func readPacked(r *bufio.Reader) (string, error) {
	hdr, err := r.ReadByte()
	if err != nil {
		return "", err
	}
	if hdr != 0x93 {
		return "", fmt.Errorf("%w: header 0x%02x", errFrame, hdr)
	}
	if _, err := readStrOrBin(r); err != nil { // tag
		return "", err
	}
	if _, err := readStrOrBin(r); err != nil { // entries
		return "", err
	}
	m, err := r.ReadByte()
	if err != nil || m&0xf0 != 0x80 {
		return "", fmt.Errorf("%w: options 0x%02x: %v", errFrame, m, err)
	}
	id := ""
	for i := 0; i < int(m&0x0f); i++ {
		k, err := readStrOrBin(r)
		if err != nil {
			return "", err
		}
		if string(k) == "chunk" {
			v, err := readStrOrBin(r)
			if err != nil {
				return "", err
			}
			id = string(v)
			continue
		}
		// The other option is size, a positive integer.
		c, err := r.ReadByte()
		if err != nil {
			return "", err
		}
		n := 0
		switch c {
		case 0xcc:
			n = 1
		case 0xcd:
			n = 2
		case 0xce:
			n = 4
		case 0xcf:
			n = 8
		}
		if _, err := r.Discard(n); err != nil {
			return "", err
		}
	}
	if id == "" {
		return "", errFrame
	}
	return id, nil
}

// readStrOrBin reads a str or bin value; long ones are skipped and
// returned empty, since only short option keys and values are used.
func readStrOrBin(r *bufio.Reader) ([]byte, error) {
	c, err := r.ReadByte()
	if err != nil {
		return nil, err
	}
	var n int
	switch {
	case c&0xe0 == 0xa0:
		n = int(c & 0x1f)
	case c == 0xd9 || c == 0xc4:
		b, err := r.ReadByte()
		if err != nil {
			return nil, err
		}
		n = int(b)
	case c == 0xda || c == 0xc5:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, err
		}
		n = int(binary.BigEndian.Uint16(b[:]))
	case c == 0xdb || c == 0xc6:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, err
		}
		n = int(binary.BigEndian.Uint32(b[:]))
	default:
		return nil, fmt.Errorf("%w: want str or bin, got 0x%02x", errFrame, c)
	}
	if n > 256 {
		_, err := r.Discard(n)
		return nil, err
	}
	b := make([]byte, n)
	_, err = io.ReadFull(r, b)
	return b, err
}

// BenchmarkFlush measures Flush end to end on a realistic 2 MB chunk:
// rewrite, split into payloads and acknowledged delivery over a unix
// socket, as Fluent Bit's flush of a full tail chunk does.
func BenchmarkFlush(b *testing.B) {
	cfg := DefaultConfig()
	cfg.ForwardAddress = ackReceiver(b)
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
	dst, _, err := in.engine.Rewrite(nil, data)
	if err != nil {
		b.Fatalf("rewrite: %v", err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		dst, _, _ = in.engine.Rewrite(dst[:0], data)
	}
	b.ReportMetric(float64(records*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(records*b.N), "ns/record")
}
