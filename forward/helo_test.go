package forward

import (
	"errors"
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
		{"no nonce", helo("auth", ""), false, ErrHandshake},
		{"three elements", append(append(msgpack.AppendArrayHeader(nil, 3), helo("nonce", "n0nce")[1:]...), 0xc0), false, ErrHandshake},
		{"not a HELO", append(msgpack.AppendArrayHeader(nil, 2), append(msgpack.AppendStr(nil, "PING"), 0x80)...), false, ErrHandshake},
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := checkPong(tt.msg, "salt", nonce, "key", false); !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("checkPong = %v, want %v", err, tt.want)
			}
		})
	}
}
