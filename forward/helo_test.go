package forward

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/enrich-plugin/enrich/internal/msgpack"
)

func helo(opts ...string) []byte {
	b := msgpack.AppendArrayHeader(nil, 2)
	b = msgpack.AppendStr(b, "HELO")
	b = msgpack.AppendMapHeader(b, len(opts)/2)
	for i := 0; i+1 < len(opts); i += 2 {
		b = msgpack.AppendStr(b, opts[i])
		b = msgpack.AppendStr(b, opts[i+1])
	}
	return b
}

func TestParseHelo(t *testing.T) {
	tests := []struct {
		name     string
		msg      []byte
		userAuth bool
		wantErr  error
	}{
		{"shared key only", helo("nonce", "n0nce", "auth", ""), false, nil},
		{"no auth option", helo("nonce", "n0nce"), false, nil},
		// Fluent Bit's in_forward sends a salt, users or not.
		{"auth salt", helo("nonce", "n0nce", "auth", "s4lt"), true, nil},
		// An option of a later protocol is passed over, and the options after it still read.
		{"an option it does not know", helo("nonce", "n0nce", "compress", "gzip", "auth", "s4lt"), true, nil},
		{"no nonce", helo("auth", ""), false, ErrHandshake},
		{"keepalive not a bool", helo("nonce", "n0nce", "keepalive", "yes"), false, ErrHandshake},
		{"keepalive not a bool, the decoding error named", helo("nonce", "n0nce", "keepalive", "yes"), false, msgpack.ErrInvalid},
		{"three elements", append(append(msgpack.AppendArrayHeader(nil, 3), helo("nonce", "n0nce")[1:]...), 0xc0), false, ErrHandshake},
		{"not a HELO", append(msgpack.AppendArrayHeader(nil, 2), append(msgpack.AppendStr(nil, "PING"), helo("nonce", "n0nce")[6:]...)...), false, ErrHandshake},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nonce, userAuth, keepalive, err := parseHelo(tt.msg)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("parseHelo error %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if string(nonce) != "n0nce" || userAuth != tt.userAuth || !keepalive {
				t.Errorf("nonce %q userAuth %v keepalive %v, want n0nce, %v and true (the default)", nonce, userAuth, keepalive, tt.userAuth)
			}
		})
	}
}

// TestCheckPongRefusals: after a HELO with an auth salt, a refusal is a demand for a user
// name and password unless it names the shared key, as Fluentd's does.
func TestCheckPongRefusals(t *testing.T) {
	for _, tt := range []struct {
		reason   string
		userAuth bool
		want     error
	}{
		{"username/password mismatch", true, ErrUserAuth},
		{"shared_key mismatch", true, ErrAuthRefused},
		{"shared_key mismatch", false, ErrAuthRefused},
		{"username/password mismatch", false, ErrAuthRefused},
	} {
		pong := append(msgpack.AppendStr(msgpack.AppendArrayHeader(nil, 5), "PONG"), 0xc2) // false
		for _, s := range []string{tt.reason, "", ""} {
			pong = msgpack.AppendStr(pong, s)
		}
		if err := checkPong(pong, "salt", []byte("nonce"), "key", tt.userAuth); !errors.Is(err, tt.want) {
			t.Errorf("PONG refusing with %q after a HELO with a salt %v: %v, want %v", tt.reason, tt.userAuth, err, tt.want)
		}
	}
}

func pong(ok bool, fields ...string) []byte {
	b := msgpack.AppendArrayHeader(nil, 1+1+len(fields))
	b = append(msgpack.AppendStr(b, "PONG"), map[bool]byte{false: 0xc2, true: 0xc3}[ok])
	for _, s := range fields {
		b = msgpack.AppendStr(b, s)
	}
	return b
}

// TestCheckPong: a PONG is accepted only with the digest of the shared key, so that a receiver
// without the key cannot pose as the real one.
func TestCheckPong(t *testing.T) {
	nonce := []byte("nonce")
	good := sharedKeyDigest("salt", "receiver", nonce, "key")
	tests := []struct {
		name string
		msg  []byte
		want error
	}{
		{"digest of the key", pong(true, "", "receiver", good), nil},
		{"digest of another key", pong(true, "", "receiver", sharedKeyDigest("salt", "receiver", nonce, "other")), ErrHandshake},
		{"digest for another host name", pong(true, "", "impostor", good), ErrHandshake},
		{"no digest", pong(true, "", "receiver", ""), ErrHandshake},
		{"four elements", pong(true, "", "receiver"), ErrHandshake},
		{"six elements", pong(true, "", "receiver", good, ""), ErrHandshake},
		{"not a PONG", append(msgpack.AppendStr(msgpack.AppendArrayHeader(nil, 5), "PING"), pong(true, "", "receiver", good)[6:]...), ErrHandshake},
		{"result not a bool", append(msgpack.AppendStr(msgpack.AppendArrayHeader(nil, 5), "PONG"), pong(false, "true", "", "receiver", good)[7:]...), ErrHandshake},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := checkPong(tt.msg, "salt", nonce, "key", false); !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("checkPong = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestReadObject: a response is one MessagePack object, the bytes after it kept for the next read;
// a malformed one, one larger than maxResponse or one cut short by the receiver is an error.
func TestReadObject(t *testing.T) {
	big := append([]byte{0xdb, 0, 0, 0x20, 0}, make([]byte, 0x2000)...) // a str32 of 8 KiB
	tests := []struct {
		name, in, want string
		wantErr        string // a part of the error, "" for none
		wantLeft       int    // bytes left buffered
	}{
		{"one object, the next left", "\x81\xa3ack\xa1x\xc0", "\x81\xa3ack\xa1x", "", 1},
		{"malformed", "\xc1\x81\xa3ack\xa1x", "", ErrProtocol.Error(), 0},
		{"larger than a response", string(big), "", "response larger than 4096 bytes", 0},
		{"cut short", "\x81\xa3ac", "", "receiver closed the connection: EOF", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cn := &conn{br: bufio.NewReaderSize(strings.NewReader(tt.in), maxResponse)}
			got, err := cn.readObject()
			if string(got) != tt.want || (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("readObject = %q, %v; want %q and an error saying %q", got, err, tt.want, tt.wantErr)
			}
			if err == nil && cn.br.Buffered() != tt.wantLeft {
				t.Errorf("%d bytes left buffered, want %d", cn.br.Buffered(), tt.wantLeft)
			}
		})
	}
}

// TestHandshakeFailuresNameTheStep: a receiver that closes before its HELO or before the PING,
// sends a HELO without a nonce or answers the PING with bytes that are not MessagePack fails the
// handshake as it did, not as a refused key or a malformed PONG.
func TestHandshakeFailuresNameTheStep(t *testing.T) {
	closed := make(chan struct{}, 1) // the receiver closed its side
	tests := []struct {
		name  string
		serve func(net.Conn)
		want  error
	}{
		{"closed before its HELO", func(c net.Conn) { c.Close() }, io.EOF},
		{"HELO without a nonce", func(c net.Conn) { c.Write(helo("auth", "")); io.Copy(io.Discard, c) }, ErrHandshake},
		{"closed before the PING", func(c net.Conn) { c.Write(helo("nonce", "n0nce")); c.Close(); closed <- struct{}{} }, syscall.EPIPE},
		{"no MessagePack for a PONG", func(c net.Conn) {
			c.Write(helo("nonce", "n0nce"))
			c.Read(make([]byte, 512))
			c.Write([]byte{0xc1})
			io.Copy(io.Discard, c)
		}, ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(listen(t, "unix", tt.serve))
			cfg.SharedKey = "k"
			c := newClient(t, cfg)
			if tt.want == syscall.EPIPE { // the PING is written once the receiver has closed
				dial := c.dial
				c.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
					nc, err := dial(ctx, network, addr)
					select {
					case <-closed:
					case <-ctx.Done():
					}
					return nc, err
				}
			}
			err := c.Send(context.Background(), "t", entries(0, 1), 1)
			requireRetryable(t, err, tt.want)
			if errors.Is(err, ErrAuthRefused) {
				t.Errorf("Send = %v, want no refusal of the key", err)
			}
		})
	}
}
