package forward

import (
	"context"
	"net"
	"syscall"
	"time"
	"unsafe"
)

// watchStall cancels ctx with ErrStalled when the bytes written to c and not
// yet taken by the receiver (SIOCOUTQ: for a unix socket, what the receiving
// process has not read; for TCP, what the peer's kernel has not acknowledged)
// stay the same, and more than zero, for timeout. It returns a function that
// stops the watch. On a connection whose queue cannot be read it does nothing.
func watchStall(ctx context.Context, c net.Conn, timeout time.Duration, cancel context.CancelCauseFunc) (stop func()) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return func() {}
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(max(timeout/10, 10*time.Millisecond))
		defer tick.Stop()
		last, since := -1, time.Now()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case now := <-tick.C:
				n, ok := outq(rc)
				switch {
				case !ok:
					return
				case n == 0 || n != last:
					last, since = n, now
				case now.Sub(since) >= timeout:
					cancel(ErrStalled)
					return
				}
			}
		}
	}()
	return func() { close(done) }
}

// outq returns the socket's unsent or unacknowledged byte count.
func outq(rc syscall.RawConn) (int, bool) {
	var n int
	var ierr error
	err := rc.Control(func(fd uintptr) {
		n, ierr = ioctlInt(int(fd), syscall.TIOCOUTQ)
	})
	return n, err == nil && ierr == nil
}

func ioctlInt(fd int, req uintptr) (int, error) {
	var v int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(&v))); e != 0 {
		return 0, e
	}
	return int(v), nil
}
