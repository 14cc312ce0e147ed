package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestLoadFileValid(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []Entry
	}{
		{
			name: "json", file: "good.json",
			want: []Entry{
				{Product: ProductFTD, ID: "722051", Severity: sev(6),
					Format:      "Group group-policy User username IP public-ip Address assigned-ip assigned to session",
					Explanation: "社内手順: VPN アドレス割り当て。", Action: "対応不要。", Params: []Param{},
					Source: Source{Document: "ops-runbook", Section: "VPN"}},
				{Product: ProductIOS, ID: "LINK-3-UPDOWN", Facility: "LINK", Mnemonic: "UPDOWN", Severity: sev(3),
					Format:      "Interface [chars], changed state to [chars]",
					Explanation: "Interface state changed.", Action: "Check the cable.",
					Params: []Param{{Name: "[chars]", Description: "interface name"}},
					Source: Source{Document: "good.json"}},
			},
		},
		{
			name: "csv with inferred products", file: "good.csv",
			want: []Entry{
				{Product: ProductFTD, ID: "106023", Severity: sev(4), Explanation: "Denied by access group.", Action: "Check the ACL.",
					Params: []Param{}, Source: Source{Document: "good.csv"}},
				{Product: ProductIOS, ID: "LINK-3-UPDOWN", Facility: "LINK", Mnemonic: "UPDOWN", Severity: sev(3),
					Explanation: "Interface state changed (CSV).", Action: "Check the cable (CSV).",
					Params: []Param{}, Source: Source{Document: "good.csv"}},
				{Product: ProductIBM, ID: "086008", Explanation: "Custom IBM explanation.", Action: "Custom IBM action.",
					Params: []Param{}, Source: Source{Document: "good.csv"}},
				{Product: ProductCUCM, ID: "ILSCustomAlarm", Severity: sev(4), Explanation: "A site-specific alarm.", Action: "Call the voice team.",
					Params: []Param{}, Source: Source{Document: "good.csv"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatalf("LoadFile error: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("LoadFile returned %d entries, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range got {
				if !equalEntry(got[i], tt.want[i]) {
					t.Errorf("entry %d = %+v\nwant %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func equalEntry(a, b Entry) bool {
	if (a.Severity == nil) != (b.Severity == nil) || a.Severity != nil && *a.Severity != *b.Severity {
		return false
	}
	a.Severity, b.Severity = nil, nil
	return a.Format == b.Format &&
		a.Product == b.Product && a.ID == b.ID && a.ErrorCode == b.ErrorCode &&
		a.Facility == b.Facility && a.Mnemonic == b.Mnemonic &&
		a.Explanation == b.Explanation && a.Action == b.Action &&
		len(a.Params) == len(b.Params) && a.Source == b.Source &&
		strings.Join(a.Signatures, "|") == strings.Join(b.Signatures, "|") &&
		paramsEqual(a.Params, b.Params)
}

func paramsEqual(a, b []Param) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		is     []error
		wants  []string // every one must appear in the message
		absent []string // none may appear
	}{
		{name: "missing file", file: "no-such-file.json", is: []error{ErrUserCatalog, fs.ErrNotExist}, wants: []string{"no-such-file.json"}},
		{name: "unsupported extension", file: "catalog.txt", is: []error{ErrUserCatalog, ErrUnsupportedFormat}, wants: []string{"catalog.txt"}},
		{name: "json null", file: "null.json", is: []error{ErrUserCatalog}, wants: []string{"null.json", "want a JSON array of entries"}},
		{name: "malformed json", file: "bad_syntax.json", is: []error{ErrUserCatalog}, wants: []string{"bad_syntax.json", "line 4 column 1:", "malformed JSON"}},
		{name: "unknown json field", file: "unknown_field.json", is: []error{ErrUserCatalog}, wants: []string{"entry 1", `unknown field "colour"`}},
		{
			name: "every bad json entry listed", file: "bad_entries.json", is: []error{ErrUserCatalog, ErrInvalidEntry},
			wants:  []string{`entry 1 (id "72205")`, "not a 6-digit message ID", `entry 2 (id "722052")`, "severity 9 is outside 0-7", `entry 3 (id "X")`, `unknown product "juniper"`},
			absent: []string{"entry 4"},
		},
		{name: "csv missing column", file: "missing_column.csv", is: []error{ErrUserCatalog}, wants: []string{"missing_column.csv", "line 1", `missing column "action"`}},
		{name: "csv unknown column", file: "unknown_column.csv", is: []error{ErrUserCatalog}, wants: []string{`unknown column "colour"`}},
		{
			name: "csv bad rows with line numbers", file: "bad_rows.csv", is: []error{ErrUserCatalog, ErrInvalidEntry},
			wants: []string{
				`line 3 (id "722052")`, `severity "high" is neither 0-7`,
				`line 4 (id "hello")`, "cannot tell the product",
				`line 5 (id "722054")`, "severity 8 is outside 0-7",
				"line 6", "5 fields, want 4",
				`line 7 (id "086008")`, "give product ibm_storage_virtualize",
				`line 8 (id "981004")`,
				// Lines carry it as a Unified CM header, which no IOS entry explains.
				`line 9 (id "UC_CALLMANAGER-3-DB_LINK_DOWN")`, "give product cisco_cucm and its alarm name DB_LINK_DOWN",
			},
			absent: []string{"line 2"},
		},
		{name: "csv unterminated quote", file: "bad_quote.csv", is: []error{ErrUserCatalog}, wants: []string{"bad_quote.csv", "line 3 column 12:", "quote"}},
		{name: "csv bare quote", file: "bare_quote.csv", is: []error{ErrUserCatalog}, wants: []string{"line 3 column 20:", "bare \""}},
		{name: "csv duplicate id", file: "duplicate.csv", is: []error{ErrUserCatalog, ErrDuplicateEntry}, wants: []string{"line 3", "already defined at line 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, err := LoadFile(filepath.Join("testdata", tt.file))
			if err == nil {
				t.Fatalf("LoadFile succeeded with %d entries, want an error", len(entries))
			}
			if entries != nil {
				t.Errorf("LoadFile returned %d entries with an error: a bad file is rejected whole", len(entries))
			}
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("error %q is not %v", err, target)
				}
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(err.Error(), a) {
					t.Errorf("error %q mentions %q, which is valid", err, a)
				}
			}
		})
	}
}

func TestLoadOverrides(t *testing.T) {
	base := mustEmbedded(t)
	c, err := Load(filepath.Join("testdata", "good.json"), filepath.Join("testdata", "good.csv"))
	if err != nil {
		t.Fatalf("Load error: %v", err)
	}
	tests := []struct {
		name            string
		product         Product
		key             string
		wantExplanation string
	}{
		{"json overrides embedded", ProductFTD, "722051", "社内手順: VPN アドレス割り当て。"},
		{"later csv overrides earlier json", ProductIOS, "LINK-UPDOWN", "Interface state changed (CSV)."},
		{"csv overrides embedded IBM event", ProductIBM, "086008", "Custom IBM explanation."},
		{"new FTD entry", ProductFTD, "106023", "Denied by access group."},
		{"embedded entry untouched", ProductFTD, "722001", "SVC からの要求が無効でした。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := c.Lookup(tt.product, tt.key)
			if !ok {
				t.Fatalf("Lookup(%s, %q) found nothing", tt.product, tt.key)
			}
			if e.Explanation != tt.wantExplanation {
				t.Errorf("explanation = %q, want %q", e.Explanation, tt.wantExplanation)
			}
		})
	}
	// 106023, LINK-UPDOWN and ILSCustomAlarm are new; the rest replace.
	if got, want := c.Len(), base.Len()+3; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	if c.Version() == base.Version() || !strings.HasPrefix(c.Version(), base.Version()+"+user.") {
		t.Errorf("Version() = %q, want the embedded version with a user suffix", c.Version())
	}
	if c, err := Load(); err != nil || c.Version() != base.Version() {
		t.Errorf("Load() = version %q, %v; want the embedded catalog's %q", c.Version(), err, base.Version())
	}
	if _, ok := c.LookupErrorCode("1785"); !ok {
		t.Error("error codes lost when loading user files")
	}
	if e, ok := c.LookupID("ILSCustomAlarm"); !ok || e.Product != ProductCUCM {
		t.Error("user Unified CM entry not found by its alarm name")
	}
	if _, err := Load(filepath.Join("testdata", "good.json"), filepath.Join("testdata", "bad_rows.csv")); !errors.Is(err, ErrUserCatalog) {
		t.Errorf("Load with a bad file: error %v, want ErrUserCatalog", err)
	}
}

// An entry replacing a Unified CM entry without signatures is found by the trace text the replaced
// one was, and the catalog written from it loads back the same.
func TestOverrideKeepsSignatures(t *testing.T) {
	const id, trace = "ILSCertificateVerificationFailed", "self signed certificate"
	tests := []struct {
		name, file, text string
		want             []string
	}{
		{"json without signatures", "u.json", `[{"product":"cisco_cucm","id":"` + id + `","explanation":"mine","action":"fix"}]`,
			[]string{"Certificate verification failed", "Verification error:18", trace}},
		{"csv with the column blank", "u.csv", "product,id,severity,explanation,action,signatures\ncisco_cucm," + id + ",,mine,fix,\n",
			[]string{"Certificate verification failed", "Verification error:18", trace}},
		{"json with an empty list", "u.json", `[{"product":"cisco_cucm","id":"` + id + `","explanation":"mine","action":"fix","signatures":[]}]`,
			[]string{"Certificate verification failed", "Verification error:18", trace}},
		{"json with null", "u.json", `[{"product":"cisco_cucm","id":"` + id + `","explanation":"mine","action":"fix","signatures":null}]`,
			[]string{"Certificate verification failed", "Verification error:18", trace}},
		{"csv with its own", "u.csv", "product,id,severity,explanation,action,signatures\ncisco_cucm," + id + `,,mine,fix,"[""cert fail""]"` + "\n",
			[]string{"cert fail"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(writeTemp(t, tt.file, tt.text))
			if err != nil {
				t.Fatal(err)
			}
			e, ok := c.LookupID(id)
			if !ok || e.Explanation != "mine" || !slices.Equal(e.Signatures, tt.want) {
				t.Fatalf("LookupID(%s) = %+v, %v; want the user's entry with signatures %q", id, e, ok, tt.want)
			}
			for _, s := range append(tt.want, id) {
				if e, ok := c.LookupID(s); !ok || e.Explanation != "mine" {
					t.Errorf("signature %q: found %v, %+v; want the user's entry", s, ok, e)
				}
			}
			if _, ok := c.LookupID(trace); ok != slices.Contains(tt.want, trace) {
				t.Errorf("%q found %v, want %v", trace, ok, !ok)
			}
			for _, format := range []string{"json", "csv"} {
				var b bytes.Buffer
				if err := Write(&b, format, []Entry{*e}); err != nil {
					t.Fatal(err)
				}
				back, err := Load(writeTemp(t, "w."+format, b.String()))
				if err != nil {
					t.Fatal(err)
				}
				if e2, _ := back.LookupID(id); !equalEntry(*e2, *e) {
					t.Errorf("written as %s, loaded back as %+v, want %+v", format, *e2, *e)
				}
			}
		})
	}
}

// writeTemp writes a user catalog file named name with text.
func writeTemp(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestJSONAndCSVAcceptTheSameValues loads the same entry written both ways.
func TestJSONAndCSVAcceptTheSameValues(t *testing.T) {
	tests := []struct {
		name         string
		jsonSeverity string // as written in JSON
		csvSeverity  string // as written in CSV
		bom          bool
		want         *int
	}{
		{"number", `4`, `4`, false, sev(4)},
		{"keyword", `"warning"`, `warning`, false, sev(4)},
		{"keyword in capitals", `"Critical"`, `Critical`, false, sev(2)},
		{"keyword of level 0", `"emergency"`, `emergency`, false, sev(0)},
		{"level as text", `"5"`, `5`, false, sev(5)},
		{"none", `null`, ``, false, nil},
		{"empty text", `""`, ``, false, nil},
		{"byte order mark", `3`, `3`, true, sev(3)},
		{"keyword in spaces", `" warning "`, ` warning `, false, sev(4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bom := ""
			if tt.bom {
				bom = "\xef\xbb\xbf"
			}
			files := map[string]string{
				"user.json": bom + `[{"product":"cisco_ftd_asa","id":"106023","severity":` + tt.jsonSeverity + `,"explanation":"x","action":"y"}]`,
				"user.csv":  bom + "id,severity,explanation,action\n106023," + tt.csvSeverity + ",x,y\n",
			}
			for name, text := range files {
				got, err := LoadFile(writeTemp(t, name, text))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if g := got[0].Severity; (g == nil) != (tt.want == nil) || g != nil && *g != *tt.want {
					t.Errorf("%s: severity %v, want %v", name, g, tt.want)
				}
			}
		})
	}
}

// TestJSONErrorsNameFields checks that decoding errors speak of the
// file's fields and JSON values, never of Go types.
func TestJSONErrorsNameFields(t *testing.T) {
	tests := []struct {
		name, text string
		want       string
	}{
		{"id as a number", `[{"product":"cisco_ftd_asa","id":106023,"explanation":"x","action":"y"}]`, `entry 1: invalid catalog entry: field "id" must be a string, got a number`},
		{"params as text", `[{"product":"cisco_ftd_asa","id":"106023","explanation":"x","action":"y","params":"acl"}]`, `field "params" must be a list, got a string`},
		{"param name as a number", `[{"product":"cisco_ftd_asa","id":"106023","explanation":"x","action":"y","params":[{"name":1}]}]`, `field "params.name" must be a string, got a number`},
		{"source document as a number", `[{"product":"cisco_ftd_asa","id":"106023","explanation":"x","action":"y","source":{"document":2}}]`, `field "source.document" must be a string, got a number`},
		{"entry not an object", `["106023"]`, `entry 1: invalid catalog entry: an entry must be an object, got a string`},
		{"not a list", `{"id":"106023"}`, `want a JSON array of entries, got an object`},
		{"stray comma", `[{"product":"cisco_ftd_asa","id":"106023","explanation":"x","action":"y"},]`, `line 1 column 75: malformed JSON: invalid character ']'`},
		{"line break in a string", "[{\"product\":\"cisco_ftd_asa\",\"id\":\"106023\",\"explanation\":\"x\n\",\"action\":\"y\"}]", `line 1 column 59: malformed JSON: invalid character '\n' in string literal`},
		// A file cut short has no bad byte: the end is after its last.
		{"cut short", `[{"product":"cisco_ftd_asa"`, `line 1 column 28: malformed JSON: unexpected end of JSON input`},
		{"cut short after a line break", "[{\"product\":\"cisco_ftd_asa\"\n", `line 2 column 1: malformed JSON: unexpected end of JSON input`},
		{"unknown field", `[{"product":"cisco_ftd_asa","id":"106023","explanation":"x","action":"y","colour":"red"}]`, `unknown field "colour" (want product, id, printed_id, error_code, facility, mnemonic, severity, format, explanation, action, params, signatures, source)`},
		{"field twice", `[{"product":"cisco_ftd_asa","id":"106023","explanation":"x","action":"y","explanation":"z"}]`, `entry 1: invalid catalog entry: field "explanation" appears twice`},
		{"field twice inside source", `[{"product":"cisco_ftd_asa","id":"106023","explanation":"x","action":"y","source": 
 {"document":"a", "section":"b","Document":"c"}}]`, `entry 1: invalid catalog entry: field "source.Document" appears twice`},
		{"field twice inside params", `[{"product":"cisco_ftd_asa","id":"999111","explanation":"x","action":"y","format":"a %s",
 "params":[{"name":"a","description":"d1"},{"name":"b","description":"d2","Name":"c"}]}]`, `entry 1: invalid catalog entry: field "params.Name" appears twice`},
		{"field twice in another case", `[{"product":"cisco_ftd_asa","id":"106023","Action":"x","action":"y"}]`, `entry 1: invalid catalog entry: field "action" appears twice`},
		// Decoding folds case as strings.EqualFold does: the long s (ſ) matches s.
		{"field twice in another folding", `[{"product":"cisco_ftd_asa","id":"106023","severity":4,"ſeverity":7,"explanation":"x","action":"y"}]`, `entry 1: invalid catalog entry: field "ſeverity" appears twice`},
		// An invalid entry is reported as such, not as the duplicate it also is.
		{"duplicate with an invalid severity", `[{"product":"cisco_ftd_asa","id":"106023","explanation":"x","action":"y"},
 {"product":"cisco_ftd_asa","id":"106023","severity":"high","explanation":"x","action":"y"}]`, `entry 2 (id "106023"): invalid catalog entry: severity "high" is neither 0-7`},
		{"severity keyword unknown", `[{"product":"cisco_ftd_asa","id":"106023","severity":"high","explanation":"x","action":"y"}]`, `entry 1 (id "106023"): invalid catalog entry: severity "high" is neither 0-7`},
		{"severity not whole", `[{"product":"cisco_ftd_asa","id":"106023","severity":4.5,"explanation":"x","action":"y"}]`, `severity "4.5" is neither 0-7`},
		{"severity out of range", `[{"product":"cisco_ftd_asa","id":"106023","severity":9,"explanation":"x","action":"y"}]`, `severity 9 is outside 0-7`},
		{"IBM id of neither form", `[{"product":"ibm_storage_virtualize","id":"12345","explanation":"x","action":"y"}]`, `entry 1 (id "12345"): invalid catalog entry: id "12345" is neither a 6-digit event ID nor a 4-digit error code`},
		{"error code entry of another code", `[{"product":"ibm_storage_virtualize","id":"1234","error_code":"1785","explanation":"x","action":"y"}]`, `error_code "1785" differs from id "1234", which is an error code`},
		{"error code not numeric", `[{"product":"ibm_storage_virtualize","id":"086008","error_code":"17x5","explanation":"x","action":"y"}]`, `error_code "17x5" is not numeric`},
		{"severity negative", `[{"product":"cisco_ftd_asa","id":"106023","severity":-1,"explanation":"x","action":"y"}]`, `severity -1 is outside 0-7`},
		{"IOS id without a mnemonic", `[{"product":"cisco_ios","id":"LINK-3","explanation":"x","action":"y"}]`, `entry 1 (id "LINK-3"): invalid catalog entry: id "LINK-3" is not FACILITY-SEVERITY-MNEMONIC`},
		{"IOS id with a blank", `[{"product":"cisco_ios","id":" LINK-3-UPDOWN","explanation":"x","action":"y"}]`, `entry 1 (id " LINK-3-UPDOWN"): invalid catalog entry: id " LINK-3-UPDOWN" has the key " LINK-UPDOWN", with other bytes than the ASCII letters, digits, _ and - of FACILITY-MNEMONIC`},
		{"IOS facility a blank", `[{"product":"cisco_ios","id":"LINK-3-UPDOWN","facility":" ","mnemonic":"UPDOWN","explanation":"x","action":"y"}]`, `has the key " -UPDOWN", with other bytes`},
		{"IOS mnemonic with a no-break space", `[{"product":"cisco_ios","id":"LINK-3-UPDOWN\u00a0","explanation":"x","action":"y"}]`, `with other bytes`},
		{"IOS id that is a firewall name", `[{"product":"cisco_ios","id":"%ASA-4-106023","explanation":"x","action":"y"}]`, `entry 1 (id "ASA-4-106023"): invalid catalog entry: id "ASA-4-106023" is a firewall message name: give product cisco_ftd_asa and its 6-digit ID`},
		{"IOS id that is a Threat Defense name", `[{"product":"cisco_ios","id":"Threat Defense-2-106001","explanation":"x","action":"y"}]`, `is a firewall message name`},
		{"IOS id that is a firewall name with a class", `[{"product":"cisco_ios","id":"%ASA-session-5-106100","explanation":"x","action":"y"}]`, `is a firewall message name`},
		{"IOS id that is a firewall name with two dashes", `[{"product":"cisco_ios","id":"%FTD--6-722051","explanation":"x","action":"y"}]`, `is a firewall message name`},
		{"IOS id that is a firewall name of another prefix", `[{"product":"cisco_ios","id":"FDT-6-716039","explanation":"x","action":"y"}]`, `is a firewall message name`},
		{"IOS id with a colon", `[{"product":"cisco_ios","id":"LINK-3-UPDOWN:","explanation":"x","action":"y"}]`, `has the key "LINK-UPDOWN:", with other bytes`},
		{"IOS facility past ASCII", `[{"product":"cisco_ios","id":"LİNK-3-UPDOWN","explanation":"x","action":"y"}]`, `with other bytes`},
		{"alarm name empty", `[{"product":"cisco_cucm","id":"","explanation":"x","action":"y"}]`, `entry 1 (id ""): invalid catalog entry: id "" is not an alarm name`},
		{"alarm name with a tab", `[{"product":"cisco_cucm","id":"ILS\tX","explanation":"x","action":"y"}]`, `id "ILS\tX" is not an alarm name`},
		{"alarm name with a no-break space", `[{"product":"cisco_cucm","id":"\u00a0ILSX","explanation":"x","action":"y"}]`, `id "\u00a0ILSX" is not an alarm name`},
		// Lines are keyed by the alarm name after the header's severity, which an entry of the whole name never explains.
		{"alarm name as the message name", `[{"product":"cisco_cucm","id":"%UC_CALLMANAGER-3-DeviceUnregistered","explanation":"x","action":"y"}]`,
			`entry 1 (id "UC_CALLMANAGER-3-DeviceUnregistered"): invalid catalog entry: id "UC_CALLMANAGER-3-DeviceUnregistered" is a Unified CM message name: give product cisco_cucm and its alarm name DeviceUnregistered`},
		{"alarm name as a CCM message name", `[{"product":"cisco_cucm","id":"CCM_RTMT-RTMT-2-RTMT-ERROR-ALERT","explanation":"x","action":"y"}]`,
			`is a Unified CM message name: give product cisco_cucm and its alarm name RTMT-ERROR-ALERT`},
		{"an IOS entry of a Unified CM name", `[{"product":"cisco_ios","id":"uc_callmanager-3-DB_LINK_DOWN","explanation":"x","action":"y"}]`,
			`is a Unified CM message name: give product cisco_cucm and its alarm name DB_LINK_DOWN`},
		// An entry invalid otherwise is reported as such, not for texts not yet written.
		{"invalid id without texts", `[{"product":"cisco_ftd_asa","id":"72205","explanation":"","action":""}]`, `entry 1 (id "72205"): invalid catalog entry: id "72205" is not a 6-digit message ID`},
		{"signature empty", `[{"product":"cisco_cucm","id":"ILSX","explanation":"x","action":"y","signatures":[""]}]`, `entry 1 (id "ILSX"): invalid catalog entry: signature "" is shorter than 4 bytes`},
		// Only Unified CM entries are searched for by their signatures: another product's would be ignored.
		{"signatures of a firewall entry", `[{"product":"cisco_ftd_asa","id":"999001","explanation":"x","action":"y","signatures":["tunnel torn down"]}]`, `entry 1 (id "999001"): invalid catalog entry: signatures are read for cisco_cucm entries only`},
		{"signatures of an IOS entry", `[{"product":"cisco_ios","id":"LINK-3-FLAP","explanation":"x","action":"y","signatures":["link flapping detected"]}]`, `signatures are read for cisco_cucm entries only`},
		{"signatures of an IBM entry", `[{"product":"ibm_storage_virtualize","id":"999123","explanation":"x","action":"y","signatures":["drive failed"]}]`, `signatures are read for cisco_cucm entries only`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadFile(writeTemp(t, "user.json", tt.text))
			if err == nil {
				t.Fatal("LoadFile succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			_, msg, _ := strings.Cut(err.Error(), "user.json: ")
			for _, goWord := range []string{"Go ", "catalog.", "json: ", "of type", "Entry", "[]"} {
				if strings.Contains(msg, goWord) {
					t.Errorf("error %q mentions %q", msg, goWord)
				}
			}
		})
	}
}

func TestCSVListColumns(t *testing.T) {
	const header = "product,id,severity,explanation,action,printed_id,params,signatures\n"
	tests := []struct {
		name, row string
		want      Entry
		wantErr   string
	}{
		{"lists", `cisco_cucm,ILSX,,x,y,,"[{""name"":""ip"",""description"":""peer""}]","[""a | b"",""cert""]"`,
			Entry{Product: ProductCUCM, ID: "ILSX", Explanation: "x", Action: "y", Params: []Param{{Name: "ip", Description: "peer"}}, Signatures: []string{"a | b", "cert"}}, ""},
		{"printed id", `cisco_ftd_asa,722056,,x,y,722055,,`,
			Entry{Product: ProductFTD, ID: "722056", PrintedID: "722055", Explanation: "x", Action: "y", Params: []Param{}}, ""},
		{"params not JSON", `cisco_cucm,ILSX,,x,y,,ip: peer,`, Entry{}, `column params: want a JSON list`},
		{"signatures not a list", `cisco_cucm,ILSX,,x,y,,,"""a"""`, Entry{}, `column signatures: want a JSON list such as ["...", "..."], got a string`},
		{"unknown param field", `cisco_cucm,ILSX,,x,y,,"[{""nom"":""ip""}]",`, Entry{}, `unknown field "nom"`},
		{"param field twice", `cisco_cucm,ILSX,,x,y,,"[{""name"":""a"",""description"":""d"",""name"":""b""}]",`, Entry{}, `field "params.name" appears twice`},
		{"bracket after a list", `cisco_cucm,ILSX,,x,y,,,"[""self signed""]]"`, Entry{}, `text after the JSON value`},
		{"brace after a list", `cisco_cucm,ILSX,,x,y,,,"[""self signed""]}"`, Entry{}, `text after the JSON value`},
		{"printed id not 6 digits", `cisco_ftd_asa,722056,,x,y,72205,,`, Entry{}, `printed_id "72205" is not a 6-digit message ID`},
		{"signature too short", `cisco_cucm,ILSX,,x,y,,,"[""self signed certificate"",""TLS""]"`, Entry{},
			`user.csv: line 2 (id "ILSX"): invalid catalog entry: signature "TLS" is shorter than 4 bytes`},
		{"signatures of an IOS row", `cisco_ios,LINK-3-FLAP,,x,y,,,"[""link flapping detected""]"`, Entry{},
			`user.csv: line 2 (id "LINK-3-FLAP"): invalid catalog entry: signatures are read for cisco_cucm entries only`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadFile(writeTemp(t, "user.csv", header+tt.row+"\n"))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Source.Document = "user.csv"
			if !reflect.DeepEqual(got[0], tt.want) {
				t.Errorf("entry\n got  %+v\n want %+v", got[0], tt.want)
			}
		})
	}
}

// TestCSVFirewallClassWithoutDash: a class ends in a dash, as the recogniser reads it: a name
// whose class runs into its severity (%ASA-session5-106100) is no firewall name.
func TestCSVFirewallClassWithoutDash(t *testing.T) {
	_, err := LoadFile(writeTemp(t, "user.csv", "id,severity,explanation,action\n%ASA-session5-106100,,x,y\n"))
	if want := "cannot tell the product"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want one saying %q", err, want)
	}
}

// TestCSVFirewallNames checks that a firewall message name as printed is a Threat Defense entry
// keyed by its 6-digit ID, as the recogniser looks it up, and never an IOS entry.
func TestCSVFirewallNames(t *testing.T) {
	tests := []struct {
		name, row string
		wantID    string
		wantSev   *int
	}{
		{"ASA name", `,%ASA-4-106023,,x,y`, "106023", sev(4)},
		{"without percent", `,ASA-4-106023,,x,y`, "106023", sev(4)},
		{"FTD name with colon", `,%FTD-6-722051:,,x,y`, "722051", sev(6)},
		{"PIX name", `,%PIX-3-106010,,x,y`, "106010", sev(3)},
		{"FWSM name", `,%FWSM-5-111008,,x,y`, "111008", sev(5)},
		{"NGIPS name", `,%NGIPS-1-430002,,x,y`, "430002", sev(1)},
		{"Threat Defense name", `,%Threat Defense-2-106001,,x,y`, "106001", sev(2)},
		{"severity keyword wins", `,%ASA-4-106023,notice,x,y`, "106023", sev(5)},
		{"severity level wins", `,%ASA-4-106023,2,x,y`, "106023", sev(2)},
		{"product column", `cisco_ftd_asa,%ASA-4-106023,,x,y`, "106023", sev(4)},
		// A class between prefix and severity, as the recogniser reads it (docs/recognition.md).
		{"ASA name with a class", `,%ASA-session-5-106100,,x,y`, "106100", sev(5)},
		{"class and product column", `cisco_ftd_asa,%ASA-ipv6-6-325001:,,x,y`, "325001", sev(6)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadFile(writeTemp(t, "user.csv", "product,id,severity,explanation,action\n"+tt.row+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			want := Entry{Product: ProductFTD, ID: tt.wantID, Severity: tt.wantSev, Explanation: "x", Action: "y",
				Params: []Param{}, Source: Source{Document: "user.csv"}}
			if !equalEntry(got[0], want) {
				t.Errorf("entry\n got  %+v\n want %+v", got[0], want)
			}
		})
	}
}

// TestCSVIOSSeverityFromName: an IOS name's severity digit, the part before the mnemonic, stands in
// for an empty severity, after a sub-facility too; a severity given wins, and a letter severity or
// another product's name gives none.
func TestCSVIOSSeverityFromName(t *testing.T) {
	tests := []struct {
		name, row string
		want      *int
		wantErr   string
	}{
		{name: "name's digit", row: "cisco_ios,LINK-3-UPDOWN,", want: sev(3)},
		{name: "digit after a sub-facility", row: "cisco_ios,%LICENSE-SMART_LIC-3-COMM_FAILED,", want: sev(3)},
		{name: "given severity wins", row: "cisco_ios,LINK-3-UPDOWN,5", want: sev(5)},
		{name: "letter severity gives none", row: "cisco_ios,LINK-W-DOWN,", want: nil},
		{name: "name without parts refused", row: "cisco_ios,UPDOWN,", wantErr: "is not FACILITY-SEVERITY-MNEMONIC"},
		{name: "firewall name refused", row: "cisco_ios,%FTD-6-722051,", wantErr: `id "FTD-6-722051" is a firewall message name: give product cisco_ftd_asa`},
		{name: "a blank outside the key", row: "cisco_ios,LINK-3 -UPDOWN,", want: nil},
		{name: "lower-case name", row: "cisco_ios,link-3-UpDown_2,", want: sev(3)},
		{name: "name with a blank refused", row: "cisco_ios,LINK -3-UPDOWN,", wantErr: `key "LINK -UPDOWN", with other bytes`},
		{name: "other product's name gives none", row: "cisco_cucm,DB-3-X,", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadFile(writeTemp(t, "user.csv", "product,id,severity,explanation,action\n"+tt.row+",x,y\n"))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("%s: error %v, want one saying %q", tt.row, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g := got[0].Severity; (g == nil) != (tt.want == nil) || g != nil && *g != *tt.want {
				t.Errorf("%s: severity %s, want %s", tt.row, fmtSev(g), fmtSev(tt.want))
			}
		})
	}
}

func fmtSev(s *int) string {
	if s == nil {
		return "none"
	}
	return fmt.Sprint(*s)
}

// TestJSONIOSSeverityFromName: a JSON IOS entry without a severity takes its name's digit, as the same
// entry in CSV does, so that it loads alike from either format.
func TestJSONIOSSeverityFromName(t *testing.T) {
	for _, id := range []string{"LINK-3-UPDOWN", "%LICENSE-SMART_LIC-3-COMM_FAILED"} {
		for _, severity := range []string{``, `"severity":null,`, `"severity":" ",`} {
			got, err := LoadFile(writeTemp(t, "user.json", `[{"product":"cisco_ios","id":"`+id+`",`+severity+`"explanation":"x","action":"y"}]`))
			if err != nil {
				t.Fatal(err)
			}
			if got[0].Severity == nil || *got[0].Severity != 3 {
				t.Errorf("%s with %s: severity %v, want 3", id, severity, got[0].Severity)
			}
		}
	}
}

// TestJSONIDPercent: a Unified CM name written with the % of a logged line loads without it, as
// from CSV, under the key the recogniser looks up.
func TestJSONIDPercent(t *testing.T) {
	for name, text := range map[string]string{
		"user.json": `[{"product":"cisco_cucm","id":"%CallManagerFailure","explanation":"x","action":"y"}]`,
		"user.csv":  "product,id,severity,explanation,action\ncisco_cucm,%CallManagerFailure,,x,y\n",
	} {
		got, err := LoadFile(writeTemp(t, name, text))
		if err != nil || len(got) != 1 || got[0].ID != "CallManagerFailure" {
			t.Errorf("%s: %+v, %v; want the ID CallManagerFailure", name, got, err)
		}
	}
}

// TestCSVHeader: the report's count and example columns load and are ignored; a column given
// twice is refused rather than one of them dropped. Rows of blank cells, which a spreadsheet
// writes for rows cleared rather than deleted, are skipped as empty lines are.
func TestCSVHeader(t *testing.T) {
	tests := []struct {
		name, text string
		wantErr    string
	}{
		{"report columns", "product,id,severity,explanation,action,count,example\ncisco_ftd_asa,106023,4,x,y,12,%ASA-4-106023: z\n", ""},
		{"rows of blank cells", "product,id,severity,explanation,action,count,example\r\n,,,,,,\r\ncisco_ftd_asa,106023,4,x,y,12,z\r\n,,,,,,\r\n, ,,\"\",,,\r\n", ""},
		{"rows of fewer or more blank cells", "id,severity,explanation,action\n,,\n106023,4,x,y\n , ,,,,,\n", ""},
		{"column twice", "id,severity,explanation,action,ID\n106023,4,x,y,106024\n", `line 1: column "id" appears twice`},
		{"blank rows before the header", ",,,\r\n\r\n , \nid,severity,explanation,action\n106023,4,x,y\n", ""},
		{"header after blank rows", "\n,,\nid,severity,explanation\n106023,4,x\n", `line 3: missing column "action"`},
		{"unknown column after blank rows", "\nid,severity,explanation,action,x\n", `line 2: unknown column "x"`},
		{"column twice after blank rows", "\nid,severity,explanation,action,id\n", `line 2: column "id" appears twice`},
		{"spaces around names and cells", " id , severity , explanation , action \n 106023 , 4 , x , y \n", ""},
		{"spaces before a quoted cell", "id,severity,explanation,action\n106023, 4, \"x\", y\n", ""},
		{"space after a quoted cell", "id,severity,explanation,action\n106023,4,\"x\" ,y\n", `line 2 column 12: extraneous or missing " in quoted-field`},
		{"only blank rows", ",,\n\n", `line 1: empty file, want a header row`},
		{"quote out of place in the header", "\n\nid,x\"y,severity\n", `user.csv: line 3 column 5: bare "`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadFile(writeTemp(t, "user.csv", tt.text))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(got) != 1 || got[0].ID != "106023" || got[0].Explanation != "x" {
				t.Errorf("LoadFile = %+v, %v; want entry 106023", got, err)
			}
		})
	}
}

// TestCSVHeaderProblemsEndTheFile: rows under a header with problems are not read, as their
// problems would only repeat the header's.
func TestCSVHeaderProblemsEndTheFile(t *testing.T) {
	_, err := LoadFile(writeTemp(t, "user.csv", "id,severity,explanation\nhello,4,x\n"))
	if err == nil || !strings.Contains(err.Error(), `line 1: missing column "action"`) || strings.Contains(err.Error(), "line 2") {
		t.Errorf("error %v, want only the header's missing column", err)
	}
}

// TestJSONIOSNameWithPercent: an IOS ID written as printed, with its %, is keyed as the
// recogniser looks it up, as in CSV.
// The facility or the mnemonic given alone changes nothing: the key is still the ID's.
func TestJSONIOSNameWithPercent(t *testing.T) {
	for _, fields := range []string{``, `"facility":"LINK",`, `"mnemonic":"UPDOWN",`, `"facility":"LINK","mnemonic":"UPDOWN",`} {
		c, err := Load(writeTemp(t, "user.json", `[{"product":"cisco_ios","id":"%LINK-3-UPDOWN",`+fields+`"explanation":"mine","action":"y"}]`))
		if err != nil {
			t.Fatal(err)
		}
		e, ok := c.Lookup(ProductIOS, "LINK-UPDOWN")
		if !ok || e.ID != "LINK-3-UPDOWN" || e.Facility != "LINK" || e.Mnemonic != "UPDOWN" || e.Explanation != "mine" {
			t.Errorf("%s: Lookup(LINK-UPDOWN) = %+v, %v; want the user's entry LINK-3-UPDOWN", fields, e, ok)
		}
	}
}

// TestSignaturesOfEntriesWithoutThem: a Unified CM entry without signatures is found by its ID.
func TestSignaturesOfEntriesWithoutThem(t *testing.T) {
	c, err := Load(writeTemp(t, "user.json", `[{"product":"cisco_cucm","id":"ILSCustomAlarm","explanation":"x","action":"y"}]`))
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(c.Signatures(), func(s Signature) bool { return s.Text == "ILSCustomAlarm" })
	if i < 0 || c.Signatures()[i].Entry.Explanation != "x" {
		t.Errorf("no signature ILSCustomAlarm for the user's entry among %d", len(c.Signatures()))
	}
}

// TestSignaturesOfSameLengthInOrder: signatures of one length come in the order of their text,
// the same at every load, whatever order the entries give them in.
func TestSignaturesOfSameLengthInOrder(t *testing.T) {
	c, err := Load(writeTemp(t, "user.json", `[{"product":"cisco_cucm","id":"ILSCustomAlarm","explanation":"x","action":"y",
		"signatures":["sig-h","sig-a","sig-d","sig-b","sig-g","sig-c","sig-f","sig-e"]}]`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range c.Signatures() {
		if strings.HasPrefix(s.Text, "sig-") {
			got = append(got, s.Text)
		}
	}
	if want := []string{"sig-a", "sig-b", "sig-c", "sig-d", "sig-e", "sig-f", "sig-g", "sig-h"}; !slices.Equal(got, want) {
		t.Errorf("signatures %q, want %q", got, want)
	}
	// An entry that gives signatures is not also searched for by its ID.
	if slices.ContainsFunc(c.Signatures(), func(s Signature) bool { return s.Text == "ILSCustomAlarm" }) {
		t.Errorf("signature ILSCustomAlarm for an entry that gives its own")
	}
}

// TestWriteCSVBlanks: a CSV written leaves no severity and empty lists blank, not null or [].
func TestWriteCSVBlanks(t *testing.T) {
	var b bytes.Buffer
	err := Write(&b, "csv", []Entry{{Product: ProductFTD, ID: "106023", Explanation: "x", Action: "y", Params: []Param{}, Signatures: []string{}}})
	want := strings.Join(columns, ",") + "\ncisco_ftd_asa,106023,,,,,,,x,y,,,,\n"
	if err != nil || b.String() != want {
		t.Errorf("Write = %q, %v; want %q", b.String(), err, want)
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "yaml", []Entry{{Product: ProductFTD, ID: "106023", Explanation: "x", Action: "y"}}); !errors.Is(err, ErrUnsupportedFormat) || b.Len() > 0 {
		t.Errorf("Write yaml = %q, %v; want nothing and ErrUnsupportedFormat", b.String(), err)
	}
}

// TestLoadErrorCodes checks that an IBM entry whose ID is an error code defines that code, a
// later file overriding an earlier one and the embedded summary, and is no event entry.
func TestLoadErrorCodes(t *testing.T) {
	const header = "product,id,severity,explanation,action\n"
	first := writeTemp(t, "first.csv", header+"ibm_storage_virtualize,1234,,First.,x\nibm_storage_virtualize,1785,,First 1785.,x\n")
	second := writeTemp(t, "second.json", `[{"product":"ibm_storage_virtualize","id":"1234","explanation":"Second.","action":"y"},`+
		`{"product":"ibm_storage_virtualize","id":"1785","error_code":"1785","explanation":"Our key servers.","action":"Call storage."}]`)
	base := mustEmbedded(t)
	c, err := Load(first, second)
	if err != nil {
		t.Fatal(err)
	}
	for code, want := range map[string]string{"1234": "Second.", "1785": "Our key servers."} {
		e, ok := c.LookupID(code)
		if !ok || e.Explanation != want || e.ErrorCode != code {
			t.Errorf("LookupID(%q) = %+v, %v; want the user entry explaining %q", code, e, ok, want)
		}
		if e2, _ := c.LookupErrorCode(code); e2 != e {
			t.Errorf("LookupErrorCode(%q) = %+v, want the entry LookupID finds", code, e2)
		}
		if _, ok := c.Lookup(ProductIBM, code); ok {
			t.Errorf("Lookup(%s, %q) found an entry: an error code is not an event", ProductIBM, code)
		}
	}
	if codes := c.ErrorCodes(); !slices.Equal(codes, []string{"1234", "1785"}) {
		t.Errorf("ErrorCodes() = %v, want 1234 and 1785 once each", codes)
	}
	if c.Len() != base.Len() {
		t.Errorf("Len() = %d, want the embedded %d: error codes are not entries", c.Len(), base.Len())
	}
	if e, _ := base.LookupErrorCode("1785"); !strings.HasPrefix(e.Explanation, "鍵サーバー") {
		t.Errorf("embedded 1785 became %q after Load", e.Explanation)
	}
}

// TestLoadFileNotUTF8 refuses a file that is not UTF-8 text, as Excel's plain "CSV" is on a
// Japanese system (Shift_JIS) and a UTF-16 file without its byte order mark, or a file with a NUL
// byte, naming the line: its text would reach every record.
func TestLoadFileNotUTF8(t *testing.T) {
	sjis := "\x90\xe0\x96\xbe" // 説明 in Shift_JIS
	utf16 := func(s string) string { return strings.Join(strings.Split(s, ""), "\x00") + "\x00" }
	for name, body := range map[string]string{
		"user.csv":   "id,severity,explanation,action\n722051,6,ok,ok\n722052,6," + sjis + ",ok\n",
		"user.json":  `{"entries": [` + "\n" + `{"id": "722052", "severity": 6, "explanation": "` + sjis + `", "action": "a"}]}`,
		"utf16.csv":  utf16("id,severity,explanation,action\n722051,6,ok,ok\n"),
		"nul.csv":    "id,severity,explanation,action\n722051,6,ok,ok\n722052,6,o\x00k,ok\n",
		"utf16.json": utf16(`{"entries": []}`),
		// UTF-16 big-endian without a byte order mark starts with a NUL.
		"utf16be.json": "\x00" + utf16(`[]`)[:3],
	} {
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		entries, err := LoadFile(path)
		if !errors.Is(err, ErrUserCatalog) || err == nil || !strings.Contains(err.Error(), "not UTF-8") ||
			!strings.Contains(err.Error(), map[string]string{"user.csv": "line 3", "user.json": "line 2", "utf16.csv": "line 1",
				"nul.csv": "line 3", "utf16.json": "line 1", "utf16be.json": "line 1"}[name]) || entries != nil {
			t.Errorf("%s: %d entries, error %v; want it refused, naming the line", name, len(entries), err)
		}
	}
}

// TestLoadFileProblemsBounded lists the first maxProblems problems of a file and counts the rest.
func TestLoadFileProblemsBounded(t *testing.T) {
	csv := "id,severity,explanation,action\n"
	for i := range maxProblems {
		csv += fmt.Sprintf("%06d,6,,\n", 900000+i) // explanation and action both empty
	}
	if _, err := LoadFile(writeTemp(t, "report.csv", csv)); err == nil || strings.Count(err.Error(), "\n") != maxProblems-1 || strings.Contains(err.Error(), "more problems") {
		t.Errorf("%d bad rows: error %v; want each listed and no count of more", maxProblems, err)
	}
	csv = "id,severity,explanation,action\n"
	for i := range 250 {
		csv += fmt.Sprintf("%06d,6,,\n", 900000+i) // explanation and action both empty
	}
	path := filepath.Join(t.TempDir(), "report.csv")
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFile(path)
	if err == nil {
		t.Fatal("a file of 250 bad rows loaded")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxProblems+1 || !strings.Contains(lines[0], "line 2 ") || !strings.HasSuffix(lines[maxProblems], ": 150 more problems") {
		t.Errorf("%d lines, first %q, last %q; want %d problems then a count of 150 more", len(lines), lines[0], lines[len(lines)-1], maxProblems)
	}
}

// TestBlankTextsAreNone refuses an entry whose explanation and action hold only spaces, as if
// they were empty: a row of a report left blank in a spreadsheet can carry spaces.
func TestBlankTextsAreNone(t *testing.T) {
	files := map[string]string{
		"user.csv":  "id,severity,explanation,action\n106023,4,\" \",\"\t\"\n",
		"user.json": `[{"product":"cisco_ftd_asa","id":"106023","explanation":" ","action":"\n"}]`,
	}
	for name, text := range files {
		_, err := LoadFile(writeTemp(t, name, text))
		if err == nil || !strings.Contains(err.Error(), "explanation and action are both empty") {
			t.Errorf("%s: error %v, want one saying that explanation and action are both empty", name, err)
		}
	}
}

// TestLoadFileNotRegular refuses a FIFO without opening it. A FIFO here serves a valid catalog
// to whoever opens it, so code that read it would load it instead of refusing it.
func TestLoadFileNotRegular(t *testing.T) {
	path := filepath.Join(t.TempDir(), "user.csv")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = os.WriteFile(path, []byte("id,severity,explanation,action\n722051,6,e,a\n"), 0o600) // blocks until a reader opens
	}()
	t.Cleanup(func() { // releases the writer if nothing opened the FIFO
		if f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			<-served
			f.Close()
		}
	})
	entries, err := LoadFile(path)
	if !errors.Is(err, ErrUserCatalog) || !strings.Contains(fmt.Sprint(err), path+": not a regular file") {
		t.Errorf("LoadFile(FIFO) = %d entries, error %v; want it refused as not a regular file", len(entries), err)
	}
}

// TestReadFileFIFOSwappedIn reads while a file and a FIFO take turns at the path, each put there by
// a rename: a FIFO renamed there between the check of the path and its opening must be refused,
// not waited on, for a Catalog_File check, the reports after it and Fluent Bit's exit would wait.
func TestReadFileFIFOSwappedIn(t *testing.T) {
	dir := t.TempDir()
	path, fifo := filepath.Join(dir, "user.csv"), filepath.Join(dir, "fifo")
	if err := errors.Join(syscall.Mkfifo(fifo, 0o600), os.Link(fifo, path)); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	swapped := make(chan struct{})
	defer func() { stop.Store(true); <-swapped }() // before TempDir's cleanup, which a file created meanwhile would fail
	go func() {
		defer close(swapped)
		for i := 0; !stop.Load(); i++ {
			next := filepath.Join(dir, fmt.Sprint(i))
			if i%2 == 0 {
				_ = os.WriteFile(next, []byte("id,severity,explanation,action\n"), 0o600)
			} else {
				_ = os.Link(fifo, next)
			}
			_ = os.Rename(next, path)
		}
	}()
	done := make(chan error, 1)
	go func() {
		var err error
		for end := time.Now().Add(2 * time.Second); time.Now().Before(end) && (err == nil || strings.HasSuffix(err.Error(), "not a regular file")); {
			_, err = ReadFile(path)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil && !strings.HasSuffix(err.Error(), "not a regular file") {
			t.Errorf("ReadFile: %v, want the file read or the FIFO refused", err)
		}
	case <-time.After(20 * time.Second):
		t.Error("ReadFile waits for a writer of a FIFO renamed over the file after the check of its type")
	}
}

// TestLoadFileTooLarge refuses a file above MaxFileSize, and loads one of
// exactly that size: loading takes many times a file's size in memory, at every start, reload
// and change.
func TestLoadFileTooLarge(t *testing.T) {
	entry := `[{"product":"cisco_ftd_asa","id":"106023","explanation":"x","action":"y"}]`
	for _, tt := range []struct {
		size int64
		want string // in the error, "" for none
	}{
		{MaxFileSize, ""},
		{MaxFileSize + 1, fmt.Sprintf("more than the %d bytes a catalog file may have", MaxFileSize)},
	} {
		path := writeTemp(t, "user.json", entry+strings.Repeat(" ", int(tt.size)-len(entry)))
		entries, err := LoadFile(path)
		if got := fmt.Sprint(err); tt.want == "" && err != nil || tt.want != "" && !strings.Contains(got, path+": "+tt.want) {
			t.Errorf("%d bytes: %d entries, error %v, want %q", tt.size, len(entries), err, tt.want)
		}
	}
}

// TestManyParams checks an entry of 100,000 params, which a 4 MB user catalog can give, and finds
// a name repeated among them; BenchmarkValidateManyParams measures it (pairwise, 10 s a load).
func TestManyParams(t *testing.T) {
	e := manyParams()
	if err := e.Validate(); err != nil {
		t.Errorf("Validate of 100,000 params: %v, want no error", err)
	}
	e.Params[len(e.Params)-1].Name = "p0"
	if err := e.Validate(); err == nil || !strings.Contains(err.Error(), `param name "p0" is used twice`) {
		t.Errorf("Validate of a repeated name: %v, want it named", err)
	}
}

func BenchmarkValidateManyParams(b *testing.B) {
	e := manyParams()
	for b.Loop() {
		if err := e.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

func manyParams() Entry {
	e := Entry{Product: ProductFTD, ID: "106023", Params: make([]Param, 100_000)}
	for i := range e.Params {
		e.Params[i].Name = fmt.Sprintf("p%d", i)
	}
	return e
}

// TestLoadFileTextLimit: an entry whose explanation and action together pass MaxTextLen is
// refused, naming its line, as every record naming it would carry them.
func TestLoadFileTextLimit(t *testing.T) {
	explanation := strings.Repeat("あ", 5000) // 15,000 bytes: the limit counts bytes
	action := strings.Repeat("a", MaxTextLen-len(explanation))
	for _, tt := range []struct {
		action string
		ok     bool
	}{{action, true}, {action + "x", false}} {
		path := writeTemp(t, "long.csv", "id,severity,explanation,action\n722051,6,"+explanation+","+tt.action+"\n")
		_, err := LoadFile(path)
		if tt.ok != (err == nil) || err != nil && (!errors.Is(err, ErrInvalidEntry) || !strings.Contains(err.Error(), fmt.Sprintf("line 2 (id \"722051\"): invalid catalog entry: explanation and action have %d bytes, more than the 32000", MaxTextLen+1))) {
			t.Errorf("action of %d bytes: %v", len(tt.action), err)
		}
	}
}

// TestCSVUnclosedQuoteNamesItsRow: a cell whose opening quote is never closed takes in the rest of
// the file, and the parser fails only at its end: the error names the row where the quote is too.
func TestCSVUnclosedQuoteNamesItsRow(t *testing.T) {
	text := "id,severity,explanation,action\n106023,4,\"Denied by an ACL,Check it\n" + strings.Repeat("302013,6,x,y\n", 50)
	_, err := LoadFile(writeTemp(t, "user.csv", text))
	if want := `line 52 column 14: extraneous or missing " in quoted-field, in the row that starts on line 2`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want one saying %q", err, want)
	}
}

// TestCSVLinesEndingInCR: a file whose lines end in a carriage return alone is refused as such,
// not as one header row of unknown columns such as "action\r106023".
func TestCSVLinesEndingInCR(t *testing.T) {
	_, err := LoadFile(writeTemp(t, "user.csv", "id,severity,explanation,action\r106023,4,x,y\r"))
	if want := "line 1: lines end in a carriage return alone"; err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "unknown column") {
		t.Errorf("error %v, want only one saying %q", err, want)
	}
}

// TestCSVMacLinesWithCellBreak: Excel's "CSV (Macintosh)" ends rows in a lone CR and a line
// break inside a cell in an LF: still refused as a file of CR line ends.
func TestCSVMacLinesWithCellBreak(t *testing.T) {
	_, err := LoadFile(writeTemp(t, "user.csv", "id,severity,explanation,action\r106023,4,\"Denied\nby an ACL\",y\r"))
	if want := "line 1: lines end in a carriage return alone"; err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "unknown column") {
		t.Errorf("error %v, want only one saying %q", err, want)
	}
}

// TestCSVBareQuoteAfterMultilineCell: a row whose quoted cell spans lines and is closed names
// where the row starts, and says no quote was left open.
func TestCSVBareQuoteAfterMultilineCell(t *testing.T) {
	_, err := LoadFile(writeTemp(t, "user.csv", "id,severity,explanation,action\n106023,4,\"Denied\nby an ACL\",y \"z\"\n302013,6,x,y\n"))
	if want := `line 3 column 14: bare " in non-quoted-field, in the row that starts on line 2`; err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "not closed") {
		t.Errorf("error %v, want one saying %q and nothing of a quote not closed", err, want)
	}
}
