package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/heddle-ls/heddle-ls/daemonlink/heddleapiv1alpha1"
	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
	"github.com/heddle-ls/heddle-ls/internal/sim"
	"github.com/heddle-ls/heddle-ls/internal/simtest"
)

// heddleQuery runs heddle (any program acting as heddle) query in root and
// returns the hits' seqs.
func heddleQuery(t *testing.T, heddle, root string, env []string, args ...string) []uint64 {
	t.Helper()
	cmd := exec.Command(heddle, append([]string{"query", "--output", "json", "--no-color", "-C", root}, args...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s query: %v", heddle, err)
	}
	var q struct {
		Hits []struct {
			Seq uint64 `json:"seq"`
		} `json:"hits"`
	}
	if err := json.Unmarshal(out, &q); err != nil {
		t.Fatalf("query output %q: %v", out, err)
	}
	var seqs []uint64
	for _, h := range q.Hits {
		seqs = append(seqs, h.Seq)
	}
	return seqs
}

func daemonSeqs(t *testing.T, d *simtest.Daemon) []uint64 {
	t.Helper()
	resp, err := heddlev1.NewOperationLogQueryServiceClient(d.Conn()).QueryOperations(rpcCtx(t, 10*time.Second),
		&heddlev1.QueryOperationsRequest{IncludeCheckpoints: true})
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, h := range resp.GetHits() {
		seqs = append(seqs, h.GetSeq())
	}
	return seqs
}

func seqRange(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func TestCLI_InvokedAsHeddleOrAsSubcommand(t *testing.T) {
	link := simtest.LinkCLI(t)
	for _, argv := range [][]string{{link, "--version"}, {simtest.BinaryPath(t), "cli", "--version"}} {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append(os.Environ(), "HEDDLE_SIM_VERSION=0.10.1")
		out, err := cmd.Output()
		if err != nil || string(out) != "heddle 0.10.1\n" {
			t.Fatalf("%q = %q, %v", argv, out, err)
		}
	}
	// Outside any repository: 78, as heddle.
	cmd := exec.Command(link, "query", "--output", "json", "-C", "/")
	out, err := cmd.CombinedOutput()
	if simtest.ExitCode(err) != 78 || !strings.Contains(string(out), `"kind":"repository_not_found"`) {
		t.Fatalf("outside a repository: exit %d, %s", simtest.ExitCode(err), out)
	}
}

func TestCLI_SharesTheDaemonsLogAndSeesAppends(t *testing.T) {
	for _, version := range []string{"0.13.0", "0.10.1"} {
		t.Run(version, func(t *testing.T) {
			repo := simtest.NewRepo(t)
			d := simtest.Start(t, repo, "--seed", "5", "--ops", "40")
			cli := simtest.InstallCLI(t, version)
			if got := heddleQuery(t, cli.Path, repo, nil, "--limit", "0", "--include-checkpoints"); !slices.Equal(got, seqRange(1, 40)) {
				t.Fatalf("CLI seqs = %v, want the daemon's 1..40", got)
			}
			if head := simtest.Append(t, repo, version, 3); head != 43 {
				t.Fatalf("append head = %d, want 43", head)
			}
			published := "oplog.manifest"
			if version == "0.10.1" {
				published = "oplog.bin"
			}
			if !simtest.FileExists(filepath.Join(sim.OplogDir(d.HeddleDir()), published)) {
				t.Fatalf("heddle %s publishes %s; it is missing", version, published)
			}
			if got := daemonSeqs(t, d); !slices.Equal(got, seqRange(1, 43)) {
				t.Fatalf("daemon seqs after append = %v, want 1..43", got)
			}
			if got := heddleQuery(t, cli.Path, repo, nil, "--limit", "0", "--include-checkpoints"); !slices.Equal(got, seqRange(1, 43)) {
				t.Fatalf("CLI seqs after append = %v, want 1..43", got)
			}
			if got := heddleQuery(t, cli.Path, repo, nil, "--limit", "0", "--verb", "fork", "--since", "2026-01-01T00:41:00Z"); len(got) > 1 {
				t.Fatalf("a filtered query found %v", got)
			}
		})
	}
}

func TestAppend_OverridesAndUsage(t *testing.T) {
	repo := simtest.NewRepo(t)
	simtest.Append(t, repo, "0.13.0", 1, "--verb", "snapshot", "--actor", "eve@example.com", "--thread", "live")
	cli := simtest.LinkCLI(t)
	if got := heddleQuery(t, cli, repo, nil, "--actor", "eve@example.com", "--thread", "live"); !slices.Equal(got, []uint64{121}) {
		t.Fatalf("the appended operation with its overrides: %v, want [121] after DefaultOptions' 120", got)
	}
	for _, args := range [][]string{{"append"}, {"append", "--repo", repo, "--heddle-version", "0.9.0"}, {"record", "--ops", "1"}} {
		out, err := exec.Command(simtest.BinaryPath(t), args...).CombinedOutput()
		if simtest.ExitCode(err) != 2 {
			t.Errorf("heddle-sim %q: exit %d, want 2\n%s", args, simtest.ExitCode(err), out)
		}
	}
	if out, err := exec.Command(simtest.BinaryPath(t), "record", "--repo", repo, "--seed", "8", "--ops", "7").CombinedOutput(); err != nil {
		t.Fatalf("record: %v\n%s", err, out)
	}
	if got := heddleQuery(t, cli, repo, nil, "--limit", "0", "--include-checkpoints"); !slices.Equal(got, seqRange(1, 7)) {
		t.Fatalf("after record --ops 7: %v", got)
	}
}

func TestFault_NoV1ServesV1Alpha1SignalHealth(t *testing.T) {
	d := simtest.Start(t, simtest.NewRepo(t), "--fault", "no-v1", "--seed", "2", "--ops", "60")
	report, err := heddleapiv1alpha1.NewStateReviewServiceClient(d.Conn()).GetRepoSignalHealth(rpcCtx(t, 10*time.Second),
		&heddleapiv1alpha1.GetRepoSignalHealthRequest{WindowStates: 0})
	if err != nil {
		t.Fatalf("GetRepoSignalHealth over heddle.api.v1alpha1: %v", err)
	}
	want := sim.FiredSignalHealth(sim.SeedOperations(2, 60), 0)
	if report.GetWindowStates() != 60 || len(report.GetEntries()) != len(want.GetEntries()) || len(want.GetEntries()) == 0 {
		t.Fatalf("report = %v, want %v", report, want)
	}
	_, err = heddlev1.NewHookServiceClient(d.Conn()).ListHooks(rpcCtx(t, 5*time.Second), &heddlev1.ListHooksRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("ListHooks on a v1alpha1 daemon = %v, want UNIMPLEMENTED", err)
	}
}
