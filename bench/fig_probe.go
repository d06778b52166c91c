// fig_probe.go: figure 1 (cold probe vs the raw floor), figure 2 (warm
// heddle.operations through the LSP vs raw gRPC + one stdio round trip) and
// figure 7 (the status verb vs a bare process start).

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"time"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
	"github.com/heddle-ls/heddle-ls/internal/sim"
	"github.com/heddle-ls/heddle-ls/internal/simtest"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// ready is a repository with a running daemon (the sim's default 120-op log).
type ready struct {
	root string
	d    *simtest.Process
}

var shared *ready

func (e *env) readyRepo() (*ready, error) {
	if shared != nil {
		return shared, nil
	}
	root, err := makeRepo(e.base, "a")
	if err != nil {
		return nil, err
	}
	d, err := startDaemon(e.sim, root)
	if err != nil {
		return nil, err
	}
	shared = &ready{root: root, d: d}
	return shared, nil
}

func figProbe(e *env) error {
	r, err := e.readyRepo()
	if err != nil {
		return err
	}
	ctx := context.Background()
	dir := heddleDirOf(r.root)
	var probe, raw samples
	// Interleaved, after a few warm-up rounds each, so drift hits both alike.
	for i := -5; i < e.cfg.probeN; i++ {
		t0 := time.Now()
		if err := rawProbe(ctx, dir); err != nil {
			return fmt.Errorf("raw probe: %w", err)
		}
		t1 := time.Now()
		ex := daemonlink.Probe(ctx, dir, daemonlink.Options{})
		t2 := time.Now()
		if ex.Status.State != daemonlink.StateReady {
			return fmt.Errorf("daemonlink.Probe: %s (%s)", ex.Status.State, ex.Status.Message)
		}
		if i >= 0 {
			raw = append(raw, t1.Sub(t0))
			probe = append(probe, t2.Sub(t1))
		}
	}
	e.coldProbe = probe.median()
	e.add(timed("1", "floor: raw probe (pidfile, kill 0, connect, SO_PEERCRED, grpc client, Health.Check)", raw),
		func() row {
			r := timed("1", "cold probe: daemonlink.Probe in-process", probe).against("raw probe", raw)
			return r.target("≤ 1.5×", r.Ratio <= 1.5)
		}())
	return nil
}

func figOperations(e *env) error {
	r, err := e.readyRepo()
	if err != nil {
		return err
	}
	bigRoot, err := makeRepo(e.base, "big")
	if err != nil {
		return err
	}
	big, err := startDaemon(e.sim, bigRoot, "--ops", fmt.Sprint(e.cfg.large))
	if err != nil {
		return err
	}
	defer stop(big)

	c, err := startServer(e.ls, e.base+"/ls-ops.log")
	if err != nil {
		return err
	}
	defer c.Close(waitTimeout)
	uri, bigURI := protocol.PathToURI(r.root), protocol.PathToURI(bigRoot)
	if _, err := initialize(c.Conn, []string{uri, bigURI}); err != nil {
		return err
	}
	for _, u := range []string{uri, bigURI} {
		if _, err := waitState(c.Conn, 0, u, "ready"); err != nil {
			return err
		}
	}

	answerBytes := 0
	measure := func(root, folder string, n int, rawReqs []*heddlev1.QueryOperationsRequest) (ls, echo samples, rawS []samples, err error) {
		cc, err := rawConn(socketOf(root))
		if err != nil {
			return nil, nil, nil, err
		}
		defer cc.Close()
		q := heddlev1.NewOperationLogQueryServiceClient(cc)
		rawS = make([]samples, len(rawReqs))
		args := map[string]any{"command": "heddle.operations", "arguments": []any{folder, map[string]any{"limit": 50}}}
		for i := -5; i < n; i++ {
			var rawD []time.Duration
			for _, req := range rawReqs {
				lim := req.GetLimit()
				t0 := time.Now()
				resp, err := q.QueryOperations(context.Background(), req)
				d := time.Since(t0)
				if err != nil {
					return nil, nil, nil, fmt.Errorf("raw QueryOperations: %w", err)
				}
				if lim != 0 && len(resp.GetHits()) != int(lim) {
					return nil, nil, nil, fmt.Errorf("raw QueryOperations limit %d gave %d hits", lim, len(resp.GetHits()))
				}
				rawD = append(rawD, d)
			}
			// A trivial round trip: an unknown method answers -32601
			// straight from the dispatcher.
			m, echoD, err := c.Request(waitTimeout, "bench/echo", nil)
			if err != nil {
				return nil, nil, nil, err
			}
			if m.Error == nil {
				return nil, nil, nil, fmt.Errorf("bench/echo: expected method-not-found, got a result")
			}
			d, m, err := rpc(c.Conn, "workspace/executeCommand", args)
			if err != nil {
				return nil, nil, nil, err
			}
			var res struct{ Hits []json.RawMessage }
			if err := json.Unmarshal(m.Result, &res); err != nil || len(res.Hits) != 50 {
				return nil, nil, nil, fmt.Errorf("heddle.operations: want 50 hits, got %d (%v)", len(res.Hits), err)
			}
			answerBytes = len(m.Result)
			if i >= 0 {
				ls, echo = append(ls, d), append(echo, echoD)
				for j := range rawD {
					rawS[j] = append(rawS[j], rawD[j])
				}
			}
		}
		return ls, echo, rawS, nil
	}

	ls, echo, raw, err := measure(r.root, uri, e.cfg.opsN, []*heddlev1.QueryOperationsRequest{{Limit: 50}, {}})
	if err != nil {
		return err
	}
	floor := sumSamples(raw[0], echo)
	pipe, err := pipeEcho(answerBytes, e.cfg.opsN)
	if err != nil {
		return err
	}
	e.add(timed("2", "floor part: raw warm QueryOperations limit 50 (120-op log)", raw[0]),
		timed("2", "info: raw warm QueryOperations limit 0 (120-op log, every hit: what heddle-ls fetches)", raw[1]),
		timed("2", "floor part: stdio JSON-RPC round trip (unknown method → -32601)", echo),
		timed("2", "floor: raw query + round trip (pairwise sum)", floor),
		func() row {
			r := timed("2", "warm heddle.operations, 50 hits, 120-op log, client to client", ls).against("raw+rtt", floor)
			return r.target("≤ 1.2×", r.Ratio <= 1.2)
		}(),
		timed("2", fmt.Sprintf("info: the answer's %.1f KB echoed through a pipe pair and cat (bytes moved, no JSON)", float64(answerBytes)/1024), pipe))

	// A windowed query, as a fix could ask first: the sim's op s is
	// stamped BaseTimestamp + s minutes, so the last 2 hours hold the
	// newest 120 ops (what an active repository's recent past looks like),
	// and a window before now holds nothing (a log that went quiet).
	newest := sim.BaseTimestamp + sim.OpInterval*int64(e.cfg.large-1)
	lsBig, echoBig, rawBig, err := measure(bigRoot, bigURI, e.cfg.largeN, []*heddlev1.QueryOperationsRequest{
		{Limit: 50}, {}, {SinceSecs: newest - 7200}, {SinceSecs: time.Now().Unix() - 3600}})
	if err != nil {
		return err
	}
	floor50 := sumSamples(rawBig[0], echoBig)
	floorAll := sumSamples(rawBig[1], echoBig)
	e.add(timed("2L", fmt.Sprintf("floor part: raw QueryOperations limit 50 (%d-op log; the OLDEST 50)", e.cfg.large), rawBig[0]),
		timed("2L", fmt.Sprintf("info: raw QueryOperations limit 0 (%d-op log, every hit)", e.cfg.large), rawBig[1]),
		func() row {
			r := timed("2L", fmt.Sprintf("warm heddle.operations, 50 hits, %d-op log", e.cfg.large), lsBig).against("raw limit-50+rtt", floor50)
			return r.target("≤ 1.2× (info)", r.Ratio <= 1.2)
		}(),
		timed("2L", "same, against raw limit-0 + rtt (what heddle-ls must fetch)", lsBig).against("raw limit-0+rtt", floorAll),
		timed("2L", "info: raw QueryOperations since newest−2 h (a recent window: 120 ops)", rawBig[2]),
		timed("2L", "info: raw QueryOperations since now−1 h (a window that is empty: the log went quiet)", rawBig[3]))
	return nil
}

// pipeEcho is the floor of moving size bytes to another process and back
// over pipes: n times, one write into cat's stdin, reading it all back.
func pipeEcho(size, n int) (samples, error) {
	cmd := exec.Command("cat")
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		in.Close()
		_ = cmd.Wait()
	}()
	buf := make([]byte, size)
	back := make([]byte, size)
	var s samples
	for i := -5; i < n; i++ {
		t0 := time.Now()
		if _, err := in.Write(buf); err != nil {
			return nil, err
		}
		if _, err := io.ReadFull(out, back); err != nil {
			return nil, err
		}
		if i >= 0 {
			s = append(s, time.Since(t0))
		}
	}
	return s, nil
}

// sumSamples adds two sample sets pairwise (they were taken in the same rounds).
func sumSamples(a, b samples) samples {
	out := make(samples, min(len(a), len(b)))
	for i := range out {
		out[i] = a[i] + b[i]
	}
	return out
}

func figVerb(e *env) error {
	r, err := e.readyRepo()
	if err != nil {
		return err
	}
	var status, version, trueS samples
	runOnce := func(name string, args ...string) (time.Duration, error) {
		cmd := exec.Command(name, args...)
		t0 := time.Now()
		out, err := cmd.Output()
		d := time.Since(t0)
		if err != nil {
			return 0, fmt.Errorf("%s %v: %w (%s)", name, args, err, out)
		}
		return d, nil
	}
	for i := -3; i < e.cfg.verbN; i++ {
		dt, err := runOnce("/bin/true")
		if err != nil {
			return err
		}
		dv, err := runOnce(e.ls, "version")
		if err != nil {
			return err
		}
		ds, err := runOnce(e.ls, "status", r.root)
		if err != nil {
			return err
		}
		if i >= 0 {
			trueS, version, status = append(trueS, dt), append(version, dv), append(status, ds)
		}
	}
	e.add(timed("7", "floor: /bin/true, spawn to exit", trueS),
		timed("7", "floor: heddle-ls version (same binary, no probe), spawn to exit", version),
		func() row {
			r := timed("7", "heddle-ls status <ready repo>, spawn to exit", status).against("version", version)
			return r.target("≤ 25 ms", r.Median <= 25)
		}())
	return nil
}
