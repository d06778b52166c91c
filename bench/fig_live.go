// fig_live.go: figure 3 — a daemon start or stop reaching the client as a
// heddle/status notification, against inotify's own latency and against
// what a poller at 250 ms or 1 s would show.

package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/heddle-ls/heddle-ls/internal/lsptest"
)

func figLive(e *env) error {
	root, err := makeRepo(e.base, "live")
	if err != nil {
		return err
	}
	sockets := filepath.Join(root, ".heddle", "sockets")
	w, err := newRawWatch(sockets)
	if err != nil {
		return err
	}
	defer w.close()
	c, uri, err := openFolder(e, "live", root, "stopped")
	if err != nil {
		return err
	}
	defer c.Close(waitTimeout)

	var startListen, startSock, stopSignal, stopRm, daemonStop, probeCost samples
	intermediate := 0
	for i := 0; i < e.cfg.liveN; i++ {
		from, wfrom := c.Len(), w.count()
		d, err := spawnDaemon(e.sim, root)
		if err != nil {
			return err
		}
		readyAt, err := waitState(c.Conn, from, uri, "ready")
		if err != nil {
			d.Kill()
			return fmt.Errorf("cycle %d: %w", i, err)
		}
		if err := d.WaitReady(waitTimeout); err != nil {
			return err
		}
		intermediate += countBetween(c.Conn, from, uri) - 1
		sockEv, err := w.wait(wfrom, "grpc.sock", unix.IN_CREATE, waitTimeout)
		if err != nil {
			return fmt.Errorf("cycle %d: %w", i, err)
		}
		startListen = append(startListen, readyAt.Sub(d.ListeningAt()))
		startSock = append(startSock, readyAt.Sub(sockEv.At))
		if i < 20 {
			// What one probe of a poller costs (the raw floor), measured
			// against this very daemon.
			t0 := time.Now()
			if err := rawProbe(ctxBG, heddleDirOf(root)); err != nil {
				return err
			}
			probeCost = append(probeCost, time.Since(t0))
		}

		from, wfrom = c.Len(), w.count()
		tSig, err := d.Signal(syscall.SIGINT)
		if err != nil {
			return err
		}
		stoppedAt, err := waitState(c.Conn, from, uri, "stopped")
		if err != nil {
			d.Kill()
			return fmt.Errorf("cycle %d: %w", i, err)
		}
		if err := d.WaitExit(waitTimeout); err != nil {
			return err
		}
		rmEv, err := w.wait(wfrom, "grpc.pid", unix.IN_DELETE, waitTimeout)
		if err != nil {
			return fmt.Errorf("cycle %d: %w", i, err)
		}
		stopSignal = append(stopSignal, stoppedAt.Sub(tSig))
		stopRm = append(stopRm, stoppedAt.Sub(rmEv.At))
		daemonStop = append(daemonStop, rmEv.At.Sub(tSig))
	}

	floorDir := filepath.Join(e.base, "inotify")
	if err := os.Mkdir(floorDir, 0o700); err != nil {
		return err
	}
	ino, err := inotifyLatency(floorDir, max(e.cfg.liveN, 50))
	if err != nil {
		return err
	}
	// A poller notices a change at its next tick: with a uniformly random
	// phase that is U(0, P) after the change, plus one probe (start) or
	// one stat (stop). Simulated over the same measured cycles.
	statCost := measureStat(pidfileOf(root), 200).median()
	rng := rand.New(rand.NewPCG(uint64(e.cfg.seed), 42))
	poll := func(period time.Duration, base samples, cost time.Duration) samples {
		out := make(samples, len(base))
		for i, b := range base {
			out[i] = b + time.Duration(rng.Float64()*float64(period)) + cost
		}
		return out
	}
	zero := make(samples, len(startListen))
	p250Start, p1sStart := poll(250*time.Millisecond, zero, probeCost.median()), poll(time.Second, zero, probeCost.median())
	p250Stop, p1sStop := poll(250*time.Millisecond, daemonStop, statCost), poll(time.Second, daemonStop, statCost)

	e.series["heddle-ls start"] = startListen
	e.series["heddle-ls stop"] = stopSignal
	e.series["poll 250 ms start"] = p250Start
	e.series["poll 250 ms stop"] = p250Stop
	e.series["poll 1 s start"] = p1sStart
	e.series["poll 1 s stop"] = p1sStop
	e.series["inotify floor"] = ino

	met := func(s samples) bool { return s.median() <= 5*time.Millisecond && s.p99() <= 20*time.Millisecond }
	e.add(timed("3", "floor: inotify event latency (creat → watcher thread wakes)", ino),
		func() row {
			r := timed("3", "start: socket listening (daemon's stderr line) → heddle/status ready at client", startListen).against("inotify", ino)
			return r.target("≤ 5 / ≤ 20 ms", met(startListen))
		}(),
		timed("3", "info: start measured from the socket's inotify IN_CREATE (bind)", startSock).against("inotify", ino),
		row{Figure: "3", What: "info: intermediate statuses per start (e.g. starting)", Value: fmt.Sprintf("%.2f", float64(intermediate)/float64(e.cfg.liveN))},
		func() row {
			r := timed("3", "stop: SIGINT sent → heddle/status stopped at client", stopSignal)
			return r.target("≤ 5 / ≤ 20 ms", met(stopSignal))
		}(),
		timed("3", "info: stop, the daemon's own share (SIGINT → pidfile unlinked)", daemonStop),
		timed("3", "stop: pidfile unlinked → heddle/status stopped at client", stopRm).against("inotify", ino),
		timed("3", "compare: poll every 250 ms, start (simulated, + one raw probe)", p250Start),
		timed("3", "compare: poll every 1 s, start (simulated)", p1sStart),
		timed("3", "compare: poll every 250 ms, stop from SIGINT (simulated)", p250Stop),
		timed("3", "compare: poll every 1 s, stop from SIGINT (simulated)", p1sStop),
	)
	return nil
}

// countBetween counts folder's heddle/status notifications from message
// index from on.
func countBetween(c *lsptest.Conn, from int, folder string) int {
	n := 0
	for _, m := range c.Messages()[from:] {
		if p, ok := lsptest.StatusOf(m); ok && p.Folder == folder {
			n++
		}
	}
	return n
}

func measureStat(path string, n int) samples {
	var out samples
	for range n {
		t0 := time.Now()
		_, _ = os.Stat(path)
		out = append(out, time.Since(t0))
	}
	return out
}
