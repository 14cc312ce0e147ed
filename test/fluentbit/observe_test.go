package fluentbit

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// prometheus reads Fluent Bit's /api/v2/metrics/prometheus into
// "name{labels}" -> value.
func prometheus(port int) (map[string]float64, error) {
	resp, err := apiPoll.Get(fmt.Sprintf("http://127.0.0.1:%d/api/v2/metrics/prometheus", port))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); i > 0 && err == nil {
			m[line[:i]] = v
		}
	}
	return m, sc.Err()
}

// appendLines appends lines to the tailed file.
func appendLines(t *testing.T, path string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatalf("open tail file: %v", err)
	}
	defer f.Close()
	if _, err := f.WriteString(strings.Join(lines, "\n") + "\n"); err != nil {
		t.Fatalf("write tail file: %v", err)
	}
}

// TestMetricsEndpoint runs the shipped configuration and reads the plugin's
// metrics where Prometheus would: in Fluent Bit's own endpoint, moving with
// the traffic, and back after a hot reload.
func TestMetricsEndpoint(t *testing.T) {
	bin := fluentBitBinary(t)
	s := newShipped(t, bin, pluginSO(t), filepath.Join(repoRoot(t), "fluent-bit.conf"))
	p := s.start(t)
	const enriched = `fluentbit_enrich_records_total{name="enrich.0",result="enriched"}`
	const unknown = `fluentbit_enrich_records_total{name="enrich.0",result="unknown_id"}`
	atLeast := func(what string, key string, n float64) map[string]float64 {
		var m map[string]float64
		waitFor(t, p, 30*time.Second, what, func() bool {
			var err error
			m, err = prometheus(s.httpPort)
			return err == nil && m[key] >= n
		})
		return m
	}
	want := 0.0
	for round, n := range []int{10, 20} {
		want += float64(n)
		var lines []string
		for i := 0; i < n; i++ {
			lines = append(lines, fleetLine(round*1000+i), "%ASA-6-999999: not in the catalog")
		}
		appendLines(t, s.tailFile, lines...)
		m := atLeast(fmt.Sprintf("round %d of records in the metrics", round), enriched, want)
		if m[enriched] != want || m[unknown] != want {
			t.Errorf("round %d: enriched %v, unknown_id %v, want %v each", round, m[enriched], m[unknown], want)
		}
		if got := m[`fluentbit_enrich_enriched_records_total{name="enrich.0",product="cisco_ftd_asa"}`]; got != want {
			t.Errorf("round %d: enriched cisco_ftd_asa records %v, want %v", round, got, want)
		}
		if m[`fluentbit_enrich_payloads_total{name="enrich.0"}`] < 1 || m[`fluentbit_enrich_catalog_entries{name="enrich.0"}`] < 1 {
			t.Errorf("round %d: payloads or catalog entries missing: %v", round, m)
		}
		info := false
		for k, v := range m {
			info = info || (strings.HasPrefix(k, `fluentbit_enrich_info{name="enrich.0",version="`) && v == 1)
		}
		if !info {
			t.Errorf("round %d: no fluentbit_enrich_info series", round)
		}
	}

	// A reload starts a new instance with new counters in a new context.
	before := len(inits(p))
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatalf("SIGHUP: %v", err)
	}
	waitFor(t, p, 30*time.Second, "the reload", func() bool { return len(inits(p)) > before })
	appendLines(t, s.tailFile, fleetLine(5000))
	waitFor(t, p, 30*time.Second, "the new instance's count", func() bool {
		m, err := prometheus(s.httpPort)
		return err == nil && m[enriched] == 1
	})
}

// TestLiveCatalogAndReport edits a user catalog under a running Fluent Bit:
// the edit takes effect without a restart, a broken file is refused with
// the catalog in use kept, and the report names the unknown ID of the
// traffic, in the log and in Report_File. The log is a Log_File, which gets
// only the lines logged from Fluent Bit's own threads.
func TestLiveCatalogAndReport(t *testing.T) {
	bin := fluentBitBinary(t)
	dir := tempDir(t)
	cat, rep, logFile := filepath.Join(dir, "user.csv"), filepath.Join(dir, "unknown.csv"), filepath.Join(dir, "fluent-bit.log")
	write := func(explanation, product string) {
		t.Helper()
		csv := "id,severity,explanation,action,product\n999001,4," + explanation + ",act," + product + "\n"
		if err := os.WriteFile(cat, []byte(csv), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if b, _ := os.ReadFile(logFile); t.Failed() || *keep {
			t.Logf("log file:\n%s", b)
		}
	})
	write("first", "cisco_ftd_asa")
	p := startFluentBit(t, bin, nil,
		"-e", pluginSO(t), "-l", logFile,
		"-i", "dummy", "-p", `dummy={"log":"%ASA-4-999001: user message"}`, "-p", "rate=20", "-t", "net.user",
		"-i", "dummy", "-p", `dummy={"log":"%ASA-6-999999: nobody knows"}`, "-p", "rate=5", "-t", "net.unknown",
		"-o", "enrich", "-m", "net.*", "-p", "Sink=stdout", "-p", "Catalog_File="+cat,
		"-p", "Catalog_Refresh_Interval=200ms", "-p", "Report_Interval=1s", "-p", "Report_File="+rep,
		"-f", "1")
	count := func(s string) int { return strings.Count(p.out.String(), s) }
	logged := func(s string) int {
		b, _ := os.ReadFile(logFile)
		return strings.Count(string(b), s)
	}
	waitFor(t, p, 30*time.Second, "records explained from the first catalog", func() bool { return count(`"explanation":"first"`) > 0 })
	write("second", "cisco_ftd_asa")
	waitFor(t, p, 30*time.Second, "the edited catalog in use", func() bool { return count(`"explanation":"second"`) > 0 })
	waitFor(t, p, 30*time.Second, "the reload in the log file", func() bool { return logged("catalog reloaded") > 0 })
	write("third", "no_such_product")
	waitFor(t, p, 30*time.Second, "the broken catalog refused", func() bool { return logged("catalog not reloaded, the catalog in use stays") > 0 })
	n := count(`"explanation":"second"`)
	waitFor(t, p, 30*time.Second, "records still explained from the kept catalog", func() bool { return count(`"explanation":"second"`) > n+5 })
	if c := logged("catalog not reloaded"); c != 1 || count(`"explanation":"third"`) > 0 {
		t.Errorf("refusal logged %d times (want 1); third used %d times (want 0)", c, count(`"explanation":"third"`))
	}
	waitFor(t, p, 30*time.Second, "the report in the log file", func() bool {
		return logged("unknown message IDs:") > 0 && logged(`unknown ID #1: 999999 (cisco_ftd_asa)`) > 0
	})
	waitFor(t, p, 30*time.Second, "the report file", func() bool {
		b, err := os.ReadFile(rep)
		return err == nil && strings.Contains(string(b), "cisco_ftd_asa,999999,6,,,")
	})
	if c := count("[output:enrich:"); c != 0 {
		t.Errorf("%d plugin lines on stderr, want all of them in the log file:\n%s", c, p.out.String())
	}
}

// TestECSPreset reads the fields of Field_Preset ecs as Fluent Bit passes
// them on.
func TestECSPreset(t *testing.T) {
	bin := fluentBitBinary(t)
	p := startFluentBit(t, bin, nil,
		"-e", pluginSO(t),
		"-i", "dummy", "-p", `dummy={"message":"%ASA-6-722051: Group <g> User <u> IP <192.0.2.1> IPv4 Address <10.0.0.1> IPv6 address <::> assigned to session"}`,
		"-t", "net.ecs", "-o", "enrich", "-m", "net.*", "-p", "Sink=stdout", "-p", "Field_Preset=ecs", "-f", "1")
	for _, want := range []string{`"event.code":"722051"`, `"log.syslog.severity.code":6`, `"log.level":"informational"`,
		`"enrich.product":"cisco_ftd_asa"`, `"enrich.catalog_id":"722051"`, `"enrich.explanation":"`} {
		waitFor(t, p, 30*time.Second, want, func() bool { return strings.Contains(p.out.String(), want) })
	}
}

// TestHealthEndpoint checks that the shipped files serve Fluent Bit's health check at
// /api/v1/health, where Kubernetes probes ask (the Fluent Bit Helm chart's readiness probe among
// them): without Health_Check On, 5.x answers it with 404 and older versions with the build
// information that "/" gives.
func TestHealthEndpoint(t *testing.T) {
	bin, so := fluentBitBinary(t), pluginSO(t)
	agent, aggregator := newTwoTier(t, bin, so)
	for _, s := range []*shipped{
		newShipped(t, bin, so, filepath.Join(repoRoot(t), "fluent-bit.conf")),
		newShipped(t, bin, so, filepath.Join(repoRoot(t), "fluent-bit.yaml")),
		agent, aggregator,
	} {
		t.Run(filepath.Base(s.config), func(t *testing.T) {
			p := s.start(t)
			defer p.stop()
			get := func(path string) (int, string, error) {
				resp, err := apiPoll.Get(fmt.Sprintf("http://127.0.0.1:%d%s", s.httpPort, path))
				if err != nil {
					return 0, "", err
				}
				defer resp.Body.Close()
				body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
				return resp.StatusCode, string(body), err
			}
			waitFor(t, p, 30*time.Second, "the HTTP server", func() bool {
				code, _, err := get("/")
				return err == nil && code == http.StatusOK
			})
			if code, body, err := get("/api/v1/health"); err != nil || code != http.StatusOK || body != "ok\n" {
				t.Errorf("GET /api/v1/health: %d %q %v, want 200 \"ok\\n\"", code, body, err)
			}
		})
	}
}
