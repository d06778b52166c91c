package simtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/heddle-ls/heddle-ls/internal/sim"
)

// CLI is heddle-sim's heddle CLI installed as a program named heddle, as a
// release of heddle (internal/sim/cli.go): Path is an executable wrapper
// script that fixes the release and any extra environment, and logs every
// invocation to Log.
type CLI struct {
	Path    string // <dir>/heddle: use it as heddlePath, or put Dir on PATH
	Dir     string
	Version string
	Log     string // one JSON line per invocation
}

// InstallCLI installs heddle-sim's CLI as heddle version; env entries
// ("HEDDLE_SIM_CLI_FAULT=hang", …) are baked into the wrapper as well.
func InstallCLI(tb testing.TB, version string, env ...string) *CLI {
	tb.Helper()
	dir := ShortDir(tb)
	c := &CLI{Path: filepath.Join(dir, "heddle"), Dir: dir, Version: version, Log: filepath.Join(dir, "calls.log")}
	var script strings.Builder
	script.WriteString("#!/bin/sh\n")
	for _, kv := range append([]string{"HEDDLE_SIM_VERSION=" + version, "HEDDLE_SIM_CLI_LOG=" + c.Log}, env...) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			tb.Fatalf("simtest: env entry %q is not KEY=VALUE", kv)
		}
		fmt.Fprintf(&script, "%s=%s; export %s\n", k, shellQuote(v), k)
	}
	fmt.Fprintf(&script, "exec %s cli \"$@\"\n", shellQuote(BinaryPath(tb)))
	if err := os.WriteFile(c.Path, []byte(script.String()), 0o755); err != nil {
		tb.Fatalf("simtest: install heddle CLI: %v", err)
	}
	return c
}

// LinkCLI makes a directory holding heddle, a symlink to heddle-sim (which
// then acts as the CLI, steered by the caller's environment: no shell in
// between). It returns the symlink's path.
func LinkCLI(tb testing.TB) string {
	tb.Helper()
	p := filepath.Join(ShortDir(tb), "heddle")
	if err := os.Symlink(BinaryPath(tb), p); err != nil {
		tb.Fatalf("simtest: link heddle: %v", err)
	}
	return p
}

// Call is one logged invocation of the CLI: the line the CLI writes.
type Call = sim.CLICall

// Calls returns every invocation logged so far.
func (c *CLI) Calls(tb testing.TB) []Call {
	tb.Helper()
	data, err := os.ReadFile(c.Log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		tb.Fatalf("simtest: read CLI log: %v", err)
	}
	var calls []Call
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var call Call
		if err := json.Unmarshal(sc.Bytes(), &call); err != nil {
			tb.Fatalf("simtest: CLI log line %q: %v", sc.Text(), err)
		}
		calls = append(calls, call)
	}
	return calls
}

// ClearCalls empties the invocation log.
func (c *CLI) ClearCalls(tb testing.TB) {
	tb.Helper()
	if err := os.Remove(c.Log); err != nil && !os.IsNotExist(err) {
		tb.Fatalf("simtest: clear CLI log: %v", err)
	}
}

// Append runs `heddle-sim append` (a separate process, publishing the oplog
// with real renames, as heddle version does) on repo and returns the new
// head id. args are further append flags (--verb, --actor, …).
func Append(tb testing.TB, repo, version string, count int, args ...string) uint64 {
	tb.Helper()
	cmd := exec.Command(BinaryPath(tb), append([]string{"append", "--repo", repo,
		"--heddle-version", version, "--count", strconv.Itoa(count)}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("simtest: heddle-sim append: %v\n%s", err, stderr.String())
	}
	head, err := strconv.ParseUint(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		tb.Fatalf("simtest: heddle-sim append printed %q", out)
	}
	return head
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
