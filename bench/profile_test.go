// profile_test.go: the server code in-process, for pprof. Not timed tests:
// Go benchmarks to run by hand when a figure misses its target, e.g.
//
//	make build && go test ./bench -run '^$' -bench Operations -cpuprofile /tmp/cpu.out
//	go tool pprof -top /tmp/cpu.out
package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/heddle-ls/heddle-ls/lsp"
)

// inProcess starts the LSP server over a pipe with one folder whose
// heddle-sim (from ../bin) runs with args, and waits until it is ready.
func inProcess(b *testing.B, args ...string) (*client, string) {
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
	b.Cleanup(func() { _ = d.stop() })
	serverEnd, clientEnd := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- lsp.NewServer(lsp.Options{}).Serve(ctx, serverEnd) }()
	c := newClient(clientEnd, clientEnd)
	b.Cleanup(func() {
		_ = c.close()
		cancel()
		clientEnd.Close()
		<-served
	})
	uri := fileURI(root)
	if _, err := c.initialize([]string{uri}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.waitState(0, uri, "ready"); err != nil {
		b.Fatal(err)
	}
	return c, uri
}

func benchOperations(b *testing.B, args ...string) {
	c, uri := inProcess(b, args...)
	params := map[string]any{"command": "heddle.operations", "arguments": []any{uri, map[string]any{"limit": 50}}}
	for b.Loop() {
		if _, _, err := c.rpc("workspace/executeCommand", params); err != nil {
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
		if _, _, err := c.call("bench/echo", nil, waitTimeout); err != nil {
			b.Fatal(err)
		}
	}
}
