// fig_mount.go: figure 12 — the mount daemon (heddled), which heddle-ls
// knows from its files alone, changing and the change reaching an editor as
// heddle/status: heddle-sim's stand-in starting (its endpoint renamed into
// place), adding a mount (mounts.json renamed), and dying by SIGKILL (its
// files left behind: only the pid's exit tells), each against the kernel's
// own report of the same event in the same run. Not one connection to a
// mount daemon is allowed, and each one's record of accepted connections is
// read to prove it.

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/heddle-ls/heddle-ls/internal/lsptest"
	"github.com/heddle-ls/heddle-ls/internal/simtest"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
	"github.com/heddle-ls/heddle-ls/mountd"
)

func figMount(e *env) error {
	root, err := makeRepo(e.base, "mount")
	if err != nil {
		return err
	}
	state := filepath.Join(root, ".heddle", "state")
	if err := os.MkdirAll(state, 0o755); err != nil {
		return err
	}
	raw, err := newRawWatch(state)
	if err != nil {
		return err
	}
	defer raw.close()
	c, uri, err := openFolder(e, "mount", root, "stopped")
	if err != nil {
		return err
	}
	defer c.Close(waitTimeout)

	n := max(10, e.cfg.liveN/3)
	var startFloor, start, startAfterRename, mountFloor, mount, killFloor, kill samples
	connections := 0
	for i := range n {
		record := filepath.Join(e.base, "mount-connections-"+strconv.Itoa(i))

		// Start: spawn → the endpoint renamed into place → mount running.
		from, rfrom := c.Len(), raw.count()
		t0 := time.Now()
		p, err := simtest.SpawnMountDaemon(e.sim, root, 3, "--record", record)
		if err != nil {
			return err
		}
		remember(p)
		if err := p.WaitReady(waitTimeout); err != nil {
			return err
		}
		running, err := waitMount(c, from, uri, func(m *protocol.MountStatus) bool {
			return m.State == mountd.StateRunning && m.PID == p.PID() && m.Mounts == 0
		})
		if err != nil {
			return fmt.Errorf("cycle %d, start: %w", i, err)
		}
		ev, err := raw.wait(rfrom, mountd.EndpointFile, unix.IN_MOVED_TO, waitTimeout)
		if err != nil {
			return fmt.Errorf("cycle %d, start: %w", i, err)
		}
		startFloor, start = append(startFloor, ev.At.Sub(t0)), append(start, running.Sub(t0))
		startAfterRename = append(startAfterRename, running.Sub(ev.At))

		// A mount added (SIGUSR1): mounts.json renamed → one mount.
		from, rfrom = c.Len(), raw.count()
		t0, err = p.Signal(syscall.SIGUSR1)
		if err != nil {
			return err
		}
		mounted, err := waitMount(c, from, uri, func(m *protocol.MountStatus) bool {
			return m.State == mountd.StateRunning && m.Mounts == 1
		})
		if err != nil {
			return fmt.Errorf("cycle %d, mount: %w", i, err)
		}
		ev, err = raw.wait(rfrom, mountd.MountsFile, unix.IN_MOVED_TO, waitTimeout)
		if err != nil {
			return fmt.Errorf("cycle %d, mount: %w", i, err)
		}
		mountFloor, mount = append(mountFloor, ev.At.Sub(t0)), append(mount, mounted.Sub(t0))

		// SIGKILL: no file changes; the pid's exit (a pidfd) makes it stale.
		from = c.Len()
		reaped := make(chan time.Time, 1)
		go func() { <-p.Exited(); reaped <- time.Now() }()
		t0, err = p.Signal(syscall.SIGKILL)
		if err != nil {
			return err
		}
		stale, err := waitMount(c, from, uri, func(m *protocol.MountStatus) bool {
			return m.State == mountd.StateStale && m.Reason == mountd.ReasonPidDead
		})
		if err != nil {
			return fmt.Errorf("cycle %d, kill: %w", i, err)
		}
		killFloor, kill = append(killFloor, (<-reaped).Sub(t0)), append(kill, stale.Sub(t0))

		got, err := os.ReadFile(record)
		if err != nil {
			return fmt.Errorf("cycle %d: the mount daemon's connection record: %w", i, err)
		}
		k, err := strconv.Atoi(strings.TrimSpace(string(got)))
		if err != nil {
			return fmt.Errorf("cycle %d: connection record %q: %w", i, got, err)
		}
		connections += k
	}
	e.series["12-mount-start"], e.series["12-mount-added"], e.series["12-mount-killed"] = start, mount, kill
	e.add(
		timed("12", "floor: mount daemon spawned → its endpoint renamed into place (IN_MOVED_TO at a bare inotify thread)", startFloor),
		timed("12", "mount daemon spawned → heddle/status mount running at the client", start).against("endpoint rename", startFloor),
		timed("12", "endpoint renamed into place → heddle/status mount running at the client", startAfterRename).
			target("≤ 5 ms p50", startAfterRename.median() <= 5*time.Millisecond),
		timed("12", "floor: SIGUSR1 sent → mounts.json renamed into place (IN_MOVED_TO at a bare inotify thread)", mountFloor),
		timed("12", "mount added (SIGUSR1 sent) → heddle/status with 1 mount at the client", mount).
			against("mounts.json rename", mountFloor).target("≤ 5 ms p50 over the floor", mount.median()-mountFloor.median() <= 5*time.Millisecond),
		timed("12", "floor: SIGKILL sent → the bench (its parent) reaps it", killFloor),
		timed("12", "SIGKILL sent → heddle/status mount stale/pid-dead at the client (files left behind; a pidfd)", kill).
			against("reaped", killFloor).target("≤ 5 ms p50 over the floor", kill.median()-killFloor.median() <= 5*time.Millisecond),
		row{Figure: "12", What: fmt.Sprintf("connections accepted by the %d mount daemons (each one's own record)", n),
			Value: strconv.Itoa(connections), Target: "0"}.met(connections == 0),
	)
	return nil
}

// waitMount waits for a heddle/status of folder, sent after message from,
// whose mount matches, and returns when its last byte was read.
func waitMount(c *lsptest.Process, from int, folder string, match func(*protocol.MountStatus) bool) (time.Time, error) {
	_, at, err := c.WaitStatus(from, folder, waitTimeout, func(st protocol.StatusParams) bool {
		return st.Mount != nil && match(st.Mount)
	})
	return at, err
}
