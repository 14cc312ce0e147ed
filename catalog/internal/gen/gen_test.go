package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/enrich-plugin/enrich/catalog"
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
			b := textBuilder{note: func(...finding) {}}
			for _, l := range tt.lines {
				b.add(l)
			}
			got := b.String()
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
			e := parseFTDBlock(section{m: []string{"722001"}, lines: strings.Split(tt.block, "\n")}, rep)
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
	const doc = "方法1. 一つ目の方法\n\nこの方法を使用するには、設定します。\n\n方法1のログ分析\n\n見出し\n\nこれは本文です。\n\nログ :\n\nError: self signed certificate for x\nsending ILSFooFailed alarm\n\n別の見出し\n\n別の本文です。\n\nログ :\n\nother trace\n"
	kase := func(extra string) string {
		return `{"id":"c1","section":"見出し",` + extra + `"explanation":["これは本文です。"],"log":"ログ :","trace":["self signed certificate for x"],"method":"方法1. 一つ目の方法","action":["この方法を使用するには、設定します。"]}`
	}
	const other = `{"id":"c2","section":"別の見出し","explanation":["別の本文です。"],"log":"ログ :","trace":["other trace"],"method":"方法1. 一つ目の方法","action":["この方法を使用するには、設定します。"]}`
	file := func(c, entry string) string { return `{"cases":[` + c + `,` + other + `],"entries":[` + entry + `]}` }
	entry := func(id, extra string) string {
		return `{"id":"` + id + `",` + extra + `"cases":["c1"],"signatures":["self signed certificate"]}`
	}
	tests := []struct {
		name        string
		curated     string
		wantErr     string
		wantSection string
	}{
		{"alarm name", file(kase(""), entry("ILSFooFailed", "")), "", "見出し"},
		{"derived id", file(kase(""), entry("ILSSelfSignedCertificate", `"derived_from":"self signed certificate",`)), "", "見出し"},
		{"two cases joined", file(kase(""), `{"id":"ILSFooFailed","cases":["c1","c2"],"signatures":["other trace"]}`), "", "見出し / 別の見出し"},
		{"derived id without derived_from", file(kase(""), entry("ILSMadeUp", "")), "needs derived_from", ""},
		{"derived id word not in the text", file(kase(""), entry("ILSSelfSignedCert", `"derived_from":"self signed certificate",`)), `word "Cert"`, ""},
		{"derived id without ILS", file(kase(""), entry("SelfSignedCertificate", `"derived_from":"self signed certificate",`)), `followed by words`, ""},
		{"alarm name marked derived", file(kase(""), entry("ILSFooFailed", `"derived_from":"self signed certificate",`)), "alarm name printed in the document", ""},
		{"derived_from not in document", file(kase(""), entry("ILSBadThing", `"derived_from":"bad thing",`)), `derived_from "bad thing" does not occur`, ""},
		{"sentence not in document", file(strings.Replace(kase(""), "これは本文です。", "作り話です。", 1), entry("ILSFooFailed", "")), "does not occur in its section", ""},
		{"sentence of another section", file(strings.Replace(kase(""), "これは本文です。", "別の本文です。", 1), entry("ILSFooFailed", "")), "does not occur in its section", ""},
		{"fix outside its method", file(strings.Replace(kase(""), `"action":["この方法を使用するには、設定します。"]`, `"action":["これは本文です。"]`, 1), entry("ILSFooFailed", "")), "does not occur in the section of", ""},
		{"trace not in its section", file(strings.Replace(kase(""), "self signed certificate for x", "nope", 1), entry("ILSFooFailed", "")), `trace text "nope"`, ""},
		{"signature not in document", file(kase(""), `{"id":"ILSFooFailed","cases":["c1"],"signatures":["nope"]}`), `signature "nope"`, ""},
		{"unknown section", file(strings.Replace(kase(""), `"section":"見出し"`, `"section":"別"`, 1), entry("ILSFooFailed", "")), "not a line of the document", ""},
		{"unknown case", file(kase(""), `{"id":"ILSFooFailed","cases":["c9"],"signatures":["x"]}`), `no case "c9"`, ""},
		{"no cases", file(kase(""), `{"id":"ILSFooFailed","signatures":["x"]}`), "cases and signatures must not be empty", ""},
		{"title not in document", file(kase(`"title":"作り話",`), entry("ILSFooFailed", "")), `title "作り話"`, ""},
		{"log label of another section", file(strings.Replace(kase(""), `"log":"ログ :"`, `"log":"ログ"`, 1), entry("ILSFooFailed", "")), `log label "ログ" is not a line of its section`, ""},
		{"unknown field", `{"cases":[{"id":"A","colour":1}]}`, "unknown field", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := &reporter{}
			entries, err := parseCUCM(tt.curated, doc, rep)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if got := entries[0].Source.Section; got != tt.wantSection {
					t.Errorf("section = %q, want %q", got, tt.wantSection)
				}
				if derived := strings.Contains(tt.curated, "derived_from"); (rep.ids[0].DerivedFrom != "") != derived {
					t.Errorf("origin derived from %q, want derived %v", rep.ids[0].DerivedFrom, derived)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

// generated runs the generator over the real sources once per test.
func generated(t *testing.T) *result {
	t.Helper()
	res, err := generate(filepath.Join("..", "..", "sources"))
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	return res
}

func entryOf(t *testing.T, res *result, product catalog.Product, id string) catalog.Entry {
	t.Helper()
	for _, e := range res.data.Entries {
		if e.Product == product && e.ID == id {
			return e
		}
	}
	t.Fatalf("no entry %s %s", product, id)
	return catalog.Entry{}
}

// TestCUCMEntriesReadable checks the composed Unified CM entries: one case
// per failure section, every line naming its case, every fix naming the
// method "この方法" refers to, no section title passed off as a sentence.
func TestCUCMEntriesReadable(t *testing.T) {
	res := generated(t)
	tests := []struct {
		id    string
		cases []string
	}{
		{"ILSPwdAuthenticationFailed", []string{"スポークからハブへの登録が試行されるが、パスワードの不一致により失敗する"}},
		{"ILSTLSAuthenticationFailed", []string{"ハブのTomcat証明書がスポークにインポートされないため、接続が失敗する", "スポークのTomcat証明書がハブにインポートされないため、接続が失敗する"}},
		{"ILSCertificateVerificationFailed", []string{
			"ハブのTomcat証明書がスポークにインポートされないため、接続が失敗する",
			"スポークのTomcat証明書が自己署名であるため、接続が失敗する",
			"ハブのTomcat証明書が自己署名であるため、接続が失敗する",
			"パスワード認証を使用して確立された接続からTLS認証に切り替えると、ハブに自己署名証明書があるため、接続が失敗します。",
			"パスワード認証を使用して確立された接続からTLS認証に切り替えると、スポークに自己署名証明書があるため、接続が失敗します。"}},
		{"ILSCertificateNotInLocalStore", []string{"スポークのTomcat証明書がハブにインポートされないため、接続が失敗する"}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			e := entryOf(t, res, catalog.ProductCUCM, tt.id)
			sentences, fixes := map[string]int{}, map[string]int{}
			for _, l := range strings.Split(e.Explanation, "\n") {
				c, body, ok := splitCaseLine(l)
				if !ok || !slices.Contains(tt.cases, c) {
					t.Errorf("explanation line names no case of the entry: %q", l)
					continue
				}
				if slices.Contains(tt.cases, body) || strings.HasPrefix(body, "方法") {
					t.Errorf("explanation line is a title, not a sentence: %q", l)
				}
				if !strings.Contains(body, "ログスニペット") {
					sentences[c]++
				}
			}
			for _, l := range strings.Split(e.Action, "\n") {
				c, body, ok := splitCaseLine(l)
				if !ok || !slices.Contains(tt.cases, c) {
					t.Errorf("action line names no case of the entry: %q", l)
					continue
				}
				if !strings.HasPrefix(body, "（方法") {
					t.Errorf("fix does not name its method: %q", l)
				}
				fixes[c]++
			}
			for _, c := range tt.cases {
				if sentences[c] == 0 || fixes[c] == 0 {
					t.Errorf("case %q has %d explanation sentences and %d fixes, want at least one of each", c, sentences[c], fixes[c])
				}
			}
			if len(sentences) != len(tt.cases) {
				t.Errorf("%d cases explained, want %d", len(sentences), len(tt.cases))
			}
		})
	}
}

// splitCaseLine splits "【case】text".
func splitCaseLine(l string) (string, string, bool) {
	rest, ok := strings.CutPrefix(l, "【")
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, "】")
}

// TestFTDDocumentDefects checks the resolution of every defect of the
// Threat Defense document that the catalog would otherwise copy.
func TestFTDDocumentDefects(t *testing.T) {
	res := generated(t)
	tests := []struct {
		name  string
		id    string
		check func(e catalog.Entry) bool
	}{
		{"unit id is a parameter", "748101", func(e catalog.Entry) bool {
			return hasParams(e, "unit_id", "application_name", "status") && !strings.Contains(e.Explanation, "unit id")
		}},
		{"application name is a parameter", "748100", func(e catalog.Entry) bool {
			return hasParams(e, "application_name", "status") && !strings.Contains(e.Explanation, "application name")
		}},
		{"748102 parameters", "748102", func(e catalog.Entry) bool {
			return hasParams(e, "unit_id", "application_name", "status") && !strings.Contains(e.Explanation, "- ")
		}},
		{"748103 parameters", "748103", func(e catalog.Entry) bool {
			return hasParams(e, "unit_id", "application_name", "status") && !strings.Contains(e.Explanation, "- ")
		}},
		{"unmarked local IP:local port is a parameter", "750001", func(e catalog.Entry) bool {
			return hasParams(e, "local IP:local port", "remote IP:remote port", "username", "local selectors", "remote selectors") &&
				!strings.Contains(e.Explanation, "local IP")
		}},
		{"source-ip is the format's src-ip", "725001", func(e catalog.Entry) bool {
			return hasParams(e, "peer-type", "interface", "src-ip", "src-port", "dst-ip", "dst-port", "protocol")
		}},
		{"725009 parameters in format order", "725009", func(e catalog.Entry) bool {
			return hasParams(e, "n", "peer-type", "interface", "src-ip", "src-port", "dst-ip", "dst-port")
		}},
		{"a marked word that starts a listed placeholder is no param of its own", "722054", func(e catalog.Entry) bool {
			return hasParams(e, "group policy", "user name", "remote IP", "redirect URL", "non_exist", "assigned IP")
		}},
		{"typo ar1 is var1", "735024", func(e catalog.Entry) bool {
			return hasParams(e, "var1", "var2", "var3") && !strings.Contains(e.Explanation, "ar1")
		}},
		{"procedure moved to the action", "733100", func(e catalog.Entry) bool {
			return !strings.Contains(e.Explanation, "次の手順を実行します") && strings.HasPrefix(e.Action, "メッセージに示されている指定オブジェクト タイプに応じて、次の手順を実行します。\n1. メッセージ内のオブジェクトが次のいずれかの場合")
		}},
		{"contradicting sentence left out", "776252", func(e catalog.Entry) bool {
			return strings.Contains(e.Explanation, "削除") && !strings.Contains(e.Explanation, "追加")
		}},
		{"copied action left out", "753001", func(e catalog.Entry) bool { return e.Action == "" }},
		{"escaped line break removed", "748202", func(e catalog.Entry) bool {
			return !strings.Contains(e.Format, `\n`) && strings.HasSuffix(e.Format, "application failure.")
		}},
		{"escaped line break removed 748203", "748203", func(e catalog.Entry) bool { return !strings.Contains(e.Format, `\n`) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if e := entryOf(t, res, catalog.ProductFTD, tt.id); !tt.check(e) {
				t.Errorf("%s: format %q explanation %q action %q params %v", tt.id, e.Format, e.Explanation, e.Action, e.Params)
			}
		})
	}
}

func hasParams(e catalog.Entry, names ...string) bool {
	var got []string
	for _, p := range e.Params {
		got = append(got, p.Name)
	}
	return slices.Equal(got, names)
}

// TestReportListsDefects checks REPORT.md: every known defect has a row,
// no row is repeated, and the empty-field table includes every entry with
// an empty field.
func TestReportListsDefects(t *testing.T) {
	res := generated(t)
	report := string(res.files["data/REPORT.md"])
	for _, id := range []string{"733100", "776252", "753001", "752009", "748202", "748203", "748100", "748101", "748102", "748103", "735024", "750010"} {
		if !strings.Contains(report, "| "+docFTD+" | "+id+" |") {
			t.Errorf("no anomaly row for %s", id)
		}
	}
	seen := map[string]bool{}
	for _, l := range strings.Split(report, "\n") {
		if strings.HasPrefix(l, "| ") && seen[l] {
			t.Errorf("row repeated: %s", l)
		}
		seen[l] = true
	}
	for _, id := range []string{"ILSPwdAuthenticationFailed", "ILSTLSAuthenticationFailed", "ILSCertificateVerificationFailed", "ILSCertificateNotInLocalStore"} {
		if !strings.Contains(report, "| cisco_cucm | "+id+" | format |") {
			t.Errorf("empty-field table lacks the empty format of %s", id)
		}
	}
	if !strings.Contains(report, "| cisco_ftd_asa | 753001 | action |") {
		t.Error("empty-field table lacks 753001's action")
	}
}

func TestFormatPlaceholder(t *testing.T) {
	tests := []struct {
		name, format, item string
		params             []string
		want               string
	}{
		{"as written", "IO Hub var1 : Temp", "var1", nil, "var1"},
		{"spaces for underscores", "Peer unit <unit_id> reported", "unit id", nil, "unit_id"},
		{"letter case", "<Application name> application", "application name", nil, "Application name"},
		{"blanks next to a colon", "Local:local IP :local port Remote", "local IP:local port", nil, "local IP:local port"},
		{"typo of a placeholder", "IO Hub var1 : Temp: var2", "ar1", nil, "var1"},
		{"typo of a named placeholder", "IO Hub var1 : Temp: var2", "ar1", []string{"var1"}, ""},
		{"plain word is no typo", "Group group User user", "grup", nil, ""},
		{"abbreviated words", "SSL peer-type interface :src-ip /src-port", "source-ip", nil, "src-ip"},
		{"abbreviation of a named placeholder", "SSL peer-type interface :src-ip /src-port", "source-ip", []string{"src-ip"}, ""},
		{"one word is no abbreviation", "Local a :p Remote: a :p", "addr", nil, ""},
		{"other separators", "from src_ip /src-port", "source-ip", nil, ""},
		{"fewer words", "SSL peer-type interface :src-ip /src-port", "source-ip-address", nil, ""},
		{"first letters kept", "from rc-ip /rc-port", "source-ip", nil, ""},
		{"value bullet", "Object drop rate rate_ID exceeded", "Firewall", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps []catalog.Param
			for _, p := range tt.params {
				ps = append(ps, catalog.Param{Name: p})
			}
			if got, _ := formatPlaceholder(tt.format, tt.item, ps); got != tt.want {
				t.Errorf("formatPlaceholder(%q, %q) = %q, want %q", tt.format, tt.item, got, tt.want)
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
			e := catalog.Entry{ID: "X"}
			for _, n := range tt.params {
				e.Params = append(e.Params, catalog.Param{Name: n})
			}
			rep := &reporter{}
			entries := []catalog.Entry{e}
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
			e := parseFTDBlock(section{m: []string{tt.heading}, lines: strings.Split(block, "\n")}, &reporter{})
			if e.ID != tt.heading || e.PrintedID != tt.want {
				t.Errorf("id %q printed_id %q, want %q and %q", e.ID, e.PrintedID, tt.heading, tt.want)
			}
		})
	}
}

func TestSortParamsByFormat(t *testing.T) {
	tests := []struct {
		name, format string
		listed, want []string
	}{
		{"in order", "Session= session, pool pool-name address ip-address", []string{"session", "pool-name", "ip-address"}, []string{"session", "pool-name", "ip-address"}},
		{"listed otherwise", "Session= session, pool pool-name address ip-address", []string{"session", "ip-address", "pool-name"}, []string{"session", "pool-name", "ip-address"}},
		{"named last, printed first", "proposes the following n cipher(s) peer-type interface", []string{"peer-type", "interface", "n"}, []string{"n", "peer-type", "interface"}},
		{"not in the format: stays after the item before it", "Local a :p Remote: a :p Username:n Unknown", []string{"n", "a", "p", "ua"}, []string{"a", "p", "ua", "n"}},
		{"printf verbs keep the list order", "with %s %s :%B /%d", []string{"remote_device", "ctm->interface", "ctm->src_ip"}, []string{"remote_device", "ctm->interface", "ctm->src_ip"}},
		{"letter case", "Object objectIP (is targeted)", []string{"objectIP", "object"}, []string{"object", "objectIP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := catalog.Entry{Format: tt.format}
			for _, n := range tt.listed {
				e.Params = append(e.Params, catalog.Param{Name: n, Description: "d " + n})
			}
			noted := false
			sortParamsByFormat(&e, func(fs ...finding) { noted = true })
			var got []string
			for _, p := range e.Params {
				got = append(got, p.Name)
				if p.Description != "d "+p.Name {
					t.Errorf("%s lost its description: %q", p.Name, p.Description)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("params %v, want %v", got, tt.want)
			}
			if noted != !slices.Equal(tt.listed, tt.want) {
				t.Errorf("reported %v, want %v", noted, !noted)
			}
		})
	}
}
