package forward

import (
	"context"
	"errors"
	"net"
	"syscall"
	"time"
	"unsafe"
)

// alive reports whether a non-blocking peek on an idle connection finds nothing to read, so
// that a Send does not fail each time a paused in_forward has closed its idle connections.
func alive(c net.Conn) bool {
	rc, err := rawConn(c)
	if rc == nil {
		return err == nil
	}
	var buf [1]byte
	open := false
	err = rc.Control(func(fd uintptr) {
		_, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = errors.Is(rerr, syscall.EAGAIN)
	})
	return err == nil && open
}

// watchStall cancels ctx with ErrStalled when the bytes written to c and not yet taken by the
// receiver (SIOCOUTQ: unread by a unix socket's peer, unacknowledged by a TCP peer's kernel)
// stay the same, above zero, for timeout. It returns when ctx ends.
func watchStall(ctx context.Context, c net.Conn, timeout time.Duration, cancel context.CancelCauseFunc) {
	rc, _ := rawConn(c)
	if rc == nil {
		return
	}
	tick := time.NewTicker(max(timeout/10, 10*time.Millisecond))
	defer tick.Stop()
	last, since := -1, time.Now()
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
			case n == 0 || int(n) != last:
				last, since = int(n), now
			case now.Sub(since) >= timeout:
				cancel(ErrStalled)
				return
			}
		}
	}
}

// rawConn returns the socket under c, or nil with no error when c is not a socket.
func rawConn(c net.Conn) (syscall.RawConn, error) {
	if sc, ok := c.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, nil
}
