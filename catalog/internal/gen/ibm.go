package main

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/enrich-plugin/enrich/catalog"
)

// The IBM document describes one error code ("1785   鍵サーバーに関して…"), a
// general 説明, a paragraph per event code ("086006 鍵サーバーが…") and under
// ユーザーの処置 a numbered block per event code ("イベント・コード 086006 の場合:").

// ibmHeadings are the headings of the error code, 説明, an event code, ユーザーの処置 and an event's action.
var ibmHeadings = []*regexp.Regexp{regexp.MustCompile(`^(\d{4})[\s\x{00A0}]+(.+)$`), regexp.MustCompile(`^説明$`),
	regexp.MustCompile(`^(\d{6})[\s\x{00A0}]+(.+)$`), regexp.MustCompile(`^ユーザーの処置$`),
	regexp.MustCompile(`^イベント・コード\s*(\d{6})\s*の場合[:：]\s*$`)}

// parseIBM returns the error code summary and one entry per event code.
func parseIBM(text string, rep *reporter) (catalog.ErrorCode, []catalog.Entry, error) {
	var code catalog.ErrorCode
	var entries []catalog.Entry
	note := func(id string) func(...finding) { return func(fs ...finding) { rep.add(docIBM, id, fs...) } }
	for _, s := range sections(strings.Split(text, "\n"), ibmHeadings...) {
		switch s.kind {
		case 0:
			code = catalog.ErrorCode{Product: catalog.ProductIBM, Code: s.m[1], Title: strings.TrimSpace(s.m[2]),
				Source: catalog.Source{Document: docIBM, Section: s.m[1]}}
		case 1:
			code.Explanation = render(s.lines, note(code.Code))
		case 2:
			entries = append(entries, catalog.Entry{Product: catalog.ProductIBM, ID: s.m[1], ErrorCode: code.Code,
				Format: s.m[2], Explanation: render(s.lines, note(s.m[1])), Params: []catalog.Param{},
				Source: catalog.Source{Document: docIBM, Section: s.m[1] + " " + s.m[2]}})
		case 4: // a missing block shows in the empty-field table
			k := slices.IndexFunc(entries, func(e catalog.Entry) bool { return e.ID == s.m[1] })
			if k < 0 {
				return code, nil, fmt.Errorf("%s: line %d: user action for event code %s, which the document does not describe",
					docIBM, s.line, s.m[1])
			}
			if entries[k].Action != "" {
				return code, nil, fmt.Errorf("%s: line %d: second user action block for event code %s",
					docIBM, s.line, s.m[1])
			}
			entries[k].Action = render(s.lines, note(s.m[1]))
		}
		for i, l := range s.lines { // no text before the headings, under the error code or ユーザーの処置
			t := strings.TrimSpace(l)
			rep.add(docIBM, "", finding{t != "" && (s.kind <= 0 || s.kind == 3),
				fmt.Sprintf("line %d outside any section: %q", s.line+1+i, firstRunes(t, 40)), "left out"})
		}
	}
	if code.Code == "" {
		return code, nil, errors.New(docIBM + ": no error code heading")
	}
	rep.add(docIBM, code.Code, finding{strings.Contains(code.Explanation, "mkkeyserverchkeyserver"),
		"command names mkkeyserver and chkeyserver run together without a separator (mkkeyserverchkeyserver)",
		"kept as printed"},
		finding{true, "the general explanation and title belong to the error code, not to one event",
			"kept as the error code summary (lookup by error code); each event entry carries its own title as format, its own paragraph as explanation and its own numbered user actions"})
	return code, entries, nil
}
