// Package forward sends records to a Fluent Bit or Fluentd in_forward receiver with the
// Forward protocol v1 in PackedForward mode, and reports success only when the receiver has
// acknowledged the chunk. That acknowledgement is what lets the enrich output hand records
// back to Fluent Bit without losing any: a Send that returns nil was stored by the receiver,
// and any other outcome is an error the caller answers with a retry.
//
// A Client keeps a small pool of connections (one request in flight on each), connects
// lazily, reconnects after failures with a bounded exponential backoff, and supports the
// shared-key handshake and TLS.
package forward

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// deadlineSlack puts socket deadlines just after the context deadline that normally ends
// a wait first.
const deadlineSlack = 250 * time.Millisecond

// Client sends chunks to one receiver. It is safe for concurrent use.
type Client struct {
	cfg       Config
	addr      Address
	hostname  string
	tlsConfig *tls.Config

	dial dialer           // replaced in tests to count or fail dials
	now  func() time.Time // replaced in tests to drive the backoff schedule

	slots   chan struct{} // one token per connection that may exist
	closing chan struct{} // closed by Close

	mu       sync.Mutex
	closed   bool
	idle     []*conn
	active   map[*conn]struct{}
	inflight sync.WaitGroup
	backoff  backoff

	sends, acked, failed, dials, dialFailures, staleIdle atomic.Uint64
}

// NewClient validates cfg, fills defaults and loads the TLS CA file. It does not connect:
// a receiver that is down at start makes Sends fail with retryable errors, not NewClient.
func NewClient(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	addr, err := ParseAddress(cfg.Address)
	if err != nil {
		return nil, &ConfigError{Field: "Address", Value: cfg.Address, Err: err}
	}
	c := &Client{
		cfg:     cfg,
		addr:    addr,
		dial:    netDial,
		now:     time.Now,
		slots:   make(chan struct{}, cfg.MaxConns),
		closing: make(chan struct{}),
		active:  make(map[*conn]struct{}),
		backoff: backoff{min: cfg.MinBackoff, max: cfg.MaxBackoff},
	}
	c.hostname = cfg.SelfHostname
	if c.hostname == "" {
		if h, err := os.Hostname(); err == nil && h != "" {
			c.hostname = h
		} else {
			c.hostname = "localhost"
		}
	}
	if cfg.TLS {
		tc := &tls.Config{
			MinVersion:         tls.VersionTLS12,
			InsecureSkipVerify: !cfg.TLSVerify, // the operator asked for it explicitly
			ServerName:         cfg.TLSServerName,
		}
		if tc.ServerName == "" {
			tc.ServerName = addr.Host()
		}
		if cfg.TLSCAFile != "" {
			pem, err := os.ReadFile(cfg.TLSCAFile)
			if err != nil {
				return nil, &ConfigError{Field: "TLSCAFile", Value: cfg.TLSCAFile, Err: fmt.Errorf("read CA file: %w", err)}
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, &ConfigError{Field: "TLSCAFile", Value: cfg.TLSCAFile, Err: errors.New("no PEM certificate found")}
			}
			tc.RootCAs = pool
		}
		c.tlsConfig = tc
	}
	return c, nil
}

// Address returns the receiver address the client sends to.
func (c *Client) Address() Address { return c.addr }

// Send delivers entries, the concatenated [time, record] MessagePack objects of count
// records exactly as a Fluent Bit chunk holds them, under tag as one PackedForward message,
// and waits for the receiver's ack. It returns nil only when the matching ack arrived.
// Every delivery failure is a *RetryableError; the whole call is bounded by AckTimeout and
// by ctx. Entries are written to the socket without being copied and are not retained.
// An empty entries slice has nothing to deliver and returns nil without sending.
func (c *Client) Send(ctx context.Context, tag string, entries []byte, count int) error {
	if tag == "" {
		return fmt.Errorf("forward: send: tag is empty: %w", ErrInvalidArgument)
	}
	if count < 0 {
		return fmt.Errorf("forward: send: record count %d is negative: %w", count, ErrInvalidArgument)
	}
	if len(entries) == 0 {
		return nil
	}
	if uint64(len(entries)) > 1<<32-1 {
		return fmt.Errorf("forward: send: %d bytes exceed the 4 GiB MessagePack bin limit: %w", len(entries), ErrInvalidArgument)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return c.retryable("send", ErrClosed)
	}
	c.inflight.Add(1)
	c.mu.Unlock()
	defer c.inflight.Done()
	c.sends.Add(1)

	ctx, cancel := context.WithTimeoutCause(ctx, c.cfg.AckTimeout, ErrAckTimeout)
	defer cancel()

	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		c.failed.Add(1)
		return c.retryable("wait for a free connection", context.Cause(ctx))
	case <-c.closing:
		c.failed.Add(1)
		return c.retryable("wait for a free connection", ErrClosed)
	}
	defer func() { <-c.slots }()

	cn, err := c.getConn(ctx)
	if err != nil {
		c.failed.Add(1)
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		// The context ends the wait (through AfterFunc below) so that the error carries its
		// cause; the socket deadline, a little later, is only a backstop.
		if err := cn.nc.SetDeadline(dl.Add(deadlineSlack)); err != nil {
			c.release(cn, false)
			c.failed.Add(1)
			return c.retryable("write", err)
		}
	}
	ctx, stall := context.WithCancelCause(ctx)
	defer stall(nil)
	if c.cfg.StallTimeout > 0 {
		defer watchStall(ctx, cn.raw, c.cfg.StallTimeout, stall)()
	}
	// Cancellation interrupts blocked reads and writes by moving the deadline to the past.
	stop := context.AfterFunc(ctx, func() { cn.raw.SetDeadline(time.Unix(1, 0)) })
	op, err := cn.roundTrip(tag, entries, count)
	// If the callback already ran, the connection carries a poisoned deadline: drop it.
	stopped := stop()
	if err != nil {
		c.release(cn, false)
		c.failed.Add(1)
		c.noteFailure()
		if c.isClosed() && ctx.Err() == nil {
			err = fmt.Errorf("%w: %w", ErrClosed, err)
		}
		return c.retryable(op, withCause(ctx, err))
	}
	c.release(cn, stopped && cn.reusable)
	c.acked.Add(1)
	c.mu.Lock()
	c.backoff.success()
	c.mu.Unlock()
	return nil
}

// getConn returns an idle connection that is still open, or dials a new one unless the
// backoff says to wait. The caller holds a slot, which bounds the number of connections.
func (c *Client) getConn(ctx context.Context) (*conn, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, c.retryable("send", ErrClosed)
		}
		n := len(c.idle)
		if n == 0 {
			break // keep the lock for the backoff check
		}
		cn := c.idle[n-1]
		c.idle[n-1] = nil
		c.idle = c.idle[:n-1]
		c.active[cn] = struct{}{}
		c.mu.Unlock()
		if alive(cn.raw) {
			return cn, nil
		}
		// The receiver closed it while idle (in_forward does so when paused): try the next.
		c.staleIdle.Add(1)
		c.release(cn, false)
	}
	now := c.now()
	if wait := c.backoff.wait(now); wait > 0 {
		c.mu.Unlock()
		return nil, c.retryable("dial", fmt.Errorf("%w: next attempt in %s", ErrBackoff, wait))
	}
	// Reserve the attempt so that concurrent Sends do not all dial a receiver that is down.
	c.backoff.attempt(now)
	c.mu.Unlock()

	dctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	c.dials.Add(1)
	cn, op, err := c.connect(dctx)
	if err != nil {
		c.dialFailures.Add(1)
		c.noteFailure()
		return nil, c.retryable(op, withCause(ctx, err))
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		cn.nc.Close()
		return nil, c.retryable("send", ErrClosed)
	}
	c.active[cn] = struct{}{}
	c.mu.Unlock()
	return cn, nil
}

// release returns cn to the idle list when keep is set and the client is open, and closes
// it otherwise.
func (c *Client) release(cn *conn, keep bool) {
	c.mu.Lock()
	delete(c.active, cn)
	// A pooled connection must not carry the last send's deadline: it would
	// make the liveness check fail once the connection idles past it.
	if keep && !c.closed && cn.nc.SetDeadline(time.Time{}) == nil {
		c.idle = append(c.idle, cn)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	cn.nc.Close()
}

func (c *Client) noteFailure() {
	c.mu.Lock()
	c.backoff.failure(c.now())
	c.mu.Unlock()
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// withCause puts the reason ctx ended (ErrAckTimeout, or the caller's cancellation) in
// front of err, which then is usually just "i/o timeout".
func withCause(ctx context.Context, err error) error {
	cause := context.Cause(ctx)
	if cause == nil || errors.Is(err, cause) {
		return err
	}
	return fmt.Errorf("%w: %w", cause, err)
}

func (c *Client) retryable(op string, err error) error {
	var re *RetryableError
	if errors.As(err, &re) {
		return err
	}
	return &RetryableError{Op: op, Addr: c.addr.String(), Err: err}
}

// Close stops new Sends, closes idle connections and waits for Sends in flight until ctx is
// done; then it closes their connections, which makes them return retryable errors, and
// returns without waiting further. A Send interrupted this way never reports success, so
// nothing is lost: the caller retries it. Close returns nil when every Send finished.
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.closing)
	idle := c.idle
	c.idle = nil
	c.mu.Unlock()
	for _, cn := range idle {
		cn.nc.Close()
	}
	done := make(chan struct{})
	go func() {
		// Ends once every Send returns, which closing their connections below guarantees.
		c.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		// The sends may have ended at the deadline too: then none was cut short.
		select {
		case <-done:
			return nil
		default:
		}
	}
	c.mu.Lock()
	n := len(c.active)
	for cn := range c.active {
		cn.nc.Close()
	}
	c.mu.Unlock()
	if n == 0 {
		return nil
	}
	return fmt.Errorf("forward: close %s: %d sends still waiting for an ack were interrupted: %w", c.addr, n, ctx.Err())
}

// Stats are counters for logging and tests.
type Stats struct {
	Sends        uint64        // Send calls with something to deliver
	Acked        uint64        // Sends that ended with the matching ack
	Failed       uint64        // Sends that returned an error
	Dials        uint64        // connection attempts
	DialFailures uint64        // connection attempts that failed (dial, TLS or handshake)
	StaleIdle    uint64        // idle connections found closed by the receiver and dropped
	OpenConns    int           // connections open now (idle and in use)
	IdleConns    int           // connections open and idle now
	Backoff      time.Duration // delay imposed after the last failure; 0 when healthy
}

// Stats returns a snapshot of the counters.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{
		Sends:        c.sends.Load(),
		Acked:        c.acked.Load(),
		Failed:       c.failed.Load(),
		Dials:        c.dials.Load(),
		DialFailures: c.dialFailures.Load(),
		StaleIdle:    c.staleIdle.Load(),
		OpenConns:    len(c.idle) + len(c.active),
		IdleConns:    len(c.idle),
		Backoff:      c.backoff.cur,
	}
}

// backoff spaces connection attempts after failures: the delay starts at min, doubles per
// failure up to max and resets when a chunk is acknowledged. It has no jitter because one
// client talks to one local receiver; there is no herd to spread.
type backoff struct {
	min, max time.Duration
	cur      time.Duration // delay after the last failure; 0 when healthy
	last     time.Time     // start of the last attempt or failure
}

// wait returns how long a new connection attempt must still wait at now.
func (b *backoff) wait(now time.Time) time.Duration {
	if b.cur == 0 {
		return 0
	}
	if d := b.last.Add(b.cur).Sub(now); d > 0 {
		return d
	}
	return 0
}

// attempt records that a connection attempt starts at now.
func (b *backoff) attempt(now time.Time) { b.last = now }

// failure records a failed attempt or send at now and lengthens the delay.
func (b *backoff) failure(now time.Time) {
	switch {
	case b.cur == 0:
		b.cur = b.min
	case b.cur < b.max:
		b.cur = min(2*b.cur, b.max)
	}
	b.last = now
}

// success clears the delay.
func (b *backoff) success() { b.cur = 0 }
