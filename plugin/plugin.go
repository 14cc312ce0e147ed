// Command plugin is the enrich Fluent Bit output plugin, built with
// -buildmode=c-shared into out_enrich.so. It is the only package that talks
// to C: each export checks what Fluent Bit passes, calls the output package
// and turns the result into a Fluent Bit return code. A panic never leaves
// an export, because it would take Fluent Bit down with it.
package main

/*
#include <stdlib.h>
#include "flb.h"
*/
import "C"

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
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

// initCount numbers instances in Init order, as Fluent Bit names them
// (enrich.0, enrich.1, ...), for the prefix of their log lines.
var initCount atomic.Int64

type instance struct {
	out     *output.Instance
	log     *flbLogger
	key     unsafe.Pointer
	metrics *metrics
	// initThread is the thread Init ran on: Fluent Bit's engine thread,
	// where flushes also run unless the output has Workers.
	initThread  C.long
	workersSeen atomic.Bool
}

//export FLBPluginRegister
func FLBPluginRegister(def unsafe.Pointer) (ret C.int) {
	defer func() {
		if r := recover(); r != nil {
			ret = -1
		}
	}()
	return C.enrich_register((*C.struct_flb_plugin_proxy_def)(def))
}

//export FLBPluginInit
func FLBPluginInit(plugin unsafe.Pointer) (ret C.int) {
	p := (*C.struct_flbgo_output_plugin)(plugin)
	if p == nil {
		return flbError
	}
	missing := C.enrich_cmt_resolve()
	name := fmt.Sprintf("enrich.%d", initCount.Add(1)-1)
	if n := C.enrich_output_name(p.o_ins); n != nil {
		name = C.GoString(n) // the instance's name or Alias, as Fluent Bit reports it
	}
	log := &flbLogger{api: p.api, ins: p.o_ins, prefix: "[output:enrich:" + name + "] "}
	defer recoverExport(&ret, log, "init")
	// The goroutine count shows whether closed instances (hot reload)
	// left anything running.
	log.Infof("enrich %s; %d goroutines running", version.String(), runtime.NumGoroutine())

	cfg, err := output.ParseConfig(properties{p})
	var out *output.Instance
	if err == nil {
		out, err = output.New(cfg, log, os.Stdout)
	}
	if err != nil {
		log.Errorf("cannot start: %v", err)
		return flbError
	}
	key := C.malloc(1)
	if key == nil || C.enrich_set_context(p, key) != 0 {
		C.free(key)
		_ = out.Close(context.Background()) // nothing was sent yet: nothing to lose
		log.Errorf("cannot start: Fluent Bit passed no instance context")
		return flbError
	}
	in := &instance{out: out, log: log, key: key, initThread: C.enrich_thread_id()}
	in.metrics = startMetrics(p, missing, name, out, log)
	instances.Store(uintptr(key), in)
	return flbOK
}

//export FLBPluginFlushCtx
func FLBPluginFlushCtx(ctx, data unsafe.Pointer, length C.size_t, tag *C.char) (ret C.int) {
	in := lookup(ctx)
	if in == nil {
		return flbError
	}
	defer recoverExport(&ret, in.log, "flush")
	return flush(in, data, length, tag)
}

//export FLBPluginExitCtx
func FLBPluginExitCtx(ctx unsafe.Pointer) (ret C.int) {
	in := lookup(ctx)
	if in == nil {
		return flbError
	}
	defer recoverExport(&ret, in.log, "exit")
	return exit(in)
}

func flush(in *instance, data unsafe.Pointer, length C.size_t, tag *C.char) C.int {
	if in.out == nil {
		return flbRetry // closed: Fluent Bit keeps the chunk
	}
	if tag == nil || (data == nil && length > 0) {
		in.log.Errorf("flush called without a tag or data")
		return flbError
	}
	if in.initThread != 0 && !in.workersSeen.Load() && C.enrich_thread_id() != in.initThread && in.workersSeen.CompareAndSwap(false, true) {
		in.log.Warnf("%s", workersWarning)
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
}

// workersWarning is logged once per instance when its flushes run on a
// thread other than the engine thread, that is when the output has Workers.
const workersWarning = "this output runs with Workers: Fluent Bit (3.x to 5.1) starts a Go output's worker pool twice and stops only one " +
	"at hot reload; the other outlives the reload and crashes Fluent Bit at a later one. Safe without Hot_Reload; " +
	"with hot reload, remove Workers from this output and set Threaded On on the in_forward input (see the README, Hot reload)"

// exit closes an instance, giving pending sends up to Ack_Timeout.
func exit(in *instance) C.int {
	if in.out == nil {
		return flbOK // a stub: the instance was closed already
	}
	ctx, cancel := context.WithTimeout(context.Background(), in.out.Config().AckTimeout)
	defer cancel()
	err := in.out.Close(ctx)
	in.metrics.close()
	// The key stays allocated: Fluent Bit may still hold it, and a freed key
	// could be reused by a later malloc and look valid. What it maps to
	// shrinks to what a late flush needs.
	instances.Store(uintptr(in.key), &instance{log: in.log, key: in.key})
	if err != nil {
		in.log.Warnf("exit: %v", err)
		return flbError
	}
	return flbOK
}

func lookup(ctx unsafe.Pointer) *instance {
	v, _ := instances.Load(uintptr(ctx)) // never stored under 0
	in, _ := v.(*instance)
	return in
}

// recoverExport turns a panic into FLB_ERROR and one log line.
func recoverExport(ret *C.int, log *flbLogger, op string) {
	if r := recover(); r != nil {
		*ret = flbError
		log.Errorf("%s: internal error, chunk not processed: %v", op, r)
	}
}

// metrics publishes an instance's Totals in the cmetrics context Fluent Bit
// keeps for it, which its HTTP server serves at /api/v2/metrics/prometheus.
// The series live in C memory (flb.c), created at Init.
type metrics struct {
	mu  sync.Mutex
	out *output.Instance
	c   *C.struct_enrich_metrics // nil once closed
}

// startMetrics creates the instance's metrics in the context Fluent Bit
// lends it and has out publish them, or logs why there are none.
func startMetrics(p *C.struct_flbgo_output_plugin, missing *C.char, name string, out *output.Instance, log *flbLogger) *metrics {
	if missing != nil {
		log.Infof("no metrics: this Fluent Bit does not export %s", C.GoString(missing))
		return nil
	}
	strs := []string{name, version.Plugin(), catalog.Version}
	for i := range catalog.NumProducts {
		strs = append(strs, string(catalog.ProductAt(i)))
	}
	cstrs := C.CString(strings.Join(strs, "\x00")) // C owns it from here, and frees it
	c := C.enrich_metrics_new(C.enrich_cmt_context(p.api, p.o_ins), cstrs, C.int(len(strs)))
	if c == nil {
		log.Infof("no metrics: Fluent Bit gave this instance no metrics context, or refused to create its metrics")
		return nil
	}
	m := &metrics{out: out, c: c}
	m.publish()
	out.OnStats(m.publish)
	return m
}

// publish sets every series to the instance's current statistics, in the
// order of flb.c's table. Counters only grow, and the lock makes each
// publish read them after the previous one, so a counter never goes down.
func (m *metrics) publish() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.c == nil {
		return
	}
	t := m.out.Totals()
	v := append([]int64{t.Enriched, t.UnknownID, t.NoID, t.Skipped}, t.EnrichedByProduct[:]...)
	v = append(v, t.Chunks, t.Payloads, t.FailedFlushes, t.Retries, t.CatalogEntries, t.CatalogReloads,
		t.CatalogReloadFailures)
	C.enrich_metrics_set(m.c, (*C.int64_t)(unsafe.Pointer(&v[0])), C.int(len(v)))
}

// close publishes the last values; Fluent Bit frees the context after exit.
func (m *metrics) close() {
	if m == nil {
		return
	}
	m.publish()
	m.mu.Lock()
	defer m.mu.Unlock()
	C.enrich_metrics_free(m.c)
	m.c = nil
}

// properties reads an instance's configuration during Init.
type properties struct {
	p *C.struct_flbgo_output_plugin
}

func (g properties) Get(key string) string {
	ck := C.CString(key)
	defer C.free(unsafe.Pointer(ck))
	v := C.enrich_get_property(g.p, ck)
	if v == nil {
		return ""
	}
	return C.GoString(v)
}

// flbLogger writes through Fluent Bit's log_print, at the instance's log
// level: a line is formatted only when output_log_check lets it through.
type flbLogger struct {
	api    *C.struct_flb_api
	ins    unsafe.Pointer
	prefix string
}

func (l *flbLogger) logf(level C.int, format string, args ...any) {
	if l == nil || C.enrich_log_enabled(l.api, l.ins, level) == 0 {
		return
	}
	msg := C.CString(l.prefix + fmt.Sprintf(format, args...))
	defer C.free(unsafe.Pointer(msg))
	C.enrich_log(l.api, l.ins, level, msg)
}

func (l *flbLogger) Errorf(format string, args ...any) {
	l.logf(C.ENRICH_FLB_LOG_ERROR, format, args...)
}
func (l *flbLogger) Warnf(format string, args ...any) { l.logf(C.ENRICH_FLB_LOG_WARN, format, args...) }
func (l *flbLogger) Infof(format string, args ...any) { l.logf(C.ENRICH_FLB_LOG_INFO, format, args...) }
func (l *flbLogger) Debugf(format string, args ...any) {
	l.logf(C.ENRICH_FLB_LOG_DEBUG, format, args...)
}

// main is never run: the package is built as a shared object.
func main() {}
