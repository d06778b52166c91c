package simtest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// MountDaemon is a running `heddle-sim mountd`: a stand-in for heddled
// whose endpoint, socket and mounts.json are real files for a live process.
type MountDaemon struct {
	proc     *Daemon // the process (its Interrupt, Kill, Wait…)
	stateDir string
	record   string
	stdin    io.WriteCloser
	replies  chan string // stdout lines: answers to Mount and Unmount
}

// StartMountDaemon runs heddle-sim mountd --repo root --protocol protocol
// args... and waits until its files are written. It is killed when the test
// ends.
func StartMountDaemon(tb testing.TB, root string, protocol int, args ...string) *MountDaemon {
	tb.Helper()
	record := filepath.Join(tb.TempDir(), "connections")
	cmd := mountdCmd(BinaryPath(tb), root, protocol, append([]string{"--record", record}, args...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatalf("simtest: %v", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatalf("simtest: %v", err)
	}
	p, err := start(cmd)
	if err != nil {
		tb.Fatalf("simtest: %v", err)
	}
	m := &MountDaemon{proc: &Daemon{Process: p, tb: tb}, record: record, stdin: stdin, replies: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			m.replies <- sc.Text()
		}
	}()
	tb.Cleanup(m.proc.cleanup)
	if err := p.WaitReady(StartTimeout); err != nil {
		tb.Fatalf("simtest: mountd: %v", err)
	}
	m.stateDir = filepath.Dir(p.stderr.value("heddle-sim: endpoint at "))
	return m
}

// PID is the daemon's process id, the one its endpoint names.
func (m *MountDaemon) PID() int { return m.proc.PID() }

// StateDir holds the daemon's files.
func (m *MountDaemon) StateDir() string { return m.stateDir }

// Endpoint, Socket and MountsFile are the daemon's files.
func (m *MountDaemon) Endpoint() string   { return filepath.Join(m.stateDir, "heddled.endpoint.json") }
func (m *MountDaemon) Socket() string     { return filepath.Join(m.stateDir, "heddled.sock") }
func (m *MountDaemon) MountsFile() string { return filepath.Join(m.stateDir, "mounts.json") }

// Stderr is everything the daemon has written to stderr so far.
func (m *MountDaemon) Stderr() string { return m.proc.Stderr() }

// Exited is closed when the process has exited.
func (m *MountDaemon) Exited() <-chan struct{} { return m.proc.Exited() }

// Mount adds a mount for thread and returns the number of mounts, once
// mounts.json has been rewritten.
func (m *MountDaemon) Mount(thread string) int {
	m.proc.tb.Helper()
	return m.command("mount " + thread)
}

// Unmount removes thread's mount ("" = the newest) and returns the number
// left, once mounts.json has been rewritten.
func (m *MountDaemon) Unmount(thread string) int {
	m.proc.tb.Helper()
	return m.command(strings.TrimSpace("unmount " + thread))
}

func (m *MountDaemon) command(line string) int {
	tb := m.proc.tb
	tb.Helper()
	if _, err := fmt.Fprintln(m.stdin, line); err != nil {
		tb.Fatalf("simtest: send %q to heddle-sim mountd: %v", line, err)
	}
	timer := time.NewTimer(StopTimeout)
	defer timer.Stop()
	select {
	case reply := <-m.replies:
		n, err := strconv.Atoi(strings.TrimPrefix(reply, "mounts "))
		if err != nil {
			tb.Fatalf("simtest: heddle-sim mountd answered %q to %q", reply, line)
		}
		return n
	case <-m.proc.Exited():
		tb.Fatalf("simtest: heddle-sim mountd exited (%v) before answering %q:\n%s", m.proc.Wait(), line, m.Stderr())
	case <-timer.C:
		tb.Fatalf("simtest: heddle-sim mountd did not answer %q within %s:\n%s", line, StopTimeout, m.Stderr())
	}
	return 0
}

// Connections is the number of connections the daemon has accepted. After
// Interrupt it is exact: the daemon records its backlog before it exits.
func (m *MountDaemon) Connections() int {
	m.proc.tb.Helper()
	data, err := os.ReadFile(m.record)
	if err != nil {
		m.proc.tb.Fatalf("simtest: read the connection record: %v", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		m.proc.tb.Fatalf("simtest: connection record %q: %v", data, err)
	}
	return n
}

// Interrupt sends SIGINT (a clean exit: the files are removed) and waits.
func (m *MountDaemon) Interrupt() error {
	m.proc.tb.Helper()
	return m.proc.Interrupt()
}

// Kill sends SIGKILL and waits; the files stay behind.
func (m *MountDaemon) Kill() {
	m.proc.tb.Helper()
	m.proc.Kill()
}
