package main

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/enrich-plugin/enrich/catalog"
)

// The Threat Defense document lists each message under a heading holding its
// 6-digit ID: the message line ("エラーメッセージ %Threat Defense-4-722001: …"),
// 説明, parameter lists and 推奨アクション. Section headers ("メッセージ 723001 ~
// 736001" and an introduction) and the footer (翻訳について) come between.

var (
	ftdHeadingRe = regexp.MustCompile(`^(\d{6})\s*$`)
	ftdSectionRe = regexp.MustCompile(`^メッセージ \d{6} ~ \d{6}\s*$`)
	// ftdMessageRe matches the message line; 737038 lacks the dash after the
	// prefix ("%FTD7-737038") and 750013 has " - " after the ID.
	ftdMessageRe = regexp.MustCompile("^(?:エラーメッセージ\\s*)?`?%(Threat Defense|FTD|ASA)(-?)([0-7])-(\\d{6})(:|\\s+-|\\s)\\s*(.*?)`?$")
	// ftdParamRe matches "- *name* : description", also bold, code-quoted or "•".
	ftdParamRe = regexp.MustCompile("^[-•]\\s*(?:\\*{1,2}|`)(.+?)(?:\\*{1,2}|`)\\s*[:：]\\s*(.*)$")
	// ftdParamNamesSep splits "*a*、*b*", parameters sharing one description.
	ftdParamNamesSep = regexp.MustCompile(`\*\s*[、,]\s*\*`)
	// ftdPlainParamRe matches a name not marked up ("- type-num : …"), a
	// parameter only when the format has it, else the previous one's value.
	ftdPlainParamRe = regexp.MustCompile(`^[-•]\s+([^:：]*[A-Za-z][^:：]*?)\s+[:：]\s*(.*)$`)
	ftdValueRe      = regexp.MustCompile(`^[-•]\s+`)
	ftdExplainRe    = regexp.MustCompile(`^説明[\s：:]*`)
	ftdActionRe     = regexp.MustCompile(`^(?:[-•]\s*)?推奨アクション[\s：:]*`)
)

const ftdFooter = "翻訳について"

type ftdBlock struct {
	id    string
	lines []string
}

// splitFTD cuts the document into heading blocks without the section headers,
// their introductions and the footer.
func splitFTD(text string, rep *reporter) []ftdBlock {
	var blocks []ftdBlock
	cur := -1 // the block collecting lines, -1 outside any
	for i, l := range strings.Split(text, "\n") {
		t := strings.TrimSpace(l)
		var problem, resolution string
		switch {
		case ftdHeadingRe.MatchString(l):
			blocks, cur = append(blocks, ftdBlock{id: t}), len(blocks)
			continue
		case ftdSectionRe.MatchString(t):
			problem, resolution = "section header %q (line %d) follows the entry", "the entry ends at the section header; the header and its introduction belong to no entry"
		case t == ftdFooter:
			problem, resolution = "translation footer %q (line %d) follows the last entry", "the entry ends at the footer; the footer text belongs to no entry"
		default:
			if cur >= 0 {
				blocks[cur].lines = append(blocks[cur].lines, l)
			}
			continue
		}
		if cur >= 0 {
			rep.add(docFTD, blocks[cur].id, fmt.Sprintf(problem, t, i+1), resolution)
		}
		if t == ftdFooter {
			break
		}
		cur = -1
	}
	return blocks
}

// parseFTD extracts one entry per heading.
func parseFTD(text string, rep *reporter) []catalog.Entry {
	var entries []catalog.Entry
	for _, b := range splitFTD(text, rep) {
		entries = append(entries, parseFTDBlock(b, rep))
	}
	return entries
}

func parseFTDBlock(b ftdBlock, rep *reporter) catalog.Entry {
	e := catalog.Entry{Product: catalog.ProductFTD, ID: b.id, Params: []catalog.Param{},
		Source: catalog.Source{Document: docFTD, Section: b.id}}
	note := func(problem, resolution string) { rep.add(docFTD, b.id, problem, resolution) }

	var texts [3]textBuilder
	target := tgtExpl // text before the 説明 label, of which there is none, would be explanation
	seenMsg, seenExpl := false, false
	inMsg := false      // collecting wrapped format lines
	msgFence := false   // the format is read inside a fenced block
	afterMsg := false   // only blank lines since the end of the message
	param := -1         // index of the parameter that may be continued
	paramBlank := false // a blank line followed that parameter
	for i, raw := range b.lines {
		t := strings.TrimSpace(raw)
		inFence := texts[target].inFence // a fenced block belonging to the text
		switch next := firstText(b.lines[i+1:]); {
		case !isFence(t):
		case !seenMsg && !inFence && ftdMessageRe.MatchString(next):
			msgFence = true
			note("message line inside a fenced code block", "the fence is ignored and the message line parsed as usual")
			continue
		case afterMsg && !inFence && !msgFence && continuesFormat(next):
			msgFence, inMsg = true, true
			note("message format continues inside a fenced code block after a blank line",
				"the fenced lines are joined to the format")
			continue
		case msgFence:
			msgFence, inMsg, afterMsg = false, false, false
			continue
		default:
			param = -1
		}
		if inFence || isFence(t) {
			texts[target].add(raw)
			continue
		}
		if t == "" {
			if inMsg && !msgFence {
				inMsg, afterMsg = false, true
			}
			paramBlank = param >= 0
			texts[target].add(raw)
			continue
		}

		if m := ftdMessageRe.FindStringSubmatch(t); m != nil && !seenMsg {
			seenMsg, inMsg = true, true
			if !strings.HasPrefix(t, "エラーメッセージ") {
				note("message line without the エラーメッセージ label", "recognised by its %Threat Defense- prefix")
			}
			if m[2] == "" {
				note(fmt.Sprintf("message line prefix %q lacks the dash before the severity", "%"+m[1]+m[3]+"-"),
					fmt.Sprintf("severity %s taken from the digit after the prefix", m[3]))
			}
			switch sep := strings.TrimSpace(m[5]); {
			case sep == "":
				note("message ID followed by a space instead of a colon", "the text after the space is the format")
			case sep != ":":
				note(fmt.Sprintf("message ID followed by %q instead of a colon", sep), "the text after the separator is the format")
			}
			if strings.Contains(t, "`") {
				note("message line marked up as inline code", "the backticks are dropped")
			}
			if m[4] != b.id {
				note(fmt.Sprintf("heading %s but the message line under it reads %s", b.id, m[4]),
					fmt.Sprintf("entry keyed by the heading %s; the message line is kept as printed (format and severity) and its ID as printed_id %s", b.id, m[4]))
				e.PrintedID = m[4]
			}
			sev, _ := strconv.Atoi(m[3])
			e.Severity = &sev
			e.Format = stripMarkup(m[6])
			continue
		}
		if inMsg {
			if !isFTDLabel(t) && !ftdValueRe.MatchString(t) {
				e.Format = joinWrapped(e.Format, stripMarkup(t))
				continue
			}
			inMsg = false
		}
		afterMsg = false

		loc, action := ftdExplainRe.FindStringIndex(t), ftdActionRe.FindStringIndex(t)
		if loc == nil {
			loc = action
		}
		if loc != nil {
			switch {
			case action != nil:
				if !strings.HasPrefix(t, "推奨アクション") {
					note("推奨アクション label printed as a list item", "recognised as the label")
				}
				target = tgtAction
			case seenExpl && target == tgtExpl:
				target = tgtAction
				note("second 説明 label where the recommended action belongs",
					"the text under the second 説明 is the recommended action")
			default: // a 説明 label after the action, of which there is none, adds to the explanation
				target, seenExpl = tgtExpl, true
			}
			param, paramBlank = -1, false
			if rest := t[loc[1]:]; rest != "" {
				texts[target].add(rest)
			}
			continue
		}

		var names []string // the parameters a list item describes
		var desc string
		if m := ftdParamRe.FindStringSubmatch(t); m != nil {
			names, desc = ftdParamNamesSep.Split(strings.TrimSpace(m[1]), -1), m[2]
			if len(names) > 1 {
				note("one description for several parameters ("+strings.Join(names, ", ")+")", "each parameter gets the description")
			}
			if !seenExpl {
				note("parameter list before the 説明 label", "the parameters are kept; the explanation starts at 説明")
			}
		} else if m := ftdPlainParamRe.FindStringSubmatch(t); m != nil {
			name := strings.TrimSpace(m[1])
			spelt, how := formatPlaceholder(e.Format, name, e.Params)
			if how != "" {
				note(fmt.Sprintf("parameter list item %q names the format's placeholder %q %s", name, spelt, how),
					fmt.Sprintf("kept as parameter %q (the format's spelling), not as explanation text", spelt))
			}
			if spelt != "" {
				names, desc = []string{spelt}, m[2]
			}
		}
		if names != nil {
			for _, name := range names {
				e.Params = append(e.Params, catalog.Param{Name: name, Description: stripMarkup(strings.TrimSpace(desc))})
			}
			param, paramBlank = len(e.Params)-1, false
			continue
		}
		if param >= 0 && ftdValueRe.MatchString(t) { // a bullet after a parameter lists one of its values
			p := &e.Params[param]
			p.Description += "\n" + stripMarkup(ftdValueRe.ReplaceAllString(t, ""))
			paramBlank = false
			continue
		}
		if param >= 0 && !paramBlank && !isList(t) { // a wrapped parameter description
			p := &e.Params[param]
			p.Description = joinWrapped(p.Description, stripMarkup(t))
			continue
		}
		param, paramBlank = -1, false
		texts[target].add(raw)
	}

	e.Format = spacesRe.ReplaceAllString(strings.TrimSpace(e.Format), " ")
	if strings.Contains(e.Format, `\n`) {
		note(`literal "\n" (an escaped line break) printed in the message format`,
			"removed: a device writes no such characters, the text around it is kept")
		e.Format = strings.ReplaceAll(e.Format, `\n`, "")
	}
	// A missing message line or label leaves its fields empty, which the
	// report's table of empty fields lists.
	e.Explanation, e.Action = entryTexts(&texts, note)
	return e
}

// firstText is the first non-blank line of lines, trimmed.
func firstText(lines []string) string {
	for _, l := range lines {
		if t := strings.TrimSpace(l); t != "" {
			return t
		}
	}
	return ""
}

// continuesFormat reports whether t, the first line of a fenced block
// after the message line, holds the rest of the format, not an example.
func continuesFormat(t string) bool {
	return t != "" && !strings.HasPrefix(t, "%") && !ftdMessageRe.MatchString(t) && !isFTDLabel(t) && !isFence(t)
}

func isFTDLabel(t string) bool { return ftdExplainRe.MatchString(t) || ftdActionRe.MatchString(t) }

// formatPlaceholder finds the placeholder of format that the list item name
// stands for and says how the spellings differ ("" when they do not): "unit
// id" for <unit_id> (spaces, underscores and case aside), or a typo, "ar1"
// for var1 (one letter apart, a placeholder no other item names).
func formatPlaceholder(format, name string, params []catalog.Param) (string, string) {
	// A word of the format is not part of a longer name.
	if regexp.MustCompile(`(^|[^A-Za-z0-9_-])` + regexp.QuoteMeta(name) + `($|[^A-Za-z0-9_-])`).MatchString(format) {
		return name, ""
	}
	norm := strings.NewReplacer(" ", "", "_", "")
	var words []string // the <...> placeholders, then the words
	for _, m := range regexp.MustCompile(`<([^<>]{1,40})>`).FindAllStringSubmatch(format, -1) {
		words = append(words, m[1])
	}
	words = append(words, regexp.MustCompile(`[A-Za-z0-9_-]+`).FindAllString(format, -1)...)
	for _, w := range words {
		if strings.EqualFold(norm.Replace(w), norm.Replace(name)) {
			return w, "with other spaces, underscores or letter case"
		}
	}
	for _, w := range words {
		named := slices.ContainsFunc(params, func(p catalog.Param) bool { return p.Name == w })
		if len(name) >= 3 && len(w) >= 3 && !named && oneEditApart(name, w) && strings.ContainsAny(w, "0123456789_") {
			return w, "with a typo (one letter apart)"
		}
	}
	return "", ""
}

// oneEditApart reports whether a and b differ by one inserted, deleted or
// replaced byte.
func oneEditApart(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	for i := range b {
		if b[:i]+b[i+1:] == a || len(a) == len(b) && a != b && a[:i]+a[i+1:] == b[:i]+b[i+1:] {
			return true
		}
	}
	return false
}
