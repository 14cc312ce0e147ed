package main

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/enrich-plugin/enrich/catalog"
)

// The Threat Defense document lists each message under its 6-digit ID: the message line ("エラーメッセージ
// %Threat Defense-4-722001: …"), 説明, parameter lists and 推奨アクション; section headers and a footer come between.

var (
	// ftdHeadings start an entry, a section header and the footer.
	ftdHeadings = []*regexp.Regexp{regexp.MustCompile(`^\d{6}$`), regexp.MustCompile(`^メッセージ \d{6} ~ \d{6}$`),
		footerRe}
	// ftdMessageRe matches the message line; 737038 lacks the dash after the
	// prefix ("%FTD7-737038") and 750013 has " - " after the ID.
	ftdMessageRe = regexp.MustCompile("^(?:エラーメッセージ\\s*)?`?%(Threat Defense|FTD|ASA)(-?)([0-7])-(\\d{6})(:|\\s+-|\\s)\\s*(.*?)`?$")
	// ftdLabelRe matches the 説明 and (group 1) 推奨アクション labels.
	ftdLabelRe = regexp.MustCompile(`^(?:説明|(?:[-•]\s*)?(推奨アクション))[\s：:]*`)
	// ftdParamRe matches "- *name* : description", also bold, code-quoted or "•".
	ftdParamRe = regexp.MustCompile("^[-•]\\s*(?:\\*{1,2}|`)(.+?)(?:\\*{1,2}|`)\\s*[:：]\\s*(.*)$")
	// ftdParamNamesSep splits "*a*、*b*", parameters sharing one description.
	ftdParamNamesSep = regexp.MustCompile(`\*\s*[、,]\s*\*`)
	// ftdPlainParamRe matches a name not marked up ("- type-num : …", "- local IP:local port : …"), a parameter
	// if the format has it.
	ftdPlainParamRe = regexp.MustCompile(`^[-•]\s+([^：]*?[A-Za-z][^：]*?)\s+[:：]\s*(.*)$`)
	ftdValueRe      = regexp.MustCompile(`^[-•]\s+`)
	// ftdMarkedRe matches a placeholder of words marked up in the message line (*name*, *attr name/value*).
	ftdMarkedRe = regexp.MustCompile(`\*{1,2}([A-Za-z][\w/-]*(?: [A-Za-z][\w/-]*)*)\*{1,2}`)
)

// parseFTD extracts one entry per heading and resolves the content defects.
func parseFTD(text string, rep *reporter) ([]catalog.Entry, error) {
	secs := sections(strings.Split(text, "\n"), ftdHeadings...)
	for k := 1; k < len(secs); k++ {
		if s := secs[k]; secs[k-1].kind == 0 && s.kind > 0 {
			rep.add(docFTD, secs[k-1].m[0], finding{s.kind == 1,
				fmt.Sprintf("section header %q (line %d) follows the entry", s.m[0], s.line),
				"the entry ends at the section header; the header and its introduction belong to no entry"},
				finding{s.kind == 2, fmt.Sprintf("translation footer %q (line %d) follows the last entry",
					s.m[0], s.line), "the entry ends at the footer; the footer text belongs to no entry"})
		}
	}
	var entries []catalog.Entry
	for _, s := range secs {
		if s.kind == 0 {
			entries = append(entries, parseFTDBlock(s, rep))
		}
	}
	return entries, applyContentDefects(entries, rep)
}

// parseFTDBlock reads the message line, then in one pass its wrapped format, labels, parameters and text.
func parseFTDBlock(s section, rep *reporter) catalog.Entry {
	id := s.m[0]
	e := catalog.Entry{Product: catalog.ProductFTD, ID: id, Params: []catalog.Param{},
		Source: catalog.Source{Document: docFTD, Section: id}}
	note := func(fs ...finding) { rep.add(docFTD, id, fs...) }
	expl, act := textBuilder{note: note}, textBuilder{note: note}
	target, seenExpl := &expl, false // text before the 説明 label, of which there is none, is explanation
	first, fenced := ftdMessage(&e, s.lines, note)
	var cont *string // the format or parameter description a wrapped line continues
	if first > 0 {
		cont = &e.Format
	}
	for i := first; i < len(s.lines); i++ {
		raw, t := s.lines[i], strings.TrimSpace(s.lines[i])
		_, inside := nextText(s.lines, i+1) // after a fence: the rest of the format, or an example
		loc := ftdLabelRe.FindStringSubmatchIndex(t)
		switch {
		case fenced && isFence(t):
			fenced, cont = false, nil
		case fenced: // the format goes on to the end of its fence
			e.Format = joinWrapped(e.Format, stripMarkup(t))
		case isFence(t) && cont == &e.Format && inside != "" && !strings.HasPrefix(inside, "%") &&
			!isFence(inside) && !ftdMessageRe.MatchString(inside) && !ftdLabelRe.MatchString(inside):
			note(finding{true, "message format continues inside a fenced code block after a blank line",
				"the fenced lines are joined to the format"}) // 751022
			fenced = true
		case t == "" || isFence(t) || target.inFence: // a label or parameter in a code fence is code
			if t != "" {
				cont = nil
			}
			target.add(raw)
		case loc != nil:
			action := loc[2] >= 0
			second := !action && seenExpl && target == &expl
			note(finding{loc[2] > 0, "推奨アクション label printed as a list item", "recognised as the label"},
				finding{second, "second 説明 label where the recommended action belongs",
					"the text under the second 説明 is the recommended action"})
			target, seenExpl = &expl, seenExpl || !action // a 説明 after the action adds to the explanation
			if action || second {
				target = &act
			}
			cont = nil
			target.add(t[loc[1]:])
		case ftdParams(&e, t, seenExpl, note):
			cont = &e.Params[len(e.Params)-1].Description
		case cont != nil && cont != &e.Format && ftdValueRe.MatchString(t): // a value of the parameter
			*cont += "\n" + stripMarkup(ftdValueRe.ReplaceAllString(t, ""))
		case cont != nil && strings.TrimSpace(s.lines[i-1]) != "" && !listRe.MatchString(t): // a wrapped line
			*cont = joinWrapped(*cont, stripMarkup(t))
		default:
			cont = nil
			target.add(raw)
		}
	}
	// A missing message line or label leaves fields empty, for the report's empty-field table.
	e.Format = spacesRe.ReplaceAllString(strings.TrimSpace(e.Format), " ")
	note(finding{strings.Contains(e.Format, `\n`), `literal "\n" (an escaped line break) printed in the message format`,
		"removed: a device writes no such characters, the text around it is kept"})
	e.Format = strings.ReplaceAll(e.Format, `\n`, "")
	sortParamsByFormat(&e, note)
	var marked []string // the placeholders the message line marks up and the list leaves out
	for i := 0; i < len(s.lines) && !ftdLabelRe.MatchString(strings.TrimSpace(s.lines[i])); i++ {
		l := " " + s.lines[i] + " "
		for _, m := range ftdMarkedRe.FindAllStringSubmatchIndex(l, -1) {
			// 746014's "[*FQDN*]" is the bracketed tag the line prints, 746015's "*FQDN*]" the same missing its '['.
			// Words marked up together that the list names one by one (726001's *im_protocol im_service*) are those,
			// and a mark the line follows with the rest of a listed name (722054's "*remote* IP" for remote IP) is that.
			name, listed := l[m[2]:m[3]], func(n string) bool {
				return slices.ContainsFunc(e.Params, func(p catalog.Param) bool { return p.Name == n })
			}
			startsListed := slices.ContainsFunc(e.Params, func(p catalog.Param) bool {
				rest, ok := strings.CutPrefix(p.Name, name+" ")
				return ok && strings.HasPrefix(l[m[1]:], " "+rest)
			})
			if l[m[0]-1] != '[' && l[m[1]] != ']' && !listed(name) && !slices.ContainsFunc(strings.Fields(name), listed) && !startsListed {
				marked, e.Params = append(marked, name), append(e.Params, catalog.Param{Name: name})
			}
		}
	}
	note(finding{marked != nil, fmt.Sprintf("placeholders marked up in the message format but not in the parameter list (%s)",
		strings.Join(marked, ", ")), "added to params with no description, in format order, so that the engine reads them"})
	sortParamsByFormat(&e, func(...finding) {})
	e.Explanation, e.Action = expl.String(), act.String()
	return e
}

// sortParamsByFormat puts the parameters in the order the format names them (docs/catalog.md: params are
// in format order), where the document lists them otherwise (725009 lists n last, 751023 n first). A name
// the format does not write (725017's ctm->src_ip for a %B) keeps its place after the item listed before it.
func sortParamsByFormat(e *catalog.Entry, note func(...finding)) {
	type placed struct {
		at int // where the format names the param, or else the item before it (-1 for none)
		catalog.Param
	}
	list, at := make([]placed, len(e.Params)), -1
	for j, p := range e.Params {
		word := formatWord(p.Name)
		for _, re := range []string{word, `(?i)` + word} {
			if loc := regexp.MustCompile(re).FindStringIndex(e.Format); loc != nil {
				at = loc[0]
				break
			}
		}
		list[j] = placed{at, p}
	}
	byAt := func(a, b placed) int { return a.at - b.at }
	if slices.IsSortedFunc(list, byAt) {
		return
	}
	slices.SortStableFunc(list, byAt)
	var listed, sorted []string
	for j, p := range list {
		listed, sorted = append(listed, e.Params[j].Name), append(sorted, p.Name)
		e.Params[j] = p.Param
	}
	note(finding{true, fmt.Sprintf("parameter list in another order than the format (%s)", strings.Join(listed, ", ")),
		fmt.Sprintf("params given in format order (%s)", strings.Join(sorted, ", "))})
}

// ftdParams adds the parameters that list item t describes to e; it reports whether there are any.
func ftdParams(e *catalog.Entry, t string, seenExpl bool, note func(...finding)) bool {
	var names []string // the parameters m describes with m[2]
	m := ftdParamRe.FindStringSubmatch(t)
	if m != nil {
		names = ftdParamNamesSep.Split(strings.TrimSpace(m[1]), -1)
		note(finding{len(names) > 1,
			"one description for several parameters (" + strings.Join(names, ", ") + ")",
			"each parameter gets the description"},
			finding{!seenExpl, "parameter list before the 説明 label",
				"the parameters are kept; the explanation starts at 説明"})
	} else if m = ftdPlainParamRe.FindStringSubmatch(t); m != nil {
		name := strings.TrimSpace(m[1])
		if spelt, how := formatPlaceholder(e.Format, name, e.Params); spelt != "" {
			names = []string{spelt}
			note(finding{how != "",
				fmt.Sprintf("parameter list item %q names the format's placeholder %q %s", name, spelt, how),
				fmt.Sprintf("kept as parameter %q (the format's spelling), not as explanation text", spelt)})
		}
	}
	for _, name := range names {
		if spelt, how := formatPlaceholder(e.Format, name, e.Params); how == abbreviated {
			note(finding{true, fmt.Sprintf("parameter list item %q names the format's placeholder %q %s", name, spelt, how),
				fmt.Sprintf("kept as parameter %q (the format's spelling)", spelt)})
			name = spelt
		}
		e.Params = append(e.Params, catalog.Param{Name: name, Description: stripMarkup(strings.TrimSpace(m[2]))})
	}
	return names != nil
}

// ftdMessage reads the message line into e; it returns the index after it (0 if none) and if it is fenced.
func ftdMessage(e *catalog.Entry, lines []string, note func(...finding)) (int, bool) {
	i, t := nextText(lines, 0)
	fenced := isFence(t)
	if fenced {
		i, t = nextText(lines, i+1)
	}
	m := ftdMessageRe.FindStringSubmatch(t)
	if m == nil {
		return 0, false
	}
	sep := strings.TrimSpace(m[5])
	note(finding{fenced, "message line inside a fenced code block",
		"the fence is ignored and the message line parsed as usual"},
		finding{!strings.HasPrefix(t, "エラーメッセージ"), "message line without the エラーメッセージ label",
			"recognised by its %Threat Defense- prefix"},
		finding{m[2] == "",
			fmt.Sprintf("message line prefix %q lacks the dash before the severity", "%"+m[1]+m[3]+"-"),
			fmt.Sprintf("severity %s taken from the digit after the prefix", m[3])},
		finding{sep == "", "message ID followed by a space instead of a colon",
			"the text after the space is the format"},
		finding{sep != "" && sep != ":", fmt.Sprintf("message ID followed by %q instead of a colon", sep),
			"the text after the separator is the format"},
		finding{strings.Contains(t, "`"), "message line marked up as inline code",
			"the backticks are dropped"},
		finding{m[4] != e.ID, fmt.Sprintf("heading %s but the message line under it reads %s", e.ID, m[4]),
			fmt.Sprintf("entry keyed by the heading %s; the message line is kept as printed (format and severity) and its ID as printed_id %s", e.ID, m[4])})
	if m[4] != e.ID {
		e.PrintedID = m[4]
	}
	sev, _ := strconv.Atoi(m[3])
	e.Severity, e.Format = &sev, stripMarkup(m[6])
	return i + 1, fenced
}

// formatPlaceholder finds the placeholder of format that list item name stands for and how the spellings
// differ ("" if not): "unit id" for <unit_id>, "ar1" for var1 (a typo) or "source-ip" for src-ip, if no
// other item names it.
func formatPlaceholder(format, name string, params []catalog.Param) (string, string) {
	if regexp.MustCompile(formatWord(name)).MatchString(format) {
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
		} else if !named && abbreviates(w, name) {
			return w, abbreviated
		}
	}
	return "", ""
}

// abbreviated is the one difference from its placeholder that a marked-up list item's name may have:
// the other rules would take literal words of the format (733101's "Object objectIP") for its name.
const abbreviated = "abbreviated in the format"

// abbreviates reports whether placeholder w writes each word of list item name shortened to letters of
// it in order, its first kept, as src-ip does source-ip; two words or more, the same separators.
func abbreviates(w, name string) bool {
	ws, ns := strings.Split(w, "-"), strings.Split(name, "-")
	if len(ws) < 2 || len(ws) != len(ns) {
		return false
	}
	for i, a := range ws {
		for j := 0; a != "" && j < len(ns[i]) && (j > 0 || a[0] == ns[i][0]); j++ {
			if a[0] == ns[i][j] {
				a = a[1:]
			}
		}
		if a != "" || ws[i] == "" {
			return false
		}
	}
	return true
}

// formatWord is the pattern of name as a word of a format, not part of a longer name; blanks next to a
// colon are aside, as the engine reads them ("local IP :local port" is local IP:local port).
func formatWord(name string) string {
	return `(^|[^A-Za-z0-9_-])` + strings.ReplaceAll(regexp.QuoteMeta(name), ":", ` ?: ?`) + `($|[^A-Za-z0-9_-])`
}

// oneEditApart reports whether a and b are one byte insertion, deletion or replacement apart.
func oneEditApart(a, b string) bool {
	i := 0 // the first byte that differs
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	restA, restB := a[min(i+1, len(a)):], b[min(i+1, len(b)):]
	return a != b && (restA == restB || restA == b[i:] || a[i:] == restB)
}
