package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/enrich"
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

// TestCatalogExportsLoadBackIdentical writes the catalog in each format,
// loads it back as a user catalog and compares every field, then checks
// that enriching with it gives the same records as the built-in catalog.
func TestCatalogExportsLoadBackIdentical(t *testing.T) {
	embedded, err := catalog.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"json", "csv"} {
		t.Run(format, func(t *testing.T) {
			code, out, errOut := runCatalogCLI("catalog", "--format", format)
			if code != 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			path := filepath.Join(t.TempDir(), "all."+format)
			if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := catalog.LoadFile(path)
			if err != nil {
				t.Fatalf("the %s output does not load as a user catalog: %v", format, err)
			}
			want := embedded.Entries()
			if len(got) != len(want) {
				t.Fatalf("loaded %d entries, want %d", len(got), len(want))
			}
			for i := range got {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("entry %d loads back as\n%+v\nwant\n%+v", i, got[i], want[i])
				}
			}
			// A trace line is recognised by a Unified CM signature only.
			const trace = "00155891.006 |17:25:26.197 |AppInfo  |SSL handshake: Verification error:18 self signed certificate"
			_, builtIn, _ := runLines(t, trace+"\n")
			_, loaded, _ := runLines(t, trace+"\n", "--catalog", path)
			if len(loaded) != 1 || loaded[0] != builtIn[0] || !strings.Contains(loaded[0], "ILSCertificateVerificationFailed") {
				t.Errorf("with the exported catalog\n got  %q\n want %q", loaded, builtIn)
			}
		})
	}
}

func TestCatalogCSVHeader(t *testing.T) {
	code, out, errOut := runCatalogCLI("catalog", "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v", err)
	}
	want := "product,id,printed_id,error_code,facility,mnemonic,severity,format,explanation,action,params,signatures,source_document,source_section"
	if got := strings.Join(recs[0], ","); got != want {
		t.Errorf("header = %q, want %q", got, want)
	}
	if len(recs) != 358 {
		t.Errorf("%d rows, want header + 357", len(recs))
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
		{"stray argument shows the usage", []string{"catalog", "extra"}, 2, "usage: flb-enrich catalog"},
		{"empty user file name", []string{"catalog", "--catalog", ""}, 2, "empty file name"},
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
			[]string{"result:      catalog entry", "severity:    6 informational (情報)\n"}, []string{"in this line", "line:", "printed id:", "error code:"}},
		{"entry from a line of the documented severity", []string{"%ASA-6-722051: Group <g>"}, "", 0,
			[]string{"severity:    6 informational (情報) in the document and in this line\n"}, nil},
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
		{"bare name with a class", []string{"ASA-session-4-722051"}, "", 0,
			[]string{"result:      catalog entry", "id:          722051", "severity:    6 informational (情報) in the document, 4 warning (警告) in this line"}, nil},
		{"bare IOS name with a sub-facility", []string{"LICENSE-SMART_LIC-3-COMM_FAILED"}, "", 0,
			[]string{"result:      catalog entry", "id:          SMART_LIC-3-COMM_FAILED"}, nil},
		{"bare name with text after it and no blank", []string{"ASA-4-722051:x"}, "", 0,
			[]string{"result:      catalog entry", "id:          722051"}, nil},
		// A bare name is read as its header, with the severity it prints.
		{"bare IOS name", []string{"SMART_LIC-3-COMM_FAILED"}, "", 0,
			[]string{"result:      catalog entry", "severity:    3 error (エラー) in the document and in this line"}, nil},
		{"bare firewall name", []string{"ASA-4-722051"}, "", 0,
			[]string{"result:      catalog entry", "severity:    6 informational (情報) in the document, 4 warning (警告) in this line"}, nil},
		{"bare Threat Defense name", []string{"Threat Defense-4-722051"}, "", 0,
			[]string{"severity:    6 informational (情報) in the document, 4 warning (警告) in this line"}, nil},
		{"bare Unified CM name", []string{"UC_CALLMANAGER-3-ILSPwdAuthenticationFailed"}, "", 0,
			[]string{"result:      catalog entry", "severity:    (not documented) in the document, 3 error (エラー) in this line"}, nil},
		{"line of severity 0", []string{"%ASA-0-722051: Group <g>"}, "", 0,
			[]string{"severity:    6 informational (情報) in the document, 0 emergency (緊急) in this line"}, nil},
		{"id of severity 0 not in the catalog", []string{"%FTD-0-302013: x"}, "", 1,
			[]string{"result:      message ID 302013, not in the catalog", "severity:    0 emergency (緊急) in this line"}, nil},
		{"bare 4-digit code not in the catalog", []string{"9998"}, "", 1,
			[]string{"result:      message ID 9998, not in the catalog"}, nil},
		{"bare number of 5 digits", []string{"12345"}, "", 1,
			[]string{"result:      no message ID in this line"}, nil},
		{"IBM event not in the catalog, no severity in the line", []string{"# Error ID = 086999 : x"}, "", 1,
			[]string{"result:      message ID 086999, not in the catalog"}, []string{"severity:"}},
		{"a - among other words is a query, not standard input", []string{"-", "x"}, "%ASA-4-722051: Group <g>\n", 1,
			[]string{"result:      no message ID in this line"}, []string{"line:"}},
		{"bare word of 6 letters", []string{"ABCDEF"}, "", 1,
			[]string{"result:      no message ID in this line"}, nil},
		{"error code explained over several lines", []string{"1785"}, "", 0,
			[]string{"explanation:\n  鍵サーバーに関して問題が発生しました\n  エラー・コードの意味は"}, []string{"params:"}},
		{"user entry without a section or params", []string{"--catalog", "../../catalog/testdata/good.csv", "%ASA-4-106023: x"}, "", 0,
			[]string{"result:      catalog entry", "source:      good.csv\n"}, []string{"params:"}},
		// Only the plugin's recogniser reads a line: a header without its % is not one.
		{"line with a header lacking %", []string{"ASA-4-722051: Group <g> User <u>"}, "", 1,
			[]string{"result:      no message ID in this line"}, nil},
		{"line with a header lacking % and a tab", []string{"ASA-4-722051:\tGroup"}, "", 1,
			[]string{"result:      no message ID in this line"}, nil},
		{"no id", []string{"last message repeated 3 times"}, "", 1,
			[]string{"result:      no message ID in this line"}, []string{"product"}},
		{"lines from stdin", []string{"-"}, "%ASA-4-722051: Group <g>\n\nno id here\n", 1,
			[]string{"line:        %ASA-4-722051: Group <g>\nresult:      catalog entry", "\n\nline:        no id here\nresult:      no message ID in this line"}, nil},
		{"a byte order mark starts standard input, not its first line", []string{"-"}, "\xef\xbb\xbf%ASA-4-722051: Group <g>\n", 0,
			[]string{"line:        %ASA-4-722051: Group <g>\nresult:      catalog entry"}, nil},
		{"a line's control characters are escaped", []string{"-"}, "%ASA-4-722051: Group <g> \x1b]0;t\a\u202e\n", 0,
			[]string{`line:        %ASA-4-722051: Group <g> \x1b]0;t\a\u202e` + "\nresult:      catalog entry"}, []string{"\x1b", "\a", "\u202e"}},
		{"a record of several lines given as the argument is one query", []string{"%ASA-4-722051: Group <g>\n  continued"}, "", 0,
			[]string{"result:      catalog entry"}, []string{"no message ID", "line:"}},
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

// TestExplainStdinWithoutLines checks that explain - reading no line, as grep | flb-enrich explain -
// does when grep finds none, writes nothing and exits 0, like a filter with no input.
func TestExplainStdinWithoutLines(t *testing.T) {
	for _, in := range []string{"", "\n \n\t\n"} {
		var out, errOut bytes.Buffer
		if code := run([]string{"explain", "-"}, strings.NewReader(in), &out, &errOut); code != 0 || out.Len()+errOut.Len() != 0 {
			t.Errorf("input %q: exit %d, stdout %q, stderr %q; want 0 and nothing", in, code, out.String(), errOut.String())
		}
	}
}

// TestExplainParamDescriptionOverLines: each further line of a param's description is indented
// under the first.
func TestExplainParamDescriptionOverLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "user.json")
	if err := os.WriteFile(path, []byte(`[{"product":"cisco_ftd_asa","id":"999001","format":"Peer peer closed","explanation":"x","action":"y",
		"params":[{"name":"peer","description":"the address\nof the peer"}]}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCatalogCLI("explain", "--catalog", path, "999001")
	if want := "params:\n  peer: the address\n      of the peer\n"; code != 0 || !strings.Contains(out, want) {
		t.Errorf("explain = %d, %q (stderr %q); want 0 and %q", code, out, errOut, want)
	}
}

// TestExplainAgreesWithLines explains each form of ID the recogniser reads in a line and wants
// the entry (or unknown ID) that the engine gives a line carrying it.
func TestExplainAgreesWithLines(t *testing.T) {
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := enrich.New(cat, enrich.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ query, line string }{
		{"%FTD-6-722051", "%FTD-6-722051: Group <g>"},
		{"%FTD-6-722051:", "%FTD-6-722051: Group <g>"},
		{"FTD-6-722051", "%FTD-6-722051: Group <g>"},
		{"%ASA-session-5-722051", "%ASA-session-5-722051: Group <g>"},
		{"ASA-session-5-722051", "%ASA-session-5-722051: Group <g>"},
		{"ASA-session-5-722051:", "%ASA-session-5-722051: Group <g>"},
		{"ASA--4-722051", "%ASA--4-722051: Group <g>"},
		{"FTD<Up>-4-722051", "%FTD<Up>-4-722051: Group <g>"},
		{"FTD7-722051", "%FTD7-722051: Group <g>"},
		{"FDT-6-722051", "%FDT-6-722051: Group <g>"},
		{"Threat Defense-6-722051", "%Threat Defense-6-722051: Group <g>"},
		{"Threat Defense-session-6-722051", "%Threat Defense-session-6-722051: Group <g>"},
		{"Threat Defense-session-6-722051:", "%Threat Defense-session-6-722051: Group <g>"},
		{"ASA-6-722051 :", "%ASA-6-722051 : Group <g>"},
		{"ASA-session-5-106100", "%ASA-session-5-106100: access-list x"},
		{"Threat Defense-6-999999", "%Threat Defense-6-999999: x"},
		{"SMART_LIC-3-COMM_FAILED", "%SMART_LIC-3-COMM_FAILED: x"},
		{"%SMART_LIC-3-COMM_FAILED:", "%SMART_LIC-3-COMM_FAILED: x"},
		{"LICENSE-SMART_LIC-3-COMM_FAILED", "%LICENSE-SMART_LIC-3-COMM_FAILED: x"},
		{"%LICENSE-SMART_LIC-3-COMM_FAILED", "%LICENSE-SMART_LIC-3-COMM_FAILED: x"},
		{"SMART_LIC-E-COMM_FAILED", "%SMART_LIC-E-COMM_FAILED: x"},
		{"LICENSE-SMART_LIC-E-COMM_FAILED", "%LICENSE-SMART_LIC-E-COMM_FAILED: x"},
		{"smart_lic-3-COMM_FAILED", "%smart_lic-3-COMM_FAILED: x"},
		{"SMART_LIC-3-comm_failed", "%SMART_LIC-3-comm_failed: x"},
		{"LICENSE-SMART_LIC-3-NO_SUCH", "%LICENSE-SMART_LIC-3-NO_SUCH: x"},
		{"ILSPwdAuthenticationFailed", "%UC_CALLMANAGER-3-ILSPwdAuthenticationFailed: x"},
		{"UC_CALLMANAGER-3-ILSPwdAuthenticationFailed", "%UC_CALLMANAGER-3-ILSPwdAuthenticationFailed: x"},
		{"CCM_X-Y-3-ILSPwdAuthenticationFailed", "%CCM_X-Y-3-ILSPwdAuthenticationFailed: x"},
		{"UC_CALLMANAGER-3-NoSuchAlarm", "%UC_CALLMANAGER-3-NoSuchAlarm: x"},
		{"AlertName=ILSPwdAuthenticationFailed", "% AlertName=ILSPwdAuthenticationFailed"},
		{"Error ID 086008", "# Error ID = 086008 : Key server"},
		{"event_id=086008", "event_id=086008 x"},
		{"Error Code 1785", "Error Code 1785 x"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			m, found := eng.Recognise([]byte(tt.line))
			if !found {
				t.Fatalf("no ID in the line %q", tt.line)
			}
			want, wantCode := fmt.Sprintf("result:      message ID %s, not in the catalog\nproduct:     %s (%s)\n", m.ID, m.Product, m.Product.Name()), 1
			if e := m.Entry; e != nil {
				want, wantCode = fmt.Sprintf("result:      catalog entry\nproduct:     %s (%s)\nid:          %s\n", e.Product, e.Product.Name(), e.ID), 0
			}
			var out, errOut bytes.Buffer
			code := run([]string{"explain", tt.query}, strings.NewReader(""), &out, &errOut)
			if got, _, _ := strings.Cut(out.String(), "severity:"); code != wantCode || !strings.HasPrefix(out.String(), want) {
				t.Errorf("explain %q: exit %d, %q; want exit %d, %q (the line %q)", tt.query, code, got, wantCode, want, tt.line)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"version"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("version: exit %d, stderr %q", code, errOut.String())
	}
	// A test binary has no release version: dev, perhaps with the VCS
	// revision, and the catalog's generator version with its 16-digit hash
	// of the sources.
	if want := regexp.MustCompile(`^flb-enrich dev(-[0-9a-f]{12}(-dirty)?)? \(catalog gen-[0-9]+\+[0-9a-f]{16}\)\n$`); !want.MatchString(out.String()) {
		t.Errorf("version printed %q, want %s", out.String(), want)
	}
	if code := run([]string{"version", "--json"}, strings.NewReader(""), &out, &errOut); code != 2 || !strings.Contains(errOut.String(), `unexpected argument "--json"`) {
		t.Errorf("version with an argument: exit %d, stderr %q; want 2 and the argument named", code, errOut.String())
	}
}

// TestCatalogWritesUserErrorCodes writes the catalog with a user file that explains IBM error
// codes, which are not events, and loads the output back: the codes are still explained.
func TestCatalogWritesUserErrorCodes(t *testing.T) {
	dir := t.TempDir()
	user := filepath.Join(dir, "user.csv")
	text := "product,id,severity,explanation,action\nibm_storage_virtualize,1234,,Code 1234.,x\nibm_storage_virtualize,1785,,Our key servers.,y\n"
	if err := os.WriteFile(user, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"json", "csv"} {
		t.Run(format, func(t *testing.T) {
			code, out, errOut := runCatalogCLI("catalog", "--format", format, "--catalog", user)
			if code != 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			path := filepath.Join(dir, "all."+format)
			if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			cat, err := catalog.Load(path)
			if err != nil {
				t.Fatalf("the %s output does not load: %v", format, err)
			}
			for code, want := range map[string]string{"1234": "Code 1234.", "1785": "Our key servers."} {
				if e, ok := cat.LookupErrorCode(code); !ok || e.Explanation != want {
					t.Errorf("error code %s loads back as %+v, %v; want the user entry explaining %q", code, e, ok, want)
				}
			}
		})
	}
}

// TestExplainErrorCodeOfUserEvents: an IBM error code that user events carry but no entry of its
// own explains is explained as the lines that carry it are, by the first of those events.
func TestExplainErrorCodeOfUserEvents(t *testing.T) {
	user := filepath.Join(t.TempDir(), "user.csv")
	text := "product,id,error_code,severity,explanation,action\n" +
		"ibm_storage_virtualize,999123,4321,,Drive fault.,Replace the drive.\n" +
		"ibm_storage_virtualize,999124,4321,,Drive removed.,Put it back.\n" +
		"ibm_storage_virtualize,999125,43210,,No line carries a 5-digit code.,x\n"
	if err := os.WriteFile(user, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	const want = "result:      catalog entry\nproduct:     ibm_storage_virtualize (IBM Storage Virtualize)\nid:          999123\n"
	for _, query := range []string{"# Error Code = 4321 : drive", "4321"} {
		t.Run(query, func(t *testing.T) {
			code, out, errOut := runCatalogCLI("explain", "--catalog", user, query)
			if code != 0 || !strings.HasPrefix(out, want) {
				t.Errorf("explain %q: exit %d, %q, stderr %q; want exit 0, %q", query, code, out, errOut, want)
			}
		})
	}
	// The engine reads 4-digit codes only: "Error Code 43210" gets no entry, nor does explain 43210.
	if code, out, _ := runCatalogCLI("explain", "--catalog", user, "43210"); code != 1 || strings.Contains(out, "catalog entry") {
		t.Errorf("explain 43210: exit %d, %q; want exit 1, no entry", code, out)
	}
}

// lineThenCheck gives one line, then, at the next read, notes whether out already holds want.
type lineThenCheck struct {
	line      string
	out       *bytes.Buffer
	want      string
	read, saw bool
}

func (r *lineThenCheck) Read(p []byte) (int, error) {
	if !r.read {
		r.read = true
		return copy(p, r.line), nil
	}
	r.saw = strings.Contains(r.out.String(), r.want)
	return 0, io.EOF
}

// TestExplainStdinExplainsEachLineBeforeReadingTheNext: "tail -f log | flb-enrich explain -" shows
// each line's explanation as the line arrives, not all of them at the end of the input.
func TestExplainStdinExplainsEachLineBeforeReadingTheNext(t *testing.T) {
	var out, errOut bytes.Buffer
	in := &lineThenCheck{line: "%ASA-4-722051: Group <g>\n", out: &out, want: "result:      catalog entry"}
	if code := run([]string{"explain", "-"}, in, &out, &errOut); code != 0 || !in.saw {
		t.Errorf("exit %d (stderr %q); explanation written before the next read: %v", code, errOut.String(), in.saw)
	}
}

// countedLines gives n log lines, per a read (one when per is 0), and counts the lines read.
type countedLines struct{ n, per, reads int }

func (r *countedLines) Read(p []byte) (int, error) {
	const line = "%ASA-4-722051: Group <g>\n"
	k := 0
	for ; r.reads < r.n && k+len(line) <= len(p) && k < max(r.per, 1)*len(line); r.reads++ {
		k += copy(p[k:], line)
	}
	if k == 0 {
		return 0, io.EOF
	}
	return k, nil
}

// TestStdinStopsWhenOutputFails: "tail -f log | flb-enrich [explain -] >file" ends at the first
// write that fails (a full disk), with the write error, instead of reading on; so does enriching
// lines that arrive faster than they are written, whose output goes out when its 64 KiB buffer
// fills rather than line by line.
func TestStdinStopsWhenOutputFails(t *testing.T) {
	for _, tt := range []struct {
		args []string
		per  int
	}{{[]string{"explain", "-"}, 1}, {nil, 1}, {nil, 100000}} {
		var errOut bytes.Buffer
		in := &countedLines{n: 100000, per: tt.per}
		if code := run(tt.args, in, failWriter{}, &errOut); code != 1 || strings.Count(errOut.String(), "broken pipe") != 1 || in.reads == in.n {
			t.Errorf("%q, %d lines a read: exit %d, stderr %q, %d of %d lines read; want 1, the write error once and the input left",
				tt.args, tt.per, code, errOut.String(), in.reads, in.n)
		}
	}
}
