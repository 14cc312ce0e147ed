package enrich

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"
)

// realLines returns every line of the real sample logs, in file order.
func realLines(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "test", "fixtures", "real", "*.log"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no real sample logs found (%v)", err)
	}
	var lines []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatalf("open %s: %v", f, err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
	}
	return lines
}

// benchChunk builds n realistic records from the real lines, interleaving
// the families and the shapes Fluent Bit inputs produce: dummy/forward
// style (fixmaps), tail style (32-bit map headers, empty metadata) and
// syslog style (raw line as bin beside parsed fields).
func benchChunk(t testing.TB, n int) []byte {
	t.Helper()
	lines := realLines(t)
	var chunk []byte
	for i := 0; i < n; i++ {
		// Stride through the corpus so that every chunk mixes families.
		line := lines[(i*37)%len(lines)]
		ts := eventTime(1700000000+uint32(i), uint32(i)*1000, false)
		switch i % 3 {
		case 0:
			chunk = append(chunk, record(ts, emptyMeta, mpMap(0, kv{"log", mpStr(line)}))...)
		case 1:
			chunk = append(chunk, record(ts, mpMap(4), mpMap(4, kv{"log", mpStr(line)}, kv{"file", mpStr("/var/log/network/device.log")}))...)
		default:
			chunk = append(chunk, record(ts, emptyMeta, mpMap(0,
				kv{"pri", mpStr("166")}, kv{"host", mpStr("fw-01.example.net")}, kv{"raw", mpBin(line)}))...)
		}
	}
	return chunk
}

const benchRecords = 1000

func benchmarkEngine(b *testing.B, params bool) {
	e := newEngine(b, embeddedCatalog(b), func(o *Options) { o.Params = params })
	chunk := benchChunk(b, benchRecords)
	dst, c, err := e.Rewrite(nil, chunk)
	if err != nil {
		b.Fatalf("Rewrite: %v", err)
	}
	if c.Records != benchRecords || c.Enriched == 0 {
		b.Fatalf("counters %+v: the chunk is not what the benchmark means to measure", c)
	}
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst, _, _ = e.Rewrite(dst[:0], chunk)
	}
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkChunk measures Rewrite on 1,000 realistic mixed records.
func BenchmarkChunk(b *testing.B) { benchmarkEngine(b, false) }

// BenchmarkChunkParams is BenchmarkChunk with parameter extraction on.
func BenchmarkChunkParams(b *testing.B) { benchmarkEngine(b, true) }

// BenchmarkNew measures building the engine with parameter extraction on, as every start,
// hot reload and Catalog_File reload does.
func BenchmarkNew(b *testing.B) {
	cat, opts := embeddedCatalog(b), DefaultOptions()
	opts.Params = true
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(cat, opts); err != nil {
			b.Fatal(err)
		}
	}
}
