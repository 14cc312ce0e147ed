// Package report keeps the message IDs the catalog has no entry for, most
// frequent first, in memory bounded by the number of IDs tracked whatever
// the traffic, and writes them for an operator to read or to complete into
// a user catalog.
package report

import (
	"container/heap"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxExample bounds the example line kept for each ID.
const MaxExample = 512

// Item is one unknown message ID. Count may overstate the ID's occurrences
// by at most Over (the count of the ID it replaced when the sketch was
// full), so Count-Over is a lower bound.
type Item struct {
	ID, Product string
	Severity    int // from the line, -1 when it carries none
	Count, Over int64
	Example     string
}

// TopK is a Space-Saving sketch (Metwally et al., 2005): it tracks at most
// K IDs; a new ID, when all K slots are taken, replaces the least counted
// one and inherits its count as an overestimate. Every ID seen more than
// N/K times in N additions is among those tracked. It is not safe for
// concurrent use.
type TopK struct {
	k     int
	total int64
	byID  map[string]*entry
	heap  minHeap
}

// entry is a tracked item and its place in the heap.
type entry struct {
	Item
	index int
}

// New returns a sketch tracking at most k IDs (at least 1).
func New(k int) *TopK {
	k = max(k, 1)
	return &TopK{k: k, byID: make(map[string]*entry, k)}
}

// Add counts one occurrence of id; product, severity and the example line
// are kept from the occurrence that put id in the sketch. Counting an ID
// already tracked does not allocate.
func (t *TopK) Add(id []byte, product string, severity int, line []byte) {
	t.total++
	if e, ok := t.byID[string(id)]; ok {
		e.Count++
		heap.Fix(&t.heap, e.index)
		return
	}
	e := &entry{Item: Item{ID: string(id), Product: product, Severity: severity, Count: 1, Example: example(line)}}
	if len(t.heap) == t.k {
		least := t.heap[0]
		delete(t.byID, least.ID)
		e.Count, e.Over, e.index = least.Count+1, least.Count, 0
		t.heap[0] = e
		heap.Fix(&t.heap, 0)
	} else {
		heap.Push(&t.heap, e)
	}
	t.byID[e.ID] = e
}

// Total returns the number of additions.
func (t *TopK) Total() int64 { return t.total }

// Top returns copies of the tracked IDs, most counted first (then by ID).
func (t *TopK) Top() []Item {
	out := make([]Item, 0, len(t.heap))
	for _, e := range t.heap {
		out = append(out, e.Item)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// example keeps at most MaxExample bytes of line, cut at a rune boundary.
func example(line []byte) string {
	if len(line) <= MaxExample {
		return string(line)
	}
	n := MaxExample
	for n > 0 && !utf8.RuneStart(line[n]) {
		n--
	}
	return string(line[:n])
}

// minHeap orders the tracked entries by count, least first.
type minHeap []*entry

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return h[i].Count < h[j].Count }
func (h minHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *minHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *minHeap) Pop() any {
	e := (*h)[len(*h)-1]
	*h = (*h)[:len(*h)-1]
	return e
}

// Columns are the columns WriteCSV writes: the user catalog's (explanation
// and action left empty for the operator to fill in) and two it ignores
// when loading, count and example.
var Columns = []string{"product", "id", "severity", "explanation", "action", "count", "example"}

// WriteCSV writes items in the user-catalog CSV format.
func WriteCSV(w io.Writer, items []Item) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return err
	}
	for _, it := range items {
		sev := ""
		if it.Severity >= 0 {
			sev = strconv.Itoa(it.Severity)
		}
		if err := cw.Write([]string{it.Product, it.ID, sev, "", "", strconv.FormatInt(it.Count, 10), it.Example}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Summary is one line describing items out of total unknown records.
func Summary(items []Item, total int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d records with an ID the catalog lacks, %d IDs tracked", total, len(items))
	for i, it := range items {
		fmt.Fprintf(&b, "; #%d %s (%s) %d", i+1, it.ID, it.Product, it.Count)
		if it.Over > 0 {
			fmt.Fprintf(&b, " (at most %d over)", it.Over)
		}
		fmt.Fprintf(&b, " e.g. %q", it.Example)
	}
	return b.String()
}

// WriteFile replaces path with the items as WriteCSV writes them, in one
// rename, so that a reader never sees half a file.
func WriteFile(path string, items []Item) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	err = WriteCSV(f, items)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write the report: %w", err)
	}
	return nil
}
