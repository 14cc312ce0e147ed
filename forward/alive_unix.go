//go:build unix

package forward

import (
	"errors"
	"net"
	"syscall"
)

// alive reports whether an idle connection is still usable: a non-blocking peek that finds
// nothing to read means open; end of stream, an error or unexpected bytes mean the receiver
// closed it or broke the protocol. It saves a failed Send (and a retry) every time in_forward
// closes idle connections, which it does whenever it is paused.
func alive(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var buf [1]byte
	open := false
	err = rc.Read(func(fd uintptr) bool {
		n, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = n <= 0 && rerr != nil && (errors.Is(rerr, syscall.EAGAIN) || errors.Is(rerr, syscall.EWOULDBLOCK))
		return true // never wait for readiness
	})
	return err == nil && open
}
