package faults

// The soak test: daemons started, stopped, killed and restarted across 20
// folders while commands run, through an in-process server; afterwards the
// process's goroutines and open file descriptors return to their baseline.
// go test runs 100 cycles (30 with -short); faults/soak.sh runs 1,000.

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/lsptest"
	"github.com/heddle-ls/heddle-ls/internal/simtest"
	"github.com/heddle-ls/heddle-ls/lsp"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

const (
	soakFolders = 20
	soakWorkers = 4 // each owns the folders f with f%soakWorkers == its index
)

func soakCycles(t *testing.T) int {
	if v := os.Getenv("HEDDLE_SOAK_CYCLES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("HEDDLE_SOAK_CYCLES=%q", v)
		}
		return n
	}
	if testing.Short() {
		return 30
	}
	return 100
}

func openFDCount(t *testing.T) int {
	t.Helper()
	fds, err := lsptest.OpenFDs(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// serveInProcess serves one LSP session from an lsp.Server in this process.
func serveInProcess(t *testing.T) *lsptest.InProcess {
	return lsptest.Serve(t, lsp.NewServer(lsp.Options{Version: "soak"}).Serve)
}

// endSession shuts the session down and waits for Serve to return nil.
func endSession(t *testing.T, p *lsptest.InProcess) {
	t.Helper()
	p.Shutdown()
	if err := p.Served(); err != nil {
		t.Errorf("Serve returned %v after shutdown+exit", err)
	}
	p.CloseClient()
}

func TestSoak_CyclesLeakNothing(t *testing.T) {
	cycles := soakCycles(t)
	repos := make([]string, soakFolders)
	uris := make([]string, soakFolders)
	for i := range repos {
		repos[i] = newRepo(t)
		uris[i] = uri(repos[i])
	}

	preWarm := runtime.NumGoroutine()
	// Warm up once (gRPC, fsnotify and the runtime start their one-time
	// goroutines on first use), then take the baseline.
	warm := serveInProcess(t)
	warm.Initialize(uris[:1], nil)
	d := simtest.Start(t, repos[0])
	warm.WaitState(uris[0], "ready", "", stateTimeout)
	if err := d.Interrupt(); err != nil {
		t.Fatal(err)
	}
	warm.WaitState(uris[0], "stopped", "", stateTimeout)
	endSession(t, warm)
	waitGoroutines(t, preWarm, 2) // the warm-up's session winds down too
	runtime.GC()
	baseG, baseFD := runtime.NumGoroutine(), openFDCount(t)

	start := time.Now()
	p := serveInProcess(t)
	p.Initialize(uris, map[string]any{"initializationOptions": map[string]any{"queryTimeoutMs": 2000}})
	for _, u := range uris {
		p.WaitState(u, "stopped", "no-pidfile", stateTimeout)
	}

	// Load: commands against random folders the whole time; every answer
	// within its deadline, every error one the contract allows.
	stop := make(chan struct{})
	var loadWG sync.WaitGroup
	var answered, failed atomic.Int64
	var loadErr atomic.Pointer[string]
	for w := range 2 {
		loadWG.Add(1)
		go func() {
			defer loadWG.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for {
				select {
				case <-stop:
					return
				default:
				}
				f := uris[rng.IntN(len(uris))]
				var cmd string
				var args []any
				deadline := statusDeadline
				switch rng.IntN(4) {
				case 0:
					cmd = protocol.CmdStatus
				case 1:
					cmd, args, deadline = protocol.CmdRefresh, []any{f}, 4*time.Second
				default:
					cmd, args, deadline = protocol.CmdOperations, []any{f, map[string]any{"limit": 3}}, 2*time.Second+queryMargin
				}
				began := time.Now()
				id := p.Call("workspace/executeCommand", map[string]any{"command": cmd, "arguments": args})
				m, ok := p.Response(id, deadline+5*time.Second)
				took := time.Since(began)
				switch {
				case !ok:
					msg := fmt.Sprintf("%s %v: no answer", cmd, args)
					loadErr.CompareAndSwap(nil, &msg)
					return
				case took > deadline:
					msg := fmt.Sprintf("%s %v answered after %v (deadline %v)", cmd, args, took, deadline)
					loadErr.CompareAndSwap(nil, &msg)
				case m.Error != nil && m.Error.Code != -32803:
					msg := fmt.Sprintf("%s %v: unexpected error %s", cmd, args, m.Raw)
					loadErr.CompareAndSwap(nil, &msg)
				case m.Error != nil:
					failed.Add(1)
				}
				answered.Add(1)
			}
		}()
	}

	// Churn: each worker owns some folders and cycles daemons in them,
	// waiting for the server to reflect every start and every stop.
	var churnWG sync.WaitGroup
	perWorker := make([]int, soakWorkers)
	for i := range cycles {
		perWorker[i%soakWorkers]++
	}
	for w := range soakWorkers {
		churnWG.Add(1)
		go func() {
			defer churnWG.Done()
			var mine []int
			for f := w; f < soakFolders; f += soakWorkers {
				mine = append(mine, f)
			}
			for i := range perWorker[w] {
				f := mine[i%len(mine)]
				if !soakCycle(t, p, repos[f], uris[f], i) {
					return
				}
			}
		}()
	}
	churnWG.Wait()
	close(stop)
	loadWG.Wait()
	elapsed := time.Since(start)
	if e := loadErr.Load(); e != nil {
		t.Errorf("load: %s", *e)
	}
	// Every folder ends where its last cycle left it.
	for i, u := range uris {
		m, _ := p.ExecuteCommand(statusDeadline, protocol.CmdStatus, u)
		st := lsptest.Decode[[]protocol.StatusParams](t, m)[0]
		if st.State != "stopped" && st.State != "stale" {
			t.Errorf("folder %d ends %s/%s", i, st.State, st.Reason)
		}
	}
	endSession(t, p)

	// Back to baseline: goroutines (given a moment to wind down) and fds.
	g := waitGoroutines(t, baseG, 2)
	fds := openFDCount(t)
	t.Logf("%d cycles over %d folders in %v (%.1f ms/cycle); %d commands answered (%d refused while not ready); goroutines %d → %d, fds %d → %d",
		cycles, soakFolders, elapsed.Round(time.Millisecond), float64(elapsed.Milliseconds())/float64(cycles),
		answered.Load(), failed.Load(), baseG, g, baseFD, fds)
	if fds > baseFD+2 {
		ents, _ := lsptest.OpenFDs(os.Getpid())
		t.Errorf("open fds %d, baseline %d: %v", fds, baseFD, ents)
	}
	if answered.Load() == 0 {
		t.Errorf("no command ran during the soak")
	}
}

// soakCycle starts a daemon in repo, waits for ready with its pid, stops it
// in one of four ways and waits for the server to reflect it.
func soakCycle(t *testing.T, p *lsptest.InProcess, repo, folder string, i int) bool {
	mark := p.Len()
	d := simtest.Start(t, repo)
	if !waitPID(p, mark, folder, "ready", d.PID()) {
		t.Errorf("cycle %d: %s never ready with pid %d; statuses: %s", i, folder, d.PID(), lsptest.DescribeStatuses(p.Statuses(folder)))
		return false
	}
	mark = p.Len()
	want := "stale"
	switch i % 4 {
	case 0:
		if err := d.Interrupt(); err != nil {
			t.Errorf("cycle %d: %v", i, err)
		}
		want = "stopped"
	case 1:
		d.Terminate()
	case 2:
		d.Kill()
	case 3: // restart: killed, then a new daemon with a new pid, stopped cleanly
		d.Kill()
		d2 := simtest.Start(t, repo)
		if !waitPID(p, mark, folder, "ready", d2.PID()) {
			t.Errorf("cycle %d: restarted daemon pid %d never ready; statuses: %s", i, d2.PID(), lsptest.DescribeStatuses(p.Statuses(folder)))
			return false
		}
		mark = p.Len()
		if err := d2.Interrupt(); err != nil {
			t.Errorf("cycle %d: %v", i, err)
		}
		want = "stopped"
	}
	if _, ok := p.WaitStatus(mark, folder, stateTimeout, func(s protocol.StatusParams) bool { return s.State == want }); !ok {
		t.Errorf("cycle %d: %s never %s; statuses: %s", i, folder, want, lsptest.DescribeStatuses(p.Statuses(folder)))
		return false
	}
	return true
}

func waitPID(p *lsptest.InProcess, from int, folder, state string, pid int) bool {
	_, ok := p.WaitStatus(from, folder, stateTimeout, func(s protocol.StatusParams) bool { return s.State == state && s.PID == pid })
	return ok
}

// waitGoroutines waits (up to 10 s) for the goroutine count to fall to
// base+tolerance and returns the last count; the test fails if it does not.
func waitGoroutines(t *testing.T, base, tolerance int) int {
	t.Helper()
	n := runtime.NumGoroutine()
	if simtest.Eventually(10*time.Second, func() bool { n = runtime.NumGoroutine(); return n <= base+tolerance }) {
		return n
	}
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	t.Errorf("goroutines: %d, baseline %d (+%d allowed):\n%s", n, base, tolerance, buf)
	return n
}
