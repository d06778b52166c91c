package lsp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
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
		dir := filepath.Join(base, itoa(i))
		if err := os.MkdirAll(filepath.Join(dir, ".heddle", "objects"), 0o755); err != nil {
			b.Fatal(err)
		}
		folders[i] = map[string]string{"uri": pathToURI(dir), "name": itoa(i)}
	}
	for b.Loop() {
		c := newTestClient(b, Options{})
		r := c.request("initialize", map[string]any{"capabilities": map[string]any{}, "workspaceFolders": folders})
		if r.Error != nil {
			b.Fatal(r.raw)
		}
		start := time.Now()
		c.notify("initialized", map[string]any{})
		seen := map[string]bool{}
		c.waitFor("all statuses", func(m message) bool {
			var p StatusParams
			if m.Method == MethodStatus && json.Unmarshal(m.Params, &p) == nil {
				seen[p.Folder] = true
			}
			return len(seen) == n
		})
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/all-reported")
		c.shutdownAndExit()
	}
}
