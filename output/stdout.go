package output

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/enrich-plugin/enrich/internal/msgpack"
)

// stdoutSink writes each record as a JSON line {"tag":"enriched.app","record":...}, to try a
// configuration without in_forward. A payload is one Write under a lock: flushes never interleave.
type stdoutSink struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *stdoutSink) Send(_ context.Context, tag string, entries []byte, _ int) error {
	quoted, _ := json.Marshal(tag) // a string always encodes, invalid UTF-8 as U+FFFD
	b := make([]byte, 0, len(entries)*2)
	for off := 0; off < len(entries); {
		line := len(b)
		b = append(append(append(b, `{"tag":`...), quoted...), `,"record":`...)
		n, err := msgpack.Skip(entries[off:])
		if err != nil {
			// What is not msgpack is reported by size, not dropped; nothing after it can be read.
			b = fmt.Appendf(b[:line], "{\"tag\":%s,\"unparsed_bytes\":%d}\n", quoted, len(entries)-off)
			break
		}
		if b, err = msgpack.AppendRecordJSON(b, entries[off:off+n]); err != nil {
			// A record that cannot be shown as JSON (nested too deeply) is reported by size; the next ones are shown.
			b = fmt.Appendf(b[:line], "{\"tag\":%s,\"unparsed_bytes\":%d}\n", quoted, n)
		} else {
			b = append(b, "}\n"...)
		}
		off += n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(b); err != nil {
		return fmt.Errorf("write %d bytes of records to stdout: %w", len(b), err)
	}
	return nil
}

func (s *stdoutSink) Close(context.Context) error { return nil }
