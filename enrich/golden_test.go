package enrich

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/enrich-plugin/enrich/internal/msgpack"
)

var update = flag.Bool("update", false, "rewrite golden files and chunk fixtures under test/fixtures")

var fixtures = filepath.Join("..", "test", "fixtures")

// compareGolden checks got against the file, or rewrites it with -update.
func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("write %s: %v", path, err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s (run with -update to create it): %v", path, err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs at line %d:\n got %s\nwant %s\n(run with -update if the change is intended)", path, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs in length: got %d lines, want %d (run with -update if intended)", path, len(gl), len(wl))
	}
}

// linesChunk builds a chunk with one record per line, with fixed times.
func linesChunk(lines []string) []byte {
	var chunk []byte
	for i, l := range lines {
		chunk = append(chunk, record(eventTime(1700000000+uint32(i), 0, false), emptyMeta, mpMap(0, kv{"log", mpStr(l)}))...)
	}
	return chunk
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return out
}

// TestGoldenLines enriches test/fixtures/lines/*.log and compares the
// JSON records with the golden files beside them.
func TestGoldenLines(t *testing.T) {
	e := newEngine(t, embeddedCatalog(t), func(o *Options) { o.Params = true })
	files, _ := filepath.Glob(filepath.Join(fixtures, "lines", "*.log"))
	if len(files) == 0 {
		t.Fatal("no fixture lines found")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".log")
		t.Run(name, func(t *testing.T) {
			lines := readLines(t, f)
			out, c, err := e.Rewrite(nil, linesChunk(lines))
			if err != nil {
				t.Fatalf("Rewrite: %v", err)
			}
			if c.Records != len(lines) {
				t.Fatalf("counters %+v for %d lines", c, len(lines))
			}
			var js []byte
			for _, rec := range records(t, out) {
				if js, err = msgpack.AppendRecordJSON(js, rec, false); err != nil {
					t.Fatalf("AppendRecordJSON: %v", err)
				}
				js = append(js, '\n')
			}
			compareGolden(t, filepath.Join(fixtures, "lines", name+".golden.jsonl"), js)
		})
	}
}

// chunkFixtures are the chunks other packages' tests reuse (the plugin
// and forward tests): each is written to test/fixtures/chunks/NAME.msgpack.
func chunkFixtures(t *testing.T) map[string][]byte {
	lines := realLines(t)
	ts := func(i int) []byte { return eventTime(1700000000+uint32(i), uint32(i)*1000, false) }
	out := map[string][]byte{}

	// A realistic mix of families and record shapes.
	out["mixed"] = benchChunk(t, 100)

	// tail input: 32-bit map headers, empty metadata map.
	var tail []byte
	for i := 0; i < 20; i++ {
		tail = append(tail, record(ts(i), mpMap(4), mpMap(4, kv{"log", mpStr(lines[(i*29)%len(lines)])}))...)
	}
	out["tail"] = tail

	// Legacy [timestamp, body] records with int and float timestamps.
	var leg []byte
	for i := 0; i < 10; i++ {
		t := []byte{0xce, 0x65, 0x53, 0xf1, byte(i)}
		if i%2 == 1 {
			t = []byte{0xcb, 0x41, 0xd9, 0x54, 0xfc, 0x40, 0, 0, byte(i)}
		}
		leg = append(leg, legacy(t, mpMap(0, kv{"message", mpStr(lines[(i*31)%len(lines)])}))...)
	}
	out["legacy"] = leg

	// Group markers around enrichable records, as OTLP input writes them.
	var groups []byte
	groups = append(groups, record(eventTime(0xFFFFFFFF, 0, false), mpMap(0, kv{"schema", mpStr("otlp")}), mpMap(0, kv{"resource", mpMap(0)}))...)
	for i := 0; i < 5; i++ {
		groups = append(groups, record(ts(i), emptyMeta, mpMap(0, kv{"log", mpStr(lines[i*7])}))...)
	}
	groups = append(groups, record(eventTime(0xFFFFFFFE, 0, false), emptyMeta, mpMap(0))...)
	out["groups"] = groups

	// in_syslog with raw_message_key: the raw line as bin.
	var bin []byte
	for i := 0; i < 10; i++ {
		bin = append(bin, record(ts(i), emptyMeta, mpMap(0,
			kv{"pri", mpStr("166")}, kv{"raw", mpBin("<166>" + lines[(i*41)%len(lines)])}))...)
	}
	out["bin"] = bin
	return out
}

// TestChunkFixtures keeps test/fixtures/chunks/ in step with the
// generator above and checks that each chunk rewrites cleanly.
func TestChunkFixtures(t *testing.T) {
	e := newEngine(t, embeddedCatalog(t), nil)
	for name, chunk := range chunkFixtures(t) {
		t.Run(name, func(t *testing.T) {
			compareGolden(t, filepath.Join(fixtures, "chunks", name+".msgpack"), chunk)
			out, c, err := e.Rewrite(nil, chunk)
			if err != nil {
				t.Fatalf("Rewrite: %v", err)
			}
			if got := len(records(t, out)); got != c.Records || c.Records != len(records(t, chunk)) {
				t.Errorf("record count: in %d, out %d, counters %+v", len(records(t, chunk)), got, c)
			}
			if c.Enriched+c.UnknownID == 0 {
				t.Errorf("counters %+v: nothing recognised", c)
			}
		})
	}
}
