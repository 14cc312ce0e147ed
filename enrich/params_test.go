package enrich

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/enrich-plugin/enrich/catalog"
)

// paramsWantFile holds, for every real firewall line the catalog explains
// and whose format has variables, the variables a person reads in the
// line: {"id", "line", "params"}, plus "differs" saying how the line
// departs from the documented format when it does. On lines that follow
// the format no value may be wrong and at least 95% of the variables must
// be found; on the others the test only reports what differs. -update
// writes what the engine finds and keeps "differs", to be reviewed line
// by line before it is committed.
var paramsWantFile = filepath.Join(fixtures, "real", "params.want.jsonl")

type paramsWant struct {
	ID      string            `json:"id"`
	Line    string            `json:"line"`
	Differs string            `json:"differs,omitempty"`
	Params  map[string]string `json:"params"`
}

func TestParamsRealLines(t *testing.T) {
	e := newEngine(t, embeddedCatalog(t), func(o *Options) { o.Params = true })
	want := map[string]paramsWant{}
	if b, err := os.ReadFile(paramsWantFile); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var w paramsWant
			if err := json.Unmarshal(sc.Bytes(), &w); err != nil {
				t.Fatalf("%s: %v", paramsWantFile, err)
			}
			want[w.Line] = w
		}
	} else if !*update {
		t.Fatalf("read %s (run with -update to create it): %v", paramsWantFile, err)
	}
	var out bytes.Buffer
	right, total, wrong, lines, differs, differsWrong := 0, 0, 0, 0, 0, 0
	for _, line := range realLines(t) {
		m, ok := e.Recognise([]byte(line))
		if !ok || m.Entry == nil || m.Product != catalog.ProductFTD || e.index[pFTD][m.Entry.ID].matcher == nil {
			continue
		}
		got := paramsOf(t, e, line)
		w, listed := want[line]
		if *update {
			w.ID, w.Line, w.Params = m.ID, line, got
			js, _ := json.Marshal(w)
			out.Write(append(js, '\n'))
			continue
		}
		if !listed {
			t.Errorf("%s is not listed in %s: %q", m.ID, paramsWantFile, line)
			continue
		}
		if w.Differs != "" {
			// What the engine finds in a line that departs from the
			// document is reported, not required.
			for k, v := range got {
				if wv, ok := w.Params[k]; !ok || wv != v {
					differsWrong++
					t.Logf("%s differs from its format (%s): %s = %q, a person reads %q", m.ID, w.Differs, k, v, wv)
				}
			}
			differs++
			continue
		}
		for k, v := range got {
			if wv, ok := w.Params[k]; !ok || wv != v {
				wrong++
				t.Errorf("%s %s = %q, want %q (in %q)", m.ID, k, v, wv, line)
			}
		}
		lines++
		for k, v := range w.Params {
			total++
			if got[k] == v {
				right++
			} else {
				t.Logf("%s %s = %q, want %q", m.ID, k, got[k], v)
			}
		}
	}
	if *update {
		if err := os.WriteFile(paramsWantFile, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if total == 0 {
		t.Fatal("no real line follows its documented format")
	}
	t.Logf("on %d real lines that follow their documented format, %d of %d variables right (%.1f%%), %d wrong values; %d lines depart from the format (%d values there not as a person reads them)",
		lines, right, total, 100*float64(right)/float64(total), wrong, differs, differsWrong)
	if right*100 < total*95 {
		t.Errorf("%d of %d variables right, want at least 95%%", right, total)
	}
}

// paramsOf enriches one line and returns its params map.
func paramsOf(t *testing.T, e *Engine, line string) map[string]string {
	t.Helper()
	out, _, err := e.Rewrite(nil, logRecord(line))
	if err != nil {
		t.Fatalf("Rewrite: %v", err)
	}
	got := map[string]string{}
	if p, ok := bodyOf(t, out)["params"].(map[string]any); ok {
		for k, v := range p {
			got[k], _ = v.(string)
		}
	}
	return got
}

func TestMatcherTolerance(t *testing.T) {
	ftd := func(format string, params ...string) *catalog.Entry {
		ent := &catalog.Entry{Product: catalog.ProductFTD, ID: "700000", Format: format}
		for _, p := range params {
			ent.Params = append(ent.Params, catalog.Param{Name: p})
		}
		return ent
	}
	tests := []struct {
		name string
		ent  *catalog.Entry
		text string
		want string // k=v pairs joined by "|"
	}{
		{"blank before punctuation", ftd("Group group User user-name IP IP_address SVC closing connection: reason .", "reason"),
			"Group <g> User <u> IP <10.0.0.1> SVC closing connection: DPD failure.", "group=g|user-name=u|IP_address=10.0.0.1|reason=DPD failure"},
		{"final period left out", ftd("SSL session with peer-type interface :src-ip /src-port to dst-ip /dst-port terminated.", "interface", "src-ip", "src-port", "dst-ip", "dst-port"),
			"SSL session with client outside:172.16.0.1/49243 to 10.20.0.1/443 terminated", "peer-type=client|interface=outside|src-ip=172.16.0.1|src-port=49243|dst-ip=10.20.0.1|dst-port=443"},
		{"letter case of a literal word", ftd("IPv4 Address assigned-ip IPv6 Address assigned-ipv6 assigned to session", "assigned-ip", "assigned-ipv6"),
			"IPv4 Address <10.0.0.5> IPv6 address <::> assigned to session", "assigned-ip=10.0.0.5|assigned-ipv6=::"},
		{"blank after punctuation", ftd("IPAA: Session= session, Client assigned ip-address from local pool pool-name", "session", "ip-address", "pool-name"),
			"IPAA: Session=0x11, Client assigned 172.16.0.1 from local pool POOL_1", "session=0x11|ip-address=172.16.0.1|pool-name=POOL_1"},
		{"label then value", ftd("IPAA: Session= session, Local pool request succeeded for tunnel-group tunnel-group", "session", "tunnel-group"),
			"IPAA: Session=0x11, Local pool request succeeded for tunnel-group TG1", "session=0x11|tunnel-group=TG1"},
		{"name with a blank after punctuation", ftd("Tunnel to peer addr: port failed", "peer addr: port"),
			"Tunnel to 10.0.0.1:500 failed", "peer addr: port=10.0.0.1:500"},
		{"label spelt differently", ftd("Device selects trust-point trustpoint for peer-type interface", "trustpoint", "interface"),
			"Device selects trust-point TP_1 for client inside", "trustpoint=TP_1|peer-type=client|interface=inside"},
		{"name after an article", ftd("DAP: User user, Connection connection: selected for this connection: DAP record names", "user", "connection", "DAP record names"),
			"DAP: User u1, Connection AnyConnect: selected for this connection: dap_1, dap_2", "user=u1|connection=AnyConnect|DAP record names=dap_1, dap_2"},
		{"angle placeholders", ftd("<application_name> application status is changed from <status> to <status>.", "status"),
			"snort application status is changed from Down to Up.", "application_name=snort|status=Down|status_2=Up"},
		{"value that is the literal word", ftd("Group group-policy User username Client Type: user-agent", "group-policy", "username", "user-agent"),
			"Group <g> User <u> Client Type: user-agent", "group-policy=g|username=u"},
		{"tag is not a placeholder", ftd("user-identity: DNS lookup failed, reason: reason", "reason"),
			"user-identity: DNS lookup failed, reason: timeout", "reason=timeout"},
		{"plain hyphenated literal", ftd("Unable to allocate memory for jumbo-frame reservation."),
			"Unable to allocate memory for jumbo-frame reservation.", ""},
		{"hyphenated literal between placeholders", ftd("Username:username IKEv2 local throttle-request queue depth reached; increase the window size on peer peer for better performance", "username", "peer"),
			"Username:u1 IKEv2 local throttle-request queue depth reached; increase the window size on peer 10.0.0.1 for better performance", "username=u1|peer=10.0.0.1"},
		{"literal word where a name stands stops the match", ftd("Username:username queue depth threshold of threshold reached; on peer peer", "username", "threshold", "peer"),
			"Username:u1 queue depth threshold of 8 reached; on peer 10.0.0.1", "username=u1"},
		{"capitalised label is text", ftd("Username: username/group Group=group , Tunnel rejected", "username/group", "group"),
			"Username: u1/g1 Group=g1, Tunnel rejected", "username/group=u1/g1|group=g1"},
		{"unnamed hyphenated placeholders", ftd("Clustering: state machine changed from state state-name to state-name ."),
			"Clustering: state machine changed from state DISABLED to CONTROL_NODE.", "state-name=DISABLED|state-name_2=CONTROL_NODE"},
		{"printf verbs named by the list", ftd("No certificates received during the handshake with %s %s :%B /%d", "remote_device", "ctm->interface", "ctm->src_ip", "ctm->src_port"),
			"No certificates received during the handshake with server outside:10.0.0.1/443", "remote_device=server|ctm->interface=outside|ctm->src_ip=10.0.0.1|ctm->src_port=443"},
		{"stops at a missing literal", ftd("Group group User user-name IP IP_address Stale SVC connection closed."),
			"Group <g> User <u> Address <10.0.0.1> Stale", "group=g"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := compileMatcher(tt.ent)
			var got []string
			if m != nil {
				var caps [maxParams]span
				n := m.match([]byte(tt.text), &caps)
				for i := 0; i < n; i++ {
					got = append(got, string(m.keys[i][1:])+"="+tt.text[caps[i].start:caps[i].end])
				}
			}
			if g := strings.Join(got, "|"); g != tt.want {
				t.Errorf("match(%q) = %s, want %s", tt.text, g, tt.want)
			}
		})
	}
}

// TestLitIndexAgreesWithScan checks the vectorised literal search against
// a byte-by-byte scan over many texts and literals.
func TestLitIndexAgreesWithScan(t *testing.T) {
	scan := func(text []byte, from int, lit []byte) (int, int, bool) {
		for i := from; i < len(text); i++ {
			if end, ok := litMatch(text, i, lit); ok {
				return i, end, true
			}
		}
		return 0, 0, false
	}
	texts := []string{
		"Group <g> User <u> IP <10.0.0.1> SVC closing connection: DPD failure.",
		"a\tUser  b user c USER:d , e ;f",
		"x :y: z\t: w",
		"Session=0x11, Client assigned 1.2.3.4 from local pool P",
		"",
		"   ",
		" User",
		"UUser  User \tuser",
		"a :b ::c",
		"Local:1.2.3.4:500 Remote:5.6.7.8:500 Username:u IKEv2 Group:g",
	}
	lits := []string{" User ", "user", ":", ",Client assigned ", " ", "SVC closing connection:", ";f", "P", "zz", " User", ":c", "::", " Remote:", " Group:", "Username:", " IKEv2"}
	for _, tx := range texts {
		for _, l := range lits {
			lit := normaliseLiteral(l)
			if len(lit) == 0 {
				continue
			}
			for from := 0; from <= len(tx); from++ {
				gs, ge, gok := litIndex([]byte(tx), from, lit)
				ws, we, wok := scan([]byte(tx), from, lit)
				if gs != ws || ge != we || gok != wok {
					t.Errorf("litIndex(%q, %d, %q) = %d, %d, %v, want %d, %d, %v", tx, from, lit, gs, ge, gok, ws, we, wok)
				}
			}
		}
	}
}
