package catalog

import (
	"os"
	"strings"
	"testing"
)

// The Unified CM document and the titles of its failure sections.
const (
	cucmDoc                  = "cisco-cucm-ils-cluster-join-troubleshooting.ja.txt"
	ilsPwdMismatch           = "スポークからハブへの登録が試行されるが、パスワードの不一致により失敗する"
	ilsHubNotImported        = "ハブのTomcat証明書がスポークにインポートされないため、接続が失敗する"
	ilsSpokeNotImported      = "スポークのTomcat証明書がハブにインポートされないため、接続が失敗する"
	ilsSpokeSelfSigned       = "スポークのTomcat証明書が自己署名であるため、接続が失敗する"
	ilsHubSelfSigned         = "ハブのTomcat証明書が自己署名であるため、接続が失敗する"
	ilsHubSelfSignedSwitch   = "TLS認証に切り替えるとハブに自己署名証明書があるため接続が失敗する 設定します。"
	ilsSpokeSelfSignedSwitch = "TLS認証に切り替えたときにスポークに自己署名証明書があるため、接続が失敗する 設定します。"
	// The fixes the document gives: import the remote cluster's Tomcat
	// certificate (method 2), or have CA-signed certificates (methods 3, 4).
	ilsImportFix = "この方法を使用するには、ILSネットワークの一部となるすべてのクラスタが、そのtomcat-trustにリモートクラスタTomcat証明書をインポートしていることを確認します。"
	ilsCAFix     = "この方法を使用するには、ILSネットワークの一部となるすべてのクラスタに、外部CAによって署名されたtomcat証明書があり、このCAのルート証明書がtomcat-trustにあることを確認します。"
)

// TestILSDocumentLines feeds the trace lines the document prints through
// the catalog's signatures: every failure line must reach the entry that
// explains the section it is printed in, and lines of successful
// registrations, or ones the document does not explain, must reach none.
func TestILSDocumentLines(t *testing.T) {
	c := mustEmbedded(t)
	b, err := os.ReadFile("sources/" + cucmDoc)
	if err != nil {
		t.Fatalf("read the document: %v", err)
	}
	lines := strings.Split(string(b), "\n")
	tests := []struct {
		name    string
		line    int    // 1-based line of the document
		marker  string // text the line must hold, so that an edited document fails loudly
		section string // the failure section the line is printed in; "" for a success section
		wantID  string // "" when no entry explains the line
	}{
		{"hub decryptData failed", 249, "EncrUtil::decryptData failed", ilsPwdMismatch, "ILSPwdAuthenticationFailed"},
		{"hub password alarm", 253, "sending ILSPwdAuthenticationFailed alarm", ilsPwdMismatch, "ILSPwdAuthenticationFailed"},
		{"spoke: hub cert not imported, verification error 18", 289, "(Verification error:18)- self signed certificate", ilsHubNotImported, "ILSCertificateVerificationFailed"},
		{"spoke: hub cert not imported, verification failed", 293, "Certificate verification failed for", ilsHubNotImported, "ILSCertificateVerificationFailed"},
		{"spoke: TLS alarm for the hub", 297, "sending ILSTLSAuthenticationFailed alarm", ilsHubNotImported, "ILSTLSAuthenticationFailed"},
		{"spoke: connection failed, not explained", 301, "ConnReason(1)", ilsHubNotImported, ""},
		{"hub: X509 lookup failed, also printed on success", 311, "X509_STORE_get_by_subject failed", ilsSpokeNotImported, ""},
		{"hub: spoke cert not in the local store", 315, "certificate is not in the local store and the FQDN", ilsSpokeNotImported, "ILSCertificateNotInLocalStore"},
		{"hub: TLS alarm for the spoke", 319, "sending ILSTLSAuthenticationFailed alarm", ilsSpokeNotImported, "ILSTLSAuthenticationFailed"},
		{"hub: close request, not explained", 323, "Close Req", ilsSpokeNotImported, ""},
		{"hub: spoke self-signed", 391, "(Verification error:18)- self signed certificate", ilsSpokeSelfSigned, "ILSCertificateVerificationFailed"},
		{"hub: spoke self-signed, verification failed", 395, "Certificate verification failed for", ilsSpokeSelfSigned, "ILSCertificateVerificationFailed"},
		{"hub: TLS protocol error, not explained", 399, "TLS protocol error", ilsSpokeSelfSigned, ""},
		{"spoke: hub self-signed", 409, "(Verification error:18)- self signed certificate", ilsHubSelfSigned, "ILSCertificateVerificationFailed"},
		{"spoke: hub self-signed, verification failed", 413, "Certificate verification failed for", ilsHubSelfSigned, "ILSCertificateVerificationFailed"},
		{"spoke: TLS protocol error, not explained", 417, "TLS protocol error", ilsHubSelfSigned, ""},
		{"switch to TLS: hub self-signed", 459, "(Verification error:18)- self signed certificate", ilsHubSelfSignedSwitch, "ILSCertificateVerificationFailed"},
		{"switch to TLS: hub self-signed, verification failed", 463, "Certificate verification failed for", ilsHubSelfSignedSwitch, "ILSCertificateVerificationFailed"},
		{"switch to TLS: spoke self-signed", 473, "(Verification error:18)- self signed certificate", ilsSpokeSelfSignedSwitch, "ILSCertificateVerificationFailed"},
		{"switch to TLS: spoke self-signed, verification failed", 477, "Certificate verification failed for", ilsSpokeSelfSignedSwitch, "ILSCertificateVerificationFailed"},
		{"success: password connection established", 213, "TLSReq(f) established", "", ""},
		{"success: peer certificates in store", 265, "peer certificates are in certificate store", "", ""},
		{"success: CA-signed, X509 lookup failed", 333, "X509_STORE_get_by_subject failed", "", ""},
		{"success: CA-signed, not in certificate store", 337, "peer certificates are not in certificate store but Root CA signed certs", "", ""},
		{"success: decryptData succeeded", 341, "decryptData at line 163 succeeded", "", ""},
		{"success: FQDN in PeerInfoVector", 435, "FQDN is in PeerInfoVector", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.line > len(lines) || !strings.Contains(lines[tt.line-1], tt.marker) {
				t.Fatalf("document line %d does not hold %q", tt.line, tt.marker)
			}
			if tt.section != "" && !sectionOf(lines, tt.line, tt.section) {
				t.Fatalf("document line %d is not in section %q", tt.line, tt.section)
			}
			e, ok := matchSignature(c, lines[tt.line-1])
			if tt.wantID == "" {
				if ok {
					t.Errorf("line %d matched %s, want no entry", tt.line, e.ID)
				}
				return
			}
			if !ok {
				t.Fatalf("line %d matched no entry, want %s", tt.line, tt.wantID)
			}
			if e.ID != tt.wantID {
				t.Errorf("line %d matched %s, want %s", tt.line, e.ID, tt.wantID)
			}
			// The entry must explain the case the line is printed under.
			if !strings.Contains(e.Source.Section, tt.section) || !strings.Contains(e.Explanation, sectionCase(tt.section)) {
				t.Errorf("line %d: entry %s (sections %q) does not explain its section %q", tt.line, e.ID, e.Source.Section, tt.section)
			}
		})
	}
}

// matchSignature returns the Unified CM entry whose signature occurs in
// line, trying the longest signature first, as the engine does for a line
// without a %FACILITY header.
func matchSignature(c *Catalog, line string) (*Entry, bool) {
	for _, s := range c.Signatures() {
		if strings.Contains(line, s.Text) {
			return s.Entry, true
		}
	}
	return nil, false
}

// sectionOf reports whether the nearest failure or success heading above
// line n is title.
func sectionOf(lines []string, n int, title string) bool {
	for i := n - 1; i >= 0; i-- {
		if strings.TrimSpace(lines[i]) == title {
			return true
		}
		if strings.HasPrefix(strings.TrimSpace(lines[i]), "方法") && strings.HasSuffix(strings.TrimSpace(lines[i]), "のILS登録用ログ分析") {
			return false
		}
	}
	return false
}

// sectionCase is the text by which an entry's explanation names a
// section's case: the title itself, except for the two method-4 titles,
// whose garbled body headings the explanation replaces by their clean
// table-of-contents form.
func sectionCase(title string) string {
	switch title {
	case ilsHubSelfSignedSwitch:
		return "TLS認証に切り替えると、ハブに自己署名証明書があるため、接続が失敗します。"
	case ilsSpokeSelfSignedSwitch:
		return "TLS認証に切り替えると、スポークに自己署名証明書があるため、接続が失敗します。"
	case ilsPwdMismatch:
		return "パスワードの不一致"
	}
	return title
}

// TestILSEntriesCoverTheirCases checks the fixes: an entry explaining a
// case gives the fix the document gives for it.
func TestILSEntriesCoverTheirCases(t *testing.T) {
	c := mustEmbedded(t)
	tests := []struct {
		id        string
		cases     []string
		wantFixes []string
	}{
		{"ILSTLSAuthenticationFailed", []string{ilsHubNotImported, ilsSpokeNotImported}, []string{ilsImportFix}},
		{"ILSCertificateVerificationFailed", []string{ilsHubNotImported, ilsSpokeSelfSigned, ilsHubSelfSigned}, []string{ilsImportFix, ilsCAFix}},
		{"ILSCertificateNotInLocalStore", []string{ilsSpokeNotImported}, []string{ilsImportFix}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			e, ok := c.Lookup(ProductCUCM, tt.id)
			if !ok {
				t.Fatalf("no entry %s", tt.id)
			}
			for _, cs := range tt.cases {
				if !strings.Contains(e.Explanation, cs) {
					t.Errorf("explanation lacks the case %q", cs)
				}
			}
			for _, f := range tt.wantFixes {
				if !strings.Contains(e.Action, f) {
					t.Errorf("action lacks the fix %q", f)
				}
			}
		})
	}
}

// TestEmbeddedPrintedID checks that the ID printed in a mismatching
// message line stays visible in the entry.
func TestEmbeddedPrintedID(t *testing.T) {
	c := mustEmbedded(t)
	tests := []struct {
		name, id, want string
	}{
		{"722056 prints 722055", "722056", "722055"},
		{"737036 prints 737035", "737036", "737035"},
		{"722055 prints itself", "722055", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := c.Lookup(ProductFTD, tt.id)
			if !ok {
				t.Fatalf("no entry %s", tt.id)
			}
			if e.PrintedID != tt.want {
				t.Errorf("PrintedID = %q, want %q", e.PrintedID, tt.want)
			}
		})
	}
	n := 0
	for _, e := range c.Entries() {
		if e.PrintedID != "" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d entries have a printed_id, want 2 (722056, 737036)", n)
	}
}

// TestEmbeddedParamNamesDistinct: params become keys of one map in a
// record, so no entry may name two of them alike.
func TestEmbeddedParamNamesDistinct(t *testing.T) {
	c := mustEmbedded(t)
	for _, e := range c.Entries() {
		seen := map[string]bool{}
		for _, p := range e.Params {
			if seen[p.Name] {
				t.Errorf("%s %s: param name %q repeated", e.Product, e.ID, p.Name)
			}
			seen[p.Name] = true
		}
	}
}

func TestValidateParamNames(t *testing.T) {
	tests := []struct {
		name    string
		params  []Param
		wantErr bool
	}{
		{"distinct", []Param{{Name: "chars"}, {Name: "chars_2"}}, false},
		{"repeated", []Param{{Name: "chars"}, {Name: "chars"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Entry{Product: ProductIOS, ID: "SMART_LIC-3-COMM_FAILED", Params: tt.params}
			err := e.Validate()
			if (err != nil) != tt.wantErr {
				t.Errorf("Validate() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}
