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
		name    string
		msg     []byte
		wantErr error
	}{
		{"shared key only", helo("nonce", "n0nce", "auth", ""), nil},
		{"no auth option", helo("nonce", "n0nce"), nil},
		{"user authentication asked", helo("nonce", "n0nce", "auth", "s4lt"), ErrUserAuth},
		{"no nonce", helo("auth", ""), ErrHandshake},
		{"not a HELO", append(msgpack.AppendArrayHeader(nil, 2), append(msgpack.AppendStr(nil, "PING"), 0x80)...), ErrHandshake},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nonce, keepalive, err := parseHelo(tt.msg)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("parseHelo error %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if string(nonce) != "n0nce" || !keepalive {
				t.Errorf("nonce %q keepalive %v, want n0nce and true (the default)", nonce, keepalive)
			}
		})
	}
}
