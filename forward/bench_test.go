package forward

import (
	"context"
	"testing"

	"github.com/enrich-plugin/enrich/forward/forwardtest"
)

// BenchmarkSend measures one acknowledged PackedForward round trip of a 256 KB payload
// (the default Max_Payload_Size) over loopback TCP.
func BenchmarkSend(b *testing.B) {
	srv := forwardtest.NewServer(b, forwardtest.Options{DiscardEntries: true})
	c, err := NewClient(testConfig(srv.Addr()))
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
