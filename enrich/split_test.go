package enrich

import (
	"bytes"
	"errors"
	"testing"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/internal/msgpack"
)

func TestRewriteSplit(t *testing.T) {
	e := newEngine(t, testCatalog(t), nil)
	ts := eventTime(1700000000, 0, false)
	tail := []byte{0xdf, 0, 0, 0, 0}
	known := logRecord("%FTD-6-722051: Group g")
	tests := []struct {
		name      string
		chunk     []byte
		items     int  // records plus the unparsed rest
		malformed bool // the chunk ends with bytes that are not records
	}{
		{"empty chunk", nil, 0, false},
		{"one enriched record", known, 1, false},
		{"tail-style 32-bit maps", record(ts, tail, mpMap(4, kv{"log", mpStr("%FTD-6-722051: x")})), 1, false},
		{"mixed shapes", bytes.Join([][]byte{
			known,
			logRecord("no identifier here"),
			record(ts, tail, mpMap(4, kv{"log", mpStr("%ASA-6-113039: Group g")})),
			legacy(ts, mpMap(0, kv{"message", mpStr("%SMART_LIC-3-COMM_FAILED: x")})),
			{0x92, 0x01, 0xa1, 'x'}, // body not a map
		}, nil), 5, false},
		{"malformed rest", append(append([]byte{}, known...), known[:10]...), 2, true},
		{"nothing parseable", []byte{0xc1, 0x00}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, wantC, wantErr := e.Rewrite(nil, tt.chunk)
			var sp Split
			out, err := e.RewriteSplit(nil, tt.chunk, &sp)
			ends, c := sp.Ends, sp.Counters
			if !bytes.Equal(out, want) || c != wantC || (err == nil) != (wantErr == nil) {
				t.Fatalf("RewriteSplit = %x, %+v, %v; Rewrite = %x, %+v, %v", out, c, err, want, wantC, wantErr)
			}
			if got := errors.Is(err, ErrMalformed); got != tt.malformed {
				t.Fatalf("err = %v, malformed %v, want %v", err, got, tt.malformed)
			}
			if len(ends) != tt.items {
				t.Fatalf("got %d ends %v, want %d", len(ends), ends, tt.items)
			}
			// Every end but that of a malformed rest is a record boundary
			// of the output, and the last one is its end.
			start := 0
			for i, end := range ends {
				if tt.malformed && i == len(ends)-1 {
					break
				}
				n, err := msgpack.Skip(out[start:])
				if err != nil || start+n != end {
					t.Fatalf("item %d: ends at %d, Skip says %d (%v)", i, end, start+n, err)
				}
				start = end
			}
			if len(ends) > 0 && ends[len(ends)-1] != len(out) {
				t.Errorf("last end %d, output is %d bytes", ends[len(ends)-1], len(out))
			}
		})
	}
}

func TestRewriteSplitAppends(t *testing.T) {
	e := newEngine(t, testCatalog(t), nil)
	prefix := []byte("prefix")
	sp := Split{Ends: []int{7}}
	out, err := e.RewriteSplit(prefix, logRecord("%FTD-6-722051: Group g"), &sp)
	ends := sp.Ends
	if err != nil {
		t.Fatalf("RewriteSplit: %v", err)
	}
	if !bytes.HasPrefix(out, prefix) || len(ends) != 2 || ends[0] != 7 || ends[1] != len(out) {
		t.Errorf("out %q ends %v: want the prefix kept, 7 kept and the record's end %d appended", out, ends, len(out))
	}
}

func TestNumTable(t *testing.T) {
	a, b := &entryEnc{}, &entryEnc{}
	tab := newNumTable(map[string]*entryEnc{"000000": a, "722051": b, "SMART": {}, "12345": {}})
	tests := []struct {
		name string
		id   string
		want *entryEnc
	}{
		{"zero", "000000", a},
		{"known", "722051", b},
		{"unknown", "722052", nil},
		{"five digits", "12345", nil},
		{"seven digits", "7220510", nil},
		{"not digits", "72205x", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := tab.lookup([]byte(tt.id)); got != tt.want {
				t.Errorf("lookup(%q) = %p, want %p", tt.id, got, tt.want)
			}
		})
	}
	var empty numTable
	if got, _ := empty.lookup([]byte("722051")); got != nil {
		t.Errorf("zero table found %p", got)
	}
}

// TestNumTableMatchesIndex checks that every 6-digit key of the embedded
// catalog is found through the table, and nothing else.
func TestNumTableMatchesIndex(t *testing.T) {
	e := newEngine(t, embeddedCatalog(t), nil)
	for _, p := range []int{pFTD, pIBM} {
		tab := newNumTable(e.index[p])
		n := 0
		for k, want := range e.index[p] {
			if _, ok := sixDigits([]byte(k)); !ok {
				continue
			}
			n++
			if got, _ := tab.lookup([]byte(k)); got != want {
				t.Errorf("%s %s: table has %p, index %p", catalog.ProductAt(p), k, got, want)
			}
		}
		if p == pFTD && n == 0 {
			t.Errorf("no 6-digit Threat Defense IDs in the embedded catalog")
		}
	}
}

// TestRewriteSplitPieces rewrites chunks in pieces of every limit, each appended to what an
// earlier piece left, and checks that the pieces together are the whole chunk's rewrite, and
// that each piece stops after the item that takes it past the limit.
func TestRewriteSplitPieces(t *testing.T) {
	e := newEngine(t, testCatalog(t), nil)
	known := logRecord("%FTD-6-722051: Group g")
	mixed := bytes.Join([][]byte{known, logRecord("no identifier here"), {0x92, 0x01, 0xa1, 'x'},
		logRecord("%ASA-4-999001: not in the catalog"), known}, nil)
	for _, chunk := range [][]byte{mixed, append(bytes.Clone(mixed), known[:10]...)} {
		want, wantC, wantErr := e.Rewrite(nil, chunk)
		for limit := 1; limit <= len(want)+1; limit++ {
			sp := Split{Limit: limit}
			var got []byte
			var err error
			for calls := 0; sp.Next < len(chunk); calls++ {
				if err != nil || calls > len(chunk) {
					t.Fatalf("limit %d: call %d after error %v, Next %d", limit, calls, err, sp.Next)
				}
				sp.Ends = sp.Ends[:0]
				held := bytes.Repeat([]byte{0xc0}, calls%3*limit) // as deliver keeps records not sent yet
				var piece []byte
				piece, err = e.RewriteSplit(held, chunk, &sp)
				piece = piece[len(held):]
				for i := range sp.Ends {
					sp.Ends[i] -= len(held)
				}
				last := len(piece)
				if len(sp.Ends) > 1 {
					last -= sp.Ends[len(sp.Ends)-2]
				}
				if sp.Next < len(chunk) && (len(piece) <= limit || len(piece)-last > limit) {
					t.Fatalf("limit %d: piece of %d bytes ending with an item of %d", limit, len(piece), last)
				}
				got = append(got, piece...)
			}
			if !bytes.Equal(got, want) || sp.Counters != wantC || (err == nil) != (wantErr == nil) {
				t.Fatalf("limit %d: pieces = %x, %+v, %v; Rewrite = %x, %+v, %v", limit, got, sp.Counters, err, want, wantC, wantErr)
			}
		}
	}
}
