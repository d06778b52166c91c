package lsp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// quietFor reports whether no message matching match arrives within d —
// a bounded check that something does NOT happen.
func (c *testClient) quietFor(d time.Duration, after int, match func(message) bool) bool {
	seen := 0
	_, found := c.waitForWithin(d, func(m message) bool {
		if !match(m) {
			return false
		}
		seen++
		return seen > after
	})
	return !found
}

func isStatusFor(folder string) func(message) bool {
	return func(m message) bool {
		var p StatusParams
		return m.Method == MethodStatus && json.Unmarshal(m.Params, &p) == nil && p.Folder == folder
	}
}

func TestStatus_OnePerFolderAfterInitialized(t *testing.T) {
	plain := newRepoDir(t) // no heddle repo
	stopped := newRepo(t)
	ready := newRepo(t)
	sim := startSim(t, ready)
	sim.waitReady(t)

	c := newTestClient(t, Options{})
	folders := []string{pathToURI(plain), pathToURI(stopped), pathToURI(ready)}
	resp := c.request("initialize", map[string]any{"capabilities": map[string]any{},
		"workspaceFolders": []map[string]string{{"uri": folders[0], "name": "a"}, {"uri": folders[1], "name": "b"}, {"uri": folders[2], "name": "c"}}})
	if resp.Error != nil {
		t.Fatal(resp.raw)
	}
	// Nothing before initialized.
	if !c.quietFor(100*time.Millisecond, 0, func(m message) bool { return m.Method == MethodStatus }) {
		t.Fatalf("heddle/status sent before initialized:\n%s", c.transcript())
	}
	c.notify("initialized", map[string]any{})

	nr := c.waitStatus(folders[0], "no-repo")
	if nr.HeddleDir != "" || nr.PID != 0 || nr.Message == "" || nr.Reason == "" {
		t.Errorf("no-repo status = %+v", nr)
	}
	st := c.waitStatus(folders[1], "stopped")
	if st.HeddleDir != filepath.Join(stopped, ".heddle") || st.Root != stopped || st.Hint == "" {
		t.Errorf("stopped status = %+v (want heddleDir, root and a hint)", st)
	}
	rd := c.waitStatus(folders[2], "ready")
	if rd.PID != sim.pid() || rd.Socket != filepath.Join(ready, ".heddle", "sockets", "grpc.sock") ||
		rd.API != "heddle.v1" || rd.Root != ready || rd.Reason == "" {
		t.Errorf("ready status = %+v (sim pid %d)", rd, sim.pid())
	}
	since, err := time.Parse(time.RFC3339, rd.Since)
	if err != nil || since.Location() != time.UTC || rd.Since[len(rd.Since)-1] != 'Z' {
		t.Errorf("since %q is not RFC 3339 UTC: %v", rd.Since, err)
	}
	// Exactly one each: nothing changes, so nothing more may come.
	for _, f := range folders {
		if !c.quietFor(300*time.Millisecond, 1, isStatusFor(f)) {
			t.Errorf("more than one heddle/status for %s:\n%s", f, c.transcript())
		}
	}
	// pid is a JSON number on the wire.
	m := c.waitFor("ready raw", func(m message) bool {
		return m.Method == MethodStatus && json.Valid(m.Params) && strings.Contains(m.raw, `"state":"ready"`)
	})
	if !strings.Contains(m.raw, `"pid":`+itoa(sim.pid())) {
		t.Errorf("pid not a JSON number: %s", m.raw)
	}
}

func TestStatus_Transitions(t *testing.T) {
	repo := newRepo(t)
	sim := startSim(t, repo)
	c := newTestClient(t, Options{})
	folder := pathToURI(repo)
	c.initialize([]string{folder}, nil)
	first := c.waitStatus(folder, "ready")
	if first.PID != sim.pid() {
		t.Fatalf("ready pid %d, want %d", first.PID, sim.pid())
	}
	n := len(c.statuses(folder))

	// SIGINT: heddle removes its files → stopped.
	sim.stop(t, syscall.SIGINT)
	c.waitStatusAfter(folder, n, "stopped")
	n = len(c.statuses(folder))

	// A new daemon → ready with the new pid.
	sim2 := startSim(t, repo)
	again := c.waitStatusAfter(folder, n, "ready")
	if again.PID != sim2.pid() || again.PID == first.PID {
		t.Errorf("ready again with pid %d, want the new daemon's %d", again.PID, sim2.pid())
	}
	n = len(c.statuses(folder))

	// SIGKILL leaves the files behind → stale.
	sim2.stop(t, syscall.SIGKILL)
	stale := c.waitStatusAfter(folder, n, "stale")
	if stale.PID != sim2.pid() {
		t.Errorf("stale pid %d, want %d", stale.PID, sim2.pid())
	}
	// Never the same status twice in a row.
	sts := c.statuses(folder)
	for i := 1; i < len(sts); i++ {
		a, b := sts[i-1], sts[i]
		a.Since, b.Since = "", ""
		if a == b {
			t.Errorf("status %d repeats %d: %+v", i, i-1, b)
		}
	}
}

func TestStatus_WorktreeSharesHeddleDir(t *testing.T) {
	main := newRepo(t)
	wt := newRepoDir(t)
	if err := os.MkdirAll(filepath.Join(wt, ".heddle"), 0o755); err != nil {
		t.Fatal(err)
	}
	pointer := "objectstore: " + filepath.Join(main, ".heddle") + "\nsource-authority: native\n"
	if err := os.WriteFile(filepath.Join(wt, ".heddle", "objectstore"), []byte(pointer), 0o644); err != nil {
		t.Fatal(err)
	}
	sim := startSim(t, main)
	c := newTestClient(t, Options{})
	fm, fw := pathToURI(main), pathToURI(wt)
	c.initialize([]string{fm, fw}, nil)
	a := c.waitStatus(fm, "ready")
	b := c.waitStatus(fw, "ready")
	if a.HeddleDir != b.HeddleDir || a.PID != sim.pid() || b.PID != sim.pid() {
		t.Errorf("worktree and main differ: %+v vs %+v", a, b)
	}
	if a.Root != main || b.Root != wt {
		t.Errorf("roots = %q, %q; want %q, %q", a.Root, b.Root, main, wt)
	}
	// A folder inside the repo resolves to its folder for commands.
	r := c.executeCommand(CmdStatus, filepath.Join(wt, "src", "x.go"))
	got := decode[[]StatusParams](t, r)
	if len(got) != 1 || got[0].Folder != fw {
		t.Errorf("status of a path inside the worktree = %+v", got)
	}
}

func TestFolders_AddAndRemove(t *testing.T) {
	r1, r2 := newRepo(t), newRepo(t)
	sim1 := startSim(t, r1)
	f1, f2 := pathToURI(r1), pathToURI(r2)
	c := newTestClient(t, Options{})
	c.initialize([]string{f1}, nil)
	c.waitStatus(f1, "ready")

	c.notify("workspace/didChangeWorkspaceFolders", map[string]any{"event": map[string]any{
		"added": []map[string]string{{"uri": f2, "name": "two"}}, "removed": []any{}}})
	c.waitStatus(f2, "stopped")

	c.notify("workspace/didChangeWorkspaceFolders", map[string]any{"event": map[string]any{
		"added": []any{}, "removed": []map[string]string{{"uri": f1, "name": "one"}}}})
	// Barrier: once heddle.status answers, the removal has been handled.
	got := decode[[]StatusParams](t, c.executeCommand(CmdStatus))
	if len(got) != 1 || got[0].Folder != f2 {
		t.Fatalf("folders after removal = %+v", got)
	}
	n := len(c.statuses(f1))
	sim1.stop(t, syscall.SIGINT)
	// f2's daemon starts: its status proves events still flow...
	startSim(t, r2)
	c.waitStatus(f2, "ready")
	// ...while the removed folder got nothing more.
	if len(c.statuses(f1)) != n {
		t.Errorf("removed folder still notified:\n%s", c.transcript())
	}
	if r := c.executeCommand(CmdHooks, f1); r.Error == nil || r.Error.Code != -32602 {
		t.Errorf("command on a removed folder: want -32602, got %s", r.raw)
	}
}

func TestServerStatus_OnlyWhenDeclaredAndAggregates(t *testing.T) {
	repo := newRepo(t)
	sim := startSim(t, repo)
	folder := pathToURI(repo)

	plain := newTestClient(t, Options{})
	plain.initialize([]string{folder}, nil)
	plain.waitStatus(folder, "ready")

	c := newTestClient(t, Options{})
	c.initialize([]string{folder}, map[string]any{"capabilities": map[string]any{
		"experimental": map[string]any{"serverStatusNotification": true}}})
	c.waitStatus(folder, "ready")
	c.waitFor("serverStatus ok+quiescent", func(m message) bool {
		var p ServerStatusParams
		return m.Method == MethodServerStatus && json.Unmarshal(m.Params, &p) == nil && p.Quiescent && p.Health == "ok"
	})
	sim.stop(t, syscall.SIGINT)
	c.waitFor("serverStatus warning after stop", func(m message) bool {
		var p ServerStatusParams
		return m.Method == MethodServerStatus && json.Unmarshal(m.Params, &p) == nil && p.Health == "warning" && p.Quiescent
	})
	if n := plain.count(func(m message) bool { return m.Method == MethodServerStatus }); n != 0 {
		t.Errorf("serverStatus sent to a client that did not declare it (%d)", n)
	}
}

func TestStatus_HungDaemonDelaysNoOtherFolder(t *testing.T) {
	hung, fine := newRepo(t), newRepo(t)
	startSim(t, hung, "--fault", "hang-health")
	sim := startSim(t, fine)
	sim.waitReady(t)
	fh, ff := pathToURI(hung), pathToURI(fine)
	c := newTestClient(t, Options{})
	start := time.Now()
	c.initialize([]string{fh, ff}, map[string]any{"initializationOptions": map[string]any{"healthTimeoutMs": 2000}})
	c.waitStatus(ff, "ready")
	if el := time.Since(start); el > 1500*time.Millisecond {
		t.Errorf("ready folder reported after %v, behind a hung daemon with a 2 s health timeout", el)
	}
	// And a command on the fine folder answers meanwhile.
	if r := c.executeCommand(CmdHooks, ff); r.Error != nil {
		t.Errorf("hooks on the fine folder: %s", r.raw)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// A folder added later in an already tracked repository gets its first
// status from Track's answer: no probe event will come for it.
func TestFolders_SecondFolderOfTrackedRepo(t *testing.T) {
	repo := newRepo(t)
	sim := startSim(t, repo)
	sub := filepath.Join(repo, "sub")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, Options{})
	f1, f2 := pathToURI(repo), pathToURI(sub)
	c.initialize([]string{f1}, nil)
	c.waitStatus(f1, "ready")
	c.notify("workspace/didChangeWorkspaceFolders", map[string]any{"event": map[string]any{
		"added": []map[string]string{{"uri": f2, "name": "sub"}}, "removed": []any{}}})
	got := c.waitStatus(f2, "ready")
	if got.PID != sim.pid() || got.Root != repo {
		t.Errorf("second folder's status = %+v", got)
	}
	if !c.quietFor(200*time.Millisecond, 1, isStatusFor(f2)) {
		t.Errorf("second folder got more than one status:\n%s", c.transcript())
	}
}

// heddle.refresh looks again for a repository above a no-repo folder.
func TestRefresh_RediscoversNewRepository(t *testing.T) {
	dir := newRepoDir(t)
	c := newTestClient(t, Options{})
	folder := pathToURI(dir)
	c.initialize([]string{folder}, nil)
	c.waitStatus(folder, "no-repo")
	if err := os.MkdirAll(filepath.Join(dir, ".heddle", "objects"), 0o755); err != nil {
		t.Fatal(err)
	}
	got := decode[[]StatusParams](t, c.executeCommand(CmdRefresh, folder))
	if len(got) != 1 || got[0].State != "stopped" || got[0].HeddleDir != filepath.Join(dir, ".heddle") {
		t.Fatalf("refresh after heddle init = %+v", got)
	}
	c.waitStatus(folder, "stopped")
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
			repo, state = newRepoDir(t), "no-repo"
		default:
			repo, state = newRepo(t), "stopped"
		}
		uri := pathToURI(repo)
		folders = append(folders, map[string]string{"uri": uri, "name": strconv.Itoa(i)})
		want[uri] = state
	}
	c := newTestClient(t, Options{})
	// This is about scale, not timeouts: 20 first probes at once on a
	// loaded 2-core machine (the race detector, parallel test packages) can
	// miss the 150 ms default health deadline, which reads unhealthy until
	// the retry (TestTracker_FaultsEndUnhealthyWithinTimeouts covers that).
	opts := map[string]any{"heddle": map[string]any{"healthTimeoutMs": 3000}}
	if resp := c.request("initialize", map[string]any{"capabilities": map[string]any{}, "workspaceFolders": folders,
		"initializationOptions": opts}); resp.Error != nil {
		t.Fatal(resp.raw)
	}
	c.notify("initialized", map[string]any{})
	c.waitFor("a status for every folder", func(message) bool {
		for uri := range want {
			if len(c.statuses(uri)) == 0 {
				return false
			}
		}
		return true
	})
	for uri, state := range want {
		got := c.statuses(uri)
		if len(got) != 1 || got[0].State != state {
			t.Errorf("%s: statuses %+v, want one %s", uri, got, state)
		}
	}
}
