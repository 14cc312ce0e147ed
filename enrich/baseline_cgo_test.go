//go:build cgo

// BenchmarkBaseline needs fluent-bit-go's decoder, which is a cgo package;
// without cgo the package and its other tests build without it.

package enrich

import (
	"testing"
	"unsafe"

	"github.com/enrich-plugin/enrich/catalog"
	fluentout "github.com/fluent/fluent-bit-go/output"
	"github.com/vmihailenco/msgpack/v5"
)

// BenchmarkBaseline does the same enrichment the way Go plugins usually
// do: fluent-bit-go's reflection decoder, a map per record, and msgpack/v5
// to encode the result.
func BenchmarkBaseline(b *testing.B) {
	e := newEngine(b, embeddedCatalog(b), nil)
	chunk := benchChunk(b, benchRecords)
	keys := e.opts.MessageKeys
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var out []byte
		dec := fluentout.NewDecoder(unsafe.Pointer(&chunk[0]), len(chunk))
		n := 0
		for {
			ret, ts, rec := fluentout.GetRecord(dec)
			if ret != 0 {
				break
			}
			n++
			body := make(map[string]any, len(rec)+6)
			var msg []byte
			for k, v := range rec {
				ks, _ := k.(string)
				if ks == "" {
					if kb, ok := k.([]byte); ok {
						ks = string(kb)
					}
				}
				body[ks] = v
			}
			for _, k := range keys {
				switch v := body[k].(type) {
				case []byte:
					msg = v
				case string:
					msg = []byte(v)
				}
				if msg != nil {
					break
				}
			}
			if m, ok := e.Recognise(msg); ok {
				body["message_id"] = m.ID
				sev := m.Severity
				if sev < 0 && m.Entry != nil && m.Entry.Severity != nil {
					sev = *m.Entry.Severity
				}
				if sev >= 0 {
					body["severity"] = sev
					body["severity_name"] = catalog.SeverityName(sev)
				}
				if m.Entry != nil {
					body["explanation"] = m.Entry.Explanation
					body["action"] = m.Entry.Action
				}
				body["product"] = string(m.Product)
			}
			enc, err := msgpack.Marshal([]any{ts, body})
			if err != nil {
				b.Fatalf("marshal: %v", err)
			}
			out = append(out, enc...)
		}
		if n != benchRecords || len(out) <= len(chunk) {
			b.Fatalf("decoded %d records into %d bytes, want %d records enriched", n, len(out), benchRecords)
		}
	}
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
}
