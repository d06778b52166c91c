package lsp_test

import (
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
	"github.com/heddle-ls/heddle-ls/internal/lsptest"
	"github.com/heddle-ls/heddle-ls/internal/sim"
	"github.com/heddle-ls/heddle-ls/lsp"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// readySession is a client with one ready folder on a fresh heddle-sim.
func readySession(t *testing.T, simArgs ...string) (*lsptest.InProcess, string, string) {
	t.Helper()
	repo := newRepo(t)
	startSim(t, repo, simArgs...)
	c := newClient(t, lsp.Options{})
	folder := protocol.PathToURI(repo)
	c.Initialize([]string{folder}, nil)
	c.WaitState(folder, "ready", "", wait)
	return c, folder, repo
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// expectedOps is what heddle.operations must answer: the daemon's matches,
// the most recent limit of them, newest first.
func expectedOps(q *heddlev1.QueryOperationsRequest, limit int) []protocol.OperationHit {
	all := sim.FilterOperations(sim.SeedOperations(1, 120), q)
	if len(all) > limit {
		all = all[len(all)-limit:]
	}
	out := []protocol.OperationHit{}
	for i := len(all) - 1; i >= 0; i-- {
		op := all[i]
		out = append(out, protocol.OperationHit{Seq: op.Seq, TimestampSecs: op.TimestampSecs, Verb: op.Verb,
			ActorEmail: op.ActorEmail, OperationID: op.OperationId, Thread: op.Thread,
			Symbols: nonNil(op.Symbols), SignalKinds: nonNil(op.SignalKinds), StateID: hex.EncodeToString(op.ChangeId)})
	}
	return out
}

func TestCommands_Operations(t *testing.T) {
	c, folder, repo := readySession(t)
	cases := []struct {
		name  string
		opts  map[string]any
		q     *heddlev1.QueryOperationsRequest
		limit int
	}{
		{"default", nil, &heddlev1.QueryOperationsRequest{}, 50},
		{"limit", map[string]any{"limit": 5}, &heddlev1.QueryOperationsRequest{}, 5},
		{"actor", map[string]any{"actor": "ada@example.com", "limit": 500}, &heddlev1.QueryOperationsRequest{Actor: "ada@example.com"}, 500},
		{"thread+verbs", map[string]any{"thread": "main", "verbs": []string{"fork", "checkpoint"}},
			&heddlev1.QueryOperationsRequest{Thread: "main", Verbs: []string{"fork", "checkpoint"}}, 50},
		{"checkpoints", map[string]any{"includeCheckpoints": true, "limit": 10000}, &heddlev1.QueryOperationsRequest{IncludeCheckpoints: true}, 10000},
		{"window", map[string]any{"sinceSecs": sim.BaseTimestamp + 600, "untilSecs": sim.BaseTimestamp + 1200, "signalKind": "novelty"},
			&heddlev1.QueryOperationsRequest{SinceSecs: sim.BaseTimestamp + 600, UntilSecs: sim.BaseTimestamp + 1200, SignalKind: "novelty"}, 50},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := []any{folder}
			if tc.opts != nil {
				args = append(args, tc.opts)
			}
			got := lsptest.Decode[protocol.OperationsResult](t, run(c, protocol.CmdOperations, args...))
			want := expectedOps(tc.q, tc.limit)
			if got.Folder != folder {
				t.Errorf("folder = %q", got.Folder)
			}
			if len(want) == 0 {
				t.Fatalf("test case matches nothing; pick another filter")
			}
			if len(got.Hits) != len(want) {
				t.Fatalf("%d hits, want %d", len(got.Hits), len(want))
			}
			for i := range want {
				if !slices.Equal(got.Hits[i].Symbols, want[i].Symbols) || got.Hits[i].Seq != want[i].Seq ||
					got.Hits[i].StateID != want[i].StateID || got.Hits[i].Verb != want[i].Verb {
					t.Fatalf("hit %d = %+v, want %+v", i, got.Hits[i], want[i])
				}
			}
		})
	}
	// Empty arrays are [] on the wire, never null; a path inside the folder works.
	r := run(c, protocol.CmdOperations, repo+"/src", map[string]any{"limit": 200})
	if strings.Contains(string(r.Result), "null") {
		t.Errorf("null in operations result: %.300s", r.Result)
	}
	// The only folder may be omitted, with or without options.
	if got := lsptest.Decode[protocol.OperationsResult](t, run(c, protocol.CmdOperations, map[string]any{"limit": 1})); len(got.Hits) != 1 {
		t.Errorf("options-only call: %d hits", len(got.Hits))
	}
}

func TestCommands_SignalHealthHooksStatusRefreshExplain(t *testing.T) {
	c, folder, repo := readySession(t)

	sh := lsptest.Decode[protocol.SignalHealthResult](t, run(c, protocol.CmdSignalHealth, folder, map[string]any{"windowStates": 50}))
	want := sim.SignalHealth(sim.SeedOperations(1, 120), 50)
	if sh.WindowStates != want.WindowStates || len(sh.Entries) != len(want.Entries) {
		t.Fatalf("signal health = %+v, want %v", sh, want)
	}
	for i, e := range want.Entries {
		if sh.Entries[i].ModuleID != e.ModuleId || sh.Entries[i].Warn != e.Warn || float32(sh.Entries[i].FireRate) != e.FireRate {
			t.Errorf("entry %d = %+v, want %v", i, sh.Entries[i], e)
		}
	}

	hooks := lsptest.Decode[protocol.HooksResult](t, run(c, protocol.CmdHooks, folder))
	if hooks.Folder != folder || len(hooks.Hooks) != len(sim.SeedHooks()) || hooks.Hooks[0].Name != sim.SeedHooks()[0].Name ||
		hooks.Hooks[1].TimeoutMs != sim.SeedHooks()[1].TimeoutMs || len(hooks.Hooks[1].Events) != 2 {
		t.Errorf("hooks = %+v", hooks)
	}

	st := lsptest.Decode[[]protocol.StatusParams](t, run(c, protocol.CmdStatus))
	if len(st) != 1 || st[0].State != "ready" || st[0].Folder != folder || st[0].Root != repo {
		t.Errorf("heddle.status = %+v", st)
	}
	rf := lsptest.Decode[[]protocol.StatusParams](t, run(c, protocol.CmdRefresh, folder))
	if len(rf) != 1 || rf[0].State != "ready" || rf[0].PID != st[0].PID {
		t.Errorf("heddle.refresh = %+v", rf)
	}

	ex := lsptest.Decode[protocol.ExplainResult](t, run(c, protocol.CmdExplain, folder))
	if ex.Folder != folder || !strings.Contains(ex.Markdown, "ready") || len(ex.Steps) < 3 || ex.Status.State != "ready" {
		t.Errorf("explain = %+v", ex)
	}
	for _, s := range ex.Steps {
		if s.Step == "" || !s.OK || s.Micros < 0 {
			t.Errorf("explain step %+v", s)
		}
	}
}

func TestCommands_Errors(t *testing.T) {
	c, folder, _ := readySession(t)
	stopped := newRepo(t)
	fs := protocol.PathToURI(stopped)
	c.Notify("workspace/didChangeWorkspaceFolders", map[string]any{"event": map[string]any{
		"added": []map[string]string{{"uri": fs, "name": "stopped"}}, "removed": []any{}}})
	c.WaitState(fs, "stopped", "", wait)

	cases := []struct {
		name     string
		command  string
		args     []any
		code     int
		contains []string
	}{
		{"unknown command", "heddle.nope", nil, -32602, []string{"heddle.nope"}},
		{"unknown folder", protocol.CmdHooks, []any{"/nowhere/at/all"}, -32602, []string{"unknown folder", "/nowhere/at/all"}},
		{"relative path", protocol.CmdHooks, []any{"relative/path"}, -32602, []string{"absolute"}},
		{"two folders, none given", protocol.CmdHooks, nil, -32602, []string{"2 folders"}},
		{"folder not a string", protocol.CmdHooks, []any{42}, -32602, []string{"argument 1"}},
		{"too many args", protocol.CmdHooks, []any{folder, folder}, -32602, []string{"at most"}},
		{"unknown option", protocol.CmdOperations, []any{folder, map[string]any{"limt": 5, "actr": "x"}}, -32602, []string{`"actr"`, `"limt"`}},
		{"wrong type", protocol.CmdOperations, []any{folder, map[string]any{"limit": "5"}}, -32602, []string{"limit", "integer"}},
		{"fractional", protocol.CmdOperations, []any{folder, map[string]any{"limit": 2.5}}, -32602, []string{"limit"}},
		{"negative limit", protocol.CmdOperations, []any{folder, map[string]any{"limit": -1}}, -32602, []string{"limit"}},
		{"huge limit", protocol.CmdOperations, []any{folder, map[string]any{"limit": 10001}}, -32602, []string{"10000"}},
		{"verbs type", protocol.CmdOperations, []any{folder, map[string]any{"verbs": "fork"}}, -32602, []string{"verbs", "array"}},
		{"since after until", protocol.CmdOperations, []any{folder, map[string]any{"sinceSecs": 10, "untilSecs": 5}}, -32602, []string{"sinceSecs"}},
		{"negative window", protocol.CmdSignalHealth, []any{folder, map[string]any{"windowStates": -1}}, -32602, []string{"windowStates"}},
		{"not ready", protocol.CmdOperations, []any{fs}, -32803, []string{"stopped", "not ready"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := run(c, tc.command, tc.args...)
			if r.Error == nil || r.Error.Code != tc.code {
				t.Fatalf("want error %d, got %s", tc.code, r.Raw)
			}
			for _, s := range tc.contains {
				if !strings.Contains(r.Error.Message, s) {
					t.Errorf("message %q lacks %q", r.Error.Message, s)
				}
			}
		})
	}
	// Not ready carries data {folder, state, reason, hint}.
	r := run(c, protocol.CmdHooks, fs)
	var data protocol.ErrorData
	if r.Error == nil || json.Unmarshal(r.Error.Data, &data) != nil || data.Folder != fs || data.State != "stopped" ||
		data.Reason == "" || data.Hint == "" || !strings.Contains(r.Error.Message, data.Hint) {
		t.Errorf("not-ready error = %s", r.Raw)
	}
}

func TestCommands_NoV1DaemonIsUnsupported(t *testing.T) {
	c, folder, _ := readySession(t, "--fault", "no-v1")
	r := run(c, protocol.CmdOperations, folder)
	var data protocol.ErrorData
	if r.Error == nil || r.Error.Code != -32803 || json.Unmarshal(r.Error.Data, &data) != nil || data.Kind != "api-unsupported" {
		t.Fatalf("operations on a v1alpha1 daemon: %s", r.Raw)
	}
	if !strings.Contains(r.Error.Message, "heddle.api.v1alpha1") && !strings.Contains(r.Error.Message, "heddle.v1") {
		t.Errorf("message does not say which API: %q", r.Error.Message)
	}
}

func TestCommands_CancelSlowQuery(t *testing.T) {
	c, folder, _ := readySession(t, "--slow", "5s")
	id := c.Call("workspace/executeCommand", map[string]any{"command": protocol.CmdOperations, "arguments": []any{folder}})
	// Another request is answered while the slow one hangs.
	if r := run(c, protocol.CmdStatus); r.Error != nil {
		t.Fatalf("status while a query hangs: %s", r.Raw)
	}
	c.Notify("$/cancelRequest", map[string]any{"id": id})
	r, ok := c.Response(id, wait)
	if !ok {
		t.Fatalf("no response to the cancelled query #%d:\n%s", id, c.Transcript())
	}
	if r.Error == nil || r.Error.Code != -32800 {
		t.Fatalf("cancelled query: want -32800, got %s", r.Raw)
	}
}

func TestCommands_QueryDeadline(t *testing.T) {
	repo := newRepo(t)
	startSim(t, repo, "--slow", "3s")
	c := newClient(t, lsp.Options{})
	folder := protocol.PathToURI(repo)
	c.Initialize([]string{folder}, map[string]any{"initializationOptions": map[string]any{"heddle": map[string]any{"queryTimeoutMs": 200}}})
	c.WaitState(folder, "ready", "", wait)
	r := run(c, protocol.CmdHooks, folder)
	var data protocol.ErrorData
	if r.Error == nil || r.Error.Code != -32803 || json.Unmarshal(r.Error.Data, &data) != nil || data.Kind != "deadline" {
		t.Fatalf("slow daemon with queryTimeoutMs 200: %s", r.Raw)
	}
	if !strings.Contains(r.Error.Message, "queryTimeoutMs") && data.Hint == "" {
		t.Errorf("deadline error says nothing about what to do: %s", r.Raw)
	}
}

// Lua clients send {} as [] (an empty table): it means "no options".
func TestCommands_EmptyArrayIsNoOptions(t *testing.T) {
	c, folder, _ := readySession(t)
	resp := run(c, protocol.CmdOperations, folder, []any{})
	res := lsptest.Decode[protocol.OperationsResult](t, resp)
	if len(res.Hits) != 50 {
		t.Fatalf("hits = %d, want the default 50", len(res.Hits))
	}
	resp = run(c, protocol.CmdOperations, folder, []any{1})
	if resp.Error == nil || resp.Error.Code != -32602 {
		t.Fatalf("a non-empty array as options: %+v, want -32602", resp)
	}
}

// A refresh sent right after initialized, before the first heddle/status
// arrives, answers the fresh status rather than "not tracked".
func TestCommands_RefreshRightAfterInitialized(t *testing.T) {
	repo := newRepo(t)
	startSim(t, repo)
	c := newClient(t, lsp.Options{})
	folder := protocol.PathToURI(repo)
	c.Initialize([]string{folder}, nil)
	resp := run(c, protocol.CmdRefresh, folder)
	got := lsptest.Decode[[]protocol.StatusParams](t, resp)
	if len(got) != 1 || got[0].State != "ready" {
		t.Fatalf("refresh right after initialized = %+v (error %+v)", got, resp.Error)
	}
}
