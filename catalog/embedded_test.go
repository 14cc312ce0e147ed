package catalog

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func mustEmbedded(t *testing.T) *Catalog {
	t.Helper()
	c, err := Embedded()
	if err != nil {
		t.Fatalf("Embedded() error: %v", err)
	}
	return c
}

func sev(n int) *int { return &n }

func TestEmbeddedCounts(t *testing.T) {
	c := mustEmbedded(t)
	got := map[Product]int{}
	for _, e := range c.Entries() {
		got[e.Product]++
	}
	want := map[Product]int{ProductFTD: 337, ProductIOS: 12, ProductIBM: 4, ProductCUCM: 4}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entries per product = %v, want %v", got, want)
	}
	if c.Len() != 357 {
		t.Errorf("Len() = %d, want 357", c.Len())
	}
}

// TestEmbeddedEntries compares whole entries with the text of the
// documents, including every known defect of the documents.
func TestEmbeddedEntries(t *testing.T) {
	c := mustEmbedded(t)
	const ftdDoc = "cisco-ftd-syslog-722001-776254.ja.txt"
	const iosDoc = "cisco-iosxe-smart-licensing-troubleshooting.ja.txt"
	tests := []struct {
		name    string
		product Product
		key     string
		want    Entry
	}{
		{
			name: "722001 action printed under a second 説明", product: ProductFTD, key: "722001",
			want: Entry{Product: ProductFTD, ID: "722001", Severity: sev(4),
				Format:      "IP IP_address Error parsing SVC connect request.",
				Explanation: "SVC からの要求が無効でした。",
				Action:      "必要に応じて調査を実施し、このエラーの原因が SVC の障害であるか、互換性のない SVC バージョンであるか、デバイスに対する攻撃であるかを確認します。",
				Params:      []Param{{Name: "IP_address"}}, Source: Source{Document: ftdDoc, Section: "722001"}}, // marked up, not listed
		},
		{
			name: "737036 keyed by heading although the message line reads 737035", product: ProductFTD, key: "737036",
			want: Entry{Product: ProductFTD, ID: "737036", PrintedID: "737035", Severity: sev(6),
				Format:      "IPAA: Session= session, Client assigned <address> from DHCP",
				Explanation: "IP アドレス割り当てプロセスで、VPN クライアントに DHCP プロビジョニングされたアドレスが返されました。このメッセージはレート制限されていません。",
				Action:      "処置は必要ありません。",
				Params:      []Param{{Name: "session", Description: "16 進数の VPN セッション ID"}},
				Source:      Source{Document: ftdDoc, Section: "737036"}},
		},
		{
			name: "737038 %FTD7- prefix still gives severity 7", product: ProductFTD, key: "737038",
			want: Entry{Product: ProductFTD, ID: "737038", Severity: sev(7),
				Format:      "IPAA: Session=session, specified address ip-address was in-use, trying to get another.",
				Explanation: "このログは、ユーザーに割り当てするアドレスが AAA サーバー（内部または外部）によって指定されている場合に生成されます。ただし、このアドレスはすでに使用されています。要求は再キューイングされており、指定されたアドレスが DHCP またはローカルプールにフォーバックされることはありません。",
				Action:      "必要なし",
				Params: []Param{
					{Name: "session", Description: "要求しているセッションの VPN セッション ID"},
					{Name: "ip-address", Description: "AAA によって指定されている IPv4 または IPv6 アドレス"},
				},
				Source: Source{Document: ftdDoc, Section: "737038"}},
		},
		{
			name: "722007 bullet list of parameter values", product: ProductFTD, key: "722007",
			want: Entry{Product: ProductFTD, ID: "722007", Severity: sev(3),
				Format:      "Group group User user-name IP IP_address SVC Message: type-num /ERROR: message",
				Explanation: "SVC がメッセージを発行しました。",
				Action:      "不要。",
				Params: []Param{
					{Name: "group"}, {Name: "user-name"}, {Name: "IP_address"}, // marked up, not listed
					{Name: "type-num", Description: "メッセージタイプを示す 0 ~ 31 の番号。メッセージタイプは次のとおりです。\n0 : 正常\n16 : ログアウト\n17 : エラーによるクローズ\n18 : キー再生成によるクローズ\n1 ~ 15、19 ~ 31 : 予約済みで未使用"},
					{Name: "message", Description: "SVC からのテキスト メッセージ"},
				},
				Source: Source{Document: ftdDoc, Section: "722007"}},
		},
		{
			name: "776254 last entry ends before the footer", product: ProductFTD, key: "776254",
			want: Entry{Product: ProductFTD, ID: "776254", Severity: sev(3),
				Format:      "CTS SGT-MAP: Binding manager unable to action binding binding IP - SGname (SGT) from source name .",
				Explanation: "バインディング マネージャがバインディングを挿入、削除、または更新できません。",
				Action:      "Cisco TAC に連絡して、サポートを受けてください。",
				Params: []Param{
					{Name: "action", Description: "バインディング マネージャの動作 insert、delete、または update です。"},
					{Name: "binding IP", Description: "IPv4 または IPv6 のバインディングアドレス。"},
					{Name: "SGname (SGT)", Description: "バインディング SGT の情報 SGname が使用可能な場合は SGname (SGT) の形式になり、SGname が使用できない場合は SGT という形式になります。"},
					{Name: "source name", Description: "関係する送信元の名前。"},
				},
				Source: Source{Document: ftdDoc, Section: "776254"}},
		},
		{
			name: "POLICY_REMOVED empty action, fenced message line", product: ProductIOS, key: iosKey("SMART_LIC", "POLICY_REMOVED"),
			want: Entry{Product: ProductIOS, ID: "SMART_LIC-3-POLICY_REMOVED", Facility: "SMART_LIC", Mnemonic: "POLICY_REMOVED", Severity: sev(3),
				Format:      "The licensing policy has been removed.",
				Explanation: "以前にインストールされたライセンスポリシーが削除されました。デフォルトのポリシーが有効になりました。これにより、スマートライセンスの動作が変更される可能性があります。\nポリシーを製品インスタンスから削除するには、特権 EXEC モードで license smart factory reset コマンドを使用する必要があります。",
				Action:      "",
				Params:      []Param{}, Source: Source{Document: iosDoc, Section: "%SMART_LIC-3-POLICY_REMOVED"}},
		},
		{
			name: "AUTHORIZATION_REMOVED message wrapped over two lines", product: ProductIOS, key: iosKey("smart_lic", "AUTHORIZATION_REMOVED"),
			want: Entry{Product: ProductIOS, ID: "SMART_LIC-6-AUTHORIZATION_REMOVED", Facility: "SMART_LIC", Mnemonic: "AUTHORIZATION_REMOVED", Severity: sev(6),
				Format:      "A licensing authorization code has been removed from [chars]",
				Explanation: "[chars] は、承認コードがインストールされた UDI です。承認コードが削除されました。これにより、製品インスタンスからライセンスが削除され、スマートライセンスとライセンスを使用する機能の動作が変更される可能性があります。",
				Action:      "アクションは必要ありません。ライセンスの現在の状態を確認するには、特権 EXEC モードで show license all コマンドを入力します。",
				Params:      []Param{}, Source: Source{Document: iosDoc, Section: "%SMART_LIC-6-AUTHORIZATION_REMOVED"}},
		},
		{
			name: "COMM_RESTORED variables inside the fence, English summary left out", product: ProductIOS, key: "SMART_LIC-COMM_RESTORED",
			want: Entry{Product: ProductIOS, ID: "SMART_LIC-3-COMM_RESTORED", Facility: "SMART_LIC", Mnemonic: "COMM_RESTORED", Severity: sev(3),
				Format:      "Communications with the [chars] restored.",
				Explanation: "CSSM または CSLU との製品インスタンス通信が復元されます。",
				Action:      "アクションは必要ありません。",
				Params:      []Param{{Name: "chars", Description: "depends on the transport type\nCisco Smart Software Manager (CSSM)\nCisco Smart License utility (CSLU)"}},
				Source:      Source{Document: iosDoc, Section: "%SMART_LIC-3-COMM_RESTORED"}},
		},
		{
			name: "IBM 086008 its own explanation and numbered actions", product: ProductIBM, key: "086008",
			want: Entry{Product: ProductIBM, ID: "086008", ErrorCode: "1785",
				Format:      "鍵サーバーへの接続に失敗しました",
				Explanation: "鍵サーバーの検証を実行中、ノードが鍵サーバーに接続できませんでした。",
				Action: "1. クラスター内のすべてのノードに対してサービス IP アドレスが構成されていることを確認します (IPv4 鍵サーバーを使用する場合は IPv4、IPv6 鍵サーバーを使用する場合は IPv6)。そうでない場合は、これらの IP アドレスを構成し、testkeyserver コマンドを実行します。testkeyserver コマンドが正常に実行されると、イベントは自動的に修正されます。\n" +
					"2. クラスター内のすべてのノードにイーサネット・ケーブルが正しく接続されていることを確認します。そうでない場合は、そのケーブルを接続し、testkeyserver コマンドを実行します。testkeyserver コマンドが正常に実行されると、イベントは自動的に修正されます。\n" +
					"3. 鍵サーバー・オブジェクトの IP アドレスと IP ポートが正しいことを確認します。そうでない場合は、chkeyserver コマンドを使用して鍵サーバーの詳細を変更します。chkeyserver コマンドは、検証プロセスを自動的に開始してエラーが修正済みであることを確認し、このイベントを自動修正するか、再び生成します。\n" +
					"4. 鍵サーバーのすべての SSL 証明書が有効であることを確認します。証明書には正しい開始日と終了日が必要であり、PEM 形式でなければなりません。",
				Params: []Param{}, Source: Source{Document: "ibm-storage-virtualize-error-1785.ja.txt", Section: "086008 鍵サーバーへの接続に失敗しました"}},
		},
		{
			name: "COMM_FAILED repeated [chars] named chars, chars_2", product: ProductIOS, key: "SMART_LIC-COMM_FAILED",
			want: func() Entry {
				e, _ := c.Lookup(ProductIOS, "SMART_LIC-COMM_FAILED")
				w := *e // explanation and action are long; the params are what this case checks
				w.Params = []Param{
					{Name: "chars", Description: "depends on the transport type\nCisco Smart Software Manager (CSSM)\nCisco Smart License utility (CSLU)"},
					{Name: "chars_2", Description: "An error string with details of the failure"},
				}
				return w
			}(),
		},
		{
			name: "ILS TLS authentication alarm covers both not-imported directions", product: ProductCUCM, key: "ILSTLSAuthenticationFailed",
			want: Entry{Product: ProductCUCM, ID: "ILSTLSAuthenticationFailed",
				Explanation: lines(
					caseLine(ilsHubNotImported, "スポークからのログは、ハブの証明書検証が失敗したことを示します。"),
					caseLine(ilsHubNotImported, "スポークからのログスニペット： "+ilsTraceVerification18),
					caseLine(ilsHubNotImported, "スポークからのログスニペット： "+ilsTraceSpokeAlarm),
					caseLine(ilsSpokeNotImported, ilsSpokeNotImportedSentence),
					caseLine(ilsSpokeNotImported, "ハブからのログスニペット： "+ilsTraceNotInStore),
					caseLine(ilsSpokeNotImported, "ハブからのログスニペット： "+ilsTraceHubAlarm)),
				Action: lines(
					caseLine(ilsHubNotImported, ilsMethod2+ilsImportFix),
					caseLine(ilsSpokeNotImported, ilsMethod2+ilsImportFix)),
				Params: []Param{}, Signatures: []string{"ILSTLSAuthenticationFailed"},
				Source: Source{Document: cucmDoc, Section: ilsHubNotImported + " / " + ilsSpokeNotImported}},
		},
		{
			name: "ILS certificate verification failure: not imported or self-signed", product: ProductCUCM, key: "ILSCertificateVerificationFailed",
			want: Entry{Product: ProductCUCM, ID: "ILSCertificateVerificationFailed",
				Explanation: lines(
					caseLine(ilsHubNotImported, "スポークからのログは、ハブの証明書検証が失敗したことを示します。"),
					caseLine(ilsHubNotImported, "スポークからのログスニペット： "+ilsTraceVerification18),
					caseLine(ilsHubNotImported, "スポークからのログスニペット： "+ilsTraceSpokeAlarm),
					caseLine(ilsSpokeSelfSigned, "ハブからのログは、スポークの自己署名証明書の証明書検証の失敗を示します。"),
					caseLine(ilsSpokeSelfSigned, "ハブからのログスニペット : HandleSSL error - Certificate verification failed:(Verification error:18)- self signed certificate for 10.106.104.201:52124"),
					caseLine(ilsHubSelfSigned, "スポークからのログは、ハブの自己署名証明書の証明書検証障害を示します。"),
					caseLine(ilsHubSelfSigned, "注：この場合に表示されるエラーは、ハブとスポークの両方が自己署名している場合も同じです。"),
					caseLine(ilsHubSelfSigned, "スポークからのログスニペット : HandleSSL error - Certificate verification failed:(Verification error:18)- self signed certificate for 10.106.104.220:7501"),
					caseLine(ilsHubSelfSignedSwitchTitle, "スポークからのログは、ハブの自己署名証明書の証明書検証の失敗を示します。"),
					caseLine(ilsHubSelfSignedSwitchTitle, "スポークからのログスニペット : HandleSSLSError - Certificate verification failed:(Verification error:18)- self signed certificate for 10.106.104.220:7501"),
					caseLine(ilsSpokeSelfSignedSwitchTitle, "ハブからのログは、スポークの自己署名証明書の証明書検証の失敗を示します"),
					caseLine(ilsSpokeSelfSignedSwitchTitle, "ハブからのログスニペット : HandleSSLSError - Certificate verification failed:(Verification error:18)- self signed certificate for 10.106.104.201:41295")),
				Action: lines(
					caseLine(ilsHubNotImported, ilsMethod2+ilsImportFix),
					caseLine(ilsSpokeSelfSigned, ilsMethod3+ilsCAFix),
					caseLine(ilsSpokeSelfSigned, ilsMethod3+ilsSamePassword),
					caseLine(ilsHubSelfSigned, ilsMethod3+ilsCAFix),
					caseLine(ilsHubSelfSigned, ilsMethod3+ilsSamePassword),
					caseLine(ilsHubSelfSignedSwitchTitle, ilsMethod4+ilsCAFix),
					caseLine(ilsSpokeSelfSignedSwitchTitle, ilsMethod4+ilsCAFix)),
				Params: []Param{}, Signatures: []string{"Certificate verification failed", "Verification error:18", "self signed certificate"},
				Source: Source{Document: cucmDoc, Section: strings.Join([]string{ilsHubNotImported, ilsSpokeSelfSigned, ilsHubSelfSigned, ilsHubSelfSignedSwitch, ilsSpokeSelfSignedSwitch}, " / ")}},
		},
		{
			name: "ILS spoke certificate not in the hub's local store", product: ProductCUCM, key: "ILSCertificateNotInLocalStore",
			want: Entry{Product: ProductCUCM, ID: "ILSCertificateNotInLocalStore",
				Explanation: lines(
					caseLine(ilsSpokeNotImported, ilsSpokeNotImportedSentence),
					caseLine(ilsSpokeNotImported, "ハブからのログスニペット： "+ilsTraceNotInStore),
					caseLine(ilsSpokeNotImported, "ハブからのログスニペット： "+ilsTraceHubAlarm)),
				Action: caseLine(ilsSpokeNotImported, ilsMethod2+ilsImportFix),
				Params: []Param{}, Signatures: []string{"certificate is not in the local store and the FQDN", "is not in the peer info vector, closing the connection"},
				Source: Source{Document: cucmDoc, Section: ilsSpokeNotImported}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := c.Lookup(tt.product, tt.key)
			if !ok {
				t.Fatalf("Lookup(%s, %q) found nothing", tt.product, tt.key)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				g, _ := json.MarshalIndent(got, "", " ")
				w, _ := json.MarshalIndent(tt.want, "", " ")
				t.Errorf("entry differs\ngot:  %s\nwant: %s", g, w)
			}
		})
	}
}

// TestEmbeddedTextClean checks properties every entry must have.
func TestEmbeddedTextClean(t *testing.T) {
	c := mustEmbedded(t)
	// Only POLICY_REMOVED lacks a recommended action in the documents;
	// 753001 prints 752017's, which the generator leaves out (REPORT.md).
	noAction := map[string]bool{"SMART_LIC-3-POLICY_REMOVED": true, "753001": true}
	for _, e := range c.Entries() {
		for field, s := range map[string]string{"format": e.Format, "explanation": e.Explanation, "action": e.Action} {
			for _, leak := range []string{"翻訳について", "この項では、", "```", "**"} {
				if strings.Contains(s, leak) {
					t.Errorf("%s %s: %s contains %q", e.Product, e.ID, field, leak)
				}
			}
		}
		for _, p := range e.Params {
			// Names are identifiers of the format: no markup, no list
			// of several names.
			if p.Name == "" || strings.ContainsAny(p.Name, "*`、") {
				t.Errorf("%s %s: parameter name %q is not one clean name", e.Product, e.ID, p.Name)
			}
		}
		if e.Explanation == "" {
			t.Errorf("%s %s: empty explanation", e.Product, e.ID)
		}
		if e.Action == "" && !noAction[e.ID] {
			t.Errorf("%s %s: empty action", e.Product, e.ID)
		}
		if e.Product == ProductFTD || e.Product == ProductIOS {
			if e.Format == "" || e.Severity == nil {
				t.Errorf("%s %s: format %q, severity %v: both documented for every message", e.Product, e.ID, e.Format, e.Severity)
			}
		}
	}
}

func TestEmbeddedKoreanKeptAsPrinted(t *testing.T) {
	c := mustEmbedded(t)
	e, ok := c.Lookup(ProductFTD, "723003")
	if !ok {
		t.Fatal("723003 missing")
	}
	if !strings.Contains(e.Explanation+e.Action, "デバイ스에") {
		t.Errorf("723003 lost the printed text デバイ스에: %q / %q", e.Explanation, e.Action)
	}
}

func TestLookupID(t *testing.T) {
	c := mustEmbedded(t)
	tests := []struct {
		name, query string
		wantProduct Product
		wantID      string
	}{
		{"bare FTD id", "722051", ProductFTD, "722051"},
		{"FTD prefix", "%FTD-6-722051", ProductFTD, "722051"},
		{"ASA prefix with colon", "%ASA-6-722051:", ProductFTD, "722051"},
		{"Threat Defense prefix", "%Threat Defense-6-722051", ProductFTD, "722051"},
		{"NGIPS prefix", "%NGIPS-6-722051", ProductFTD, "722051"},
		{"IOS name", "SMART_LIC-3-COMM_FAILED", ProductIOS, "SMART_LIC-3-COMM_FAILED"},
		{"IOS name other severity digit", "%SMART_LIC-5-COMM_FAILED", ProductIOS, "SMART_LIC-3-COMM_FAILED"},
		{"IBM event", "086008", ProductIBM, "086008"},
		{"IBM error code", "1785", ProductIBM, "1785"},
		{"CUCM alarm", "ILSPwdAuthenticationFailed", ProductCUCM, "ILSPwdAuthenticationFailed"},
		{"CUCM signature", "self signed certificate", ProductCUCM, "ILSCertificateVerificationFailed"},
		{"CUCM verification error signature", "Verification error:18", ProductCUCM, "ILSCertificateVerificationFailed"},
		{"CUCM derived id", "ILSCertificateNotInLocalStore", ProductCUCM, "ILSCertificateNotInLocalStore"},
		{"spaces around", " 722051\t", ProductFTD, "722051"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := c.LookupID(tt.query)
			if !ok {
				t.Fatalf("LookupID(%q) found nothing", tt.query)
			}
			if e.Product != tt.wantProduct || e.ID != tt.wantID {
				t.Errorf("LookupID(%q) = %s %s, want %s %s", tt.query, e.Product, e.ID, tt.wantProduct, tt.wantID)
			}
		})
	}
	// Every signature names its entry, the longest (first) too.
	for _, s := range c.Signatures() {
		if e, ok := c.LookupID(s.Text); !ok || e.Product != ProductCUCM {
			t.Errorf("LookupID(%q) = %v, %v; want a Unified CM entry", s.Text, e, ok)
		}
	}
	for _, q := range []string{"", "999999", "SMART_LIC-3-NOPE", "1786", "nothing"} {
		if e, ok := c.LookupID(q); ok {
			t.Errorf("LookupID(%q) = %s %s, want nothing", q, e.Product, e.ID)
		}
	}
}

// TestSplitIOSID: only FACILITY-SEVERITY-MNEMONIC with all three parts splits; the severity
// is whatever lies between the first and the last dash.
func TestSplitIOSID(t *testing.T) {
	tests := []struct {
		id, facility, mnemonic string
	}{
		{"SMART_LIC-3-COMM_FAILED", "SMART_LIC", "COMM_FAILED"},
		{"LINK-3-UPDOWN", "LINK", "UPDOWN"},
		{"A-B-C-D", "A", "D"},
		{"A-3-B", "A", "B"},
		{"-3-UPDOWN", "", ""},
		{"-LINK-3-UPDOWN", "", ""},
		{"LINK--UPDOWN", "", ""},
		{"LINK-3-", "", ""},
		{"LINK-UPDOWN", "", ""},
		{"LINK", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		if f, m := SplitIOSID(tt.id); f != tt.facility || m != tt.mnemonic {
			t.Errorf("SplitIOSID(%q) = %q, %q; want %q, %q", tt.id, f, m, tt.facility, tt.mnemonic)
		}
	}
}

// TestEntryKey: an IOS entry's key comes from its facility and mnemonic only when it has both.
func TestEntryKey(t *testing.T) {
	tests := []struct {
		name string
		e    Entry
		want string
	}{
		{"firewall", Entry{Product: ProductFTD, ID: "722051"}, "722051"},
		{"IOS fields", Entry{Product: ProductIOS, ID: "x", Facility: "link", Mnemonic: "UPDOWN"}, "LINK-UPDOWN"},
		{"IOS facility only", Entry{Product: ProductIOS, ID: "SYS-5-CONFIG_I", Facility: "SYS"}, "SYS-CONFIG_I"},
		{"IOS mnemonic only", Entry{Product: ProductIOS, ID: "SYS-5-CONFIG_I", Mnemonic: "CONFIG_I"}, "SYS-CONFIG_I"},
		{"IOS neither", Entry{Product: ProductIOS, ID: "CONFIG_I"}, "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.Key(); got != tt.want {
				t.Errorf("Key() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLookupErrorCode(t *testing.T) {
	c := mustEmbedded(t)
	e, ok := c.LookupErrorCode("1785")
	if !ok {
		t.Fatal("LookupErrorCode(1785) found nothing")
	}
	if e.ID != "1785" || e.ErrorCode != "1785" || e.Action != "" || e.Params == nil || !strings.HasPrefix(e.Explanation, "鍵サーバーに関して問題が発生しました\nエラー・コードの意味は") {
		t.Errorf("LookupErrorCode(1785) = %+v", e)
	}
	if _, ok := c.Lookup(ProductIBM, "1785"); ok {
		t.Error("the error code summary must not be one of the entries")
	}
	if _, ok := c.LookupErrorCode("086008"); ok {
		t.Error("LookupErrorCode(086008) found an event ID")
	}
	// A code without an explanation is explained by its title alone, with no empty line after it.
	i := strings.Index(string(embeddedJSON), `"explanation": "エラー・コードの意味は`)
	j := i + strings.Index(string(embeddedJSON)[i:], "\",\n")
	c, err := parseEmbedded([]byte(string(embeddedJSON)[:i] + `"explanation": "` + string(embeddedJSON)[j:]))
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := c.LookupErrorCode("1785"); e.Explanation != "鍵サーバーに関して問題が発生しました" {
		t.Errorf("LookupErrorCode(1785) without an explanation: explanation %q, want the title", e.Explanation)
	}
}

func TestSignatures(t *testing.T) {
	c := mustEmbedded(t)
	sigs := c.Signatures()
	want := map[string]string{
		"ILSPwdAuthenticationFailed": "ILSPwdAuthenticationFailed",
		"ILSTLSAuthenticationFailed": "ILSTLSAuthenticationFailed",
		"self signed certificate":    "ILSCertificateVerificationFailed",
		"Verification error:18":      "ILSCertificateVerificationFailed",
		"decryptData failed":         "ILSPwdAuthenticationFailed",
	}
	got := map[string]string{}
	for i, s := range sigs {
		got[s.Text] = s.Entry.ID
		if i > 0 && len(sigs[i-1].Text) < len(s.Text) {
			t.Errorf("signature %q before longer %q: want longest first", sigs[i-1].Text, s.Text)
		}
		if i > 0 && len(sigs[i-1].Text) == len(s.Text) && sigs[i-1].Text >= s.Text {
			t.Errorf("signature %q before %q of the same length: want them in order, the same at every load", sigs[i-1].Text, s.Text)
		}
		if s.Entry.Product != ProductCUCM {
			t.Errorf("signature %q identifies %s entry", s.Text, s.Entry.Product)
		}
		if len(s.Text) < MinSignatureLen {
			t.Errorf("signature %q is shorter than MinSignatureLen %d: the engine cannot find it", s.Text, MinSignatureLen)
		}
	}
	for text, id := range want {
		if got[text] != id {
			t.Errorf("signature %q identifies %q, want %q", text, got[text], id)
		}
	}
}

func TestSeverityName(t *testing.T) {
	tests := []struct {
		level int
		want  string
	}{{-1, ""}, {0, "emergency"}, {3, "error"}, {4, "warning"}, {6, "informational"}, {7, "debug"}, {8, ""}}
	for _, tt := range tests {
		if got := SeverityName(tt.level); got != tt.want {
			t.Errorf("SeverityName(%d) = %q, want %q", tt.level, got, tt.want)
		}
	}
	sev := Severities()
	wantJA := []string{"緊急", "アラート", "クリティカル", "エラー", "警告", "通知", "情報", "デバッグ"}
	if len(sev) != 8 {
		t.Fatalf("Severities() has %d levels, want 8", len(sev))
	}
	for i, s := range sev {
		if s.Level != i || s.Name != SeverityName(i) || s.NameJA != wantJA[i] {
			t.Errorf("Severities()[%d] = %+v, want level %d %s %s", i, s, i, SeverityName(i), wantJA[i])
		}
	}
	// The table is the catalog's: a caller changing its copy changes nothing.
	sev[6].NameJA = "x"
	if got := Severities()[6].NameJA; got != "情報" {
		t.Errorf("Severities()[6].NameJA after a caller changed its copy = %q, want 情報", got)
	}
}

// TestParseEmbeddedBroken checks that broken data is an error, not a panic.
func TestParseEmbeddedBroken(t *testing.T) {
	good := string(embeddedJSON)
	tests := []struct {
		name string
		data string
	}{
		{"empty", ""},
		{"not json", "{"},
		{"unknown field", strings.Replace(good, `"generator":`, `"colour": 1, "generator":`, 1)},
		{"other version", strings.Replace(good, Version, "gen-0+0", 1)},
		{"bad entry", strings.Replace(good, `"id": "722001"`, `"id": "72200"`, 1)},
		{"trailing data", good + "{}"},
		{"seven severities", good[:strings.Index(good, ",\n    {\n      \"level\": 7,")] + good[strings.Index(good, "\n  ],\n  \"error_codes\""):]},
		{"two entries with one key", strings.Replace(good, `"id": "722002"`, `"id": "722001"`, 1)},
		{"error code not numeric", strings.Replace(good, `"code": "1785"`, `"code": "17a5"`, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseEmbedded([]byte(tt.data))
			if !errors.Is(err, ErrEmbedded) {
				t.Errorf("parseEmbedded error = %v, want ErrEmbedded", err)
			}
			if c != nil {
				t.Error("parseEmbedded returned a catalog with an error")
			}
		})
	}
}

// Text of the composed Unified CM entries: every line names its case
// (【title】), and a fix names its method, which "この方法" refers to.
const (
	ilsHubSelfSignedSwitchTitle   = "パスワード認証を使用して確立された接続からTLS認証に切り替えると、ハブに自己署名証明書があるため、接続が失敗します。"
	ilsSpokeSelfSignedSwitchTitle = "パスワード認証を使用して確立された接続からTLS認証に切り替えると、スポークに自己署名証明書があるため、接続が失敗します。"
	ilsSpokeNotImportedSentence   = "ハブからのログは、ローカルストアのスポークの証明書でも、ピア情報ベクターのFQDNでもない接続が閉じられていることを示します。"
	ilsTraceVerification18        = "HandleSSLError - Certificate verification failed:(Verification error:18)- self signed certificate for 10.106.104.220:7501"
	ilsTraceSpokeAlarm            = "IlsD Ils::wait_SdlConnectErrRsp sending ILSTLSAuthenticationFailed alarm with Cluster1 = 10.106.104.220"
	ilsTraceNotInStore            = "IlsD Ils::VerifyCertificateInfo(): certificate is not in the local store and the FQDN (cucm11.adfs.ucce.com) is not in the peer info vector, closing the connection"
	ilsTraceHubAlarm              = "IlsD Ils::VerifyCertificateInfo(): sending ILSTLSAuthenticationFailed alarm for Cluster1= cucm11.adfs.ucce.com"
	ilsMethod2                    = "（方法2. クラスタ間でのTLS認証の使用）"
	ilsMethod3                    = "（方法3. クラスタ間でパスワード認証を使用するTLS。）"
	ilsMethod4                    = "（方法4. クラスタがパスワード認証に参加した後にTLS認証に切り替える。）"
	ilsSamePassword               = "また、パスワードはILSネットワーク内のすべてのクラスタで同じである必要があります。"
)

func caseLine(title, text string) string { return "【" + title + "】" + text }

func lines(l ...string) string { return strings.Join(l, "\n") }
