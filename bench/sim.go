// sim.go: the bench's heddle-sim daemons (internal/simtest's spawner, whose
// "listening" line is stamped on arrival: the moment the socket became
// connectable, observed without inotify), each remembered so none outlives
// the run, and their repositories.

package main

import (
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/heddle-ls/heddle-ls/internal/simtest"
)

// Every daemon the bench started.
var (
	allMu sync.Mutex
	all   []*simtest.Process
)

// startDaemon runs heddle-sim --repo repo args... and waits for its ready line.
func startDaemon(bin, repo string, args ...string) (*simtest.Process, error) {
	d, err := spawnDaemon(bin, repo, args...)
	if err != nil {
		return nil, err
	}
	return d, d.WaitReady(waitTimeout)
}

// spawnDaemon starts heddle-sim without waiting.
func spawnDaemon(bin, repo string, args ...string) (*simtest.Process, error) {
	d, err := simtest.Spawn(bin, repo, append([]string{"--log-level", "warn"}, args...)...)
	if err != nil {
		return nil, err
	}
	remember(d)
	return d, nil
}

// remember adds a heddle-sim process to those stopAll ends.
func remember(d *simtest.Process) {
	allMu.Lock()
	all = append(all, d)
	allMu.Unlock()
}

// stop ends a daemon cleanly (SIGINT: files removed), if it still runs.
func stop(d *simtest.Process) {
	select {
	case <-d.Exited():
	default:
		_ = d.Stop(syscall.SIGINT, waitTimeout) // killed if it does not exit in time
	}
}

// stopAll stops every daemon still running.
func stopAll() {
	allMu.Lock()
	ds := all
	all = nil
	allMu.Unlock()
	for _, d := range ds {
		stop(d)
	}
}

// makeRepo makes base/name a heddle repository with its sockets dir (so a
// watcher can sit on sockets/ from the start) and returns its path.
func makeRepo(base, name string) (string, error) {
	root := filepath.Join(base, name)
	if err := os.MkdirAll(filepath.Join(root, ".heddle", "objects"), 0o755); err != nil {
		return "", err
	}
	if err := os.Mkdir(filepath.Join(root, ".heddle", "sockets"), 0o700); err != nil {
		return "", err
	}
	return root, nil
}

func heddleDirOf(root string) string { return filepath.Join(root, ".heddle") }
func socketOf(root string) string    { return filepath.Join(root, ".heddle", "sockets", "grpc.sock") }
func pidfileOf(root string) string   { return filepath.Join(root, ".heddle", "sockets", "grpc.pid") }
