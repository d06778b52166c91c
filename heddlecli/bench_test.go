package heddlecli

import (
	"context"
	"os/exec"
	"testing"

	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/internal/simtest"
)

// BenchmarkQuery compares a query through the Runner with running the same
// heddle command directly (bench/fig_cli.go is the figure the README cites;
// this is its quick form: go test -bench Query ./heddlecli).
func BenchmarkQuery(b *testing.B) {
	root := simtest.NewRepo(b)
	link := simtest.LinkCLI(b)
	b.Setenv("HEDDLE_SIM_VERSION", "0.13.0")
	repo, err := heddle.Discover(root)
	if err != nil {
		b.Fatal(err)
	}
	args := []string{"query", "--limit", "0", "--output", "json", "--no-color", "-C", root}
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			cmd := exec.Command(link, args...)
			cmd.Dir = root
			if out, err := cmd.Output(); err != nil || len(out) == 0 {
				b.Fatal(err)
			}
		}
	})
	b.Run("runner", func(b *testing.B) {
		r := NewRunner(Options{Setting: link}, nil)
		t := Target{Folder: root, Repo: repo}
		for b.Loop() {
			if ops, err := r.Operations(context.Background(), t, heddle.OperationQuery{Limit: 50}); err != nil || len(ops) != 50 {
				b.Fatal(len(ops), err)
			}
		}
	})
}
