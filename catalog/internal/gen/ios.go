package main

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/enrich-plugin/enrich/catalog"
)

// The Smart Licensing document explains the %FACILITY-SEVERITY-MNEMONIC
// layout, gives the severity table 0-7, and describes 12 %SMART_LIC-*
// messages. Each message line starts with the English "Error Message"
// prefix, often inside a fenced code block, sometimes wrapped, sometimes
// followed by variable descriptions ("[chars] - …") and an English summary
// inside the same fence.

var (
	iosMessageRe  = regexp.MustCompile(`^Error Message %([A-Z][A-Z0-9_]*)-([0-7])-([A-Z0-9_]+):\s*(.*)$`)
	iosVarRe      = regexp.MustCompile(`^(\[[\w-]+\])\s+-\s+(.*)$`)
	iosExplainRe  = regexp.MustCompile(`^説明\s*[：:]\s*`)
	iosActionRe   = regexp.MustCompile(`^推奨するアクション\s*[：:]?\s*`)
	iosSeverityRe = regexp.MustCompile(`^([0-7]):\s*(\S+)\t(.+)$`)
)

// parseSeverities reads table 1 (メッセージの重大度) of the document.
func parseSeverities(text string) ([]catalog.Severity, error) {
	var out []catalog.Severity
	for _, l := range strings.Split(text, "\n") {
		m := iosSeverityRe.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		level, _ := strconv.Atoi(m[1])
		if level != len(out) {
			return nil, fmt.Errorf("severity table: level %d out of order (want %d)", level, len(out))
		}
		out = append(out, catalog.Severity{Level: level, Name: catalog.SeverityName(level), NameJA: m[2], DescriptionJA: strings.TrimSpace(m[3])})
	}
	if len(out) != 8 {
		return nil, fmt.Errorf("severity table: found %d levels, want 8", len(out))
	}
	return out, nil
}

// parseIOS extracts the %SMART_LIC-* entries.
func parseIOS(text string, rep *reporter) ([]catalog.Entry, error) {
	lines := strings.Split(text, "\n")
	// Each message starts at its "Error Message" line, or at the fence
	// opening the block that holds it.
	var starts []int
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "Error Message %") {
			s := i
			if i > 0 && isFence(lines[i-1]) {
				s = i - 1
			}
			starts = append(starts, s)
		}
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
			return nil, fmt.Errorf("line %d: %w", s+1, err)
		}
		entries = append(entries, entry)
	}
	return entries, nil
}

func parseIOSBlock(lines []string, rep *reporter) (catalog.Entry, error) {
	fenced := isFence(lines[0])
	i := 0
	if fenced {
		i = 1
	}
	m := iosMessageRe.FindStringSubmatch(strings.TrimSpace(lines[i]))
	if m == nil {
		return catalog.Entry{}, fmt.Errorf("malformed message line %q", lines[i])
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
	i++

	// The rest of the message: wrapped format lines, then variable
	// descriptions and their values, then (inside a fence) an English summary.
	inVars, wrapped := false, false
	var english []string
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
		case vm != nil:
			inVars = true
			// The name is the placeholder without its brackets, as
			// the engine names the value it extracts.
			e.Params = append(e.Params, catalog.Param{Name: strings.Trim(vm[1], "[]"), Description: vm[2]})
		case inVars && strings.HasPrefix(t, "- "):
			p := &e.Params[len(e.Params)-1]
			p.Description += "\n" + strings.TrimPrefix(t, "- ")
		case inVars || len(english) > 0:
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
	for ; i < len(lines); i++ {
		raw := lines[i]
		t := strings.TrimSpace(raw)
		if loc := iosExplainRe.FindStringIndex(t); loc != nil && target == tgtNone {
			target = tgtExpl
			texts[target].add(t[loc[1]:])
			continue
		}
		if loc := iosActionRe.FindStringIndex(t); loc != nil && target == tgtExpl && !texts[tgtExpl].inFence {
			target = tgtAction
			texts[target].add(t[loc[1]:])
			continue
		}
		if target == tgtNone && t != "" {
			note(fmt.Sprintf("text between the message line and 説明: %q", firstRunes(t, 40)), "left out")
		}
		texts[target].add(raw)
	}
	e.Explanation, e.Action = entryTexts(&texts, note)
	if target != tgtAction {
		note("no 推奨するアクション label", "recommended action empty")
	} else if e.Action == "" {
		note("推奨するアクション label with no text before the next message",
			"recommended action empty (the next message's text is not taken)")
	}
	return e, nil
}
