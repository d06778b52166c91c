// fig_scale.go: figure 4 (1,000 folders reported after initialized; the
// heddle.status command over all of them), figure 5 (idle cost with 100
// live daemons watched) and figure 6 (resident memory at 100 folders).

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/lsptest"
	"github.com/heddle-ls/heddle-ls/internal/simtest"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

func figScale(e *env) error {
	n, live := e.cfg.folders, e.cfg.live
	roots := make([]string, n)
	uris := make([]string, n)
	for i := range n {
		r, err := makeRepo(e.base, fmt.Sprintf("s%04d", i))
		if err != nil {
			return err
		}
		roots[i], uris[i] = r, protocol.PathToURI(r)
	}
	daemons := make([]*simtest.Process, live)
	defer func() {
		for _, d := range daemons {
			if d != nil {
				stop(d)
			}
		}
	}()
	if err := parallel(live, 8, func(i int) error {
		d, err := startDaemon(e.sim, roots[i])
		daemons[i] = d
		return err
	}); err != nil {
		return err
	}

	if e.want("4") {
		if err := scaleReport(e, roots, uris, live); err != nil {
			return err
		}
	}
	if e.want("5") || e.want("6") {
		if err := idleAndMemory(e, uris[:live]); err != nil {
			return err
		}
	}
	return nil
}

func scaleReport(e *env, roots, uris []string, live int) error {
	n := len(uris)
	var all, raw, cmd, echo samples
	var firstReady int
	var mem procStat
	for rep := range e.cfg.reps {
		// Floor: the same knowledge gathered raw, in this process, on every
		// CPU — look for the repo, read the pidfile, probe the live ones.
		t0 := time.Now()
		if err := parallel(n, runtime.NumCPU(), func(i int) error {
			if _, err := os.Stat(filepath.Join(roots[i], ".heddle", "objects")); err != nil {
				return err
			}
			if _, err := os.ReadFile(pidfileOf(roots[i])); errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return rawProbe(ctxBG, heddleDirOf(roots[i]))
		}); err != nil {
			return fmt.Errorf("raw floor: %w", err)
		}
		raw = append(raw, time.Since(t0))

		c, err := startServer(e.ls, fmt.Sprintf("%s/ls-scale-%d.log", e.base, rep))
		if err != nil {
			return err
		}
		tInit, err := initialize(c.Conn, uris)
		if err != nil {
			c.Close(waitTimeout)
			return err
		}
		seen := map[string]bool{}
		ready := 0
		last, err := c.Wait(0, waitTimeout, func(m lsptest.Message) bool {
			if p, ok := lsptest.StatusOf(m); ok && !seen[p.Folder] {
				seen[p.Folder] = true
				if p.State == "ready" {
					ready++
				}
			}
			return len(seen) == n
		})
		if err != nil {
			c.Close(waitTimeout)
			return fmt.Errorf("%d of %d folders reported: %w", len(seen), n, err)
		}
		all = append(all, last.At.Sub(tInit))
		firstReady = ready
		// Let every live folder reach ready before timing heddle.status.
		for i := range live {
			if _, err := waitState(c.Conn, 0, uris[i], "ready"); err != nil {
				c.Close(waitTimeout)
				return err
			}
		}
		if rep == 0 {
			for i := -3; i < e.cfg.statusN; i++ {
				_, de, err := c.Request(waitTimeout, "bench/echo", nil)
				if err != nil {
					c.Close(waitTimeout)
					return err
				}
				d, m, err := rpc(c.Conn, "workspace/executeCommand", map[string]any{"command": "heddle.status", "arguments": []any{}})
				if err != nil {
					c.Close(waitTimeout)
					return err
				}
				var res []json.RawMessage
				if err := json.Unmarshal(m.Result, &res); err != nil || len(res) != n {
					c.Close(waitTimeout)
					return fmt.Errorf("heddle.status: want %d statuses, got %d (%v)", n, len(res), err)
				}
				if i >= 0 {
					cmd, echo = append(cmd, d), append(echo, de)
				}
			}
			if mem, err = readProc(c.PID()); err != nil {
				c.Close(waitTimeout)
				return err
			}
		}
		if err := c.Close(waitTimeout); err != nil {
			return fmt.Errorf("heddle-ls (%d folders) did not end cleanly: %w", n, err)
		}
	}
	e.add(timed("4", fmt.Sprintf("floor: raw discover + pidfile + raw probe of %d folders (%d live), all CPUs", n, live), raw),
		func() row {
			r := timed("4", fmt.Sprintf("initialized → every folder's first heddle/status (%d folders, %d live)", n, live), all).against("raw", raw)
			return r.target("≤ 250 ms", r.Median <= 250)
		}(),
		row{Figure: "4", What: "info: folders whose first status was already ready", Value: fmt.Sprintf("%d of %d", firstReady, live)},
		timed("4", "floor: stdio round trip (unknown method)", echo),
		func() row {
			r := timed("4", fmt.Sprintf("heddle.status, all %d folders, client to client", n), cmd).against("rtt", echo)
			return r.target("≤ 50 ms", r.Median <= 50)
		}(),
		row{Figure: "4", What: fmt.Sprintf("info: heddle-ls VmRSS / VmHWM at %d folders", n),
			Value: fmt.Sprintf("%.1f / %.1f MB", float64(mem.RSSKiB)/1024, float64(mem.HWMKiB)/1024)},
	)
	return nil
}

func idleAndMemory(e *env, uris []string) error {
	c, err := startServer(e.ls, e.base+"/ls-idle.log")
	if err != nil {
		return err
	}
	defer c.Close(waitTimeout)
	if _, err := initialize(c.Conn, uris); err != nil {
		return err
	}
	for _, u := range uris {
		if _, err := waitState(c.Conn, 0, u, "ready"); err != nil {
			return err
		}
	}
	// Control: the same binary serving no folder at all, idle over the
	// same window: whatever it does is the Go runtime's, not heddle-ls's.
	ctl, err := startServer(e.ls, e.base+"/ls-idle-control.log")
	if err != nil {
		return err
	}
	defer ctl.Close(waitTimeout)
	if _, err := initialize(ctl.Conn, nil); err != nil {
		return err
	}
	// Let start-up work (GC, the first connections' settling) finish
	// before the window opens; this is a measurement window, not a wait
	// for a condition.
	time.Sleep(time.Second)
	before, err := readProc(c.PID())
	if err != nil {
		return err
	}
	ctl0, err := readProc(ctl.PID())
	if err != nil {
		return err
	}
	time.Sleep(e.cfg.idle)
	after, err := readProc(c.PID())
	if err != nil {
		return err
	}
	ctl1, err := readProc(ctl.PID())
	if err != nil {
		return err
	}
	window := e.cfg.idle.Round(time.Second)
	ticks := after.Ticks - before.Ticks
	vol := after.Voluntary - before.Voluntary
	inv := after.Involunt - before.Involunt
	e.add(
		row{Figure: "5", What: fmt.Sprintf("idle CPU: utime+stime ticks over %v, %d live folders", window, len(uris)),
			Value: fmt.Sprint(ticks), Target: "0 ticks"}.met(ticks == 0),
		row{Figure: "5", What: fmt.Sprintf("idle wake-ups: context switches over %v, all %d threads (voluntary / involuntary)", window, after.Threads),
			Value: fmt.Sprintf("%d / %d", vol, inv), Target: "≤ max(2, control)"}.met(vol+inv <= max(2, ctl1.Voluntary-ctl0.Voluntary+ctl1.Involunt-ctl0.Involunt)),
		row{Figure: "5", What: "control: heddle-ls with no folder, same window: ticks; context switches (vol / invol)",
			Value: fmt.Sprintf("%d; %d / %d", ctl1.Ticks-ctl0.Ticks, ctl1.Voluntary-ctl0.Voluntary, ctl1.Involunt-ctl0.Involunt)},
		row{Figure: "6", What: fmt.Sprintf("memory: VmRSS with %d folders, all live", len(uris)),
			Value: fmt.Sprintf("%.1f MB", float64(after.RSSKiB)/1024), Target: "≤ 20 MB"}.met(after.RSSKiB <= 20*1024),
		row{Figure: "6", What: "info: of which RssAnon (heap, stacks) / RssFile (the binary's mapped pages)",
			Value: fmt.Sprintf("%.1f / %.1f MB", float64(after.AnonKiB)/1024, float64(after.FileKiB)/1024)},
		row{Figure: "6", What: "memory: VmHWM (peak) of the same process",
			Value: fmt.Sprintf("%.1f MB", float64(after.HWMKiB)/1024), Target: "≤ 20 MB"}.met(after.HWMKiB <= 20*1024),
	)
	return nil
}

// parallel runs f(0..n-1) on at most workers goroutines; the first error wins.
func parallel(n, workers int, f func(i int) error) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	next := make(chan int)
	for range min(workers, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}
