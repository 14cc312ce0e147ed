package enrich

import (
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/internal/msgpack"
)

// The builders below write msgpack by hand so that tests control every
// header width and timestamp form, as Fluent Bit's inputs do.

func mpStr(s string) []byte { return msgpack.AppendStr(nil, s) }

func mpBin(s string) []byte {
	out := []byte{0xc4, byte(len(s))}
	if len(s) > 255 {
		out = []byte{0xc5, byte(len(s) >> 8), byte(len(s))}
	}
	return append(out, s...)
}

// kv is one body pair: a key and an already encoded value.
type kv struct {
	k string
	v []byte
}

// mpMap encodes pairs under a header of the given width (0, 2 or 4).
func mpMap(width int, pairs ...kv) []byte {
	out := msgpack.AppendMapHeaderSize(nil, len(pairs), 1+width)
	for _, p := range pairs {
		out = append(out, mpStr(p.k)...)
		out = append(out, p.v...)
	}
	return out
}

// eventTime encodes an EventTime in the d7 00 form, or c7 08 00 when long.
func eventTime(sec, nsec uint32, long bool) []byte {
	out := []byte{0xd7, 0x00}
	if long {
		out = []byte{0xc7, 0x08, 0x00}
	}
	out = binary.BigEndian.AppendUint32(out, sec)
	return binary.BigEndian.AppendUint32(out, nsec)
}

// record encodes [[EventTime, meta], body].
func record(ts, meta, body []byte) []byte {
	out := []byte{0x92, 0x92}
	out = append(out, ts...)
	out = append(out, meta...)
	return append(out, body...)
}

// legacy encodes [ts, body].
func legacy(ts, body []byte) []byte {
	out := []byte{0x92}
	out = append(out, ts...)
	return append(out, body...)
}

var emptyMeta = []byte{0x80}

// logRecord is the common case: a fixmap body with one "log" value.
func logRecord(line string) []byte {
	return record(eventTime(1700000000, 0, false), emptyMeta, mpMap(0, kv{"log", mpStr(line)}))
}

func intp(v int) *int { return &v }

// testCatalog is a small catalog covering every family, independent of
// the generated data.
func testCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.New("test", []catalog.Entry{
		{Product: catalog.ProductFTD, ID: "722051", Severity: intp(6),
			Format:      "Group group-policy User username IP public-ip IPv4 Address assigned-ip IPv6 address assigned-ipv6 assigned to session",
			Explanation: "An address was assigned.", Action: "None required.",
			Params: []catalog.Param{{Name: "group-policy"}, {Name: "username"}, {Name: "public-ip"}, {Name: "assigned-ip"}, {Name: "assigned-ipv6"}}},
		{Product: catalog.ProductFTD, ID: "113039", Severity: intp(6), Format: "Group group User user IP ip AnyConnect parent session started.",
			Explanation: "Parent session started.", Action: "None.", Params: []catalog.Param{{Name: "group"}, {Name: "user"}, {Name: "ip"}}},
		{Product: catalog.ProductIOS, ID: "SMART_LIC-3-COMM_FAILED", Facility: "SMART_LIC", Mnemonic: "COMM_FAILED", Severity: intp(3),
			Format: "Communications failure with the [chars] : [chars]", Explanation: "Smart licensing communication failed.", Action: "Check reachability."},
		{Product: catalog.ProductIOS, ID: "SMART_LIC-3-POLICY_REMOVED", Facility: "SMART_LIC", Mnemonic: "POLICY_REMOVED", Severity: intp(3),
			Format: "The licensing policy has been removed.", Explanation: "The policy was removed."},
		{Product: catalog.ProductCUCM, ID: "ILSPwdAuthenticationFailed", Explanation: "Password mismatch.", Action: "Use the same password.",
			Signatures: []string{"ILSPwdAuthenticationFailed", "EncrUtil::decryptData failed"}},
		{Product: catalog.ProductCUCM, ID: "ILSSelfSignedCertificate", Explanation: "Self-signed certificate.", Action: "Use CA-signed certificates.",
			Signatures: []string{"self signed certificate"}},
		{Product: catalog.ProductIBM, ID: "086008", ErrorCode: "1785", Format: "Key server connection failed",
			Explanation: "The node could not connect to the key server.", Action: "Check the cabling."},
	})
	if err != nil {
		t.Fatalf("test catalog: %v", err)
	}
	return cat
}

func embeddedCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Embedded()
	if err != nil {
		t.Fatalf("embedded catalog: %v", err)
	}
	return cat
}

func newEngine(t testing.TB, cat *catalog.Catalog, mod func(*Options)) *Engine {
	t.Helper()
	o := DefaultOptions()
	if mod != nil {
		mod(&o)
	}
	e, err := New(cat, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

// records splits a chunk into its records, failing on malformed input.
func records(t testing.TB, chunk []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for off := 0; off < len(chunk); {
		n, err := msgpack.Skip(chunk[off:])
		if err != nil {
			t.Fatalf("record at offset %d: %v", off, err)
		}
		out = append(out, chunk[off:off+n])
		off += n
	}
	return out
}

// bodyOf decodes one record's body through AppendRecordJSON.
func bodyOf(t testing.TB, rec []byte) map[string]any {
	t.Helper()
	js, err := msgpack.AppendRecordJSON(nil, rec, false)
	if err != nil {
		t.Fatalf("AppendRecordJSON: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatalf("json %s: %v", js, err)
	}
	delete(m, msgpack.JSONDateKey)
	return m
}

// bodyOffset returns where the body of the complete record rec starts.
func bodyOffset(t testing.TB, rec []byte) int {
	t.Helper()
	h, err := msgpack.ReadHeader(rec)
	if err != nil {
		t.Fatalf("record header: %v", err)
	}
	k, err := msgpack.Skip(rec[h.Size:])
	if err != nil {
		t.Fatalf("record time: %v", err)
	}
	return h.Size + k
}
