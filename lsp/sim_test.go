// sim_test.go: the integration tests' daemons — a thin adapter over
// internal/simtest, which builds and runs real heddle-sim processes.

package lsp

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/heddle-ls/heddle-ls/internal/simtest"
)

func TestMain(m *testing.M) { simtest.Main(m) }

// newRepoDir returns a fresh, short (socket paths are limited to 108
// bytes), symlink-free directory that is not a heddle repository.
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
func newRepo(t *testing.T) string { return simtest.NewRepo(t) }

// simProc is a running heddle-sim, ready (listening) once startSim returns.
type simProc struct{ *simtest.Daemon }

func startSim(t *testing.T, repo string, args ...string) *simProc {
	t.Helper()
	return &simProc{simtest.Start(t, repo, append([]string{"--log-level", "warn"}, args...)...)}
}

func (p *simProc) pid() int { return p.PID() }

// waitReady is a no-op kept for readability: simtest.Start already waited.
func (p *simProc) waitReady(*testing.T) {}

// stop ends the daemon the way sig does and waits for the exit: SIGINT
// removes its files, SIGKILL leaves them.
func (p *simProc) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	switch sig {
	case syscall.SIGINT:
		if err := p.Interrupt(); err != nil {
			t.Fatalf("interrupt heddle-sim: %v", err)
		}
	case syscall.SIGKILL:
		p.Kill()
	default:
		t.Fatalf("stop: unsupported signal %v", sig)
	}
}
