package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// metricsOf asks the live host for instance's metrics and returns them
// once the listing has ended.
func metricsOf(t *testing.T, h *liveHost, instance string) map[string]float64 {
	t.Helper()
	h.send(t, "metrics "+instance)
	for h.next(t, 30*time.Second) != "metrics "+instance+" end" {
	}
	return h.run.metrics
}

// TestCatalogReloadUnderFlushes edits the user catalog while four threads
// flush: every chunk is enriched from one catalog, the edit takes effect
// without a restart, a broken file is refused once with the old catalog
// kept, and the report lists the unknown ID at exit.
func TestCatalogReloadUnderFlushes(t *testing.T) {
	dir := t.TempDir()
	cat, rep := filepath.Join(dir, "user.csv"), filepath.Join(dir, "unknown.csv")
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(cat, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	header := "id,severity,explanation,action,product\n"
	write(header + "999001,4,first,act,cisco_ftd_asa\n")
	const per = 5
	data := writeChunk(t, chunk(append(repeat("%ASA-4-999001: user message", per-1), "%ASA-4-999999: nobody knows")...))
	h := startHost(t, 2*time.Minute, nil)
	h.send(t, fmt.Sprintf("instance A sink=stdout match=* catalog_file=%s catalog_refresh_interval=100ms report_file=%s", cat, rep),
		fmt.Sprintf("flush A t %s threads=4 repeat=1000 rate=50 duration=4000 async", data))
	reloads := func(result string) float64 {
		return metricsOf(t, h, "A")[`A fluentbit_enrich_catalog_reloads_total{name="A",result="`+result+`"}`]
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; inits %v, logs %v", what, h.run.inits, h.run.logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for !strings.HasPrefix(h.next(t, 30*time.Second), "init A ") {
	}
	write(header + "999001,4,second,act,cisco_ftd_asa\n")
	wait("the edited catalog", func() bool { return reloads("ok") == 1 })
	write(header + "999001,4,third,act,no_such_product\n")
	wait("the broken catalog refused", func() bool { return reloads("failed") == 1 })
	h.send(t, "wait", "exitctx A")
	r := h.finish(t)
	r.ok(t)
	if got := r.logsWith("error", "catalog not reloaded, the catalog in use stays"); len(got) != 1 || !strings.Contains(got[0], "line 2") {
		t.Errorf("refusal logged %q, want once with the line", got)
	}
	lines := parseJSONLines(t, r.stdout)
	if len(lines) == 0 || len(lines)%per != 0 {
		t.Fatalf("%d records written, want whole chunks of %d", len(lines), per)
	}
	seen := map[string]int{}
	for i := 0; i < len(lines); i += per {
		first := fmt.Sprint(lines[i].Record["explanation"])
		seen[first]++
		for _, l := range lines[i : i+per-1] {
			if e := fmt.Sprint(l.Record["explanation"]); e != first {
				t.Fatalf("chunk at record %d mixes catalogs: %q and %q", i, first, e)
			}
		}
	}
	if seen["first"] == 0 || seen["second"] == 0 || len(seen) != 2 {
		t.Errorf("chunks by explanation %v, want first and second only", seen)
	}
	b, err := os.ReadFile(rep)
	if err != nil || !strings.Contains(string(b), "\ncisco_ftd_asa,999999,4,,,") {
		t.Errorf("report file: %q, %v", b, err)
	}
}

// TestECSPresetThroughHost checks Field_Preset ecs as Fluent Bit passes
// it: the ECS fields on the record, and a configuration that cannot work
// refused at Init.
func TestECSPresetThroughHost(t *testing.T) {
	line := strings.Replace(knownLine, "%FTD-6-722051", "%FTD-4-722051", 1)
	body := appendStr(append([]byte{0x81}, appendStr(nil, "message")...), line)
	data := writeChunk(t, entry(nil, body))
	r := runHost(t, fmt.Sprintf("instance A sink=stdout match=* field_preset=ecs\nflush A t %s\ninstance B sink=stdout match=* field_preset=ecs message_key=log\nexitctx A\n", data), nil)
	if r.inits["A"] != flbOK || r.inits["B"] == flbOK {
		t.Fatalf("inits %v: want A to start and B (log as message key) to be refused", r.inits)
	}
	lines := parseJSONLines(t, r.stdout)
	if len(lines) != 1 {
		t.Fatalf("%d records", len(lines))
	}
	rec := lines[0].Record
	for k, want := range map[string]any{"event.code": "722051", "log.syslog.severity.code": 4.0, "log.syslog.severity.name": "warning",
		"log.level": "warning", "enrich.documented_severity": 6.0, "enrich.product": "cisco_ftd_asa", "enrich.catalog_id": "722051"} {
		if rec[k] != want {
			t.Errorf("%s = %v, want %v", k, rec[k], want)
		}
	}
	if s, _ := rec["enrich.explanation"].(string); s == "" {
		t.Errorf("no enrich.explanation in %v", rec)
	}
}
