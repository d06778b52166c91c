package lsptest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/simtest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// BinaryPath builds cmd/heddle-ls once per test binary (with -race when the
// tests run with it, so a data race in the server fails the test) and
// returns its path. It goes into simtest's build directory, which
// simtest.Main removes at the end.
func BinaryPath(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		dir := filepath.Dir(simtest.BinaryPath(tb))
		root, err := simtest.ModuleRoot()
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "heddle-ls")
		args := []string{"build", "-o", binPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command(goTool(), append(args, "./cmd/heddle-ls")...)
		cmd.Dir = root
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/heddle-ls: %w\n%s", err, stderr.String())
		}
	})
	if buildErr != nil {
		tb.Fatalf("lsptest: %v", buildErr)
	}
	return binPath
}

func goTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// Server is a running heddle-ls process speaking LSP over its stdio.
type Server struct {
	*Client
	tb     testing.TB
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *lockedBuffer
	exited chan struct{}
	state  *os.ProcessState // set before exited is closed
}

// Start runs the real heddle-ls binary (LSP mode, --log-level debug, logs
// kept for failure messages) with extra args. When the test ends the
// process is killed if it still runs, its log is printed if the test
// failed, and a data race it reported fails the test.
func Start(tb testing.TB, args ...string) *Server {
	tb.Helper()
	cmd := exec.Command(BinaryPath(tb), append([]string{"--stdio", "--log-level", "debug"}, args...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{tb: tb, cmd: cmd, stdin: stdin, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("lsptest: start heddle-ls: %v", err)
	}
	s.Client = NewClient(tb, stdout, stdin)
	go func() {
		// Wait only after the read loop has seen EOF on stdout: Wait
		// closes the pipe, and reading from a closed pipe would lose data.
		<-s.Client.Closed()
		_ = cmd.Wait()
		s.state = cmd.ProcessState
		close(s.exited)
	}()
	tb.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = cmd.Process.Kill()
			<-s.exited
		}
		if log := s.Stderr(); strings.Contains(log, "WARNING: DATA RACE") {
			tb.Errorf("heddle-ls reported a data race:\n%s", log)
		} else if tb.Failed() {
			tb.Logf("heddle-ls pid %d log (tail):\n%s", s.PID(), tail(log, 8000))
		}
	})
	return s
}

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Stderr is the server's log so far.
func (s *Server) Stderr() string { return s.stderr.String() }

// CloseStdin closes the server's input, as an editor that goes away does.
func (s *Server) CloseStdin() { _ = s.stdin.Close() }

// Exited is closed once the process has exited and been reaped.
func (s *Server) Exited() <-chan struct{} { return s.exited }

// Wait waits up to d for the process to exit and returns its exit code
// (-1 if a signal ended it); the test fails if it does not exit in time.
func (s *Server) Wait(d time.Duration) int {
	s.tb.Helper()
	select {
	case <-s.exited:
		return s.state.ExitCode()
	case <-time.After(d):
		s.tb.Fatalf("lsptest: heddle-ls pid %d did not exit within %v", s.PID(), d)
		return 0
	}
}

// Alive reports whether the process is still running.
func (s *Server) Alive() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// Signal sends sig to the server.
func (s *Server) Signal(sig syscall.Signal) error { return s.cmd.Process.Signal(sig) }

// Children lists the pids whose parent is pid (from /proc/*/stat).
func Children(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parens.
		s := string(data)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		var state byte
		var ppid, child int
		if _, err := fmt.Sscanf(s[i+1:], " %c %d", &state, &ppid); err != nil || ppid != pid {
			continue
		}
		if _, err := fmt.Sscanf(e.Name(), "%d", &child); err == nil {
			out = append(out, child)
		}
	}
	return out
}

// OpenFDs lists a process's open file descriptors as "fd -> target".
func OpenFDs(pid int) ([]string, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // closed meanwhile
			}
			return nil, err
		}
		out = append(out, e.Name()+" -> "+target)
	}
	return out, nil
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
