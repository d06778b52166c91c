package simtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Sleeper runs `sleep`: a live process that is not a daemon, for the pid a
// file names to be reused. With name set it runs from a copy of the binary
// of that name (so "heddle" makes it look like heddle); with uid ≥ 0 it runs
// as that user (the caller must be root). It is killed when the test ends.
func Sleeper(tb testing.TB, name string, uid int) *exec.Cmd {
	tb.Helper()
	bin, err := exec.LookPath("sleep")
	if err != nil {
		tb.Skip("no sleep binary")
	}
	if name != "" {
		data, err := os.ReadFile(bin)
		if err != nil {
			tb.Fatal(err)
		}
		// Not tb.TempDir(): its parent is 0700, and another user may
		// have to run the copy.
		dir, err := os.MkdirTemp("", "sleeper")
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { os.RemoveAll(dir) })
		if err := os.Chmod(dir, 0o755); err != nil {
			tb.Fatal(err)
		}
		bin = filepath.Join(dir, name)
		if err := os.WriteFile(bin, data, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "1000")
	if uid >= 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("simtest: start sleep: %v", err)
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}
