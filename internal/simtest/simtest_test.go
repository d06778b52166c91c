package simtest

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

// Start's promise: once it returns, the socket accepts connections at once
// (right after bind, a connect can still be refused: see daemonlink/policy.go).
func TestStart_ReadyMeansConnectable(t *testing.T) {
	for range 10 {
		d := Start(t, NewRepo(t))
		c, err := net.Dial("unix", d.Socket())
		if err != nil {
			t.Fatalf("connect right after Start: %v", err)
		}
		c.Close()
		if err := d.Interrupt(); err != nil {
			t.Fatalf("Interrupt: %v", err)
		}
	}
}

func TestTryStart_ReportsEarlyExit(t *testing.T) {
	_, err := TryStart(t, NewRepo(t), "--fault", "nonsense")
	if err == nil || !strings.Contains(err.Error(), "exit status 2") || !strings.Contains(err.Error(), "unknown fault") {
		t.Errorf("TryStart with a bad flag = %v; want exit status 2 and the daemon's message", err)
	}
}

func TestRestart_NewPidSameFiles(t *testing.T) {
	repo := NewRepo(t)
	first := Start(t, repo)
	first.Kill()
	second := Start(t, repo)
	if second.PID() == first.PID() || second.Socket() != first.Socket() || second.Pidfile() != first.Pidfile() {
		t.Errorf("restart: pid %d→%d, socket %s→%s", first.PID(), second.PID(), first.Socket(), second.Socket())
	}
}

func TestEventually(t *testing.T) {
	var n atomic.Int32
	if !Eventually(time.Second, func() bool { return n.Add(1) >= 3 }) {
		t.Error("Eventually gave up on a condition that became true")
	}
	start := time.Now()
	if Eventually(50*time.Millisecond, func() bool { return false }) {
		t.Error("Eventually reported a false condition as true")
	}
	if el := time.Since(start); el < 50*time.Millisecond || el > 2*time.Second {
		t.Errorf("Eventually(50ms, false) took %s", el)
	}
}

func TestNewRepo_ShortSocketPath(t *testing.T) {
	root := NewRepo(t)
	if n := len(HeddleDir(root) + "/sockets/grpc.sock"); n >= 100 {
		t.Errorf("socket path is %d bytes; Unix sockets allow 108 including NUL", n)
	}
}
