// Package report keeps the message IDs the catalog lacks, most frequent first, in memory
// bounded whatever the traffic, and writes them for an operator to complete into a user catalog.
package report

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/enrich-plugin/enrich/catalog"
)

// MaxExample bounds the example line kept for each ID.
const MaxExample = 512

// Item is one unknown message ID. Count may overstate its occurrences by at most Over (the
// count of the ID it replaced in a full sketch), so Count-Over is a lower bound.
type Item struct {
	ID, Product string
	Severity    int // from the line, -1 when it carries none
	Count, Over int64
	Example     string
}

// Spare is how many IDs a TopK tracks per reported one: counts are exact up to Spare*K IDs.
const Spare = 16

// TopK is a Space-Saving sketch (Metwally et al., 2005) of at most C = Spare*K IDs: a new ID
// in a full sketch replaces the least counted one and inherits its count as an overestimate.
// Every ID seen more than N/C times in N additions is tracked. It is not safe for concurrent use.
type TopK struct {
	k, c    int
	total   int64
	byID    map[string]*entry // by key
	byCount []*entry          // most counted first
	keyBuf  []byte            // the key of the ID being added
	floor   int64             // the count of the last entry taken over: no untracked ID was seen more often
}

// entry is a tracked item and its place in byCount. Its ID, Example and key are views of buf,
// which the ID taking its place reuses, so that new IDs do not allocate; Top copies them.
type entry struct {
	Item
	key   string
	buf   []byte
	index int
}

// New returns a sketch reporting the top k IDs (at least 1).
func New(k int) *TopK {
	k = max(k, 1)
	return &TopK{k: k, c: Spare * k, byID: make(map[string]*entry)}
}

// Add counts one occurrence of id, keeping product, severity and the example line of the
// occurrence that put id in the sketch. The spellings of one catalog entry count as one ID,
// the first seen: the catalog keys an IOS message by facility and mnemonic, so a completed
// report with a row for LINK-3-UPDOWN and one for LINK-5-UPDOWN would not load.
// Add does not allocate for a tracked ID.
func (t *TopK) Add(id []byte, product string, severity int, line []byte) {
	t.total++
	key := t.key(id, product)
	e, ok := t.byID[string(key)]
	if !ok {
		if n := len(t.byCount); n < t.c {
			// A free place: once Forget freed it in a sketch that was full, the ID may be one taken
			// over before, seen up to floor times. Every entry is counted floor or more: it goes last.
			e = &entry{index: n}
			t.byCount = append(t.byCount, e)
		} else {
			// The first of the least counted entries is taken over, its count an overestimate.
			e = t.byCount[t.firstAt(t.byCount[n-1].Count, n)]
			delete(t.byID, e.key)
			t.floor = e.Count
		}
		e.Count, e.Over = t.floor, t.floor
		// The example keeps MaxExample bytes or less, whole runes. It looks back only as far as a rune
		// is long: bytes that are not UTF-8 have no rune to keep whole.
		n := min(len(line), MaxExample)
		for n > MaxExample-utf8.UTFMax+1 && n < len(line) && !utf8.RuneStart(line[n]) {
			n--
		}
		line = line[:n]
		e.buf = append(append(append(e.buf[:0], id...), line...), key...)
		e.ID = unsafe.String(unsafe.SliceData(e.buf), len(id))
		e.Example = unsafe.String(unsafe.SliceData(e.buf[len(id):]), len(line))
		e.key = unsafe.String(unsafe.SliceData(e.buf[len(id)+len(line):]), len(key))
		e.Product, e.Severity = product, severity
		t.byID[e.key] = e
	}
	// As the first of its count, e stays in order when counted once more.
	i, j := e.index, t.firstAt(e.Count, e.index)
	t.byCount[i], t.byCount[j] = t.byCount[j], e
	t.byCount[i].index, e.index = i, j
	e.Count++
}

// key is what id is counted under, as the catalog keys entries: as catalog.Entry.Key an IOS
// FACILITY-SEVERITY-MNEMONIC without its severity and with the facility in capitals (the
// recogniser's IDs are ASCII), otherwise id itself, then the length of the product's name, which
// tells the products apart (TestAddOneRowPerEntry checks it) for less than their index costs.
func (t *TopK) key(id []byte, product string) []byte {
	if product != string(catalog.ProductIOS) {
		t.keyBuf = append(t.keyBuf[:0], id...)
	} else if fac, mn := catalog.SplitIOSID(id); len(fac) == 0 {
		t.keyBuf = append(t.keyBuf[:0], id...)
	} else {
		t.keyBuf = append(append(append(t.keyBuf[:0], fac...), '-'), mn...)
		for i, c := range t.keyBuf[:len(fac)] {
			if 'a' <= c && c <= 'z' {
				t.keyBuf[i] = c - 'a' + 'A'
			}
		}
	}
	t.keyBuf = append(t.keyBuf, byte(len(product)))
	return t.keyBuf
}

// Forget drops the IDs whose item known reports true, and their counts from the total: once a
// reloaded catalog explains an ID, its records are no longer unknown.
func (t *TopK) Forget(known func(Item) bool) {
	t.byCount = slices.DeleteFunc(t.byCount, func(e *entry) bool {
		if !known(e.Item) {
			return false
		}
		delete(t.byID, e.key)
		t.total -= e.Count - e.Over // what the ID inherited stays counted: other unknown IDs made it
		return true
	})
	for i, e := range t.byCount {
		e.index = i
	}
}

// firstAt returns the position of the first entry counted n or less, end if none is before.
func (t *TopK) firstAt(n int64, end int) int {
	return sort.Search(end, func(i int) bool { return t.byCount[i].Count <= n })
}

// Total returns the number of additions.
func (t *TopK) Total() int64 { return t.total }

// Top returns copies of the K most counted IDs, most counted first (then by ID). It looks
// only at the entries counted at least as often as the K-th: it runs under the lock flushes take.
func (t *TopK) Top() []Item {
	n := len(t.byCount)
	if n > t.k {
		n = t.firstAt(t.byCount[t.k-1].Count-1, n)
	}
	out := make([]Item, n)
	for i, e := range t.byCount[:n] {
		out[i] = e.Item
	}
	slices.SortFunc(out, func(a, b Item) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.ID, b.ID))
	})
	out = out[:min(n, t.k)]
	for i := range out { // only the items returned: ties at the k-th count can be many more
		out[i].ID, out[i].Example = strings.Clone(out[i].ID), strings.Clone(out[i].Example)
	}
	return out
}

// Columns are the columns WriteCSV writes: the user catalog's (explanation and action empty,
// for the operator) and two that loading ignores, count and example.
var Columns = []string{"product", "id", "severity", "explanation", "action", "count", "example"}

// WriteCSV writes items in the user-catalog CSV format.
func WriteCSV(w io.Writer, items []Item) error {
	rows := [][]string{Columns}
	for _, it := range items {
		sev := ""
		if it.Severity >= 0 {
			sev = strconv.Itoa(it.Severity)
		}
		// A ' before a line a spreadsheet, where the report is completed, would take for a formula:
		// the lines come from the network. Loading ignores the column.
		example := Readable(it.Example)
		if example != "" && strings.ContainsRune("=+-@", rune(example[0])) {
			example = "'" + example
		}
		rows = append(rows, []string{it.Product, it.ID, sev, "", "", strconv.FormatInt(it.Count, 10), example})
	}
	return csv.NewWriter(w).WriteAll(rows)
}

// Readable returns a log line to show a person, its characters that are not graphic escaped
// (\x1b, \n, \u2028, the bidi override \u202e): a line from the network must not drive a terminal,
// start a row of its own or reorder the text around it. Bytes that
// are not UTF-8 (a Latin-1 line) are escaped too (\xe9): a report file that is not UTF-8
// would not load as a user catalog once completed.
func Readable(line string) string {
	var b strings.Builder
	for i, r := range line {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(line[i:], "\uFFFD"): // a byte that is not UTF-8
			fmt.Fprintf(&b, `\x%02x`, line[i])
		case !unicode.IsGraphic(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Summary describes items out of total unknown records: a line for the total, then one per item,
// which keeps each line well within what a log line holds.
func Summary(items []Item, total int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d records with an ID the catalog lacks, top %d", total, len(items))
	for i, it := range items {
		fmt.Fprintf(&b, "\nunknown ID #%d: %s (%s) %d", i+1, it.ID, it.Product, it.Count)
		if it.Over > 0 {
			fmt.Fprintf(&b, " (at most %d over)", it.Over)
		}
		fmt.Fprintf(&b, " e.g. %q", it.Example)
	}
	return b.String()
}

// WriteFile replaces path with WriteCSV's output in one rename, so that no reader sees half a file.
// The file keeps the mode, owner and group it had, or is readable by its owner only: it holds log
// lines. A path that is not a regular file (/dev/stdout, a named pipe, a device) is written into:
// a rename would replace it.
// A symbolic link is followed, so that the file it names is replaced and the link kept, but
// neither a foreign link nor a foreign file is used (see Resolve).
func WriteFile(path string, items []Item) error { return writeFile(path, items, false) }

// ReplaceFile is WriteFile for a path that must be a regular file or none: one that is not (a
// named pipe put there since the caller checked the path) is refused, never opened, as opening a
// named pipe waits for a reader.
func ReplaceFile(path string, items []Item) error { return writeFile(path, items, true) }

func writeFile(path string, items []Item, regular bool) error {
	path, fi, err := Resolve(path)
	if err == nil && regular && fi != nil && !fi.Mode().IsRegular() {
		err = errors.New("not a regular file")
	}
	if err != nil {
		return fmt.Errorf("write the report: %s: %w", path, err)
	}
	if err = write(path, fi, items); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	return nil
}

// write writes items to path, which Resolve found as fi: a link put at path since is replaced
// or refused, not followed.
func write(path string, fi os.FileInfo, items []Item) (err error) {
	mode, uid, gid := os.FileMode(0o600), -1, -1 // -1: the new file's own
	if fi != nil {
		mode = fi.Mode().Perm()
		st := fi.Sys().(*syscall.Stat_t) // as Resolve reads it: a Linux FileInfo always has one
		uid, gid = int(st.Uid), int(st.Gid)
	}
	var f *os.File
	if fi != nil && !fi.Mode().IsRegular() {
		flag := os.O_WRONLY | os.O_TRUNC | syscall.O_NOFOLLOW
		if fi.Mode()&os.ModeSymlink != 0 { // /dev/stdout on a pipe, which Resolve leaves a link
			flag &^= syscall.O_NOFOLLOW
		}
		if f, err = os.OpenFile(path, flag, 0); err == nil {
			err = errors.Join(WriteCSV(f, items), f.Close())
		}
	} else if f, err = os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*"); err == nil {
		// Only root may give a file away; another writer's report is still written, as its own,
		// in the file's group when the writer is in it, so that the group's readers keep it.
		if f.Chown(uid, gid) != nil {
			f.Chown(-1, gid)
		}
		// Close runs whatever the others return.
		if err = errors.Join(WriteCSV(f, items), f.Chmod(mode), f.Close()); err == nil {
			err = os.Rename(f.Name(), path)
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}
	return err
}

// ForeignLinkProblem says why Resolve refuses a link or file that another user made in a sticky,
// world-writable directory such as /tmp, which the kernel does not follow or open with O_CREAT
// either (fs.protected_symlinks, protected_regular, protected_fifos): a link would lead the report
// over any file it names, and a file would give that user the report, which holds log lines.
const ForeignLinkProblem = "is or leads to a link or file another user made in a world-writable directory: not followed or replaced"

// Resolve returns the name that a write to path replaces, its symbolic links followed one by one,
// in its directory's own spelling, with its Lstat (nil when there is none). It refuses a foreign
// link at any step, and ends at a link only when the link leads to no path but to a file
// (/dev/stdout on a pipe: /proc/self/fd/1 reads "pipe:[7]"), which the write follows.
func Resolve(path string) (string, os.FileInfo, error) {
	for range 40 + 1 { // the links Linux follows in one path, and what the last leads to
		i := strings.LastIndexByte(path, '/') + 1 // path[:i] as written: ".." after a linked directory is the kernel's
		fi, err := os.Lstat(path)
		if di, derr := os.Stat(path[:i] + "."); err == nil && derr == nil && di.Mode()&(os.ModeSticky|0o002) == os.ModeSticky|0o002 &&
			int(fi.Sys().(*syscall.Stat_t).Uid) != os.Geteuid() && fi.Sys().(*syscall.Stat_t).Uid != di.Sys().(*syscall.Stat_t).Uid {
			return path, nil, errors.New(ForeignLinkProblem)
		}
		t, terr := os.Readlink(path)
		if terr != nil {
			if d, err := filepath.EvalSymlinks(path[:i] + "."); err == nil {
				path = filepath.Join(d, path[i:])
			}
			return path, fi, nil
		}
		if !filepath.IsAbs(t) {
			t = path[:i] + t
		}
		_, lerr := os.Lstat(t)
		if _, serr := os.Stat(path); lerr != nil && serr == nil { // a link to no path but to a file
			return path, fi, nil
		}
		path = t
	}
	return path, nil, syscall.ELOOP
}
