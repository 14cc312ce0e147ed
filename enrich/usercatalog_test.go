package enrich

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/report"
)

// loadUserCatalog writes text as the user catalog file name and loads it over the embedded catalog.
func loadUserCatalog(t *testing.T, name, text string) *catalog.Catalog {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cat
}

// TestUserCatalogFirewallNames checks that rows naming firewall messages as printed explain
// the lines with those headers.
func TestUserCatalogFirewallNames(t *testing.T) {
	cat := loadUserCatalog(t, "user.csv", "id,severity,explanation,action\n"+
		"%ASA-4-106023,,Denied by an access group.,Check the ACL.\n"+
		"%NGIPS-1-430002,,An intrusion event.,Review the event.\n"+
		"%ASA-0-199998,,An emergency.,Act now.\n")
	eng := newEngine(t, cat, nil)
	tests := []struct {
		name, line string
		want       map[string]any
	}{
		{"ASA", `%ASA-4-106023: Deny tcp src outside:192.0.2.1/443 dst inside:10.0.0.1/51234 by access-group "acl_out" [0x0, 0x0]`,
			map[string]any{"message_id": "106023", "severity": 4.0, "severity_name": "warning",
				"explanation": "Denied by an access group.", "action": "Check the ACL.", "product": "cisco_ftd_asa"}},
		{"NGIPS", "%NGIPS-1-430002: EventPriority: High, DeviceUUID: 1",
			map[string]any{"message_id": "430002", "severity": 1.0, "severity_name": "alert",
				"explanation": "An intrusion event.", "action": "Review the event.", "product": "cisco_ftd_asa"}},
		// Emergency, level 0, is a documented severity like the others.
		{"documented emergency", "%ASA-1-199998: x",
			map[string]any{"message_id": "199998", "severity": 1.0, "severity_name": "alert", "documented_severity": 0.0,
				"explanation": "An emergency.", "action": "Act now.", "product": "cisco_ftd_asa"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, c, err := eng.Rewrite(nil, logRecord(tt.line))
			if err != nil || c.Enriched != 1 {
				t.Fatalf("Rewrite: counters %+v, error %v; want one enriched record", c, err)
			}
			tt.want["log"] = tt.line
			if got := bodyOf(t, out); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("body\n got  %v\n want %v", got, tt.want)
			}
		})
	}
}

// TestReportedErrorCodeLoads completes the unknown-ID report of a line that carries only an IBM
// error code, loads it as a user catalog and checks that the line then gets its explanation.
func TestReportedErrorCodeLoads(t *testing.T) {
	const line = "# Error Code = 1234 : Drive failed"
	var sp Split
	if _, err := newEngine(t, embeddedCatalog(t), nil).RewriteSplit(nil, logRecord(line), &sp); err != nil || sp.UnknownID != 1 {
		t.Fatalf("RewriteSplit: counters %+v, error %v; want one unknown ID", sp.Counters, err)
	}
	top := report.New(1)
	for _, u := range sp.Unknown {
		top.Add(u.ID, string(u.Product), u.Severity, u.Line)
	}
	var b bytes.Buffer
	if err := report.WriteCSV(&b, top.Top()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("report %q: %d rows, error %v; want a header and one row", b.String(), len(rows), err)
	}
	rows[1][slices.Index(rows[0], "explanation")] = "A drive failed."
	rows[1][slices.Index(rows[0], "action")] = "Replace the drive."
	b.Reset()
	if err := csv.NewWriter(&b).WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	cat := loadUserCatalog(t, "report.csv", b.String())
	out, c, err := newEngine(t, cat, nil).Rewrite(nil, logRecord(line))
	if err != nil || c.Enriched != 1 {
		t.Fatalf("Rewrite: counters %+v, error %v; want one enriched record", c, err)
	}
	want := map[string]any{"log": line, "message_id": "1234", "explanation": "A drive failed.",
		"action": "Replace the drive.", "product": "ibm_storage_virtualize"}
	if got := bodyOf(t, out); !reflect.DeepEqual(got, want) {
		t.Errorf("body\n got  %v\n want %v", got, want)
	}
}

// TestUserErrorCodeOverrides checks that a user entry of an error code the embedded catalog
// summarises explains the lines with that code, while a known event ID still wins over it.
func TestUserErrorCodeOverrides(t *testing.T) {
	cat := loadUserCatalog(t, "user.csv", "product,id,severity,explanation,action\n"+
		"ibm_storage_virtualize,1785,,Our key servers failed.,Call the storage team.\n")
	eng := newEngine(t, cat, nil)
	tests := []struct{ name, line, wantID, wantExplanation string }{
		{"error code alone", "# Error Code = 1785 : Key server problem", "1785", "Our key servers failed."},
		{"with an event ID", "Error Code 1785, Event ID 086009", "086009", embeddedExplanation(t, "086009")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := eng.Recognise([]byte(tt.line))
			if !ok || m.ID != tt.wantID || m.Entry == nil || m.Entry.Explanation != tt.wantExplanation {
				t.Errorf("Recognise = %+v, %v; want %s explained by %q", m, ok, tt.wantID, tt.wantExplanation)
			}
		})
	}
}

// embeddedExplanation is the embedded catalog's explanation of an IBM event.
func embeddedExplanation(t *testing.T, id string) string {
	t.Helper()
	e, ok := embeddedCatalog(t).Lookup(catalog.ProductIBM, id)
	if !ok {
		t.Fatalf("embedded catalog lacks %s", id)
	}
	return e.Explanation
}

// TestUserErrorCodeOfOtherProduct checks that an error code on an entry of another product than
// IBM's leaves the entry found as its own product's are, and explains no IBM line.
func TestUserErrorCodeOfOtherProduct(t *testing.T) {
	cat := loadUserCatalog(t, "user.csv", "product,id,error_code,severity,explanation,action\n"+
		"cisco_cucm,DBReplicationStalled,4242,,Replication stalled.,Check the cluster.\n")
	eng := newEngine(t, cat, nil)
	tests := []struct {
		name, line string
		product    catalog.Product
		id         string
		known      bool
	}{
		{"alarm name in trace text", "|AppInfo  |dbmon sending DBReplicationStalled alarm", catalog.ProductCUCM, "DBReplicationStalled", true},
		{"ibm line with the code", "# Error Code = 4242 : Drive failed", catalog.ProductIBM, "4242", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := eng.Recognise([]byte(tt.line))
			if !ok || m.Product != tt.product || m.ID != tt.id || (m.Entry != nil) != tt.known {
				t.Errorf("Recognise(%q) = %+v, %v; want %s %s known %v", tt.line, m, ok, tt.product, tt.id, tt.known)
			}
		})
	}
}

// TestUserAlarmOfFourBytes checks that an alert name of four bytes, the length of an IBM error
// code, keeps its place before a later IBM event ID as any known alert name does.
func TestUserAlarmOfFourBytes(t *testing.T) {
	cat := loadUserCatalog(t, "user.csv", "product,id,severity,explanation,action\n"+
		"cisco_cucm,DbUp,,The database is up.,None.\n")
	const line = "AlertName=DbUp then Event ID 086009"
	m, ok := newEngine(t, cat, nil).Recognise([]byte(line))
	if !ok || m.Product != catalog.ProductCUCM || m.ID != "DbUp" || m.Entry == nil {
		t.Errorf("Recognise(%q) = %+v, %v; want the known alarm DbUp", line, m, ok)
	}
}

// TestUserAlarmOfDigitsByHeader checks that a Unified CM entry named by a number, as a firewall or
// IBM ID given the wrong product is, explains its header but is not searched for as trace text:
// there it would match any number of a line that holds its digits.
func TestUserAlarmOfDigitsByHeader(t *testing.T) {
	cat := loadUserCatalog(t, "user.csv", "product,id,severity,explanation,action\n"+
		"cisco_cucm,106023,4,Denied by an access group.,Check the ACL.\n")
	eng := newEngine(t, cat, nil)
	tests := []struct {
		name, line string
		found      bool
	}{
		{"header", "%UC_CALLMANAGER-4-106023: x", true},
		{"number in a line", "kernel: conn 1106023 closed, 20 bytes", false},
		{"number alone", "pid 106023 exited", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := eng.Recognise([]byte(tt.line))
			if ok != tt.found || ok && (m.Product != catalog.ProductCUCM || m.ID != "106023" || m.Entry == nil) {
				t.Errorf("Recognise(%q) = %+v, %v; want found %v", tt.line, m, ok, tt.found)
			}
		})
	}
}

// TestUserIOSFacilityOnlyAsAPart checks that IOS entries whose facility no line starts its header
// with, a firewall prefix or one without a letter, load and explain the lines that carry that
// facility as a part of a longer one, or (ASA) in a header without '%'.
func TestUserIOSFacilityOnlyAsAPart(t *testing.T) {
	cat := loadUserCatalog(t, "user.json", `[
		{"product": "cisco_ios", "id": "ASA-4-LINKDOWN", "explanation": "A link went down.", "action": "Check it."},
		{"product": "cisco_ios", "id": "00-3-X", "explanation": "Zero.", "action": "None."}]`)
	eng := newEngine(t, cat, nil)
	for _, tt := range []struct{ line, id, key string }{
		{"%FOO-ASA-4-LINKDOWN: x", "FOO-ASA-4-LINKDOWN", "ASA-LINKDOWN"},
		{"ASA-4-LINKDOWN: x", "ASA-4-LINKDOWN", "ASA-LINKDOWN"},
		{"%FOO-00-3-X: y", "FOO-00-3-X", "00-X"},
	} {
		m, ok := eng.Recognise([]byte(tt.line))
		if !ok || m.Product != catalog.ProductIOS || m.ID != tt.id || m.Entry == nil || m.Entry.Key() != tt.key {
			t.Errorf("Recognise(%q) = %+v, %v; want %s explained by the entry keyed %s", tt.line, m, ok, tt.id, tt.key)
		}
	}
}
