// fig_oplog.go: figure 9 — an oplog publication (a rename onto
// oplog/oplog.manifest) reaching an oplog.Watcher subscriber, in this
// process, and reaching an editor as heddle/operationsChanged from the real
// heddle-ls, each against inotify's own latency for the same rename; and
// the idle cost of watching 100 oplogs and 100 mount-daemon state
// directories.

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/internal/fswatch"
	"github.com/heddle-ls/heddle-ls/internal/lsptest"
	"github.com/heddle-ls/heddle-ls/internal/sim"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
	"github.com/heddle-ls/heddle-ls/mountd"
	"github.com/heddle-ls/heddle-ls/oplog"
)

func figOplog(e *env) error {
	fw, err := fswatch.New(nil)
	if err != nil {
		return err
	}
	defer fw.Close()
	ow := oplog.NewWatcher(fw, nil)
	defer ow.Close()

	hd, err := makeHeddleDir(e.base, "oplog", true)
	if err != nil {
		return err
	}
	dir := oplog.Dir(hd)
	raw, err := newRawWatch(dir)
	if err != nil {
		return err
	}
	defer raw.close()
	got := make(chan time.Time, 16)
	stop := ow.Watch(hd, func(oplog.Change) { got <- time.Now() })
	defer stop()

	n := max(30, e.cfg.liveN)
	var lat, floor samples
	for i := range n {
		tmp := filepath.Join(dir, ".oplog.manifest.tmp-bench-"+strconv.Itoa(i))
		if err := os.WriteFile(tmp, sim.EncodeManifest(uint64(i+1)), 0o644); err != nil {
			return err
		}
		from := raw.count()
		t0 := time.Now()
		if err := os.Rename(tmp, filepath.Join(dir, oplog.ManifestFile)); err != nil {
			return err
		}
		var at time.Time
		select {
		case at = <-got:
		case <-time.After(waitTimeout):
			return fmt.Errorf("publication %d: no change within %v", i, waitTimeout)
		}
		ev, err := raw.wait(from, oplog.ManifestFile, unix.IN_MOVED_TO, waitTimeout)
		if err != nil {
			return err
		}
		lat, floor = append(lat, at.Sub(t0)), append(floor, ev.At.Sub(t0))
		// Pace past the coalescing window, so each publication comes
		// after a quiet spell (as an editor user's do) and is delivered at
		// once; a burst is the tests' business.
		time.Sleep(oplog.Window + 5*time.Millisecond)
	}
	e.series["9-oplog-change"], e.series["9-inotify"] = lat, floor
	e.add(
		timed("9", "floor: the rename's IN_MOVED_TO read by a bare inotify thread", floor),
		timed("9", "oplog rename → oplog.Watcher change (in process, fswatch)", lat).
			against("inotify", floor).target("≤ 5 ms p50", lat.median() <= 5*time.Millisecond),
	)
	if err := oplogThroughServer(e, n); err != nil {
		return err
	}
	return idleSources(e, fw, ow)
}

// oplogThroughServer times a publication reaching the client of a real
// heddle-ls as heddle/operationsChanged, with the inotify floor measured on
// the same renames.
func oplogThroughServer(e *env, n int) error {
	root, err := makeRepo(e.base, "oplog-lsp")
	if err != nil {
		return err
	}
	dir := oplog.Dir(heddleDirOf(root))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	raw, err := newRawWatch(dir)
	if err != nil {
		return err
	}
	defer raw.close()
	c, _, err := openFolder(e, "oplog", root, "stopped")
	if err != nil {
		return err
	}
	defer c.Close(waitTimeout)
	var lat, floor samples
	for i := range n {
		tmp := filepath.Join(dir, ".oplog.manifest.tmp-bench-"+strconv.Itoa(i))
		if err := os.WriteFile(tmp, sim.EncodeManifest(uint64(i+1)), 0o644); err != nil {
			return err
		}
		from, rfrom := c.Len(), raw.count()
		t0 := time.Now()
		if err := os.Rename(tmp, filepath.Join(dir, oplog.ManifestFile)); err != nil {
			return err
		}
		m, err := c.Wait(from, waitTimeout, func(m lsptest.Message) bool { return m.Method == protocol.MethodOperationsChanged })
		if err != nil {
			return fmt.Errorf("publication %d: %w", i, err)
		}
		ev, err := raw.wait(rfrom, oplog.ManifestFile, unix.IN_MOVED_TO, waitTimeout)
		if err != nil {
			return err
		}
		lat, floor = append(lat, m.At.Sub(t0)), append(floor, ev.At.Sub(t0))
		time.Sleep(oplog.Window + 5*time.Millisecond) // a quiet spell between publications, as above
	}
	e.series["9-operations-changed"] = lat
	e.add(
		timed("9", "floor (same renames): IN_MOVED_TO read by a bare inotify thread", floor),
		timed("9", "oplog rename → heddle/operationsChanged at the client (heddle-ls over stdio)", lat).
			against("inotify", floor).target("≤ 5 ms p50", lat.median() <= 5*time.Millisecond),
	)
	return nil
}

// idleSources watches 100 oplogs (half not created yet) and 100 mount
// daemon state directories (a third each: none, a stale endpoint, no state
// dir) and measures this process's CPU over a quiet window.
func idleSources(e *env, fw *fswatch.Watcher, ow *oplog.Watcher) error {
	tr := mountd.NewTracker(fw, nil)
	defer tr.Close()
	const n = 100
	first := make(chan struct{}, n)
	for i := range n {
		hd, err := makeHeddleDir(e.base, "idle"+strconv.Itoa(i), i%2 == 0)
		if err != nil {
			return err
		}
		defer ow.Watch(hd, func(oplog.Change) {})()
		repo := heddle.Repo{Root: filepath.Dir(hd), HeddleDir: hd}
		if i%3 != 2 {
			state := mountd.StateDir(repo)
			if err := os.MkdirAll(state, 0o755); err != nil {
				return err
			}
			if i%3 == 1 {
				ep := `{"version":3,"host":"unix","port":0,"pid":2147483646,"socket_path":"` + filepath.Join(state, mountd.SocketFile) + `"}`
				if err := os.WriteFile(filepath.Join(state, mountd.EndpointFile), []byte(ep), 0o644); err != nil {
					return err
				}
			}
		}
		once := false
		defer tr.Watch(repo, func(*mountd.Status) {
			if !once {
				once = true
				first <- struct{}{}
			}
		})()
	}
	for range n {
		select {
		case <-first:
		case <-time.After(waitTimeout):
			return fmt.Errorf("mount tracker: not every first status within %v", waitTimeout)
		}
	}
	window := max(e.cfg.idle/4, 2*time.Second)
	before, err := readProc(os.Getpid())
	if err != nil {
		return err
	}
	time.Sleep(window)
	after, err := readProc(os.Getpid())
	if err != nil {
		return err
	}
	ticks := after.Ticks - before.Ticks
	e.add(row{Figure: "9", What: fmt.Sprintf("idle CPU of this process: ticks over %v, %d oplogs and %d mount state dirs watched", window.Round(time.Second), n, n),
		Value: fmt.Sprint(ticks), Target: "0 ticks"}.met(ticks == 0))
	return nil
}

// makeHeddleDir makes base/name/.heddle (with objects/, and oplog/ when
// withOplog) and returns it.
func makeHeddleDir(base, name string, withOplog bool) (string, error) {
	hd := filepath.Join(base, name, ".heddle")
	sub := filepath.Join(hd, "objects")
	if withOplog {
		sub = oplog.Dir(hd)
	}
	return hd, os.MkdirAll(sub, 0o755)
}
