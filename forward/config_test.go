package forward

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseAddress(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Address
		wantErr string
	}{
		{name: "tcp ipv4", in: "tcp://127.0.0.1:24224", want: Address{"tcp", "127.0.0.1:24224"}},
		{name: "tcp ipv6", in: "tcp://[::1]:24224", want: Address{"tcp", "[::1]:24224"}},
		{name: "tcp host name", in: "tcp://fluentd.example:24224", want: Address{"tcp", "fluentd.example:24224"}},
		{name: "unix", in: "unix:///run/fluent-bit/forward.sock", want: Address{"unix", "/run/fluent-bit/forward.sock"}},
		{name: "empty", in: "", wantErr: "is empty"},
		{name: "no scheme", in: "127.0.0.1:24224", wantErr: "want"},
		{name: "udp scheme", in: "udp://127.0.0.1:24224", wantErr: "want"},
		{name: "unix relative", in: "unix://forward.sock", wantErr: "absolute"},
		{name: "unix empty", in: "unix://", wantErr: "absolute"},
		{name: "unix root", in: "unix:///", wantErr: "absolute"},
		{name: "unix path of 2 bytes", in: "unix:///s", want: Address{"unix", "/s"}},
		{name: "unix path with NUL", in: "unix:///run/a\x00b.sock", wantErr: "without NUL"},
		// A socket address holds 107 bytes and a NUL: a longer path fails every dial.
		{name: "unix path of 107 bytes", in: "unix:///" + strings.Repeat("s", 106), want: Address{"unix", "/" + strings.Repeat("s", 106)}},
		{name: "unix path of 108 bytes", in: "unix:///" + strings.Repeat("s", 107), wantErr: "at most 107 bytes"},
		{name: "tcp no port", in: "tcp://127.0.0.1", wantErr: "tcp://host:port"},
		{name: "tcp port zero", in: "tcp://127.0.0.1:0", wantErr: "port"},
		{name: "tcp port too big", in: "tcp://127.0.0.1:70000", wantErr: "port"},
		{name: "tcp port 65535", in: "tcp://127.0.0.1:65535", want: Address{"tcp", "127.0.0.1:65535"}},
		{name: "tcp port 65536", in: "tcp://127.0.0.1:65536", wantErr: "port"},
		{name: "tcp host with a space", in: "tcp://fluent bit:24224", wantErr: "not a host name"},
		{name: "tcp host with a user", in: "tcp://user@fluentd.example:24224", wantErr: "not a host name"},
		{name: "tcp port name", in: "tcp://127.0.0.1:fwd", wantErr: "port"},
		{name: "tcp no host", in: "tcp://:24224", wantErr: "host is empty"},
		{name: "tcp with path", in: "tcp://127.0.0.1:24224/x", wantErr: "port"},
		{name: "ipv6 without brackets", in: "tcp://::1:24224", wantErr: "tcp://host:port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAddress(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseAddress(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseAddress(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if back, err := ParseAddress(got.String()); err != nil || back != got {
				t.Errorf("round trip of %v = %v, %v", got, back, err)
			}
		})
	}
}

func TestNewClientTLSCAFile(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "ca.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file string
		want string
	}{
		{name: "missing file", file: filepath.Join(dir, "absent.pem"), want: "no such file"},
		{name: "not a certificate", file: notPEM, want: "no PEM certificate"},
		// Reading a FIFO would wait for a writer: Init, and Fluent Bit's start or reload, would hang.
		{name: "named pipe", file: fifo, want: "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig("tcp://127.0.0.1:24224")
			cfg.TLS, cfg.TLSCAFile = true, tt.file
			done := make(chan error, 1)
			go func() { _, err := NewClient(cfg); done <- err }()
			var err error
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("NewClient with CA file %s did not return", tt.file)
			}
			if err == nil || !strings.Contains(err.Error(), tt.file) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewClient = %v, want an error naming %s and containing %q", err, tt.file, tt.want)
			}
			var re *RetryableError
			if errors.As(err, &re) {
				t.Errorf("config error %v is retryable", err)
			}
		})
	}
}

func TestWithDefaults(t *testing.T) {
	got := Config{Address: "tcp://127.0.0.1:1", AckTimeout: time.Second, MaxConns: -1, MinBackoff: -1}.withDefaults()
	if got.DialTimeout != time.Second {
		t.Errorf("DialTimeout = %s, want it capped at AckTimeout 1s", got.DialTimeout)
	}
	if d := DefaultConfig(""); got.MaxConns != d.MaxConns || got.MinBackoff != d.MinBackoff || got.MaxBackoff != d.MaxBackoff {
		t.Errorf("defaults not applied: %+v", got)
	}
	// As docs/failure-behaviour.md says: attempts after failures wait 100ms, doubling up to 5s.
	if d := DefaultConfig(""); d.MinBackoff != 100*time.Millisecond || d.MaxBackoff != 5*time.Second {
		t.Errorf("default backoff from %s up to %s, want the documented 100ms up to 5s", d.MinBackoff, d.MaxBackoff)
	}
	// The backoff doubles from MinBackoff up to MaxBackoff: a MaxBackoff below it is raised to it.
	got = Config{MinBackoff: time.Minute, MaxBackoff: time.Second}.withDefaults()
	if got.MaxBackoff != time.Minute {
		t.Errorf("MaxBackoff = %s below MinBackoff 1m, want it raised to 1m", got.MaxBackoff)
	}
}

func TestNewClientBadAddress(t *testing.T) {
	if _, err := NewClient(Config{Address: "localhost:24224"}); err == nil || !strings.Contains(err.Error(), "localhost:24224") {
		t.Fatalf("NewClient = %v, want an error naming the address", err)
	}
}

// TestNewClientTLSServerName: the receiver's certificate is checked against the host of the
// address, without an IPv6 zone, which names an interface of this host.
func TestNewClientTLSServerName(t *testing.T) {
	for _, tt := range []struct{ addr, want string }{
		{"tcp://logs.example:24224", "logs.example"},
		{"tcp://[fe80::1%eth0]:24224", "fe80::1"},
	} {
		cfg := DefaultConfig(tt.addr)
		cfg.TLS = true
		if got := newClient(t, cfg).tlsConfig.ServerName; got != tt.want {
			t.Errorf("TLS server name for %s = %q, want %q", tt.addr, got, tt.want)
		}
	}
}
