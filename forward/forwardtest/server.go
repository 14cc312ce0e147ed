// Package forwardtest is a Forward receiver for tests that accepts what the forward client
// sends and nothing more (TLS, the shared-key handshake, the probe of a new connection,
// PackedForward messages with chunk and size), decoded with vmihailenco/msgpack/v5 rather than
// the project's MessagePack code. Any other message fails the test; Faults make it misbehave as
// a broken in_forward does.
package forwardtest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha512"
	"crypto/tls"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Fault is a way the receiver misbehaves.
type Fault int32

// The faults, each as a real in_forward can show it.
const (
	NoFault        Fault = iota
	NoAck                // keep each message but never acknowledge it
	WrongAck             // acknowledge each message with another chunk id
	Drop                 // close the connection after reading a message, unanswered
	DropMidMessage       // close the connection as soon as a message starts to arrive
)

// Options configures a Server; the zero value acknowledges every message at once on 127.0.0.1.
type Options struct {
	Network        string        // "tcp" (127.0.0.1, the default), "tcp6" ([::1]) or "unix"
	SharedKey      string        // require the shared-key handshake with this key
	Users          bool          // with SharedKey: ask for a user name and password, and accept none
	TLS            bool          // serve TLS; the client trusts CAFile
	TLSMaxVersion  uint16        // with TLS, the newest version served, such as tls.VersionTLS12
	TLSStep        time.Duration // with TLS, wait this long before each read of the handshake: see stepConn
	Stopped        bool          // reserve the address, but listen only once Start is called
	Fault          Fault         // the fault at start; see SetFault
	AckDelay       time.Duration // wait this long before each ack
	DiscardEntries bool          // keep messages without their entries: for long runs
}

// Message is one PackedForward message received.
type Message struct {
	Tag, Chunk string
	Size       int      // option size
	Entries    []byte   // the entries as sent
	Records    []Record // the entries, decoded
	Acked      bool     // the matching ack was written
}

// Record is one entry received; in Body, str and bin are strings, integers int64 or uint64.
type Record struct {
	Tag   string
	Time  time.Time
	Body  map[any]any
	Acked bool
}

// Server is a Forward receiver. Its methods are safe for concurrent use.
type Server struct {
	opts          Options
	network, addr string
	CAFile        string // a PEM file that makes the client trust the server; "" without TLS
	tlsConfig     *tls.Config
	fault         atomic.Int32

	mu            sync.Mutex
	stop          context.CancelFunc // closes the listener and connections of the last Start
	wg            sync.WaitGroup
	msgs          []Message
	open, maxOpen int
	violations    []error
}

// NewServer starts a receiver, unless opts.Stopped, and stops it when the test ends, failing
// the test if it got a message the client must not send.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{opts: opts, network: "tcp", addr: "127.0.0.1:0"}
	s.fault.Store(int32(opts.Fault))
	switch opts.Network {
	case "", "tcp":
	case "tcp6":
		s.addr = "[::1]:0"
	case "unix":
		// A short directory keeps the path below the 108-byte limit of a socket address.
		dir, err := os.MkdirTemp("", "fwt")
		if err != nil {
			t.Fatalf("forwardtest: %v", err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		s.network, s.addr = "unix", filepath.Join(dir, "forward.sock")
	default:
		t.Fatalf("forwardtest: network %q: want tcp, tcp6 or unix", opts.Network)
	}
	if opts.TLS {
		// httptest's certificate, valid for 127.0.0.1, ::1 and example.com, and its own CA.
		hs := httptest.NewTLSServer(nil)
		hs.Close()
		s.tlsConfig, s.CAFile = hs.TLS, filepath.Join(t.TempDir(), "ca.pem")
		ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hs.Certificate().Raw})
		if err := os.WriteFile(s.CAFile, ca, 0o600); err != nil {
			t.Fatalf("forwardtest: %v", err)
		}
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if opts.Stopped {
		s.Stop()
	}
	t.Cleanup(func() {
		s.Stop()
		for _, err := range s.violations {
			t.Errorf("forwardtest: received a message the client must not send: %v", err)
		}
	})
	return s
}

// Addr returns the address as the client takes it: "tcp://host:port" or "unix:///path".
func (s *Server) Addr() string { return s.network + "://" + s.addr }

// SetFault makes the receiver misbehave from the next message on; NoFault ends it.
func (s *Server) SetFault(f Fault) { s.fault.Store(int32(f)) }

// Start listens again on the same address after Stop or Options.Stopped.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ln, err := s.listen()
	if err != nil {
		return fmt.Errorf("forwardtest: %w", err)
	}
	if a := ln.Addr().String(); a != s.addr {
		s.addr = a // the port chosen, at the first Start only: Addr needs no lock
	}
	ctx, cancel := context.WithCancel(context.Background())
	// Closed here, not from a goroutine: Close returns once the socket is, so that the next Start can take the port.
	s.stop = func() { cancel(); ln.Close() }
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for c, err := ln.Accept(); err == nil; c, err = ln.Accept() {
			s.wg.Add(1)
			go s.serve(ctx, c)
		}
	}()
	return nil
}

// listen listens on the server's address. A TCP port the first Start chooses lies below Linux's
// ephemeral range (32768 on): an ephemeral one may become another connection's local port while
// the receiver is stopped, and the next Start would find it taken.
func (s *Server) listen() (net.Listener, error) {
	host, port, _ := net.SplitHostPort(s.addr)
	for i := 0; port == "0" && i < 100; i++ {
		if ln, err := net.Listen(s.network, net.JoinHostPort(host, strconv.Itoa(10000+mrand.IntN(22768)))); err == nil {
			return ln, nil
		}
	}
	return net.Listen(s.network, s.addr)
}

// Stop closes the listener and every connection, as a receiver that died, keeping what arrived.
func (s *Server) Stop() {
	s.locked(func() { s.stop() })
	s.wg.Wait()
}

func (s *Server) locked(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// Messages returns the messages received, in arrival order.
func (s *Server) Messages() (msgs []Message) {
	s.locked(func() { msgs = slices.Clone(s.msgs) })
	return msgs
}

// Records returns the records received, in arrival order: a record sent twice appears twice.
func (s *Server) Records() []Record {
	var out []Record
	for _, m := range s.Messages() {
		for _, r := range m.Records {
			r.Tag, r.Acked = m.Tag, m.Acked
			out = append(out, r)
		}
	}
	return out
}

// WaitRecords waits until messages of at least n records arrived, acked or not, up to timeout.
func (s *Server) WaitRecords(n int, timeout time.Duration) error {
	for deadline := time.Now().Add(timeout); ; time.Sleep(time.Millisecond) {
		got := 0
		for _, m := range s.Messages() {
			got += m.Size
		}
		if got >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("forwardtest: %d records arrived within %s, want %d", got, timeout, n)
		}
	}
}

// MaxOpenConns returns the largest number of connections open at the same time.
func (s *Server) MaxOpenConns() (n int) {
	s.locked(func() { n = s.maxOpen })
	return n
}

// errReader keeps the last read error, which tells a failed read from a malformed message.
type errReader struct {
	io.Reader
	err error
}

func (r *errReader) Read(p []byte) (n int, err error) {
	n, err = r.Reader.Read(p)
	r.err = cmp.Or(err, r.err)
	return n, err
}

func (s *Server) serve(ctx context.Context, c net.Conn) {
	defer s.wg.Done()
	defer context.AfterFunc(ctx, func() { c.Close() })()
	defer c.Close()
	s.locked(func() {
		s.open++
		s.maxOpen = max(s.maxOpen, s.open)
	})
	defer s.locked(func() { s.open-- })
	rw := c
	if s.tlsConfig != nil {
		cfg, sc := s.tlsConfig.Clone(), &stepConn{Conn: c, step: s.opts.TLSStep}
		cfg.MaxVersion = s.opts.TLSMaxVersion
		tc := tls.Server(sc, cfg)
		if tc.HandshakeContext(ctx) != nil {
			return
		}
		sc.step, rw = 0, tc
	}
	in := &errReader{Reader: rw}
	d := msgpack.NewDecoder(in)
	d.DisallowUnknownFields(true)
	if s.opts.SharedKey != "" && s.handshake(rw, d) != nil {
		return
	}
	for first := true; ; first = false {
		if _, err := d.PeekCode(); err != nil || Fault(s.fault.Load()) == DropMidMessage {
			return
		}
		m, err := s.read(d)
		probe := err == nil && m.Size == 0
		if probe && (!first || s.opts.SharedKey != "" || s.tlsConfig != nil) {
			err = fmt.Errorf("probe %q after the first message or a handshake", m.Chunk)
		}
		if err != nil && in.err == nil {
			s.locked(func() { s.violations = append(s.violations, err) })
		}
		if err == nil && probe { // answered whatever the fault, and not kept
			if writeAck(rw, m.Chunk) != nil {
				return
			}
			continue
		}
		fault := Fault(s.fault.Load())
		if err != nil || fault == Drop {
			return
		}
		var i int
		s.locked(func() {
			i = len(s.msgs)
			s.msgs = append(s.msgs, m)
		})
		if fault == NoAck {
			continue
		}
		time.Sleep(s.opts.AckDelay)
		id := m.Chunk
		if fault == WrongAck {
			id = "d3JvbmcgY2h1bmsgaWQgIQ=="
		}
		s.locked(func() { s.msgs[i].Acked = id == m.Chunk }) // before the client can see the ack
		if writeAck(rw, id) != nil {
			s.locked(func() { s.msgs[i].Acked = false })
			return
		}
	}
}

// stepConn waits step before its first read and before each read that follows a write. in_forward
// runs its side of a TLS handshake so, in steps, sleeping 500 ms whenever it waits for the
// client (src/tls/flb_tls.c): a TLS 1.2 handshake, which waits for the client twice, takes up
// to a second, though its ServerHello may come at once.
type stepConn struct {
	net.Conn
	step time.Duration
	wait bool // the next read follows a write
	read bool // a read happened
}

func (c *stepConn) Read(p []byte) (int, error) {
	if !c.read || c.wait {
		time.Sleep(c.step)
	}
	c.read, c.wait = true, false
	return c.Conn.Read(p)
}

func (c *stepConn) Write(p []byte) (int, error) {
	c.wait = true
	return c.Conn.Write(p)
}

// writeAck writes {"ack": id}, the id as str 8 as in_forward writes it.
func writeAck(w io.Writer, id string) error {
	_, err := w.Write(append([]byte{0x81, 0xa3, 'a', 'c', 'k', 0xd9, byte(len(id))}, id...))
	return err
}

// handshake runs the receiver's side of the shared-key handshake as in_forward does
// (plugins/in_forward/fw_prot.c): its HELO carries a user-auth salt, users or not; a PING
// with a wrong digest gets no PONG, the connection is closed; with Users, a refusing PONG.
func (s *Server) handshake(c net.Conn, d *msgpack.Decoder) error {
	e, key, nonce := msgpack.NewEncoder(c), s.opts.SharedKey, []byte(rand.Text()[:16])
	helo := []any{"HELO", map[string]any{"nonce": string(nonce), "auth": rand.Text()[:16]}}
	if err := e.Encode(helo); err != nil {
		return err
	}
	var ping []string // ["PING", hostname, salt, digest, username, password]
	err := d.Decode(&ping)
	if err != nil || len(ping) != 6 || ping[0] != "PING" || ping[3] != digest(ping[2], ping[1], nonce, key) {
		return fmt.Errorf("handshake refused: PING %q: %v", ping, err)
	}
	if s.opts.Users {
		e.Encode([]any{"PONG", false, "username/password mismatch", "", ""})
		return fmt.Errorf("handshake refused: user %q", ping[4])
	}
	return e.Encode([]any{"PONG", true, "", "forwardtest", digest(ping[2], "forwardtest", nonce, key)})
}

// digest is sha512_hex(salt + hostname + nonce + shared_key) from the Forward v1 spec.
func digest(salt, hostname string, nonce []byte, key string) string {
	return fmt.Sprintf("%x", sha512.Sum512([]byte(salt+hostname+string(nonce)+key)))
}

// read reads [str tag, bin entries, {"chunk": str, "size": int}], the message the client
// sends, with its entries decoded unless Options.DiscardEntries, or the probe of a new
// connection, [str tag, [], {"chunk": str, "size": 0}].
func (s *Server) read(d *msgpack.Decoder) (m Message, err error) {
	n, err := d.DecodeArrayLen()
	if err != nil || n != 3 {
		return m, fmt.Errorf("message is not an array of tag, entries and option (%d elements): %v", n, err)
	}
	if c, err := d.PeekCode(); err != nil || !msgpcode.IsString(c) {
		return m, fmt.Errorf("tag is not a str (code 0x%02x): %v", c, err)
	}
	if m.Tag, err = d.DecodeString(); err != nil {
		return m, err
	}
	c, err := d.PeekCode()
	probe := err == nil && c == msgpcode.FixedArrayLow
	switch {
	case probe:
		err = d.Skip()
	case err != nil || !msgpcode.IsBin(c):
		return m, fmt.Errorf("entries are not a bin, so not PackedForward (code 0x%02x): %v", c, err)
	case s.opts.DiscardEntries:
		err = d.Skip()
	default:
		m.Entries, err = d.DecodeBytes()
	}
	var opt struct {
		Chunk string `msgpack:"chunk"`
		Size  int    `msgpack:"size"`
	}
	if err == nil {
		err = d.Decode(&opt)
	}
	m.Chunk, m.Size = opt.Chunk, opt.Size
	if err != nil || m.Tag == "" || m.Chunk == "" || m.Size < 0 || (m.Size == 0) != probe {
		return m, fmt.Errorf("tag %q, option chunk %q and size %d: want all three, size 0 in a probe only: %v", m.Tag, m.Chunk, m.Size, err)
	}
	if probe || s.opts.DiscardEntries {
		return m, nil
	}
	rd := bytes.NewReader(m.Entries)
	ed := msgpack.NewDecoder(rd)
	ed.UseLooseInterfaceDecoding(true)
	// Records may have keys of any type.
	ed.SetMapDecoder(func(d *msgpack.Decoder) (any, error) { return d.DecodeUntypedMap() })
	for rd.Len() > 0 {
		r, err := decodeEntry(ed, false)
		if err != nil {
			return m, fmt.Errorf("entry %d: %v", len(m.Records), err)
		}
		m.Records = append(m.Records, r)
	}
	if len(m.Records) != m.Size {
		return m, fmt.Errorf("option size is %d, the entries hold %d records", m.Size, len(m.Records))
	}
	return m, nil
}

// decodeEntry decodes [time, record], where time may itself be a [time, metadata] header as
// Fluent Bit 2.1 and later write it, and is an EventTime (ext 0: seconds and nanoseconds), an
// integer or a float.
func decodeEntry(d *msgpack.Decoder, header bool) (r Record, err error) {
	if n, err := d.DecodeArrayLen(); err != nil || n != 2 {
		return r, fmt.Errorf("not a [time, map] array (%d elements): %v", n, err)
	}
	switch c, _ := d.PeekCode(); {
	case !header && (msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32):
		r, err = decodeEntry(d, true) // its Body, the metadata, is replaced below
	case msgpcode.IsExt(c):
		var b [8]byte
		if id, n, err := d.DecodeExtHeader(); err != nil || id != 0 || n != 8 {
			return r, fmt.Errorf("time is ext %d of %d bytes, want EventTime: %v", id, n, err)
		}
		err = d.ReadFull(b[:])
		r.Time = time.Unix(int64(binary.BigEndian.Uint32(b[:4])), int64(binary.BigEndian.Uint32(b[4:]))).UTC()
	default: // an integer too, exact in nanoseconds until 2116
		var v float64
		if v, err = d.DecodeFloat64(); err != nil {
			return r, fmt.Errorf("time is not an EventTime, integer or float: %v", err)
		}
		r.Time = time.Unix(0, int64(v*1e9)).UTC()
	}
	if err != nil {
		return r, err
	}
	body, err := d.DecodeInterfaceLoose()
	if r.Body, _ = body.(map[any]any); err != nil || r.Body == nil {
		return r, fmt.Errorf("%v is not a map: %v", body, err)
	}
	return r, nil
}
