package forward

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/enrich-plugin/enrich/internal/msgpack"
)

// ackServer is a minimal allocation-free receiver so that the benchmark measures the client.
func ackServer(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveAcks(c)
		}
	}()
	return "tcp://" + ln.Addr().String()
}

func serveAcks(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 0, 1<<20)
	ack := make([]byte, 0, 64)
	for {
		n, err := msgpack.Skip(buf)
		if errors.Is(err, msgpack.ErrShort) {
			if len(buf) == cap(buf) {
				buf = append(buf, 0)[:len(buf)]
			}
			m, err := c.Read(buf[len(buf):cap(buf)])
			if err != nil {
				return
			}
			buf = buf[:len(buf)+m]
			continue
		}
		if err != nil {
			return
		}
		_, p, _ := msgpack.ReadArrayHeader(buf)
		for i := 0; i < 2; i++ { // tag, entries
			k, _ := msgpack.Skip(p)
			p = p[k:]
		}
		pairs, p, _ := msgpack.ReadMapHeader(p)
		var chunk []byte
		for i := 0; i < pairs; i++ {
			var key []byte
			key, p, _ = msgpack.ReadStr(p)
			if string(key) == "chunk" {
				chunk, p, _ = msgpack.ReadStr(p)
				continue
			}
			k, _ := msgpack.Skip(p)
			p = p[k:]
		}
		ack = msgpack.AppendStr(msgpack.AppendStr(msgpack.AppendMapHeader(ack[:0], 1), "ack"), chunk)
		if _, err := c.Write(ack); err != nil {
			return
		}
		buf = buf[:copy(buf, buf[n:])]
	}
}

// BenchmarkSend measures one acknowledged PackedForward round trip of a 256 KB payload
// (the default Max_Payload_Size) over loopback TCP.
func BenchmarkSend(b *testing.B) {
	addr := ackServer(b)
	c, err := NewClient(testConfig(addr))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(context.Background())
	var payload []byte
	count := 0
	for len(payload) < 256<<10 {
		payload = append(payload, entries(count, 1)...)
		count++
	}
	ctx := context.Background()
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := c.Send(ctx, "enriched.bench", payload, count); err != nil {
			b.Fatal(err)
		}
	}
}
