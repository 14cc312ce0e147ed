package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// TestRebuildLeavesLoadedFileAlone rebuilds the plugin over an existing build, as `make test`
// does to build/out_enrich.so, and fails when the file that was there is written in place. A
// Fluent Bit that has that file loaded maps its pages: rewritten under it (patchelf truncates and
// rewrites the file it patches), it dies of a SIGSEGV, faulting again inside its signal handler,
// with no output. The new build must be a new file, which leaves the loaded one untouched.
func TestRebuildLeavesLoadedFileAlone(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out_enrich.so")
	build := func() {
		t.Helper()
		cmd := exec.Command("./scripts/build-so.sh", runtime.GOARCH, out)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build-so.sh: %v\n%s", err, b)
		}
	}
	build()
	loaded, err := os.Open(out) // stands for the Fluent Bit that loaded this build
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	// contents is what the process that loaded the first build sees of it.
	contents := func() (os.FileInfo, []byte) {
		t.Helper()
		fi, err := loaded.Stat()
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, fi.Size())
		if _, err := loaded.ReadAt(b, 0); err != nil {
			t.Fatal(err)
		}
		return fi, b
	}
	before, want := contents()
	build()
	after, got := contents()
	if !after.ModTime().Equal(before.ModTime()) || !bytes.Equal(got, want) {
		t.Errorf("the rebuild wrote into the file a running Fluent Bit would have loaded (size %d -> %d, "+
			"modified %v -> %v): it must replace the file, not rewrite it", before.Size(), after.Size(),
			before.ModTime(), after.ModTime())
	}
	now, err := os.Stat(out)
	if err != nil {
		t.Fatalf("no build after the rebuild: %v", err)
	}
	if os.SameFile(before, now) {
		t.Errorf("%s is still the file of the first build: the rebuild did not replace it", out)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(out), "out_enrich.h")); err != nil {
		t.Errorf("the C header next to the build: %v", err)
	}
	if entries, err := os.ReadDir(filepath.Dir(out)); err == nil && len(entries) != 2 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files next to the build: %v; want out_enrich.so and out_enrich.h only", names)
	}
}
