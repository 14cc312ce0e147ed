package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The documents are text extracted from manuals: paragraphs are hard-wrapped,
// page breaks split sentences over a blank line and some markdown survives.

var (
	// markupRes keep the words of links, emphasis, escapes and code.
	markupRes = []*regexp.Regexp{regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`),
		regexp.MustCompile(`\*\*([^*]+?)\*\*`), regexp.MustCompile(`\*([^*\s][^*]*?)\*`),
		regexp.MustCompile(`\\([()\[\]])`), regexp.MustCompile("`([^`]+)`")}
	listRe   = regexp.MustCompile(`^(?:[-•]\s|\d+\.\s)`)
	spacesRe = regexp.MustCompile(`[ \t\x{00A0}\x{3000}]+`)
	twoCJK   = regexp.MustCompile(`^[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}ー]{2}`)
	footerRe = regexp.MustCompile(`^翻訳について$`) // the translation footer ending Cisco's documents
)

// section is the lines under one heading of a document.
type section struct {
	kind  int      // the index of the pattern the heading matched, -1 before the first heading
	m     []string // the heading (trimmed) and its submatches
	line  int      // the heading's line number, from 1
	lines []string // the lines up to the next heading
}

// sections splits lines at each non-blank line that a heading matches, trimmed.
func sections(lines []string, headings ...*regexp.Regexp) []section {
	out := []section{{kind: -1}}
	for i, l := range lines {
		t := strings.TrimSpace(l)
		k := slices.IndexFunc(headings, func(re *regexp.Regexp) bool { return t != "" && re.MatchString(t) })
		if k >= 0 {
			out = append(out, section{kind: k, m: headings[k].FindStringSubmatch(t), line: i + 1})
		} else {
			out[len(out)-1].lines = append(out[len(out)-1].lines, l)
		}
	}
	return out
}

// stripMarkup removes emphasis, link and code markup, keeping the words.
func stripMarkup(s string) string {
	for _, re := range markupRes {
		s = re.ReplaceAllString(s, "$1")
	}
	return s
}

func isFence(line string) bool { return strings.TrimSpace(line) == "```" }

// nextText returns the index and trimmed text of the first non-blank line from i.
func nextText(lines []string, i int) (int, string) {
	for ; i < len(lines); i++ {
		if t := strings.TrimSpace(lines[i]); t != "" {
			return i, t
		}
	}
	return i, ""
}

// joinWrapped joins the parts of a wrapped line: ASCII words with a space, Japanese without.
func joinWrapped(a, b string) string {
	ra, _ := utf8.DecodeLastRuneInString(a)
	rb, _ := utf8.DecodeRuneInString(b)
	if a != "" && ra < utf8.RuneSelf && rb < utf8.RuneSelf && !unicode.IsSpace(ra) {
		return a + " " + b
	}
	return a + b
}

// textBuilder renders document lines into catalog text, a line per paragraph, list item or code line.
type textBuilder struct {
	out     []string
	blank   bool // a blank line or a fence was seen since the last text line
	inFence bool
	lastLen int              // length in runes of the last text line read
	note    func(...finding) // records the page-break joins made
}

// minWrapRunes is the shortest line taken to be cut by a page break, not a list value or title.
const minWrapRunes = 30

func (b *textBuilder) add(raws ...string) {
	for _, raw := range raws {
		line := strings.TrimSpace(raw)
		switch {
		case isFence(line):
			b.inFence, b.blank, b.lastLen = !b.inFence, true, 0 // a line after a fence starts a new one
			continue
		case line == "":
			b.blank = true
			continue
		case b.inFence:
			b.out = append(b.out, spacesRe.ReplaceAllString(line, " "))
			continue
		}
		line = spacesRe.ReplaceAllString(stripMarkup(line), " ")
		n := len(b.out)
		var last rune // the last rune of the line this one may continue
		if n > 0 && !listRe.MatchString(line) {
			last, _ = utf8.DecodeLastRuneInString(b.out[n-1])
		}
		switch {
		case last != 0 && b.blank && b.lastLen >= minWrapRunes && twoCJK.MatchString(string(last)+line):
			// A page break split a sentence over a blank line ("…信頼性の問" / "題を示している…").
			r := []rune(b.out[n-1])
			b.note(finding{true, fmt.Sprintf("sentence split by a page break (%s|%s)",
				string(r[max(0, len(r)-8):]), firstRunes(line, 8)), "joined into one sentence"})
			b.out[n-1] = joinWrapped(b.out[n-1], line)
		case last != 0 && !b.blank && !strings.ContainsRune("。．.：:！？!?）)」", last): // a wrapped line
			b.out[n-1] = joinWrapped(b.out[n-1], line)
		default:
			b.out = append(b.out, line)
		}
		b.blank, b.lastLen = false, utf8.RuneCountInString(line)
	}
}

func (b *textBuilder) String() string { return strings.Join(b.out, "\n") }

// render is the catalog text of lines.
func render(lines []string, note func(...finding)) string {
	b := textBuilder{note: note}
	b.add(lines...)
	return b.String()
}

func firstRunes(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}
