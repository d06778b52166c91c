package sim

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/heddle-ls/heddle-ls/daemonlink/heddleapiv1alpha1"
	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
	"github.com/heddle-ls/heddle-ls/heddle"
)

type cliResult struct {
	code           int
	stdout, stderr string
}

// runCLI runs heddle-sim's CLI in process as version, in dir.
func runCLI(t *testing.T, version, dir string, env CLIEnv, args ...string) cliResult {
	t.Helper()
	env.Version, env.Dir = version, dir
	var out, errb bytes.Buffer
	code := RunCLI(args, env, &out, &errb)
	return cliResult{code, out.String(), errb.String()}
}

// cliRepoDir is a native repository whose log is seed 3, 300 operations.
func cliRepoDir(t *testing.T) string {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, ".heddle", "objects"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteRecord(filepath.Join(root, ".heddle"), LogRecord{Seed: 3, Ops: 300}); err != nil {
		t.Fatal(err)
	}
	return root
}

// keys returns the keys of a JSON object in their order on the wire.
func keys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var out []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

type rawQuery struct {
	OutputKind string            `json:"output_kind"`
	Hits       []json.RawMessage `json:"hits"`
}

type hitFields struct {
	Seq         uint64   `json:"seq"`
	Verb        string   `json:"verb"`
	Thread      *string  `json:"thread"`
	Symbols     []string `json:"symbols"`
	SignalKinds []string `json:"signal_kinds"`
	StateID     *string  `json:"state_id"`
	ChangeID    *string  `json:"change_id"`
}

func decodeQuery(t *testing.T, r cliResult) (rawQuery, []hitFields) {
	t.Helper()
	if r.code != 0 || r.stderr != "" || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("query: exit %d, stdout %q, stderr %q; want 0 and one JSON line", r.code, r.stdout, r.stderr)
	}
	var q rawQuery
	if err := json.Unmarshal([]byte(r.stdout), &q); err != nil || q.OutputKind != "query" {
		t.Fatalf("query output %q: %v", r.stdout, err)
	}
	hits := make([]hitFields, len(q.Hits))
	for i, h := range q.Hits {
		json.Unmarshal(h, &hits[i])
	}
	return q, hits
}

func hitSeqs(hits []hitFields) []uint64 {
	var out []uint64
	for _, h := range hits {
		out = append(out, h.Seq)
	}
	return out
}

func TestCLI_Version(t *testing.T) {
	for _, v := range CLIVersions {
		for _, flag := range []string{"--version", "-V"} {
			if r := runCLI(t, v, "/", CLIEnv{}, flag); r.code != 0 || r.stdout != "heddle "+v+"\n" || r.stderr != "" {
				t.Fatalf("%s %s = %+v", v, flag, r)
			}
		}
	}
	if r := runCLI(t, "0.9.0", "/", CLIEnv{}, "--version"); r.code != exitSimMisuse {
		t.Fatalf("an unknown release = %+v, want heddle-sim's own exit %d", r, exitSimMisuse)
	}
}

func TestCLI_QueryShapePerVersion(t *testing.T) {
	root := cliRepoDir(t)
	ops := SeedOperations(3, 300)
	for _, tc := range []struct {
		version, idKey, prefix string
		id                     func(uint64) []byte
	}{
		{"0.10.1", "change_id", "hd-", func(seq uint64) []byte { return ops[seq-1].GetChangeId() }},
		{"0.13.0", "state_id", "hs-", func(seq uint64) []byte { return StateIDFor(3, seq) }},
	} {
		t.Run(tc.version, func(t *testing.T) {
			r := runCLI(t, tc.version, "/", CLIEnv{}, "query", "--output", "json", "--no-color", "-C", root, "--limit", "0", "--include-checkpoints")
			q, hits := decodeQuery(t, r)
			if !strings.HasPrefix(r.stdout, `{"output_kind":"query","hits":[`) {
				t.Fatalf("top-level keys out of order: %.60s", r.stdout)
			}
			want := []string{"seq", "timestamp_secs", "verb", "actor_email", "operation_id", "thread", "symbols", "signal_kinds", tc.idKey}
			if got := keys(t, q.Hits[0]); !slices.Equal(got, want) {
				t.Fatalf("hit keys = %v, want %v", got, want)
			}
			if len(hits) != 300 {
				t.Fatalf("%d hits, want 300", len(hits))
			}
			sawNullThread, sawNullID := false, false
			for i, h := range hits {
				if h.Seq != uint64(i+1) {
					t.Fatalf("hit %d has seq %d: not ascending", i, h.Seq)
				}
				if h.Symbols == nil || len(h.Symbols) != 0 || h.SignalKinds == nil || len(h.SignalKinds) != 0 {
					t.Fatalf("hit %d: symbols %v, signal_kinds %v; the CLI's scan has none, as []", i, h.Symbols, h.SignalKinds)
				}
				id := h.StateID
				if tc.idKey == "change_id" {
					id = h.ChangeID
				}
				switch {
				case slices.Contains(verbsWithoutState, h.Verb):
					sawNullID = sawNullID || id == nil
					if id != nil {
						t.Fatalf("%s hit with an id %q", h.Verb, *id)
					}
				case id == nil || !strings.HasPrefix(*id, tc.prefix):
					t.Fatalf("hit %d: %s = %v, want %s…", h.Seq, tc.idKey, id, tc.prefix)
				default:
					b, err := heddle.ParseID(*id)
					if err != nil || !bytes.Equal(b, tc.id(h.Seq)) {
						t.Fatalf("hit %d: %s %q decodes to %x, %v; want %x", h.Seq, tc.idKey, *id, b, err, tc.id(h.Seq))
					}
				}
				if slices.Contains(verbsWithoutThread, h.Verb) {
					sawNullThread = sawNullThread || h.Thread == nil
					if h.Thread != nil {
						t.Fatalf("%s hit with thread %q", h.Verb, *h.Thread)
					}
				}
			}
			if !sawNullThread || !sawNullID {
				t.Fatal("the log has no hit with a null thread or id: the test proves nothing")
			}
		})
	}
}

func TestCLI_QueryFiltersAndLimit(t *testing.T) {
	root := cliRepoDir(t)
	ops := SeedOperations(3, 300)
	expect := func(keep func(op *heddlev1.OperationHit) bool, limit int) []uint64 {
		var out []uint64
		for _, op := range ops {
			if keep(op) && (limit == 0 || len(out) < limit) {
				out = append(out, op.GetSeq())
			}
		}
		return out
	}
	notCheckpoint := func(op *heddlev1.OperationHit) bool { return op.GetVerb() != "checkpoint" }
	all := func(*heddlev1.OperationHit) bool { return true }
	tests := []struct {
		name    string
		version string
		args    []string
		want    []uint64
	}{
		{"default limit 100 keeps the oldest", "0.13.0", nil, expect(notCheckpoint, 100)},
		{"limit keeps the oldest N", "0.13.0", []string{"--limit", "5"}, expect(notCheckpoint, 5)},
		{"limit 0 is unlimited", "0.13.0", []string{"--limit", "0"}, expect(notCheckpoint, 0)},
		{"checkpoints with the flag", "0.13.0", []string{"--limit", "0", "--include-checkpoints"}, expect(all, 0)},
		{"explicit verb shows checkpoints", "0.10.1", []string{"--limit=0", "--verb", "checkpoint"},
			expect(func(op *heddlev1.OperationHit) bool { return op.GetVerb() == "checkpoint" }, 0)},
		{"capture is snapshot from 0.13.0", "0.13.0", []string{"--limit", "0", "--verb", "CAPTURE"},
			expect(func(op *heddlev1.OperationHit) bool { return op.GetVerb() == "snapshot" }, 0)},
		{"verbs are exact at 0.10.1", "0.10.1", []string{"--verb", "Snapshot"}, nil},
		{"actor", "0.13.0", []string{"--limit", "0", "--actor", "ada@example.com"},
			expect(func(op *heddlev1.OperationHit) bool {
				return notCheckpoint(op) && op.GetActorEmail() == "ada@example.com"
			}, 0)},
		{"thread matches only hits that have one", "0.13.0", []string{"--limit", "0", "--thread", "main"},
			expect(func(op *heddlev1.OperationHit) bool {
				return notCheckpoint(op) && op.GetThread() == "main" && !slices.Contains(verbsWithoutThread, op.GetVerb())
			}, 0)},
		{"since and until, RFC 3339, inclusive", "0.13.0",
			[]string{"--limit", "0", "--since", "2026-01-01T00:10:00Z", "--until", "2026-01-01T00:20:00+00:00"},
			expect(func(op *heddlev1.OperationHit) bool {
				return notCheckpoint(op) && op.GetSeq() >= 10 && op.GetSeq() <= 20
			}, 0)},
		{"symbol filter always answers nothing", "0.13.0", []string{"--symbol", Symbols[0]}, nil},
		{"signal filter always answers nothing", "0.10.1", []string{"--signal", "novelty"}, nil},
		{"global flags may follow the verb", "0.13.0", []string{"--limit", "2", "--no-color", "-v"}, expect(notCheckpoint, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"query", "--output", "json", "-C", root}, tt.args...)
			_, hits := decodeQuery(t, runCLI(t, tt.version, "/", CLIEnv{}, args...))
			if got := hitSeqs(hits); !slices.Equal(got, tt.want) {
				t.Fatalf("seqs = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCLI_ReviewHealth(t *testing.T) {
	root := cliRepoDir(t)
	want := FiredSignalHealth(SeedOperations(3, 300), 50)
	type entry struct {
		ModuleID string  `json:"module_id"`
		FireRate float32 `json:"fire_rate"`
		Warn     bool    `json:"warn"`
	}
	var report struct {
		OutputKind   string  `json:"output_kind"`
		Entries      []entry `json:"entries"`
		WindowStates uint32  `json:"window_states"`
	}
	orders := map[string]bool{}
	for _, v := range []string{"0.13.0", "0.10.1"} {
		for range 20 {
			r := runCLI(t, v, root, CLIEnv{}, "review", "health", "--window", "50", "--output", "json")
			// Sorted keys: heddle builds this output with serde_json's json!.
			if r.code != 0 || !strings.HasPrefix(r.stdout, `{"entries":[{"fire_rate":`) || !strings.Contains(r.stdout, `"module_id":`) ||
				!strings.HasSuffix(r.stdout, `],"output_kind":"review_health","window_states":50}`+"\n") {
				t.Fatalf("%s: %+v", v, r)
			}
			if err := json.Unmarshal([]byte(r.stdout), &report); err != nil || report.WindowStates != 50 || len(report.Entries) != len(want.GetEntries()) {
				t.Fatalf("%s: %s (%v)", v, r.stdout, err)
			}
			var names []string
			for _, e := range report.Entries {
				names = append(names, e.ModuleID)
				i := slices.IndexFunc(want.GetEntries(), func(w *heddlev1.SignalHealthEntry) bool { return w.GetModuleId() == e.ModuleID })
				if i < 0 || e.FireRate != want.GetEntries()[i].GetFireRate() || e.Warn != want.GetEntries()[i].GetWarn() {
					t.Fatalf("%s: entry %+v not in %v", v, e, want.GetEntries())
				}
			}
			if v == "0.13.0" && !slices.IsSorted(names) {
				t.Fatalf("0.13.0 entries %v are not sorted by module id", names)
			}
			if v == "0.10.1" {
				orders[strings.Join(names, ",")] = true
			}
		}
	}
	if len(orders) < 2 {
		t.Fatalf("0.10.1 gave one order in 20 runs (%v); heddle v0.10.1's order is a HashMap's", orders)
	}
	// A log with no operations is a fresh repository: its genesis state.
	empty := cliRepoDir(t)
	WriteRecord(filepath.Join(empty, ".heddle"), LogRecord{Seed: 1, Ops: 0})
	if r := runCLI(t, "0.13.0", empty, CLIEnv{}, "review", "health", "--output", "json"); r.stdout != `{"entries":[],"output_kind":"review_health","window_states":1}`+"\n" {
		t.Fatalf("empty log: %+v", r)
	}
}

func TestCLI_Hooks(t *testing.T) {
	root := cliRepoDir(t)
	if r := runCLI(t, "0.13.0", root, CLIEnv{}, "hook", "list", "--output", "json"); r.code != 0 || r.stdout != "[]\n" {
		t.Fatalf("no hooks dir: %+v", r)
	}
	hooks := filepath.Join(root, ".heddle", "hooks")
	os.MkdirAll(hooks, 0o755)
	for _, n := range []string{"pre-push", "post-snapshot", "registry.toml", "pre-commit"} {
		os.WriteFile(filepath.Join(hooks, n), []byte("#!/bin/sh\n"), 0o755)
	}
	if r := runCLI(t, "0.10.1", root, CLIEnv{}, "hook", "list", "--output", "json"); r.code != 0 || r.stdout != `["post-snapshot","pre-push"]`+"\n" {
		t.Fatalf("hook list = %+v", r)
	}
	r := runCLI(t, "0.13.0", root, CLIEnv{}, "hook", "events", "--output", "json")
	var ev struct {
		Events []struct{ Name, Description string } `json:"events"`
	}
	if json.Unmarshal([]byte(r.stdout), &ev); r.code != 0 || len(ev.Events) != 10 || ev.Events[9].Name != "on_signal" {
		t.Fatalf("hook events = %+v", r)
	}
	if !strings.HasPrefix(r.stdout, `{"events":[{"description":`) {
		t.Fatalf("hook events keys are not sorted: %.60s", r.stdout)
	}
	if r := runCLI(t, "0.13.0", root, CLIEnv{}, "hook", "events", "--event", "nope", "--output", "json"); r.code != 0 || r.stdout != `{"events":[]}`+"\n" {
		t.Fatalf("unknown event = %+v", r)
	}
}

type decodedEnvelope struct {
	Error                  string   `json:"error"`
	ExitCode               int      `json:"exit_code"`
	Hint                   string   `json:"hint"`
	Kind                   string   `json:"kind"`
	PrimaryCommand         string   `json:"primary_command"`
	RecoveryCommands       []string `json:"recovery_commands"`
	PrimaryCommandTemplate struct {
		Action        string   `json:"action"`
		ArgvTemplate  []string `json:"argv_template"`
		AgentMayFill  *bool    `json:"agent_may_fill"`
		RequiredInput []string `json:"required_inputs"`
	} `json:"primary_command_template"`
	RecoveryActionTemplates []json.RawMessage `json:"recovery_action_templates"`
}

// envelopeOf decodes the last stderr line, requiring heddle's key order
// (sorted: heddle v0.10.1 prints it so) and its templates.
func envelopeOf(t *testing.T, r cliResult) decodedEnvelope {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	last := lines[len(lines)-1]
	want := []string{"error", "exit_code", "hint", "kind", "preserved", "primary_command", "primary_command_template",
		"recovery_action_templates", "recovery_commands", "unsafe_condition", "would_change"}
	if got := keys(t, json.RawMessage(last)); !slices.Equal(got, want) {
		t.Fatalf("envelope keys = %v, want %v", got, want)
	}
	var e decodedEnvelope
	json.Unmarshal([]byte(last), &e)
	if r.stdout != "" || e.ExitCode != r.code {
		t.Fatalf("stdout %q, envelope exit_code %d, process exit %d", r.stdout, e.ExitCode, r.code)
	}
	tmpl := e.PrimaryCommandTemplate
	if len(e.RecoveryCommands) == 0 || e.PrimaryCommand != e.RecoveryCommands[0] || tmpl.Action != e.PrimaryCommand ||
		len(tmpl.ArgvTemplate) == 0 || !filepath.IsAbs(tmpl.ArgvTemplate[0]) || tmpl.AgentMayFill == nil ||
		len(e.RecoveryActionTemplates) != len(e.RecoveryCommands) {
		t.Fatalf("envelope commands and templates: %s", last)
	}
	return e
}

func TestCLI_Failures(t *testing.T) {
	root := cliRepoDir(t)
	base, _ := filepath.EvalSymlinks(t.TempDir())
	plainGit := filepath.Join(base, "git")
	os.MkdirAll(filepath.Join(plainGit, ".git"), 0o755)
	newer := cliRepoDir(t)
	os.WriteFile(filepath.Join(newer, ".heddle", "config.toml"), []byte("[core]\nversion = 9\n[repository]\nversion = 5\n"), 0o644)
	older := cliRepoDir(t)
	os.WriteFile(filepath.Join(older, ".heddle", "config.toml"), []byte("[repository]\nversion = 3\n"), 0o644)
	intent := cliRepoDir(t)
	os.WriteFile(filepath.Join(intent, ".heddle", "clone-intent.toml"), nil, 0o644)

	tests := []struct {
		name, version, dir string
		env                CLIEnv
		args               []string
		code               int
		kind               string
	}{
		{"no repository", "0.13.0", base, CLIEnv{}, []string{"query"}, 78, "repository_not_found"},
		{"plain git is not bootstrapped", "0.13.0", plainGit, CLIEnv{}, []string{"review", "health"}, 78, "repository_not_found"},
		{"a bad flag is a usage error", "0.13.0", root, CLIEnv{}, []string{"query", "--json"}, 64, "parse_error"},
		// clap parses the whole command line before anything runs.
		{"a usage error comes before the repository", "0.10.1", base, CLIEnv{}, []string{"query", "--limit", "x"}, 64, "parse_error"},
		{"an unknown subcommand", "0.13.0", base, CLIEnv{}, []string{"nosuchverb"}, 64, "parse_error"},
		{"a bad timestamp fails after the repository", "0.13.0", base, CLIEnv{}, []string{"query", "--since", "yesterday"}, 78, "repository_not_found"},
		{"a bad timestamp", "0.13.0", root, CLIEnv{}, []string{"query", "--since", "yesterday"}, 74, "runtime_error"},
		{"a bad value is a usage error", "0.10.1", root, CLIEnv{}, []string{"query", "--limit", "x"}, 64, "parse_error"},
		{"a repeated global flag is a usage error", "0.13.0", root, CLIEnv{}, []string{"query", "-C", root, "--repo", root}, 64, "parse_error"},
		{"an unknown verb is an error from 0.13.0", "0.13.0", root, CLIEnv{}, []string{"query", "--verb", "nope"}, 74, "unknown_query_verb"},
		{"json-compact is refused", "0.13.0", root, CLIEnv{}, []string{"review", "health", "--output", "json-compact"}, 65, "json_compact_unsupported"},
		{"format too new", "0.13.0", newer, CLIEnv{}, []string{"query"}, 65, "repository_format_too_new"},
		{"format needs migration", "0.13.0", older, CLIEnv{}, []string{"hook", "list"}, 65, "repository_format_migration_required"},
		{"format 3 is 0.12.0's", "0.12.0", older, CLIEnv{}, []string{"hook", "list"}, 0, ""},
		{"clone intent: resumed first from 0.13.0", "0.13.0", intent, CLIEnv{}, []string{"query"}, 74, "runtime_error"},
		{"clone intent: an incomplete clone at 0.12.0", "0.12.0", intent, CLIEnv{}, []string{"query"}, 74, "runtime_error"},
		{"clone intent: ignored before 0.12.0", "0.11.0", intent, CLIEnv{}, []string{"query"}, 0, ""},
		{"a held lock is 75", "0.13.0", root, CLIEnv{Fault: "lock"}, []string{"query"}, 75, "repository_lock_unavailable"},
		{"a held lock is 74 at 0.10.1", "0.10.1", root, CLIEnv{Fault: "lock"}, []string{"query"}, 74, "runtime_error"},
		{"exit fault", "0.13.0", root, CLIEnv{Fault: "exit=65:state_corrupted"}, []string{"query"}, 65, "state_corrupted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if !slices.Contains(args, "--output") {
				args = append(args, "--output", "json")
			}
			r := runCLI(t, tt.version, tt.dir, tt.env, args...)
			if tt.code == 0 {
				if r.code != 0 {
					t.Fatalf("%+v, want success", r)
				}
				return
			}
			if r.code != tt.code {
				t.Fatalf("exit %d (%+v), want %d", r.code, r, tt.code)
			}
			if strings.Contains(r.stderr, `\u003c`) {
				t.Fatalf("stderr escapes < as Go's encoder does by default; serde_json does not: %s", r.stderr)
			}
			if e := envelopeOf(t, r); e.Kind != tt.kind || e.Error == "" || e.Hint == "" {
				t.Fatalf("envelope %+v, want kind %s with an error and a hint", e, tt.kind)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(plainGit, ".heddle")); !os.IsNotExist(err) {
		t.Fatalf("heddle-sim wrote .heddle into a plain Git checkout: %v", err)
	}
	// Text mode: heddle's Error:/Next: lines, no JSON.
	if r := runCLI(t, "0.13.0", base, CLIEnv{}, "query"); r.code != 78 || !strings.HasPrefix(r.stderr, "Error: ") || strings.Contains(r.stderr, "{") {
		t.Fatalf("text mode: %+v", r)
	}
}

func TestCLI_WorktreeAndInvocationLog(t *testing.T) {
	main := cliRepoDir(t)
	wt, _ := filepath.EvalSymlinks(t.TempDir())
	os.MkdirAll(filepath.Join(wt, ".heddle"), 0o755)
	os.WriteFile(filepath.Join(wt, ".heddle", "objectstore"), []byte("objectstore: "+filepath.Join(main, ".heddle")+"\n"), 0o644)
	logPath := filepath.Join(t.TempDir(), "calls.log")
	r := runCLI(t, "0.13.0", wt, CLIEnv{Log: logPath}, "query", "--output", "json", "--limit", "3")
	if _, hits := decodeQuery(t, r); len(hits) != 3 {
		t.Fatalf("worktree query: %d hits", len(hits))
	}
	data, _ := os.ReadFile(logPath)
	var call struct {
		Argv []string
		Cwd  string
	}
	if err := json.Unmarshal(data, &call); err != nil || call.Cwd != wt || !slices.Equal(call.Argv, []string{"heddle", "query", "--output", "json", "--limit", "3"}) {
		t.Fatalf("invocation log = %q (%v)", data, err)
	}
}

func TestV1Alpha1_SignalHealthOnly(t *testing.T) {
	conn := serve(t, Options{Seed: 3, Ops: 300, NoV1: true})
	report, err := heddleapiv1alpha1.NewStateReviewServiceClient(conn).GetRepoSignalHealth(ctx(t),
		&heddleapiv1alpha1.GetRepoSignalHealthRequest{
			RepoPath:     &heddleapiv1alpha1.RepositoryRef{Reference: &heddleapiv1alpha1.RepositoryRef_CanonicalPath{CanonicalPath: "/anywhere"}},
			WindowStates: 80})
	if err != nil {
		t.Fatal(err)
	}
	want := FiredSignalHealth(SeedOperations(3, 300), 80)
	if report.GetWindowStates() != 80 || len(report.GetEntries()) != len(want.GetEntries()) {
		t.Fatalf("report = %v, want %v", report, want)
	}
	for i, e := range report.GetEntries() {
		w := want.GetEntries()[i]
		if e.GetModuleId() != w.GetModuleId() || e.GetFireRate() != w.GetFireRate() || e.GetWarn() != w.GetWarn() {
			t.Fatalf("entry %d = %v, want %v", i, e, w)
		}
	}
	_, err = heddlev1.NewSignalServiceClient(conn).GetRepoSignalHealth(ctx(t), &heddlev1.GetRepoSignalHealthRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("heddle.v1 signal health on a v1alpha1 daemon: %v, want UNIMPLEMENTED", err)
	}
}
