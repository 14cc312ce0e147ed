package forward

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
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
		{name: "tcp no port", in: "tcp://127.0.0.1", wantErr: "tcp://host:port"},
		{name: "tcp port zero", in: "tcp://127.0.0.1:0", wantErr: "port"},
		{name: "tcp port too big", in: "tcp://127.0.0.1:70000", wantErr: "port"},
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

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name       string
		mod        func(c *Config)
		wantFields []string
	}{
		{name: "defaults", mod: func(c *Config) {}},
		{name: "zero values select defaults", mod: func(c *Config) {
			c.AckTimeout, c.DialTimeout, c.MaxConns, c.MinBackoff, c.MaxBackoff = 0, 0, 0, 0, 0
		}},
		{name: "bad address", mod: func(c *Config) { c.Address = "localhost:24224" }, wantFields: []string{"Address"}},
		{name: "negative durations", mod: func(c *Config) {
			c.AckTimeout, c.DialTimeout = -time.Second, -1
		}, wantFields: []string{"AckTimeout", "DialTimeout"}},
		{name: "too many connections", mod: func(c *Config) { c.MaxConns = 5000 }, wantFields: []string{"MaxConns"}},
		{name: "negative connections", mod: func(c *Config) { c.MaxConns = -1 }, wantFields: []string{"MaxConns"}},
		{name: "backoff inverted", mod: func(c *Config) {
			c.MinBackoff, c.MaxBackoff = time.Second, time.Millisecond
		}, wantFields: []string{"MaxBackoff"}},
		{name: "CA file without TLS", mod: func(c *Config) { c.TLSCAFile = "/etc/ca.pem" }, wantFields: []string{"TLSCAFile"}},
		{name: "server name without TLS", mod: func(c *Config) { c.TLSServerName = "x" }, wantFields: []string{"TLSServerName"}},
		{name: "TLS over unix needs a name to verify", mod: func(c *Config) {
			c.Address, c.TLS = "unix:///tmp/f.sock", true
		}, wantFields: []string{"TLSServerName"}},
		{name: "TLS over unix without verify", mod: func(c *Config) {
			c.Address, c.TLS, c.TLSVerify = "unix:///tmp/f.sock", true, false
		}},
		{name: "hostname with newline", mod: func(c *Config) { c.SelfHostname = "a\nb" }, wantFields: []string{"SelfHostname"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig("tcp://127.0.0.1:24224")
			tt.mod(&cfg)
			err := cfg.Validate()
			var got []string
			for _, e := range unjoin(err) {
				var ce *ConfigError
				if !errors.As(e, &ce) {
					t.Fatalf("error %v is %T, want *ConfigError", e, e)
				}
				got = append(got, ce.Field)
				if !strings.Contains(e.Error(), ce.Field) {
					t.Errorf("error %q does not name its field %s", e, ce.Field)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.wantFields, ",") {
				t.Fatalf("Validate() fields = %v (%v), want %v", got, err, tt.wantFields)
			}
			if err != nil {
				if _, nerr := NewClient(cfg); nerr == nil {
					t.Errorf("NewClient accepted a config Validate rejects")
				}
			}
		})
	}
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestNewClientTLSCAFile(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file string
		want string
	}{
		{name: "missing file", file: filepath.Join(dir, "absent.pem"), want: "read CA file"},
		{name: "not a certificate", file: notPEM, want: "no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig("tcp://127.0.0.1:24224")
			cfg.TLS, cfg.TLSCAFile = true, tt.file
			_, err := NewClient(cfg)
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != "TLSCAFile" || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewClient = %v, want a TLSCAFile config error containing %q", err, tt.want)
			}
			var re *RetryableError
			if errors.As(err, &re) {
				t.Errorf("config error %v is retryable", err)
			}
		})
	}
}

func TestWithDefaults(t *testing.T) {
	got := Config{Address: "tcp://127.0.0.1:1", AckTimeout: time.Second}.withDefaults()
	if got.DialTimeout != time.Second {
		t.Errorf("DialTimeout = %s, want it capped at AckTimeout 1s", got.DialTimeout)
	}
	if d := DefaultConfig(""); got.MaxConns != d.MaxConns || got.MinBackoff != d.MinBackoff || got.MaxBackoff != d.MaxBackoff {
		t.Errorf("defaults not applied: %+v", got)
	}
}
