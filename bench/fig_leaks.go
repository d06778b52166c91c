// fig_leaks.go: figure 8 — daemon restarts (SIGINT, SIGTERM and SIGKILL in
// turn) watched by the real heddle-ls process (file descriptors, threads,
// memory from /proc) and by the same server code in-process (goroutines).

package main

import (
	"fmt"
	"runtime"
	"syscall"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/lsptest"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

func figLeaks(e *env) error {
	root, err := makeRepo(e.base, "leak")
	if err != nil {
		return err
	}
	uri := protocol.PathToURI(root)
	ext, err := startServer(e.ls, e.base+"/ls-leak.log")
	if err != nil {
		return err
	}
	defer ext.Close(waitTimeout)
	in := serveInProcess()
	defer closeInProcess(in)

	clients := []*lsptest.Conn{ext.Conn, in.Conn}
	for _, c := range clients {
		if _, err := initialize(c, []string{uri}); err != nil {
			return err
		}
		if _, err := waitState(c, 0, uri, "stopped"); err != nil {
			return err
		}
	}
	signals := []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL}
	after := map[syscall.Signal]string{syscall.SIGINT: "stopped", syscall.SIGTERM: "stale", syscall.SIGKILL: "stale"}
	const warmup = 6
	var base0 procStat
	var gor0 int
	cycle := func(i int) error {
		from := []int{ext.Len(), in.Len()}
		d, err := startDaemon(e.sim, root)
		if err != nil {
			return err
		}
		for k, c := range clients {
			if _, err := waitState(c, from[k], uri, "ready"); err != nil {
				d.Kill()
				return fmt.Errorf("restart %d: %w", i, err)
			}
		}
		sig := signals[i%len(signals)]
		from = []int{ext.Len(), in.Len()}
		if err := d.Stop(sig, waitTimeout); err != nil {
			return err
		}
		for k, c := range clients {
			if _, err := waitState(c, from[k], uri, after[sig]); err != nil {
				return fmt.Errorf("restart %d (%s): %w", i, sig, err)
			}
		}
		return nil
	}
	t0 := time.Now()
	for i := 0; i < e.cfg.restart; i++ {
		if err := cycle(i); err != nil {
			return err
		}
		if i == warmup-1 {
			if base0, err = settledProc(ext.PID(), nil); err != nil {
				return err
			}
			gor0 = settledGoroutines(0)
		}
	}
	elapsed := time.Since(t0)
	end, err := settledProc(ext.PID(), &base0)
	if err != nil {
		return err
	}
	gor1 := settledGoroutines(gor0)
	n := e.cfg.restart - warmup
	e.add(
		row{Figure: "8", What: fmt.Sprintf("heddle-ls process: open fds after %d vs after %d restarts", warmup, e.cfg.restart),
			Value: fmt.Sprintf("%d → %d", base0.FDs, end.FDs), Target: "no growth"}.met(end.FDs <= base0.FDs),
		row{Figure: "8", What: "in-process server: goroutines (runtime.NumGoroutine)",
			Value: fmt.Sprintf("%d → %d", gor0, gor1), Target: "no growth"}.met(gor1 <= gor0),
		row{Figure: "8", What: "heddle-ls process: threads",
			Value: fmt.Sprintf("%d → %d", base0.Threads, end.Threads), Target: "info"},
		row{Figure: "8", What: "heddle-ls process: VmRSS KiB",
			Value: fmt.Sprintf("%d → %d", base0.RSSKiB, end.RSSKiB), Target: "info"},
		row{Figure: "8", What: fmt.Sprintf("info: restart cycle (start → ready → signal → state), %d cycles", n),
			Value: fmt.Sprintf("%.1f ms/cycle", ms(elapsed)/float64(e.cfg.restart))},
	)
	return nil
}

func (r row) met(ok bool) row {
	r.Met = "NO"
	if ok {
		r.Met = "yes"
	}
	return r
}

// settledProc reads pid's counters, waiting (bounded, 2 s) for the fd count
// to come back to ref's when given: closing a connection finishes
// asynchronously in the server.
func settledProc(pid int, ref *procStat) (procStat, error) {
	deadline := time.Now().Add(2 * time.Second)
	for {
		ps, err := readProc(pid)
		if err != nil || ref == nil || ps.FDs <= ref.FDs || time.Now().After(deadline) {
			return ps, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// settledGoroutines is runtime.NumGoroutine once it is at most ref (bounded, 2 s).
func settledGoroutines(ref int) int {
	deadline := time.Now().Add(2 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if (ref > 0 && n <= ref) || time.Now().After(deadline) {
			return n
		}
		if ref == 0 {
			// Baseline: let the previous cycle's goroutines finish.
			time.Sleep(200 * time.Millisecond)
			return runtime.NumGoroutine()
		}
		time.Sleep(10 * time.Millisecond)
	}
}
