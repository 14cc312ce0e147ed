package forwardtest

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/enrich-plugin/enrich/forward/internal/wire"
)

func entry(sec uint32, meta bool, msg string) []byte {
	b := wire.AppendArrayHeader(nil, 2)
	if meta {
		b = wire.AppendArrayHeader(b, 2)
	}
	b = append(b, 0xd7, 0x00)
	b = binary.BigEndian.AppendUint32(b, sec)
	b = binary.BigEndian.AppendUint32(b, 0)
	if meta {
		b = wire.AppendMapHeader(b, 0)
	}
	b = wire.AppendMapHeader(b, 1)
	b = wire.AppendStr(b, "log")
	return wire.AppendStr(b, msg)
}

func options(chunk string, size int, compressed bool) []byte {
	n := 0
	if chunk != "" {
		n++
	}
	if size >= 0 {
		n++
	}
	if compressed {
		n++
	}
	b := wire.AppendMapHeader(nil, n)
	if chunk != "" {
		b = wire.AppendStr(wire.AppendStr(b, "chunk"), chunk)
	}
	if size >= 0 {
		b = wire.AppendUint(wire.AppendStr(b, "size"), uint64(size))
	}
	if compressed {
		b = wire.AppendStr(wire.AppendStr(b, "compressed"), "gzip")
	}
	return b
}

func packed(tag string, entries []byte, opts []byte) []byte {
	n := 2
	if opts != nil {
		n = 3
	}
	b := wire.AppendStr(wire.AppendArrayHeader(nil, n), tag)
	b = wire.AppendBin(b, entries)
	return append(b, opts...)
}

func gz(p []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(p)
	w.Close()
	return buf.Bytes()
}

func TestDecodeFrame(t *testing.T) {
	two := append(entry(10, true, "a"), entry(11, false, "b")...)
	forwardMode := append(wire.AppendStr(wire.AppendArrayHeader(nil, 3), "t"), wire.AppendArrayHeader(nil, 2)...)
	forwardMode = append(append(forwardMode, two...), options("id1", 2, false)...)
	messageMode := wire.AppendStr(wire.AppendArrayHeader(nil, 4), "t")
	messageMode = wire.AppendUint(messageMode, 12)
	messageMode = wire.AppendStr(wire.AppendStr(wire.AppendMapHeader(messageMode, 1), "log"), "c")
	messageMode = append(messageMode, options("id2", -1, false)...)
	strPacked := wire.AppendStr(wire.AppendArrayHeader(nil, 3), "t")
	strPacked = append(wire.AppendStrBytes(strPacked, two), options("id5", 2, false)...)

	tests := []struct {
		name      string
		in        []byte
		wantMode  Mode
		wantRecs  int
		wantChunk string
		wantErr   bool
	}{
		{name: "packed forward", in: packed("t", two, options("id", 2, false)), wantMode: ModePackedForward, wantRecs: 2, wantChunk: "id"},
		{name: "packed forward as str", in: strPacked, wantMode: ModePackedForward, wantRecs: 2, wantChunk: "id5"},
		{name: "compressed packed forward", in: packed("t", gz(two), options("id3", 2, true)), wantMode: ModeCompressedPackedForward, wantRecs: 2, wantChunk: "id3"},
		{name: "forward", in: forwardMode, wantMode: ModeForward, wantRecs: 2, wantChunk: "id1"},
		{name: "message", in: messageMode, wantMode: ModeMessage, wantRecs: 1, wantChunk: "id2"},
		{name: "no options", in: packed("t", two, nil), wantMode: ModePackedForward, wantRecs: 2},
		{name: "size mismatch", in: packed("t", two, options("id", 3, false)), wantErr: true},
		{name: "tag not str", in: append(wire.AppendBin(wire.AppendArrayHeader(nil, 2), []byte("t")), wire.AppendBin(nil, two)...), wantErr: true},
		{name: "empty tag", in: packed("", two, nil), wantErr: true},
		{name: "truncated entry", in: packed("t", two[:len(two)-1], nil), wantErr: true},
		{name: "record not a map", in: packed("t", wire.AppendStr(wire.AppendUint(wire.AppendArrayHeader(nil, 2), 1), "x"), nil), wantErr: true},
		{name: "entry not an array", in: packed("t", wire.AppendUint(nil, 1), nil), wantErr: true},
		{name: "not an array", in: wire.AppendStr(nil, "x"), wantErr: true},
		{name: "bad gzip", in: packed("t", two, options("id", 2, true)), wantErr: true},
		{name: "chunk not a string", in: packed("t", two, wire.AppendUint(wire.AppendStr(wire.AppendMapHeader(nil, 1), "chunk"), 1)), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, recs, err := decodeFrame(tt.in)
			if tt.wantErr {
				if !errors.Is(err, errFrame) {
					t.Fatalf("decodeFrame = %+v, %v; want a framing error", msg, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("decodeFrame: %v", err)
			}
			if msg.Mode != tt.wantMode || len(recs) != tt.wantRecs || msg.Records != tt.wantRecs || msg.Chunk != tt.wantChunk {
				t.Fatalf("decodeFrame = mode %v, %d records, chunk %q; want %v, %d, %q", msg.Mode, len(recs), msg.Chunk, tt.wantMode, tt.wantRecs, tt.wantChunk)
			}
			for _, r := range recs {
				if r.Tag != "t" || r.Body["log"] == nil || r.Time.IsZero() || len(r.Raw) == 0 {
					t.Errorf("record %+v is incomplete", r)
				}
			}
		})
	}
}

func TestDecodeEntryForms(t *testing.T) {
	_, recs, err := decodeFrame(packed("t", append(entry(10, true, "a"), entry(11, false, "b")...), nil))
	if err != nil {
		t.Fatal(err)
	}
	if recs[0].Metadata == nil || recs[1].Metadata != nil {
		t.Errorf("metadata = %v, %v; want a map for [[time, meta], record] and nil for [time, record]", recs[0].Metadata, recs[1].Metadata)
	}
	if got, want := recs[1].Time, time.Unix(11, 0).UTC(); !got.Equal(want) {
		t.Errorf("time = %v, want %v", got, want)
	}
}

// FuzzDecodeFrame checks that the receiver's decoder never panics and that what it accepts
// is consistent.
func FuzzDecodeFrame(f *testing.F) {
	two := append(entry(10, true, "a"), entry(11, false, "b")...)
	f.Add(packed("t", two, options("id", 2, false)))
	f.Add(packed("t", gz(two), options("id", 2, true)))
	f.Add(packed("t", two, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		msg, recs, err := decodeFrame(b)
		if err != nil {
			return
		}
		if msg.Records != len(recs) || (msg.Size >= 0 && msg.Size != len(recs)) {
			t.Fatalf("accepted message %+v with %d records", msg, len(recs))
		}
	})
}

// TestServerRecordsViolations writes malformed messages over a raw connection: they are
// recorded, not acked, and the connection is closed.
func TestServerRecordsViolations(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{name: "no chunk id", in: packed("t", entry(1, true, "x"), nil)},
		{name: "size mismatch", in: packed("t", entry(1, true, "x"), options("id", 5, false))},
		{name: "reserved byte", in: []byte{0xc1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewServer(t, Options{AllowViolations: true})
			c, err := net.Dial("tcp", srv.Addr()[len("tcp://"):])
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write(tt.in); err != nil {
				t.Fatal(err)
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			var buf [16]byte
			if n, err := c.Read(buf[:]); err == nil {
				t.Fatalf("server answered %x to a malformed message, want the connection closed", buf[:n])
			}
			if v := srv.Violations(); len(v) != 1 {
				t.Fatalf("violations = %v, want one", v)
			}
			if n := len(srv.Records()); n != 0 {
				t.Errorf("server stored %d records from a malformed message", n)
			}
		})
	}
}

func TestWaitRecordsTimeout(t *testing.T) {
	srv := NewServer(t, Options{Network: "unix"})
	recs, err := srv.WaitRecords(1, 50*time.Millisecond)
	if err == nil || len(recs) != 0 {
		t.Fatalf("WaitRecords on an idle server = %v, %v; want a timeout error", recs, err)
	}
}
