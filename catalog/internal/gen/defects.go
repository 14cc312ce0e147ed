package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/enrich-plugin/enrich/catalog"
)

// contentDefect is an error of content in the Threat Defense document that no parsing rule can see;
// the generation fails when its evidence is gone from the field, so that a new edition is reviewed.
type contentDefect struct {
	id, field                     string
	evidence, problem, resolution string
}

var ftdContentDefects = []contentDefect{{
	id: "733100", field: "explanation", evidence: "メッセージに示されている指定オブジェクト タイプに応じて、次の手順を実行します。",
	problem:    "the 推奨アクション label sits in the middle of the procedure: the explanation ends with its introduction and the condition of step 1, the action starts with step 1's body",
	resolution: "the procedure, from its introduction on, is moved from the explanation to the start of the action, so that the action keeps its conditions",
}, {
	id: "776252", field: "explanation", evidence: "指定した送信元からのバインドが、バインディング マネージャに追加されました。",
	problem:    "two sentences contradict each other: the binding was deleted (as the message says) and added (as 776251 says)",
	resolution: "the sentence saying added, which contradicts the message, is left out",
}, {
	id: "753001", field: "action", evidence: "バックアップ L2L 機能を使用するには、IKEv1 をイネーブルにする必要があります。",
	problem:    "the recommended action is 752017's word for word (backup L2L tunnels), unrelated to an unexpected IKEv2 packet in a distributed VPN cluster",
	resolution: "the action is left empty rather than give advice for another message",
}, {
	id: "752009", field: "action", evidence: "预期",
	problem:    "a Chinese word (预期, expected) in the Japanese action, left by the translation",
	resolution: "kept as printed, so that the text stays verbatim; 预期 reads as the Japanese 予期 (expected)",
}, {
	id: "746015", field: "format", evidence: "user-identity: FQDN] ",
	problem:    "the message line has lost the '[' of the tag [FQDN] that 746014 and the device print",
	resolution: "the '[' is put back, so that the format reads as a line does",
}}

// applyContentDefects checks and resolves ftdContentDefects.
func applyContentDefects(entries []catalog.Entry, rep *reporter) error {
	byID := map[string]*catalog.Entry{}
	for i := range entries {
		byID[entries[i].ID] = &entries[i]
	}
	var errs []error
	for _, d := range ftdContentDefects {
		var err error
		e := byID[d.id]
		switch { // a failed check fails the generation, so a fix need not wait for it
		case e == nil:
			err = errors.New("no such entry")
		case !strings.Contains(map[string]string{"explanation": e.Explanation, "action": e.Action, "format": e.Format}[d.field],
			d.evidence):
			err = fmt.Errorf("%q is no longer in its %s; review the entry", d.evidence, d.field)
		case d.id == "733100":
			before, after, ok := strings.Cut(e.Explanation, "\n"+d.evidence)
			if !ok {
				err = errors.New("the procedure does not start a line of the explanation")
			}
			e.Explanation, e.Action = before, d.evidence+after+"\n"+e.Action
		case d.id == "776252":
			isEvidence := func(l string) bool { return l == d.evidence }
			kept := slices.DeleteFunc(strings.Split(e.Explanation, "\n"), isEvidence)
			if e.Explanation = strings.Join(kept, "\n"); strings.Contains(e.Explanation, d.evidence) {
				err = fmt.Errorf("no line %q", d.evidence)
			}
		case d.id == "753001":
			if o := byID["752017"]; o == nil || o.Action != e.Action {
				err = errors.New("the action is no longer 752017's")
			}
			e.Action = ""
		case d.id == "746015":
			e.Format = strings.Replace(e.Format, d.evidence, "user-identity: [FQDN] ", 1)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: known defect of %s: %w", docFTD, d.id, err))
		}
		rep.add(docFTD, d.id, finding{err == nil, d.problem, d.resolution})
	}
	return errors.Join(errs...)
}
