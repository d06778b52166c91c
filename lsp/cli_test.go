// cli_test.go: every heddle release, end to end through the real binary —
// heddle-sim's CLI as the user's heddle (0.10.1, with an agent daemon; 0.13.0,
// without), routing between daemon and CLI, version-true hints, live
// operations, and the places the CLI must never run.

package lsp_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/heddle-ls/heddle-ls/internal/lsptest"
	"github.com/heddle-ls/heddle-ls/internal/simtest"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// cliSession starts heddle-ls with heddle-sim's CLI as heddle version and
// opens folders.
func cliSession(t *testing.T, version string, folders ...string) (*lsptest.Server, *simtest.CLI) {
	t.Helper()
	cli := simtest.InstallCLI(t, version)
	srv := lsptest.Start(t)
	srv.Initialize(folders, map[string]any{"initializationOptions": map[string]any{"heddlePath": cli.Path}})
	return srv, cli
}

func decode[T any](t *testing.T, m lsptest.Message) T {
	t.Helper()
	return lsptest.Decode[T](t, m)
}

func TestCLI_CurrentHeddleWithoutDaemon(t *testing.T) {
	repo := simtest.NewRepo(t)
	folder := protocol.PathToURI(repo)
	srv, _ := cliSession(t, "0.13.0", folder)
	st := srv.WaitState(folder, "stopped", "no-agent-daemon", wait)
	if st.Health != protocol.HealthOK || st.Queries != protocol.SourceCLI || st.Heddle == nil || st.Heddle.Version != "0.13.0" {
		t.Errorf("status = health %s, queries %s, heddle %+v; want ok, cli, 0.13.0", st.Health, st.Queries, st.Heddle)
	}
	if strings.Contains(st.Message+st.Hint, "agent serve") || st.Hint != "" {
		t.Errorf("a heddle without an agent daemon is told %q / %q", st.Message, st.Hint)
	}
	if !strings.Contains(st.Message, "0.13.0") {
		t.Errorf("message %q does not name the version", st.Message)
	}

	m, _ := srv.ExecuteCommand(wait, protocol.CmdOperations, folder, map[string]any{"limit": 5})
	ops := decode[protocol.OperationsResult](t, m)
	if ops.Source != protocol.SourceCLI || len(ops.Hits) != 5 {
		t.Fatalf("operations = %s, want 5 hits from the cli", m.Raw)
	}
	for i, h := range ops.Hits {
		if i > 0 && h.Seq >= ops.Hits[i-1].Seq {
			t.Errorf("hits not newest first: %d after %d", h.Seq, ops.Hits[i-1].Seq)
		}
		if h.StateRef != "" && (!strings.HasPrefix(h.StateRef, "hs-") || len(h.StateID) != 64) {
			t.Errorf("hit %d: stateRef %q, stateId %q; want hs- and 32 bytes of hex", h.Seq, h.StateRef, h.StateID)
		}
	}
	m, _ = srv.ExecuteCommand(wait, protocol.CmdSignalHealth, folder)
	if sh := decode[protocol.SignalHealthResult](t, m); sh.Source != protocol.SourceCLI || sh.WindowStates == 0 {
		t.Errorf("signal health = %s, want an answer from the cli", m.Raw)
	}
	m, _ = srv.ExecuteCommand(wait, protocol.CmdHooks, folder)
	if h := decode[protocol.HooksResult](t, m); h.Source != protocol.SourceCLI || h.Hooks == nil {
		t.Errorf("hooks = %s, want an answer from the cli", m.Raw)
	}
}

func TestCLI_OldHeddleHintsAndIDs(t *testing.T) {
	repo := simtest.NewRepo(t)
	folder := protocol.PathToURI(repo)
	srv, _ := cliSession(t, "0.10.1", folder)
	st := srv.WaitState(folder, "stopped", "no-pidfile", wait)
	if !strings.Contains(st.Hint, "heddle agent serve --foreground") || st.Health != protocol.HealthOK || st.Queries != protocol.SourceCLI {
		t.Errorf("0.10.1 stopped = hint %q, health %s, queries %s; want the --foreground start hint, ok, cli", st.Hint, st.Health, st.Queries)
	}
	m, _ := srv.ExecuteCommand(wait, protocol.CmdOperations, folder, map[string]any{"limit": 3})
	ops := decode[protocol.OperationsResult](t, m)
	found := false
	for _, h := range ops.Hits {
		if h.StateRef != "" {
			found = true
			if !strings.HasPrefix(h.StateRef, "hd-") || len(h.StateID) != 32 {
				t.Errorf("0.10.1 hit: stateRef %q stateId %q; want hd- (change_id) and 16 bytes", h.StateRef, h.StateID)
			}
		}
	}
	if !found {
		t.Errorf("no hit carried a change_id: %s", m.Raw)
	}
}

func TestCLI_DaemonStartAndStopMoveTheQueries(t *testing.T) {
	repo := simtest.NewRepo(t)
	folder := protocol.PathToURI(repo)
	srv, _ := cliSession(t, "0.10.1", folder)
	srv.WaitState(folder, "stopped", "", wait)

	mark := srv.Len()
	d := simtest.Start(t, repo, "--log-level", "warn")
	st := srv.WaitStateFrom(mark, folder, "ready", "", wait)
	if st.Queries != protocol.SourceDaemon {
		t.Errorf("ready daemon: queries %s, want daemon", st.Queries)
	}
	m, _ := srv.ExecuteCommand(wait, protocol.CmdOperations, folder, map[string]any{"limit": 2})
	if ops := decode[protocol.OperationsResult](t, m); ops.Source != protocol.SourceDaemon {
		t.Errorf("operations with a ready daemon came from %q", ops.Source)
	}

	mark = srv.Len()
	if err := d.Interrupt(); err != nil {
		t.Fatal(err)
	}
	st = srv.WaitStateFrom(mark, folder, "stopped", "", wait)
	if st.Queries != protocol.SourceCLI || st.Health != protocol.HealthOK {
		t.Errorf("after SIGINT: queries %s health %s, want cli, ok", st.Queries, st.Health)
	}
	// The daemon stopping while the CLI answers is not worth a message.
	for _, m := range srv.Messages()[mark:] {
		if m.Method == "window/showMessage" {
			t.Errorf("showMessage after the daemon stopped with the CLI answering: %s", m.Raw)
		}
	}
	m, _ = srv.ExecuteCommand(wait, protocol.CmdOperations, folder, map[string]any{"limit": 2})
	if ops := decode[protocol.OperationsResult](t, m); ops.Source != protocol.SourceCLI {
		t.Errorf("operations after the daemon stopped came from %q", ops.Source)
	}
}

func TestCLI_AppendedOperationArrivesLive(t *testing.T) {
	repo := simtest.NewRepo(t)
	folder := protocol.PathToURI(repo)
	srv, _ := cliSession(t, "0.13.0", folder)
	srv.WaitState(folder, "stopped", "", wait)
	head := simtest.Append(t, repo, "0.13.0", 1, "--verb", "snapshot")
	srv.WaitFor("operationsChanged for the append", wait, func(m lsptest.Message) bool {
		var p protocol.OperationsChangedParams
		return m.Method == protocol.MethodOperationsChanged && json.Unmarshal(m.Params, &p) == nil &&
			p.Folder == folder && p.HeadID != nil && *p.HeadID == head
	})
	r, _ := srv.ExecuteCommand(wait, protocol.CmdOperations, folder, map[string]any{"limit": 1})
	if ops := decode[protocol.OperationsResult](t, r); len(ops.Hits) != 1 || ops.Hits[0].Verb != "snapshot" {
		t.Errorf("the newest operation after the append: %s", r.Raw)
	}
}

// runsIn reports the logged CLI calls that ran in a repository (every
// call but --version, which runs in /).
func runsIn(calls []simtest.Call) []simtest.Call {
	var out []simtest.Call
	for _, c := range calls {
		args := c.Argv
		if len(args) > 0 && filepath.Base(args[0]) == "heddle" {
			args = args[1:] // the program's own name
		}
		if len(args) > 0 && (args[0] == "--version" || args[0] == "-V") {
			continue
		}
		out = append(out, c)
	}
	return out
}

// The places where heddle would write what it should not (a nested plain
// Git root it would bootstrap; a pending clone it would resume over the
// network): the CLI never runs there, and the folder says why.
func TestCLI_NeverRunsWhereItCouldWrite(t *testing.T) {
	repo := simtest.NewRepo(t)
	nested := filepath.Join(repo, "vendor", "lib")
	if err := os.MkdirAll(filepath.Join(nested, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	cloning := simtest.NewRepo(t)
	if err := os.WriteFile(filepath.Join(cloning, ".heddle", "clone-intent.toml"), []byte("remote = \"x\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fNested, fCloning := protocol.PathToURI(nested), protocol.PathToURI(cloning)
	srv, cli := cliSession(t, "0.13.0", fNested, fCloning)
	for _, f := range []string{fNested, fCloning} {
		st := srv.WaitState(f, "stopped", "", wait)
		if st.Queries != protocol.SourceNone || st.Health != protocol.HealthWarning || st.Hint == "" {
			t.Errorf("%s: queries %s, health %s, hint %q; want none, warning and why", f, st.Queries, st.Health, st.Hint)
		}
		m, _ := srv.ExecuteCommand(wait, protocol.CmdOperations, f)
		if m.Error == nil || m.Error.Code != -32803 {
			t.Errorf("operations on %s = %s, want -32803", f, m.Raw)
		}
		srv.ExecuteCommand(wait, protocol.CmdHooks, f)
		srv.ExecuteCommand(wait, protocol.CmdSignalHealth, f)
	}
	if calls := runsIn(cli.Calls(t)); len(calls) != 0 {
		t.Fatalf("the CLI ran where it must not: %+v", calls)
	}
}

// heddlePath "off": the CLI is never run, not even for its version.
func TestCLI_OffNeverRuns(t *testing.T) {
	repo := simtest.NewRepo(t)
	folder := protocol.PathToURI(repo)
	cli := simtest.InstallCLI(t, "0.13.0")
	t.Setenv("PATH", cli.Dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	srv := lsptest.Start(t)
	srv.Initialize([]string{folder}, map[string]any{"initializationOptions": map[string]any{"heddlePath": "off"}})
	st := srv.WaitState(folder, "stopped", "", wait)
	if st.Heddle != nil || st.Queries != protocol.SourceNone {
		t.Errorf("heddlePath off: heddle %+v, queries %s", st.Heddle, st.Queries)
	}
	srv.ExecuteCommand(wait, protocol.CmdOperations, folder)
	if calls := cli.Calls(t); len(calls) != 0 {
		t.Fatalf("heddlePath off, and heddle ran: %+v", calls)
	}
}

// $/cancelRequest on a query the CLI is answering kills the CLI, its
// children and theirs (its process group), and answers -32800 at once.
func TestCLI_CancelKillsTheProcessGroup(t *testing.T) {
	repo := simtest.NewRepo(t)
	folder := protocol.PathToURI(repo)
	pids := filepath.Join(t.TempDir(), "pids")
	cli := simtest.InstallCLI(t, "0.13.0", "HEDDLE_SIM_CLI_FAULT=hang-tree", "HEDDLE_SIM_CLI_PIDS="+pids)
	srv := lsptest.Start(t)
	// A long deadline: only the cancel may end the query.
	srv.Initialize([]string{folder}, map[string]any{"initializationOptions": map[string]any{
		"heddlePath": cli.Path, "queryTimeoutMs": 60000}})
	srv.WaitState(folder, "stopped", "no-agent-daemon", wait)
	id := srv.Call("workspace/executeCommand", map[string]any{"command": protocol.CmdOperations, "arguments": []any{folder}})
	var tree []int
	if !simtest.Eventually(wait, func() bool {
		tree = readPids(t, pids)
		return len(tree) == 3 // the CLI, its child, its grandchild
	}) {
		t.Fatalf("the CLI's process tree never came up: %v", tree)
	}
	srv.Cancel(id)
	m, ok := srv.Response(id, wait)
	if !ok || m.Error == nil || m.Error.Code != -32800 {
		t.Fatalf("cancelled query answered %s, want -32800", m.Raw)
	}
	for _, pid := range tree {
		if !simtest.Eventually(wait, func() bool { return syscall.Kill(pid, 0) != nil }) {
			t.Errorf("pid %d of the CLI's tree outlived the cancel", pid)
		}
	}
}

func readPids(t *testing.T, path string) []int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(string(data)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}
