package fluentbit

import (
	"bufio"
	"fmt"
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
