package forward

import (
	"context"
	"errors"
	"syscall"
	"time"
	"unsafe"
)

// alive reports whether a non-blocking peek on an idle connection finds nothing to read, so
// that a Send does not fail each time a paused in_forward has closed its idle connections.
func alive(rc syscall.RawConn) bool {
	var buf [1]byte
	open := false
	err := rc.Control(func(fd uintptr) {
		_, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = errors.Is(rerr, syscall.EAGAIN)
	})
	return err == nil && open
}

// watchStall cancels ctx with ErrStalled when the bytes written to rc and not yet taken by the
// receiver (SIOCOUTQ: unread by a unix socket's peer, unacknowledged by a TCP peer's kernel)
// stay the same, above zero, for limit. It returns when ctx ends.
func watchStall(ctx context.Context, rc syscall.RawConn, limit time.Duration, stop context.CancelCauseFunc) {
	tick := time.NewTicker(max(limit/10, 10*time.Millisecond))
	defer tick.Stop()
	last, since := int32(-1), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			var n int32
			var errno syscall.Errno
			err := rc.Control(func(fd uintptr) {
				_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&n)))
			})
			switch {
			case err != nil || errno != 0:
				return
			case n == 0 || n != last:
				last, since = n, now
			case now.Sub(since) >= limit:
				stop(ErrStalled)
				return
			}
		}
	}
}
