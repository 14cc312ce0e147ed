package main

import (
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"wrapped japanese", []string{"説明の続きが", "次の行にあります。"}, "説明の続きが次の行にあります。"},
		{"wrapped ascii", []string{"Error parsing", "request."}, "Error parsing request."},
		{"sentence ends line", []string{"一文目です。", "二文目です。"}, "一文目です。\n二文目です。"},
		{"page break", []string{"これはとても長い一文で、ページの終わりで途中から切れてしまったネットワークの信頼性の問", "", "題を示しています。"},
			"これはとても長い一文で、ページの終わりで途中から切れてしまったネットワークの信頼性の問題を示しています。"},
		{"short line is no page break", []string{"- total : 合計カウント", "", "次の例です。"}, "- total : 合計カウント\n次の例です。"},
		{"markup", []string{"**show license all** と `ping` と [license smart](#)"}, "show license all と ping と license smart"},
		{"fence kept line by line", []string{"```", "Device# ping", "!!!!", "```"}, "Device# ping\n!!!!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := render(tt.lines)
			if got != tt.want {
				t.Errorf("render = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseFTDBlockDefects(t *testing.T) {
	tests := []struct {
		name       string
		block      string
		wantSev    int
		wantFormat string
		wantExpl   string
		wantAction string
	}{
		{"second 説明 is the action", "エラーメッセージ %Threat Defense-4-722001: IP *IP_address* Error.\n\n説明 無効でした。\n\n説明 確認します。",
			4, "IP IP_address Error.", "無効でした。", "確認します。"},
		{"missing dash", "エラーメッセージ %FTD7-737038: IPAA: x\n\n説明 e。\n\n推奨アクション a。", 7, "IPAA: x", "e。", "a。"},
		{"bullet action label", "エラーメッセージ %Threat Defense-5-722012: M\n\n説明 e。\n\n- **m** : p\n- 推奨アクション 不要。", 5, "M", "e。", "不要。"},
		{"space after id", "エラーメッセージ %Threat Defense-7-725011 Cipher[order]: *cipher_name*\n\n説明 e。\n\n推奨アクション a。", 7, "Cipher[order]: cipher_name", "e。", "a。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := &reporter{}
			e := parseFTDBlock(ftdBlock{id: "722001", lines: strings.Split(tt.block, "\n")}, rep)
			if e.Severity == nil || *e.Severity != tt.wantSev || e.Format != tt.wantFormat || e.Explanation != tt.wantExpl || e.Action != tt.wantAction {
				t.Errorf("got severity %v format %q explanation %q action %q", e.Severity, e.Format, e.Explanation, e.Action)
			}
			if len(rep.list) == 0 && tt.name != "bullet action label" {
				t.Error("defect not reported")
			}
		})
	}
}

func TestParseCUCMVerifies(t *testing.T) {
	doc := []byte("見出し\n\n別の見出し\n\nこれは本文です。次の文です。\nError: self signed certificate for x\nsending ILSFooFailed alarm\n")
	entry := func(id, extra string) string {
		return `[{"id":"` + id + `",` + extra + `"sections":["見出し"],"explanation":["これは本文です。"],"action":["次の文です。"],"signatures":["self signed certificate"]}]`
	}
	tests := []struct {
		name        string
		curated     string
		wantErr     string
		wantSection string
	}{
		{"alarm name", entry("ILSFooFailed", ""), "", "見出し"},
		{"derived id", entry("ILSSelfSignedCertificate", `"derived_from":"self signed certificate",`), "", "見出し"},
		{"two sections joined", `[{"id":"ILSFooFailed","sections":["見出し","別の見出し"],"explanation":["これは本文です。"],"action":["次の文です。"],"signatures":["x"]}]`, "", "見出し / 別の見出し"},
		{"derived id without derived_from", entry("ILSMadeUp", ""), "needs derived_from", ""},
		{"derived id word not in the text", entry("ILSSelfSignedCert", `"derived_from":"self signed certificate",`), `word "Cert"`, ""},
		{"derived id without ILS", entry("SelfSignedCertificate", `"derived_from":"self signed certificate",`), `followed by words`, ""},
		{"alarm name marked derived", entry("ILSFooFailed", `"derived_from":"self signed certificate",`), "alarm name printed in the document", ""},
		{"derived_from not in document", entry("ILSBadThing", `"derived_from":"bad thing",`), `derived_from "bad thing" does not occur`, ""},
		{"sentence not in document", `[{"id":"ILSFooFailed","sections":["見出し"],"explanation":["作り話です。"],"action":["次の文です。"],"signatures":["self signed"]}]`, "does not occur in the document", ""},
		{"signature not in document", `[{"id":"ILSFooFailed","sections":["見出し"],"explanation":["これは本文です。"],"action":["次の文です。"],"signatures":["nope"]}]`, `signature "nope"`, ""},
		{"unknown section", `[{"id":"ILSFooFailed","sections":["別"],"explanation":["これは本文です。"],"action":["次の文です。"],"signatures":["self"]}]`, "not a line of the document", ""},
		{"no sections", `[{"id":"ILSFooFailed","explanation":["これは本文です。"],"action":["次の文です。"],"signatures":["self"]}]`, "sections must not be empty", ""},
		{"unknown field", `[{"id":"A","colour":1}]`, "unknown field", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, origins, err := parseCUCM([]byte(tt.curated), doc)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if got := entries[0].Source.Section; got != tt.wantSection {
					t.Errorf("section = %q, want %q", got, tt.wantSection)
				}
				if derived := strings.Contains(tt.curated, "derived_from"); origins[0].Derived != derived {
					t.Errorf("origin derived = %v, want %v", origins[0].Derived, derived)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestNameRepeatedParams(t *testing.T) {
	tests := []struct {
		name    string
		params  []string
		want    []string
		reports int
	}{
		{"two chars", []string{"chars", "chars"}, []string{"chars", "chars_2"}, 1},
		{"three with another between", []string{"chars", "dec", "chars", "chars"}, []string{"chars", "dec", "chars_2", "chars_3"}, 2},
		{"distinct names untouched", []string{"ip", "user"}, []string{"ip", "user"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Entry{ID: "X"}
			for _, n := range tt.params {
				e.Params = append(e.Params, Param{Name: n})
			}
			rep := &reporter{}
			entries := []Entry{e}
			nameRepeatedParams(entries, rep)
			var got []string
			for _, p := range entries[0].Params {
				got = append(got, p.Name)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("names = %v, want %v", got, tt.want)
			}
			if len(rep.list) != tt.reports {
				t.Errorf("%d anomalies reported, want %d", len(rep.list), tt.reports)
			}
		})
	}
}

func TestParseFTDPrintedID(t *testing.T) {
	tests := []struct {
		name    string
		heading string
		want    string
	}{
		{"message line names another id", "722056", "722055"},
		{"message line matches the heading", "722055", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			block := "エラーメッセージ %Threat Defense-4-722055: x\n\n説明 e。\n\n推奨アクション a。"
			e := parseFTDBlock(ftdBlock{id: tt.heading, lines: strings.Split(block, "\n")}, &reporter{})
			if e.ID != tt.heading || e.PrintedID != tt.want {
				t.Errorf("id %q printed_id %q, want %q and %q", e.ID, e.PrintedID, tt.heading, tt.want)
			}
		})
	}
}
