//go:build !linux

package forward

import (
	"context"
	"syscall"
	"time"
)

// alive cannot probe sockets here; a closed connection shows up as a failed Send instead.
func alive(syscall.RawConn) bool { return true }

// watchStall needs SIOCOUTQ, which only Linux has; elsewhere a stalled receiver holds a Send
// until AckTimeout.
func watchStall(context.Context, syscall.RawConn, time.Duration, context.CancelCauseFunc) {}
