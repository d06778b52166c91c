package procwatch

import (
	"os/exec"
	"testing"
	"time"
)

func startSleep(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

func TestStart_ReportsExit(t *testing.T) {
	cmd := startSleep(t)
	exited := make(chan struct{})
	w, err := Start(cmd.Process.Pid, func() { close(exited) })
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	select {
	case <-exited:
		t.Fatal("reported an exit while the process runs")
	default:
	}
	cmd.Process.Kill()
	cmd.Wait()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("exit not reported")
	}
}

func TestStop_SilencesTheWatch(t *testing.T) {
	cmd := startSleep(t)
	called := make(chan struct{}, 1)
	w, err := Start(cmd.Process.Pid, func() { called <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	w.Stop()
	w.Stop() // idempotent
	cmd.Process.Kill()
	cmd.Wait()
	// A second watch on another process proves the poller has run since.
	other := startSleep(t)
	done := make(chan struct{})
	w2, err := Start(other.Process.Pid, func() { close(done) })
	if err != nil {
		t.Fatal(err)
	}
	other.Process.Kill()
	other.Wait()
	<-done
	w2.Stop()
	select {
	case <-called:
		t.Fatal("a stopped watch reported the exit")
	default:
	}
}

func TestStart_GoneProcess(t *testing.T) {
	if _, err := Start(2147483646, func() {}); err == nil {
		t.Fatal("watching a pid that does not exist succeeded")
	}
}
