// Package forward sends records to an in_forward receiver in Forward protocol v1 PackedForward
// mode. A Send returns nil only once the receiver acknowledged the chunk, which lets the enrich
// output hand records back to Fluent Bit without losing any; any other outcome is an error the
// caller answers with a retry. A Client keeps a pool of connections, connects lazily, backs off
// after failures, and supports TLS and the shared-key handshake; a new connection without either
// is first probed with an empty Forward mode message (probe).
package forward

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Causes a RetryableError can carry; match them with errors.Is.
var (
	ErrAckTimeout  = errors.New("no ack before the ack timeout")
	ErrAckMismatch = errors.New("ack for another chunk")
	ErrBackoff     = errors.New("reconnect delayed after recent failures")
	ErrAuthRefused = errors.New("receiver refused the shared key")
	// ErrUserAuth means the receiver asks for in_forward's security.users, not supported.
	ErrUserAuth = errors.New("receiver requires user authentication, which is not supported (use the shared key alone)")
	// ErrHandshake: malformed handshake messages, or a receiver digest without the shared key.
	ErrHandshake         = errors.New("shared key handshake failed")
	ErrHandshakeRequired = errors.New("receiver requires a shared key handshake but no shared key is configured")
	ErrProtocol          = errors.New("unexpected response from receiver")
	// ErrStalled means the receiver read nothing for StallTimeout: it is paused or hung.
	ErrStalled = errors.New("receiver stopped reading")
	ErrClosed  = errors.New("client closed")
	// ErrInvalidArgument, never in a RetryableError, rejects Send arguments that cannot succeed.
	ErrInvalidArgument = errors.New("invalid argument")
)

// RetryableError is a delivery failure: the chunk was not acknowledged and sending it again
// later may succeed. Every Send failure except invalid arguments is a *RetryableError.
type RetryableError struct {
	Op   string // the step that failed: "dial", "handshake", "write", "read ack", ...
	Addr string // the receiver's address
	Err  error
}

func (e *RetryableError) Error() string {
	return fmt.Sprintf("forward: %s %s: %v", e.Op, e.Addr, e.Err)
}

// Unwrap returns the cause.
func (e *RetryableError) Unwrap() error { return e.Err }

// Config describes the receiver and how to talk to it. Zero or negative durations and counts
// take the defaults of DefaultConfig; output.Config.Validate keeps the others in range.
type Config struct {
	Address   string // "unix:///absolute/path" or "tcp://host:port" ("tcp://[::1]:24224")
	SharedKey string // when set, run the Forward v1 handshake (HELO, PING, PONG)

	TLS       bool
	TLSCAFile string // PEM CA certificates to verify the receiver with; empty: system pool
	TLSVerify bool   // check the receiver's certificate and the host name of Address

	// AckTimeout bounds a whole Send, from waiting for a free connection to the ack;
	// DialTimeout bounds connecting, the handshakes and the probe, twice StallTimeout at least.
	AckTimeout, DialTimeout time.Duration
	// MaxConns is the number of connections, and so of Sends in flight at once.
	MaxConns int
	// The delay between connection attempts after failures: MinBackoff, doubled per failure
	// up to MaxBackoff, reset by an ack.
	MinBackoff, MaxBackoff time.Duration
	// StallTimeout ends a Send with ErrStalled when the receiver read none of the bytes queued
	// for it for this long (a paused in_forward reads nothing), or, with TLS or SharedKey, sent no
	// ServerHello or HELO for this long; negative turns it off. Over TCP the first
	// fires only once the peer's receive buffer is full.
	StallTimeout time.Duration
}

// DefaultConfig returns a Config for address with every default filled in and TLSVerify on.
func DefaultConfig(address string) Config {
	return Config{
		Address: address, TLSVerify: true, MaxConns: 4,
		AckTimeout: 10 * time.Second, DialTimeout: 5 * time.Second,
		MinBackoff: 100 * time.Millisecond, MaxBackoff: 5 * time.Second,
		// A running in_forward reads a payload in milliseconds: a second of nothing is a pause.
		StallTimeout: time.Second,
	}
}

// withDefaults replaces zero and negative values with the defaults.
func (c Config) withDefaults() Config {
	d := DefaultConfig(c.Address)
	or := func(v, def time.Duration) time.Duration { return cmp.Or(max(v, 0), def) }
	c.AckTimeout = or(c.AckTimeout, d.AckTimeout)
	c.MaxConns = cmp.Or(max(c.MaxConns, 0), d.MaxConns)
	c.MinBackoff = or(c.MinBackoff, d.MinBackoff)
	c.MaxBackoff = max(or(c.MaxBackoff, d.MaxBackoff), c.MinBackoff)
	c.StallTimeout = cmp.Or(c.StallTimeout, d.StallTimeout)
	// A new connection's first answer is waited for StallTimeout: connecting gets as long again for
	// the rest, or a longer StallTimeout would end as a dial timeout, and a receiver never connect.
	c.DialTimeout = min(max(or(c.DialTimeout, d.DialTimeout), 2*c.StallTimeout), c.AckTimeout)
	return c
}

// Address is a parsed receiver address.
type Address struct {
	Network string // "tcp" or "unix"
	Addr    string // "host:port" for tcp, the socket path for unix
}

// String returns the address in the form ParseAddress accepts.
func (a Address) String() string { return a.Network + "://" + a.Addr }

// ParseAddress parses "unix:///absolute/path" or "tcp://host:port" (IPv6 hosts in brackets).
func ParseAddress(s string) (Address, error) {
	network, rest, _ := strings.Cut(s, "://")
	switch {
	case s == "":
		return Address{}, errors.New(`is empty: want "unix:///path" or "tcp://host:port"`)
	case network == "unix":
		// A socket address holds the path and a NUL: a longer path would fail every dial, retried forever.
		most := len(syscall.RawSockaddrUnix{}.Path) - 1
		name := rest[strings.LastIndexByte(rest, '/')+1:] // "", "." and ".." name directories
		if !strings.HasPrefix(rest, "/") || slices.Contains([]string{"", ".", ".."}, name) || len(rest) > most || strings.ContainsRune(rest, 0) {
			return Address{}, fmt.Errorf(`unix socket path must be absolute, not a directory, without NUL, at most %d bytes, as in "unix:///run/fluent-bit/forward.sock"`, most)
		}
		return Address{network, rest}, nil
	case network == "tcp":
		host, port, err := net.SplitHostPort(rest)
		if err != nil {
			return Address{}, fmt.Errorf(`want "tcp://host:port" (IPv6 as "tcp://[::1]:24224"): %w`, err)
		}
		if host == "" || strings.ContainsAny(host, "/?#@ ") {
			return Address{}, fmt.Errorf(`host is empty or not a host name or IP address (%q): want "tcp://host:port", for example "tcp://127.0.0.1:24224"`, host)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return Address{}, fmt.Errorf("port %q must be a number from 1 to 65535", port)
		}
		return Address{network, net.JoinHostPort(host, port)}, nil
	}
	return Address{}, errors.New(`want "unix:///path" or "tcp://host:port"`)
}

// Client sends chunks to one receiver. It is safe for concurrent use.
type Client struct {
	cfg       Config
	addr      Address
	hostname  string // sent in PING
	tlsConfig *tls.Config

	dial func(ctx context.Context, network, addr string) (net.Conn, error) // replaced in tests
	now  func() time.Time                                                  // replaced in tests

	slots  chan struct{}   // one per Send in flight, MaxConns in all: they bound the connections
	idle   chan *conn      // connections open and unused, put there by the Send that held them
	ctx    context.Context // cancelled with ErrClosed to interrupt the Sends in flight
	cancel context.CancelCauseFunc
	closed atomic.Bool

	mu      sync.Mutex    // orders idle against Close; guards the backoff
	delay   time.Duration // before the next connection attempt after failures; 0 when healthy
	lastTry time.Time     // start of the last attempt or failure
	last    error         // the last failure, which a Send the backoff refuses names

	// What the tests check through Stats.
	sends, acked, failed, dials, dialFailures, staleIdle atomic.Uint64
	open                                                 atomic.Int64
}

// NewClient parses the address, fills defaults and loads the TLS CA file; only Send connects.
func NewClient(cfg Config) (*Client, error) {
	addr, err := ParseAddress(cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("forward: address %q: %w", cfg.Address, err)
	}
	hostname, _ := os.Hostname()
	cfg = cfg.withDefaults()
	c := &Client{cfg: cfg, addr: addr, hostname: cmp.Or(hostname, "localhost"),
		dial: new(net.Dialer).DialContext, now: time.Now,
		slots: make(chan struct{}, cfg.MaxConns), idle: make(chan *conn, cfg.MaxConns)}
	c.ctx, c.cancel = context.WithCancelCause(context.Background())
	if cfg.TLS {
		host, _, _ := net.SplitHostPort(addr.Addr) // empty for a unix socket
		host, _, _ = strings.Cut(host, "%")        // an IPv6 zone names the interface, not the certificate's address
		c.tlsConfig = &tls.Config{
			MinVersion:         tls.VersionTLS12,
			InsecureSkipVerify: !cfg.TLSVerify, // the operator asked for it explicitly
			ServerName:         host,
		}
		if cfg.TLSCAFile != "" {
			c.tlsConfig.RootCAs = x509.NewCertPool()
			pem, err := readRegular(cfg.TLSCAFile)
			if err == nil && !c.tlsConfig.RootCAs.AppendCertsFromPEM(pem) {
				err = errors.New("no PEM certificate found")
			}
			if err != nil {
				return nil, fmt.Errorf("forward: TLS CA file %q: %w", cfg.TLSCAFile, err)
			}
		}
	}
	return c, nil
}

// readRegular reads path, a regular file, refused before it is opened as catalog.ReadFile does:
// a FIFO would wait for a writer, hanging Fluent Bit's start or hot reload, /dev/zero would never
// end, and opening a device can act on it. One renamed over path since is opened without waiting.
func readRegular(path string) ([]byte, error) {
	st, err := os.Stat(path)
	var f *os.File
	if err == nil && st.Mode().IsRegular() {
		if f, err = os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			defer f.Close()
			st, err = f.Stat()
		}
	}
	if err != nil || !st.Mode().IsRegular() {
		return nil, cmp.Or(err, errors.New("not a regular file"))
	}
	return io.ReadAll(f)
}

// Send delivers entries, count [time, record] objects as a Fluent Bit chunk holds them, under
// tag as one PackedForward message, and returns nil only once the matching ack arrived; every
// delivery failure is a *RetryableError. AckTimeout and ctx bound the call. Entries are
// written without a copy and not retained; empty entries return nil without sending.
func (c *Client) Send(ctx context.Context, tag string, entries []byte, count int) (err error) {
	switch {
	case tag == "":
		return fmt.Errorf("forward: send: tag is empty: %w", ErrInvalidArgument)
	case count < 0:
		return fmt.Errorf("forward: send: record count %d is negative: %w", count, ErrInvalidArgument)
	case len(entries) == 0:
		return nil
	case uint64(len(entries)) > 1<<32-1:
		return fmt.Errorf("forward: send: %d bytes exceed the 4 GiB MessagePack bin limit: %w", len(entries), ErrInvalidArgument)
	}
	c.sends.Add(1)
	if c.closed.Load() {
		return c.retryable("send", ErrClosed)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, c.cfg.AckTimeout, ErrAckTimeout)
	defer cancel()
	// Cancelled by a stall, or by Close, whose interruption then reaches the socket too.
	ctx, interrupt := context.WithCancelCause(ctx)
	defer interrupt(nil)
	defer context.AfterFunc(c.ctx, func() { interrupt(ErrClosed) })()
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return c.retryable("wait for a free connection", context.Cause(ctx))
	}
	var cn *conn
	select {
	case cn = <-c.idle:
	default:
	}
	defer func() { c.put(cn) }()
	if c.closed.Load() { // Close began while this Send waited
		return c.retryable("wait for a free connection", ErrClosed)
	}
	if cn != nil && !alive(cn.rc) {
		// The receiver closed it while idle (in_forward does so when paused).
		c.staleIdle.Add(1)
		cn = c.drop(cn)
	}
	if cn == nil {
		if cn, err = c.connect(ctx, tag); err != nil {
			return err
		}
	}
	if c.cfg.StallTimeout > 0 {
		go watchStall(ctx, cn.rc, c.cfg.StallTimeout, interrupt) // ends with ctx, when Send returns
	}
	stop := bound(ctx, cn.nc)
	op, err := cn.roundTrip(tag, entries, count)
	if !stop() || err != nil || !cn.reusable {
		cn = c.drop(cn)
	}
	if err != nil {
		return c.fail(ctx, op, err)
	}
	c.mu.Lock()
	c.delay = 0
	c.mu.Unlock()
	c.acked.Add(1)
	return nil
}

// put frees the slot a Send held and keeps cn idle, unless the client is closed.
func (c *Client) put(cn *conn) {
	c.mu.Lock()
	if cn != nil && !c.closed.Load() {
		c.idle <- cn // never blocks: there are fewer connections than slots
	} else {
		c.drop(cn)
	}
	c.mu.Unlock()
	<-c.slots
}

// drop closes cn, unless nil, and returns nil.
func (c *Client) drop(cn *conn) *conn {
	if cn != nil {
		cn.nc.Close()
		c.open.Add(-1)
	}
	return nil
}

// fail lengthens the delay before the next connection attempt (MinBackoff, then doubled up to
// MaxBackoff; no jitter: there is no herd of clients to spread) and returns err as the failure
// of op, after why ctx ended: err alone is then usually just "i/o timeout".
func (c *Client) fail(ctx context.Context, op string, err error) error {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(err, cause) {
		err = fmt.Errorf("%w: %w", cause, err)
	}
	c.mu.Lock()
	c.delay = min(max(2*c.delay, c.cfg.MinBackoff), c.cfg.MaxBackoff)
	c.lastTry, c.last = c.now(), fmt.Errorf("%s: %w", op, err)
	c.mu.Unlock()
	return c.retryable(op, err)
}

// retryable returns the error of a failed Send, which it counts.
func (c *Client) retryable(op string, err error) error {
	c.failed.Add(1)
	return &RetryableError{Op: op, Addr: c.addr.String(), Err: err}
}

// Close stops new Sends, closes idle connections and waits for Sends in flight until ctx is
// done, then interrupts them: they return retryable errors, so nothing is lost. Close
// returns nil when every Send finished.
func (c *Client) Close(ctx context.Context) error {
	if c.closed.Swap(true) {
		return nil
	}
	defer c.cancel(ErrClosed)
	c.mu.Lock()
	close(c.idle) // put closes connections from now on, rather than keep them
	c.mu.Unlock()
	for cn := range c.idle {
		c.drop(cn)
	}
	// Take every slot: the ones missing are held by Sends in flight.
	for left := c.cfg.MaxConns; left > 0; left-- {
		select {
		case c.slots <- struct{}{}:
		case <-ctx.Done():
			select {
			case c.slots <- struct{}{}: // freed at the deadline too
			default:
				return fmt.Errorf("forward: close %s: %d sends still waiting for an ack were interrupted: %w",
					c.addr, left, ctx.Err())
			}
		}
	}
	return nil
}
