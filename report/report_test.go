package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"

	"github.com/enrich-plugin/enrich/catalog"
)

func TestExactBelowK(t *testing.T) {
	s := New(4)
	for i, id := range []string{"a", "b", "a", "c", "a", "b"} {
		s.Add([]byte(id), "p", i, []byte("line "+id))
	}
	got := fmt.Sprint(s.Top())
	want := fmt.Sprint([]Item{
		{ID: "a", Product: "p", Severity: 0, Count: 3, Example: "line a"},
		{ID: "b", Product: "p", Severity: 1, Count: 2, Example: "line b"},
		{ID: "c", Product: "p", Severity: 3, Count: 1, Example: "line c"},
	})
	if got != want {
		t.Errorf("Top:\n got %s\nwant %s", got, want)
	}
	if s.Total() != 6 {
		t.Errorf("Total = %d, want 6", s.Total())
	}
}

// TestNewAtLeastOne: a sketch reports one ID at least, whatever k it is given.
func TestNewAtLeastOne(t *testing.T) {
	s := New(0)
	s.Add([]byte("a"), "p", 1, nil)
	s.Add([]byte("b"), "p", 1, nil)
	if got := s.Top(); len(got) != 1 {
		t.Errorf("New(0).Top() = %v, want 1 item", got)
	}
}

// TestHeavyHittersKept feeds a skewed stream with many one-off IDs: the
// memory stays at K items, every ID seen more than N/K times is reported,
// and each count brackets the true one.
func TestHeavyHittersKept(t *testing.T) {
	const k, n = 2, 200000
	rng := rand.New(rand.NewPCG(1, 2))
	truth := map[string]int64{}
	s := New(k)
	for i := 0; i < n; i++ {
		var id string
		switch r := rng.IntN(100); {
		case r < 30:
			id = "HOT-1"
		case r < 45:
			id = "HOT-2"
		case r < 52:
			id = fmt.Sprintf("WARM-%d", rng.IntN(3))
		default:
			id = fmt.Sprintf("ONCE-%d", i)
		}
		truth[id]++
		s.Add([]byte(id), "p", -1, []byte(id))
	}
	if len(s.byID) > Spare*k || len(s.byCount) > Spare*k {
		t.Fatalf("tracking %d/%d items, want at most %d", len(s.byID), len(s.byCount), Spare*k)
	}
	top := s.Top()
	if len(top) != k {
		t.Fatalf("Top returned %d items, want %d", len(top), k)
	}
	found := map[string]Item{}
	for _, it := range top {
		found[it.ID] = it
		if tc := truth[it.ID]; it.Count-it.Over > tc || it.Count < tc {
			t.Errorf("%s: count %d over %d does not bracket the true %d", it.ID, it.Count, it.Over, tc)
		}
	}
	for id, c := range truth {
		if c > n/k {
			if _, ok := found[id]; !ok {
				t.Errorf("%s seen %d times (> N/K = %d) is not reported", id, c, n/k)
			}
		}
	}
	if top[0].ID != "HOT-1" || top[1].ID != "HOT-2" {
		t.Errorf("top two: %s, %s; want HOT-1, HOT-2", top[0].ID, top[1].ID)
	}
}

func TestAddDoesNotAllocate(t *testing.T) {
	s := New(8)
	id, line := []byte("722999"), []byte("%ASA-6-722999: x")
	s.Add(id, "cisco_ftd_asa", 6, line)
	if n := testing.AllocsPerRun(1000, func() { s.Add(id, "cisco_ftd_asa", 6, line) }); n != 0 {
		t.Errorf("Add of a tracked ID allocates %.1f times", n)
	}
	// Once full, a new ID takes over an entry's memory.
	ids := make([][]byte, 3*Spare*8)
	for i := range ids {
		ids[i] = []byte(fmt.Sprintf("ONCE-%03d", i))
		s.Add(ids[i], "p", 1, line)
	}
	i := 0
	if n := testing.AllocsPerRun(1000, func() { s.Add(ids[i%len(ids)], "p", 1, line); i++ }); n != 0 {
		t.Errorf("Add of new IDs to a full sketch allocates %.1f times", n)
	}
}

// TestTopIsACopy checks that what Top returned stays as it was while the
// sketch goes on reusing its memory.
func TestTopIsACopy(t *testing.T) {
	s := New(1)
	for i := range Spare {
		s.Add([]byte(fmt.Sprint("FIRST", i)), "p", 1, []byte(fmt.Sprint("first line ", i)))
	}
	top := s.Top()
	s.Add([]byte("OTHER"), "p", 1, []byte("other line"))
	if top[0].ID != "FIRST0" || top[0].Example != "first line 0" {
		t.Errorf("Top's copy changed to %+v", top[0])
	}
	// OTHER took over FIRST0's entry, the least counted and first of them.
	if got := s.Top()[0]; got.ID != "OTHER" || got.Count != 2 || got.Over != 1 || got.Example != "other line" {
		t.Errorf("after the takeover: %+v", got)
	}
}

// TestAddOneRowPerEntry counts the spellings of one catalog entry as one ID: a completed
// report with two rows for one entry would not load (duplicate entry).
func TestAddOneRowPerEntry(t *testing.T) {
	var every [][2]string
	var rows []string
	for i := range catalog.NumProducts {
		every, rows = append(every, [2]string{string(catalog.ProductAt(i)), "999001"}), append(rows, "999001 1")
	}
	tests := []struct {
		name string
		adds [][2]string // product, ID
		want []string    // ID and count of each reported item
	}{
		{"ios severities", [][2]string{{"cisco_ios", "LINK-3-UPDOWN"}, {"cisco_ios", "LINK-5-UPDOWN"}, {"cisco_ios", "LINK-3-UPDOWN"}},
			[]string{"LINK-3-UPDOWN 3"}},
		{"ios mnemonics differ", [][2]string{{"cisco_ios", "LINK-3-UPDOWN"}, {"cisco_ios", "LINK-3-CHANGED"}},
			[]string{"LINK-3-CHANGED 1", "LINK-3-UPDOWN 1"}},
		{"ios facilities differ", [][2]string{{"cisco_ios", "LINK-3-UPDOWN"}, {"cisco_ios", "LINEPROTO-3-UPDOWN"}},
			[]string{"LINEPROTO-3-UPDOWN 1", "LINK-3-UPDOWN 1"}},
		{"firewall ids", [][2]string{{"cisco_ftd_asa", "302013"}, {"cisco_ftd_asa", "302014"}, {"cisco_ftd_asa", "302013"}},
			[]string{"302013 2", "302014 1"}},
		{"ios facility case", [][2]string{{"cisco_ios", "link-3-UPDOWN"}, {"cisco_ios", "LINK-5-UPDOWN"}},
			[]string{"link-3-UPDOWN 2"}},
		{"ios facility case at the ends of the alphabet", [][2]string{{"cisco_ios", "az-3-X"}, {"cisco_ios", "AZ-3-X"}},
			[]string{"az-3-X 2"}},
		{"ios facility and mnemonic kept apart", [][2]string{{"cisco_ios", "AB-3-C"}, {"cisco_ios", "A-3-BC"}},
			[]string{"A-3-BC 1", "AB-3-C 1"}},
		{"other products keep their ids", [][2]string{{"p", "A-1-B"}, {"p", "A-2-B"}}, []string{"A-1-B 1", "A-2-B 1"}},
		{"ios ids of another shape keep theirs", [][2]string{{"cisco_ios", "UPDOWN"}, {"cisco_ios", "CHANGED"}}, []string{"CHANGED 1", "UPDOWN 1"}},
		// The catalog keys entries by product too: one row would load as an entry of one product only.
		// Every product (key tells them apart by their names' lengths).
		{"products differ", every, rows},
		{"an ios key and a cucm name", [][2]string{{"cisco_ios", "LINK-3-UPDOWN"}, {"cisco_cucm", "LINK-UPDOWN"}},
			[]string{"LINK-3-UPDOWN 1", "LINK-UPDOWN 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(4)
			for _, a := range tt.adds {
				s.Add([]byte(a[1]), a[0], 3, []byte("%"+a[1]+": line"))
			}
			var got []string
			for _, it := range s.Top() {
				got = append(got, fmt.Sprint(it.ID, " ", it.Count))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Top = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestForget drops the IDs a reloaded catalog explains, keeps the others in order, and goes on
// counting as before.
func TestForget(t *testing.T) {
	s := New(4)
	for id, n := range map[string]int{"100001": 3, "100002": 2, "100003": 1, "100004": 4} {
		for range n {
			s.Add([]byte(id), "cisco_ftd_asa", 6, []byte("%ASA-6-"+id))
		}
	}
	top := func() string {
		var b strings.Builder
		for _, it := range s.Top() {
			fmt.Fprintf(&b, "%s:%d ", it.ID, it.Count)
		}
		return fmt.Sprintf("%stotal %d", b.String(), s.Total())
	}
	s.Forget(func(it Item) bool { return it.ID == "100002" || it.Example == "%ASA-6-100004" })
	if got, want := top(), "100001:3 100003:1 total 4"; got != want {
		t.Errorf("after Forget: %s, want %s", got, want)
	}
	for _, id := range []string{"100003", "100003", "100003", "100002"} {
		s.Add([]byte(id), "cisco_ftd_asa", 6, nil)
	}
	if got, want := top(), "100003:4 100001:3 100002:1 total 8"; got != want {
		t.Errorf("adding after Forget: %s, want %s", got, want)
	}
	s.Forget(func(Item) bool { return true })
	if got, want := top(), "total 0"; got != want {
		t.Errorf("after forgetting all: %s, want %s", got, want)
	}
	// An ID that took a place in a full sketch inherited a count other unknown IDs made: it stays.
	s = New(1)
	for i := range Spare + 1 {
		s.Add([]byte(fmt.Sprint(100001+i)), "cisco_ftd_asa", 6, nil)
	}
	s.Forget(func(it Item) bool { return it.ID == fmt.Sprint(100001+Spare) })
	if got, want := s.Total(), int64(Spare); got != want {
		t.Errorf("after forgetting an ID that inherited a count: total %d, want %d", got, want)
	}
}

// TestForgetKeepsCountsBracketed: places that Forget frees in a full sketch do not make counts
// exact again. An ID taken over before has been seen up to the count it had then; coming back, it
// inherits that much as its overestimate, and the true count stays within [Count-Over, Count].
func TestForgetKeepsCountsBracketed(t *testing.T) {
	s := New(1)
	truth := map[string]int64{}
	add := func(id string, n int) {
		for range n {
			truth[id]++
			s.Add([]byte(id), "cisco_ftd_asa", 4, []byte("%ASA-4-"+id))
		}
	}
	for i := range Spare - 1 {
		add(fmt.Sprint(100001+i), 100)
	}
	add("200001", 50)
	for i := range 20 { // the first takes over 200001's place, the others each other's
		add(fmt.Sprint(300001+i), 1)
	}
	s.Forget(func(it Item) bool { return it.ID[0] == '1' })
	add("200001", 80)
	for _, it := range s.Top() {
		if tc := truth[it.ID]; it.Count-it.Over > tc || it.Count < tc {
			t.Errorf("%s: count %d over %d does not bracket the true %d", it.ID, it.Count, it.Over, tc)
		}
	}
}

// TestAddKeysAsTheCatalog counts two IOS IDs as the recogniser gives them (FACILITY-SEVERITY-MNEMONIC)
// as one exactly when the catalog gives them one key.
func TestAddKeysAsTheCatalog(t *testing.T) {
	ids := []string{"LINK-3-UPDOWN", "LINK-5-UPDOWN", "link-3-UPDOWN", "Link-3-UPDOWN", "LINK-3-updown",
		"LINEPROTO-5-UPDOWN", "LICENSE-SMART_LIC-3-COMM_FAILED", "SMART_LIC-3-COMM_FAILED",
		"LICENSE-4-COMM_FAILED", "IOSXE-3-PLATFORM", "ETH_PORT-5-IF_UP", "ETH-PORT-5-IF_UP"}
	for _, a := range ids {
		for _, b := range ids {
			s := New(1)
			s.Add([]byte(a), string(catalog.ProductIOS), 3, nil)
			s.Add([]byte(b), string(catalog.ProductIOS), 3, nil)
			ka := (&catalog.Entry{Product: catalog.ProductIOS, ID: a}).Key()
			kb := (&catalog.Entry{Product: catalog.ProductIOS, ID: b}).Key()
			if got, want := s.Top()[0].Count == 2, ka == kb; got != want {
				t.Errorf("%s then %s: counted as one %v, want %v (catalog keys %q, %q)", a, b, got, want, ka, kb)
			}
		}
	}
}

// TestExampleCutAtRune checks the example Add keeps of a long line.
func TestExampleCutAtRune(t *testing.T) {
	tests := []struct {
		name, line string
		want       int
	}{
		{"before a character", strings.Repeat("a", MaxExample-1) + "説明", MaxExample - 1},
		{"shorter than the bound", strings.Repeat("a", MaxExample-1), MaxExample - 1},
		// Bytes that are not UTF-8 have no character to keep whole: the cut moves back no more than a character's length.
		{"in a run of bytes that are not utf-8", "%ASA-4-999001: " + strings.Repeat("\xa0", MaxExample), MaxExample - utf8.UTFMax + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := New(1)
			tk.Add([]byte("999001"), "cisco_ftd_asa", 4, []byte(tt.line))
			got := tk.Top()[0].Example
			if len(got) != tt.want || utf8.ValidString(tt.line) && !utf8.ValidString(got) {
				t.Errorf("example of %d bytes: got %d bytes, valid %v, want %d bytes", len(tt.line), len(got), utf8.ValidString(got), tt.want)
			}
		})
	}
}

func TestWriteCSV(t *testing.T) {
	var b bytes.Buffer
	items := []Item{
		{ID: "999999", Product: "cisco_ftd_asa", Severity: 6, Count: 12, Example: `%ASA-6-999999: "quoted", text`},
		{ID: "X-1-Y", Product: "cisco_ios", Severity: -1, Count: 3, Example: "x"},
		{ID: "888888", Product: "cisco_ftd_asa", Severity: 4, Count: 1, Example: `=HYPERLINK("http://x") %ASA-4-888888: y`},
		{ID: "777777", Product: "cisco_ftd_asa", Severity: 4, Count: 1, Example: "@SUM(1) %ASA-4-777777: y"},
		{ID: "777778", Product: "cisco_ftd_asa", Severity: 4, Count: 1, Example: "+1 %ASA-4-777778: y"},
		{ID: "777779", Product: "cisco_ftd_asa", Severity: 4, Count: 1, Example: "-1+2 %ASA-4-777779: y"},
		{ID: "666666", Product: "cisco_ftd_asa", Severity: 4, Count: 1, Example: "%ASA-4-666666: \x1b[2J\tz\n"},
		{ID: "555555", Product: "cisco_ftd_asa", Severity: 4, Count: 1, Example: "%ASA-4-555555: caf\xe9 \xff"},
		{ID: "444444", Product: "cisco_ftd_asa", Severity: 0, Count: 1, Example: "%ASA-0-444444: \uFFFD\x01"},
		{ID: "333333", Product: "cisco_ftd_asa", Severity: 4, Count: 1, Example: ""},
		{ID: "222222", Product: "cisco_ftd_asa", Severity: 4, Count: 1, Example: "%ASA-4-222222: user \u202egnp.exe\u2028ok \u30ed\u30b0\u3000\u78ba\u8a8d\u00a0\U0001F600"},
	}
	if err := WriteCSV(&b, items); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	want := [][]string{Columns,
		{"cisco_ftd_asa", "999999", "6", "", "", "12", `%ASA-6-999999: "quoted", text`},
		{"cisco_ios", "X-1-Y", "", "", "", "3", "x"},
		{"cisco_ftd_asa", "888888", "4", "", "", "1", `'=HYPERLINK("http://x") %ASA-4-888888: y`}, // text in a spreadsheet
		{"cisco_ftd_asa", "777777", "4", "", "", "1", "'@SUM(1) %ASA-4-777777: y"},
		{"cisco_ftd_asa", "777778", "4", "", "", "1", "'+1 %ASA-4-777778: y"},
		{"cisco_ftd_asa", "777779", "4", "", "", "1", "'-1+2 %ASA-4-777779: y"},
		{"cisco_ftd_asa", "666666", "4", "", "", "1", `%ASA-4-666666: \x1b[2J\tz\n`}, // nothing for a terminal to run
		// A Latin-1 line stays UTF-8, which loading the completed file requires.
		{"cisco_ftd_asa", "555555", "4", "", "", "1", `%ASA-4-555555: caf\xe9 \xff`},
		// Severity 0 is emergencies, not none; a U+FFFD in the line is text, not a byte to escape.
		{"cisco_ftd_asa", "444444", "0", "", "", "1", "%ASA-0-444444: \uFFFD\\x01"},
		{"cisco_ftd_asa", "333333", "4", "", "", "1", ""},
		// A bidi override and a line separator are escaped; Japanese text, its ideographic space, a
		// no-break space and an emoji are not.
		{"cisco_ftd_asa", "222222", "4", "", "", "1", "%ASA-4-222222: user \\u202egnp.exe\\u2028ok \u30ed\u30b0\u3000\u78ba\u8a8d\u00a0\U0001F600"}}
	if fmt.Sprintf("%q", rows) != fmt.Sprintf("%q", want) {
		t.Errorf("rows:\n got %q\nwant %q", rows, want)
	}
}

func TestSummary(t *testing.T) {
	got := Summary([]Item{{ID: "1", Product: "p", Count: 5, Over: 2, Example: "l"}, {ID: "2", Product: "q", Count: 4, Example: "m"}}, 9)
	want := "9 records with an ID the catalog lacks, top 2\n" +
		`unknown ID #1: 1 (p) 5 (at most 2 over) e.g. "l"` + "\n" + `unknown ID #2: 2 (q) 4 e.g. "m"`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/unknown.csv"
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []Item{{ID: "1", Product: "p", Severity: -1, Count: 2, Example: "x"}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if want := strings.Join(Columns, ",") + "\np,1,,,,2,x\n"; string(b) != want {
		t.Errorf("file %q, want %q", b, want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files left in the directory, want 1", len(entries))
	}
	// A symbolic link is kept, and the file it names replaced.
	if err := os.Symlink(path, dir+"/link.csv"); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(dir+"/link.csv", nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != strings.Join(Columns, ",")+"\n" {
		t.Errorf("the file the link names holds %q, want only the header", b)
	}
	if fi, err := os.Lstat(dir + "/link.csv"); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link is no longer one: %v, %v", fi, err)
	}
	os.Remove(dir + "/link.csv")
	// A link to a file not written yet (relative, as ln -s makes it) leads to where it is written.
	if err := os.Symlink("later.csv", dir+"/pending.csv"); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(dir+"/pending.csv", nil); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(dir + "/later.csv"); err != nil || string(b) != strings.Join(Columns, ",")+"\n" {
		t.Errorf("the file the dangling link names holds %q (%v), want only the header", b, err)
	}
	if fi, err := os.Lstat(dir + "/pending.csv"); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the dangling link is no longer one: %v, %v", fi, err)
	}
	os.Remove(dir + "/pending.csv")
	os.Remove(dir + "/later.csv")
	if err := WriteFile(dir+"/missing/unknown.csv", nil); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
	// It holds log lines: the owner's only when new, else the mode it had.
	for file, want := range map[string]os.FileMode{path: 0o600, dir + "/new.csv": 0o600, dir + "/shared.csv": 0o640} {
		if want == 0o640 {
			if err := os.WriteFile(file, nil, 0o600); err != nil || os.Chmod(file, want) != nil {
				t.Fatal(err)
			}
		}
		if err := WriteFile(file, nil); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(file); err != nil {
			t.Error(err)
		} else if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", file, fi.Mode().Perm(), want)
		}
	}
}

// TestWriteFileKeepsOwner: an existing report keeps its owner and group with its mode, which
// would otherwise let other readers in or shut its readers out, as root replaces it.
func TestWriteFileKeepsOwner(t *testing.T) {
	path := t.TempDir() + "/unknown.csv"
	if err := os.WriteFile(path, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	const uid, gid = 4321, 8765
	if err := os.Chown(path, uid, gid); err != nil {
		t.Skipf("giving the file away needs root: %v", err)
	}
	if err := WriteFile(path, nil); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != uid || st.Gid != gid {
		t.Errorf("owner %d:%d, want %d:%d", st.Uid, st.Gid, uid, gid)
	}
}

// TestWriteFileKeepsGroupAsItsMember: Fluent Bit run as a service user, replacing root's report
// in a directory of its own, cannot keep the owner but keeps the group it is in (adm), whose
// readers would otherwise lose the report.
func TestWriteFileKeepsGroupAsItsMember(t *testing.T) {
	if path := os.Getenv("ENRICH_TEST_REPORT_PATH"); path != "" { // the test binary run as nobody
		fmt.Printf("error=%v\n", WriteFile(path, nil))
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("running the writer as another user needs root")
	}
	const nobody, group = 65534, 8765
	dir := t.TempDir()
	exe, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	bin, path := dir+"/report.test", dir+"/w/unknown.csv"
	if err := errors.Join(os.WriteFile(bin, exe, 0o755), os.Chmod(filepath.Dir(dir), 0o755), os.Chmod(dir, 0o755),
		os.Mkdir(dir+"/w", 0o755), os.Chown(dir+"/w", nobody, nobody), os.WriteFile(path, []byte("old"), 0o640), os.Chown(path, 0, group)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestWriteFileKeepsGroupAsItsMember$")
	cmd.Env = append(os.Environ(), "ENRICH_TEST_REPORT_PATH="+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{group}}}
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "error=<nil>") {
		t.Fatalf("WriteFile as another user: %s (%v), want error=<nil>", out, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != nobody || st.Gid != group || fi.Mode().Perm() != 0o640 {
		t.Errorf("owner %d:%d mode %v, want %d:%d %v", st.Uid, st.Gid, fi.Mode().Perm(), nobody, group, os.FileMode(0o640))
	}
}

// TestWriteFileNewInSetgidDir: a new report takes the group a set-group-ID directory gives it,
// as any file created there does.
func TestWriteFileNewInSetgidDir(t *testing.T) {
	dir := t.TempDir()
	const gid = 8765
	if err := os.Chown(dir, -1, gid); err != nil {
		t.Skipf("giving the directory away needs root: %v", err)
	}
	// A path that climbs out of a linked directory names a file of dir too: ".." is taken where the link leads.
	via := t.TempDir()
	if err := errors.Join(os.Chmod(dir, 0o700|os.ModeSetgid), os.Mkdir(dir+"/sub", 0o700), os.Symlink(dir+"/sub", via+"/d")); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{dir + "/unknown.csv", via + "/d/../climbed.csv"} {
		if err := WriteFile(path, nil); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(dir + "/" + filepath.Base(path))
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Gid != gid {
			t.Errorf("%s: group %d, want the directory's %d", path, st.Gid, gid)
		}
	}
}

func BenchmarkAddTracked(b *testing.B) {
	s := New(20)
	ids := make([][]byte, 20)
	for i := range ids {
		ids[i] = []byte(fmt.Sprintf("SEC-6-IPACCESSLOG%02d", i))
		s.Add(ids[i], "cisco_ios", 6, ids[i])
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Add(ids[i%20], "cisco_ios", 6, ids[i%20])
		i++
	}
}

// TestTopTiesAndCost: ties at the K-th count are broken by ID across the whole sketch, and
// Top copies only those entries, not every one it tracks.
func TestTopTiesAndCost(t *testing.T) {
	s := New(2)
	for id, n := range map[string]int{"A": 3, "C": 2, "B": 2, "D": 1, "E": 1, "F": 1} {
		for range n {
			s.Add([]byte(id), "p", 1, []byte("line "+id))
		}
	}
	if top := s.Top(); len(top) != 2 || top[0].ID != "A" || top[1].ID != "B" {
		t.Errorf("top %+v, want A then B (B before C, counted as often)", top)
	}
	big := New(1)
	for i := range 200 {
		for range i % 7 {
			big.Add([]byte(fmt.Sprint("ID", i)), "p", 1, []byte("x"))
		}
	}
	// The slice of the entries counted as often as the first, and the first one's two strings.
	if got := testing.AllocsPerRun(10, func() { big.Top() }); got > 3 {
		t.Errorf("Top allocates %v times, want at most 3", got)
	}
	// Top runs under the lock flushes take: of many IDs tied at the k-th count it copies the k it returns.
	tied := New(10)
	for i := range Spare * 10 {
		tied.Add([]byte(fmt.Sprint("FAC-3-ID", i)), "IOS", 3, []byte(fmt.Sprint("line ", i)))
	}
	if got := testing.AllocsPerRun(10, func() { tied.Top() }); got > 1+2*10 {
		t.Errorf("Top of 10 among %d tied allocates %v times, want at most 21", Spare*10, got)
	}
}

// TestWriteFileRefusesForeignLink: a link that another user made in a sticky, world-writable
// directory such as /tmp is not followed, as the kernel's fs.protected_symlinks does not follow
// it for opens: a root Fluent Bit would otherwise replace any file it names with the report.
func TestWriteFileRefusesForeignLink(t *testing.T) {
	dir, target := t.TempDir(), filepath.Join(t.TempDir(), "shadow")
	if err := os.WriteFile(target, []byte("keep"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "unknown.csv")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(link, 4321, 4321); err != nil {
		t.Skipf("giving the link away needs root: %v", err)
	}
	err := WriteFile(link, nil)
	if b, _ := os.ReadFile(target); string(b) != "keep" || err == nil || !strings.Contains(err.Error(), "not followed") {
		t.Errorf("WriteFile through another user's link in a sticky directory: target %q, error %v; want it kept and the link refused", b, err)
	}
	// Nor through the operator's link elsewhere that leads to it: the kernel checks each link.
	chain := filepath.Join(t.TempDir(), "unknown.csv")
	if err := os.Symlink(link, chain); err != nil {
		t.Fatal(err)
	}
	err = WriteFile(chain, nil)
	if b, _ := os.ReadFile(target); string(b) != "keep" || err == nil || !strings.Contains(err.Error(), "not followed") {
		t.Errorf("WriteFile through a link to another user's link in a sticky directory: target %q, error %v; want it kept and the link refused", b, err)
	}
	// Nor is another user's file there replaced: the report would be theirs to read and edit.
	foreign := filepath.Join(dir, "planted.csv")
	if err := errors.Join(os.WriteFile(foreign, []byte("keep"), 0o666), os.Chown(foreign, 4321, 4321)); err != nil {
		t.Fatal(err)
	}
	err = WriteFile(foreign, []Item{{ID: "X-1-Y", Count: 1}})
	if b, _ := os.ReadFile(foreign); string(b) != "keep" || err == nil || !strings.Contains(err.Error(), "not followed or replaced") {
		t.Errorf("WriteFile over another user's file in a sticky directory: it holds %q, error %v; want it kept and refused", b, err)
	}
	// The operator's own link there is followed, as before.
	if err := os.Lchown(link, os.Geteuid(), -1); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, nil); err != nil {
		t.Errorf("WriteFile through the writer's own link: %v", err)
	}
}

// TestWriteFileFollowsLinksTheKernelFollows: as fs.protected_symlinks, only another user's link in a
// sticky, world-writable directory, where the directory's owner did not make it, is refused.
func TestWriteFileFollowsLinksTheKernelFollows(t *testing.T) {
	for _, tt := range []struct {
		name                string
		dirMode             os.FileMode
		dirOwner, linkOwner int
		refused             bool
	}{
		{"another user's in a sticky, world-writable directory", 0o777 | os.ModeSticky, os.Geteuid(), 4321, true},
		{"the writer's own in another user's sticky, world-writable directory", 0o777 | os.ModeSticky, 4321, os.Geteuid(), false},
		{"the directory owner's", 0o777 | os.ModeSticky, 4321, 4321, false},
		{"another user's in a sticky directory not world-writable", 0o755 | os.ModeSticky, os.Geteuid(), 4321, false},
		{"another user's in a world-writable directory not sticky", 0o777, os.Geteuid(), 4321, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir, target := t.TempDir(), filepath.Join(t.TempDir(), "target.csv")
			link := filepath.Join(dir, "unknown.csv")
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			if err := errors.Join(os.Lchown(link, tt.linkOwner, -1), os.Chown(dir, tt.dirOwner, -1), os.Chmod(dir, tt.dirMode)); err != nil {
				t.Skipf("giving the link or directory away needs root: %v", err)
			}
			err := WriteFile(link, nil)
			if _, serr := os.Stat(target); (err != nil) != tt.refused || (serr == nil) == tt.refused {
				t.Errorf("WriteFile through the link: error %v, target written %v; want refused %v", err, serr == nil, tt.refused)
			}
		})
	}
}

// TestWriteFileLinkLoop: links that lead to each other are refused, as the kernel refuses them,
// and kept rather than replaced.
func TestWriteFileLinkLoop(t *testing.T) {
	a, b := filepath.Join(t.TempDir(), "a.csv"), filepath.Join(t.TempDir(), "b.csv")
	if err := errors.Join(os.Symlink(b, a), os.Symlink(a, b)); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(a, nil)
	if li, lerr := os.Lstat(a); !errors.Is(err, syscall.ELOOP) || lerr != nil || li.Mode().Type() != os.ModeSymlink {
		t.Errorf("WriteFile through a loop of links: error %v, link kept %v; want ELOOP and the link kept", err, lerr == nil && li.Mode().Type() == os.ModeSymlink)
	}
}

// TestWriteLeavesNoTempFile: a write that fails at the rename (a directory put at the path
// since Resolve looked) removes the temporary file it wrote.
func TestWriteLeavesNoTempFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "unknown.csv")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	err := write(path, nil, nil)
	if names, _ := filepath.Glob(filepath.Join(dir, ".unknown.csv.*")); err == nil || len(names) != 0 {
		t.Errorf("write over a directory: error %v, temporary files %q; want an error and none", err, names)
	}
}

// TestWriteFileLinkChain: a chain of as many links as the kernel follows in one path (40) is
// followed, as opening it is, and one of 41 refused, as the kernel refuses it.
func TestWriteFileLinkChain(t *testing.T) {
	for _, tt := range []struct {
		links int
		want  error
	}{{40, nil}, {41, syscall.ELOOP}} {
		dir := t.TempDir()
		path := filepath.Join(dir, "report.csv")
		for i := range tt.links {
			link := filepath.Join(dir, fmt.Sprintf("link%d.csv", i))
			if err := os.Symlink(filepath.Base(path), link); err != nil {
				t.Fatal(err)
			}
			path = link
		}
		if err := WriteFile(path, nil); !errors.Is(err, tt.want) {
			t.Errorf("WriteFile through %d links: %v, want %v", tt.links, err, tt.want)
		}
	}
}

// TestWriteFileWalksLinksAsTheKernel: a link's relative target that climbs out of a linked
// directory ("../x" in a directory reached through a link) leads where the kernel takes it, both
// to the file written and to the link refused: checked and followed in one walk.
func TestWriteFileWalksLinksAsTheKernel(t *testing.T) {
	sticky, via := t.TempDir(), t.TempDir()
	if err := errors.Join(os.Chmod(sticky, 0o777|os.ModeSticky), os.Mkdir(sticky+"/sub", 0o755),
		os.Symlink(sticky+"/sub", via+"/d"), os.Symlink("../later.csv", sticky+"/sub/pending.csv")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(via+"/d/pending.csv", nil); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(sticky + "/later.csv"); err != nil || string(b) != strings.Join(Columns, ",")+"\n" {
		t.Errorf("the file the link names (in the linked directory's parent) holds %q (%v), want only the header", b, err)
	}
	target := filepath.Join(t.TempDir(), "shadow")
	if err := errors.Join(os.WriteFile(target, []byte("keep"), 0o640), os.Symlink(target, sticky+"/evil"),
		os.Symlink("../evil", sticky+"/sub/unknown.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(sticky+"/evil", 4321, 4321); err != nil {
		t.Skipf("giving the link away needs root: %v", err)
	}
	err := WriteFile(via+"/d/unknown.csv", nil)
	if b, _ := os.ReadFile(target); string(b) != "keep" || err == nil || !strings.Contains(err.Error(), "not followed") {
		t.Errorf("WriteFile through a link leading to another user's link in a sticky directory: target %q, error %v; want it kept and the link refused", b, err)
	}
}

// TestWriteDoesNotFollowANewLink: a link put at the name Resolve gave, after it looked, is replaced
// or refused by the write, not followed, nor its target's mode taken: in /tmp another user could
// make it lead to a named pipe or device, or to a file of theirs.
func TestWriteDoesNotFollowANewLink(t *testing.T) {
	fifo := func(path string) error { return syscall.Mkfifo(path, 0o600) }
	regular := func(path string) error {
		return errors.Join(os.WriteFile(path, []byte("old"), 0o600), os.Chmod(path, 0o666))
	}
	for _, tt := range []struct {
		name        string
		was, target func(path string) error
		targetHolds string
	}{
		{"regular file, link to a named pipe", regular, fifo, ""},
		{"named pipe, link to a named pipe", fifo, fifo, ""},
		{"regular file, link to a file of another mode", func(path string) error { return os.WriteFile(path, nil, 0o600) }, regular, "old"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path, target := dir+"/unknown.csv", dir+"/target"
			if err := errors.Join(tt.was(path), tt.target(target)); err != nil {
				t.Fatal(err)
			}
			r, err := os.OpenFile(target, os.O_RDONLY|syscall.O_NONBLOCK, 0) // lets a write to a pipe open
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			name, fi, err := Resolve(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := errors.Join(os.Remove(path), os.Symlink(target, path)); err != nil {
				t.Fatal(err)
			}
			err = write(name, fi, nil)
			got, _ := io.ReadAll(r)
			li, lerr := os.Lstat(path)
			if string(got) != tt.targetHolds || lerr != nil || li.Mode().Type() == os.ModeSymlink && err == nil {
				t.Errorf("write over a link made since Resolve: target read %q, %s %v (%v), error %v; want the target untouched and the link replaced or refused", got, path, li.Mode(), lerr, err)
			}
			if err == nil && li.Mode().Perm() != fi.Mode().Perm() {
				t.Errorf("mode %v, want the resolved file's %v, not the link target's", li.Mode().Perm(), fi.Mode().Perm())
			}
		})
	}
}

// TestWriteFileIntoAPipe: /dev/stdout on a pipe is a link to /proc/self/fd/1, which reads
// "pipe:[N]", a name that is no path: the pipe is written into.
func TestWriteFileIntoAPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	link := t.TempDir() + "/stdout"
	if err := os.Symlink(fmt.Sprintf("/proc/self/fd/%d", w.Fd()), link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, nil); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 100)
	if n, _ := r.Read(b); string(b[:n]) != strings.Join(Columns, ",")+"\n" {
		t.Errorf("the pipe holds %q, want only the header", b[:n])
	}
}
