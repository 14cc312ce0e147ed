package output

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"

	"github.com/enrich-plugin/enrich/internal/msgpack"
)

// stdoutSink writes each record as a JSON line {"tag":"enriched.app","record":...}, to try a
// configuration without in_forward. A payload is one Write under a lock: flushes never interleave.
type stdoutSink struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *stdoutSink) Send(_ context.Context, tag string, entries []byte, _ int) error {
	quoted := msgpack.AppendJSONString(nil, []byte(tag)) // as record text: invalid UTF-8 as U+FFFD, no HTML escapes
	b := make([]byte, 0, len(entries)*2)
	for off := 0; off < len(entries); {
		line := len(b)
		b = append(append(append(b, `{"tag":`...), quoted...), `,"record":`...)
		n, err := msgpack.Skip(entries[off:])
		if err != nil {
			n = len(entries) - off // what is not msgpack runs to the end: nothing after it can be read
		} else if b, err = msgpack.AppendRecordJSON(b, entries[off:off+n], false); err == nil {
			b = append(b, "}\n"...)
		}
		if err != nil { // what is not msgpack, or is nested too deeply for JSON, is reported by size, not dropped
			b = fmt.Appendf(b[:line], "{\"tag\":%s,\"unparsed_bytes\":%d}\n", quoted, n)
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

// stdoutFile is standard output under a descriptor of its own: os.Stdout turns a write to a pipe whose
// reader has gone into a SIGPIPE that kills Fluent Bit although it ignores the signal; this fails
// with EPIPE, and the flush is retried.
var stdoutFile = sync.OnceValue(func() io.Writer {
	fd, err := syscall.Dup(1)
	if err != nil {
		return os.Stdout
	}
	syscall.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), "/dev/stdout")
})
