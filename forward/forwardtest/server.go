// Package forwardtest provides a Forward protocol receiver for tests: it listens on loopback
// TCP or a unix socket, decodes Message, Forward, PackedForward and CompressedPackedForward
// messages, checks their framing, records what it received and answers with acks. It can be
// told to misbehave in the ways a real in_forward does (stop listening, close connections,
// delay or withhold acks) so that delivery code can be tested against each fault.
//
//	srv := forwardtest.NewServer(t, forwardtest.Options{})
//	client := newClient(srv.Addr()) // "tcp://127.0.0.1:port"
//	...
//	recs, err := srv.WaitRecords(10, 5*time.Second)
package forwardtest

import (
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enrich-plugin/enrich/forward/internal/wire"
)

// Options configures a Server. The zero value is a plain TCP receiver on 127.0.0.1 that acks
// every message at once.
type Options struct {
	// Network is "tcp" (127.0.0.1, the default), "tcp6" ([::1]) or "unix" (a socket in a
	// fresh temporary directory).
	Network string
	// SharedKey makes the server require the Forward v1 handshake with this key.
	SharedKey string
	// Hostname is the server name sent in PONG; default "forwardtest".
	Hostname string
	// TLS serves TLS with a self-signed certificate generated at start; see CAFile.
	TLS bool
	// Stopped reserves the address but does not listen until Start is called, for testing
	// a receiver that is down when the client starts.
	Stopped bool
	// AckDelay, NoAck, WrongAck, CloseAfterBytes and CloseAfterRead set the initial fault
	// behaviour; see the setters of the same names.
	AckDelay        time.Duration
	NoAck           bool
	WrongAck        bool
	CloseAfterBytes int
	CloseAfterRead  bool
	// MaxConns bounds open connections; further ones are closed at once. Default 64.
	MaxConns int
	// MaxFrameSize bounds one message; a larger one closes the connection, as in_forward's
	// buffer_max_size does. Default 64 MiB.
	MaxFrameSize int
	// AllowViolations stops the server from failing the test at cleanup when it received
	// messages that break the framing rules; Violations lists them either way.
	AllowViolations bool
}

// Server is a Forward receiver for tests. Its methods are safe for concurrent use.
type Server struct {
	t        testing.TB
	opts     Options
	network  string // "tcp" or "unix" for net.Listen
	listenAt string // host:port or socket path
	tlsCfg   *tls.Config
	certPEM  []byte
	caFile   string

	ackDelay        atomic.Int64
	noAck           atomic.Bool
	wrongAck        atomic.Bool
	closeAfterBytes atomic.Int64
	closeAfterRead  atomic.Bool

	mu         sync.Mutex
	ln         net.Listener
	stopCh     chan struct{} // closed by Stop for the current listening generation
	conns      map[net.Conn]struct{}
	wg         sync.WaitGroup
	closed     bool
	messages   []Message
	records    []Record
	acked      map[string]bool
	violations []error
	authFails  int
	accepted   int
	maxOpen    int
	changed    chan struct{} // closed and replaced whenever something is recorded
}

// NewServer starts a receiver (unless opts.Stopped) and stops it when the test ends.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Hostname == "" {
		opts.Hostname = "forwardtest"
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 64
	}
	if opts.MaxFrameSize <= 0 {
		opts.MaxFrameSize = 64 << 20
	}
	s := &Server{
		t:       t,
		opts:    opts,
		conns:   make(map[net.Conn]struct{}),
		acked:   make(map[string]bool),
		changed: make(chan struct{}),
	}
	s.SetAckDelay(opts.AckDelay)
	s.SetNoAck(opts.NoAck)
	s.SetWrongAck(opts.WrongAck)
	s.SetCloseAfterBytes(opts.CloseAfterBytes)
	s.SetCloseAfterRead(opts.CloseAfterRead)
	if opts.TLS {
		cfg, pemBytes, err := selfSignedTLS()
		if err != nil {
			t.Fatalf("forwardtest: generate TLS certificate: %v", err)
		}
		s.tlsCfg, s.certPEM = cfg, pemBytes
		s.caFile = filepath.Join(t.TempDir(), "forwardtest-ca.pem")
		if err := os.WriteFile(s.caFile, pemBytes, 0o600); err != nil {
			t.Fatalf("forwardtest: write CA file: %v", err)
		}
	}
	switch opts.Network {
	case "", "tcp", "tcp6":
		s.network = "tcp"
		host := "127.0.0.1:0"
		if opts.Network == "tcp6" {
			host = "[::1]:0"
		}
		ln, err := net.Listen("tcp", host)
		if err != nil {
			t.Fatalf("forwardtest: listen on %s: %v", host, err)
		}
		s.listenAt = ln.Addr().String()
		if opts.Stopped {
			ln.Close()
		} else {
			s.serveListener(ln)
		}
	case "unix":
		s.network = "unix"
		// A short directory under the system temp dir keeps the path below the 108-byte
		// sun_path limit that long test names would break.
		dir, err := os.MkdirTemp("", "fwt")
		if err != nil {
			t.Fatalf("forwardtest: create socket directory: %v", err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		s.listenAt = filepath.Join(dir, "forward.sock")
		if !opts.Stopped {
			if err := s.Start(); err != nil {
				t.Fatalf("forwardtest: %v", err)
			}
		}
	default:
		t.Fatalf("forwardtest: network %q: want tcp, tcp6 or unix", opts.Network)
	}
	t.Cleanup(s.Close)
	return s
}

// Addr returns the address in the client's form: "tcp://127.0.0.1:port", "tcp://[::1]:port"
// or "unix:///path".
func (s *Server) Addr() string { return s.network + "://" + s.listenAt }

// CAFile returns the path of a PEM file holding the server's self-signed certificate, to use
// as the client's CA file; "" without TLS.
func (s *Server) CAFile() string { return s.caFile }

// CertPEM returns the server's self-signed certificate in PEM; nil without TLS.
func (s *Server) CertPEM() []byte { return s.certPEM }

// ServerName is the DNS name in the TLS certificate (it also covers 127.0.0.1 and ::1).
const ServerName = "localhost"

// Start listens again on the same address after Stop, or for the first time with
// Options.Stopped. Starting a running server is an error.
func (s *Server) Start() error {
	s.mu.Lock()
	running := s.ln != nil
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return errors.New("forwardtest: start: server is closed")
	}
	if running {
		return errors.New("forwardtest: start: server is already listening")
	}
	if s.network == "unix" {
		os.Remove(s.listenAt) // a socket file left by a crashed listener blocks Listen
	}
	var ln net.Listener
	var err error
	// The port was just released; on a busy machine it can take a moment to be free again.
	for attempt := 0; attempt < 50; attempt++ {
		ln, err = net.Listen(s.network, s.listenAt)
		if err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("forwardtest: listen on %s: %w", s.Addr(), err)
	}
	s.serveListener(ln)
	return nil
}

func (s *Server) serveListener(ln net.Listener) {
	s.mu.Lock()
	s.ln = ln
	stop := make(chan struct{})
	s.stopCh = stop
	s.wg.Add(1)
	s.mu.Unlock()
	go s.acceptLoop(ln, stop)
}

// Stop closes the listener and every open connection, so that clients see a receiver that
// died; Start brings it back on the same address. Records received so far are kept.
func (s *Server) Stop() {
	s.mu.Lock()
	ln := s.ln
	s.ln = nil
	if s.stopCh != nil {
		close(s.stopCh)
		s.stopCh = nil
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	s.wg.Wait()
}

// Close stops the server for good. It is registered with t.Cleanup by NewServer and fails
// the test if framing violations were received, unless Options.AllowViolations is set.
func (s *Server) Close() {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	if already {
		return
	}
	s.Stop()
	if v := s.Violations(); len(v) > 0 && !s.opts.AllowViolations {
		s.t.Errorf("forwardtest: %d messages broke the Forward framing rules; first: %v", len(v), v[0])
	}
}

// SetAckDelay delays every ack by d (a slow receiver).
func (s *Server) SetAckDelay(d time.Duration) { s.ackDelay.Store(int64(d)) }

// SetNoAck makes the server record messages but never ack them, keeping the connection open.
func (s *Server) SetNoAck(v bool) { s.noAck.Store(v) }

// SetWrongAck makes the server ack every message with a chunk id other than the one sent.
func (s *Server) SetWrongAck(v bool) { s.wrongAck.Store(v) }

// SetCloseAfterBytes makes the server close each connection once it has read n bytes from
// it (handshake included), before it finishes a message that goes past them; 0 turns it off.
func (s *Server) SetCloseAfterBytes(n int) { s.closeAfterBytes.Store(int64(n)) }

// SetCloseAfterRead makes the server close the connection right after reading a complete
// message, without recording or acking it (a receiver that died mid-request).
func (s *Server) SetCloseAfterRead(v bool) { s.closeAfterRead.Store(v) }

// Messages returns a copy of the messages received, in arrival order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.messages))
	copy(out, s.messages)
	for i := range out {
		out[i].Acked = s.acked[out[i].Chunk]
	}
	return out
}

// Records returns a copy of the records received, in arrival order; a record sent twice
// (a retry after a lost ack) appears twice.
func (s *Server) Records() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recordsLocked()
}

func (s *Server) recordsLocked() []Record {
	out := make([]Record, len(s.records))
	copy(out, s.records)
	for i := range out {
		out[i].Acked = s.acked[out[i].Chunk]
	}
	return out
}

// WaitRecords waits until at least n records have arrived or timeout passes, and returns the
// records received so far; the error says how many were missing.
func (s *Server) WaitRecords(n int, timeout time.Duration) ([]Record, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		if len(s.records) >= n {
			out := s.recordsLocked()
			s.mu.Unlock()
			return out, nil
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			recs := s.Records()
			return recs, fmt.Errorf("forwardtest: got %d records within %s, want %d", len(recs), timeout, n)
		}
	}
}

// Violations returns the framing errors seen: messages that were not valid Forward messages,
// had no chunk id, or whose option.size did not match their entries. Such messages are not
// acked and their connection is closed.
func (s *Server) Violations() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.violations...)
}

// AuthFailures returns the number of handshakes that failed (wrong key or malformed PING).
func (s *Server) AuthFailures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authFails
}

// Accepted returns the number of connections accepted so far.
func (s *Server) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// OpenConns returns the number of connections open now.
func (s *Server) OpenConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// MaxOpenConns returns the largest number of connections that were open at the same time.
func (s *Server) MaxOpenConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxOpen
}

// notifyLocked wakes WaitRecords callers; s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) acceptLoop(ln net.Listener, stop chan struct{}) {
	defer s.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed by Stop; any other accept error also ends this generation
		}
		s.mu.Lock()
		select {
		case <-stop:
			s.mu.Unlock()
			c.Close()
			return
		default:
		}
		if len(s.conns) >= s.opts.MaxConns {
			s.mu.Unlock()
			c.Close()
			continue
		}
		s.conns[c] = struct{}{}
		s.accepted++
		s.maxOpen = max(s.maxOpen, len(s.conns))
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(c, stop)
	}
}

// serveConn runs one connection: optional TLS and handshake, then messages until the peer
// closes, a fault setting closes it, or the server stops.
func (s *Server) serveConn(raw net.Conn, stop chan struct{}) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, raw)
		s.mu.Unlock()
		raw.Close()
	}()
	var c net.Conn = raw
	if s.tlsCfg != nil {
		c = tls.Server(raw, s.tlsCfg)
	}
	r := &frameReader{c: c, s: s}
	if s.opts.SharedKey != "" {
		if refused, err := s.handshake(c, r); err != nil {
			if refused {
				s.mu.Lock()
				s.authFails++
				s.mu.Unlock()
			}
			return
		}
	}
	for {
		frame, err := r.next(s.opts.MaxFrameSize)
		if err != nil {
			if errors.Is(err, errFrame) {
				s.violation(err)
			}
			return
		}
		if s.closeAfterRead.Load() {
			return
		}
		msg, recs, err := decodeFrame(frame)
		if err == nil && msg.Chunk == "" {
			err = fmt.Errorf("%w: message has no chunk id, so it cannot be acked", errFrame)
		}
		if err != nil {
			s.violation(err)
			return
		}
		s.mu.Lock()
		s.messages = append(s.messages, msg)
		s.records = append(s.records, recs...)
		s.notifyLocked()
		s.mu.Unlock()
		if s.noAck.Load() {
			continue
		}
		if d := time.Duration(s.ackDelay.Load()); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-stop:
				t.Stop()
				return
			}
		}
		id := msg.Chunk
		if s.wrongAck.Load() {
			id = "d3JvbmctY2h1bmstaWQ=" + id[:min(len(id), 4)]
		}
		ack := wire.AppendMapHeader(nil, 1)
		ack = wire.AppendStr(ack, "ack")
		ack = wire.AppendStr(ack, id)
		// Mark before writing: once the client has the ack, the record must read as acked.
		s.setAcked(msg.Chunk, id == msg.Chunk)
		if _, err := c.Write(ack); err != nil {
			s.setAcked(msg.Chunk, false)
			return
		}
	}
}

func (s *Server) setAcked(chunk string, v bool) {
	s.mu.Lock()
	if v {
		s.acked[chunk] = true
	} else {
		delete(s.acked, chunk)
	}
	s.notifyLocked()
	s.mu.Unlock()
}

func (s *Server) violation(err error) {
	s.mu.Lock()
	s.violations = append(s.violations, err)
	s.notifyLocked()
	s.mu.Unlock()
}

// handshake runs the server side of the Forward v1 handshake. refused reports that the
// client's PING was wrong (as opposed to an I/O failure).
func (s *Server) handshake(c net.Conn, r *frameReader) (refused bool, err error) {
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return false, err
	}
	helo := wire.AppendArrayHeader(nil, 2)
	helo = wire.AppendStr(helo, "HELO")
	helo = wire.AppendMapHeader(helo, 3)
	helo = wire.AppendStr(helo, "nonce")
	helo = wire.AppendBin(helo, nonce[:])
	helo = wire.AppendStr(helo, "auth")
	helo = wire.AppendBin(helo, nil)
	helo = wire.AppendStr(helo, "keepalive")
	helo = wire.AppendBool(helo, true)
	if _, err := c.Write(helo); err != nil {
		return false, err
	}
	ping, err := r.next(64 << 10)
	if err != nil {
		return false, err
	}
	salt, hostname, digest, err := parsePing(ping)
	pong := wire.AppendArrayHeader(nil, 5)
	pong = wire.AppendStr(pong, "PONG")
	if err == nil {
		want := digestHex(salt, hostname, nonce[:], s.opts.SharedKey)
		if subtle.ConstantTimeCompare([]byte(want), digest) != 1 {
			err = errors.New("shared key mismatch")
		}
	}
	if err != nil {
		pong = wire.AppendBool(pong, false)
		pong = wire.AppendStr(pong, err.Error())
		pong = wire.AppendStr(pong, "")
		pong = wire.AppendStr(pong, "")
		c.Write(pong) // best effort: the connection is closed right after
		return true, err
	}
	pong = wire.AppendBool(pong, true)
	pong = wire.AppendStr(pong, "")
	pong = wire.AppendStr(pong, s.opts.Hostname)
	pong = wire.AppendStr(pong, digestHex(salt, []byte(s.opts.Hostname), nonce[:], s.opts.SharedKey))
	_, err = c.Write(pong)
	return false, err
}

func digestHex(salt, hostname, nonce []byte, key string) string {
	h := sha512.New()
	h.Write(salt)
	h.Write(hostname)
	h.Write(nonce)
	io.WriteString(h, key)
	return hex.EncodeToString(h.Sum(nil))
}

// parsePing reads ["PING", client_hostname, shared_key_salt, shared_key_hexdigest, username,
// password].
func parsePing(b []byte) (salt, hostname, digest []byte, err error) {
	n, b, err := wire.ReadArrayHeader(b)
	if err != nil || n != 6 {
		return nil, nil, nil, errors.New("PING is not a 6-element array")
	}
	typ, b, err := wire.ReadStr(b)
	if err != nil || string(typ) != "PING" {
		return nil, nil, nil, errors.New("want PING")
	}
	if hostname, b, err = wire.ReadStrOrBin(b); err != nil {
		return nil, nil, nil, errors.New("PING hostname is not a string")
	}
	if salt, b, err = wire.ReadStrOrBin(b); err != nil {
		return nil, nil, nil, errors.New("PING salt is not a string")
	}
	if digest, _, err = wire.ReadStrOrBin(b); err != nil {
		return nil, nil, nil, errors.New("PING digest is not a string")
	}
	return salt, hostname, digest, nil
}

// frameReader cuts a byte stream into complete MessagePack objects.
type frameReader struct {
	c    net.Conn
	s    *Server
	buf  []byte
	read int64 // bytes read from the connection, for SetCloseAfterBytes
	// pending is a read error that came with data; it is returned once the data is used.
	pending error
}

var errCloseAfterBytes = errors.New("closed after the configured number of bytes")

// next returns the next complete object; its bytes stay valid until the following call.
func (r *frameReader) next(limit int) ([]byte, error) {
	for {
		if len(r.buf) > 0 {
			n, err := wire.Skip(r.buf)
			if err == nil {
				frame := r.buf[:n:n]
				r.buf = append([]byte(nil), r.buf[n:]...)
				return frame, nil
			}
			if !errors.Is(err, wire.ErrShort) {
				return nil, fmt.Errorf("%w: %w", errFrame, err)
			}
		}
		if r.pending != nil {
			return nil, r.pending
		}
		if len(r.buf) > limit {
			return nil, fmt.Errorf("%w: message larger than %d bytes", errFrame, limit)
		}
		want := 64 << 10
		if lim := r.s.closeAfterBytes.Load(); lim > 0 {
			left := lim - r.read
			if left <= 0 {
				return nil, errCloseAfterBytes
			}
			want = int(min(int64(want), left))
		}
		if cap(r.buf)-len(r.buf) < want {
			grown := make([]byte, len(r.buf), len(r.buf)+max(want, cap(r.buf)))
			copy(grown, r.buf)
			r.buf = grown
		}
		n, err := r.c.Read(r.buf[len(r.buf) : len(r.buf)+want])
		r.buf = r.buf[:len(r.buf)+n]
		r.read += int64(n)
		if err != nil {
			if n > 0 {
				// Parse what arrived first; the error is returned on the next read.
				r.pending = err
				continue
			}
			return nil, err
		}
	}
}
