package lsp_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/lsptest"
	"github.com/heddle-ls/heddle-ls/internal/simtest"
	"github.com/heddle-ls/heddle-ls/lsp"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// quietFor reports whether no more than after messages matching match
// arrive within d — a bounded check that something does NOT happen.
func quietFor(c *lsptest.InProcess, d time.Duration, after int, match func(lsptest.Message) bool) bool {
	seen := 0
	_, found := c.WaitWithin(d, func(m lsptest.Message) bool {
		if !match(m) {
			return false
		}
		seen++
		return seen > after
	})
	return !found
}

func isStatusFor(folder string) func(lsptest.Message) bool {
	return func(m lsptest.Message) bool {
		p, ok := lsptest.StatusOf(m)
		return ok && p.Folder == folder
	}
}

func TestStatus_OnePerFolderAfterInitialized(t *testing.T) {
	plain := simtest.ShortDir(t) // no heddle repo
	stopped := newRepo(t)
	ready := newRepo(t)
	sim := startSim(t, ready)

	c := newClient(t, lsp.Options{})
	folders := []string{protocol.PathToURI(plain), protocol.PathToURI(stopped), protocol.PathToURI(ready)}
	resp, _ := c.Request(wait, "initialize", map[string]any{"capabilities": map[string]any{},
		"workspaceFolders": []map[string]string{{"uri": folders[0], "name": "a"}, {"uri": folders[1], "name": "b"}, {"uri": folders[2], "name": "c"}}})
	if resp.Error != nil {
		t.Fatal(resp.Raw)
	}
	// Nothing before initialized.
	if !quietFor(c, 100*time.Millisecond, 0, func(m lsptest.Message) bool { return m.Method == protocol.MethodStatus }) {
		t.Fatalf("heddle/status sent before initialized:\n%s", c.Transcript())
	}
	c.Notify("initialized", map[string]any{})

	nr := c.WaitState(folders[0], "no-repo", "", wait)
	if nr.HeddleDir != "" || nr.PID != 0 || nr.Message == "" || nr.Reason == "" {
		t.Errorf("no-repo status = %+v", nr)
	}
	st := c.WaitState(folders[1], "stopped", "", wait)
	if st.HeddleDir != filepath.Join(stopped, ".heddle") || st.Root != stopped || st.Hint == "" {
		t.Errorf("stopped status = %+v (want heddleDir, root and a hint)", st)
	}
	rd := c.WaitState(folders[2], "ready", "", wait)
	if rd.PID != sim.PID() || rd.Socket != filepath.Join(ready, ".heddle", "sockets", "grpc.sock") ||
		rd.API != "heddle.v1" || rd.Root != ready || rd.Reason == "" {
		t.Errorf("ready status = %+v (sim pid %d)", rd, sim.PID())
	}
	since, err := time.Parse(time.RFC3339, rd.Since)
	if err != nil || since.Location() != time.UTC || rd.Since[len(rd.Since)-1] != 'Z' {
		t.Errorf("since %q is not RFC 3339 UTC: %v", rd.Since, err)
	}
	// Exactly one each: nothing changes, so nothing more may come.
	for _, f := range folders {
		if !quietFor(c, 300*time.Millisecond, 1, isStatusFor(f)) {
			t.Errorf("more than one heddle/status for %s:\n%s", f, c.Transcript())
		}
	}
	// pid is a JSON number on the wire.
	m := c.WaitFor("ready raw", wait, func(m lsptest.Message) bool {
		return m.Method == protocol.MethodStatus && json.Valid(m.Params) && strings.Contains(m.Raw, `"state":"ready"`)
	})
	if !strings.Contains(m.Raw, `"pid":`+strconv.Itoa(sim.PID())) {
		t.Errorf("pid not a JSON number: %s", m.Raw)
	}
}

func TestStatus_Transitions(t *testing.T) {
	repo := newRepo(t)
	sim := startSim(t, repo)
	c := newClient(t, lsp.Options{})
	folder := protocol.PathToURI(repo)
	c.Initialize([]string{folder}, nil)
	first := c.WaitState(folder, "ready", "", wait)
	if first.PID != sim.PID() {
		t.Fatalf("ready pid %d, want %d", first.PID, sim.PID())
	}

	// SIGINT: heddle removes its files → stopped.
	mark := c.Len()
	interrupt(t, sim)
	c.WaitStateFrom(mark, folder, "stopped", "", wait)

	// A new daemon → ready with the new pid.
	mark = c.Len()
	sim2 := startSim(t, repo)
	again := c.WaitStateFrom(mark, folder, "ready", "", wait)
	if again.PID != sim2.PID() || again.PID == first.PID {
		t.Errorf("ready again with pid %d, want the new daemon's %d", again.PID, sim2.PID())
	}

	// SIGKILL leaves the files behind → stale.
	mark = c.Len()
	sim2.Kill()
	stale := c.WaitStateFrom(mark, folder, "stale", "", wait)
	if stale.PID != sim2.PID() {
		t.Errorf("stale pid %d, want %d", stale.PID, sim2.PID())
	}
	// Never the same status twice in a row.
	sts := c.Statuses(folder)
	for i := 1; i < len(sts); i++ {
		if sts[i-1].Same(sts[i]) {
			t.Errorf("status %d repeats %d: %+v", i, i-1, sts[i])
		}
	}
}

func TestStatus_WorktreeSharesHeddleDir(t *testing.T) {
	main := newRepo(t)
	wt := simtest.ShortDir(t)
	if err := os.MkdirAll(filepath.Join(wt, ".heddle"), 0o755); err != nil {
		t.Fatal(err)
	}
	pointer := "objectstore: " + filepath.Join(main, ".heddle") + "\nsource-authority: native\n"
	if err := os.WriteFile(filepath.Join(wt, ".heddle", "objectstore"), []byte(pointer), 0o644); err != nil {
		t.Fatal(err)
	}
	sim := startSim(t, main)
	c := newClient(t, lsp.Options{})
	fm, fw := protocol.PathToURI(main), protocol.PathToURI(wt)
	c.Initialize([]string{fm, fw}, nil)
	a := c.WaitState(fm, "ready", "", wait)
	b := c.WaitState(fw, "ready", "", wait)
	if a.HeddleDir != b.HeddleDir || a.PID != sim.PID() || b.PID != sim.PID() {
		t.Errorf("worktree and main differ: %+v vs %+v", a, b)
	}
	if a.Root != main || b.Root != wt {
		t.Errorf("roots = %q, %q; want %q, %q", a.Root, b.Root, main, wt)
	}
	// A folder inside the repo resolves to its folder for commands.
	got := lsptest.Decode[[]protocol.StatusParams](t, run(c, protocol.CmdStatus, filepath.Join(wt, "src", "x.go")))
	if len(got) != 1 || got[0].Folder != fw {
		t.Errorf("status of a path inside the worktree = %+v", got)
	}
}

func TestFolders_AddAndRemove(t *testing.T) {
	r1, r2 := newRepo(t), newRepo(t)
	sim1 := startSim(t, r1)
	f1, f2 := protocol.PathToURI(r1), protocol.PathToURI(r2)
	c := newClient(t, lsp.Options{})
	c.Initialize([]string{f1}, nil)
	c.WaitState(f1, "ready", "", wait)

	c.Notify("workspace/didChangeWorkspaceFolders", map[string]any{"event": map[string]any{
		"added": []map[string]string{{"uri": f2, "name": "two"}}, "removed": []any{}}})
	c.WaitState(f2, "stopped", "", wait)

	c.Notify("workspace/didChangeWorkspaceFolders", map[string]any{"event": map[string]any{
		"added": []any{}, "removed": []map[string]string{{"uri": f1, "name": "one"}}}})
	// Barrier: once heddle.status answers, the removal has been handled.
	got := lsptest.Decode[[]protocol.StatusParams](t, run(c, protocol.CmdStatus))
	if len(got) != 1 || got[0].Folder != f2 {
		t.Fatalf("folders after removal = %+v", got)
	}
	n := len(c.Statuses(f1))
	interrupt(t, sim1)
	// f2's daemon starts: its status proves events still flow...
	startSim(t, r2)
	c.WaitState(f2, "ready", "", wait)
	// ...while the removed folder got nothing more.
	if len(c.Statuses(f1)) != n {
		t.Errorf("removed folder still notified:\n%s", c.Transcript())
	}
	if r := run(c, protocol.CmdHooks, f1); r.Error == nil || r.Error.Code != -32602 {
		t.Errorf("command on a removed folder: want -32602, got %s", r.Raw)
	}
}

func TestServerStatus_OnlyWhenDeclaredAndAggregates(t *testing.T) {
	repo := newRepo(t)
	sim := startSim(t, repo)
	folder := protocol.PathToURI(repo)

	plain := newClient(t, lsp.Options{})
	plain.Initialize([]string{folder}, nil)
	plain.WaitState(folder, "ready", "", wait)

	c := newClient(t, lsp.Options{})
	c.Initialize([]string{folder}, map[string]any{"capabilities": map[string]any{
		"experimental": map[string]any{"serverStatusNotification": true}}})
	c.WaitState(folder, "ready", "", wait)
	c.WaitFor("serverStatus ok+quiescent", wait, func(m lsptest.Message) bool {
		var p protocol.ServerStatusParams
		return m.Method == protocol.MethodServerStatus && json.Unmarshal(m.Params, &p) == nil && p.Quiescent && p.Health == "ok"
	})
	interrupt(t, sim)
	c.WaitFor("serverStatus warning after stop", wait, func(m lsptest.Message) bool {
		var p protocol.ServerStatusParams
		return m.Method == protocol.MethodServerStatus && json.Unmarshal(m.Params, &p) == nil && p.Health == "warning" && p.Quiescent
	})
	if n := plain.Count(func(m lsptest.Message) bool { return m.Method == protocol.MethodServerStatus }); n != 0 {
		t.Errorf("serverStatus sent to a client that did not declare it (%d)", n)
	}
}

func TestStatus_HungDaemonDelaysNoOtherFolder(t *testing.T) {
	hung, fine := newRepo(t), newRepo(t)
	startSim(t, hung, "--fault", "hang-health")
	startSim(t, fine)
	fh, ff := protocol.PathToURI(hung), protocol.PathToURI(fine)
	c := newClient(t, lsp.Options{})
	start := time.Now()
	c.Initialize([]string{fh, ff}, map[string]any{"initializationOptions": map[string]any{"healthTimeoutMs": 2000}})
	c.WaitState(ff, "ready", "", wait)
	if el := time.Since(start); el > 1500*time.Millisecond {
		t.Errorf("ready folder reported after %v, behind a hung daemon with a 2 s health timeout", el)
	}
	// And a command on the fine folder answers meanwhile.
	if r := run(c, protocol.CmdHooks, ff); r.Error != nil {
		t.Errorf("hooks on the fine folder: %s", r.Raw)
	}
}

// A folder added later in an already tracked repository gets its first
// status from Track's answer: no probe event will come for it.
func TestFolders_SecondFolderOfTrackedRepo(t *testing.T) {
	repo := newRepo(t)
	sim := startSim(t, repo)
	sub := filepath.Join(repo, "sub")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, lsp.Options{})
	f1, f2 := protocol.PathToURI(repo), protocol.PathToURI(sub)
	c.Initialize([]string{f1}, nil)
	c.WaitState(f1, "ready", "", wait)
	c.Notify("workspace/didChangeWorkspaceFolders", map[string]any{"event": map[string]any{
		"added": []map[string]string{{"uri": f2, "name": "sub"}}, "removed": []any{}}})
	got := c.WaitState(f2, "ready", "", wait)
	if got.PID != sim.PID() || got.Root != repo {
		t.Errorf("second folder's status = %+v", got)
	}
	if !quietFor(c, 200*time.Millisecond, 1, isStatusFor(f2)) {
		t.Errorf("second folder got more than one status:\n%s", c.Transcript())
	}
}

// heddle.refresh looks again for a repository above a no-repo folder.
func TestRefresh_RediscoversNewRepository(t *testing.T) {
	dir := simtest.ShortDir(t)
	c := newClient(t, lsp.Options{})
	folder := protocol.PathToURI(dir)
	c.Initialize([]string{folder}, nil)
	c.WaitState(folder, "no-repo", "", wait)
	if err := os.MkdirAll(filepath.Join(dir, ".heddle", "objects"), 0o755); err != nil {
		t.Fatal(err)
	}
	got := lsptest.Decode[[]protocol.StatusParams](t, run(c, protocol.CmdRefresh, folder))
	if len(got) != 1 || got[0].State != "stopped" || got[0].HeddleDir != filepath.Join(dir, ".heddle") {
		t.Fatalf("refresh after heddle init = %+v", got)
	}
	c.WaitState(folder, "stopped", "", wait)
}

// 200 workspace folders, 20 of them with a live daemon: every folder gets
// exactly one status, the right one.
func TestStatus_TwoHundredFolders(t *testing.T) {
	const n, live = 200, 20
	var folders []map[string]string
	want := map[string]string{}
	for i := range n {
		var repo, state string
		switch {
		case i < live:
			repo, state = newRepo(t), "ready"
			startSim(t, repo)
		case i%3 == 0:
			repo, state = simtest.ShortDir(t), "no-repo"
		default:
			repo, state = newRepo(t), "stopped"
		}
		uri := protocol.PathToURI(repo)
		folders = append(folders, map[string]string{"uri": uri, "name": strconv.Itoa(i)})
		want[uri] = state
	}
	c := newClient(t, lsp.Options{})
	// The default deadlines: 20 first probes at once on a loaded machine
	// (the race detector, parallel test packages) miss them now and then,
	// and a timeout that is not confirmed must never be shown (docs/LSP.md):
	// each live folder's one status is ready, and no message is shown.
	if resp, _ := c.Request(wait, "initialize", map[string]any{"capabilities": map[string]any{}, "workspaceFolders": folders}); resp.Error != nil {
		t.Fatal(resp.Raw)
	}
	c.Notify("initialized", map[string]any{})
	reported := map[string]bool{}
	c.WaitFor("a status for every folder", wait, func(m lsptest.Message) bool {
		if p, ok := lsptest.StatusOf(m); ok && want[p.Folder] != "" {
			reported[p.Folder] = true
		}
		return len(reported) == len(want)
	})
	for uri, state := range want {
		got := c.Statuses(uri)
		if len(got) != 1 || got[0].State != state {
			t.Errorf("%s: statuses %+v, want one %s", uri, got, state)
		}
	}
	for _, m := range c.Messages() {
		if m.Method == "window/showMessage" {
			t.Errorf("a message on the way to ready: %s", m.Raw)
		}
	}
}
