// sim_test.go: starting real heddle-sim daemons for the integration tests.

package lsp

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// simBinary is heddle-sim built once by TestMain.
var simBinary string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "hls-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	simBinary = filepath.Join(dir, "heddle-sim")
	build := exec.Command("go", "build", "-o", simBinary, "github.com/heddle-ls/heddle-ls/cmd/heddle-sim")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build heddle-sim:", err)
		return 1
	}
	return m.Run()
}

// newRepoDir returns a fresh, short (socket paths are limited to 108
// bytes), symlink-free directory that is not (yet) a heddle repository.
func newRepoDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hls")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	return real
}

// newRepo returns a heddle repository (with .heddle/objects) and no daemon.
func newRepo(t *testing.T) string {
	t.Helper()
	dir := newRepoDir(t)
	if err := os.MkdirAll(filepath.Join(dir, ".heddle", "objects"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// simProc is a running heddle-sim.
type simProc struct {
	cmd   *exec.Cmd
	ready chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	lines []string
}

// startSim starts heddle-sim on repo. It does not wait for readiness: the
// tests wait for the server's notification, which is the real condition.
func startSim(t *testing.T, repo string, args ...string) *simProc {
	t.Helper()
	cmd := exec.Command(simBinary, append([]string{"--repo", repo, "--log-level", "warn"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start heddle-sim: %v", err)
	}
	p := &simProc{cmd: cmd, ready: make(chan struct{}), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			if strings.Contains(sc.Text(), "heddle-sim: ready") {
				once.Do(func() { close(p.ready) })
			}
		}
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	})
	return p
}

func (p *simProc) pid() int { return p.cmd.Process.Pid }

// waitReady waits until the daemon says it serves.
func (p *simProc) waitReady(t *testing.T) {
	t.Helper()
	select {
	case <-p.ready:
	case <-p.done:
		t.Fatalf("heddle-sim exited before ready: %s", strings.Join(p.lines, "\n"))
	case <-time.After(waitTimeout):
		t.Fatalf("heddle-sim not ready in time")
	}
}

// stop sends sig and waits for the process to exit.
func (p *simProc) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal heddle-sim: %v", err)
	}
	select {
	case <-p.done:
	case <-time.After(waitTimeout):
		t.Fatalf("heddle-sim did not exit on %v", sig)
	}
}
