// sim.go: heddle-sim daemons as separate processes, with their stderr
// lines stamped on arrival ("listening on" is the moment the socket became
// connectable, observed without inotify).

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

type daemon struct {
	cmd       *exec.Cmd
	Spawned   time.Time // just before fork/exec
	Listening time.Time // "heddle-sim: listening on" read
	ready     chan struct{}
	exited    chan struct{}
	mu        sync.Mutex
	log       strings.Builder
}

// startDaemon runs heddle-sim --repo repo args... and waits for its ready line.
func startDaemon(bin, repo string, args ...string) (*daemon, error) {
	d, err := spawnDaemon(bin, repo, args...)
	if err != nil {
		return nil, err
	}
	return d, d.waitReady()
}

// spawnDaemon starts heddle-sim without waiting.
func spawnDaemon(bin, repo string, args ...string) (*daemon, error) {
	cmd := exec.Command(bin, append([]string{"--repo", repo, "--log-level", "warn"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	d := &daemon{cmd: cmd, ready: make(chan struct{}), exited: make(chan struct{})}
	d.Spawned = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start heddle-sim: %w", err)
	}
	allMu.Lock()
	all = append(all, d)
	allMu.Unlock()
	go func() {
		sc := bufio.NewScanner(stderr)
		readyClosed := false
		for sc.Scan() {
			at := time.Now()
			line := sc.Text()
			d.mu.Lock()
			if strings.HasPrefix(line, "heddle-sim: listening on ") {
				d.Listening = at
			}
			d.log.WriteString(line + "\n")
			d.mu.Unlock()
			if !readyClosed && strings.HasPrefix(line, "heddle-sim: ready") {
				readyClosed = true
				close(d.ready)
			}
		}
		_ = cmd.Wait()
		close(d.exited)
	}()
	return d, nil
}

// Every daemon the bench started, so none outlives it.
var (
	allMu sync.Mutex
	all   []*daemon
)

// stopAll ends every daemon still running: SIGINT (files removed), then
// SIGKILL for any that does not exit in time.
func stopAll() {
	allMu.Lock()
	ds := all
	all = nil
	allMu.Unlock()
	for _, d := range ds {
		select {
		case <-d.exited:
		default:
			_ = d.stop()
		}
	}
}

func (d *daemon) waitReady() error {
	t := time.NewTimer(waitTimeout)
	defer t.Stop()
	select {
	case <-d.ready:
		return nil
	case <-d.exited:
		return fmt.Errorf("heddle-sim exited before ready:\n%s", d.stderr())
	case <-t.C:
		d.kill()
		return fmt.Errorf("heddle-sim not ready within %v:\n%s", waitTimeout, d.stderr())
	}
}

func (d *daemon) PID() int { return d.cmd.Process.Pid }

func (d *daemon) listeningAt() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.Listening
}

func (d *daemon) stderr() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.log.String()
}

// signal sends sig and returns the time it was sent.
func (d *daemon) signal(sig syscall.Signal) (time.Time, error) {
	at := time.Now()
	return at, d.cmd.Process.Signal(sig)
}

// wait waits for the process to exit (bounded).
func (d *daemon) wait() error {
	t := time.NewTimer(waitTimeout)
	defer t.Stop()
	select {
	case <-d.exited:
		return nil
	case <-t.C:
		d.kill()
		return fmt.Errorf("heddle-sim pid %d did not exit within %v", d.PID(), waitTimeout)
	}
}

// stop ends the daemon cleanly (SIGINT) and waits.
func (d *daemon) stop() error {
	select {
	case <-d.exited:
		return nil
	default:
	}
	if _, err := d.signal(syscall.SIGINT); err != nil {
		return err
	}
	return d.wait()
}

func (d *daemon) kill() {
	_ = d.cmd.Process.Kill()
	<-d.exited
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

// fileURI is the file:// URI of an absolute path (bench paths need no escaping).
func fileURI(path string) string { return "file://" + path }
