package forward

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/enrich-plugin/enrich/forward/forwardtest"
	"github.com/vmihailenco/msgpack/v5"
)

func TestSendDelivers(t *testing.T) {
	tests := []struct {
		name string
		opts forwardtest.Options
		cfg  func(cfg *Config, srv *forwardtest.Server)
	}{
		{name: "tcp", opts: forwardtest.Options{}},
		{name: "tcp6", opts: forwardtest.Options{Network: "tcp6"}},
		{name: "unix", opts: forwardtest.Options{Network: "unix"}},
		{
			name: "shared key",
			opts: forwardtest.Options{SharedKey: "s3cret"},
			cfg:  func(cfg *Config, _ *forwardtest.Server) { cfg.SharedKey = "s3cret" },
		},
		{
			name: "tls with CA and verify",
			opts: forwardtest.Options{TLS: true},
			cfg: func(cfg *Config, srv *forwardtest.Server) {
				cfg.TLS, cfg.TLSCAFile, cfg.TLSVerify = true, srv.CAFile, true
			},
		},
		{
			// The zone picks the interface; the certificate carries the address alone.
			name: "tls to an IPv6 address with a zone",
			opts: forwardtest.Options{Network: "tcp6", TLS: true},
			cfg: func(cfg *Config, srv *forwardtest.Server) {
				cfg.Address = strings.Replace(cfg.Address, "::1]", "::1%"+loopback(t)+"]", 1)
				cfg.TLS, cfg.TLSCAFile = true, srv.CAFile
			},
		},
		{
			name: "tls and shared key",
			opts: forwardtest.Options{TLS: true, SharedKey: "k"},
			cfg: func(cfg *Config, srv *forwardtest.Server) {
				cfg.TLS, cfg.TLSCAFile, cfg.SharedKey = true, srv.CAFile, "k"
			},
		},
		{
			// Off leaves the TLS and shared-key handshakes to DialTimeout.
			name: "tls and shared key with the stall timeout off",
			opts: forwardtest.Options{TLS: true, SharedKey: "k"},
			cfg: func(cfg *Config, srv *forwardtest.Server) {
				cfg.TLS, cfg.TLSCAFile, cfg.SharedKey, cfg.StallTimeout = true, srv.CAFile, "k", -1
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := forwardtest.NewServer(t, tt.opts)
			cfg := testConfig(srv.Addr())
			if tt.cfg != nil {
				tt.cfg(&cfg, srv)
			}
			c := newClient(t, cfg)
			var sent [][]byte
			for i := 0; i < 3; i++ {
				p := entries(i*10, 10)
				if err := c.Send(context.Background(), "enriched.syslog", p, 10); err != nil {
					t.Fatalf("Send %d: %v", i, err)
				}
				sent = append(sent, p)
			}
			msgs := srv.Messages()
			if len(msgs) != 3 {
				t.Fatalf("server got %d messages, want 3", len(msgs))
			}
			ids := map[string]bool{}
			for i, m := range msgs {
				if m.Tag != "enriched.syslog" || m.Size != 10 || len(m.Records) != 10 || !m.Acked {
					t.Errorf("message %d = tag %q size %d records %d acked %v, want enriched.syslog 10 10 true",
						i, m.Tag, m.Size, len(m.Records), m.Acked)
				}
				if len(m.Chunk) != chunkIDLen || ids[m.Chunk] {
					t.Errorf("message %d chunk id %q is not a fresh 24-character id", i, m.Chunk)
				}
				ids[m.Chunk] = true
				if !bytes.Equal(m.Entries, sent[i]) {
					t.Errorf("message %d entries differ from the bytes sent", i)
				}
			}
			recs := srv.Records()
			if len(recs) != 30 {
				t.Fatalf("got %d records, want 30", len(recs))
			}
			if got, want := recs[29].Time, time.Unix(1700000029, 5).UTC(); !got.Equal(want) {
				t.Errorf("record 29 time = %v, want %v", got, want)
			}
			if st := c.Stats(); st.Dials != 1 || st.Acked != 3 || st.OpenConns != 1 {
				t.Errorf("stats = %+v, want one dial reused for 3 acked sends", st)
			}
		})
	}
}

func TestSendHandshakeAndTLSFailures(t *testing.T) {
	tests := []struct {
		name    string
		opts    forwardtest.Options
		cfg     func(cfg *Config, srv *forwardtest.Server)
		wantErr error
		wantOp  string // the step that failed, when the case names it
	}{
		{
			name:    "wrong shared key",
			opts:    forwardtest.Options{SharedKey: "right"},
			cfg:     func(cfg *Config, _ *forwardtest.Server) { cfg.SharedKey = "wrong" },
			wantErr: ErrAuthRefused,
		},
		{
			name:    "receiver asks for a user name and password",
			opts:    forwardtest.Options{SharedKey: "right", Users: true},
			cfg:     func(cfg *Config, _ *forwardtest.Server) { cfg.SharedKey = "right" },
			wantErr: ErrUserAuth,
		},
		{
			name:    "receiver wants a key the client lacks",
			opts:    forwardtest.Options{SharedKey: "right"},
			wantErr: ErrHandshakeRequired,
		},
		{
			name: "tls certificate not trusted",
			opts: forwardtest.Options{TLS: true},
			cfg:  func(cfg *Config, _ *forwardtest.Server) { cfg.TLS = true },
		},
		{
			// The shared key handshake is not tried over a TLS handshake that failed.
			name:   "tls certificate not trusted, with a shared key",
			opts:   forwardtest.Options{TLS: true, SharedKey: "right"},
			cfg:    func(cfg *Config, _ *forwardtest.Server) { cfg.TLS, cfg.SharedKey = true, "right" },
			wantOp: "tls handshake",
		},
		{
			name: "tls name mismatch",
			opts: forwardtest.Options{TLS: true},
			cfg: func(cfg *Config, srv *forwardtest.Server) {
				// The certificate is for 127.0.0.1, ::1 and example.com, not localhost.
				cfg.Address = strings.Replace(cfg.Address, "127.0.0.1", "localhost", 1)
				cfg.TLS, cfg.TLSCAFile = true, srv.CAFile
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := forwardtest.NewServer(t, tt.opts)
			cfg := testConfig(srv.Addr())
			if tt.cfg != nil {
				tt.cfg(&cfg, srv)
			}
			c := newClient(t, cfg)
			err := c.Send(context.Background(), "t", entries(0, 1), 1)
			requireRetryable(t, err, tt.wantErr)
			if errors.Is(err, ErrStalled) { // the receiver answered: a refusal, not a pause
				t.Errorf("Send = %v, want no %v", err, ErrStalled)
			}
			if re := new(RetryableError); tt.wantOp != "" && (!errors.As(err, &re) || re.Op != tt.wantOp) {
				t.Errorf("Send = %v, want it to fail at the %s", err, tt.wantOp)
			}
			if n := len(srv.Records()); n != 0 {
				t.Errorf("server stored %d records from a refused client", n)
			}
			if st := c.Stats(); st.OpenConns != 0 || st.Failed != 1 {
				t.Errorf("stats = %+v, want the failed connection discarded", st)
			}
		})
	}
}

func TestSendTLSWithoutVerify(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{TLS: true})
	cfg := testConfig(srv.Addr())
	cfg.TLS, cfg.TLSVerify = true, false
	c := newClient(t, cfg)
	if err := c.Send(context.Background(), "t", entries(0, 2), 2); err != nil {
		t.Fatalf("Send with verification off: %v", err)
	}
}

func TestSendReceiverDownAtStart(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Stopped: true})
	c := newClient(t, testConfig(srv.Addr()))
	err := c.Send(context.Background(), "t", entries(0, 3), 3)
	requireRetryable(t, err, nil)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := sendRetry(c, "t", entries(0, 3), 3, 100); err != nil {
		t.Fatalf("Send after the receiver started: %v", err)
	}
	if err := srv.WaitRecords(3, 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestSendToUnixPathNotASocket: connecting to a file or directory that is not a socket fails
// with ECONNREFUSED, as a socket nothing listens on does; the error says which it is, and not
// for a socket left behind.
func TestSendToUnixPathNotASocket(t *testing.T) {
	dir := t.TempDir()
	file, stale := filepath.Join(dir, "forward.sock"), filepath.Join(dir, "stale.sock")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close() // a socket left behind by an in_forward that stopped
	for path, socket := range map[string]bool{file: false, dir: false, stale: true} {
		c := newClient(t, testConfig("unix://"+path))
		err := c.Send(context.Background(), "t", entries(0, 1), 1)
		requireRetryable(t, err, syscall.ECONNREFUSED)
		if want := path + " is not a socket"; strings.Contains(err.Error(), want) == socket {
			t.Errorf("Send = %v, want it to say %q: %v", err, want, !socket)
		}
	}
}

// TestSendToUnixPathNotASocketUnwritable: to a user who may not write it, the kernel refuses a
// file or directory that is not a socket with EACCES, as a socket whose Unix_Perm keeps the user
// out; the error still says it is not a socket, and of a path the user cannot reach says nothing more.
func TestSendToUnixPathNotASocketUnwritable(t *testing.T) {
	if path := os.Getenv("ENRICH_TEST_UNIX_PATH"); path != "" { // the test binary run as nobody
		err := newClient(t, testConfig("unix://"+path)).Send(context.Background(), "t", entries(0, 1), 1)
		fmt.Printf("error=%v\n", err)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("running the client as another user needs root")
	}
	dir := t.TempDir()
	exe, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "forward.test")
	if err := errors.Join(os.WriteFile(bin, exe, 0o755), os.Chmod(filepath.Dir(dir), 0o755), os.Chmod(dir, 0o755),
		os.WriteFile(dir+"/forward.sock", nil, 0o644)); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", dir+"/perm.sock")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.Chmod(dir+"/perm.sock", 0o600); err != nil { // in_forward's Unix_Perm 0600
		t.Fatal(err)
	}
	// A socket in a directory the user may not search: neither the dial nor a Stat reaches it.
	if err := os.Mkdir(dir+"/private", 0o700); err != nil {
		t.Fatal(err)
	}
	pl, err := net.Listen("unix", dir+"/private/forward.sock")
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	for path, socket := range map[string]bool{dir: false, dir + "/forward.sock": false, dir + "/perm.sock": true, dir + "/private/forward.sock": true} {
		cmd := exec.Command(bin, "-test.run=^TestSendToUnixPathNotASocketUnwritable$")
		cmd.Env = append(os.Environ(), "ENRICH_TEST_UNIX_PATH="+path)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		if want := path + " is not a socket"; err != nil || !strings.Contains(string(out), "permission denied") || strings.Contains(string(out), want) == socket {
			t.Errorf("Send to %s as another user: %s (%v), want permission denied and %q said %v", path, out, err, want, !socket)
		}
	}
}

// TestSendFaults drives each receiver fault: the Send fails with a retryable error, the
// broken connection is discarded, and once the fault clears the retry is delivered.
func TestSendFaults(t *testing.T) {
	tests := []struct {
		name    string
		fault   forwardtest.Fault
		wantErr error
	}{
		{name: "never acks", fault: forwardtest.NoAck, wantErr: ErrAckTimeout},
		{name: "acks another chunk", fault: forwardtest.WrongAck, wantErr: ErrAckMismatch},
		{name: "closes after reading the message", fault: forwardtest.Drop},
		{name: "closes as the message arrives", fault: forwardtest.DropMidMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := forwardtest.NewServer(t, forwardtest.Options{})
			cfg := testConfig(srv.Addr())
			cfg.AckTimeout = 300 * time.Millisecond
			c := newClient(t, cfg)
			srv.SetFault(tt.fault)
			payload := entries(0, 20)
			start := time.Now()
			err := c.Send(context.Background(), "t", payload, 20)
			elapsed := time.Since(start)
			requireRetryable(t, err, tt.wantErr)
			// A generous margin: this checks the bound, not the speed.
			if elapsed > cfg.AckTimeout+2*time.Second {
				t.Errorf("Send took %s, want at most the ack timeout %s plus a margin", elapsed, cfg.AckTimeout)
			}
			if st := c.Stats(); st.OpenConns != 0 {
				t.Errorf("after the fault %d connections are open, want the broken one discarded", st.OpenConns)
			}
			srv.SetFault(forwardtest.NoFault)
			if _, err := sendRetry(c, "t", payload, 20, 50); err != nil {
				t.Fatalf("Send after the fault cleared: %v", err)
			}
			_, acked := seqs(srv.Records())
			for i := int64(0); i < 20; i++ {
				if !acked[i] {
					t.Fatalf("record seq %d was never acked", i)
				}
			}
		})
	}
}

func TestSendSlowReceiverWithinTimeout(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{AckDelay: 150 * time.Millisecond})
	c := newClient(t, testConfig(srv.Addr()))
	for i := 0; i < 3; i++ {
		if err := c.Send(context.Background(), "t", entries(i, 1), 1); err != nil {
			t.Fatalf("Send %d to a slow receiver: %v", i, err)
		}
	}
}

func TestSendContextCancelled(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Fault: forwardtest.NoAck})
	c := newClient(t, testConfig(srv.Addr()))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Cancel once the message is at the receiver, so the Send is waiting for the ack.
		if err := srv.WaitRecords(1, 5*time.Second); err == nil {
			cancel()
		}
	}()
	defer cancel()
	err := c.Send(ctx, "t", entries(0, 1), 1)
	requireRetryable(t, err, context.Canceled)
}

// TestSendReceiverRestartedMidStream kills the receiver while chunks are being sent and
// restarts it: no Send may return nil without its ack, and every record arrives.
func TestSendReceiverRestartedMidStream(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{})
	cfg := testConfig(srv.Addr())
	cfg.MaxConns = 2
	c := newClient(t, cfg)
	const chunks, per = 60, 5
	var okSeqs sync.Map
	var wg sync.WaitGroup
	errs := make(chan error, chunks)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < chunks; i += 2 {
				if _, err := sendRetry(c, "t", entries(i*per, per), per, 400); err != nil {
					errs <- err
					continue
				}
				okSeqs.Store(i, true)
			}
		}()
	}
	sent := make(chan struct{})
	go func() { wg.Wait(); close(sent) }()
	for restart := 0; restart < 3; restart++ {
		if err := srv.WaitRecords((restart+1)*10, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		dialFailures := c.Stats().DialFailures
		srv.Stop()
		// The senders may have finished before the stop: then none can find it.
		waitFor(t, "a Send to find the receiver down", func() bool {
			select {
			case <-sent:
				return true
			default:
				return c.Stats().DialFailures > dialFailures
			}
		})
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
	}
	<-sent
	close(errs)
	for err := range errs {
		t.Errorf("chunk never delivered: %v", err)
	}
	seen, acked := seqs(srv.Records())
	for i := 0; i < chunks; i++ {
		if _, ok := okSeqs.Load(i); !ok {
			continue
		}
		for s := i * per; s < (i+1)*per; s++ {
			if seen[int64(s)] == 0 || !acked[int64(s)] {
				t.Fatalf("Send of chunk %d returned nil but record %d was seen %d times, acked %v",
					i, s, seen[int64(s)], acked[int64(s)])
			}
		}
	}
	if st := c.Stats(); st.OpenConns > cfg.MaxConns {
		t.Errorf("%d connections open, want at most %d", st.OpenConns, cfg.MaxConns)
	}
}

// TestIdleConnectionClosedByReceiver checks that a connection the receiver closed while idle
// (in_forward does so when paused) is noticed before use, so the Send does not fail. Over TCP
// the receiver's FIN reaches the client's socket asynchronously (loopback delivers it in a
// softirq, later under load), so the test waits until the client can see it: a Send racing it
// fails and is retried, which only Fluent Bit's retry can help.
func TestIdleConnectionClosedByReceiver(t *testing.T) {
	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) {
			srv := forwardtest.NewServer(t, forwardtest.Options{Network: network})
			c := newClient(t, testConfig(srv.Addr()))
			if err := c.Send(context.Background(), "t", entries(0, 1), 1); err != nil {
				t.Fatal(err)
			}
			srv.Stop()
			waitFor(t, "the client's socket to see the receiver's close", func() bool {
				cn := <-c.idle // no Send runs: the connection is there
				defer func() { c.idle <- cn }()
				return !alive(cn.rc)
			})
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			if err := c.Send(context.Background(), "t", entries(1, 1), 1); err != nil {
				t.Fatalf("Send after the idle connection was closed: %v", err)
			}
			if st := c.Stats(); st.StaleIdle != 1 || st.Dials != 2 {
				t.Errorf("stats = %+v, want one stale idle connection dropped and one redial", st)
			}
		})
	}
}

func TestSendConcurrent(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{})
	cfg := testConfig(srv.Addr())
	cfg.MaxConns = 4
	c := newClient(t, cfg)
	const workers, each = 16, 15
	var wg sync.WaitGroup
	var failures atomic.Int64
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := c.Send(context.Background(), "t", entries((w*each+i)*2, 2), 2); err != nil {
					failures.Add(1)
					t.Errorf("worker %d send %d: %v", w, i, err)
				}
			}
		}()
	}
	wg.Wait()
	if failures.Load() > 0 {
		return
	}
	seen, _ := seqs(srv.Records())
	if len(seen) != workers*each*2 {
		t.Errorf("got %d distinct records, want %d", len(seen), workers*each*2)
	}
	if got := srv.MaxOpenConns(); got > cfg.MaxConns {
		t.Errorf("receiver saw %d connections at once, want at most MaxConns %d", got, cfg.MaxConns)
	}
	if st := c.Stats(); st.Dials > uint64(cfg.MaxConns) {
		t.Errorf("client dialled %d times, want at most %d for a healthy receiver", st.Dials, cfg.MaxConns)
	}
}

// TestPoolBoundedUnderFaults sends many chunks from several goroutines while the receiver
// misbehaves; connections are discarded and redialled but never exceed MaxConns.
func TestPoolBoundedUnderFaults(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{})
	cfg := testConfig(srv.Addr())
	cfg.MaxConns = 2
	cfg.AckTimeout = 200 * time.Millisecond
	c := newClient(t, cfg)
	faults := []struct {
		fault forwardtest.Fault
		err   error // what a Send that meets the fault returns
		met   atomic.Int64
	}{
		{fault: forwardtest.WrongAck, err: ErrAckMismatch},
		{fault: forwardtest.Drop, err: io.EOF},
		{fault: forwardtest.NoAck, err: ErrAckTimeout},
	}
	var maxOpen atomic.Int64
	var stop atomic.Bool
	defer stop.Store(true)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				err := c.Send(context.Background(), "t", entries(i, 1), 1) // failures are expected here
				for f := range faults {
					if errors.Is(err, faults[f].err) {
						faults[f].met.Add(1)
					}
				}
				if n := int64(c.Stats().OpenConns); n > maxOpen.Load() {
					maxOpen.Store(n)
				}
			}
		}()
	}
	for round := 0; round < 6; round++ {
		f := &faults[round%len(faults)]
		met := f.met.Load()
		srv.SetFault(f.fault)
		waitFor(t, fmt.Sprintf("a Send to meet fault %d", f.fault), func() bool { return f.met.Load() > met })
		srv.SetFault(forwardtest.NoFault)
	}
	stop.Store(true)
	wg.Wait()
	if got := maxOpen.Load(); got > int64(cfg.MaxConns) {
		t.Errorf("client held %d connections, want at most %d", got, cfg.MaxConns)
	}
	st := c.Stats()
	if st.OpenConns > cfg.MaxConns || st.Acked+st.Failed != st.Sends {
		t.Errorf("stats = %+v, want at most %d open and every send accounted for", st, cfg.MaxConns)
	}
}

func TestCloseWhileSendsPending(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Fault: forwardtest.NoAck})
	cfg := testConfig(srv.Addr())
	cfg.AckTimeout = 30 * time.Second // Close, not the timeout, must end the sends
	const n = 3
	cfg.MaxConns = n // and one more Send waits for a connection
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan error, n+1)
	for i := 0; i <= n; i++ {
		go func() { results <- c.Send(context.Background(), "t", entries(i, 1), 1) }()
	}
	if err := srv.WaitRecords(n, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the last Send to wait", func() bool { return c.Stats().Sends == n+1 })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = c.Close(ctx)
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Close took %s with a 200ms deadline", elapsed)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want it to report the deadline with sends in flight", err)
	}
	for i := 0; i <= n; i++ {
		select {
		case err := <-results:
			requireRetryable(t, err, ErrClosed)
		case <-time.After(5 * time.Second):
			t.Fatal("a pending Send did not return after Close")
		}
	}
	if got := len(srv.Records()); got != n {
		t.Errorf("the receiver got %d records, want %d: the waiting Send must not send after Close", got, n)
	}
	requireRetryable(t, c.Send(context.Background(), "t", entries(0, 1), 1), ErrClosed)
	if err := c.Close(context.Background()); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

// A Send still waiting for a connection when Close starts does not send, even when a
// connection frees up before Close's deadline.
func TestCloseEndsWaitingSend(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{AckDelay: 300 * time.Millisecond})
	cfg := testConfig(srv.Addr())
	cfg.MaxConns = 1
	c := newClient(t, cfg)
	first, second := make(chan error, 1), make(chan error, 1)
	go func() { first <- c.Send(context.Background(), "t", entries(0, 1), 1) }()
	if err := srv.WaitRecords(1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	go func() { second <- c.Send(context.Background(), "t", entries(1, 1), 1) }()
	waitFor(t, "the second Send to wait", func() bool { return c.Stats().Sends == 2 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		t.Errorf("Close = %v, want nil: the Send in flight was acknowledged", err)
	}
	if err := <-first; err != nil {
		t.Errorf("first Send = %v, want nil", err)
	}
	requireRetryable(t, <-second, ErrClosed)
	if got := len(srv.Records()); got != 1 {
		t.Errorf("the receiver got %d records, want 1", got)
	}
}

func TestCloseIdleReturnsNil(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{})
	c, err := NewClient(testConfig(srv.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(context.Background(), "t", entries(0, 1), 1); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatalf("Close with nothing in flight = %v", err)
	}
	if st := c.Stats(); st.OpenConns != 0 {
		t.Errorf("%d connections left open after Close", st.OpenConns)
	}
}

func TestSendInvalidArguments(t *testing.T) {
	c, err := NewClient(testConfig("tcp://127.0.0.1:9"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		tag     string
		count   int
		payload []byte
		wantErr error
	}{
		{name: "empty tag", tag: "", count: 1, payload: entries(0, 1), wantErr: ErrInvalidArgument},
		{name: "negative count", tag: "t", count: -1, payload: entries(0, 1), wantErr: ErrInvalidArgument},
		{name: "nothing to send", tag: "t", count: 0, payload: nil, wantErr: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Send(context.Background(), tt.tag, tt.payload, tt.count)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Send = %v, want %v", err, tt.wantErr)
			}
			var re *RetryableError
			if errors.As(err, &re) {
				t.Errorf("Send = %v, want an error that is not retryable", err)
			}
		})
	}
	if st := c.Stats(); st.Dials != 0 {
		t.Errorf("invalid sends dialled %d times", st.Dials)
	}
}

// fakeClock makes c read the time from the clock it returns, which the test moves.
func fakeClock(c *Client) *time.Time {
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	return &now
}

// TestBackoffSchedule drives the reconnect schedule with a fake clock and a dialer that
// counts attempts, so the test checks the schedule without depending on timing.
func TestBackoffSchedule(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{})
	cfg := testConfig(srv.Addr())
	cfg.MinBackoff, cfg.MaxBackoff = 100*time.Millisecond, 800*time.Millisecond
	c := newClient(t, cfg)
	now := fakeClock(c)
	var dials atomic.Int64
	var down atomic.Bool
	down.Store(true)
	dial := c.dial
	c.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		if down.Load() {
			return nil, errors.New("connection refused")
		}
		return dial(ctx, network, addr)
	}
	send := func() error { return c.Send(context.Background(), "t", entries(0, 1), 1) }

	steps := []struct {
		name      string
		advance   time.Duration
		wantDials int64
		wantErr   error
		wantDelay time.Duration
	}{
		{name: "first attempt dials", advance: 0, wantDials: 1, wantDelay: 100 * time.Millisecond},
		{name: "within 100ms fails fast", advance: 50 * time.Millisecond, wantDials: 1, wantErr: ErrBackoff, wantDelay: 100 * time.Millisecond},
		{name: "after 100ms dials again", advance: 50 * time.Millisecond, wantDials: 2, wantDelay: 200 * time.Millisecond},
		{name: "within 200ms fails fast", advance: 150 * time.Millisecond, wantDials: 2, wantErr: ErrBackoff, wantDelay: 200 * time.Millisecond},
		{name: "after 200ms dials", advance: 50 * time.Millisecond, wantDials: 3, wantDelay: 400 * time.Millisecond},
		{name: "after 400ms dials", advance: 400 * time.Millisecond, wantDials: 4, wantDelay: 800 * time.Millisecond},
		{name: "capped at 800ms", advance: 800 * time.Millisecond, wantDials: 5, wantDelay: 800 * time.Millisecond},
		{name: "still capped", advance: 800 * time.Millisecond, wantDials: 6, wantDelay: 800 * time.Millisecond},
	}
	for _, s := range steps {
		*now = now.Add(s.advance)
		err := send()
		requireRetryable(t, err, s.wantErr)
		if got := dials.Load(); got != s.wantDials {
			t.Fatalf("%s: %d dials, want %d", s.name, got, s.wantDials)
		}
		if got := c.Stats().Backoff; got != s.wantDelay {
			t.Fatalf("%s: backoff %s, want %s", s.name, got, s.wantDelay)
		}
	}
	down.Store(false)
	*now = now.Add(800 * time.Millisecond)
	if err := send(); err != nil {
		t.Fatalf("Send once the receiver is back: %v", err)
	}
	if got := c.Stats().Backoff; got != 0 {
		t.Errorf("backoff after an ack = %s, want it reset to 0", got)
	}
}

// TestBackoffReservesTheAttempt: once the backoff allows an attempt, the Send making it holds it,
// so that the Sends arriving meanwhile fail fast instead of all dialling a receiver that is down.
func TestBackoffReservesTheAttempt(t *testing.T) {
	c := newClient(t, testConfig("tcp://127.0.0.1:1"))
	now := fakeClock(c)
	var dials atomic.Int64
	dialling, release := make(chan struct{}), make(chan struct{})
	c.dial = func(context.Context, string, string) (net.Conn, error) {
		if dials.Add(1) == 2 {
			close(dialling)
			<-release
		}
		return nil, errors.New("connection refused")
	}
	send := func() error { return c.Send(context.Background(), "t", entries(0, 1), 1) }
	requireRetryable(t, send(), nil)
	*now = now.Add(time.Second) // past the backoff
	done := make(chan error)
	go func() { done <- send() }()
	<-dialling
	err := send()
	close(release)
	requireRetryable(t, <-done, nil)
	requireRetryable(t, err, ErrBackoff)
	if got := dials.Load(); got != 2 {
		t.Errorf("%d dials, want 2: one per attempt the backoff allows", got)
	}
}

// TestBackoffAfterAFailureOnAnOpenConnection: a connection that had delivered and then fails (a
// receiver restarted, or one that drops the payload in flight) starts the reconnect backoff as a
// failed dial does: the next Send that needs a new connection within it fails at once, even with
// the receiver back (docs/failure-behaviour.md, Receiver restarted mid-stream).
func TestBackoffAfterAFailureOnAnOpenConnection(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{})
	cfg := testConfig(srv.Addr())
	c := newClient(t, cfg)
	now := fakeClock(c)
	send := func(i int) error { return c.Send(context.Background(), "t", entries(i, 1), 1) }
	if err := send(0); err != nil {
		t.Fatalf("first Send: %v", err)
	}
	srv.SetFault(forwardtest.Drop)
	requireRetryable(t, send(1), nil) // on the connection of the first Send
	srv.SetFault(forwardtest.NoFault)
	requireRetryable(t, send(2), ErrBackoff)
	if st := c.Stats(); st.Dials != 1 || st.Backoff != cfg.MinBackoff {
		t.Errorf("%d dials, backoff %s; want 1 dial and %s", st.Dials, st.Backoff, cfg.MinBackoff)
	}
	*now = now.Add(cfg.MinBackoff)
	if err := send(3); err != nil {
		t.Fatalf("Send after the backoff: %v", err)
	}
}

// TestBackoffNamesTheLastFailure: a Send refused by the backoff says what failed last, since
// while a receiver stays unreachable most retries are refused so and would otherwise not say why.
func TestBackoffNamesTheLastFailure(t *testing.T) {
	c := newClient(t, testConfig("tcp://127.0.0.1:1"))
	fakeClock(c) // the clock stands still: the second Send falls in the backoff
	c.dial = func(context.Context, string, string) (net.Conn, error) {
		return nil, fmt.Errorf("dial: %w", ErrStalled)
	}
	send := func() error { return c.Send(context.Background(), "t", entries(0, 1), 1) }
	requireRetryable(t, send(), ErrStalled)
	err := send()
	requireRetryable(t, err, ErrBackoff)
	if !errors.Is(err, ErrStalled) || !strings.Contains(err.Error(), "after dial: dial: "+ErrStalled.Error()) {
		t.Errorf("refused by the backoff: %v; want it to name and wrap the last failure", err)
	}
}

func TestRetryableErrorMessage(t *testing.T) {
	err := &RetryableError{Op: "read ack", Addr: "tcp://127.0.0.1:24224", Err: ErrAckTimeout}
	if got, want := err.Error(), "forward: read ack tcp://127.0.0.1:24224: no ack before the ack timeout"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestIdleLongerThanAckTimeout checks that a connection left idle for longer
// than AckTimeout is reused: the last send's deadline must not stay on it.
func TestIdleLongerThanAckTimeout(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{})
	cfg := testConfig(srv.Addr())
	cfg.AckTimeout = 200 * time.Millisecond
	c := newClient(t, cfg)
	for i := 0; i < 2; i++ {
		if err := c.Send(context.Background(), "t", entries(i, 1), 1); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if i == 0 {
			// Idle past the first send's AckTimeout, and any socket deadline it set.
			time.Sleep(cfg.AckTimeout + 500*time.Millisecond)
		}
	}
	if st := c.Stats(); st.Dials != 1 || st.StaleIdle != 0 {
		t.Errorf("stats = %+v, want 1 dial and 0 stale idle connections", st)
	}
}

// TestSendStalledReceiver checks that a receiver that reads nothing (a paused
// in_forward: connections wait in its backlog, or are accepted and never
// read) ends the Send with ErrStalled instead of holding it until AckTimeout,
// while one that reads and acknowledges slowly is waited for.
func TestSendStalledReceiver(t *testing.T) {
	tests := []struct {
		name      string
		network   string // tcp for TLS
		accept    bool
		sharedKey string // the client then waits for a HELO that never comes
		tls       bool   // the client then waits for a ServerHello that never comes
	}{
		{"never accepted", "unix", false, "", false},
		{"accepted, never read", "unix", true, "", false},
		{"shared key, never accepted", "unix", false, "key", false},
		{"shared key, accepted, no HELO", "unix", true, "key", false},
		{"tls, never accepted", "tcp", false, "", true},
		{"tls, accepted, no ServerHello", "tcp", true, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var serve func(net.Conn) // nil: connections wait in the backlog
			if tt.accept {
				serve = func(net.Conn) {}
			}
			cfg := testConfig(listen(t, tt.network, serve))
			cfg.AckTimeout = 20 * time.Second
			cfg.StallTimeout = 200 * time.Millisecond
			cfg.SharedKey, cfg.TLS, cfg.TLSVerify = tt.sharedKey, tt.tls, false
			cfg.DialTimeout = DefaultConfig("").DialTimeout // 5s, as the enrich output uses
			c := newClient(t, cfg)
			start := time.Now()
			err := c.Send(context.Background(), "t", entries(0, 10), 10)
			requireRetryable(t, err, ErrStalled)
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("Send took %s, want about the stall timeout %s", elapsed, cfg.StallTimeout)
			}
		})
	}
	// in_forward answers a TLS handshake in steps of 500 ms: a TLS 1.2 one takes a second, longer
	// than the default stall timeout, though its ServerHello came at once.
	t.Run("tls 1.2 handshake in steps", func(t *testing.T) {
		srv := forwardtest.NewServer(t, forwardtest.Options{TLS: true, TLSMaxVersion: tls.VersionTLS12, TLSStep: 300 * time.Millisecond})
		cfg := testConfig(srv.Addr())
		cfg.TLS, cfg.TLSCAFile, cfg.DialTimeout = true, srv.CAFile, 5*time.Second
		cfg.StallTimeout = 500 * time.Millisecond
		c := newClient(t, cfg)
		if err := c.Send(context.Background(), "t", entries(0, 10), 10); err != nil {
			t.Fatalf("Send to a receiver that answers each step of the TLS handshake within the stall timeout: %v", err)
		}
	})
	// in_forward starts the TLS handshake at once, before the ClientHello is there, and reads it
	// 500 ms later; it sends its HELO once it read the client's last handshake message, 500 ms after
	// it came. A stall timeout shorter than a step must not fail every connection.
	for _, key := range []string{"", "key"} {
		t.Run("tls answers a step later than the stall timeout, shared key "+strconv.Quote(key), func(t *testing.T) {
			srv := forwardtest.NewServer(t, forwardtest.Options{TLS: true, SharedKey: key, TLSStep: 300 * time.Millisecond})
			cfg := testConfig(srv.Addr())
			cfg.TLS, cfg.TLSCAFile, cfg.SharedKey, cfg.DialTimeout = true, srv.CAFile, key, 5*time.Second
			cfg.StallTimeout = 100 * time.Millisecond
			c := newClient(t, cfg)
			if err := c.Send(context.Background(), "t", entries(0, 10), 10); err != nil {
				t.Fatalf("Send to a receiver that answers each step of its TLS handshake and its HELO a step late: %v", err)
			}
		})
	}
	t.Run("slow but reading", func(t *testing.T) {
		srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix", AckDelay: 600 * time.Millisecond})
		cfg := testConfig(srv.Addr())
		cfg.StallTimeout = 200 * time.Millisecond
		c := newClient(t, cfg)
		if err := c.Send(context.Background(), "t", entries(0, 10), 10); err != nil {
			t.Fatalf("Send to a receiver that reads and acknowledges late: %v", err)
		}
	})
	// A receiver that takes a large payload slowly keeps bytes queued all along, but takes some
	// at each check: that is progress, not a stall.
	t.Run("reading slowly", func(t *testing.T) {
		srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix"})
		addr := listen(t, "unix", func(c net.Conn) {
			up, err := net.Dial("unix", strings.TrimPrefix(srv.Addr(), "unix://"))
			if err != nil {
				return
			}
			defer up.Close()
			go io.Copy(c, up)
			buf := make([]byte, 8<<10)
			for {
				n, err := c.Read(buf)
				if _, werr := up.Write(buf[:n]); err != nil || werr != nil {
					return
				}
				time.Sleep(4 * time.Millisecond)
			}
		})
		cfg := testConfig(addr)
		cfg.StallTimeout = 500 * time.Millisecond
		cfg.AckTimeout = time.Minute // the payload takes about a second, longer on a loaded machine
		c := newClient(t, cfg)
		start := time.Now()
		if err := c.Send(context.Background(), "t", entries(0, 30000), 30000); err != nil {
			t.Fatalf("Send to a receiver that reads slowly, after %s: %v", time.Since(start), err)
		}
	})
}

// TestSendHandshakeRequiredLargePayload: a client without a shared key meets an in_forward
// that has one. in_forward sends its HELO, reads at most 1023 bytes as the PING and closes, so
// a payload larger than the socket buffers fails its write; the error must still name the
// missing key, not a broken pipe (plugins/in_forward/fw_prot.c, secure_forward_read).
func TestSendHandshakeRequiredLargePayload(t *testing.T) {
	for _, tt := range []struct {
		network string
		records int
	}{
		{"unix", 1}, {"unix", 20000}, {"tcp", 1}, {"tcp", 20000},
	} {
		t.Run(fmt.Sprintf("%s %d records", tt.network, tt.records), func(t *testing.T) {
			addr := listen(t, tt.network, func(c net.Conn) {
				c.Write(helo("nonce", "0123456789abcdef", "auth", "fedcba9876543210"))
				c.Read(make([]byte, 1023))
				c.Close()
			})
			c := newClient(t, testConfig(addr))
			payload := entries(0, tt.records)
			requireRetryable(t, c.Send(context.Background(), "t", payload, tt.records), ErrHandshakeRequired)
		})
	}
}

// TestSendDropsConnectionsNotToReuse: a connection whose HELO says keepalive false, or that holds
// bytes after the ack, is closed after its Send, and the next Send dials again.
func TestSendDropsConnectionsNotToReuse(t *testing.T) {
	tests := []struct {
		name      string
		key       string
		keepalive bool
		extra     []byte // written with each ack
		wantDials uint64
	}{
		{"keepalive", "k", true, nil, 1},
		{"keepalive false", "k", false, nil, 2},
		{"bytes after the ack", "", true, []byte{0x80}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := listen(t, "unix", func(c net.Conn) {
				defer c.Close()
				d, e := msgpack.NewDecoder(c), msgpack.NewEncoder(c)
				if tt.key != "" {
					e.Encode([]any{"HELO", map[string]any{"nonce": "n0nce", "keepalive": tt.keepalive}})
					var ping []string
					if d.Decode(&ping) != nil || len(ping) != 6 {
						return
					}
					e.Encode([]any{"PONG", true, "", "fake", sharedKeyDigest(ping[2], "fake", []byte("n0nce"), tt.key)})
				}
				for {
					var msg []any
					if d.Decode(&msg) != nil || len(msg) != 3 {
						return
					}
					opt, _ := msg[2].(map[string]any)
					ack, _ := msgpack.Marshal(map[string]any{"ack": opt["chunk"]})
					c.Write(append(ack, tt.extra...))
				}
			})
			cfg := testConfig(addr)
			cfg.SharedKey = tt.key
			c := newClient(t, cfg)
			for i := range 2 {
				if err := c.Send(context.Background(), "t", entries(i, 1), 1); err != nil {
					t.Fatalf("Send %d: %v", i+1, err)
				}
			}
			if st := c.Stats(); st.Dials != tt.wantDials {
				t.Errorf("%d dials for 2 sends, want %d", st.Dials, tt.wantDials)
			}
		})
	}
}

// TestSendContextEndsWhileConnecting: a Send whose context ends while it connects fails as a
// dial, naming the cause once, and keeps no connection whose deadline that end has poisoned.
func TestSendContextEndsWhileConnecting(t *testing.T) {
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix"})
	c := newClient(t, testConfig(srv.Addr()))
	errGone := errors.New("flush abandoned")
	ctx, cancel := context.WithCancelCause(context.Background())
	dial := c.dial
	c.dial = func(dctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := dial(dctx, network, addr)
		cancel(errGone)
		return nc, err
	}
	err := c.Send(ctx, "t", entries(0, 1), 1)
	requireRetryable(t, err, errGone)
	var re *RetryableError
	if errors.As(err, &re); re.Op != "dial" || strings.Count(err.Error(), errGone.Error()) != 1 {
		t.Errorf("Send = %v, want a dial failure naming %q once", err, errGone)
	}
	if st := c.Stats(); st.OpenConns != 0 || st.DialFailures != 1 {
		t.Errorf("open connections %d, dial failures %d; want 0 and 1", st.OpenConns, st.DialFailures)
	}
}

// TestCloseWithEndedContextAndNoSends: Close returns nil when no Send is in flight, even with a
// context already ended: every slot is free.
func TestCloseWithEndedContextAndNoSends(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 10 { // each slot is taken in a select that may also see the ended context
		c, err := NewClient(testConfig("unix:///nonexistent/in.sock"))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Close(ctx); err != nil {
			t.Fatalf("Close with an ended context and no sends = %v, want nil", err)
		}
	}
}

// TestSendLeavesNoPayloadInTheBacklog: a paused in_forward accepts no connection, but the
// kernel completes new ones in its listen backlog and queues what the client writes there.
// When in_forward resumes it accepts them and stores every complete message it reads, though
// the client gave up on it and the chunk is retried: each attempt would arrive once more
// (plugins/in_forward/fw_conn.c reads, fw_prot.c stores, then "cannot send ACK response").
// So the client must write no payload before the receiver has shown that it reads.
func TestSendLeavesNoPayloadInTheBacklog(t *testing.T) {
	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) {
			addr := "127.0.0.1:0"
			if network == "unix" {
				addr = filepath.Join(t.TempDir(), "in.sock")
			}
			ln, err := net.Listen(network, addr) // never accepted while the sends run: paused
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			cfg := testConfig(network + "://" + ln.Addr().String())
			cfg.StallTimeout = 100 * time.Millisecond
			cfg.AckTimeout = 500 * time.Millisecond // over TCP the kernel takes the bytes: no stall
			c := newClient(t, cfg)
			now := fakeClock(c)
			payload := entries(0, 10)
			for i := range 3 {
				if err := c.Send(context.Background(), "t", payload, 10); err == nil {
					t.Fatalf("Send %d to a receiver that accepts nothing succeeded", i+1)
				}
				*now = now.Add(time.Second) // past the backoff
			}
			c.Close(context.Background())
			if d := c.Stats().Dials; d != 3 {
				t.Fatalf("%d dials for 3 sends, want 3", d)
			}
			// Resumed: accept what waits in the backlog and read it all.
			var got bytes.Buffer
			for range c.Stats().Dials {
				ln.(interface{ SetDeadline(time.Time) error }).SetDeadline(time.Now().Add(time.Second))
				nc, err := ln.Accept()
				if err != nil {
					break
				}
				nc.SetReadDeadline(time.Now().Add(time.Second))
				io.Copy(&got, nc)
				nc.Close()
			}
			if n := bytes.Count(got.Bytes(), []byte("Built outbound TCP connection")); n > 0 {
				t.Errorf("after %d failed sends and %d dials, the resumed receiver read %d records from its backlog: each would be stored, and the retried chunk sent again",
					3, c.Stats().Dials, n)
			}
		})
	}
}

// TestProbeUnansweredWithoutStallTimeout: with StallTimeout off, a receiver that takes a new
// connection and never answers fails it at DialTimeout, naming the probe, not the dial.
func TestProbeUnansweredWithoutStallTimeout(t *testing.T) {
	cfg := testConfig(listen(t, "unix", func(c net.Conn) { io.Copy(io.Discard, c) }))
	cfg.StallTimeout, cfg.DialTimeout = -1, 200*time.Millisecond
	err := newClient(t, cfg).Send(context.Background(), "t", entries(0, 1), 1)
	var re *RetryableError
	// The read's timeout: the probe's own end of the deadline may or may not come first.
	if !errors.As(err, &re) || re.Op != "probe" || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Send = %v, want the probe failing at the dial timeout", err)
	}
}

// TestSendStallTimeoutOff: with a negative StallTimeout a receiver that reads nothing for a while,
// then reads and acknowledges, is waited for.
func TestSendStallTimeoutOff(t *testing.T) {
	addr := pausedReceiver(t, 300*time.Millisecond) // paused, as in_forward is while Fluent Bit reloads
	// Nor does a stall timeout longer than the pause end the Send.
	for _, stall := range []time.Duration{-1, time.Second} {
		cfg := testConfig(addr)
		cfg.StallTimeout = stall
		c := newClient(t, cfg)
		if err := c.Send(context.Background(), "t", entries(0, 10), 10); err != nil {
			t.Fatalf("Send to a receiver paused for 300ms with StallTimeout %s: %v", stall, err)
		}
	}
}

// TestStallTimeoutLongerThanDialTimeout: a StallTimeout above DialTimeout (Stall_Timeout 8s
// beside the output's 5 s) is how long a new connection's first answer is waited for: a
// receiver that answers within it connects, and one that never answers fails as a stall, not as
// a dial timeout, which the enrich output could not explain.
func TestStallTimeoutLongerThanDialTimeout(t *testing.T) {
	slow := pausedReceiver(t, 300*time.Millisecond) // answers later than DialTimeout, within StallTimeout
	mute := listen(t, "unix", func(c net.Conn) { io.Copy(io.Discard, c) })
	for _, key := range []string{"", "key"} {
		cfg := testConfig(slow)
		cfg.DialTimeout, cfg.StallTimeout, cfg.SharedKey = 200*time.Millisecond, 600*time.Millisecond, key
		if key == "" { // the forwardtest server behind it has no key: only the probe is tried
			if err := newClient(t, cfg).Send(context.Background(), "t", entries(0, 1), 1); err != nil {
				t.Errorf("Send to a receiver answering after 300ms, StallTimeout %s: %v", cfg.StallTimeout, err)
			}
		}
		cfg.Address = mute
		start := time.Now()
		err := newClient(t, cfg).Send(context.Background(), "t", entries(0, 1), 1)
		if !errors.Is(err, ErrStalled) || time.Since(start) < cfg.StallTimeout {
			t.Errorf("shared key %q: Send to a receiver that never answers = %v after %s, want ErrStalled after StallTimeout %s",
				key, err, time.Since(start), cfg.StallTimeout)
		}
	}
}

// pausedReceiver is a forwardtest receiver that reads nothing of a new connection for pause.
func pausedReceiver(t *testing.T, pause time.Duration) string {
	srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix"})
	return listen(t, "unix", func(c net.Conn) {
		<-time.After(pause)
		up, err := net.Dial("unix", strings.TrimPrefix(srv.Addr(), "unix://"))
		if err != nil {
			return
		}
		defer up.Close()
		go io.Copy(c, up)
		io.Copy(up, c)
	})
}
