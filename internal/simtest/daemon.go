package simtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/heddle-ls/heddle-ls/internal/sim"
)

// Timeouts for a daemon to start and to exit after a signal. Generous: the
// machine running tests may be busy; success returns as soon as it happens.
const (
	StartTimeout = 20 * time.Second
	StopTimeout  = 10 * time.Second
)

// Daemon is a running heddle-sim process.
type Daemon struct {
	tb        testing.TB
	cmd       *exec.Cmd
	heddleDir string
	socket    string
	pidfile   string
	stderr    *stderrLog
	exited    chan struct{} // closed once the process has been waited for
	waitErr   error         // set before exited is closed
}

// Start runs heddle-sim --repo repo args... and waits until it reports
// ready: its socket is listening (or, with --fault pidfile-only, its pidfile
// is written). The process is killed when the test ends; its stderr is
// logged if the test failed.
func Start(tb testing.TB, repo string, args ...string) *Daemon {
	tb.Helper()
	d, err := TryStart(tb, repo, args...)
	if err != nil {
		tb.Fatalf("simtest: %v", err)
	}
	return d
}

// TryStart is Start that returns an error when the daemon exits (e.g. it
// refuses to start) or does not become ready in time.
func TryStart(tb testing.TB, repo string, args ...string) (*Daemon, error) {
	tb.Helper()
	cmd := exec.Command(BinaryPath(tb), append([]string{"--repo", repo}, args...)...)
	log := newStderrLog()
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start heddle-sim: %w", err)
	}
	d := &Daemon{tb: tb, cmd: cmd, stderr: log, exited: make(chan struct{})}
	go func() {
		d.waitErr = cmd.Wait()
		close(d.exited)
	}()
	tb.Cleanup(d.cleanup)

	timer := time.NewTimer(StartTimeout)
	defer timer.Stop()
	select {
	case <-log.ready:
	case <-d.exited:
		return nil, fmt.Errorf("heddle-sim exited before ready (%v):\n%s", d.waitErr, log.String())
	case <-timer.C:
		d.kill()
		return nil, fmt.Errorf("heddle-sim not ready after %s:\n%s", StartTimeout, log.String())
	}
	d.pidfile = log.value("heddle-sim: pidfile at ")
	d.heddleDir = filepath.Dir(filepath.Dir(d.pidfile))
	d.socket = log.value("heddle-sim: listening on ")
	if d.socket == "" { // pidfile-only: where the socket would be
		d.socket = sim.SocketPath(d.heddleDir)
	}
	return d, nil
}

// PID is the daemon's process id.
func (d *Daemon) PID() int { return d.cmd.Process.Pid }

// Socket is the socket path the daemon listens on (or would, for pidfile-only).
func (d *Daemon) Socket() string { return d.socket }

// Pidfile is the daemon's pidfile path.
func (d *Daemon) Pidfile() string { return d.pidfile }

// HeddleDir is the heddle dir the daemon serves.
func (d *Daemon) HeddleDir() string { return d.heddleDir }

// Stderr is everything the daemon has written to stderr so far.
func (d *Daemon) Stderr() string { return d.stderr.String() }

// Exited is closed when the process has exited.
func (d *Daemon) Exited() <-chan struct{} { return d.exited }

// Wait blocks until the process exits and returns its exit error (nil for
// exit status 0).
func (d *Daemon) Wait() error {
	<-d.exited
	return d.waitErr
}

// Interrupt sends SIGINT (heddle's clean shutdown: both files removed) and
// waits for the exit; it returns the exit error, nil for status 0.
func (d *Daemon) Interrupt() error {
	d.tb.Helper()
	return d.signalAndWait(syscall.SIGINT)
}

// Terminate sends SIGTERM, which heddle does not handle: the process dies
// and leaves its pidfile and socket behind. It waits for the exit.
func (d *Daemon) Terminate() {
	d.tb.Helper()
	_ = d.signalAndWait(syscall.SIGTERM)
}

// Kill sends SIGKILL and waits for the exit; the files stay behind.
func (d *Daemon) Kill() {
	d.tb.Helper()
	_ = d.signalAndWait(syscall.SIGKILL)
}

// ToggleHealth sends SIGUSR1: with --health, service "" flips between
// SERVING and NOT_SERVING. It does not wait for the flip; watch Health (or
// poll Check with WaitFor) to see it.
func (d *Daemon) ToggleHealth() {
	d.tb.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		d.tb.Fatalf("simtest: SIGUSR1 pid %d: %v", d.PID(), err)
	}
}

func (d *Daemon) signalAndWait(sig syscall.Signal) error {
	d.tb.Helper()
	select {
	case <-d.exited:
		d.tb.Fatalf("simtest: heddle-sim pid %d already exited (%v) before %s:\n%s", d.PID(), d.waitErr, sig, d.Stderr())
	default:
	}
	if err := d.cmd.Process.Signal(sig); err != nil {
		d.tb.Fatalf("simtest: %s pid %d: %v", sig, d.PID(), err)
	}
	timer := time.NewTimer(StopTimeout)
	defer timer.Stop()
	select {
	case <-d.exited:
		return d.waitErr
	case <-timer.C:
		d.kill()
		d.tb.Fatalf("simtest: heddle-sim pid %d did not exit within %s of %s:\n%s", d.PID(), StopTimeout, sig, d.Stderr())
		return nil
	}
}

func (d *Daemon) kill() {
	_ = d.cmd.Process.Kill()
	<-d.exited
}

func (d *Daemon) cleanup() {
	select {
	case <-d.exited:
	default:
		d.kill()
	}
	if d.tb.Failed() {
		d.tb.Logf("heddle-sim pid %d stderr:\n%s", d.PID(), d.Stderr())
	}
}

// ExitCode is the process's exit code, or -1 if a signal ended it.
func ExitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err == nil {
		return 0
	}
	return -1
}

// Dial opens a gRPC client connection to a daemon's socket (h2c, as heddle
// serves it), closed when the test ends. It does not connect until first use.
func Dial(tb testing.TB, socket string) *grpc.ClientConn {
	tb.Helper()
	conn, err := grpc.NewClient("unix://"+socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatalf("simtest: dial %s: %v", socket, err)
	}
	tb.Cleanup(func() { conn.Close() })
	return conn
}

// Conn is Dial on this daemon's socket.
func (d *Daemon) Conn() *grpc.ClientConn {
	d.tb.Helper()
	return Dial(d.tb, d.socket)
}

// stderrLog collects a daemon's stderr and closes ready at its
// "heddle-sim: ready" line.
type stderrLog struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	scanned int // bytes of buf already split into lines
	lines   []string
	ready   chan struct{}
	isReady bool
}

func newStderrLog() *stderrLog { return &stderrLog{ready: make(chan struct{})} }

func (l *stderrLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		rest := l.buf.Bytes()[l.scanned:]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		line := string(rest[:i])
		l.scanned += i + 1
		l.lines = append(l.lines, line)
		if !l.isReady && strings.HasPrefix(line, "heddle-sim: ready") {
			l.isReady = true
			close(l.ready)
		}
	}
	return len(p), nil
}

// value is the rest of the first line starting with prefix, or "".
func (l *stderrLog) value(prefix string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			return v
		}
	}
	return ""
}

func (l *stderrLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// FileExists reports whether path exists (for asserting on daemon files).
func FileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
