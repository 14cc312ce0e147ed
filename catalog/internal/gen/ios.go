package main

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/enrich-plugin/enrich/catalog"
)

// The Smart Licensing document gives the severity table 0-7 and 12
// %SMART_LIC-* messages, each on an "Error Message" line, often in a fenced
// block, sometimes wrapped or followed by variable descriptions ("[chars] -
// …") and an English summary in the same fence.

var (
	iosMessageRe  = regexp.MustCompile(`^Error Message %([A-Z][A-Z0-9_]*)-([0-7])-([A-Z0-9_]+):\s*(.*)$`)
	iosVarRe      = regexp.MustCompile(`^(\[[\w-]+\])\s+-\s+(.*)$`)
	iosExplainRe  = regexp.MustCompile(`^説明\s*[：:]\s*`)
	iosActionRe   = regexp.MustCompile(`^推奨するアクション\s*[：:]?\s*`)
	iosSeverityRe = regexp.MustCompile(`^([0-7]):\s*(\S+)\t(.+)$`)
)

// parseIOS reads the severity table (table 1, メッセージの重大度) and the
// %SMART_LIC-* entries.
func parseIOS(text string, rep *reporter) ([]catalog.Severity, []catalog.Entry, error) {
	lines := strings.Split(text, "\n")
	var sevs []catalog.Severity
	var starts []int // each message's "Error Message" line, or the fence opening its block
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if m := iosSeverityRe.FindStringSubmatch(t); m != nil {
			level, _ := strconv.Atoi(m[1])
			if level != len(sevs) {
				return nil, nil, fmt.Errorf("severity table: level %d out of order (want %d)", level, len(sevs))
			}
			sevs = append(sevs, catalog.Severity{Level: level, Name: catalog.SeverityName(level), NameJA: m[2],
				DescriptionJA: strings.TrimSpace(m[3])})
		}
		if strings.HasPrefix(t, "Error Message %") {
			if i > 0 && isFence(lines[i-1]) {
				i--
			}
			starts = append(starts, i)
		}
	}
	if len(sevs) != 8 {
		return nil, nil, fmt.Errorf("severity table: found %d levels, want 8", len(sevs))
	}
	end := slices.IndexFunc(lines, func(l string) bool { return strings.TrimSpace(l) == ftdFooter })
	if end < 0 {
		end = len(lines)
	}
	bounds := append(starts, end)
	var entries []catalog.Entry
	for k, s := range starts {
		entry, err := parseIOSBlock(lines[s:bounds[k+1]], rep)
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: %w", s+1, err)
		}
		entries = append(entries, entry)
	}
	return sevs, entries, nil
}

func parseIOSBlock(lines []string, rep *reporter) (catalog.Entry, error) {
	fenced := isFence(lines[0])
	if fenced {
		lines = lines[1:]
	}
	m := iosMessageRe.FindStringSubmatch(strings.TrimSpace(lines[0]))
	if m == nil {
		return catalog.Entry{}, fmt.Errorf("malformed message line %q", lines[0])
	}
	id := m[1] + "-" + m[2] + "-" + m[3]
	sev, _ := strconv.Atoi(m[2])
	e := catalog.Entry{Product: catalog.ProductIOS, ID: id, Facility: m[1], Mnemonic: m[3], Severity: &sev,
		Format: stripMarkup(strings.TrimSpace(m[4])), Params: []catalog.Param{},
		Source: catalog.Source{Document: docIOS, Section: "%" + id}}
	note := func(problem, resolution string) { rep.add(docIOS, id, problem, resolution) }
	if fenced {
		note("message line inside a fenced code block with the English \"Error Message\" prefix",
			"the fence and the prefix are dropped")
	}
	// The rest of the message: wrapped format lines, then variable
	// descriptions and their values, then (inside a fence) an English summary.
	wrapped := false
	var english []string
	i := 1
	for ; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		if fenced && isFence(t) {
			i++
			break
		}
		if !fenced && t == "" {
			break
		}
		switch vm := iosVarRe.FindStringSubmatch(t); {
		case vm != nil: // named without brackets, as the engine names the value
			e.Params = append(e.Params, catalog.Param{Name: strings.Trim(vm[1], "[]"), Description: vm[2]})
		case len(e.Params) > 0 && strings.HasPrefix(t, "- "):
			p := &e.Params[len(e.Params)-1]
			p.Description += "\n" + strings.TrimPrefix(t, "- ")
		case len(e.Params) > 0 || len(english) > 0:
			english = append(english, t)
		default:
			wrapped = true
			e.Format = joinWrapped(e.Format, stripMarkup(t))
		}
	}
	if wrapped {
		note("message format wraps over two lines", "the lines are joined with a space")
	}
	if len(e.Params) > 0 {
		note(fmt.Sprintf("%d variable descriptions inside the message block", len(e.Params)),
			"kept as params, their bullet values appended to the description")
	}
	if len(english) > 0 {
		note(fmt.Sprintf("English summary inside the message block: %q", firstRunes(strings.Join(english, " "), 60)),
			"left out: the Japanese 説明 is the explanation")
	}

	var texts [3]textBuilder
	target := tgtNone
	label := [...]*regexp.Regexp{tgtNone: iosExplainRe, tgtExpl: iosActionRe} // the label ending each text
	for ; i < len(lines); i++ {
		raw := lines[i]
		t := strings.TrimSpace(raw)
		if target < tgtAction && !texts[target].inFence {
			if loc := label[target].FindStringIndex(t); loc != nil {
				target++
				texts[target].add(t[loc[1]:])
				continue
			}
		}
		if target == tgtNone && t != "" {
			note(fmt.Sprintf("text between the message line and 説明: %q", firstRunes(t, 40)), "left out")
		}
		texts[target].add(raw)
	}
	e.Explanation, e.Action = entryTexts(&texts, note)
	if target == tgtAction && e.Action == "" { // a missing label shows in the empty-field table
		note("推奨するアクション label with no text before the next message",
			"recommended action empty (the next message's text is not taken)")
	}
	return e, nil
}
