package forwardtest

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// entry encodes [[EventTime(sec, 5), {}], {"log": msg}] as Fluent Bit 2.1 and later write it.
func entry(t *testing.T, sec uint32, msg string) []byte {
	b := []byte{0x92, 0x92, 0xd7, 0x00}
	b = binary.BigEndian.AppendUint32(b, sec)
	b = binary.BigEndian.AppendUint32(b, 5)
	return append(append(b, 0x80), pack(t, map[string]any{"log": msg})...)
}

func pack(t *testing.T, v any) []byte {
	t.Helper()
	b, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// quietTB keeps the server's report at cleanup from failing a test that sends bad messages on
// purpose; the test checks the violations itself.
type quietTB struct{ testing.TB }

func (quietTB) Errorf(string, ...any) {}

// exchange writes msg on a new connection and returns the reply, or nil when the server
// closed the connection without one.
func exchange(t *testing.T, srv *Server, msg []byte) map[string]any {
	t.Helper()
	c, err := net.Dial("unix", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var reply map[string]any
	if err := msgpack.NewDecoder(c).Decode(&reply); err != nil {
		return nil
	}
	return reply
}

func TestServerAcceptsWhatTheClientSends(t *testing.T) {
	srv := NewServer(t, Options{Network: "unix"})
	legacy := append([]byte{0x92}, pack(t, 1700000002.5)...)
	legacy = append(legacy, pack(t, map[any]any{"log": []byte("c"), int64(7): "seven"})...)
	entries := append(append(entry(t, 1700000000, "a"), entry(t, 1700000001, "b")...), legacy...)
	msg := pack(t, []any{"app", entries, map[string]any{"chunk": "id-1", "size": 3}})
	if got := exchange(t, srv, msg); fmt.Sprint(got) != "map[ack:id-1]" {
		t.Fatalf("reply = %v, want map[ack:id-1]", got)
	}
	recs := srv.Records()
	if len(recs) != 3 {
		t.Fatalf("got %d records, want 3", len(recs))
	}
	want := []struct {
		time time.Time
		log  string
	}{
		{time.Unix(1700000000, 5).UTC(), "a"},
		{time.Unix(1700000001, 5).UTC(), "b"},
		{time.Unix(1700000002, 5e8).UTC(), "c"},
	}
	for i, w := range want {
		if r := recs[i]; !r.Time.Equal(w.time) || r.Body["log"] != w.log || r.Tag != "app" || !r.Acked {
			t.Errorf("record %d = %+v, want time %v, log %q, tag app, acked", i, r, w.time, w.log)
		}
	}
	if got := recs[2].Body[int64(7)]; got != "seven" {
		t.Errorf("integer key 7 = %v, want seven", got)
	}
}

// TestServerRefusesOtherMessages checks that the receiver, the tests' oracle, can fail: each
// message breaks a rule of the one form the client sends, and is neither kept nor acked.
func TestServerRefusesOtherMessages(t *testing.T) {
	one := entry(t, 1700000000, "a")
	opt := map[string]any{"chunk": "id", "size": 1}
	tests := []struct {
		name string
		msg  any
	}{
		{"forward mode", []any{"app", []any{msgpack.RawMessage(one)}, opt}},
		{"message mode", []any{"app", 1700000000, map[string]any{"log": "a"}, opt}},
		{"entries as str", []any{"app", string(one), opt}},
		{"tag as bin", []any{[]byte("app"), one, opt}},
		{"empty tag", []any{"", one, opt}},
		{"no option", []any{"app", one}},
		{"no chunk", []any{"app", one, map[string]any{"size": 1}}},
		{"no size", []any{"app", one, map[string]any{"chunk": "id"}}},
		{"size too large", []any{"app", one, map[string]any{"chunk": "id", "size": 2}}},
		{"compressed", []any{"app", one, map[string]any{"chunk": "id", "size": 1, "compressed": "gzip"}}},
		{"record not a map", []any{"app", pack(t, []any{1700000000, "a"}), opt}},
		{"time a string", []any{"app", pack(t, []any{"now", map[string]any{}}), opt}},
		{"metadata not a map", []any{"app", pack(t, []any{[]any{1700000000, 1}, map[string]any{}}), opt}},
		{"truncated entry", []any{"app", one[:len(one)-1], opt}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewServer(quietTB{t}, Options{Network: "unix"})
			if got := exchange(t, srv, pack(t, tt.msg)); got != nil {
				t.Errorf("reply = %v, want the connection closed", got)
			}
			srv.Stop()
			if len(srv.violations) != 1 || len(srv.Messages()) != 0 {
				t.Errorf("violations %v, %d messages kept; want one violation and none kept", srv.violations, len(srv.Messages()))
			}
		})
	}
}

// TestRestartKeepsAPortNoConnectionTakes: a TCP receiver listens below Linux's ephemeral range,
// so that no outgoing connection takes its port while it is stopped, and Start listens there again.
func TestRestartKeepsAPortNoConnectionTakes(t *testing.T) {
	for _, network := range []string{"tcp", "tcp6"} {
		srv := NewServer(t, Options{Network: network})
		addr := srv.Addr()
		u, err := url.Parse(addr)
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := strconv.Atoi(u.Port()); p < 10000 || p >= 32768 {
			t.Errorf("%s: port %d, want one from 10000 to 32767", network, p)
		}
		srv.Stop()
		if err := srv.Start(); err != nil || srv.Addr() != addr {
			t.Errorf("%s: Start after Stop: %v, address %s, want %s", network, err, srv.Addr(), addr)
		}
	}
}
