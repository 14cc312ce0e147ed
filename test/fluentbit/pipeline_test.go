package fluentbit

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// deliveryTimeout bounds how long a run may take to bring every record to
// the Elasticsearch stand-in (three flush intervals are enough when healthy).
const deliveryTimeout = 90 * time.Second

// sample is one message the pipeline must enrich. %s in text is replaced by
// a host name naming the input it was sent through, which keeps the lines of
// the three inputs apart in the output.
type sample struct {
	name      string
	text      string
	id        string // "" when the line carries no message ID
	severity  int
	explained bool // whether the catalog knows the ID
}

var samples = []sample{
	{
		name:      "threat defense known id, remapped severity",
		text:      "Mar 13 2025 09:37:52 %s : %%FTD-4-722051: Group <DfltGrpPolicy> User <jdoe> IP <198.51.100.7> IPv4 Address <10.10.1.20> IPv6 address <::> assigned to session",
		id:        "722051",
		severity:  4,
		explained: true,
	},
	{
		name:      "ios smart licensing",
		text:      "Nov 22 06:00:00 %s 412: %%SMART_LIC-3-COMM_FAILED: Communications failure with the Cisco Smart License Utility (CSLU) : Unable to resolve server hostname/domain name",
		id:        "SMART_LIC-3-COMM_FAILED",
		severity:  3,
		explained: true,
	},
	{
		name:     "threat defense id not in the catalog",
		text:     "Nov 22 06:00:01 %s %%FTD-6-302013: Built inbound TCP connection 8832 for outside:198.51.100.1/5000 (198.51.100.1/5000) to inside:10.0.0.1/80 (10.0.0.1/80)",
		id:       "302013",
		severity: 6,
	},
	{
		name: "no message id",
		text: "Nov 22 06:00:02 %s last message repeated 66 times",
	},
}

// bulkLines is how many extra lines go through tail and syslog tcp, enough
// for several chunks and several payloads per chunk.
const bulkLines = 3000

func bulkLine(input string, i int) string {
	return fmt.Sprintf("Nov 22 06:01:00 %s-host : %%ASA-6-722051: Group <G%d> User <u%d> IP <198.51.100.7> IPv4 Address <10.10.1.20> IPv6 address <::> assigned to session",
		input, i, i)
}

// TestShippedConfiguration runs fluent-bit.conf and fluent-bit.yaml as
// shipped, changed only through their environment variables: lines go in
// through tail, syslog tcp and syslog udp, and every record must come out of
// the es output (which matches enriched.* only, so everything it sends came
// back through in_forward) exactly once, with the catalog fields added and
// its original text intact.
func TestShippedConfiguration(t *testing.T) {
	bin := fluentBitBinary(t)
	so := pluginSO(t)
	root := repoRoot(t)

	for _, tc := range []struct {
		name string
		file string
	}{
		{name: "classic", file: "fluent-bit.conf"},
		{name: "yaml", file: "fluent-bit.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runShippedConfiguration(t, bin, so, filepath.Join(root, tc.file))
		})
	}
}

func runShippedConfiguration(t *testing.T, bin, so, config string) {
	dir := tempDir(t)
	es := newFakeES(t)
	esHost, esPort := es.hostPort(t)
	tcpPort := freePort(t, "tcp")
	udpPort := freePort(t, "udp")
	httpPort := freePort(t, "tcp")
	tailDir := filepath.Join(dir, "logs")
	if err := os.MkdirAll(tailDir, 0o755); err != nil {
		t.Fatalf("create tail directory: %v", err)
	}

	// want maps each line as the record will carry it to the sample that
	// describes it; a line that is not a sample is a bulk line.
	want := map[string]sample{}
	var tailBody strings.Builder
	for _, s := range samples {
		line := fmt.Sprintf(s.text, "file-host")
		want[line] = s
		tailBody.WriteString(line + "\n")
	}
	bulk := sample{name: "bulk", id: "722051", severity: 6, explained: true}
	for i := range bulkLines {
		line := bulkLine("file", i)
		want[line] = bulk
		tailBody.WriteString(line + "\n")
	}
	if err := os.WriteFile(filepath.Join(tailDir, "devices.log"), []byte(tailBody.String()), 0o644); err != nil {
		t.Fatalf("write tail input: %v", err)
	}

	env := []string{
		"ENRICH_PLUGINS_FILE=" + writePluginsFile(t, dir, so),
		"ENRICH_PARSERS_FILE=" + filepath.Join(filepath.Dir(config), "parsers.conf"),
		"ENRICH_STATE_DIR=" + filepath.Join(dir, "state"),
		"ENRICH_FORWARD_SOCKET=" + filepath.Join(dir, "fwd.sock"),
		"ENRICH_TAIL_PATH=" + filepath.Join(tailDir, "*.log"),
		"ENRICH_TAIL_FROM_HEAD=true",
		"ENRICH_HTTP_PORT=" + strconv.Itoa(httpPort),
		"ENRICH_LOG_LEVEL=info",
		"SYSLOG_LISTEN=127.0.0.1",
		"SYSLOG_TCP_PORT=" + strconv.Itoa(tcpPort),
		"SYSLOG_UDP_PORT=" + strconv.Itoa(udpPort),
		"ES_HOST=" + esHost,
		"ES_PORT=" + esPort,
		"ES_INDEX=enriched-test",
	}
	p := startFluentBit(t, bin, env, "-c", configFor(t, bin, config, env))

	tcpAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(tcpPort))
	var conn net.Conn
	waitFor(t, p, 30*time.Second, "the syslog tcp input to listen", func() bool {
		c, err := net.DialTimeout("tcp", tcpAddr, time.Second)
		if err != nil {
			return false
		}
		conn = c
		return true
	})
	defer conn.Close()

	var tcpBody strings.Builder
	for _, s := range samples {
		line := fmt.Sprintf(s.text, "tcp-host")
		want[line] = s
		tcpBody.WriteString("<187>" + line + "\n")
	}
	for i := range bulkLines {
		line := bulkLine("tcp", i)
		want[line] = bulk
		tcpBody.WriteString("<166>" + line + "\n")
	}
	conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write([]byte(tcpBody.String())); err != nil {
		t.Fatalf("send syslog over tcp: %v", err)
	}

	// A datagram sent before the UDP input binds is lost, and the next write fails with
	// ECONNREFUSED; the TCP input listening does not mean that the UDP one, started after it, does.
	bound := fmt.Sprintf("UDP server binding 127.0.0.1:%d", udpPort)
	waitFor(t, p, 30*time.Second, "the syslog udp input to bind", func() bool { return strings.Contains(p.out.String(), bound) })
	udp, err := net.Dial("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(udpPort)))
	if err != nil {
		t.Fatalf("dial syslog udp: %v", err)
	}
	defer udp.Close()
	for _, s := range samples {
		line := fmt.Sprintf(s.text, "udp-host")
		want[line] = s
		if _, err := udp.Write([]byte("<166>" + line)); err != nil {
			t.Fatalf("send syslog over udp: %v", err)
		}
	}
	// A datagram is one record, the lines after a newline in it included,
	// up to the largest an IPv4 datagram can carry (65,507 bytes).
	multi := fmt.Sprintf(samples[0].text, "udp-host") + "\n continued"
	long := fmt.Sprintf(samples[0].text, "udp-host") + " "
	long += strings.Repeat("x", 65507-len("<166>")-len(long))
	for _, line := range []string{multi, long} {
		want[line] = samples[0]
		if _, err := udp.Write([]byte("<166>" + line)); err != nil {
			t.Fatalf("send syslog over udp: %v", err)
		}
	}

	waitFor(t, p, deliveryTimeout, fmt.Sprintf("%d documents in elasticsearch", len(want)), func() bool {
		return es.count() >= len(want)
	})
	// A duplicate, which would be a bug here, may still be on its way: stop
	// Fluent Bit, which delivers what it holds before it exits, and count
	// then. The log checked is the run's, not the shutdown's.
	log := p.out.String()
	stopWith(t, p, syscall.SIGTERM)

	docs, problems := es.snapshot()
	for _, pr := range problems {
		t.Errorf("elasticsearch stand-in: %s", pr)
	}
	if got := len(docs); got != len(want) {
		t.Errorf("got %d documents, want %d (one per line sent)", got, len(want))
	}
	seen := map[string]int{}
	for _, doc := range docs {
		line := recordLine(doc)
		s, ok := want[line]
		if !ok {
			t.Errorf("unexpected document %v", doc)
			continue
		}
		seen[line]++
		if seen[line] > 1 {
			continue
		}
		checkEnriched(t, line, s, doc)
	}
	for line := range want {
		if seen[line] == 0 {
			t.Errorf("line never arrived: %q", line)
		}
	}
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "[error]") || strings.Contains(l, "[ warn]") {
			t.Errorf("fluent-bit logged: %s", l)
		}
	}
}

// recordLine returns the original line a document carries: "log" from tail,
// "message" from syslog (whose parser keeps the line without its PRI).
func recordLine(doc map[string]any) string {
	for _, k := range []string{"log", "message"} {
		if s, ok := doc[k].(string); ok {
			return s
		}
	}
	return ""
}

// checkEnriched checks the fields enrich adds against the sample.
func checkEnriched(t *testing.T, line string, s sample, doc map[string]any) {
	t.Helper()
	if s.id == "" {
		for _, k := range []string{"message_id", "severity", "severity_name", "explanation", "action"} {
			if v, ok := doc[k]; ok {
				t.Errorf("%s: line without an ID got %s=%v", s.name, k, v)
			}
		}
		return
	}
	if got, _ := doc["message_id"].(string); got != s.id {
		t.Errorf("%s: message_id = %q, want %q (line %q)", s.name, got, s.id, line)
	}
	if got, ok := doc["severity"].(float64); !ok || int(got) != s.severity {
		t.Errorf("%s: severity = %v, want %d", s.name, doc["severity"], s.severity)
	}
	names := []string{"emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"}
	if got, _ := doc["severity_name"].(string); got != names[s.severity] {
		t.Errorf("%s: severity_name = %q, want %q", s.name, got, names[s.severity])
	}
	explanation, _ := doc["explanation"].(string)
	if s.explained && explanation == "" {
		t.Errorf("%s: no explanation for a catalog ID: %v", s.name, doc)
	}
	if !s.explained && explanation != "" {
		t.Errorf("%s: explanation %q for an ID the catalog does not know", s.name, explanation)
	}
}
