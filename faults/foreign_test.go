package faults

// Helper processes: the test binary, copied to a path whose name contains
// "heddle" (so the identity check accepts it as a daemon) and readable by
// every user (so it can run under another uid), re-executed with helperEnv
// set. Each helper reports what it observes as lines on stdout and exits
// when its stdin closes.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
	"github.com/heddle-ls/heddle-ls/internal/sim"
	"github.com/heddle-ls/heddle-ls/internal/simtest"
)

var (
	helperOnce sync.Once
	helperPath string
	helperErr  error
)

// helperBinary copies the test binary into simtest's build directory
// (removed by simtest.Main) as heddle-faults-helper, world-executable.
func helperBinary(t *testing.T) string {
	t.Helper()
	helperOnce.Do(func() {
		dir := filepath.Dir(simtest.BinaryPath(t))
		// Traversable by other users (for the foreign-uid listener).
		if helperErr = os.Chmod(dir, 0o711); helperErr != nil {
			return
		}
		self, err := os.Executable()
		if err != nil {
			helperErr = err
			return
		}
		in, err := os.Open(self)
		if err != nil {
			helperErr = err
			return
		}
		defer in.Close()
		helperPath = filepath.Join(dir, "heddle-faults-helper")
		out, err := os.OpenFile(helperPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
		if err != nil {
			helperErr = err
			return
		}
		if _, err := io.Copy(out, in); err != nil {
			helperErr = err
		}
		if err := out.Close(); err != nil && helperErr == nil {
			helperErr = err
		}
	})
	if helperErr != nil {
		t.Fatalf("helper binary: %v", helperErr)
	}
	return helperPath
}

// helper is a running helper process.
type helper struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	mu    sync.Mutex
	lines []string
	wake  chan struct{}
	done  chan struct{}
}

// startHelper runs the helper in mode with env, optionally under another
// uid (via setpriv) when uid > 0.
func startHelper(t *testing.T, mode string, uid int, env ...string) *helper {
	t.Helper()
	bin := helperBinary(t)
	var cmd *exec.Cmd
	if uid > 0 {
		cmd = exec.Command("setpriv", fmt.Sprintf("--reuid=%d", uid), fmt.Sprintf("--regid=%d", uid), "--clear-groups", bin)
	} else {
		cmd = exec.Command(bin)
	}
	cmd.Env = append(append(os.Environ(), helperEnv+"="+mode), env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start helper %s: %v", mode, err)
	}
	h := &helper{t: t, cmd: cmd, stdin: stdin, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			h.mu.Lock()
			h.lines = append(h.lines, sc.Text())
			h.mu.Unlock()
			select {
			case h.wake <- struct{}{}:
			default:
			}
		}
		_ = cmd.Wait()
		close(h.done)
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-h.done
	})
	return h
}

func (h *helper) snapshot() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.lines...)
}

// waitLine waits up to d for a line with prefix and returns it.
func (h *helper) waitLine(prefix string, d time.Duration) string {
	h.t.Helper()
	if l, ok := h.waitLineOK(prefix, d); ok {
		return l
	}
	h.t.Fatalf("helper: no line %q within %v; got %q", prefix, d, h.snapshot())
	return ""
}

func (h *helper) waitLineOK(prefix string, d time.Duration) (string, bool) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		for _, l := range h.snapshot() {
			if strings.HasPrefix(l, prefix) {
				return l, true
			}
		}
		select {
		case <-h.wake:
		case <-h.done:
			for _, l := range h.snapshot() {
				if strings.HasPrefix(l, prefix) {
					return l, true
				}
			}
			return "", false
		case <-deadline.C:
			return "", false
		}
	}
}

// count is how many lines so far start with prefix.
func (h *helper) count(prefix string) int {
	n := 0
	for _, l := range h.snapshot() {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// kill SIGKILLs the helper and waits for it.
func (h *helper) kill() {
	_ = h.cmd.Process.Kill()
	<-h.done
}

func (h *helper) pid() int { return h.cmd.Process.Pid }

// foreignListenerMain listens on $HEDDLE_FAULTS_SOCKET and reports, on
// stdout: "listening uid=N", then "accepted" per connection and "bytes N"
// when that connection ends (N bytes received). It exits when stdin closes.
func foreignListenerMain() int {
	path := os.Getenv("HEDDLE_FAULTS_SOCKET")
	ln, err := net.Listen("unix", path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "foreign listener:", err)
		return 1
	}
	_ = os.Chmod(path, 0o777)
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf(format+"\n", args...)
	}
	say("listening uid=%d", os.Geteuid())
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			say("accepted")
			go func() {
				defer c.Close()
				n, _ := io.Copy(io.Discard, c)
				say("bytes %d", n)
			}()
		}
	}()
	_, _ = io.Copy(io.Discard, os.Stdin)
	ln.Close()
	return 0
}

// daemonMain is a purpose-built heddle daemon: like heddle-sim (pidfile,
// then socket, heddle.v1 over seeded data, --slow as $HEDDLE_FAULTS_SLOW)
// in the heddle dir $HEDDLE_FAULTS_DIR, that also reports every heddle.v1
// call it serves: "start <method> limit=<n>" when it arrives and
// "end <method> limit=<n> <code>" when it ends — Canceled when the client
// cancelled it. It prints "ready pid=N" once it serves.
func daemonMain() int {
	dir := os.Getenv("HEDDLE_FAULTS_DIR")
	slow, _ := time.ParseDuration(os.Getenv("HEDDLE_FAULTS_SLOW"))
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf(format+"\n", args...)
	}
	if err := sim.MakeSocketsDir(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	pidPath, sock := sim.PidfilePath(dir), sim.SocketPath(dir)
	if err := sim.AcquirePidfile(pidPath, sock, os.Getpid(), time.Now()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := sim.ListenUnix(sock)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := sim.New(sim.Options{Seed: 1, Ops: 120, Slow: slow})
	report := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if !strings.HasPrefix(info.FullMethod, "/heddle.v1.") {
			return h(ctx, req)
		}
		limit := -1
		if q, ok := req.(*heddlev1.QueryOperationsRequest); ok {
			limit = int(q.GetLimit())
		}
		method := info.FullMethod[strings.LastIndexByte(info.FullMethod, '/')+1:]
		say("start %s limit=%d", method, limit)
		resp, err := h(ctx, req)
		code := status.Code(err)
		if ctx.Err() == context.Canceled {
			code = codes.Canceled
		}
		say("end %s limit=%d %s", method, limit, code)
		return resp, err
	}
	g := grpc.NewServer(append([]grpc.ServerOption{grpc.ChainUnaryInterceptor(report)}, srv.ServerOptions()...)...)
	srv.Register(g)
	go func() { _ = g.Serve(ln) }()
	say("ready pid=%d", os.Getpid())
	_, _ = io.Copy(io.Discard, os.Stdin)
	g.Stop()
	_ = sim.RemoveFiles(sock, pidPath)
	return 0
}
