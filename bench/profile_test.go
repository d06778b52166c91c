// profile_test.go: the server code in-process, for pprof. Not timed tests:
// Go benchmarks to run by hand when a figure misses its target, e.g.
//
//	make build && go test ./bench -run '^$' -bench Operations -cpuprofile /tmp/cpu.out
//	go tool pprof -top /tmp/cpu.out
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"testing"

	"github.com/heddle-ls/heddle-ls/internal/lsptest"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// inProcess starts the LSP server over a pipe with one folder whose
// heddle-sim (from ../bin) runs with args, and waits until it is ready.
func inProcess(b *testing.B, args ...string) (*lsptest.Pipe, string) {
	b.Helper()
	simBin, err := filepath.Abs("../bin/heddle-sim")
	if err != nil {
		b.Fatal(err)
	}
	base, err := os.MkdirTemp("", "hbp")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(base) })
	base, _ = filepath.EvalSymlinks(base)
	root, err := makeRepo(base, "r")
	if err != nil {
		b.Fatal(err)
	}
	d, err := startDaemon(simBin, root, args...)
	if err != nil {
		b.Fatalf("%v (run make build first)", err)
	}
	b.Cleanup(func() { stop(d) })
	c := serveInProcess()
	b.Cleanup(func() { _ = closeInProcess(c) })
	uri := protocol.PathToURI(root)
	if _, err := initialize(c.Conn, []string{uri}); err != nil {
		b.Fatal(err)
	}
	if _, err := waitState(c.Conn, 0, uri, "ready"); err != nil {
		b.Fatal(err)
	}
	return c, uri
}

func benchOperations(b *testing.B, args ...string) {
	c, uri := inProcess(b, args...)
	params := map[string]any{"command": "heddle.operations", "arguments": []any{uri, map[string]any{"limit": 50}}}
	for b.Loop() {
		if _, _, err := rpc(c.Conn, "workspace/executeCommand", params); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOperations is figure 2's query on the sim's default 120-op log.
func BenchmarkOperations(b *testing.B) { benchOperations(b) }

// BenchmarkOperationsLargeLog is figure 2's query on a 50,000-op log.
func BenchmarkOperationsLargeLog(b *testing.B) { benchOperations(b, "--ops", "50000") }

// BenchmarkEcho is a trivial round trip through the same server.
func BenchmarkEcho(b *testing.B) {
	c, _ := inProcess(b)
	for b.Loop() {
		if _, _, err := c.Request(waitTimeout, "bench/echo", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMemoryProfile explains figure 6. It runs only when
// HEDDLE_BENCH_HEAP names a file: it starts 100 heddle-sim daemons, prints
// the real heddle-ls process's VmRSS at each stage (no folder, 100 folders
// without daemons, 100 live), then serves the same 100 live folders
// in-process and writes a heap profile there, with the runtime's own split.
//
//	make build && HEDDLE_BENCH_HEAP=/tmp/heap.out go test ./bench -run MemoryProfile -v
//	go tool pprof -sample_index=inuse_space -top /tmp/heap.out
func TestMemoryProfile(t *testing.T) {
	out := os.Getenv("HEDDLE_BENCH_HEAP")
	if out == "" {
		t.Skip("set HEDDLE_BENCH_HEAP=/path/heap.out to run")
	}
	runtime.MemProfileRate = 1 // every allocation, for an exact split
	const n = 100
	bin, _ := filepath.Abs("../bin")
	if b := os.Getenv("HEDDLE_BENCH_BIN"); b != "" {
		bin = b // e.g. a patched build, to measure a proposed fix
	}
	base, err := os.MkdirTemp("", "hbm")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	base, _ = filepath.EvalSymlinks(base)
	defer stopAll()
	var live, dead, nosock []string
	for i := range n {
		r, err := makeRepo(base, fmt.Sprintf("p%03d", i))
		if err != nil {
			t.Fatal(err)
		}
		nosock = append(nosock, protocol.PathToURI(r))
		if _, err := startDaemon(bin+"/heddle-sim", r, "--fault", "pidfile-only"); err != nil {
			t.Fatal(err)
		}
		r, err = makeRepo(base, fmt.Sprintf("l%03d", i))
		if err != nil {
			t.Fatal(err)
		}
		live = append(live, protocol.PathToURI(r))
		if _, err := startDaemon(bin+"/heddle-sim", r); err != nil {
			t.Fatal(err)
		}
		r, err = makeRepo(base, fmt.Sprintf("d%03d", i))
		if err != nil {
			t.Fatal(err)
		}
		dead = append(dead, protocol.PathToURI(r))
	}
	rss := func(c *lsptest.Process, stage string) {
		ps, err := readProc(c.PID())
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-32s VmRSS %5.1f MB (anon %5.1f, file %5.1f)  VmHWM %5.1f MB  threads %d", stage,
			float64(ps.RSSKiB)/1024, float64(ps.AnonKiB)/1024, float64(ps.FileKiB)/1024, float64(ps.HWMKiB)/1024, ps.Threads)
	}
	stages := []struct {
		name    string
		folders []string
		state   string
	}{{"no folder", nil, ""}, {"100 folders, no daemon", dead, "stopped"},
		// A live pid with no socket: the link and its exit watch, no gRPC
		// connection — what a ready daemon would cost with its idle
		// connection closed.
		{"100 folders, daemons without socket", nosock, "starting"},
		{"100 folders, 100 live daemons", live, "ready"}}
	for _, st := range stages {
		c, err := startServer(bin+"/heddle-ls", base+"/ls.log")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := initialize(c.Conn, st.folders); err != nil {
			t.Fatal(err)
		}
		for _, u := range st.folders {
			if _, err := waitState(c.Conn, 0, u, st.state); err != nil {
				t.Fatal(err)
			}
		}
		rss(c, st.name)
		c.Close(waitTimeout)
	}

	c := serveInProcess()
	if _, err := initialize(c.Conn, live); err != nil {
		t.Fatal(err)
	}
	for _, u := range live {
		if _, err := waitState(c.Conn, 0, u, "ready"); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("in-process, 100 live: HeapInuse %.1f MB, StackInuse %.1f MB, Sys %.1f MB, goroutines %d",
		float64(ms.HeapInuse)/(1<<20), float64(ms.StackInuse)/(1<<20), float64(ms.Sys)/(1<<20), runtime.NumGoroutine())
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	g, err := os.Create(out + ".goroutines")
	if err != nil {
		t.Fatal(err)
	}
	_ = pprof.Lookup("goroutine").WriteTo(g, 1)
	g.Close()
	_ = closeInProcess(c)
}

// BenchmarkFirstStatuses is figure 4 without the live daemons, in process:
// 1000 folders (a third without a repository) opened at once, every first
// heddle/status awaited.
func BenchmarkFirstStatuses(b *testing.B) {
	base, err := os.MkdirTemp("", "hbf")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(base) })
	var uris []string
	for i := range 1000 {
		dir := filepath.Join(base, fmt.Sprint(i))
		if i%3 == 0 {
			err = os.MkdirAll(dir, 0o755)
		} else {
			_, err = makeRepo(base, fmt.Sprint(i))
		}
		if err != nil {
			b.Fatal(err)
		}
		uris = append(uris, protocol.PathToURI(dir))
	}
	for b.Loop() {
		c := serveInProcess()
		if _, err := initialize(c.Conn, uris); err != nil {
			b.Fatal(err)
		}
		seen := map[string]bool{}
		if _, err := c.Wait(0, waitTimeout, func(m lsptest.Message) bool {
			if st, ok := lsptest.StatusOf(m); ok {
				seen[st.Folder] = true
			}
			return len(seen) == len(uris)
		}); err != nil {
			b.Fatal(err)
		}
		if err := closeInProcess(c); err != nil {
			b.Fatal(err)
		}
	}
}
