package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/enrich"
)

// mixLines returns n input lines in the proportions of a realistic feed:
// 30% firewall lines the catalog explains, 30% firewall lines with IDs it
// does not know, 15% IOS lines, 15% lines without an ID and 10% JSON
// records carrying a catalogued firewall line, drawn from the real samples.
func mixLines(t testing.TB, n int) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "test", "fixtures", "real", "*.log"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no real sample logs (%v)", err)
	}
	eng := newTestEngine(t)
	var known, unknown, ios, none []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			l := sc.Text()
			m, ok := eng.Recognise([]byte(l))
			switch {
			case !ok:
				none = append(none, l)
			case m.Product == catalog.ProductFTD && m.Entry != nil:
				known = append(known, l)
			case m.Product == catalog.ProductFTD:
				unknown = append(unknown, l)
			case m.Product == catalog.ProductIOS:
				ios = append(ios, l)
			}
		}
		fh.Close()
	}
	if len(known) == 0 || len(unknown) == 0 || len(ios) == 0 || len(none) == 0 {
		t.Fatalf("samples lack a category: %d %d %d %d", len(known), len(unknown), len(ios), len(none))
	}
	lines := make([]string, n)
	for i := range lines {
		pick := func(s []string) string { return s[(i*7919)%len(s)] }
		switch k := i % 20; {
		case k < 6:
			lines[i] = pick(known)
		case k < 12:
			lines[i] = pick(unknown)
		case k < 15:
			lines[i] = pick(ios)
		case k < 18:
			lines[i] = pick(none)
		default:
			lines[i] = `{"host":"fw-01.example.net","pri":166,"seq":` + strconv.Itoa(i) +
				`,"log":` + strconv.Quote(pick(known)) + `,"tags":["vpn","edge"]}`
		}
	}
	return lines
}

// BenchmarkEnrichLines measures the default command (read, enrich, write
// JSON) on 10,000 lines of the realistic mix, read from memory and written
// to io.Discard.
func BenchmarkEnrichLines(b *testing.B) {
	lines := mixLines(b, 10000)
	input := []byte(strings.Join(lines, "\n") + "\n")
	l := newLineEnricher(newTestEngine(b), enrich.DefaultOptions(), io.Discard)
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := l.file("-", bytes.NewReader(input)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(lines)*b.N)/b.Elapsed().Seconds(), "lines/s")
}
