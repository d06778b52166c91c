package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/simtest"
)

// watch --exit-with-pid ends when that process dies by SIGKILL, with its
// output going to a file: no reader can go away, only the pidfd tells.
func TestWatch_ExitWithPIDEndsWhenTheProcessIsKilled(t *testing.T) {
	repo := newRepo(t)
	shell := exec.Command("sleep", "600")
	if err := shell.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shell.Process.Kill(); _ = shell.Wait() })

	out, err := os.Create(filepath.Join(t.TempDir(), "watch.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(lsBinary, "watch", "--json", "--exit-with-pid", strconv.Itoa(shell.Process.Pid), repo)
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	// The first line proves the watch is running before the kill.
	var b []byte
	first := simtest.Eventually(waitTimeout, func() bool {
		b, _ = os.ReadFile(out.Name())
		select {
		case err := <-done:
			t.Fatalf("watch ended before its first line: %v, output %q", err, b)
		default:
		}
		return strings.Contains(string(b), `"state":"stopped"`)
	})
	if !first {
		t.Fatalf("no first line; output %q", b)
	}
	select {
	case err := <-done:
		t.Fatalf("watch ended while the process runs: %v", err)
	default:
	}

	_ = shell.Process.Kill()
	_ = shell.Wait()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("watch after its process died: %v, want exit 0", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("watch kept running after its process was killed")
	}
}

// A process that does not exist, or a value that is no process id, is a
// usage error (exit 2) before anything is printed.
func TestWatch_ExitWithPIDUsageErrors(t *testing.T) {
	repo := newRepo(t)
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		t.Fatal(err)
	}
	// pid_max itself is never allocated: pids run from 1 to pid_max-1.
	never := strings.TrimSpace(string(b))
	for _, tc := range []struct{ arg, want string }{
		{never, "no such process"},
		{"0", "not a process id"},
		{"-7", "not a process id"},
		{"shell", "not a process id"},
	} {
		out, errOut, code := runLS(t, "", "watch", "--exit-with-pid", tc.arg, repo)
		if code != exitUsage || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("--exit-with-pid %s: code %d, stdout %q, stderr %q; want %d, nothing, %q",
				tc.arg, code, out, errOut, exitUsage, tc.want)
		}
	}
}
