package e2e

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// maxGlibcMinor is the newest glibc (2.N) a plugin symbol may require: 2.17 is
// the oldest glibc of the distributions the plugin supports (RHEL 7 and
// Amazon Linux 2 ship 2.17 and 2.26) and the first with arm64.
const maxGlibcMinor = 17

// arm64SO returns the arm64 build of the plugin that BUILD_SO_ARM64 names
// (make test sets it), or skips.
func arm64SO(t *testing.T) string {
	t.Helper()
	p := os.Getenv("BUILD_SO_ARM64")
	if p == "" {
		t.Skip("BUILD_SO_ARM64 is not set: `make test` builds the arm64 plugin and sets it")
	}
	return p
}

// builds names the plugin builds to check: this machine's, and the arm64 one when
// BUILD_SO_ARM64 is set.
func builds() map[string]string {
	sos := map[string]string{"host": soPath}
	if p := os.Getenv("BUILD_SO_ARM64"); p != "" {
		sos["arm64"] = p
	}
	return sos
}

// TestGlibcSymbolVersions fails when a build of the plugin needs a glibc
// symbol version newer than 2.17, which older distributions refuse to load.
func TestGlibcSymbolVersions(t *testing.T) {
	for name, path := range builds() {
		t.Run(name, func(t *testing.T) {
			f, err := elf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			syms, err := f.ImportedSymbols()
			if err != nil || len(syms) == 0 {
				t.Fatalf("imported symbols of %s: %d, %v; want some", path, len(syms), err)
			}
			for _, s := range syms {
				minor, ok := glibcMinor(s.Version)
				if ok && minor > maxGlibcMinor {
					t.Errorf("%s needs %s@%s: newer than GLIBC_2.%d", filepath.Base(path), s.Name, s.Version, maxGlibcMinor)
				}
			}
			// The loader refuses a library whose list of needed versions names one the
			// running glibc lacks, even when no symbol uses it any more, unless it is weak.
			needs, err := f.DynamicVersionNeeds()
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range needs {
				for _, d := range n.Needs {
					if minor, ok := glibcMinor(d.Dep); ok && minor > maxGlibcMinor && d.Flags&elf.VER_FLG_WEAK == 0 {
						t.Errorf("%s needs version %s of %s: newer than GLIBC_2.%d and not weak", filepath.Base(path), d.Dep, n.Name, maxGlibcMinor)
					}
				}
			}
		})
	}
}

// TestBuildInfoReadable fails when a build of the plugin hides its Go build
// information from debug/buildinfo (go version -m, govulncheck -mode=binary), as
// patchelf --add-needed did by moving GNU_STACK before the data segment, or
// lacks libpthread.so.0 and libdl.so.2, where glibc before 2.34 holds the
// pthread_* and dl* functions whose versions build-so.sh clears.
func TestBuildInfoReadable(t *testing.T) {
	for name, path := range builds() {
		t.Run(name, func(t *testing.T) {
			info, err := buildinfo.ReadFile(path)
			if err != nil {
				t.Fatalf("build information of %s: %v", filepath.Base(path), err)
			}
			if info.Path != "github.com/enrich-plugin/enrich/plugin" {
				t.Errorf("%s: main package %q, want github.com/enrich-plugin/enrich/plugin", filepath.Base(path), info.Path)
			}
			f, err := elf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			libs, err := f.ImportedLibraries()
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"libpthread.so.0", "libdl.so.2"} {
				if !slices.Contains(libs, want) {
					t.Errorf("%s needs %v, not %s", filepath.Base(path), libs, want)
				}
			}
		})
	}
}

// glibcMinor returns N of a "GLIBC_2.N" or "GLIBC_2.N.M" version.
func glibcMinor(v string) (int, bool) {
	rest, ok := strings.CutPrefix(v, "GLIBC_2.")
	if !ok {
		return 0, false
	}
	rest, _, _ = strings.Cut(rest, ".")
	n, err := strconv.Atoi(rest)
	return n, err == nil
}

// TestArm64UnderQemu runs the arm64 plugin in the C host built for arm64,
// under qemu-user, and checks that it writes exactly what the host build
// writes for the same chunk.
func TestArm64UnderQemu(t *testing.T) {
	so := arm64SO(t)
	for _, tool := range []string{"aarch64-linux-gnu-gcc", "qemu-aarch64"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: install gcc-aarch64-linux-gnu, libc6-dev-arm64-cross and qemu-user (.ci/run does)", tool)
		}
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	host := filepath.Join(t.TempDir(), "host-arm64")
	out, err := exec.Command("aarch64-linux-gnu-gcc", "-O1", "-Wall", "-Wextra", "-Werror", "-o", host,
		filepath.Join(root, "test", "host", "host.c"), "-ldl", "-lpthread").CombinedOutput()
	if err != nil {
		t.Fatalf("build the arm64 host: %v\n%s", err, out)
	}

	data := writeChunk(t, chunk(knownLine, unknownLine, noIDLine))
	script := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(script, []byte(fmt.Sprintf(
		"instance A sink=stdout match=* params=on\nflush A syslog.fw %s threads=2 repeat=5\nexitctx A\n", data)), 0o600); err != nil {
		t.Fatal(err)
	}

	run := func(argv ...string) (stdout, stderr []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %v\n%s", argv, err, e.Bytes())
		}
		return o.Bytes(), e.Bytes()
	}
	want, _ := run(hostPath, soPath, script)
	// LD_LIBRARY_PATH (under -L) takes libc from the cross root, as the loader is: with Debian's
	// libc6:arm64 installed, the loader would find that one first, of another build, and hang.
	got, log := run("qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", "-E", "LD_LIBRARY_PATH=/lib", host, so, script)
	for _, line := range []string{"flush A syslog.fw calls=10 ok=10 ", "exitctx A rc=1 "} {
		if !strings.Contains(string(log), line) {
			t.Errorf("arm64 host output has no %q:\n%s", line, log)
		}
	}
	if n := len(bytes.Split(bytes.TrimSpace(want), []byte("\n"))); n != 30 {
		t.Fatalf("the host build wrote %d lines, want 30", n)
	}
	if string(got) != string(want) {
		t.Errorf("arm64 output differs from the host build's:\n%s\nwant\n%s", got, want)
	}
}
