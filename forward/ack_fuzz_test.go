package forward

import (
	"errors"
	"testing"

	"github.com/enrich-plugin/enrich/internal/msgpack"
)

func TestCheckAck(t *testing.T) {
	id := []byte("p8n9gmxTQVC8/nh2wlKKeQ==")
	ack := func(v string) []byte {
		return msgpack.AppendStr(msgpack.AppendStr(msgpack.AppendMapHeader(nil, 1), "ack"), v)
	}
	helo := msgpack.AppendMapHeader(msgpack.AppendStr(msgpack.AppendArrayHeader(nil, 2), "HELO"), 0)
	tests := []struct {
		name    string
		in      []byte
		wantErr error
	}{
		{name: "matching", in: ack(string(id))},
		{name: "matching as bin", in: append(msgpack.AppendBinHeader(msgpack.AppendStr(msgpack.AppendMapHeader(nil, 1), "ack"), len(id)), id...)},
		{name: "extra keys ignored", in: msgpack.AppendStr(msgpack.AppendStr(msgpack.AppendStr(msgpack.AppendStr(msgpack.AppendMapHeader(nil, 2), "x"), "y"), "ack"), string(id))},
		{name: "other chunk", in: ack("AAAAAAAAAAAAAAAAAAAAAA=="), wantErr: ErrAckMismatch},
		{name: "no ack key", in: msgpack.AppendStr(msgpack.AppendStr(msgpack.AppendMapHeader(nil, 1), "x"), "y"), wantErr: ErrProtocol},
		{name: "not a map", in: msgpack.AppendStr(nil, "ack"), wantErr: ErrProtocol},
		{name: "matching, then a key not a string", in: msgpack.AppendUint(msgpack.AppendUint(msgpack.AppendStr(msgpack.AppendStr(msgpack.AppendMapHeader(nil, 2), "ack"), string(id)), 1), 2), wantErr: ErrProtocol},
		{name: "HELO instead of ack", in: helo, wantErr: ErrHandshakeRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkAck(tt.in, id)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("checkAck = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// FuzzCheckAck feeds arbitrary responses to the ack parser: it must never panic and must
// accept only a response that carries the exact chunk id.
func FuzzCheckAck(f *testing.F) {
	id := []byte("p8n9gmxTQVC8/nh2wlKKeQ==")
	f.Add(msgpack.AppendStr(msgpack.AppendStr(msgpack.AppendMapHeader(nil, 1), "ack"), string(id)))
	f.Add([]byte{0x81, 0xa3, 'a', 'c', 'k', 0xc0})
	f.Add([]byte{0x92, 0xa4, 'H', 'E', 'L', 'O', 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		if checkAck(b, id) == nil && !containsID(b, id) {
			t.Fatalf("checkAck accepted %x without the chunk id", b)
		}
	})
}

func containsID(b, id []byte) bool {
	for i := 0; i+len(id) <= len(b); i++ {
		if string(b[i:i+len(id)]) == string(id) {
			return true
		}
	}
	return false
}
