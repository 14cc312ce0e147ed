package forward

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/enrich-plugin/enrich/internal/msgpack"
)

// maxResponse bounds a buffered ack or handshake message; a receiver sending more is broken.
const maxResponse = 4 << 10

// chunkIDLen is the length of a base64-encoded 128-bit chunk id.
const chunkIDLen = 24

// conn is one connection to the receiver with the buffers its sends reuse; one Send uses it.
type conn struct {
	nc   net.Conn        // what is read and written: the TLS connection or the socket
	rc   syscall.RawConn // the socket under nc, for the liveness and stall probes
	head []byte          // message header up to the entries, then the options after them
	br   *bufio.Reader   // responses, read from nc
	id   [chunkIDLen]byte
	vec  [3][]byte   // header, entries, options: one writev per send
	bufs net.Buffers // consumed by WriteTo; a field so that it does not escape per send
	// reusable is false after HELO keepalive false or unread bytes after an ack.
	reusable bool
}

// connect dials, unless the backoff says to wait, then wraps TLS and runs the shared-key
// handshake, or else the probe under tag, within DialTimeout; errors name the step.
func (c *Client) connect(ctx context.Context, tag string) (*conn, error) {
	c.mu.Lock()
	now := c.now()
	if wait := c.lastTry.Add(c.delay).Sub(now); wait > 0 {
		last := c.last
		c.mu.Unlock()
		return nil, c.retryable("dial", fmt.Errorf("%w: next attempt in %s, after %w", ErrBackoff, wait, last))
	}
	// Reserve the attempt so that concurrent Sends do not all dial a receiver that is down.
	c.lastTry = now
	c.mu.Unlock()

	c.dials.Add(1)
	dctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	raw, err := c.dial(dctx, c.addr.Network, c.addr.Addr)
	if err != nil {
		c.dialFailures.Add(1)
		// The kernel refuses a path that is not a socket as it does a socket nothing listens on,
		// or, to a user who may not write the path, one that keeps the user out.
		if c.addr.Network == "unix" && (errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EACCES)) {
			if fi, serr := os.Stat(c.addr.Addr); serr == nil && fi.Mode().Type() != os.ModeSocket {
				err = fmt.Errorf("%w (%s is not a socket; in_forward's Unix_Path creates one)", err, c.addr.Addr)
			}
		}
		return nil, c.fail(ctx, "dial", err)
	}
	cn := &conn{nc: raw, reusable: true, head: make([]byte, 0, 192)}
	cn.rc, _ = raw.(syscall.Conn).SyscallConn() // every TCP and unix connection has one
	stop := bound(dctx, raw)
	op := "tls handshake"
	if c.tlsConfig != nil {
		// As for the HELO, a paused receiver sends no ServerHello; only that first answer is waited
		// for (answerWait): a TLS 1.2 handshake with in_forward takes about a second.
		hctx, cancel := context.WithCancelCause(dctx)
		ac := &answerConn{Conn: raw}
		if c.cfg.StallTimeout > 0 {
			defer time.AfterFunc(c.answerWait(), func() {
				if !ac.answered.Load() {
					cancel(ErrStalled)
				}
			}).Stop()
		}
		tc := tls.Client(ac, c.tlsConfig)
		if err, cn.nc = tc.HandshakeContext(hctx), tc; err != nil && errors.Is(context.Cause(hctx), ErrStalled) {
			err = fmt.Errorf("no ServerHello: %w", ErrStalled)
		}
		cancel(nil)
	}
	cn.br = bufio.NewReaderSize(cn.nc, maxResponse)
	if err == nil && c.cfg.SharedKey != "" {
		op, err = "handshake", c.handshake(dctx, cn)
	} else if err == nil && c.tlsConfig == nil {
		op, err = "probe", c.probe(dctx, cn, tag)
	}
	if !stop() && (err == nil || ctx.Err() != nil) {
		op, err = "dial", context.Cause(dctx) // the context ended while connecting: the deadline is poisoned
	}
	if err != nil {
		cn.nc.Close()
		c.dialFailures.Add(1)
		return nil, c.fail(ctx, op, err)
	}
	c.open.Add(1)
	return cn, nil
}

// answerConn notes the first bytes read from the receiver.
type answerConn struct {
	net.Conn
	answered atomic.Bool
}

func (c *answerConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.answered.Store(true)
	}
	return n, err
}

// bound makes the end of ctx interrupt blocked reads and writes on c by moving its deadline to
// the past; stop reports false when ctx has ended, leaving the deadline poisoned.
func bound(ctx context.Context, c net.Conn) (stop func() bool) {
	return context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
}

// tlsStep is how long in_forward takes each step of its side of a TLS handshake that waits for the
// client, the first too when it starts before the ClientHello is there: it sleeps 500 ms
// (src/tls/flb_tls.c), and sends its HELO only once its side is done.
const tlsStep = 500 * time.Millisecond

// answerWait is how long a receiver's answer to a new connection is waited for: StallTimeout, and
// with TLS two of in_forward's steps at least.
func (c *Client) answerWait() time.Duration {
	if c.tlsConfig != nil {
		return max(c.cfg.StallTimeout, 2*tlsStep)
	}
	return c.cfg.StallTimeout
}

// answerWithin bounds ctx by answerWait, for a receiver's answer to a new connection: a paused
// in_forward leaves the connection in its backlog, where nothing answers.
func (c *Client) answerWithin(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.cfg.StallTimeout > 0 {
		return context.WithTimeoutCause(ctx, c.answerWait(), ErrStalled)
	}
	return ctx, func() {}
}

// handshake runs the client side of the Forward v1 handshake: HELO, PING, PONG, checking its digest.
// A receiver sends its HELO as soon as it accepts the connection, so it is waited for StallTimeout.
func (c *Client) handshake(ctx context.Context, cn *conn) error {
	ctx, cancel := c.answerWithin(ctx)
	defer cancel()
	stop := bound(ctx, cn.nc)
	msg, err := cn.readObject()
	if !stop() { // the deadline is poisoned, even if the HELO came just in time
		return fmt.Errorf("read HELO: %w (a paused receiver sends none, nor one without a shared key): %w",
			context.Cause(ctx), cmp.Or(err, errors.New("no HELO")))
	}
	if err != nil {
		return fmt.Errorf("read HELO: %w", err)
	}
	nonce, userAuth, keepalive, err := parseHelo(msg)
	if err != nil {
		return err
	}
	cn.reusable = keepalive
	host, key, salt := c.hostname, c.cfg.SharedKey, rand.Text()
	// No user name and password: in_forward checks them only when it has security.users.
	ping := msgpack.AppendArrayHeader(nil, 6)
	for _, s := range []string{"PING", host, salt, sharedKeyDigest(salt, host, nonce, key), "", ""} {
		ping = msgpack.AppendStr(ping, s)
	}
	if _, err := cn.nc.Write(ping); err != nil {
		return fmt.Errorf("write PING: %w", err)
	}
	switch msg, err = cn.readObject(); {
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: it closed the connection after PING, as in_forward does when its Shared_Key differs", ErrAuthRefused)
	case err != nil:
		return fmt.Errorf("read PONG: %w", err)
	}
	return checkPong(msg, salt, nonce, key, userAuth)
}

// probe proves that the receiver reads a new connection before a payload is written to it, as
// the TLS handshake and the HELO do for the other connections. A paused in_forward accepts
// nothing, but the kernel completes the connection in its listen backlog and keeps what is
// written there; in_forward stores it once it resumes, though the send failed and the chunk is
// retried. The probe is an empty Forward mode message under the payload's tag, which in_forward
// acknowledges and stores nothing of (plugins/in_forward/fw_prot.c), waited for StallTimeout.
func (c *Client) probe(ctx context.Context, cn *conn, tag string) error {
	ctx, cancel := c.answerWithin(ctx)
	defer cancel()
	stop := bound(ctx, cn.nc)
	_, err := cn.roundTrip(tag, nil, 0)
	if !stop() {
		return fmt.Errorf("no ack to an empty message: %w (a paused receiver sends none): %w",
			context.Cause(ctx), cmp.Or(err, errors.New("no ack")))
	}
	cn.br.Discard(cn.br.Buffered()) // bytes after the ack, for which roundTrip marks cn not to reuse
	return err
}

// sharedKeyDigest is sha512_hex(salt + hostname + nonce + shared_key) from the Forward v1 spec.
func sharedKeyDigest(salt, hostname string, nonce []byte, key string) string {
	return fmt.Sprintf("%x", sha512.Sum512([]byte(salt+hostname+string(nonce)+key)))
}

// decoder reads MessagePack values one after the other and keeps the first error.
type decoder struct {
	b   []byte
	err error
}

func next[T any](d *decoder, read func([]byte) (T, []byte, error)) (v T) {
	if d.err == nil {
		v, d.b, d.err = read(d.b)
	}
	return v
}

func skip(b []byte) (struct{}, []byte, error) {
	n, err := msgpack.Skip(b)
	return struct{}{}, b[n:], err
}

// fail returns kind with what went wrong and the decoding error, if any.
func (d *decoder) fail(kind error, what string) error {
	if d.err != nil {
		return fmt.Errorf("%w: %s: %w", kind, what, d.err)
	}
	return fmt.Errorf("%w: %s", kind, what)
}

// parseHelo reads ["HELO", {"nonce": str|bin, "auth": str|bin, "keepalive": bool}].
// A non-empty auth salt says the receiver may ask for a user name and password:
// Fluentd sends one only then, Fluent Bit's in_forward always.
func parseHelo(b []byte) (nonce []byte, userAuth, keepalive bool, err error) {
	d := &decoder{b: b}
	n := next(d, msgpack.ReadArrayHeader)
	typ := next(d, msgpack.ReadStr)
	pairs := next(d, msgpack.ReadMapHeader)
	if d.err != nil || n != 2 || string(typ) != "HELO" {
		return nil, false, false, d.fail(ErrHandshake, fmt.Sprintf(`want ["HELO", {options}], got %q`, typ))
	}
	keepalive = true
	for ; pairs > 0 && d.err == nil; pairs-- {
		switch string(next(d, msgpack.ReadStr)) {
		case "nonce":
			nonce = next(d, msgpack.ReadStrOrBin)
		case "auth":
			userAuth = len(next(d, msgpack.ReadStrOrBin)) > 0
		case "keepalive":
			keepalive = next(d, msgpack.ReadBool)
		default:
			next(d, skip)
		}
	}
	switch {
	case d.err != nil:
		return nil, false, false, d.fail(ErrHandshake, "HELO options")
	case len(nonce) == 0:
		return nil, false, false, fmt.Errorf("%w: HELO has no nonce", ErrHandshake)
	}
	return bytes.Clone(nonce), userAuth, keepalive, nil
}

// checkPong reads ["PONG", auth_result, reason, server_hostname, shared_key_hexdigest] and
// verifies the digest, so a receiver without the key cannot pose as the real one. A refusal
// after a HELO with an auth salt is taken as the receiver asking for a user name and password.
func checkPong(b []byte, salt string, nonce []byte, key string, userAuth bool) error {
	d := &decoder{b: b}
	n := next(d, msgpack.ReadArrayHeader)
	typ := next(d, msgpack.ReadStr)
	ok := next(d, msgpack.ReadBool)
	reason := next(d, msgpack.ReadStrOrBin)
	host := next(d, msgpack.ReadStrOrBin)
	digest := next(d, msgpack.ReadStrOrBin)
	switch {
	case d.err != nil || n != 5 || string(typ) != "PONG":
		return d.fail(ErrHandshake, fmt.Sprintf("want a 5-element PONG, got %q", typ))
	case !ok && userAuth && !bytes.Contains(reason, []byte("shared_key")): // Fluentd checks the key first
		return fmt.Errorf("%w: %q", ErrUserAuth, reason)
	case !ok:
		return fmt.Errorf("%w: %q", ErrAuthRefused, reason)
	case subtle.ConstantTimeCompare(digest, []byte(sharedKeyDigest(salt, string(host), nonce, key))) != 1:
		return fmt.Errorf("%w: the receiver's digest does not match the shared key", ErrHandshake)
	}
	return nil
}

// readObject reads one MessagePack object, valid until the next call; bytes after it stay buffered.
func (cn *conn) readObject() ([]byte, error) {
	for {
		b, _ := cn.br.Peek(cn.br.Buffered())
		n, err := msgpack.Skip(b)
		if err == nil {
			cn.br.Discard(n)
			return b[:n:n], nil
		}
		if !errors.Is(err, msgpack.ErrShort) {
			return nil, fmt.Errorf("%w: %w", ErrProtocol, err)
		}
		switch _, err = cn.br.Peek(len(b) + 1); {
		case errors.Is(err, bufio.ErrBufferFull):
			return nil, fmt.Errorf("%w: response larger than %d bytes", ErrProtocol, maxResponse)
		case errors.Is(err, io.EOF):
			return nil, fmt.Errorf("receiver closed the connection: %w", err)
		case err != nil:
			return nil, err
		}
	}
}

// roundTrip sends one PackedForward message and waits for its ack, within the caller's deadline;
// nil entries send the empty Forward mode message of a probe.
func (cn *conn) roundTrip(tag string, entries []byte, count int) (op string, err error) {
	var raw [16]byte
	rand.Read(raw[:]) // never fails
	base64.StdEncoding.Encode(cn.id[:], raw[:])
	h := msgpack.AppendArrayHeader(cn.head[:0], 3)
	h = msgpack.AppendStr(h, tag)
	if entries == nil {
		h = msgpack.AppendArrayHeader(h, 0)
	} else {
		h = msgpack.AppendBinHeader(h, len(entries))
	}
	split := len(h)
	// The entries go to the socket uncopied, between the header and the options map.
	h = msgpack.AppendMapHeader(h, 2)
	h = msgpack.AppendStr(h, "chunk")
	h = msgpack.AppendStr(h, cn.id[:])
	h = msgpack.AppendStr(h, "size")
	cn.head = msgpack.AppendUint(h, uint64(count))
	cn.vec = [3][]byte{cn.head[:split], entries, cn.head[split:]}
	cn.bufs = cn.vec[:]
	_, err = cn.bufs.WriteTo(cn.nc)
	cn.vec[1] = nil // do not keep the caller's entries alive
	if err != nil {
		// in_forward with a Shared_Key sends a HELO and closes on a payload too large for a PING:
		// that HELO, readable without blocking once alive sees it, names the cause.
		if !alive(cn.rc) {
			if resp, rerr := cn.readObject(); rerr == nil && checkAck(resp, nil) == ErrHandshakeRequired {
				err = ErrHandshakeRequired
			}
		}
		return "write", err
	}
	resp, err := cn.readObject()
	if err == nil {
		err = checkAck(resp, cn.id[:])
	}
	cn.reusable = cn.reusable && cn.br.Buffered() == 0
	return "read ack", err
}

// checkAck accepts only {"ack": <id>} (other keys are ignored) with exactly our chunk id.
func checkAck(b []byte, id []byte) error {
	d := &decoder{b: b}
	if next(d, msgpack.ReadArrayHeader); string(next(d, msgpack.ReadStr)) == "HELO" {
		return ErrHandshakeRequired
	}
	d = &decoder{b: b}
	var acked []byte
	for n := next(d, msgpack.ReadMapHeader); n > 0 && d.err == nil; n-- {
		if string(next(d, msgpack.ReadStr)) == "ack" {
			acked = next(d, msgpack.ReadStrOrBin)
		} else {
			next(d, skip)
		}
	}
	switch {
	case d.err != nil || acked == nil:
		return d.fail(ErrProtocol, `want {"ack": chunk id}`)
	case !bytes.Equal(acked, id):
		return fmt.Errorf("%w: sent %q, acked %q", ErrAckMismatch, id, acked)
	}
	return nil
}
