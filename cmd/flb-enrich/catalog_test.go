package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/enrich-plugin/enrich/catalog"
)

func runCatalogCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCatalogJSON(t *testing.T) {
	code, out, errOut := runCatalogCLI("catalog", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var entries []map[string]any
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatalf("output is not a JSON array: %v", err)
	}
	counts := map[string]int{}
	for _, e := range entries {
		counts[e["product"].(string)]++
		for _, k := range []string{"product", "id", "severity", "format", "explanation", "action", "params", "source"} {
			if _, ok := e[k]; !ok {
				t.Errorf("entry %v lacks %q", e["id"], k)
			}
		}
		if e["product"] == string(catalog.ProductIBM) && e["error_code"] != "1785" {
			t.Errorf("IBM entry %v: error_code %v, want 1785", e["id"], e["error_code"])
		}
	}
	printed := map[string]any{}
	for _, e := range entries {
		if p, ok := e["printed_id"]; ok {
			printed[e["id"].(string)] = p
		}
	}
	if len(printed) != 2 || printed["722056"] != "722055" || printed["737036"] != "737035" {
		t.Errorf("printed_id = %v, want 722056→722055 and 737036→737035 only", printed)
	}
	want := map[string]int{"cisco_ftd_asa": 337, "cisco_ios": 12, "ibm_storage_virtualize": 4, "cisco_cucm": 4}
	for p, n := range want {
		if counts[p] != n {
			t.Errorf("%s: %d entries, want %d", p, counts[p], n)
		}
	}
}

func TestCatalogCSVLoadsBack(t *testing.T) {
	code, out, errOut := runCatalogCLI("catalog", "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v", err)
	}
	if got := strings.Join(recs[0], ","); got != strings.Join(csvHeader, ",") {
		t.Errorf("header = %q", got)
	}
	if len(recs) != 358 {
		t.Errorf("%d rows, want header + 357", len(recs))
	}
	path := filepath.Join(t.TempDir(), "all.csv")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.LoadFile(path); err != nil {
		t.Errorf("the CSV output does not load as a user catalog: %v", err)
	}
}

func TestCatalogUsageAndErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"bad format", []string{"catalog", "--format", "xml"}, 2, `--format "xml"`},
		{"unknown flag", []string{"catalog", "--colour"}, 2, "flag provided but not defined"},
		{"stray argument", []string{"catalog", "extra"}, 2, `unexpected argument "extra"`},
		{"bad user file", []string{"catalog", "--catalog", "../../catalog/testdata/bad_rows.csv"}, 1, "line 3"},
		{"missing user file", []string{"catalog", "--catalog", "nope.json"}, 1, "nope.json"},
		{"explain without id", []string{"explain"}, 2, "missing ID"},
		{"explain empty id", []string{"explain", ""}, 2, "empty ID or log line"},
		{"explain blank id", []string{"explain", " \t"}, 2, "empty ID or log line"},
		{"explain blank ids", []string{"explain", "", " "}, 2, "empty ID or log line"},
		{"explain bad user file", []string{"explain", "--catalog", "../../catalog/testdata/bad_syntax.json", "722051"}, 1, "malformed JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCatalogCLI(tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.wantCode, errOut)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q does not mention %q", errOut, tt.wantErr)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		wants []string
	}{
		{"bare FTD id", []string{"722051"}, []string{"product:     cisco_ftd_asa", "id:          722051", "severity:    6 informational (情報)", "group-policy: ユーザーに対してアクセスを許可したグループ ポリシー"}},
		{"FTD prefix", []string{"%FTD-6-722051"}, []string{"id:          722051"}},
		{"IOS name", []string{"SMART_LIC-3-COMM_FAILED"}, []string{"id:          SMART_LIC-3-COMM_FAILED", "severity:    3 error (エラー)", "format:      Communications failure with the [chars] : [chars]",
			"  chars: depends on the transport type", "  chars_2: An error string with details of the failure"}},
		{"heading differs from message line", []string{"722056"}, []string{"id:          722056", "printed id:  722055"}},
		{"CUCM derived id by signature", []string{"self signed certificate"}, []string{"id:          ILSCertificateVerificationFailed", "ハブのTomcat証明書がスポークにインポートされないため", "外部CAによって署名されたtomcat証明書"}},
		{"IBM event", []string{"086008"}, []string{"error code:  1785", "鍵サーバーの検証を実行中、ノードが鍵サーバーに接続できませんでした。", "severity:    (not documented)"}},
		{"IBM error code", []string{"1785"}, []string{"id:          1785", "鍵サーバーに関して問題が発生しました", "action: (none in the document)"}},
		{"CUCM alarm", []string{"ILSPwdAuthenticationFailed"}, []string{"cisco_cucm", "パスワードは、ILS ネットワーク内のすべてのクラスタで同じである必要があります。", "signatures:  ILSPwdAuthenticationFailed"}},
		{"user catalog overrides", []string{"--catalog", "../../catalog/testdata/good.json", "722051"}, []string{"社内手順: VPN アドレス割り当て。", "source:      ops-runbook, VPN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCatalogCLI(append([]string{"explain"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			for _, w := range tt.wants {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestExplainCases(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		wants    []string
		unwanted []string
	}{
		{"entry by id", []string{"722051"}, "", 0,
			[]string{"result:      catalog entry", "severity:    6 informational (情報)\n"}, []string{"in this line"}},
		{"entry from a line with its own severity", []string{"<166>Jun 22 2025 13:29:11 fw : %ASA-4-722051: Group <g>"}, "", 0,
			[]string{"result:      catalog entry", "id:          722051", "severity:    6 informational (情報) in the document, 4 warning (警告) in this line"}, nil},
		{"entry without a documented severity", []string{"# Error ID = 086008 : Key server"}, "", 0,
			[]string{"result:      catalog entry", "severity:    (not documented)\n"}, nil},
		{"id in a line, not in the catalog", []string{"%FTD-6-302013: Built inbound TCP connection"}, "", 1,
			[]string{"result:      message ID 302013, not in the catalog", "product:     cisco_ftd_asa", "severity:    6 informational (情報) in this line"}, []string{"explanation"}},
		{"bare id not in the catalog", []string{"999999"}, "", 1,
			[]string{"result:      message ID 999999, not in the catalog"}, nil},
		{"bare IOS name not in the catalog", []string{"SMART_LIC-3-NO_SUCH"}, "", 1,
			[]string{"result:      message ID SMART_LIC-3-NO_SUCH, not in the catalog", "product:     cisco_ios"}, nil},
		{"no id", []string{"last message repeated 3 times"}, "", 1,
			[]string{"result:      no message ID in this line"}, []string{"product"}},
		{"lines from stdin", []string{"-"}, "%ASA-4-722051: Group <g>\n\nno id here\n", 1,
			[]string{"line:        %ASA-4-722051: Group <g>\nresult:      catalog entry", "\n\nline:        no id here\nresult:      no message ID in this line"}, nil},
		{"option after the id", []string{"722051", "--catalog", "../../catalog/testdata/good.json"}, "", 0,
			[]string{"社内手順: VPN アドレス割り当て。"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(append([]string{"explain"}, tt.args...), strings.NewReader(tt.stdin), &out, &errOut)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.wantCode, errOut.String())
			}
			for _, w := range tt.wants {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tt.unwanted {
				if strings.Contains(out.String(), w) {
					t.Errorf("output has %q:\n%s", w, out.String())
				}
			}
		})
	}
}
