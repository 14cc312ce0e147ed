//go:build !linux

package forward

import (
	"context"
	"net"
	"time"
)

// watchStall needs SIOCOUTQ, which only Linux has; elsewhere a stalled
// receiver holds a Send until AckTimeout.
func watchStall(context.Context, net.Conn, time.Duration, context.CancelCauseFunc) func() {
	return func() {}
}
