package forward

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/enrich-plugin/enrich/internal/msgpack"
)

// maxResponse bounds what the client buffers while waiting for an ack or handshake message;
// a receiver that sends more is not speaking the Forward protocol.
const maxResponse = 64 << 10

// chunkIDLen is the length of a base64-encoded 128-bit chunk id.
const chunkIDLen = 24

// conn is one connection to the receiver with the buffers its sends reuse. A conn is used by
// one Send at a time.
type conn struct {
	nc   net.Conn // what is read and written: the TLS connection or raw
	raw  net.Conn // the socket under TLS, for the liveness probe
	hdr  []byte   // message header up to the entries, rebuilt per send
	tail []byte   // options map after the entries, rebuilt per send
	rbuf []byte   // response buffer
	id   [chunkIDLen]byte
	vec  [3][]byte   // header, entries, options: one writev per send
	bufs net.Buffers // consumed by WriteTo; a field so that it does not escape per send
	// reusable is false when the receiver asked not to keep connections (HELO keepalive
	// false) or left unread bytes after an ack.
	reusable bool
}

// dialer opens connections; it is a field of Client so tests can count and fail dials.
type dialer func(ctx context.Context, network, addr string) (net.Conn, error)

func netDial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// connect dials, wraps TLS and runs the shared-key handshake, all bounded by ctx. It
// returns the step that failed with the error.
func (c *Client) connect(ctx context.Context) (*conn, string, error) {
	raw, err := c.dial(ctx, c.addr.Network, c.addr.Addr)
	if err != nil {
		return nil, "dial", err
	}
	cn := &conn{nc: raw, raw: raw, reusable: true, rbuf: make([]byte, 0, 512), hdr: make([]byte, 0, 128), tail: make([]byte, 0, 64)}
	if dl, ok := ctx.Deadline(); ok {
		if err := raw.SetDeadline(dl.Add(deadlineSlack)); err != nil {
			raw.Close()
			return nil, "dial", err
		}
	}
	stop := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if c.tlsConfig != nil {
		tc := tls.Client(raw, c.tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, "tls handshake", err
		}
		cn.nc = tc
	}
	if c.cfg.SharedKey != "" {
		if err := c.handshake(cn); err != nil {
			cn.nc.Close()
			return nil, "handshake", err
		}
	}
	if !stop() {
		// The context ended while connecting: the deadline is poisoned.
		cn.nc.Close()
		return nil, "dial", context.Cause(ctx)
	}
	return cn, "", nil
}

// handshake runs the client side of the Forward v1 handshake: read HELO, send PING, read
// PONG and check that the receiver proved it knows the same shared key.
func (c *Client) handshake(cn *conn) error {
	msg, err := cn.readObject()
	if err != nil {
		return fmt.Errorf("read HELO: %w", err)
	}
	nonce, userAuth, keepalive, err := parseHelo(msg)
	if err != nil {
		return err
	}
	if userAuth {
		return ErrUserAuth
	}
	cn.reusable = keepalive
	var saltRaw [16]byte
	if _, err := rand.Read(saltRaw[:]); err != nil {
		return fmt.Errorf("generate salt: %w", err)
	}
	salt := hex.EncodeToString(saltRaw[:])
	digest := sharedKeyDigest(salt, c.hostname, nonce, c.cfg.SharedKey)
	ping := msgpack.AppendArrayHeader(nil, 6)
	ping = msgpack.AppendStr(ping, "PING")
	ping = msgpack.AppendStr(ping, c.hostname)
	ping = msgpack.AppendStr(ping, salt)
	ping = msgpack.AppendStr(ping, digest)
	ping = msgpack.AppendStr(ping, "")
	ping = msgpack.AppendStr(ping, "")
	if _, err := cn.nc.Write(ping); err != nil {
		return fmt.Errorf("write PING: %w", err)
	}
	msg, err = cn.readObject()
	if err != nil {
		return fmt.Errorf("read PONG: %w", err)
	}
	return checkPong(msg, salt, nonce, c.cfg.SharedKey)
}

// sharedKeyDigest is sha512_hex(salt + hostname + nonce + shared_key) from the Forward v1 spec.
func sharedKeyDigest(salt, hostname string, nonce []byte, key string) string {
	h := sha512.New()
	io.WriteString(h, salt)
	io.WriteString(h, hostname)
	h.Write(nonce)
	io.WriteString(h, key)
	return hex.EncodeToString(h.Sum(nil))
}

// parseHelo reads ["HELO", {"nonce": str|bin, "auth": str|bin, "keepalive": bool}].
// A non-empty auth salt means the receiver wants a user name and password.
func parseHelo(b []byte) (nonce []byte, userAuth, keepalive bool, err error) {
	n, b, err := msgpack.ReadArrayHeader(b)
	if err != nil || n != 2 {
		return nil, false, false, fmt.Errorf("%w: HELO is not a 2-element array", ErrHandshake)
	}
	typ, b, err := msgpack.ReadStr(b)
	if err != nil || string(typ) != "HELO" {
		return nil, false, false, fmt.Errorf("%w: want HELO, got %q", ErrHandshake, typ)
	}
	pairs, b, err := msgpack.ReadMapHeader(b)
	if err != nil {
		return nil, false, false, fmt.Errorf("%w: HELO options are not a map", ErrHandshake)
	}
	keepalive = true
	for i := 0; i < pairs; i++ {
		var k []byte
		k, b, err = msgpack.ReadStr(b)
		if err != nil {
			return nil, false, false, fmt.Errorf("%w: HELO option key: %w", ErrHandshake, err)
		}
		switch string(k) {
		case "nonce":
			nonce, b, err = msgpack.ReadStrOrBin(b)
		case "auth":
			var salt []byte
			salt, b, err = msgpack.ReadStrOrBin(b)
			userAuth = len(salt) > 0
		case "keepalive":
			keepalive, b, err = msgpack.ReadBool(b)
		default:
			var skip int
			skip, err = msgpack.Skip(b)
			if err == nil {
				b = b[skip:]
			}
		}
		if err != nil {
			return nil, false, false, fmt.Errorf("%w: HELO option %q: %w", ErrHandshake, k, err)
		}
	}
	if len(nonce) == 0 {
		return nil, false, false, fmt.Errorf("%w: HELO has no nonce", ErrHandshake)
	}
	return bytes.Clone(nonce), userAuth, keepalive, nil
}

// checkPong reads ["PONG", auth_result, reason, server_hostname, shared_key_hexdigest] and
// verifies the digest, so a receiver without the key cannot pose as the real one.
func checkPong(b []byte, salt string, nonce []byte, key string) error {
	n, b, err := msgpack.ReadArrayHeader(b)
	if err != nil || n != 5 {
		return fmt.Errorf("%w: PONG is not a 5-element array", ErrHandshake)
	}
	typ, b, err := msgpack.ReadStr(b)
	if err != nil || string(typ) != "PONG" {
		return fmt.Errorf("%w: want PONG, got %q", ErrHandshake, typ)
	}
	ok, b, err := msgpack.ReadBool(b)
	if err != nil {
		return fmt.Errorf("%w: PONG auth result: %w", ErrHandshake, err)
	}
	reason, b, err := msgpack.ReadStrOrBin(b)
	if err != nil {
		return fmt.Errorf("%w: PONG reason: %w", ErrHandshake, err)
	}
	if !ok {
		return fmt.Errorf("%w: %q", ErrAuthRefused, reason)
	}
	host, b, err := msgpack.ReadStrOrBin(b)
	if err != nil {
		return fmt.Errorf("%w: PONG server hostname: %w", ErrHandshake, err)
	}
	digest, _, err := msgpack.ReadStrOrBin(b)
	if err != nil {
		return fmt.Errorf("%w: PONG digest: %w", ErrHandshake, err)
	}
	want := sharedKeyDigest(salt, string(host), nonce, key)
	if subtle.ConstantTimeCompare(digest, []byte(want)) != 1 {
		return fmt.Errorf("%w: the receiver's digest does not match the shared key", ErrHandshake)
	}
	return nil
}

// readObject reads from the connection until rbuf holds one complete MessagePack object and
// returns it; bytes after it are kept for the next call.
func (cn *conn) readObject() ([]byte, error) {
	for empty := 0; empty < 100; {
		if len(cn.rbuf) > 0 {
			n, err := msgpack.Skip(cn.rbuf)
			if err == nil {
				obj := cn.rbuf[:n:n]
				rest := len(cn.rbuf) - n
				// Compact lazily: callers use obj before the next read, so move the rest to
				// a fresh region only if there is any.
				if rest > 0 {
					next := make([]byte, rest, max(rest, 512))
					copy(next, cn.rbuf[n:])
					cn.rbuf = next
				} else {
					cn.rbuf = cn.rbuf[:0]
				}
				return obj, nil
			}
			if !errors.Is(err, msgpack.ErrShort) {
				return nil, fmt.Errorf("%w: %w", ErrProtocol, err)
			}
		}
		if len(cn.rbuf) >= maxResponse {
			return nil, fmt.Errorf("%w: response larger than %d bytes", ErrProtocol, maxResponse)
		}
		if cap(cn.rbuf)-len(cn.rbuf) < 256 {
			grown := make([]byte, len(cn.rbuf), 2*cap(cn.rbuf)+256)
			copy(grown, cn.rbuf)
			cn.rbuf = grown
		}
		n, err := cn.nc.Read(cn.rbuf[len(cn.rbuf):cap(cn.rbuf)])
		cn.rbuf = cn.rbuf[:len(cn.rbuf)+n]
		if n > 0 {
			continue
		}
		if err == nil {
			empty++
			continue
		}
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("receiver closed the connection: %w", err)
		}
		return nil, err
	}
	return nil, io.ErrNoProgress
}

// newChunkID fills cn.id with a fresh base64 128-bit id, as the spec asks for `chunk`.
func (cn *conn) newChunkID() error {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return fmt.Errorf("generate chunk id: %w", err)
	}
	base64.StdEncoding.Encode(cn.id[:], raw[:])
	return nil
}

// roundTrip sends one PackedForward message and waits for its ack. The caller has set the
// connection deadline.
func (cn *conn) roundTrip(tag string, entries []byte, count int) (op string, err error) {
	if err := cn.newChunkID(); err != nil {
		return "write", err
	}
	h := msgpack.AppendArrayHeader(cn.hdr[:0], 3)
	h = msgpack.AppendStr(h, tag)
	cn.hdr = msgpack.AppendBinHeader(h, len(entries))
	// The options map follows the entries, so the payload goes to the socket between two
	// small reused buffers instead of being copied.
	t := msgpack.AppendMapHeader(cn.tail[:0], 2)
	t = msgpack.AppendStr(t, "chunk")
	t = msgpack.AppendStr(t, cn.id[:])
	t = msgpack.AppendStr(t, "size")
	cn.tail = msgpack.AppendUint(t, uint64(count))
	cn.vec = [3][]byte{cn.hdr, entries, cn.tail}
	cn.bufs = cn.vec[:]
	_, err = cn.bufs.WriteTo(cn.nc)
	cn.vec[1] = nil // do not keep the caller's entries alive
	if err != nil {
		return "write", err
	}
	resp, err := cn.readObject()
	if err != nil {
		return "read ack", err
	}
	if err := checkAck(resp, cn.id[:]); err != nil {
		return "read ack", err
	}
	if len(cn.rbuf) > 0 {
		cn.reusable = false
	}
	return "", nil
}

// checkAck accepts only {"ack": <id>} (other keys are ignored) with exactly our chunk id.
func checkAck(b []byte, id []byte) error {
	if len(b) > 0 && (b[0]&0xf0 == 0x90 || b[0] == 0xdc || b[0] == 0xdd) {
		if _, rest, err := msgpack.ReadArrayHeader(b); err == nil {
			if typ, _, err := msgpack.ReadStr(rest); err == nil && string(typ) == "HELO" {
				return ErrHandshakeRequired
			}
		}
	}
	n, b, err := msgpack.ReadMapHeader(b)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	found := false
	for i := 0; i < n; i++ {
		var k, v []byte
		k, b, err = msgpack.ReadStr(b)
		if err != nil {
			return fmt.Errorf("%w: ack key: %w", ErrProtocol, err)
		}
		if string(k) != "ack" {
			skip, err := msgpack.Skip(b)
			if err != nil {
				return fmt.Errorf("%w: ack value: %w", ErrProtocol, err)
			}
			b = b[skip:]
			continue
		}
		v, b, err = msgpack.ReadStrOrBin(b)
		if err != nil {
			return fmt.Errorf("%w: ack value: %w", ErrProtocol, err)
		}
		if !bytes.Equal(v, id) {
			return fmt.Errorf("%w: sent %q, acked %q", ErrAckMismatch, id, v)
		}
		found = true
	}
	if !found {
		return fmt.Errorf("%w: response has no ack", ErrProtocol)
	}
	return nil
}
