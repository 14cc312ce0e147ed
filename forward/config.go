package forward

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Defaults applied by NewClient to zero-valued Config fields.
const (
	DefaultAckTimeout  = 10 * time.Second
	DefaultDialTimeout = 5 * time.Second
	DefaultMaxConns    = 4
	DefaultMinBackoff  = 100 * time.Millisecond
	DefaultMaxBackoff  = 5 * time.Second
	// DefaultStallTimeout is short because a running in_forward reads a payload in
	// milliseconds: a receiver that reads nothing for a second is paused (Fluent Bit
	// stopping or reloading), and waiting for it only holds the flush.
	DefaultStallTimeout = time.Second

	// maxMaxConns keeps a typo in the pool size from opening thousands of sockets.
	maxMaxConns = 1024
)

// Config describes the receiver and how to talk to it. Zero durations and counts take the
// defaults above; start from DefaultConfig to also get TLSVerify on.
type Config struct {
	// Address is "unix:///absolute/path" or "tcp://host:port" ("tcp://[::1]:24224" for IPv6).
	Address string
	// SharedKey, when set, makes the client run the Forward v1 handshake (HELO, PING, PONG).
	SharedKey string
	// SelfHostname is sent in PING; empty means os.Hostname().
	SelfHostname string
	// TLS wraps the connection in TLS.
	TLS bool
	// TLSCAFile is a PEM file of CA certificates to verify the receiver with; empty means the
	// system pool.
	TLSCAFile string
	// TLSVerify checks the receiver's certificate and name. Its zero value is false, so a
	// Config built from scratch must set it; DefaultConfig sets it to true.
	TLSVerify bool
	// TLSServerName is the name expected in the certificate; empty means the host of Address.
	TLSServerName string
	// AckTimeout bounds a whole Send: waiting for a free connection, connecting, the handshake,
	// writing and waiting for the ack.
	AckTimeout time.Duration
	// DialTimeout bounds connecting plus the TLS and shared-key handshakes (never beyond
	// AckTimeout).
	DialTimeout time.Duration
	// MaxConns is the number of connections, and so of Sends in flight at once.
	MaxConns int
	// MinBackoff and MaxBackoff bound the delay between connection attempts after failures:
	// it starts at MinBackoff, doubles per failure up to MaxBackoff and resets on an ack.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// StallTimeout ends a Send early, as a retryable ErrStalled, when the receiver has
	// read none of the bytes waiting for it on the socket for this long (a paused
	// in_forward accepts connections but reads nothing). Negative turns the check off.
	// It sees the receiver's reads on unix sockets; over TCP it sees only the peer's
	// kernel, so there it ends a Send only once the peer's receive buffer is full.
	StallTimeout time.Duration
}

// DefaultConfig returns a Config for address with every default filled in and TLSVerify on.
func DefaultConfig(address string) Config {
	return Config{
		Address:      address,
		TLSVerify:    true,
		AckTimeout:   DefaultAckTimeout,
		DialTimeout:  DefaultDialTimeout,
		MaxConns:     DefaultMaxConns,
		MinBackoff:   DefaultMinBackoff,
		MaxBackoff:   DefaultMaxBackoff,
		StallTimeout: DefaultStallTimeout,
	}
}

// withDefaults fills zero-valued fields.
func (c Config) withDefaults() Config {
	if c.AckTimeout == 0 {
		c.AckTimeout = DefaultAckTimeout
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.DialTimeout > c.AckTimeout {
		c.DialTimeout = c.AckTimeout
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = DefaultMinBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.StallTimeout == 0 {
		c.StallTimeout = DefaultStallTimeout
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = c.MinBackoff
	}
	return c
}

// Validate reports every field that cannot work, each as a *ConfigError naming the field.
// Zero values are valid: they select the defaults.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, value string, format string, args ...any) {
		errs = append(errs, &ConfigError{Field: field, Value: value, Err: fmt.Errorf(format, args...)})
	}
	addr, err := ParseAddress(c.Address)
	if err != nil {
		errs = append(errs, &ConfigError{Field: "Address", Value: c.Address, Err: err})
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"AckTimeout", c.AckTimeout},
		{"DialTimeout", c.DialTimeout},
		{"MinBackoff", c.MinBackoff},
		{"MaxBackoff", c.MaxBackoff},
	} {
		if d.v < 0 {
			bad(d.name, d.v.String(), "must not be negative")
		}
	}
	if c.MaxConns < 0 || c.MaxConns > maxMaxConns {
		bad("MaxConns", strconv.Itoa(c.MaxConns), "must be between 1 and %d (0 selects %d)", maxMaxConns, DefaultMaxConns)
	}
	if c.MinBackoff > 0 && c.MaxBackoff > 0 && c.MaxBackoff < c.MinBackoff {
		bad("MaxBackoff", c.MaxBackoff.String(), "must not be below MinBackoff %s", c.MinBackoff)
	}
	if strings.ContainsAny(c.SelfHostname, "\x00\r\n") {
		bad("SelfHostname", c.SelfHostname, "must not contain NUL or line breaks")
	}
	if !c.TLS {
		if c.TLSCAFile != "" {
			bad("TLSCAFile", c.TLSCAFile, "is set but TLS is off")
		}
		if c.TLSServerName != "" {
			bad("TLSServerName", c.TLSServerName, "is set but TLS is off")
		}
	} else if err == nil && addr.Network == "unix" && c.TLSVerify && c.TLSServerName == "" {
		bad("TLSServerName", "", "is required to verify TLS over a unix socket (the address has no host name)")
	}
	return errors.Join(errs...)
}

// Address is a parsed receiver address.
type Address struct {
	// Network is "tcp" or "unix".
	Network string
	// Addr is "host:port" for tcp and the socket path for unix.
	Addr string
}

// String returns the address in the form ParseAddress accepts.
func (a Address) String() string { return a.Network + "://" + a.Addr }

// Host returns the host part of a tcp address, or "" for unix sockets.
func (a Address) Host() string {
	if a.Network != "tcp" {
		return ""
	}
	h, _, err := net.SplitHostPort(a.Addr)
	if err != nil {
		return ""
	}
	return h
}

// ParseAddress parses "unix:///absolute/path" or "tcp://host:port" (IPv6 hosts in brackets).
func ParseAddress(s string) (Address, error) {
	switch {
	case strings.HasPrefix(s, "unix://"):
		p := strings.TrimPrefix(s, "unix://")
		if !strings.HasPrefix(p, "/") || len(p) < 2 {
			return Address{}, errors.New(`unix socket path must be absolute, as in "unix:///run/fluent-bit/forward.sock"`)
		}
		if strings.ContainsRune(p, 0) {
			return Address{}, errors.New("unix socket path must not contain NUL")
		}
		return Address{Network: "unix", Addr: p}, nil
	case strings.HasPrefix(s, "tcp://"):
		hp := strings.TrimPrefix(s, "tcp://")
		host, port, err := net.SplitHostPort(hp)
		if err != nil {
			return Address{}, fmt.Errorf(`want "tcp://host:port" (IPv6 as "tcp://[::1]:24224"): %w`, err)
		}
		if host == "" {
			return Address{}, errors.New(`host is empty: want "tcp://host:port", for example "tcp://127.0.0.1:24224"`)
		}
		if strings.ContainsAny(host, "/?#@ ") {
			return Address{}, fmt.Errorf("host %q is not a host name or IP address", host)
		}
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return Address{}, fmt.Errorf("port %q must be a number from 1 to 65535", port)
		}
		return Address{Network: "tcp", Addr: net.JoinHostPort(host, port)}, nil
	case s == "":
		return Address{}, errors.New(`is empty: want "unix:///path" or "tcp://host:port"`)
	default:
		return Address{}, errors.New(`want "unix:///path" or "tcp://host:port"`)
	}
}
