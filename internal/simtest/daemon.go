package simtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

// Process is a heddle-sim process. Its methods return errors and never
// fail a test, so the bench uses it as the tests do (through Daemon).
type Process struct {
	cmd     *exec.Cmd
	stderr  *stderrLog
	exited  chan struct{} // closed once the process has been waited for
	waitErr error         // set before exited is closed
}

// Spawn runs bin (heddle-sim) --repo repo args... and returns at once; see
// WaitReady.
func Spawn(bin, repo string, args ...string) (*Process, error) {
	return start(exec.Command(bin, append([]string{"--repo", repo}, args...)...))
}

// SpawnMountDaemon runs bin (heddle-sim) mountd --repo root --protocol
// protocol args... and returns at once; WaitReady waits for its files.
// (StartMountDaemon is the test's way, with stdin commands and cleanup.)
func SpawnMountDaemon(bin, root string, protocol int, args ...string) (*Process, error) {
	return start(mountdCmd(bin, root, protocol, args...))
}

// mountdCmd is the command line of heddle-sim mountd, shared by
// SpawnMountDaemon and StartMountDaemon.
func mountdCmd(bin, root string, protocol int, args ...string) *exec.Cmd {
	return exec.Command(bin, append([]string{"mountd", "--repo", root, "--protocol", strconv.Itoa(protocol)}, args...)...)
}

// start runs cmd, a heddle-sim, with its stderr collected and watched.
func start(cmd *exec.Cmd) (*Process, error) {
	p := &Process{cmd: cmd, stderr: newStderrLog(), exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Args[0], err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// WaitReady waits up to d until the daemon reports ready: its socket is
// listening (or, with --fault pidfile-only, its pidfile is written). A
// daemon not ready in time is killed.
func (p *Process) WaitReady(d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-p.stderr.ready:
		return nil
	case <-p.exited:
		return fmt.Errorf("heddle-sim exited before ready (%v):\n%s", p.waitErr, p.Stderr())
	case <-timer.C:
		p.Kill()
		return fmt.Errorf("heddle-sim not ready after %s:\n%s", d, p.Stderr())
	}
}

// PID is the daemon's process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// ListeningAt is when the daemon's "listening on" line was read: the moment
// its socket became connectable, observed without inotify. Zero before.
func (p *Process) ListeningAt() time.Time { return p.stderr.listening() }

// Pidfile is the daemon's pidfile path, once ready.
func (p *Process) Pidfile() string { return p.stderr.value("heddle-sim: pidfile at ") }

// HeddleDir is the heddle dir the daemon serves, once ready.
func (p *Process) HeddleDir() string { return filepath.Dir(filepath.Dir(p.Pidfile())) }

// Socket is the socket path the daemon listens on (or would, for
// pidfile-only), once ready.
func (p *Process) Socket() string {
	if s := p.stderr.value("heddle-sim: listening on "); s != "" {
		return s
	}
	return sim.SocketPath(p.HeddleDir())
}

// Stderr is everything the daemon has written to stderr so far.
func (p *Process) Stderr() string { return p.stderr.String() }

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Wait blocks until the process exits and returns its exit error (nil for
// exit status 0; see ExitCode).
func (p *Process) Wait() error {
	<-p.exited
	return p.waitErr
}

// Signal sends sig and returns when it was sent.
func (p *Process) Signal(sig syscall.Signal) (time.Time, error) {
	at := time.Now()
	if err := p.cmd.Process.Signal(sig); err != nil {
		return at, fmt.Errorf("%s pid %d: %w", sig, p.PID(), err)
	}
	return at, nil
}

// WaitExit waits up to d for the process to exit; one still running then
// is killed.
func (p *Process) WaitExit(d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-p.exited:
		return nil
	case <-timer.C:
		p.Kill()
		return fmt.Errorf("heddle-sim pid %d did not exit within %s:\n%s", p.PID(), d, p.Stderr())
	}
}

// Stop sends sig to the running daemon and waits up to d for it to exit
// (see WaitExit): SIGINT is heddle's clean shutdown (both files removed);
// SIGTERM, which heddle does not handle, and SIGKILL leave them behind.
func (p *Process) Stop(sig syscall.Signal, d time.Duration) error {
	select {
	case <-p.exited:
		return fmt.Errorf("heddle-sim pid %d already exited (%v) before %s:\n%s", p.PID(), p.waitErr, sig, p.Stderr())
	default:
	}
	if _, err := p.Signal(sig); err != nil {
		return err
	}
	return p.WaitExit(d)
}

// Kill ends the process with SIGKILL, if it still runs, and waits for it.
func (p *Process) Kill() {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// Daemon is a heddle-sim process for tests: it is killed when the test
// ends, and what goes wrong fails the test.
type Daemon struct {
	*Process
	tb testing.TB
}

// Start runs heddle-sim --repo repo args... and waits until it reports
// ready (see Process.WaitReady). The process is killed when the test ends;
// its stderr is logged if the test failed.
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
	p, err := Spawn(BinaryPath(tb), repo, args...)
	if err != nil {
		return nil, err
	}
	d := &Daemon{Process: p, tb: tb}
	tb.Cleanup(d.cleanup)
	if err := p.WaitReady(StartTimeout); err != nil {
		return nil, err
	}
	return d, nil
}

// Interrupt sends SIGINT (heddle's clean shutdown: both files removed) and
// waits for the exit; it returns the exit error, nil for status 0.
func (d *Daemon) Interrupt() error {
	d.tb.Helper()
	d.stop(syscall.SIGINT)
	return d.Process.Wait()
}

// Terminate sends SIGTERM, which heddle does not handle: the process dies
// and leaves its pidfile and socket behind. It waits for the exit.
func (d *Daemon) Terminate() { d.tb.Helper(); d.stop(syscall.SIGTERM) }

// Kill sends SIGKILL and waits for the exit; the files stay behind.
func (d *Daemon) Kill() { d.tb.Helper(); d.stop(syscall.SIGKILL) }

func (d *Daemon) stop(sig syscall.Signal) {
	d.tb.Helper()
	if err := d.Stop(sig, StopTimeout); err != nil {
		d.tb.Fatalf("simtest: %v", err)
	}
}

// ToggleHealth sends SIGUSR1: with --health, service "" flips between
// SERVING and NOT_SERVING. It does not wait for the flip; watch Health (or
// poll Check with WaitFor) to see it.
func (d *Daemon) ToggleHealth() {
	d.tb.Helper()
	if _, err := d.Signal(syscall.SIGUSR1); err != nil {
		d.tb.Fatalf("simtest: %v", err)
	}
}

func (d *Daemon) cleanup() {
	d.Process.Kill()
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
	return Dial(d.tb, d.Socket())
}

// stderrLog collects a daemon's stderr, split into lines as they arrive:
// it closes ready at the "heddle-sim: ready" line and stamps the
// "listening on" one (exec hands the bytes over as it reads them).
type stderrLog struct {
	mu          sync.Mutex
	buf         bytes.Buffer
	scanned     int // bytes of buf already split into lines
	lines       []string
	ready       chan struct{}
	isReady     bool
	listeningAt time.Time
}

func newStderrLog() *stderrLog { return &stderrLog{ready: make(chan struct{})} }

func (l *stderrLog) Write(p []byte) (int, error) {
	at := time.Now()
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
		if l.listeningAt.IsZero() && strings.HasPrefix(line, "heddle-sim: listening on ") {
			l.listeningAt = at
		}
		if !l.isReady && strings.HasPrefix(line, "heddle-sim: ready") {
			l.isReady = true
			close(l.ready)
		}
	}
	return len(p), nil
}

func (l *stderrLog) listening() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.listeningAt
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
