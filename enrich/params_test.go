package enrich

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/internal/msgpack"
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
	Params  map[string]string `json:"params"`
	Differs string            `json:"differs,omitempty"`
}

func TestParamsRealLines(t *testing.T) {
	e := newEngine(t, embeddedCatalog(t), func(o *Options) { o.Params = true })
	want := map[string]paramsWant{}
	file, err := os.ReadFile(paramsWantFile)
	if b := file; err == nil {
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
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // < and > as the lines print them
	right, total, wrong, lines, differs, differsWrong := 0, 0, 0, 0, 0, 0
	for _, line := range realLines(t) {
		m, ok := e.Recognise([]byte(line))
		if !ok || m.Entry == nil || m.Product != catalog.ProductFTD || e.index[pFTD][m.Entry.ID].matcher == nil {
			continue
		}
		got := paramsOf(t, e, line)
		w, listed := want[line]
		// What -update writes: a line that departs from its format keeps the values a person reads.
		u := w
		if u.ID, u.Line = m.ID, line; u.Differs == "" {
			u.Params = got
		}
		if enc.Encode(u); *update {
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
	if wrong == 0 && !bytes.Equal(file, out.Bytes()) {
		t.Errorf("%s is not as -update writes it, so that its next diff would show more than a change did", paramsWantFile)
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
	ios := func(format string) *catalog.Entry {
		return &catalog.Entry{Product: catalog.ProductIOS, ID: "X-3-Y", Facility: "X", Mnemonic: "Y", Format: format}
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
		{"a byte past ASCII matches only itself", ios("Display mode [dec]×[dec] set"), "Display mode 1920÷1080 set", ""},
		{"blank after punctuation", ftd("IPAA: Session= session, Client assigned ip-address from local pool pool-name", "session", "ip-address", "pool-name"),
			"IPAA: Session=0x11, Client assigned 172.16.0.1 from local pool POOL_1", "session=0x11|ip-address=172.16.0.1|pool-name=POOL_1"},
		{"label then value", ftd("IPAA: Session= session, Local pool request succeeded for tunnel-group tunnel-group", "session", "tunnel-group"),
			"IPAA: Session=0x11, Local pool request succeeded for tunnel-group TG1", "session=0x11|tunnel-group=TG1"},
		{"name with a blank after punctuation", ftd("Tunnel to peer addr: port failed", "peer addr: port"),
			"Tunnel to 10.0.0.1:500 failed", "peer addr: port=10.0.0.1:500"},
		{"name with a blank before punctuation", ftd("Tunnel to peer addr:port failed", "peer addr :port"),
			"Tunnel to 10.0.0.1:500 failed", "peer addr :port=10.0.0.1:500"},
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
		{"adjacent variables part at a blank", ftd("Peer %s%s closed", "peer", "reason"),
			"Peer 10.0.0.1 timeout closed", "peer=10.0.0.1|reason=timeout"},
		{"adjacent variables part at a line break", ftd("Peer %s%s closed", "peer", "reason"),
			"Peer 10.0.0.1\ntimeout closed", "peer=10.0.0.1|reason=timeout"},
		{"adjacent variables after a mark and a blank", ftd("Peer: %s%s closed", "peer", "reason"),
			"Peer: 10.0.0.1 timeout closed", "peer=10.0.0.1|reason=timeout"},
		{"adjacent variables, the first one word to the end", ftd("Peer %s%s", "peer", "reason"),
			"Peer 10.0.0.1", "peer=10.0.0.1|reason="},
		{"stops at a missing literal", ftd("Group group User user-name IP IP_address Stale SVC connection closed."),
			"Group g User u Address 10.0.0.1 Stale", "group=g"},
		{"a value in angle brackets before a missing literal is whole", ftd("Group group User user-name IP IP_address Stale SVC connection closed."),
			"Group <g> User <u> Address <10.0.0.1> Stale", "group=g|user-name=u"},
		{"a value in angle brackets that reads as its placeholder before a missing literal is text", ftd("Group group User user-name IP IP_address Stale SVC connection closed."),
			"Group <g> User <user-name> Address <10.0.0.1> Stale", "group=g"},
		{"message header before the format", ftd("Error Message %ASA-3-700000: Peer peer closed", "peer"),
			"Peer 10.0.0.1 closed", "peer=10.0.0.1"},
		{"message header ending 20 bytes in", ftd("Error Message text: %ASA-3-700000: Peer peer closed", "peer"),
			"Peer 10.0.0.1 closed", "peer=10.0.0.1"},
		{"Threat Defense header before the format", ftd("%Threat Defense-3-700000: Peer peer closed", "peer"),
			"Peer 10.0.0.1 closed", "peer=10.0.0.1"},
		{"header after the Japanese document's Error Message, 25 bytes in", ftd("エラーメッセージ %ASA-3-700000: Peer peer closed", "peer"),
			"Peer 10.0.0.1 closed", "peer=10.0.0.1"},
		{"Threat Defense header after the Japanese document's Error Message", ftd("エラーメッセージ %Threat Defense-3-700000: Peer peer closed", "peer"),
			"Peer 10.0.0.1 closed", "peer=10.0.0.1"},
		{"header without its colon, a ':' further in (725014)", ftd("エラーメッセージ %Threat Defense-7-700000 Peer error. Name: peer closed", "peer"),
			"Peer error. Name: 10.0.0.1 closed", "peer=10.0.0.1"},
		{"bracketed name of 39 bytes", ios("Value [" + strings.Repeat("n", 39) + "] set"), "Value 7 set", strings.Repeat("n", 39) + "=7"},
		{"bracketed text of 40 bytes", ios("Value [" + strings.Repeat("n", 40) + "] set"), "Value 7 set", ""},
		{"verb with a bracketed name of 39 bytes", ftd("Value %s[" + strings.Repeat("n", 39) + "] set"), "Value 7 set", strings.Repeat("n", 39) + "=7"},
		{"starred words with a blank are text", ftd("Packet *dropped by policy* from src", "src"),
			"Packet *dropped by policy* from 10.0.0.1", "src=10.0.0.1"},
		{"tab in a literal is a blank", ftd("Peer peer\tclosed", "peer"),
			"Peer 10.0.0.1 closed", "peer=10.0.0.1"},
		{"line break in a literal is a blank", ftd("Peer peer\r\nclosed", "peer"),
			"Peer 10.0.0.1 closed", "peer=10.0.0.1"},
		{"a carriage return ends a last value", ftd("Peer peer", "peer"), "Peer 10.0.0.1\r\n", "peer=10.0.0.1"},
		{"a bracketed name with a blank outside a firewall format is a name", ios("Value [slot number] set"), "Value 7 set", "slot number=7"},
		{"a word shaped as a placeholder outside a firewall format is text", ios("Interface if_name down"), "Interface Gi1 down", ""},
		{"a value with one bracket keeps it", ios("Values [chars] [chars] [chars] [chars] set"), "Values 1> [1 1] <1 set", "chars=1>|chars_2=[1|chars_3=1]|chars_4=<1"},
		// A repeat takes a name no other variable has, also one the format writes itself.
		{"a repeat's name written in the format", ios("from [chars] to [chars] via [chars_2] end"), "from a to b via c end", "chars=a|chars_2=b|chars_2_2=c"},
		{"a name written before the repeat that would take it", ios("from [chars] via [chars_2] to [chars] end"), "from a via c to b end", "chars=a|chars_2=c|chars_3=b"},
		{"hyphenated reason is a placeholder", ftd("Login denied: auth-reason"),
			"Login denied: bad password", "auth-reason=bad password"},
		{"empty value in angle brackets", ftd("Group group User user-name", "group"),
			"Group <> User <u>", "group=|user-name=u"},
		{"IPv6 addresses before printf ports", ftd("Local:%A:%u Remote:%A:%u Username:%s done"),
			"Local:2001:db8::1:500 Remote:2001:db8::2:4500 Username:bob done", "A=2001:db8::1|u=500|A_2=2001:db8::2|u_2=4500|s=bob"},
		{"punctuation without a blank after it ends a value at its first mark", ios("Key [chars]:[chars] rejected"),
			"Key a:b: c rejected", "chars=a|chars_2=b: c"},
		{"a mark that ends the line ends the value there", ios("The install has failed on [chars]: [chars]."),
			"The install has failed on PID:C9300,SN:FOC1:", "chars=PID:C9300,SN:FOC1|chars_2="},
		{"a mark after a blank ends the word before it", ios("The install has failed on [chars]: [chars]."),
			"The install has failed on PID:C9300,SN:FOC1 : bad", "chars=PID:C9300,SN:FOC1|chars_2=bad"},
		{"colon before the first variable, a port", ftd(": port closed", "port"), ": 500 closed", "port=500"},
		{"word with a z after an article is text", ftd("Rejected by the zone", "zone"), "Rejected by the inside", ""},
		{"empty last value before the tail", ios("Rate over threshold ([dec])."), "Rate over threshold ().", "dec="},
		{"a line ending in a newline after the tail", ios("Rate over threshold ([dec])."), "Rate over threshold (5).\n", "dec=5"},
		{"a mark past ASCII that ends the format is literal text", ios("Waiting for [chars]…"), "Waiting for peer1… retry 2", "chars=peer1"},
		{"an empty last value after a blank and before a newline", ftd("Peer peer", "peer"), "Peer \n", "peer="},
		{"an empty line of a format of one variable and its tail", ios("[chars]."), "", "chars="},
		{"a run of blanks in a literal is one blank", ftd("Peer peer  closed", "peer"), "Peer 10.0.0.1 closed", "peer=10.0.0.1"},
		{"word with an a after an article is text", ftd("Rejected by the area", "area"), "Rejected by the inside", ""},
		{"a name with a letter past z after an article is a name", ftd("Rejected by the zoné", "zoné"), "Rejected by the inside", "zoné=inside"},
		{"a word followed by a bracketed placeholder", ios("Power supply PS[dec] failed"), "Power supply PS2 failed", "dec=2"},
		{"a number glued to a later literal's word is part of the value", ftd("Group group User user-name IP IP_address closed"),
			"Group Remote User2 User bob IP2 IP 10.0.0.1 closed", "group=Remote User2|user-name=bob IP2|IP_address=10.0.0.1"},
		{"a letter before a number glued to a literal's word is no part of it", ftd("Object drop rate rate_ID exceeded", "Object"),
			"[Scanning] drop ratex2 exceeded", ""},
		{"a name longer than what is left of the format", ftd("Peer pe", "peer"), "Peer x", ""},
		{"a number glued to a literal's word that does not come later", ftd("Object drop rate rate_ID exceeded", "Object"),
			"[Scanning] drop rate-2 exceeded", "Object=Scanning|rate_ID=2"},
		{"a number glued to a word that ends past ASCII is no match", ios("Fehler im Menü [dec]"), "Fehler im Menü2", ""},
		{"a number glued to a literal's word before the literal's end is no match", ftd("Phase 1 completed for peer peer", "peer"),
			"Phase1 completed for peer 10.0.0.1", ""},
		{"a '-' and a blank after a literal's last word are no blank", ftd("Object drop rate rate_ID exceeded", "Object"),
			"[Scanning] drop rate- 1 exceeded", ""},
		{"a line that ends in a '-' after a literal's last word", ftd("Object drop rate rate_ID exceeded", "Object"),
			"[Scanning] drop rate-", ""},
		{"a number glued to a literal's word that comes later glued again", ftd("Object drop rate rate_ID exceeded", "Object"),
			"[Scanning] drop rate-1 exceeded; drop rate-2 exceeded", "Object=Scanning|rate_ID=1"},
		{"bracketed names in a user's firewall format", ftd("IPS:[number] [string] from [IP_address] to [IP_address] on interface [interface_name]"),
			"IPS:4051 UDP Snork attack from 10.1.1.1 to 192.168.1.1 on interface outside", "number=4051|string=UDP Snork attack|IP_address=10.1.1.1|IP_address_2=192.168.1.1|interface_name=outside"},
		{"a bracketed tag and bracketed words in a firewall format are text", ftd("[FQDN] fqdn exceeds [CPU percentage | memory percentage].", "fqdn", "percentage"),
			"[FQDN] a.example exceeds [CPU 80% | memory 70%].", "fqdn=a.example|percentage=80%|percentage_2=70%"},
		{"a value of several bracketed parts keeps its brackets", ios("[chars] [dec]% of packets were dropped"),
			"[F1547][soaking][major] 6% of packets were dropped", "chars=[F1547][soaking][major]|dec=6"},
		{"a value of several angle-bracketed parts keeps its brackets", ios("Track [chars]: [chars]"),
			"Track T1: <Gi1/0/1> down, <Gi1/0/2>", "chars=T1|chars_2=<Gi1/0/1> down, <Gi1/0/2>"},
		{"a value in one pair of brackets loses them", ios("Bad request from device [chars]. [chars]"),
			"Bad request from device [1.2.3.4]. Missing header.", "chars=1.2.3.4|chars_2=Missing header."},
		{"a name after its two-letter label in a user's format (113039)", ftd("Group group User user IP ip AnyConnect parent session started."),
			"Group <GP1> User <bob> IP <10.0.0.5> AnyConnect parent session started.", "group=GP1|user=bob|ip=10.0.0.5"},
		{"names after their labels and ' = ' in a user's format (113019's start)", ftd("Group = group, Username = username, IP = peer_address, Session disconnected."),
			"Group = GP1, Username = bob, IP = 10.0.0.5, Session disconnected.", "group=GP1|username=bob|peer_address=10.0.0.5"},
		{"a word that starts with the two-letter word before it is text", ftd("Connection dropped in inspection from peer peer", "peer"),
			"Connection dropped in inspection from peer 10.0.0.1", "peer=10.0.0.1"},
		{"a word that starts with the three-letter label before it is a placeholder", ftd("Crypto Map mapname sequence seq-num incomplete"),
			"Crypto Map outside_map sequence 10 incomplete", "mapname=outside_map|seq-num=10"},
		{"a message header further in than 20 bytes is text", ftd("Peer peer dropped the relayed %ASA-6-302013: line", "peer"),
			"Peer 10.0.0.1 dropped the relayed %ASA-6-302013: line", "peer=10.0.0.1"},
		{"starred placeholders", ftd("*application_name* application status is changed from *status* to *status*.", "status"),
			"snort application status is changed from Down to Up.", "application_name=snort|status=Down|status_2=Up"},
		{"a starred placeholder outside a firewall format", ios("Host *hostname* removed"), "Host r1 removed", "hostname=r1"},
		{"a bracketed placeholder in brackets the line prints", ios("Interface [chars] [[dec]]"), "Interface Gi1 [5]", "chars=Gi1|dec=5"},
		{"a percent sign before a closing parenthesis is text", ios("CPU usage high ([dec]%)."), "CPU usage high (95%).", "dec=95"},
		{"a percent sign that ends the format is text", ios("CPU usage at [dec]%"), "CPU usage at 90%", "dec=90"},
		{"printf verbs inside brackets the line prints", ftd("Servers [%s, %s] unreachable"), "Servers [a, b] unreachable", "s=a|s_2=b"},
		{"verb with a bracketed text of 40 bytes", ftd("Value %s[" + strings.Repeat("n", 40) + "] set"), "Value 7 set", ""},
		{"verb before a bracket that is not closed", ftd("Value %s[ set"), "Value 7[ set", "s=7"},
		{"verb before an empty pair of brackets", ftd("Value %s[] set"), "Value 7[] set", "s=7"},
		{"verb before brackets the line prints around a star", ftd("Rule %s[*] matched"), "Rule acl1[*] matched", "s=acl1"},
		{"verb before brackets the line prints around a placeholder", ftd("Rule %s[<index>] matched"), "Rule acl1[7] matched", "s=acl1|index=7"},
		{"a tag shaped as a placeholder is text", ftd("host-name: lookup failed, reason: reason", "reason"),
			"host-name: lookup failed, reason: timeout", "reason=timeout"},
		{"a word shaped as a placeholder that starts the format", ftd("user-name logged out"), "bob logged out", "user-name=bob"},
		{"blanks around a letter past ASCII are not optional", ios("Benutzer [chars] über [chars]"), "Benutzer bobüber x", ""},
		{"a word with a capital after a label it starts with is text", ftd("Client on Mac macOS with version version rejected", "version"),
			"Client on Mac macOS with version 14.1 rejected", "version=14.1"},
		// The value after "user = " is no label of the "user" that follows it: 113005 as Cisco's English document writes it.
		{"a value after its label that a label of the same word follows", ftd("AAA user authentication Rejected : reason = AAA_code : server = server_IP_address : user = user : user IP = user_ip",
			"AAA_code", "server_IP_address", "user", "user_ip"),
			"AAA user authentication Rejected : reason = Invalid password : server = 10.1.1.1 : user = alice : user IP = 198.51.100.7",
			"AAA_code=Invalid password|server_IP_address=10.1.1.1|user=alice|user_ip=198.51.100.7"},
		{"a value after its label that a label of the same word follows, no parameter list", ftd("AAA user authentication Rejected : reason = AAA_code : server = server_IP_address : user = user : user IP = user_ip"),
			"AAA user authentication Rejected : reason = Invalid password : server = 10.1.1.1 : user = alice : user IP = 198.51.100.7",
			"AAA_code=Invalid password|server_IP_address=10.1.1.1|user=alice|user_ip=198.51.100.7"},
		{"a hyphenated word that starts with a digit is text", ftd("Dropped 0-length packet from peer", "peer"),
			"Dropped 0-length packet from 10.0.0.1", "peer=10.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := compileMatcher(tt.ent)
			var got []string
			if m != nil {
				var caps [maxParams]span
				n := m.match([]byte(tt.text), &caps)
				for i := 0; i < n; i++ {
					k, _, _ := msgpack.ReadStr(m.keys[i])
					got = append(got, string(k)+"="+tt.text[caps[i].start:caps[i].end])
				}
			}
			if g := strings.Join(got, "|"); g != tt.want {
				t.Errorf("match(%q) = %s, want %s", tt.text, g, tt.want)
			}
		})
	}
}

// TestMatcherMaxParams checks that a message keeps at most 32 variables, however many its format has.
func TestMatcherMaxParams(t *testing.T) {
	for _, count := range []int{maxParams + 1, 40} {
		var format, text []string
		for i := range count {
			format, text = append(format, "[chars]"), append(text, fmt.Sprint(i))
		}
		m := compileMatcher(&catalog.Entry{Product: catalog.ProductIOS, ID: "X-3-Y", Format: "Values " + strings.Join(format, ", ") + " end"})
		var caps [maxParams]span
		if n := m.match([]byte("Values "+strings.Join(text, ", ")+" end"), &caps); n != 32 || len(m.keys) != 32 {
			t.Errorf("match of %d values found %d of %d variables, want 32 of 32", count, n, len(m.keys))
		}
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

// TestParamsCatalogLines enriches realistic lines of catalog entries with
// formats and compares params with what a person reads in them, the format
// in hand.
func TestParamsCatalogLines(t *testing.T) {
	e := newEngine(t, embeddedCatalog(t), func(o *Options) { o.Params = true })
	tests := []struct {
		name string
		line string
		want string // k=v pairs sorted by key, joined by "|"
	}{
		{"value in angle brackets holding the next literal (722037)",
			"%ASA-4-722037: Group <Guest User Policy> User <bob> IP <10.0.0.5> SVC closing connection: DPD failure.",
			"IP_address=10.0.0.5|group=Guest User Policy|reason=DPD failure|user-name=bob"},
		{"IPv6 address before :port (753001)",
			"%ASA-4-753001: Unexpected IKEv2 packet received from 2001:db8::5:500. Error: Received an IKE msg id outside supported window",
			"IP=2001:db8::5|port=500|reason=Received an IKE msg id outside supported window"},
		{"IPv4 address before :port (753001)",
			"%ASA-4-753001: Unexpected IKEv2 packet received from 192.0.2.5:500. Error: Received an IKE msg id outside supported window",
			"IP=192.0.2.5|port=500|reason=Received an IKE msg id outside supported window"},
		{"IPv6 addresses before :port (751027)",
			"%ASA-4-751027: Local:2001:db8::1:4500 Remote:2001:db8::2:4500 Username:bob IKEv2 Received INVALID_SELECTORS Notification from peer. Peer received a packet (SPI=0x1234). The decapsulated inner packet didn't match the negotiated policy in the SA. Packet destination 10.1.1.1 , port 80 , source 10.2.2.2 , port 5000 , protocol 6 .",
			"local IP=2001:db8::1|local port=4500|peer IP=2001:db8::2|peer port=4500|pkt_daddr=10.1.1.1|pkt_dest_port=80|pkt_prot=6|pkt_saddr=10.2.2.2|pkt_src_port=5000|spi=0x1234|username=bob"},
		{"IPv6 addresses before a port the parameter list names so (751021)",
			"%ASA-4-751021: Local:2001:db8::1:500 Remote:2001:db8::2:4500 Username:bob IKEv2 with AES-GCM encryption is not supported with this version of the AnyConnect Client. Please upgrade to the latest Anyconnect Client.",
			"variable 1=2001:db8::1|variable 2=500|variable 3=2001:db8::2|variable 4=4500|variable 5=bob|variable 6=IKEv2|variable 7=AES-GCM"},
		{"IPv6 addresses before :port, the last ending the message (750013)",
			"%ASA-6-750013: IKEv2 SA (iSPI 0x11 rRSP 0x22) Peer Moved: Previous 2001:db8::1:500/2001:db8::2:500. Updated 2001:db8::3:4500/2001:db8::2:4500",
			"ISPI=0x11|new_local_ip=2001:db8::2|new_local_port=4500|new_remote_ip=2001:db8::3|new_remote_port=4500|prev_local_ip=2001:db8::2|prev_local_port=500|prev_remote_ip=2001:db8::1|prev_remote_port=500|rSPI=0x22"},
		{"IPv6 address after interface: (725001)",
			"%ASA-6-725001: Starting SSL handshake with client outside:2001:db8::5/49243 to 2001:db8::1/443 for TLSv1.2 session.",
			"dst-ip=2001:db8::1|dst-port=443|interface=outside|peer-type=client|protocol=TLSv1.2|src-ip=2001:db8::5|src-port=49243"},
		{"final period left out after a closing parenthesis (722035)",
			"%ASA-5-722035: Group <GP1> User <bob> IP <10.0.0.5> Received large packet 1600 (threshold 1500)",
			"IP_address=10.0.0.5|group=GP1|length=1600|num=1500|user-name=bob"},
		{"final period kept after a closing parenthesis (722035)",
			"%ASA-5-722035: Group <GP1> User <bob> IP <10.0.0.5> Received large packet 1600 (threshold 1500).",
			"IP_address=10.0.0.5|group=GP1|length=1600|num=1500|user-name=bob"},
		{"printf verb described in brackets is one variable (747036)",
			"%ASA-3-747036: Application software mismatch between cluster master unit-1-1 (ftd) and joining unit (asa). unit-1-2 aborting cluster join.",
			"Joining member name=unit-1-2|Joining unit application software name=asa|Master application software name=ftd|Master unit name=unit-1-1"},
		{"two-word placeholder before a word it starts with (741005)",
			"%ASA-3-741005: Coredump operation create failed with error 28 ENOSPC",
			"variable 1=create|variable 2=28|variable 3=ENOSPC"},
		{"two-word placeholder before a word it starts with (751021)",
			"%ASA-4-751021: Local:10.0.0.1:443 Remote:10.0.0.2:5000 Username:bob IKEv2 with AES-GCM-256 encryption is not supported with this version of the AnyConnect Client. Please upgrade to the latest Anyconnect Client.",
			"variable 1=10.0.0.1|variable 2=443|variable 3=10.0.0.2|variable 4=5000|variable 5=bob|variable 6=IKEv2|variable 7=AES-GCM-256"},
		{"placeholder before a literal word it starts with (722054)",
			"%ASA-3-722054: Group GP1 User bob IP 10.0.0.5 SVC terminating connection: Failed to install Redirect URL: https://portal.example.com/ Redirect ACL: non_exist for 10.10.0.7",
			"group policy=GP1|redirect URL=https://portal.example.com/|remote IP=10.0.0.5|user name=bob"},
		{"label and value parted by a blank and '=' (752006)",
			"%ASA-4-752006: Tunnel Manager failed to dispatch a KEY_ACQUIRE message. Probable mis-configuration of the crypto map or tunnel-group. Map Tag = outside_map . Map Sequence Number = 10, SRC Addr: 10.1.1.1 port: 0 Dst Addr: 10.2.2.2 port: 0 .",
			"Tag=outside_map|address=10.1.1.1|address_2=10.2.2.2|num=10|port=0|port_2=0"},
		{"listed camelCase placeholder after an article (751019)",
			"%ASA-3-751019: Local:10.0.0.1 Remote:10.0.0.2 Username:bob Failed to obtain an AnyConnect Premium license. Maximum license limit 250 exceeded.",
			"LocalAddr=10.0.0.1|RemoteAddr=10.0.0.2|licenseType=AnyConnect Premium|limit=250|username=bob"},
		{"'%A:' in a format is no message header (751020)",
			"%ASA-3-751020: Local:10.0.0.1:500 Remote:10.0.0.2:500 Username:bob An IKEv2 remote access connection failed. Attempting to use an NSA Suite B crypto algorithm (AES-GCM-256) without an AnyConnect Premium license.",
			"A=10.0.0.1|A_2=10.0.0.2|s=bob|s_2=IKEv2|s_3=AES-GCM-256|u=500|u_2=500"},
		{"UDI holding colons before ': ' (SMART_LIC-3-AUTHORIZATION_INSTALL_FAILED)",
			"%SMART_LIC-3-AUTHORIZATION_INSTALL_FAILED: The install of a new licensing authorization code has failed on PID:CSR1000V,SN:9D1YXJM3LKC: UDI mismatch.",
			"chars=PID:CSR1000V,SN:9D1YXJM3LKC|chars_2=UDI mismatch"},
		{"UDI holding colons before ': ' (SMART_LIC-3-TRUST_CODE_INSTALL_FAILED)",
			"%SMART_LIC-3-TRUST_CODE_INSTALL_FAILED: The install of a new licensing trust code has failed on PID:C9300-24UX,SN:FCW2125L0AB: Trust code is already installed",
			"chars=PID:C9300-24UX,SN:FCW2125L0AB|chars_2=Trust code is already installed"},
		{"no colon in the line's separator (SMART_LIC-3-COMM_FAILED)",
			"%SMART_LIC-3-COMM_FAILED: Communications failure with the CSLU :Unable to resolve server",
			"chars=CSLU|chars_2=Unable to resolve server"},
		{"a later colon is no separator when the line's has no blank after it (SMART_LIC-3-COMM_FAILED)",
			"%SMART_LIC-3-COMM_FAILED: Communications failure with the Cisco Smart Software Manager (CSSM) :HTTP error: 404 Not Found",
			"chars=Cisco Smart Software Manager (CSSM)|chars_2=HTTP error: 404 Not Found"},
		{"one-word value after a mark and a blank (735007)",
			"%ASA-1-735007: IPMI: CPU 1: Temp: 95 C, Critical",
			"var1=1|var2=95|var3=C"},
		{"a line ending in a value the format follows with a blank (735007)",
			"%ASA-1-735007: IPMI: CPU 1: Temp: 95",
			"var1=1"},
		{"one-word value after a mark and a blank (751026)",
			"%ASA-6-751026: Local:10.0.0.1:443 Remote:10.0.0.2:5000 Username:bob IKEv2 Client OS: Windows Client: AnyConnect 4.10.01075",
			"client-name=AnyConnect|client-os=Windows|client-version=4.10.01075|localIP:port=10.0.0.1:443|remoteIP:port=10.0.0.2:5000|username/group=bob"},
		{"value in angle brackets before text the format lacks (722032)",
			"%ASA-5-722032: Group <GP1> User <bob> IP <10.0.0.5> New UDP SVC connection replacing old connection.",
			"IP_address=10.0.0.5|group=GP1|user-name=bob"},
		{"values in angle brackets (722041)",
			"%ASA-4-722041: TunnelGroup <TG1> GroupPolicy <GP1> User <bob> IP <10.0.0.5> No IPv6 address available for SVC connection.",
			"group_policy=GP1|peer_address=10.0.0.5|tunnel_group=TG1|username=bob"},
		{"brackets the line prints around a value (725011)",
			"%ASA-7-725011: Cipher[1] : ECDHE-RSA-AES256-GCM-SHA384",
			"cipher_name=ECDHE-RSA-AES256-GCM-SHA384|order=1"},
		{"an empty value before text that starts with a blank (725014)",
			"%ASA-7-725014: SSL lib error. Function:  Reason: wrong version number",
			"function=|reason=wrong version number"},
		{"a line that ends after a mark, before its value (725014)",
			"%ASA-7-725014: SSL lib error. Function:",
			""},
		{"a comma list without blanks before a later ', ' (747001)",
			"%ASA-3-747001: Clustering: Recovered from state machine event queue depleted. Event (5,0x0c,0x00) dropped. Current state DISABLED, stack 0x1, 0x2, 0x3, 0x4, 0x5, 0x6",
			"event-id=5|ptr-in-hex=0x0c|ptr-in-hex_2=0x00|ptr-in-hex_3=0x1|ptr-in-hex_4=0x2|ptr-in-hex_5=0x3|ptr-in-hex_6=0x4|ptr-in-hex_7=0x5|ptr-in-hex_8=0x6|state-name=DISABLED"},
		{"object in brackets, a number after the word before it with a dash (733100)",
			"%ASA-4-733100: [ Scanning] drop rate-1 exceeded. Current burst rate is 10 per second, max configured rate is 10; Current average rate is 245 per second, max configured rate is 5; Cumulative total count is 147409",
			"Object=Scanning|rate_ID=1|rate_val=10|rate_val_2=10|rate_val_3=245|rate_val_4=5|total_cnt=147409"},
		{"a number after the word before it without a blank (752012)",
			"%ASA-4-752012: IKEv1 was unsuccessful at setting up a tunnel. Map Tag = outside_map. Map Sequence Number = 10.",
			"mapSeq=10|mapTag=outside_map|protocol=1"},
		{"a word after its label and a colon is a placeholder (722016)",
			"%ASA-4-722016: Group GP1 User bob IP 10.0.0.5 Bad SVC frame length: 100 expected: 200",
			"IP_address=10.0.0.5|expected-length=200|group=GP1|length=100|user-name=bob"},
		{"a word after its label and a colon is a placeholder (722018)",
			"%ASA-4-722018: Group GP1 User bob IP 10.0.0.5 Bad SVC protocol version: 1.0, expected: 1.1",
			"IP_address=10.0.0.5|expected-version=1.1|group=GP1|user-name=bob|version=1.0"},
		{"a name the format writes after its label is text elsewhere (737401)",
			"%ASA-7-737401: POOLIP: Pool=pool1, Returned 10.0.0.7 to pool (recycle=TRUE).",
			"ip-address=10.0.0.7|pool=pool1|recycle=TRUE"},
		{"a name the format writes after its label is text elsewhere (737402)",
			"%ASA-4-737402: POOLIP: Pool=pool1, Failed to return 10.0.0.7 to pool (recycle=FALSE). Reason: Address not in pool range",
			"ip-address=10.0.0.7|message=Address not in pool range|pool=pool1|recycle=FALSE"},
		{"a word that starts with its label is a placeholder (722041)",
			"%ASA-4-722041: TunnelGroup TG1 GroupPolicy GP1 User bob IP 10.0.0.5 No IPv6 address available for SVC connection.",
			"group_policy=GP1|peer_address=10.0.0.5|tunnel_group=TG1|username=bob"},
		{"a placeholder the document marks up but does not list (747019)",
			"%ASA-4-747019: Clustering: New cluster member unit-2 rejected due to Cluster Control Link IP subnet mismatch (10.1.1.2/255.255.255.0 on new unit, 10.2.2.1/255.255.0.0 on local unit).",
			"ip-address=10.1.1.2|ip-address_2=10.2.2.1|ip-mask=255.255.255.0|ip-mask_2=255.255.0.0|name=unit-2"},
		{"a placeholder the document marks up but does not list (752017)",
			"%ASA-4-752017: IKEv2 Backup L2L tunnel initiation denied on interface outside matching crypto map outside_map, sequence number 10. Unsupported configuration.",
			"interface=outside|name=outside_map|number=10"},
		{"a placeholder of several words the document marks up but does not list (734003)",
			"%ASA-7-734003: DAP: User bob, Addr 10.0.0.5: Session Attribute: aaa.cisco.grouppolicy = DfltGrpPolicy",
			"attr name/value=aaa.cisco.grouppolicy = DfltGrpPolicy|ipaddr=10.0.0.5|name=bob"},
		{"placeholders of several words the document marks up but does not list (750011)",
			"%ASA-4-750011: Tunnel Rejected: Selected IKEv2 encryption algorithm (AES-CBC) is not strong enough to secure proposed IPSEC encryption algorithm (AES-GCM-256).",
			"IKEV2 encry algo=AES-CBC|IPSEC encry algo=AES-GCM-256"},
		{"a bracketed tag after a blank is text in a firewall format (746014)",
			"%ASA-5-746014: user-identity: [FQDN] www.example.com address 10.0.0.9 obsolete.",
			"IP Address=10.0.0.9|fqdn=www.example.com"},
		{"the document's 746015 lacks the tag's '[' that the line prints",
			"%ASA-5-746015: user-identity: [FQDN] www.example.com resolved 93.184.216.34",
			"IP address=93.184.216.34|fqdn=www.example.com"},
		{"a parameter name that ends in a mark (776251)",
			"%ASA-6-776251: CTS SGT-MAP: Binding 10.0.0.1 - Guests (6) from ISE added to binding manager.",
			"SGname (SGT)=Guests (6)|binding IP=10.0.0.1|source name=ISE"},
		{"a header that ends the line (753001)", "%ASA-4-753001", ""},
		// NX-OS ends a SYSTEM_MSG relay's text with the process that sent it: the relay's, not the message's.
		{"the sending process after an NX-OS relay's message (SMART_LIC-3-COMM_FAILED)",
			"2025 Sep 25 08:49:24 UTC: %USER-3-SYSTEM_MSG: %SMART_LIC-3-COMM_FAILED: Communications failure with the Cisco Smart License Utility (CSLU) : Unable to resolve server hostname/domain name - smartlic",
			"chars=Cisco Smart License Utility (CSLU)|chars_2=Unable to resolve server hostname/domain name"},
		{"the sending process and its pid after extra blanks in an NX-OS relay (SMART_LIC-3-COMM_FAILED)",
			"2025 Jan  7 10:01:02 sw1 %USER-3-SYSTEM_MSG: <<%SMART_LIC-3-COMM_FAILED>> Communications failure with the CSLU : Unable to resolve server  - usbhsd-log[2799]",
			"chars=CSLU|chars_2=Unable to resolve server"},
		{"an NX-OS relay without the sending process (SMART_LIC-3-COMM_FAILED)",
			"%USER-3-SYSTEM_MSG: %SMART_LIC-3-COMM_FAILED: Communications failure with the CSLU : Unable to resolve server",
			"chars=CSLU|chars_2=Unable to resolve server"},
		{"words after a ' - ' that end an NX-OS relay are no process name (SMART_LIC-3-COMM_FAILED)",
			"%USER-3-SYSTEM_MSG: %SMART_LIC-3-COMM_FAILED: Communications failure with the CSLU : Unable to resolve server - retry later",
			"chars=CSLU|chars_2=Unable to resolve server - retry later"},
		{"a number after a ' - ' that ends an NX-OS relay is no process name (SMART_LIC-3-COMM_FAILED)",
			"%USER-3-SYSTEM_MSG: %SMART_LIC-3-COMM_FAILED: Communications failure with the CSLU : Unable to resolve server - 2",
			"chars=CSLU|chars_2=Unable to resolve server - 2"},
		{"a word with a '/' after a ' - ' that ends an NX-OS relay is no process name (SMART_LIC-3-COMM_FAILED)",
			"%USER-3-SYSTEM_MSG: %SMART_LIC-3-COMM_FAILED: Communications failure with the CSLU : Unable to resolve server - N/A",
			"chars=CSLU|chars_2=Unable to resolve server - N/A"},
		{"a pid after a ' - ' that ends an NX-OS relay is no process name (SMART_LIC-3-COMM_FAILED)",
			"%USER-3-SYSTEM_MSG: %SMART_LIC-3-COMM_FAILED: Communications failure with the CSLU : Unable to resolve server - [2799]",
			"chars=CSLU|chars_2=Unable to resolve server - [2799]"},
		{"a message's own text ending in ' - word' outside a relay (SMART_LIC-3-COMM_FAILED)",
			"%SMART_LIC-3-COMM_FAILED: Communications failure with the CSLU : Unable to resolve server - smartlic",
			"chars=CSLU|chars_2=Unable to resolve server - smartlic"},
		{"an IOS-XE relay's message ending in ' - word' (SMART_LIC-3-COMM_FAILED)",
			"%IOSXE-3-PLATFORM: R0/0: smartagent: %SMART_LIC-3-COMM_FAILED: Communications failure with the CSLU : Unable to resolve server - smartlic",
			"chars=CSLU|chars_2=Unable to resolve server - smartlic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := paramsOf(t, e, tt.line)
			var kv []string
			for k, v := range got {
				kv = append(kv, k+"="+v)
			}
			slices.Sort(kv)
			if g := strings.Join(kv, "|"); g != tt.want {
				t.Errorf("params of %q\n got %s\nwant %s", tt.line, g, tt.want)
			}
		})
	}
}

// TestParamsNXRelayPerRecord checks that a record's message ends before a process name only
// when that record came in an NX-OS relay, not the one before it in the chunk.
func TestParamsNXRelayPerRecord(t *testing.T) {
	e := newEngine(t, embeddedCatalog(t), func(o *Options) { o.Params = true })
	msg := "%SMART_LIC-3-COMM_FAILED: Communications failure with the CSLU : Unable to resolve server - smartlic"
	out, _, err := e.Rewrite(nil, linesChunk([]string{"%USER-3-SYSTEM_MSG: " + msg, msg}))
	if err != nil {
		t.Fatalf("Rewrite: %v", err)
	}
	for i, want := range []string{"Unable to resolve server", "Unable to resolve server - smartlic"} {
		if p, _ := bodyOf(t, records(t, out)[i])["params"].(map[string]any); p["chars_2"] != want {
			t.Errorf("record %d: params %v, want chars_2 %q", i, p, want)
		}
	}
}

// TestParamsPortWithoutNextLiteral: a line that stops matching after an address's ":port"
// keeps the variables up to there (the literal after the port is what it lacks), an IPv6
// address whole.
func TestParamsPortWithoutNextLiteral(t *testing.T) {
	e := newEngine(t, embeddedCatalog(t), func(o *Options) { o.Params = true })
	for _, tt := range []struct{ line, key, ip string }{
		{"%ASA-4-753001: Unexpected IKEv2 packet received from 192.0.2.5:500 and nothing more", "IP", "192.0.2.5"},
		{"%ASA-4-753001: Unexpected IKEv2 packet received from 2001:db8::5:500 and nothing more", "IP", "2001:db8::5"},
		{"%ASA-6-751023: Local 2001:db8::1:443 Remote 2001:db8::2:5000 Username:bob", "a", "2001:db8::1"}, // Local a :p
		{"%ASA-4-753001: Unexpected IKEv2 packet received from 2001:db8::5:500\tError: x", "IP", "2001:db8::5"},
		{"%ASA-4-753001: Unexpected IKEv2 packet received from 10.0.0.5: 500 Error: x", "IP", "10.0.0.5"},
	} {
		if got := paramsOf(t, e, tt.line); got[tt.key] != tt.ip {
			t.Errorf("params of %q: %v, want %s %s", tt.line, got, tt.key, tt.ip)
		}
	}
}

// TestParamsLineBreaks: a message wrapped over lines (a console capture, a UDP datagram, a record
// a multiline parser joined) has a line break where its format has a blank, after its header too,
// and keeps its variables past it.
func TestParamsLineBreaks(t *testing.T) {
	e := newEngine(t, embeddedCatalog(t), func(o *Options) { o.Params = true })
	for _, tt := range []struct {
		line string
		want map[string]string
	}{
		{"%SMART_LIC-3-AUTHORIZATION_INSTALL_FAILED: The install of a new licensing authorization code has failed on\nPID:C9300-24U,SN:FOC1234X0AB: Invalid signature.",
			map[string]string{"chars": "PID:C9300-24U,SN:FOC1234X0AB", "chars_2": "Invalid signature"}},
		{"%SMART_LIC-3-COMM_FAILED:\r\nCommunications failure with the CSLU : Unable to resolve",
			map[string]string{"chars": "CSLU", "chars_2": "Unable to resolve"}},
		{"%ASA-3-722031: Group <GP_1>\nUser <bob> IP <192.0.2.5> SVC Session Termination: Out:\r\n800808 (+32) bytes, 1957 (+4) packets, 3358 drops.",
			map[string]string{"group": "GP_1", "user-name": "bob", "IP_address": "192.0.2.5", "data_bytes": "800808",
				"ctrl_bytes": "32", "data_pkts": "1957", "ctrl_pkts": "4", "drop_pkts": "3358"}},
	} {
		if got := paramsOf(t, e, tt.line); !maps.Equal(got, tt.want) {
			t.Errorf("params of %q:\n got %v\nwant %v", tt.line, got, tt.want)
		}
	}
}
