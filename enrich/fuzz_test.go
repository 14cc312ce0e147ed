package enrich

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/enrich-plugin/enrich/internal/msgpack"
)

// seedLines adds every fixture line to f's corpus.
func seedLines(f *testing.F) []string {
	var lines []string
	files, _ := filepath.Glob(filepath.Join(fixtures, "lines", "*.log"))
	real, _ := filepath.Glob(filepath.Join(fixtures, "real", "*.log"))
	for _, p := range append(files, real...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatalf("read %s: %v", p, err)
		}
		for _, l := range bytes.Split(b, []byte("\n")) {
			lines = append(lines, string(l))
		}
	}
	return lines
}

// FuzzRecognise checks that the recogniser never fails on any input and
// that what it reports lies inside the value.
func FuzzRecognise(f *testing.F) {
	for _, l := range seedLines(f) {
		f.Add([]byte(l))
	}
	e, err := New(testCatalog(f), DefaultOptions())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		m, ok := e.Recognise(v)
		if !ok {
			return
		}
		if m.ID == "" {
			t.Fatalf("empty ID recognised in %q", v)
		}
		if m.Severity < -1 || m.Severity > 7 {
			t.Fatalf("severity %d out of range in %q", m.Severity, v)
		}
		if m.Start < 0 || m.End > len(v) || m.Start > m.End {
			t.Fatalf("span %d-%d outside a value of %d bytes", m.Start, m.End, len(v))
		}
	})
}

// FuzzRewrite checks, for any chunk bytes: the output is valid msgpack
// with the same number of records when the input is valid; every original
// record's bytes before its body and its original body pairs are kept; an
// input that fails to parse comes back byte for byte from that point on.
func FuzzRewrite(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(fixtures, "chunks", "*.msgpack"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatalf("read %s: %v", p, err)
		}
		// Whole fixtures are large; seed with their first records.
		if len(b) > 512 {
			n := 0
			for n < 256 {
				end, err := msgpack.Skip(b[n:])
				if err != nil {
					break
				}
				n += end
			}
			b = b[:n]
		}
		f.Add(b)
	}
	for _, l := range seedLines(f)[:12] {
		f.Add(logRecord(l))
	}
	// More existing pairs of added fields than Overwrite's list on the
	// stack holds.
	var many []kv
	for i := 0; i < 2*maxDrops; i++ {
		many = append(many, kv{"severity", mpStr("old")}, kv{"catalog", mpStr("old")})
	}
	f.Add(logRecordKV(append(many, kv{"log", mpStr("%FTD-6-722051: Group <g> User <u> IP <1.2.3.4>")})...))
	f.Add(logRecordKV(kv{"product.name", []byte{0x01}}, kv{"log", mpStr("%FTD-6-722051: Group <g> User <u> IP <1.2.3.4>")}, kv{"severity.x", mpStr("y")}))
	cat := testCatalog(f)
	engines := []*Engine{}
	for _, mod := range []func(*Options){
		nil,
		func(o *Options) { o.Params = true },
		func(o *Options) { o.NestUnder = "catalog" },
		func(o *Options) { o.Overwrite = true; o.Params = true },
		func(o *Options) { o.Overwrite = true; o.NestUnder = "catalog" },
	} {
		o := DefaultOptions()
		if mod != nil {
			mod(&o)
		}
		e, err := New(cat, o)
		if err != nil {
			f.Fatal(err)
		}
		engines = append(engines, e)
	}
	// The embedded catalog's formats, which the test catalog does not have, drive the parameter matcher.
	o := DefaultOptions()
	o.Params = true
	e, err := New(embeddedCatalog(f), o)
	if err != nil {
		f.Fatal(err)
	}
	engines = append(engines, e)
	f.Add(logRecord("%ASA-4-753001: Unexpected IKEv2 packet received from 2001:db8::5:500. Error: x"))
	f.Fuzz(func(t *testing.T, chunk []byte) {
		for _, e := range engines {
			out, c, err := e.Rewrite(nil, chunk)
			// Split the input into the records that parse and the rest.
			var in [][]byte
			off := 0
			for off < len(chunk) {
				n, rerr := msgpack.Skip(chunk[off:])
				if rerr != nil {
					break
				}
				in = append(in, chunk[off:off+n])
				off += n
			}
			if (err != nil) != (off < len(chunk)) {
				t.Fatalf("err = %v, but %d of %d bytes parse as records", err, off, len(chunk))
			}
			if !bytes.HasSuffix(out, chunk[off:]) {
				t.Fatalf("unparseable rest not kept verbatim")
			}
			rest := out[:len(out)-(len(chunk)-off)]
			var got [][]byte
			for o := 0; o < len(rest); {
				n, rerr := msgpack.Skip(rest[o:])
				if rerr != nil {
					t.Fatalf("output is not valid msgpack at %d: %v", o, rerr)
				}
				got = append(got, rest[o:o+n])
				o += n
			}
			if len(got) != len(in) {
				t.Fatalf("%d records in, %d out", len(in), len(got))
			}
			want := len(in)
			if off < len(chunk) {
				want++
			}
			if c.Records != want || c.Enriched+c.UnknownID+c.NoID+c.Skipped != c.Records {
				t.Fatalf("counters %+v for %d records", c, want)
			}
			for i := range in {
				if bytes.Equal(in[i], got[i]) {
					continue
				}
				// An enriched record: same bytes up to the body, the
				// original pairs kept, one body map, more bytes.
				bodyOff := bodyOffset(t, in[i])
				if !bytes.HasPrefix(got[i], in[i][:bodyOff]) {
					t.Fatalf("record %d: header bytes changed", i)
				}
				checkNoObjectClash(t, e, in[i][bodyOff:], got[i][bodyOff:])
				if e.opts.Overwrite {
					checkOverwrite(t, e, in[i][bodyOff:], got[i][bodyOff:])
					continue
				}
				hb, _ := msgpack.ReadHeader(in[i][bodyOff:])
				if !bytes.Contains(got[i][bodyOff:], in[i][bodyOff+hb.Size:]) {
					t.Fatalf("record %d: original body pairs not kept", i)
				}
			}
		}
	})
}

// checkNoObjectClash checks that no field is added beside a key that continues its name
// (product.name beside product), which Elasticsearch reads as an object.
func checkNoObjectClash(t *testing.T, e *Engine, in, out []byte) {
	t.Helper()
	if e.opts.NestUnder != "" {
		return
	}
	before, _ := bodyKeys(t, in)
	after, _ := bodyKeys(t, out)
	for _, f := range e.opts.Fields.ByOption() {
		if after[*f.Name] <= before[*f.Name] {
			continue // not added
		}
		for k := range after {
			if strings.HasPrefix(k, *f.Name+".") {
				t.Fatalf("%q added beside %q", *f.Name, k)
			}
		}
	}
}

// checkOverwrite checks an enriched record of an Overwrite engine, given
// the body maps before and after: a name the engine adds appears at the
// top level either once (it was added, replacing every old pair) or as
// often as before (it was not added this time), and inside the nest map
// no name appears twice.
func checkOverwrite(t *testing.T, e *Engine, in, out []byte) {
	t.Helper()
	names := []string{e.opts.NestUnder}
	if e.opts.NestUnder == "" {
		names = names[:0]
		for _, f := range e.opts.Fields.ByOption() {
			names = append(names, *f.Name)
		}
	}
	before, _ := bodyKeys(t, in)
	after, last := bodyKeys(t, out)
	for _, n := range names {
		if a, b := after[n], before[n]; a != 1 && a != b {
			t.Fatalf("%q appears %d times after Overwrite, %d before", n, a, b)
		}
	}
	if e.opts.NestUnder != "" {
		if after[e.opts.NestUnder] != 1 {
			t.Fatalf("nest key %q appears %d times", e.opts.NestUnder, after[e.opts.NestUnder])
		}
		nested, _ := bodyKeys(t, out[last:])
		for n, c := range nested {
			if c != 1 {
				t.Fatalf("%q appears %d times inside the nest map", n, c)
			}
		}
	}
}

// bodyKeys counts the string keys of the map at the start of b, and
// returns where the last pair's value starts.
func bodyKeys(t *testing.T, b []byte) (map[string]int, int) {
	t.Helper()
	h, err := msgpack.ReadHeader(b)
	if err != nil || h.Kind != msgpack.Map {
		t.Fatalf("body is not a map: %v", err)
	}
	keys := make(map[string]int)
	q, last := h.Size, 0
	for i := 0; i < h.N; i++ {
		hk, err := msgpack.ReadHeader(b[q:])
		if err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
		if hk.Kind == msgpack.Str && q+hk.Size+hk.N <= len(b) {
			keys[string(b[q+hk.Size:q+hk.Size+hk.N])]++
		}
		k, err := msgpack.Skip(b[q:])
		if err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
		q += k
		last = q
		if k, err = msgpack.Skip(b[q:]); err != nil {
			t.Fatalf("value %d: %v", i, err)
		}
		q += k
	}
	return keys, last
}
