package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/enrich-plugin/enrich/catalog"
)

// The Smart Licensing document gives the severity table 0-7 and 12 %SMART_LIC-* messages, each on an
// "Error Message" line, often fenced with variable descriptions ("[chars] - …") and an English summary.

var (
	// iosHeadings are a message line, a malformed one, the footer and a row of the severity table.
	iosHeadings = []*regexp.Regexp{
		regexp.MustCompile(`^Error Message %([A-Z][A-Z0-9_]*)-([0-7])-([A-Z0-9_]+):\s*(.*)$`),
		regexp.MustCompile(`^Error Message %.*`), footerRe, regexp.MustCompile(`^([0-7]):\s*(\S+)\t(.+)$`)}
	iosVarRe = regexp.MustCompile(`^(\[[\w-]+\])\s+-\s+(.*)$`)
	// iosLabels are the 説明 and 推奨するアクション labels, in document order.
	iosLabels = [...]*regexp.Regexp{regexp.MustCompile(`^説明\s*[：:]\s*(.*)$`),
		regexp.MustCompile(`^推奨するアクション\s*[：:]?\s*(.*)$`)}
)

// parseIOS reads the severity table and the %SMART_LIC-* entries.
func parseIOS(text string, rep *reporter) ([]catalog.Severity, []catalog.Entry, error) {
	lines := strings.Split(text, "\n")
	var sevs []catalog.Severity
	var entries []catalog.Entry
	for _, s := range sections(lines, iosHeadings...) {
		switch s.kind {
		case 0:
			entries = append(entries, parseIOSBlock(s, s.line > 1 && isFence(lines[s.line-2]), rep))
		case 1:
			return nil, nil, fmt.Errorf("%s: line %d: malformed message line %q", docIOS, s.line, s.m[0])
		case 3:
			level, _ := strconv.Atoi(s.m[1])
			if level != len(sevs) {
				return nil, nil, fmt.Errorf("%s: line %d: severity table: level %d out of order (want %d)",
					docIOS, s.line, level, len(sevs))
			}
			sevs = append(sevs, catalog.Severity{Level: level, Name: catalog.SeverityName(level), NameJA: s.m[2],
				DescriptionJA: strings.TrimSpace(s.m[3])})
		}
	}
	if len(sevs) != 8 {
		return nil, nil, fmt.Errorf("%s: severity table: found %d levels, want 8", docIOS, len(sevs))
	}
	return sevs, entries, nil
}

// parseIOSBlock reads the entry whose message line heads s, in a code fence if fenced.
func parseIOSBlock(s section, fenced bool, rep *reporter) catalog.Entry {
	id := s.m[1] + "-" + s.m[2] + "-" + s.m[3]
	sev, _ := strconv.Atoi(s.m[2])
	e := catalog.Entry{Product: catalog.ProductIOS, ID: id, Facility: s.m[1], Mnemonic: s.m[3], Severity: &sev,
		Format: stripMarkup(strings.TrimSpace(s.m[4])), Params: []catalog.Param{},
		Source: catalog.Source{Document: docIOS, Section: "%" + id}}
	note := func(fs ...finding) { rep.add(docIOS, id, fs...) }
	// Before 説明, the rest of the message up to the end of its fence or paragraph: wrapped format lines,
	// then variable descriptions and their values, then (inside a fence) an English summary.
	wrapped, english, inMessage := false, []string{}, true
	secs := sections(s.lines, iosLabels[:]...)
	for _, l := range secs[0].lines {
		t := strings.TrimSpace(l)
		switch vm := iosVarRe.FindStringSubmatch(t); {
		case !inMessage:
			note(finding{t != "", fmt.Sprintf("text between the message line and 説明: %q", firstRunes(t, 40)),
				"left out"})
		case fenced && isFence(t) || !fenced && t == "":
			inMessage = false
		case vm != nil: // named without brackets, as the engine names the value
			e.Params = append(e.Params, catalog.Param{Name: strings.Trim(vm[1], "[]"), Description: vm[2]})
		case len(e.Params) > 0 && strings.HasPrefix(t, "- "):
			e.Params[len(e.Params)-1].Description += "\n" + strings.TrimPrefix(t, "- ")
		case len(e.Params) > 0 || len(english) > 0:
			english = append(english, t)
		default:
			wrapped = true
			e.Format = joinWrapped(e.Format, stripMarkup(t))
		}
	}
	note(finding{fenced, "message line inside a fenced code block with the English \"Error Message\" prefix",
		"the fence and the prefix are dropped"},
		finding{wrapped, "message format wraps over two lines", "the lines are joined with a space"},
		finding{len(e.Params) > 0,
			fmt.Sprintf("%d variable descriptions inside the message block", len(e.Params)),
			"kept as params, their bullet values appended to the description"},
		finding{len(english) > 0,
			fmt.Sprintf("English summary inside the message block: %q", firstRunes(strings.Join(english, " "), 60)),
			"left out: the Japanese 説明 is the explanation"})

	texts := [2]textBuilder{{note: note}, {note: note}} // by label: the explanation, the action
	for _, sec := range secs[1:] {
		texts[sec.kind].add(append(sec.m[1:], sec.lines...)...) // the text after the label, then its lines
	}
	e.Explanation, e.Action = texts[0].String(), texts[1].String()
	// A missing label shows in the report's table of empty fields.
	note(finding{secs[len(secs)-1].kind == 1 && e.Action == "",
		"推奨するアクション label with no text before the next message",
		"recommended action empty (the next message's text is not taken)"})
	return e
}
