package main

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The documents are text extracted from manuals: paragraphs are hard-wrapped,
// page breaks split sentences over a blank line and some markdown survives.

var (
	boldRe   = regexp.MustCompile(`\*\*([^*]+?)\*\*`)
	italicRe = regexp.MustCompile(`\*([^*\s][^*]*?)\*`)
	linkRe   = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	listRe   = regexp.MustCompile(`^(?:[-•]\s|\d+\.\s)`)
	escapeRe = regexp.MustCompile(`\\([()\[\]])`)
	codeRe   = regexp.MustCompile("`([^`]+)`")
	spacesRe = regexp.MustCompile(`[ \t\x{00A0}\x{3000}]+`)
)

// stripMarkup removes emphasis, link and code markup, keeping the words:
// "**show license all**", "[license smart](#)", "`ping`".
func stripMarkup(s string) string {
	for _, re := range []*regexp.Regexp{linkRe, boldRe, italicRe, escapeRe, codeRe} {
		s = re.ReplaceAllString(s, "$1")
	}
	return s
}

func isFence(line string) bool { return strings.TrimSpace(line) == "```" }

func isList(line string) bool { return listRe.MatchString(line) }

// isCJK reports whether r is a Japanese (or Korean) letter.
func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) || r == 'ー'
}

// endsSentence reports whether a line ends where a paragraph may end.
func endsSentence(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return strings.ContainsRune("。．.：:！？!?）)」", r)
}

// joinWrapped joins two parts of one wrapped line: ASCII words get a space
// between them, Japanese text none.
func joinWrapped(a, b string) string {
	if a == "" {
		return b
	}
	ra, _ := utf8.DecodeLastRuneInString(a)
	rb, _ := utf8.DecodeRuneInString(b)
	if ra < utf8.RuneSelf && rb < utf8.RuneSelf && !unicode.IsSpace(ra) {
		return a + " " + b
	}
	return a + b
}

// pageBreak reports whether prev and next, separated by a blank line, are one
// sentence split by a page break ("…信頼性の問" / "題を示している…").
func pageBreak(prev, next string) bool {
	if prev == "" || next == "" || isList(next) || isFence(next) {
		return false
	}
	rp, _ := utf8.DecodeLastRuneInString(prev)
	rn, _ := utf8.DecodeRuneInString(next)
	return isCJK(rp) && isCJK(rn)
}

// textBuilder renders document lines into catalog text: one output line per
// paragraph, list item or code line; wrapped lines joined.
type textBuilder struct {
	out     []string
	open    bool // the last output line may still be continued
	blank   bool // a blank line was seen since the last text line
	inFence bool
	lastLen int      // length in runes of the last text line read
	joins   []string // the page-break joins made, for the report
}

func (b *textBuilder) add(raw string) {
	line := strings.TrimSpace(raw)
	if isFence(line) {
		b.inFence = !b.inFence
		b.open = false
		return
	}
	if b.inFence {
		if line != "" {
			b.out = append(b.out, spacesRe.ReplaceAllString(line, " "))
		}
		return
	}
	if line == "" {
		b.blank = true
		return
	}
	line = spacesRe.ReplaceAllString(stripMarkup(line), " ")
	n := len(b.out)
	switch {
	case n > 0 && b.blank && b.open && b.lastLen >= minWrapRunes && pageBreak(b.out[n-1], line):
		b.joins = append(b.joins, lastRunes(b.out[n-1], 8)+"|"+firstRunes(line, 8))
		b.out[n-1] = joinWrapped(b.out[n-1], line)
	case n > 0 && !b.blank && b.open && !isList(line) && !endsSentence(b.out[n-1]):
		b.out[n-1] = joinWrapped(b.out[n-1], line)
	default:
		b.out = append(b.out, line)
	}
	b.open, b.blank, b.lastLen = true, false, utf8.RuneCountInString(line)
}

// minWrapRunes is the shortest line taken to be cut by a page break: shorter
// lines without punctuation are list values or titles.
const minWrapRunes = 30

func (b *textBuilder) String() string { return strings.Join(b.out, "\n") }

// entryTexts returns the explanation and action of texts, noting the
// page-break joins made in them.
func entryTexts(texts *[3]textBuilder, note func(problem, resolution string)) (string, string) {
	for _, j := range append(texts[tgtExpl].joins, texts[tgtAction].joins...) {
		note(fmt.Sprintf("sentence split by a page break (%s)", j), "joined into one sentence")
	}
	return texts[tgtExpl].String(), texts[tgtAction].String()
}

func lastRunes(s string, n int) string {
	r := []rune(s)
	return string(r[max(0, len(r)-n):])
}

func firstRunes(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}

// normalizeSpace collapses every run of white space to one space.
func normalizeSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// The texts of an entry, in document order.
const (
	tgtNone   = iota // before the 説明 label
	tgtExpl          // the explanation
	tgtAction        // the recommended action
)
