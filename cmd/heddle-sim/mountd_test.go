package main

import (
	"encoding/json"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/simtest"
)

func TestMountd_UsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--repo", t.TempDir(), "--protocol", "4"},
		{"--repo", t.TempDir(), "--mounts", "-1"},
		{"--repo", t.TempDir(), "extra"},
		{"--nonsense"},
	} {
		var stderr strings.Builder
		if code := runMountd(args, strings.NewReader(""), io.Discard, &stderr); code != exitUsage {
			t.Errorf("mountd %q: exit %d, want %d (%s)", args, code, exitUsage, stderr.String())
		}
	}
}

// A second mount daemon for the same repository refuses while the first
// lives, as heddled's endpoint guards it.
func TestMountd_RefusesWhileOneRuns(t *testing.T) {
	root := simtest.NewRepo(t)
	simtest.StartMountDaemon(t, root, 3)
	var stderr strings.Builder
	if code := runMountd([]string{"--repo", root}, strings.NewReader(""), io.Discard, &stderr); code != exitFailure ||
		!strings.Contains(stderr.String(), "already running") {
		t.Fatalf("second mountd: exit %d, %q; want %d and already running", code, stderr.String(), exitFailure)
	}
}

// SIGUSR1 adds a mount and SIGUSR2 removes one, for scripts and the demo.
func TestMountd_SignalsChangeMounts(t *testing.T) {
	m := simtest.StartMountDaemon(t, simtest.NewRepo(t), 2)
	mounts := func() int {
		data, err := os.ReadFile(m.MountsFile())
		if err != nil {
			return -1
		}
		var reg struct{ Mounts []json.RawMessage }
		if json.Unmarshal(data, &reg) != nil {
			return -1
		}
		return len(reg.Mounts)
	}
	for _, step := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGUSR1, 1}, {syscall.SIGUSR1, 2}, {syscall.SIGUSR2, 1}} {
		if err := syscall.Kill(m.PID(), step.sig); err != nil {
			t.Fatal(err)
		}
		simtest.WaitFor(t, 10*time.Second, func() bool { return mounts() == step.want }, "mounts.json to list the mounts")
	}
}
