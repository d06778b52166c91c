package daemonlink

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// The connection to one daemon: a peer-verified Unix socket carrying one
// gRPC client connection (h2c, insecure credentials: the socket's owner and
// the peer check are the security boundary, not TLS).

// maxSocketPath is the longest path a sockaddr_un can hold (108 bytes with
// the terminating NUL on Linux).
const maxSocketPath = len(unix.RawSockaddrUnix{}.Path) - 1

// maxRecvMsgSize lifts gRPC's 4 MiB default: the newest operations are taken
// from the end of an unlimited query (see Operations), which can be large.
const maxRecvMsgSize = 64 << 20

var errPeerMismatch = errors.New("socket peer is not the verified daemon")

// peerCred reads SO_PEERCRED: the uid and pid of the process that called
// listen() on the other end. It is the kernel's word, not the daemon's.
func peerCred(c *net.UnixConn) (*unix.Ucred, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return nil, err
	}
	if credErr != nil {
		return nil, fmt.Errorf("getsockopt SO_PEERCRED: %w", credErr)
	}
	return cred, nil
}

// dialSocket connects to the daemon's socket within timeout.
func dialSocket(ctx context.Context, socket string, timeout time.Duration) (*net.UnixConn, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return nil, err
	}
	return c.(*net.UnixConn), nil
}

// daemonConn is a gRPC client connection bound to one verified daemon
// process. Its dialer hands gRPC the probe's already verified socket first,
// and re-verifies (uid and pid) every later connection, so gRPC's transparent
// reconnects can never reach a process other than the one we proved.
//
// A connection the link replaces (a refresh makes a new one; a daemon going
// away drops it) is retired, not closed: queries still running on it finish
// (closing a grpc.ClientConn cancels its calls), and the last one closes it.
type daemonConn struct {
	cc     *grpc.ClientConn
	pid    int // the peer pid, proven by SO_PEERCRED
	socket string

	mu      sync.Mutex
	users   int  // queries running on it
	retired bool // replaced: close when users reaches 0
	closed  bool
}

func newDaemonConn(first *net.UnixConn, socket string, pid int, connectTimeout time.Duration) (*daemonConn, error) {
	var mu sync.Mutex
	pending := first
	uid := os.Geteuid()
	dialer := func(ctx context.Context, _ string) (net.Conn, error) {
		mu.Lock()
		c := pending
		pending = nil
		mu.Unlock()
		if c != nil {
			return c, nil
		}
		c, err := dialSocket(ctx, socket, connectTimeout)
		if err != nil {
			return nil, err
		}
		cred, err := peerCred(c)
		if err != nil || int(cred.Uid) != uid || int(cred.Pid) != pid {
			c.Close()
			return nil, errPeerMismatch
		}
		return c, nil
	}
	cc, err := grpc.NewClient("passthrough:///heddle-uds",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(dialer),
		grpc.WithAuthority("heddle-uds"),
		// No idle timer: an idle channel must cost nothing, and leaving
		// READY for IDLE would look like a lost daemon.
		grpc.WithIdleTimeout(0),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxRecvMsgSize)),
	)
	if err != nil {
		first.Close()
		return nil, fmt.Errorf("grpc client for %s: %w", socket, err)
	}
	return &daemonConn{cc: cc, pid: pid, socket: socket}, nil
}

// Close closes the connection now: one never handed to a query, so this
// is retire with no user to wait for.
func (d *daemonConn) Close() { d.retire() }

// acquire marks a query running on the connection; false if it was retired.
func (d *daemonConn) acquire() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.retired || d.closed {
		return false
	}
	d.users++
	return true
}

// release ends a query's use; the last use of a retired connection closes it.
func (d *daemonConn) release() {
	d.mu.Lock()
	d.users--
	last := d.retired && d.users == 0 && !d.closed
	if last {
		d.closed = true
	}
	d.mu.Unlock()
	if last {
		d.cc.Close()
	}
}

// retire closes the connection once no query uses it.
func (d *daemonConn) retire() {
	if d == nil {
		return
	}
	d.mu.Lock()
	d.retired = true
	now := d.users == 0 && !d.closed
	if now {
		d.closed = true
	}
	d.mu.Unlock()
	if now {
		d.cc.Close()
	}
}

// ready reports whether the transport is up.
func (d *daemonConn) ready() bool {
	return d != nil && d.cc.GetState() == connectivity.Ready
}

// watchLost calls lost once when the channel leaves READY after having been
// READY (the daemon closed the transport: it died or restarted), or when ctx
// ends. It blocks on state changes; no timers.
func (d *daemonConn) watchLost(ctx context.Context, lost func()) {
	seenReady := false
	for {
		s := d.cc.GetState()
		switch {
		case s == connectivity.Ready:
			seenReady = true
		case s == connectivity.Shutdown:
			return
		case seenReady:
			lost()
			return
		}
		if !d.cc.WaitForStateChange(ctx, s) {
			return
		}
	}
}

// watchHealth streams Health.Watch for the whole server and reports each
// serving flag until the stream ends. Only used when the daemon registers
// Health (real heddle does not; heddle-sim can).
func (d *daemonConn) watchHealth(ctx context.Context, report func(serving bool)) {
	stream, err := healthpb.NewHealthClient(d.cc).Watch(ctx, &healthpb.HealthCheckRequest{Service: ""})
	if err != nil {
		return
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			return
		}
		report(resp.GetStatus() == healthpb.HealthCheckResponse_SERVING)
	}
}

// isRefused reports a connect to a socket file that nobody listens on.
func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// isTimeout reports a deadline miss.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
