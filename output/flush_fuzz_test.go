package output

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// FuzzFlush feeds arbitrary chunks through Flush to a sink that keeps what
// it is sent, and checks what the receiver would see: every payload is a
// run of exactly count Forward entries ([time, map]), so in_forward never
// refuses it; and a chunk with no record in it at all arrives whole, byte
// for byte, inside the records that carry unparsed bytes.
func FuzzFlush(f *testing.F) {
	for _, c := range [][]byte{
		chunk(knownLine, unknownLine, noIDLine),
		append(chunk(knownLine), record(knownLine)[:20]...),
		append(append(chunk(knownLine), 0x92, 0x01, 0xa1, 'x'), chunk(noIDLine)...),
		{0xc1, 0xff, 0x00, 0x42},
		{0x92, 0x01},
	} {
		f.Add(c)
	}
	files, _ := filepath.Glob(filepath.Join("..", "test", "fixtures", "chunks", "*.msgpack"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	engine := defaultEngine(f)

	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return // Fluent Bit never flushes an empty chunk
		}
		cfg := DefaultConfig()
		cfg.MaxPayloadSize = MinMaxPayloadSize
		var rec sendRecorder
		in := newInstance(cfg, discardLogger{}, &loaded{eng: engine}, &rec)
		if err := in.Flush(context.Background(), "fuzz", data); err != nil {
			t.Fatalf("flush to a sink that never fails: %v", err)
		}
		var unparsed []byte
		records := 0
		for i, p := range rec.payloads {
			n, raw := checkEntries(t, p)
			if n != rec.counts[i] {
				t.Fatalf("payload %d: size says %d entries, it holds %d", i+1, rec.counts[i], n)
			}
			records += n - len(raw)
			for _, r := range raw {
				unparsed = append(unparsed, r...)
			}
		}
		if records == 0 && !bytes.Equal(unparsed, data) {
			t.Fatalf("a chunk with no record must arrive whole under %s: got %d of %d bytes", UnparsedKey, len(unparsed), len(data))
		}
	})
}

// checkEntries decodes a payload as Forward entries and returns how many it
// holds and the decoded bytes of those that carry unparsed input.
func checkEntries(t *testing.T, p []byte) (int, [][]byte) {
	t.Helper()
	dec := msgpack.NewDecoder(bytes.NewReader(p))
	var raw [][]byte
	n := 0
	for {
		l, err := dec.DecodeArrayLen()
		if err == io.EOF {
			return n, raw
		}
		if err != nil || l != 2 {
			t.Fatalf("entry %d is not a [time, record] array (len %d): %v", n+1, l, err)
		}
		if err := dec.Skip(); err != nil {
			t.Fatalf("entry %d: time: %v", n+1, err)
		}
		pairs, err := dec.DecodeMapLen()
		if err != nil || pairs < 0 {
			t.Fatalf("entry %d: the record is not a map (%d pairs): %v", n+1, pairs, err)
		}
		for i := 0; i < pairs; i++ {
			// Keys need not be strings, nor values known types: records
			// pass through as they came.
			k := ""
			if code, err := dec.PeekCode(); err == nil && msgpcode.IsString(code) {
				k, err = dec.DecodeString()
				if err != nil {
					t.Fatalf("entry %d: key %d: %v", n+1, i+1, err)
				}
			} else if err := dec.Skip(); err != nil {
				t.Fatalf("entry %d: key %d: %v", n+1, i+1, err)
			}
			if k != UnparsedKey {
				if err := dec.Skip(); err != nil {
					t.Fatalf("entry %d: value %d: %v", n+1, i+1, err)
				}
				continue
			}
			s, err := dec.DecodeString()
			if err != nil {
				t.Fatalf("entry %d: %s is not a string: %v", n+1, UnparsedKey, err)
			}
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				t.Fatalf("entry %d: %s is not base64: %v", n+1, UnparsedKey, err)
			}
			raw = append(raw, b)
		}
		n++
	}
}

// discardLogger drops every line.
type discardLogger struct{}

func (discardLogger) Errorf(string, ...any) {}
func (discardLogger) Warnf(string, ...any)  {}
func (discardLogger) Infof(string, ...any)  {}
func (discardLogger) Debugf(string, ...any) {}
