// Command plugin is the enrich Fluent Bit output plugin (out_enrich.so), the only package that
// talks to C: each export checks what Fluent Bit passes, calls the output package and returns a
// Fluent Bit code. A panic never leaves an export: it would take Fluent Bit down with it.
package main

/*
#include <stdlib.h>
#include "flb.h"
*/
import "C"

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
	"unsafe"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/output"
	"github.com/enrich-plugin/enrich/version"
)

// The return codes Fluent Bit understands; they appear nowhere else.
const (
	flbError = C.int(C.ENRICH_FLB_ERROR)
	flbOK    = C.int(C.ENRICH_FLB_OK)
	flbRetry = C.int(C.ENRICH_FLB_RETRY)
)

// instances maps the context key handed to Fluent Bit in Init (a byte of C
// memory: cgo forbids Go pointers in C memory) to its instance; an unknown
// key is refused. Exit replaces an entry with a closed stub, which answers
// a late flush with a retry rather than an error that would drop its chunk.
var instances sync.Map // uintptr -> *instance

// initCount numbers instances in Init order, as Fluent Bit names them (enrich.0, enrich.1, ...).
var initCount atomic.Int64

type instance struct {
	out     *output.Instance
	log     *flbLogger
	metrics *metrics
	// initThread is Fluent Bit's engine thread, where flushes run unless the output has Workers.
	initThread  C.long
	workersOnce sync.Once
}

//export FLBPluginRegister
func FLBPluginRegister(def unsafe.Pointer) (ret C.int) {
	defer recoverExport(&ret, -1, nil, "register") // no logger yet
	C.enrich_save_fault_handlers()
	return C.enrich_register((*C.struct_flb_plugin_proxy_def)(def))
}

// enrichInit is FLBPluginInit, which flb.c defines: it calls Go only in the process that loaded the plugin.
//
//export enrichInit
func enrichInit(plugin unsafe.Pointer) (ret C.int) {
	C.enrich_restore_fault_handlers()
	p := (*C.struct_flbgo_output_plugin)(plugin)
	if p == nil || C.enrich_refuse_old_api() != 0 {
		return flbError
	}
	missing := C.enrich_cmt_resolve()
	n := initCount.Add(1) - 1 // every instance is counted, as Fluent Bit numbers them
	// The instance's name or Alias as Fluent Bit reports it; C.GoString(nil) is "".
	name := cmp.Or(C.GoString(C.enrich_output_name(p.o_ins)), fmt.Sprintf("enrich.%d", n))
	log := &flbLogger{api: p.api, ins: p.o_ins, prefix: "[output:enrich:" + cut(name, maxLogName) + "] "}
	defer recoverExport(&ret, flbError, log, "init")
	var out *output.Instance
	defer func() { // an instance that failed to start, even by a panic, stops; it has sent nothing
		if ret != flbOK && out != nil {
			_ = out.Close(context.Background())
		}
	}()
	// The goroutine count shows whether closed instances (hot reload) left anything running.
	log.Infof("enrich %s; %d goroutines running", version.String(), runtime.NumGoroutine())

	cfg, err := output.ParseConfig(properties{p})
	if err == nil {
		out, err = output.New(cfg, log, nil)
	}
	if err != nil {
		log.Errorf("cannot start: %v", err)
		return flbError
	}
	shared := false
	for _, v := range instances.Range {
		o, ok := v.(*instance)
		if !ok || o.out == nil {
			continue
		}
		warning, err := out.CheckFilesOf(o.out)
		if err != nil {
			log.Errorf("cannot start: %v", err)
			return flbError
		}
		if warning != "" && !shared {
			log.Warnf("%s", warning)
			shared = true
		}
	}
	key := C.malloc(1)
	if key == nil || C.enrich_set_context(p, key) != 0 {
		C.free(key)
		log.Errorf("cannot start: Fluent Bit passed no instance context")
		return flbError
	}
	in := &instance{out: out, log: log, initThread: C.enrich_thread_id()}
	in.metrics = startMetrics(p, missing, name, out, log)
	instances.Store(uintptr(key), in)
	return flbOK
}

//export FLBPluginFlushCtx
func FLBPluginFlushCtx(ctx, data unsafe.Pointer, length C.size_t, tag *C.char) C.int {
	return withInstance(ctx, "flush", flbRetry, func(in *instance) C.int {
		if tag == nil || (data == nil && length > 0) {
			in.log.Errorf("flush called without a tag or data")
			return flbError
		}
		if C.enrich_thread_id() != in.initThread {
			in.workersOnce.Do(func() { in.log.Warnf("%s", workersWarning) })
		}
		chunk := unsafe.Slice((*byte)(data), int(length)) // no copy: it is only read during this call
		err := in.out.Flush(context.Background(), C.GoString(tag), chunk)
		switch {
		case err == nil:
			return flbOK
		case output.IsRetryable(err):
			return flbRetry
		default:
			in.log.Errorf("dropping chunk: %v", err)
			return flbError
		}
	})
}

// workersWarning is logged once per instance when its flushes run off the engine thread.
const workersWarning = "this output runs with Workers: Fluent Bit (2.2 to 5.1) starts a Go output's worker pool twice and stops only one " +
	"at hot reload; the other outlives the reload and crashes Fluent Bit at a later one. Safe without Hot_Reload; " +
	"with hot reload, remove Workers from this output and set Threaded On on the in_forward input (see the README, Hot reload)"

// enrichExitCtx is FLBPluginExitCtx (see enrichInit): it closes an instance, giving pending sends up
// to Ack_Timeout.
//
//export enrichExitCtx
func enrichExitCtx(ctx unsafe.Pointer) C.int {
	return withInstance(ctx, "exit", flbOK, func(in *instance) C.int {
		deadline, cancel := context.WithTimeout(context.Background(), in.out.Config().AckTimeout)
		defer cancel()
		err := in.out.Close(deadline)
		in.metrics.close(in.out)
		// The key stays allocated, or a later malloc could reuse it while Fluent Bit still holds
		// it; what it maps to shrinks to what a late flush needs.
		instances.Store(uintptr(ctx), &instance{log: in.log})
		if err != nil {
			in.log.Warnf("exit: %v", err)
			return flbError
		}
		return flbOK
	})
}

// withInstance runs f on the instance of ctx, or returns FLB_ERROR for an unknown ctx or a
// panic. A closed instance's stub answers closed: a late flush is retried, a second exit done.
func withInstance(ctx unsafe.Pointer, op string, closed C.int, f func(*instance) C.int) (ret C.int) {
	C.enrich_restore_fault_handlers()
	v, _ := instances.Load(uintptr(ctx)) // never stored under 0
	in, ok := v.(*instance)
	if !ok {
		return flbError
	}
	defer recoverExport(&ret, flbError, in.log, op)
	if in.out == nil {
		return closed
	}
	return f(in)
}

// recoverExport turns a panic into the return code fail and one log line.
func recoverExport(ret *C.int, fail C.int, log *flbLogger, op string) {
	if r := recover(); r != nil {
		*ret = fail
		log.Errorf("%s: internal error, chunk not processed: %v", op, r)
	}
}

// metrics publishes an instance's statistics in the cmetrics context Fluent Bit serves at
// /api/v2/metrics/prometheus. The series and their labels live in C memory, created at Init;
// each publish sets them all in one C call.
type metrics struct {
	st     output.Totals // as publish last read them
	series []C.struct_enrich_series
	values []*int64 // of each series, into st
	cstrs  []unsafe.Pointer
}

const counter, gauge = 0, 1

// metricDef is one metric: its label keys after "name", and for each series
// the values of those labels and the statistic it shows.
type metricDef struct {
	name, help string
	kind       C.int
	keys       []string
	labels     [][]string
	values     []*int64
}

func metricDefs(t *output.Totals) []metricDef {
	var products [][]string
	var byProduct []*int64
	for i := range catalog.NumProducts {
		products = append(products, []string{string(catalog.ProductAt(i))})
		byProduct = append(byProduct, &t.EnrichedByProduct[i])
	}
	one, info := [][]string{nil}, int64(1)
	return []metricDef{
		{"records_total", "Records processed, by result.", counter, []string{"result"},
			[][]string{{"enriched"}, {"unknown_id"}, {"no_id"}, {"skipped"}},
			[]*int64{&t.Enriched, &t.UnknownID, &t.NoID, &t.Skipped}},
		{"enriched_records_total", "Records enriched, by the product of their catalog entry.", counter,
			[]string{"product"}, products, byProduct},
		{"chunks_total", "Chunks delivered, or dropped as a loop, once each.", counter, nil, one, []*int64{&t.Chunks}},
		{"payloads_total", "Payloads delivered to the sink.", counter, nil, one, []*int64{&t.Payloads}},
		{"delivery_failures_total", "Flushes whose delivery failed: a payload the sink did not accept, or Ack_Timeout passed.", counter, nil, one,
			[]*int64{&t.FailedFlushes}},
		{"retries_total", "Chunks handed back to Fluent Bit to retry.", counter, nil, one, []*int64{&t.Retries}},
		{"catalog_entries", "Catalog entries loaded, user catalogs included.", gauge, nil, one,
			[]*int64{&t.CatalogEntries}},
		{"catalog_reloads_total", "Catalog_File reloads, by result.", counter, []string{"result"},
			[][]string{{"ok"}, {"failed"}}, []*int64{&t.CatalogReloads, &t.CatalogReloadFailures}},
		{"info", "The plugin and catalog versions.", gauge, []string{"version", "catalog"},
			[][]string{{version.Plugin(), catalog.Version}}, []*int64{&info}},
	}
}

// startMetrics creates the instance's metrics in the context Fluent Bit
// lends it, sets them and has out publish them, or logs why there are none.
func startMetrics(p *C.struct_flbgo_output_plugin, missing *C.char, name string, out *output.Instance, log *flbLogger) *metrics {
	if missing != nil {
		log.Infof("no metrics: this Fluent Bit does not export %s", C.GoString(missing))
		return nil
	}
	ctx, m := C.enrich_cmt_context(p.api, p.o_ins), &metrics{}
	for _, d := range metricDefs(&m.st) {
		nh, keys := m.cstrings(d.name, d.help), m.cstrings(append([]string{"name"}, d.keys...)...)
		metric := C.enrich_cmt_new(ctx, d.kind, nh[0], nh[1], C.int(len(keys)), &keys[0]) // nil without ctx
		if metric == nil {
			m.free()
			log.Infof("no metrics: Fluent Bit gave this instance no metrics context, or refused to create its metrics")
			return nil
		}
		for _, labels := range d.labels {
			m.series = append(m.series, C.struct_enrich_series{metric: metric, gauge: d.kind,
				nlabels: C.int(len(labels) + 1), labels: &m.cstrings(append([]string{name}, labels...)...)[0]})
		}
		m.values = append(m.values, d.values...)
	}
	m.publish(out.Totals())
	out.OnStats(m.publish)
	return m
}

// publish sets every series to t; the instance's OnStats calls come one at a time, in order.
func (m *metrics) publish(t output.Totals) {
	m.st = t
	for i, v := range m.values {
		m.series[i].value = C.double(*v)
	}
	C.enrich_cmt_update(&m.series[0], C.int(len(m.series)))
}

// close publishes the last values; Fluent Bit frees the context after exit.
func (m *metrics) close(out *output.Instance) {
	if m != nil {
		out.OnStats(nil) // once it returns, no publish runs
		m.publish(out.Totals())
		m.free()
	}
}

// cstrings copies ss to a C array of C strings, freed with the metrics.
func (m *metrics) cstrings(ss ...string) []*C.char {
	a := unsafe.Slice((**C.char)(C.malloc(C.size_t(len(ss))*C.size_t(unsafe.Sizeof(uintptr(0))))), len(ss))
	m.cstrs = append(m.cstrs, unsafe.Pointer(&a[0]))
	for i, s := range ss {
		a[i] = C.CString(s)
		m.cstrs = append(m.cstrs, unsafe.Pointer(a[i]))
	}
	return a
}

func (m *metrics) free() {
	for _, c := range m.cstrs {
		C.free(c)
	}
	m.cstrs, m.series = nil, nil
}

// properties reads an instance's configuration during Init.
type properties struct{ p *C.struct_flbgo_output_plugin }

func (g properties) Get(key string) string {
	ck := C.CString(key)
	defer C.free(unsafe.Pointer(ck))
	return C.GoString(C.enrich_get_property(g.p, ck)) // "" for nil
}

// flbLogger writes through Fluent Bit's log_print, at the instance's log
// level: a line is formatted only when output_log_check lets it through.
type flbLogger struct {
	api    *C.struct_flb_api
	ins    unsafe.Pointer
	prefix string
}

// maxLogLine is the most a log line carries here: Fluent Bit cuts a line,
// its header included, at 4 KiB. A name in the prefix is cut to maxLogName bytes,
// as Fluent Bit takes an Alias of any length.
const maxLogLine, maxLogName = 3800, 256

// logf logs each line of the message on a line of its own, in pieces of at most maxLogLine bytes.
func (l *flbLogger) logf(level C.int, format string, args ...any) {
	if l == nil || C.enrich_log_enabled(l.api, l.ins, level) == 0 {
		return
	}
	for line := range strings.Lines(fmt.Sprintf(format, args...)) {
		line = strings.TrimRight(line, "\r\n")
		for more := true; more; more = line != "" { // an empty line is logged too
			piece := cut(line, maxLogLine-len(l.prefix))
			line = line[len(piece):]
			msg := C.CString(l.prefix + piece)
			C.enrich_log(l.api, l.ins, level, msg)
			C.free(unsafe.Pointer(msg))
		}
	}
}

// cut returns the start of s of at most n bytes, ending between characters where s is
// UTF-8 (it looks back as far as a character is long); it keeps a byte of a non-empty s.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	n = max(n, 1)
	for k := n; k >= 1 && k > n-utf8.UTFMax; k-- {
		if utf8.RuneStart(s[k]) {
			return s[:k]
		}
	}
	return s[:n]
}

func (l *flbLogger) Errorf(f string, a ...any) { l.logf(C.ENRICH_FLB_LOG_ERROR, f, a...) }
func (l *flbLogger) Warnf(f string, a ...any)  { l.logf(C.ENRICH_FLB_LOG_WARN, f, a...) }
func (l *flbLogger) Infof(f string, a ...any)  { l.logf(C.ENRICH_FLB_LOG_INFO, f, a...) }
func (l *flbLogger) Debugf(f string, a ...any) { l.logf(C.ENRICH_FLB_LOG_DEBUG, f, a...) }

// main is never run: the package is built as a shared object.
func main() {}
