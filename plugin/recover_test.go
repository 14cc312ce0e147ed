package main

import (
	"testing"
	"unsafe"

	"github.com/enrich-plugin/enrich/output"
)

// TestExportsRecoverPanics: a panic inside an exported call returns FLB_ERROR to Fluent Bit
// instead of ending its process. An instance with a zero output.Instance panics when closed.
func TestExportsRecoverPanics(t *testing.T) {
	key := unsafe.Pointer(new(byte))
	instances.Store(uintptr(key), &instance{out: &output.Instance{}})
	defer instances.Delete(uintptr(key))
	if ret := enrichExitCtx(key); ret != flbError {
		t.Errorf("exit of an instance that panics = %d, want FLB_ERROR (%d)", ret, flbError)
	}
}
