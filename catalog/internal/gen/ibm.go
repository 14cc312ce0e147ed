package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/enrich-plugin/enrich/catalog"
)

// The IBM document describes one error code ("1785   鍵サーバーに関して…"), a
// general 説明, a paragraph per event code ("086006 鍵サーバーが…") and under
// ユーザーの処置 a numbered block per event code ("イベント・コード 086006 の場合:").

var (
	ibmErrorRe  = regexp.MustCompile(`^(\d{4})[\s\x{00A0}]+(.+)$`)
	ibmEventRe  = regexp.MustCompile(`^(\d{6})[\s\x{00A0}]+(.+)$`)
	ibmActionRe = regexp.MustCompile(`^イベント・コード\s*(\d{6})\s*の場合[:：]\s*$`)
)

// parseIBM returns the error code summary and one entry per event code.
func parseIBM(text string, rep *reporter) (catalog.ErrorCode, []catalog.Entry, error) {
	state := 0 // 0 header, 1 general 説明, 2 event explanations, 3 actions
	var code catalog.ErrorCode
	var entries []catalog.Entry
	var general textBuilder
	var cur *textBuilder
	expls, actions := map[string]*textBuilder{}, map[string]*textBuilder{} // by event code
	for i, raw := range strings.Split(text, "\n") {
		t := strings.TrimSpace(raw)
		switch {
		case state == 0 && ibmErrorRe.MatchString(t):
			m := ibmErrorRe.FindStringSubmatch(t)
			code = catalog.ErrorCode{Product: catalog.ProductIBM, Code: m[1], Title: strings.TrimSpace(m[2]),
				Source: catalog.Source{Document: docIBM, Section: m[1]}}
		case state == 0 && t == "説明":
			state, cur = 1, &general
		case (state == 1 || state == 2) && ibmEventRe.MatchString(t):
			m := ibmEventRe.FindStringSubmatch(t)
			state, cur = 2, &textBuilder{}
			expls[m[1]] = cur
			entries = append(entries, catalog.Entry{Product: catalog.ProductIBM, ID: m[1], ErrorCode: code.Code,
				Format: m[2], Params: []catalog.Param{}, Source: catalog.Source{Document: docIBM, Section: m[1] + " " + m[2]}})
		case state == 2 && t == "ユーザーの処置":
			state, cur = 3, nil
		case state == 3 && ibmActionRe.MatchString(t):
			id := ibmActionRe.FindStringSubmatch(t)[1]
			if expls[id] == nil {
				return code, nil, fmt.Errorf("line %d: user action for event code %s, which the document does not describe", i+1, id)
			}
			if actions[id] != nil {
				return code, nil, fmt.Errorf("line %d: second user action block for event code %s", i+1, id)
			}
			cur = &textBuilder{}
			actions[id] = cur
		case cur != nil:
			cur.add(raw)
		case t != "":
			rep.add(docIBM, "", fmt.Sprintf("line %d outside any section: %q", i+1, firstRunes(t, 40)), "left out")
		}
	}
	if code.Code == "" {
		return code, nil, fmt.Errorf("no error code heading")
	}
	code.Explanation = general.String()
	if strings.Contains(code.Explanation, "mkkeyserverchkeyserver") {
		rep.add(docIBM, code.Code, "command names mkkeyserver and chkeyserver run together without a separator (mkkeyserverchkeyserver)",
			"kept as printed")
	}
	for k := range entries {
		e := &entries[k]
		e.Explanation = expls[e.ID].String()
		if a := actions[e.ID]; a != nil { // a missing block shows in the empty-field table
			e.Action = a.String()
		}
	}
	rep.add(docIBM, code.Code, "the general explanation and title belong to the error code, not to one event",
		"kept as the error code summary (lookup by error code); each event entry carries its own title as format, its own paragraph as explanation and its own numbered user actions")
	return code, entries, nil
}
