package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestMetrics checks the series the plugin keeps in the metrics context
// Fluent Bit lends each instance: created at Init, moved by each flush,
// never set after exit, named after the instance (its alias here).
func TestMetrics(t *testing.T) {
	data := writeChunk(t, chunk(knownLine, unknownLine, noIDLine, knownLine))
	r := runHost(t, fmt.Sprintf(`
instance A sink=stdout match=* alias=edge
metrics A
flush A syslog.fw %[1]s threads=4 repeat=25
metrics A
flush A syslog.fw %[1]s
metrics A
exitctx A
flush A syslog.fw %[1]s
`, data), nil)
	r.ok(t)
	if got := r.logsWith("info", "[output:enrich:edge] effective configuration"); len(got) != 1 {
		t.Errorf("log lines under the instance's alias: got %d, want 1", len(got))
	}
	series := func(name, labels string) string {
		return "A fluentbit_enrich_" + name + `{name="edge"` + labels + "}"
	}
	for key, want := range map[string]float64{
		series("records_total", `,result="enriched"`):                202,
		series("records_total", `,result="unknown_id"`):              101,
		series("records_total", `,result="no_id"`):                   101,
		series("records_total", `,result="skipped"`):                 0,
		series("enriched_records_total", `,product="cisco_ftd_asa"`): 202,
		series("enriched_records_total", `,product="cisco_ios"`):     0,
		series("chunks_total", ""):                                   101,
		series("payloads_total", ""):                                 101,
		series("delivery_failures_total", ""):                        0,
		series("retries_total", ""):                                  0,
		series("catalog_reloads_total", `,result="ok"`):              0,
		series("catalog_reloads_total", `,result="failed"`):          0,
	} {
		if got, ok := r.metrics[key]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", key, got, ok, want)
		}
	}
	var info, entries bool
	for key, v := range r.metrics {
		switch {
		case strings.HasPrefix(key, series("info", "")[:len(series("info", ""))-1]+`,version="`):
			info = v == 1 && strings.Contains(key, `catalog="`)
		case key == series("catalog_entries", ""):
			entries = v > 0
		}
	}
	if !info || !entries {
		t.Errorf("info gauge set: %v, catalog_entries > 0: %v; metrics %v", info, entries, r.metrics)
	}
}

// TestMetricsMoveWithTraffic reads the metrics between flushes: each
// reading shows the flushes before it.
func TestMetricsMoveWithTraffic(t *testing.T) {
	data := writeChunk(t, chunk(knownLine, unknownLine))
	var script strings.Builder
	script.WriteString("instance A sink=stdout match=*\n")
	for i := 0; i < 3; i++ {
		fmt.Fprintf(&script, "metrics A\nflush A syslog.fw %s repeat=2\n", data)
	}
	script.WriteString("metrics A\n")
	var enriched []float64
	r := runHost(t, script.String(), func(line string) {
		if strings.HasPrefix(line, `metric A counter fluentbit_enrich_records_total{name="A",result="enriched"} `) {
			var v float64
			fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
			enriched = append(enriched, v)
		}
	})
	r.ok(t)
	if want := []float64{0, 2, 4, 6}; fmt.Sprint(enriched) != fmt.Sprint(want) {
		t.Errorf("enriched records at each reading: got %v, want %v", enriched, want)
	}
}

// TestMetricsUnavailable runs the plugin where Fluent Bit offers no
// metrics: without the cmetrics functions, and without a context. It logs
// one line and works as usual.
func TestMetricsUnavailable(t *testing.T) {
	data := writeChunk(t, chunk(knownLine))
	script := fmt.Sprintf("instance A sink=stdout match=*\nflush A syslog.fw %s\nexitctx A\n", data)
	for _, tt := range []struct {
		name, bin, env, want string
	}{
		{"no cmetrics functions", hostNoCmtPath, "", "no metrics: this Fluent Bit does not export cmt_counter_create"},
		{"no context", hostPath, "0", "no metrics: Fluent Bit gave this instance no metrics context"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv("HOST_CMT_CONTEXT", tt.env)
			}
			r := runHostBin(t, tt.bin, script, nil)
			r.ok(t)
			if got := r.logsWith("info", "no metrics"); len(got) != 1 || !strings.Contains(got[0], tt.want) {
				t.Errorf("log lines about metrics: got %q, want one with %q", got, tt.want)
			}
			if got := r.flushOf("A", "syslog.fw"); got.ok != 1 {
				t.Errorf("flush: got %+v, want ok", got)
			}
			if got := len(parseJSONLines(t, r.stdout)); got != 1 {
				t.Errorf("records written: got %d, want 1", got)
			}
		})
	}
}
