package lsp_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/lsptest"
	"github.com/heddle-ls/heddle-ls/lsp"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// BenchmarkFoldersReported measures, per iteration, the time from
// initialized until every one of 1000 folders (each its own repository,
// no daemon) has had its first heddle/status. Target: 250 ms.
func BenchmarkFoldersReported(b *testing.B) {
	const n = 1000
	base, err := os.MkdirTemp("", "hlsb")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(base)
	folders := make([]map[string]string, n)
	for i := range n {
		dir := filepath.Join(base, strconv.Itoa(i))
		if err := os.MkdirAll(filepath.Join(dir, ".heddle", "objects"), 0o755); err != nil {
			b.Fatal(err)
		}
		folders[i] = map[string]string{"uri": protocol.PathToURI(dir), "name": strconv.Itoa(i)}
	}
	for b.Loop() {
		c := newClient(b, lsp.Options{})
		if r, _ := c.Request(wait, "initialize", map[string]any{"capabilities": map[string]any{}, "workspaceFolders": folders}); r.Error != nil {
			b.Fatal(r.Raw)
		}
		start := time.Now()
		c.Notify("initialized", map[string]any{})
		seen := map[string]bool{}
		c.WaitFor("all statuses", wait, func(m lsptest.Message) bool {
			if p, ok := lsptest.StatusOf(m); ok {
				seen[p.Folder] = true
			}
			return len(seen) == n
		})
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/all-reported")
		c.Shutdown()
		c.Served()
	}
}
