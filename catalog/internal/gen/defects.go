package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/enrich-plugin/enrich/catalog"
)

// Some defects of the Threat Defense document are errors of content that
// no parsing rule can see: a sentence contradicting the message, an
// action copied from another message, a word in another language. They
// are listed here, each with the printed text that shows it, and the
// generator fails when that text is no longer in the entry, so that a new
// edition of the document is looked at again rather than patched blindly.
// Every defect, fixed or kept, is listed in REPORT.md.

// contentDefect is one known defect of an entry's text.
type contentDefect struct {
	id string
	// field is "explanation" or "action": where evidence is printed.
	field string
	// evidence is text that occurs in the field as printed.
	evidence   string
	problem    string
	resolution string
	// fix changes the entry; nil keeps the text as printed.
	fix func(e *catalog.Entry, byID map[string]*catalog.Entry) error
}

var ftdContentDefects = []contentDefect{
	{
		id: "733100", field: "explanation", evidence: "メッセージに示されている指定オブジェクト タイプに応じて、次の手順を実行します。",
		problem:    "the 推奨アクション label sits in the middle of the procedure: the explanation ends with its introduction and the condition of step 1, the action starts with step 1's body",
		resolution: "the procedure, from its introduction on, is moved from the explanation to the start of the action, so that the action keeps its conditions",
		fix: func(e *catalog.Entry, _ map[string]*catalog.Entry) error {
			const intro = "メッセージに示されている指定オブジェクト タイプに応じて、次の手順を実行します。"
			i := strings.Index(e.Explanation, intro)
			if i <= 0 || e.Explanation[i-1] != '\n' {
				return errors.New("the procedure does not start a line of the explanation")
			}
			e.Action = e.Explanation[i:] + "\n" + e.Action
			e.Explanation = strings.TrimRight(e.Explanation[:i], "\n")
			return nil
		},
	},
	{
		id: "776252", field: "explanation", evidence: "指定した送信元からのバインドが、バインディング マネージャに追加されました。",
		problem:    "two sentences contradict each other: the binding was deleted (as the message says) and added (as 776251 says)",
		resolution: "the sentence saying added, which contradicts the message, is left out",
		fix: func(e *catalog.Entry, _ map[string]*catalog.Entry) error {
			return removeLine(&e.Explanation, "指定した送信元からのバインドが、バインディング マネージャに追加されました。")
		},
	},
	{
		id: "753001", field: "action", evidence: "バックアップ L2L 機能を使用するには、IKEv1 をイネーブルにする必要があります。",
		problem:    "the recommended action is 752017's word for word (backup L2L tunnels), unrelated to an unexpected IKEv2 packet in a distributed VPN cluster",
		resolution: "the action is left empty rather than give advice for another message",
		fix: func(e *catalog.Entry, byID map[string]*catalog.Entry) error {
			if o := byID["752017"]; o == nil || o.Action != e.Action {
				return errors.New("the action is no longer 752017's")
			}
			e.Action = ""
			return nil
		},
	},
	{
		id: "752009", field: "action", evidence: "预期",
		problem:    "a Chinese word (预期, expected) in the Japanese action, left by the translation",
		resolution: "kept as printed, so that the text stays verbatim; 预期 reads as the Japanese 予期 (expected)",
	},
}

// removeLine removes the line that is exactly line from *s.
func removeLine(s *string, line string) error {
	lines := strings.Split(*s, "\n")
	for i, l := range lines {
		if l == line {
			*s = strings.Join(append(lines[:i], lines[i+1:]...), "\n")
			return nil
		}
	}
	return fmt.Errorf("no line %q", line)
}

// applyContentDefects checks and resolves ftdContentDefects.
func applyContentDefects(entries []catalog.Entry, rep *reporter) error {
	byID := map[string]*catalog.Entry{}
	for i := range entries {
		if entries[i].Product == catalog.ProductFTD {
			byID[entries[i].ID] = &entries[i]
		}
	}
	var errs []error
	for _, d := range ftdContentDefects {
		e := byID[d.id]
		if e == nil {
			errs = append(errs, fmt.Errorf("%s: known defect of %s: no such entry", docFTD, d.id))
			continue
		}
		text := e.Explanation
		if d.field == "action" {
			text = e.Action
		}
		if !strings.Contains(text, d.evidence) {
			errs = append(errs, fmt.Errorf("%s: known defect of %s: %q is no longer in its %s; review the entry", docFTD, d.id, d.evidence, d.field))
			continue
		}
		if d.fix != nil {
			if err := d.fix(e, byID); err != nil {
				errs = append(errs, fmt.Errorf("%s: known defect of %s: %w", docFTD, d.id, err))
				continue
			}
		}
		rep.add(docFTD, d.id, d.problem, d.resolution)
	}
	return errors.Join(errs...)
}
