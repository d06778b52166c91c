package heddlecli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/internal/sim"
	"github.com/heddle-ls/heddle-ls/internal/simtest"
)

func TestMain(m *testing.M) { simtest.Main(m) }

// Real processes throughout: heddle-sim's CLI installed as heddle (a
// wrapper script that fixes the release and logs every invocation).

const testTimeout = 20 * time.Second // generous: the machine may be busy

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// seededRepo is a heddle repository whose log is seed 3, 300 operations.
func seededRepo(t *testing.T) string {
	t.Helper()
	root := simtest.NewRepo(t)
	if err := sim.WriteRecord(simtest.HeddleDir(root), sim.LogRecord{Seed: 3, Ops: 300}); err != nil {
		t.Fatal(err)
	}
	return root
}

func target(t *testing.T, folder string) Target {
	t.Helper()
	repo, err := heddle.Discover(folder)
	if err != nil {
		t.Fatal(err)
	}
	return Target{Folder: folder, Repo: repo}
}

func runner(cli *simtest.CLI, opts Options) *Runner {
	opts.Setting = cli.Path
	if opts.Timeout == 0 {
		opts.Timeout = testTimeout
	}
	return NewRunner(opts, nil)
}

func wantKind(t *testing.T, err error, kind Kind) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Kind != kind {
		t.Fatalf("err = %v (%#v); want an *Error of kind %s", err, err, kind)
	}
	if e.Message == "" {
		t.Fatalf("error of kind %s has no message", kind)
	}
	return e
}

// queryCalls are the logged invocations other than --version.
func queryCalls(t *testing.T, cli *simtest.CLI) []simtest.Call {
	t.Helper()
	var out []simtest.Call
	for _, c := range cli.Calls(t) {
		if !slices.Equal(c.Argv, []string{"heddle", "--version"}) {
			out = append(out, c)
		}
	}
	return out
}

// expectedOps applies the CLI's semantics to the seeded log: the default
// verbs hide only checkpoints; newest first; the most recent limit.
func expectedOps(keep func(*heddlev1.OperationHit) bool, limit int) []uint64 {
	var seqs []uint64
	ops := sim.SeedOperations(3, 300)
	for i := len(ops) - 1; i >= 0 && len(seqs) < limit; i-- {
		if keep(ops[i]) {
			seqs = append(seqs, ops[i].GetSeq())
		}
	}
	return seqs
}

func opSeqs(ops []heddle.Operation) []uint64 {
	var out []uint64
	for _, op := range ops {
		out = append(out, op.Seq)
	}
	return out
}

func TestOperations_BothVersionsShapes(t *testing.T) {
	root := seededRepo(t)
	seeded := sim.SeedOperations(3, 300)
	for _, tc := range []struct {
		version, prefix string
		id              func(seq uint64) []byte
	}{
		{"0.10.1", "hd-", func(seq uint64) []byte { return seeded[seq-1].GetChangeId() }},
		{"0.13.0", "hs-", func(seq uint64) []byte { return sim.StateIDFor(3, seq) }},
	} {
		t.Run(tc.version, func(t *testing.T) {
			cli := simtest.InstallCLI(t, tc.version)
			r := runner(cli, Options{})
			notCheckpoint := func(op *heddlev1.OperationHit) bool { return op.GetVerb() != "checkpoint" }
			ops, err := r.Operations(testCtx(t), target(t, root), heddle.OperationQuery{Limit: 7})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := opSeqs(ops), expectedOps(notCheckpoint, 7); !slices.Equal(got, want) {
				t.Fatalf("seqs = %v, want the newest 7 %v", got, want)
			}
			for _, op := range ops {
				w := seeded[op.Seq-1]
				if op.Verb != w.GetVerb() || op.ActorEmail != w.GetActorEmail() || op.OperationID != w.GetOperationId() ||
					op.TimestampSecs != w.GetTimestampSecs() || op.Symbols == nil || op.SignalKinds == nil {
					t.Fatalf("op %d = %+v, want the seeded %v (with [] symbols and signals)", op.Seq, op, w)
				}
				if op.StateRef == "" {
					continue // a verb without a state (transaction_commit, …)
				}
				if !strings.HasPrefix(op.StateRef, tc.prefix) || !bytes.Equal(op.StateID, tc.id(op.Seq)) {
					t.Fatalf("op %d: StateRef %q, StateID %x; want %s… decoding to %x", op.Seq, op.StateRef, op.StateID, tc.prefix, tc.id(op.Seq))
				}
			}
			calls := queryCalls(t, cli)
			if len(calls) != 1 {
				t.Fatalf("calls = %+v, want one query", calls)
			}
			want := []string{"heddle", "query", "--limit", "0", "--output", "json", "--no-color", "-C", root}
			if c := calls[0]; !slices.Equal(c.Argv, want) || c.Cwd != root {
				t.Fatalf("ran %q in %s; want %q in the root", c.Argv, c.Cwd, want)
			}
		})
	}
}

func TestOperations_FiltersMapToFlags(t *testing.T) {
	root := seededRepo(t)
	cli := simtest.InstallCLI(t, "0.13.0")
	r := runner(cli, Options{})
	since := sim.BaseTimestamp + sim.OpInterval*100
	until := sim.BaseTimestamp + sim.OpInterval*200
	tests := []struct {
		name string
		q    heddle.OperationQuery
		keep func(*heddlev1.OperationHit) bool
	}{
		{"actor", heddle.OperationQuery{Actor: "ada@example.com", Limit: 500},
			func(op *heddlev1.OperationHit) bool {
				return op.GetVerb() != "checkpoint" && op.GetActorEmail() == "ada@example.com"
			}},
		{"verbs include checkpoints", heddle.OperationQuery{Verbs: []string{"checkpoint", "fork"}, Limit: 500},
			func(op *heddlev1.OperationHit) bool { return op.GetVerb() == "checkpoint" || op.GetVerb() == "fork" }},
		{"since and until are inclusive", heddle.OperationQuery{SinceSecs: since, UntilSecs: until, IncludeCheckpoints: true, Limit: 500},
			func(op *heddlev1.OperationHit) bool { return op.GetSeq() >= 100 && op.GetSeq() <= 200 }},
		{"default limit is 50", heddle.OperationQuery{IncludeCheckpoints: true},
			func(*heddlev1.OperationHit) bool { return true }},
		{"symbol: the CLI never matches", heddle.OperationQuery{Symbol: sim.Symbols[0]},
			func(*heddlev1.OperationHit) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, err := r.Operations(testCtx(t), target(t, root), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := opSeqs(ops), expectedOps(tt.keep, tt.q.EffectiveLimit()); !slices.Equal(got, want) {
				t.Fatalf("seqs = %v, want %v", got, want)
			}
		})
	}
	_, err := r.Operations(testCtx(t), target(t, root), heddle.OperationQuery{Limit: -1})
	wantKind(t, err, KindBadQuery)
}

func TestOperations_SeesAppendedOperations(t *testing.T) {
	root := seededRepo(t)
	for _, version := range []string{"0.10.1", "0.13.0"} {
		cli := simtest.InstallCLI(t, version)
		head := simtest.Append(t, root, version, 2, "--verb", "snapshot")
		ops, err := runner(cli, Options{}).Operations(testCtx(t), target(t, root), heddle.OperationQuery{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(ops) != 1 || ops[0].Seq != head || ops[0].Verb != "snapshot" {
			t.Fatalf("%s: newest op = %+v, want the appended %d", version, ops, head)
		}
		if err := os.Remove(sim.ManifestPath(simtest.HeddleDir(root))); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		os.Remove(sim.OplogBinPath(simtest.HeddleDir(root)))
	}
}

func TestSignalHealth_BothVersions(t *testing.T) {
	root := seededRepo(t)
	want := sim.FiredSignalHealth(sim.SeedOperations(3, 300), 80)
	for _, version := range []string{"0.10.1", "0.13.0"} {
		cli := simtest.InstallCLI(t, version)
		sh, err := runner(cli, Options{}).SignalHealth(testCtx(t), target(t, root), 80)
		if err != nil {
			t.Fatal(err)
		}
		if sh.WindowStates != 80 || len(sh.Entries) != len(want.GetEntries()) || len(sh.Entries) == 0 {
			t.Fatalf("%s: %+v, want %v", version, sh, want)
		}
		for i, e := range sh.Entries {
			w := want.GetEntries()[i] // sorted by module id, whatever order heddle printed
			if e.ModuleID != w.GetModuleId() || e.FireRate != w.GetFireRate() || e.Warn != w.GetWarn() {
				t.Fatalf("%s: entry %d = %+v, want %v", version, i, e, w)
			}
		}
		if c := queryCalls(t, cli); len(c) != 1 || !slices.Equal(c[0].Argv[:5], []string{"heddle", "review", "health", "--window", "80"}) {
			t.Fatalf("%s: calls %+v", version, c)
		}
	}
}

func TestHooks_InstalledScripts(t *testing.T) {
	root := seededRepo(t)
	cli := simtest.InstallCLI(t, "0.13.0")
	r := runner(cli, Options{})
	hooks, err := r.Hooks(testCtx(t), target(t, root))
	if err != nil || len(hooks) != 0 || hooks == nil {
		t.Fatalf("no hooks dir: %+v, %v; want an empty list", hooks, err)
	}
	dir := filepath.Join(simtest.HeddleDir(root), "hooks")
	os.MkdirAll(dir, 0o755)
	for _, n := range []string{"pre-push", "post-snapshot", "notes.txt"} {
		os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755)
	}
	hooks, err = r.Hooks(testCtx(t), target(t, root))
	if err != nil {
		t.Fatal(err)
	}
	want := []heddle.Hook{
		{Name: "post-snapshot", Command: filepath.Join(dir, "post-snapshot"), Events: []string{}},
		{Name: "pre-push", Command: filepath.Join(dir, "pre-push"), Events: []string{}},
	}
	if !slices.EqualFunc(hooks, want, func(a, b heddle.Hook) bool {
		return a.Name == b.Name && a.Command == b.Command && a.Events != nil && len(a.Events) == 0 && a.TimeoutMs == 0
	}) {
		t.Fatalf("hooks = %+v, want %+v", hooks, want)
	}
}

func TestInfo_VersionOncePerBinary(t *testing.T) {
	cli := simtest.InstallCLI(t, "0.10.1")
	r := runner(cli, Options{})
	for range 3 {
		info, err := r.Info(testCtx(t))
		if err != nil || info.Path != cli.Path || info.Version != "0.10.1" {
			t.Fatalf("Info = %+v, %v", info, err)
		}
	}
	if n := len(cli.Calls(t)); n != 1 {
		t.Fatalf("--version ran %d times for one binary, want once", n)
	}
	if _, err := r.Refresh(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if n := len(cli.Calls(t)); n != 2 {
		t.Fatalf("after Refresh: %d --version runs, want 2", n)
	}
	// A different setting is another binary; so is the file replaced.
	other := simtest.InstallCLI(t, "0.13.0")
	r.SetOptions(Options{Setting: other.Path, Timeout: testTimeout})
	if info, err := r.Info(testCtx(t)); err != nil || info.Version != "0.13.0" {
		t.Fatalf("after SetOptions: %+v, %v", info, err)
	}
	replacement := simtest.InstallCLI(t, "0.14.0")
	if err := os.Rename(replacement.Path, other.Path); err != nil {
		t.Fatal(err)
	}
	if info, err := r.Info(testCtx(t)); err != nil || info.Version != "0.14.0" {
		t.Fatalf("after replacing the binary: %+v, %v; want 0.14.0", info, err)
	}
}

func TestInfo_FindingTheCLI(t *testing.T) {
	cli := simtest.InstallCLI(t, "0.13.0")
	t.Setenv("PATH", cli.Dir)
	if info, err := NewRunner(Options{}, nil).Info(testCtx(t)); err != nil || info.Path != cli.Path {
		t.Fatalf("PATH lookup: %+v, %v", info, err)
	}
	// A relative PATH entry is refused, even when it holds heddle.
	t.Chdir(cli.Dir)
	t.Setenv("PATH", ".")
	_, err := NewRunner(Options{}, nil).Info(testCtx(t))
	wantKind(t, err, KindNotFound)

	plain := filepath.Join(t.TempDir(), "heddle")
	os.WriteFile(plain, []byte("#!/bin/sh\necho hello\n"), 0o644)
	notHeddle := filepath.Join(t.TempDir(), "heddle")
	os.WriteFile(notHeddle, []byte("#!/bin/sh\necho git version 2.39\n"), 0o755)
	failing := filepath.Join(t.TempDir(), "heddle")
	os.WriteFile(failing, []byte("#!/bin/sh\nexit 3\n"), 0o755)
	for _, tt := range []struct {
		setting string
		kind    Kind
	}{
		{"off", KindDisabled},
		{"bin/heddle", KindBadSetting},
		{"./heddle", KindBadSetting},
		{"/nonexistent/heddle", KindNotFound},
		{plain, KindNotFound},     // not executable
		{notHeddle, KindNotFound}, // not heddle's --version line
		{failing, KindNotFound},   // --version fails
	} {
		_, err := NewRunner(Options{Setting: tt.setting, Timeout: testTimeout}, nil).Info(testCtx(t))
		if e := wantKind(t, err, tt.kind); e.Hint == "" {
			t.Errorf("%q: no hint", tt.setting)
		}
	}
}

// TestSafety_NothingRunsWhereItCouldWrite proves each rule of CLISafe and
// the read-verb list with the fake CLI's invocation log: the allowed case
// runs exactly once, and every forbidden case runs nothing.
func TestSafety_NothingRunsWhereItCouldWrite(t *testing.T) {
	cli := simtest.InstallCLI(t, "0.13.0")
	r := runner(cli, Options{})
	if _, err := r.Info(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	mk := func(t *testing.T, dirs ...string) {
		t.Helper()
		for _, d := range dirs {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	touch := func(t *testing.T, p string) {
		t.Helper()
		mk(t, filepath.Dir(p))
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		setup  func(t *testing.T, root, sub string) Target // nil target field: the discovered one
		reason string
	}{
		{"allowed: a subfolder of a repository", func(t *testing.T, root, sub string) Target { return target(t, sub) }, ""},
		{"not in a repository discovery accepted", func(t *testing.T, root, sub string) Target {
			plain := filepath.Join(filepath.Dir(root), "plain-git")
			mk(t, filepath.Join(plain, ".git"))
			return Target{Folder: plain, Repo: heddle.Repo{Root: plain, HeddleDir: filepath.Join(plain, ".heddle")}}
		}, heddle.UnsafeNoRepo},
		{"a stale repository for the folder", func(t *testing.T, root, sub string) Target {
			tg := target(t, sub)
			tg.Repo.Root = sub
			return tg
		}, heddle.UnsafeRepoChanged},
		{"a nested plain Git root", func(t *testing.T, root, sub string) Target {
			mk(t, filepath.Join(sub, ".git"))
			return target(t, sub)
		}, heddle.UnsafeNestedGit},
		{"a nested heddle root discovery skips", func(t *testing.T, root, sub string) Target {
			touch(t, filepath.Join(sub, ".heddle", "HEAD"))
			return target(t, sub)
		}, heddle.UnsafeForeignRoot},
		{"a clone intent in the root", func(t *testing.T, root, sub string) Target {
			touch(t, filepath.Join(root, ".heddle", "clone-intent.toml"))
			return target(t, sub)
		}, heddle.UnsafeCloneIntent},
		{"a clone intent in an ancestor", func(t *testing.T, root, sub string) Target {
			touch(t, filepath.Join(filepath.Dir(root), ".heddle", "clone-intent.toml"))
			return target(t, sub)
		}, heddle.UnsafeCloneIntent},
	}
	queries := map[string]func(Target) error{
		"operations": func(tg Target) error {
			_, err := r.Operations(testCtx(t), tg, heddle.OperationQuery{})
			return err
		},
		"signal health": func(tg Target) error { _, err := r.SignalHealth(testCtx(t), tg, 0); return err },
		"hooks":         func(tg Target) error { _, err := r.Hooks(testCtx(t), tg); return err },
	}
	for _, tt := range tests {
		for qname, query := range queries {
			t.Run(tt.name+"/"+qname, func(t *testing.T) {
				// Each case in a directory of its own, so an ancestor's
				// clone intent stays in its case.
				base := simtest.NewRepo(t) // a short canonical temp dir; its .heddle is not used
				root := filepath.Join(base, "repo")
				sub := filepath.Join(root, "pkg", "lib")
				mk(t, filepath.Join(root, ".heddle", "objects"), sub)
				os.RemoveAll(filepath.Join(base, ".heddle"))
				tg := tt.setup(t, root, sub)
				cli.ClearCalls(t)
				err := query(tg)
				calls := queryCalls(t, cli)
				if tt.reason == "" {
					if err != nil || len(calls) != 1 {
						t.Fatalf("allowed case: err %v, %d runs; want one run", err, len(calls))
					}
					return
				}
				if e := wantKind(t, err, KindUnsafe); e.Reason != tt.reason || e.Hint == "" {
					t.Fatalf("reason %q (hint %q), want %q", e.Reason, e.Hint, tt.reason)
				}
				if len(calls) != 0 {
					t.Fatalf("the CLI ran in a forbidden place: %+v", calls)
				}
			})
		}
	}
	t.Run("a verb outside the read list", func(t *testing.T) {
		root := seededRepo(t)
		cli.ClearCalls(t)
		for _, verb := range [][]string{{"hook", "install", "pre-push"}, {"oplog", "recover"}, {"status"}, {"daemon", "status"}, {"review"}, {}} {
			_, err := r.runVerb(testCtx(t), target(t, root), verb...)
			if e := wantKind(t, err, KindUnsafe); e.Reason != "verb" {
				t.Fatalf("%q: reason %q, want verb", verb, e.Reason)
			}
		}
		if calls := cli.Calls(t); len(calls) != 0 {
			t.Fatalf("a verb outside the read list ran: %+v", calls)
		}
	})
}

// pids reads the pids the hang-tree fault's processes recorded.
func pids(t *testing.T, path string) []int {
	t.Helper()
	data, _ := os.ReadFile(path)
	var out []int
	for _, f := range strings.Fields(string(data)) {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("pid file %q", data)
		}
		out = append(out, n)
	}
	return out
}

// gone reports whether pid has exited: it no longer exists, or is a zombie
// waiting for init to reap it (it was re-parented when its parent died).
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// The state follows the parenthesised command name.
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

func requireTreeGone(t *testing.T, pidFile string) {
	t.Helper()
	ps := pids(t, pidFile)
	if len(ps) != 3 {
		t.Fatalf("pids %v: want the CLI, its child and a grandchild", ps)
	}
	simtest.WaitFor(t, 5*time.Second, func() bool {
		return !slices.ContainsFunc(ps, func(p int) bool { return !gone(p) })
	}, "the CLI, its child and its grandchild to be gone")
}

func TestRun_TimeoutKillsTheProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pids")
	cli := simtest.InstallCLI(t, "0.13.0", "HEDDLE_SIM_CLI_FAULT=hang-tree", "HEDDLE_SIM_CLI_PIDS="+pidFile)
	// Long enough for the tree to start on a busy machine (it takes
	// milliseconds), short enough for a test.
	r := runner(cli, Options{Timeout: 2 * time.Second})
	_, err := r.Hooks(testCtx(t), target(t, seededRepo(t)))
	if e := wantKind(t, err, KindTimeout); !strings.Contains(e.Hint, "queryTimeoutMs") {
		t.Fatalf("hint %q does not name queryTimeoutMs", e.Hint)
	}
	requireTreeGone(t, pidFile)
}

func TestRun_CancelKillsTheProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pids")
	cli := simtest.InstallCLI(t, "0.13.0", "HEDDLE_SIM_CLI_FAULT=hang-tree", "HEDDLE_SIM_CLI_PIDS="+pidFile)
	r := runner(cli, Options{})
	ctx, cancel := context.WithCancel(testCtx(t))
	done := make(chan error, 1)
	go func() {
		_, err := r.SignalHealth(ctx, target(t, seededRepo(t)), 0)
		done <- err
	}()
	simtest.WaitFor(t, testTimeout, func() bool { return len(pids(t, pidFile)) == 3 }, "the CLI's process tree to start")
	cancel()
	select {
	case err := <-done:
		wantKind(t, err, KindCanceled)
	case <-time.After(testTimeout):
		t.Fatal("SignalHealth did not return after cancel")
	}
	requireTreeGone(t, pidFile)
}

func TestRun_HugeStdoutIsRefused(t *testing.T) {
	cli := simtest.InstallCLI(t, "0.13.0", "HEDDLE_SIM_CLI_FAULT=huge")
	r := runner(cli, Options{MaxStdout: 1 << 20})
	_, err := r.Operations(testCtx(t), target(t, seededRepo(t)), heddle.OperationQuery{})
	if e := wantKind(t, err, KindTooLarge); !strings.Contains(e.Message, "1 MiB") || e.Hint == "" {
		t.Fatalf("too-large error %+v should name the limit and say how to narrow", e)
	}
}

func TestRun_ExitCodesAndEnvelope(t *testing.T) {
	root := seededRepo(t)
	for _, tt := range []struct {
		fault   string
		kind    Kind
		code    int
		cliKind string
	}{
		{"exit=64:parse_error", KindUsage, 64, "parse_error"},
		{"exit=65:state_corrupted", KindData, 65, "state_corrupted"},
		{"exit=75:repository_lock_unavailable", KindBusy, 75, "repository_lock_unavailable"},
		{"exit=78:repository_not_found", KindNoRepo, 78, "repository_not_found"},
		{"exit=74", KindFailed, 74, "runtime_error"},
		{"lock", KindBusy, 75, "repository_lock_unavailable"},
	} {
		t.Run(tt.fault, func(t *testing.T) {
			cli := simtest.InstallCLI(t, "0.13.0", "HEDDLE_SIM_CLI_FAULT="+tt.fault)
			_, err := runner(cli, Options{}).Operations(testCtx(t), target(t, root), heddle.OperationQuery{})
			e := wantKind(t, err, tt.kind)
			if e.ExitCode != tt.code || e.CLIKind != tt.cliKind {
				t.Fatalf("%+v: want exit %d, heddle kind %s", e, tt.code, tt.cliKind)
			}
			// The message is the envelope's error (not heddle's log lines on
			// stderr before it), and the hint is heddle's.
			if !strings.Contains(e.Message, "heddle query") || strings.Contains(e.Message, "WARN") || e.Hint == "" ||
				!(strings.Contains(e.Message, "simulated failure") || strings.Contains(e.Message, "lock")) {
				t.Fatalf("message %q, hint %q", e.Message, e.Hint)
			}
			if calls := queryCalls(t, cli); len(calls) != 1 {
				t.Fatalf("%d runs: a failure must not be retried automatically", len(calls))
			}
		})
	}
	t.Run("a real 65: the repository's format is too new", func(t *testing.T) {
		os.WriteFile(filepath.Join(simtest.HeddleDir(root), "config.toml"), []byte("[repository]\nversion = 9\n"), 0o644)
		defer os.Remove(filepath.Join(simtest.HeddleDir(root), "config.toml"))
		_, err := runner(simtest.InstallCLI(t, "0.13.0"), Options{}).Hooks(testCtx(t), target(t, root))
		if e := wantKind(t, err, KindData); e.CLIKind != "repository_format_too_new" || !strings.Contains(e.Message, "format 9") || e.Hint == "" {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("exit 0 with garbage", func(t *testing.T) {
		cli := simtest.InstallCLI(t, "0.13.0", "HEDDLE_SIM_CLI_FAULT=garbage")
		_, err := runner(cli, Options{}).SignalHealth(testCtx(t), target(t, root), 0)
		wantKind(t, err, KindBadOutput)
	})
}

func TestRun_ConcurrencyIsBounded(t *testing.T) {
	cli := simtest.InstallCLI(t, "0.13.0", "HEDDLE_SIM_CLI_FAULT=hang")
	r := runner(cli, Options{MaxConcurrent: 1})
	tg := target(t, seededRepo(t))
	if _, err := r.Info(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	first := make(chan error, 1)
	go func() { _, err := r.Hooks(ctx, tg); first <- err }()
	simtest.WaitFor(t, testTimeout, func() bool { return len(queryCalls(t, cli)) == 1 }, "the first CLI process to start")

	short, cancelShort := context.WithTimeout(testCtx(t), 300*time.Millisecond)
	defer cancelShort()
	_, err := r.Hooks(short, tg)
	if e := wantKind(t, err, KindTimeout); !strings.Contains(e.Message, "free slot") {
		t.Fatalf("message %q should say it waited for a slot", e.Message)
	}
	if n := len(queryCalls(t, cli)); n != 1 {
		t.Fatalf("%d CLI processes ran with MaxConcurrent 1", n)
	}
	cancel()
	wantKind(t, <-first, KindCanceled)
}
