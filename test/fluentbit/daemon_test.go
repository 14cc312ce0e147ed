package fluentbit

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDaemonModeRefused runs Fluent Bit in daemon mode (Daemon On), which forks after loading
// the plugin and before starting it. The Go runtime does not survive a fork, so a call into Go
// in the child waits for ever: Fluent Bit would hang, delivering nothing, saying nothing and
// deaf to SIGTERM. The plugin must refuse to start there, naming daemon mode, so that Fluent
// Bit stops.
func TestDaemonModeRefused(t *testing.T) {
	bin := fluentBitBinary(t)
	// qemu-user aborts a forked child of a multi-threaded process at its first new thread (an
	// assertion of its own, cpu == current_cpu), before Fluent Bit opens its log or starts a plugin.
	if head := make([]byte, 1024); func() bool {
		f, err := os.Open(bin)
		if err != nil {
			return false
		}
		defer f.Close()
		n, _ := f.Read(head)
		return strings.Contains(string(head[:n]), "qemu-")
	}() {
		t.Skip("Fluent Bit runs under qemu-user, whose forked children of threaded processes abort")
	}
	so := pluginSO(t)
	dir := tempDir(t)
	logFile := filepath.Join(dir, "fluent-bit.log")
	conf := filepath.Join(dir, "daemon.conf")
	body := "[SERVICE]\n    Flush 1\n    Grace 1\n    Daemon On\n    Log_File " + logFile + "\n" +
		"[INPUT]\n    Name dummy\n    Tag net.test\n    Dummy " + dummyRecord + "\n" +
		"[OUTPUT]\n    Name enrich\n    Match net.*\n    Sink stdout\n"
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	// The daemon is the child of a process that exits at once: found by its configuration.
	daemons := func() []int {
		var pids []int
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			if cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); err == nil &&
				strings.Contains(string(cmdline), conf) {
				pids = append(pids, pid)
			}
		}
		return pids
	}
	t.Cleanup(func() {
		for _, pid := range daemons() {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	if out, err := exec.Command(bin, "-e", so, "-c", conf).CombinedOutput(); err != nil {
		t.Fatalf("start fluent-bit in daemon mode: %v\n%s", err, out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && len(daemons()) > 0 {
		time.Sleep(100 * time.Millisecond)
	}
	log, _ := os.ReadFile(logFile)
	if pids := daemons(); len(pids) > 0 {
		t.Errorf("fluent-bit in daemon mode still runs after 20s (pids %v): the plugin hung in the forked process", pids)
	}
	if !strings.Contains(string(log), "[output:enrich] cannot start") || !strings.Contains(string(log), "daemon mode") {
		t.Errorf("no error line of the plugin naming daemon mode:\n%s", log)
	}
}
