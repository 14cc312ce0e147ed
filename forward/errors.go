package forward

import (
	"errors"
	"fmt"
)

// Causes a RetryableError can carry; match them with errors.Is.
var (
	// ErrAckTimeout means the receiver did not acknowledge the chunk within AckTimeout.
	ErrAckTimeout = errors.New("no ack before the ack timeout")
	// ErrAckMismatch means the receiver acknowledged a chunk id other than the one sent.
	ErrAckMismatch = errors.New("ack for another chunk")
	// ErrBackoff means a new connection is not attempted yet because recent attempts failed.
	ErrBackoff = errors.New("reconnect delayed after recent failures")
	// ErrAuthRefused means the receiver refused the shared-key handshake.
	ErrAuthRefused = errors.New("receiver refused the shared key")
	// ErrUserAuth means the receiver asks for user name and password
	// authentication (in_forward's security.users), which the client does
	// not offer: only the shared key is supported.
	ErrUserAuth = errors.New("receiver requires user authentication, which is not supported (use the shared key alone)")
	// ErrHandshake means the handshake messages were malformed, or the receiver's digest did
	// not prove that it holds the shared key.
	ErrHandshake = errors.New("shared key handshake failed")
	// ErrHandshakeRequired means the receiver asked for a shared-key handshake (it sent HELO)
	// but no shared key is configured.
	ErrHandshakeRequired = errors.New("receiver requires a shared key handshake but no shared key is configured")
	// ErrProtocol means the receiver answered with something other than an ack.
	ErrProtocol = errors.New("unexpected response from receiver")
	// ErrStalled means the receiver read nothing of what was written to it for
	// StallTimeout: it is paused or hung, and the chunk is better retried later.
	ErrStalled = errors.New("receiver stopped reading")
	// ErrClosed means the client was closed before the chunk was acknowledged.
	ErrClosed = errors.New("client closed")
)

// ErrInvalidArgument is returned, unwrapped from any RetryableError, when Send is called with
// arguments that can never succeed; retrying them would loop forever.
var ErrInvalidArgument = errors.New("invalid argument")

// RetryableError is a delivery failure: the chunk was not acknowledged and sending it again
// later may succeed. Every Send failure except invalid arguments is a *RetryableError.
type RetryableError struct {
	// Op is the step that failed: "dial", "handshake", "write", "read ack", "wait".
	Op string
	// Addr is the receiver's address as configured.
	Addr string
	// Err is the cause.
	Err error
}

// Error describes the failed step, the receiver and the cause.
func (e *RetryableError) Error() string {
	return fmt.Sprintf("forward: %s %s: %v", e.Op, e.Addr, e.Err)
}

// Unwrap returns the cause.
func (e *RetryableError) Unwrap() error { return e.Err }

// Retryable reports that the failure is transient; it is always true for this type and
// exists so callers can test for the behaviour through an interface.
func (e *RetryableError) Retryable() bool { return true }

// ConfigError names a Config field whose value cannot work. It is never retryable.
type ConfigError struct {
	// Field is the Config field name, for example "Address" or "TLSCAFile".
	Field string
	// Value is the offending value, or "" when printing it would reveal a secret.
	Value string
	// Err says what is wrong and what is accepted.
	Err error
}

// Error names the field, the value and the problem.
func (e *ConfigError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("forward: config %s: %v", e.Field, e.Err)
	}
	return fmt.Sprintf("forward: config %s %q: %v", e.Field, e.Value, e.Err)
}

// Unwrap returns the cause.
func (e *ConfigError) Unwrap() error { return e.Err }
