//go:build !linux

package forward

import (
	"context"
	"net"
	"time"
)

// alive cannot probe sockets here; a closed connection shows up as a failed Send instead.
func alive(net.Conn) bool { return true }

// watchStall needs SIOCOUTQ, which only Linux has; elsewhere a stalled receiver holds a Send
// until AckTimeout.
func watchStall(context.Context, net.Conn, time.Duration, context.CancelCauseFunc) {}
