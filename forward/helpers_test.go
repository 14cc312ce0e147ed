package forward

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/enrich-plugin/enrich/forward/forwardtest"
	"github.com/enrich-plugin/enrich/internal/msgpack"
)

// entries builds count Fluent Bit style entries [[EventTime, {}], {"seq": n, "log": ...}]
// with seq numbers from first.
func entries(first, count int) []byte {
	var b []byte
	for i := 0; i < count; i++ {
		b = msgpack.AppendArrayHeader(b, 2)
		b = msgpack.AppendArrayHeader(b, 2)
		b = append(b, 0xd7, 0x00)
		b = binary.BigEndian.AppendUint32(b, 1700000000+uint32(first+i))
		b = binary.BigEndian.AppendUint32(b, 5)
		b = msgpack.AppendMapHeader(b, 0)
		b = msgpack.AppendMapHeader(b, 2)
		b = msgpack.AppendStr(b, "seq")
		b = msgpack.AppendUint(b, uint64(first+i))
		b = msgpack.AppendStr(b, "log")
		b = msgpack.AppendStr(b, fmt.Sprintf("%%ASA-6-302013: Built outbound TCP connection %d", first+i))
	}
	return b
}

// testConfig is a configuration with short timeouts and backoff for loopback tests.
func testConfig(addr string) Config {
	cfg := DefaultConfig(addr)
	cfg.AckTimeout = 3 * time.Second
	cfg.DialTimeout = time.Second
	cfg.MinBackoff = time.Millisecond
	cfg.MaxBackoff = 10 * time.Millisecond
	return cfg
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient(%+v): %v", cfg, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c.Close(ctx)
	})
	return c
}

// sendRetry sends one chunk, retrying retryable failures up to attempts times with a short
// pause, the way Fluent Bit retries a flush.
func sendRetry(c *Client, tag string, payload []byte, count, attempts int) (int, error) {
	var err error
	for i := 1; i <= attempts; i++ {
		err = c.Send(context.Background(), tag, payload, count)
		if err == nil {
			return i, nil
		}
		var re *RetryableError
		if !errors.As(err, &re) {
			return i, err
		}
		time.Sleep(5 * time.Millisecond)
	}
	return attempts, err
}

// requireRetryable fails unless err is a *RetryableError that matches want (when non-nil).
func requireRetryable(t *testing.T, err error, want error) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want a retryable error")
	}
	var re *RetryableError
	if !errors.As(err, &re) {
		t.Fatalf("got %v (%T), want a *RetryableError", err, err)
	}
	if want != nil && !errors.Is(err, want) {
		t.Fatalf("got %v, want it to wrap %v", err, want)
	}
}

// seqs returns how often each seq value arrived, and which were acked.
func seqs(recs []forwardtest.Record) (seen map[int64]int, acked map[int64]bool) {
	seen = map[int64]int{}
	acked = map[int64]bool{}
	for _, r := range recs {
		var n int64
		switch v := r.Body["seq"].(type) {
		case int64:
			n = v
		case uint64:
			n = int64(v)
		}
		seen[n]++
		if r.Acked {
			acked[n] = true
		}
	}
	return seen, acked
}

// waitFor polls cond until it holds, and fails the test if it does not within 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// loopback returns the name of the loopback interface, a zone for ::1.
func loopback(t *testing.T) string {
	ifs, err := net.Interfaces()
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback != 0 {
			return i.Name
		}
	}
	t.Fatalf("no loopback interface: %v", err)
	return ""
}

// listen listens on a loopback address of network ("tcp" or "unix") until the test ends, and
// returns it as a client address. serve, unless nil, gets each connection it accepts, which is
// closed when the test ends; with nil, connections wait in the backlog.
func listen(t *testing.T, network string, serve func(net.Conn)) string {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(t.TempDir(), "in.sock")
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	if serve != nil {
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
				go serve(c)
			}
		}()
	}
	return network + "://" + ln.Addr().String()
}

// Stats are the client's counters, which the tests check.
type Stats struct {
	Sends, Acked, Failed uint64        // Send calls with something to deliver, and how they ended
	Dials, DialFailures  uint64        // connection attempts (dial, TLS and handshake), failed ones
	StaleIdle            uint64        // idle connections found closed by the receiver
	OpenConns            int           // connections open now, idle or in use
	Backoff              time.Duration // delay imposed after the last failure; 0 when healthy
}

// Stats returns a snapshot of the counters.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{
		Sends: c.sends.Load(), Acked: c.acked.Load(), Failed: c.failed.Load(),
		Dials: c.dials.Load(), DialFailures: c.dialFailures.Load(), StaleIdle: c.staleIdle.Load(),
		OpenConns: int(c.open.Load()), Backoff: c.delay,
	}
}
