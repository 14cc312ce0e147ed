package enrich

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/enrich-plugin/enrich/catalog"
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
		"%NGIPS-1-430002,,An intrusion event.,Review the event.\n")
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
