// fig_cli.go: figure 10, a query answered through the heddle CLI
// (heddlecli.Runner.Operations: safety checks, spawn in its own process
// group, decode, newest-first) against running the same heddle command
// directly and reading its output.

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/heddlecli"
)

func figCLI(e *env) error {
	root, err := makeRepo(e.base, "cli")
	if err != nil {
		return err
	}
	// heddle-sim acts as heddle when invoked by that name; a symlink keeps
	// a shell out of both measurements.
	link := filepath.Join(e.base, "clibin", "heddle")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return err
	}
	if err := os.Symlink(e.sim, link); err != nil {
		return err
	}
	// heddlecli's Runner passes this process's environment to the CLI, so
	// the release is set here, not on one command, and restored when the
	// figure ends so that later figures start from the environment they
	// were given.
	defer setenv("HEDDLE_SIM_VERSION", "0.13.0")()
	repo, err := heddle.Discover(root)
	if err != nil {
		return err
	}
	r := heddlecli.NewRunner(heddlecli.Options{Setting: link, Timeout: waitTimeout}, nil)
	target := heddlecli.Target{Folder: root, Repo: repo}
	q := heddle.OperationQuery{Limit: 50}
	// The exact command line heddlecli runs for q.
	args := []string{"query", "--limit", "0", "--output", "json", "--no-color", "-C", root}
	ctx := context.Background()
	var through, direct samples
	runDirect := func() (time.Duration, error) {
		t0 := time.Now()
		cmd := exec.Command(link, args...)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil || len(out) == 0 {
			return 0, fmt.Errorf("heddle %v: %v", args, err)
		}
		return time.Since(t0), nil
	}
	runThrough := func() (time.Duration, error) {
		t0 := time.Now()
		ops, err := r.Operations(ctx, target, q)
		if err != nil || len(ops) != 50 {
			return 0, fmt.Errorf("heddlecli Operations: %d hits, %v", len(ops), err)
		}
		return time.Since(t0), nil
	}
	// Interleaved, the order alternating, after warm-up rounds, so drift
	// and cache effects hit both alike.
	for i := -6; i < e.cfg.cliN; i++ {
		first, second := runDirect, runThrough
		if i%2 != 0 {
			first, second = runThrough, runDirect
		}
		a, err := first()
		if err != nil {
			return err
		}
		b, err := second()
		if err != nil {
			return err
		}
		if i%2 != 0 {
			a, b = b, a
		}
		if i >= 0 {
			direct, through = append(direct, a), append(through, b)
		}
	}
	e.add(timed("10", "floor: heddle query --output json run directly (exec, read stdout)", direct),
		func() row {
			r := timed("10", "heddle query through heddlecli (checks, process group, decode, newest 50)", through).
				against("heddle query directly", direct)
			return r.target("≤ 1.1×", r.Ratio <= 1.1)
		}())
	return nil
}

// setenv sets key to value and returns what restores key's previous state
// (unset if it was unset).
func setenv(key, value string) (restore func()) {
	prev, had := os.LookupEnv(key)
	os.Setenv(key, value)
	return func() {
		if had {
			os.Setenv(key, prev)
		} else {
			os.Unsetenv(key)
		}
	}
}
