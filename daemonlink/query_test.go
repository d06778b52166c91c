package daemonlink_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/internal/sim"
	"github.com/heddle-ls/heddle-ls/internal/simtest"
)

func readyTracker(t *testing.T, args ...string) (*testTracker, string) {
	t.Helper()
	return readyTrackerWith(t, daemonlink.Options{}, args...)
}

func readyTrackerWith(t *testing.T, opts daemonlink.Options, args ...string) (*testTracker, string) {
	t.Helper()
	repo := simtest.NewRepo(t)
	simtest.Start(t, repo, args...)
	tr, rec, dir := trackRepo(t, repo, opts)
	rec.waitState(t, dir, 0, daemonlink.StateReady)
	return tr, dir
}

// newestFirst is what Operations must return: the daemon's full matching
// set (ascending, unlimited), its last n, newest first.
func newestFirst(ops []*heddlev1.OperationHit, req *heddlev1.QueryOperationsRequest, n int) []uint64 {
	all := sim.FilterOperations(ops, req)
	var seqs []uint64
	for i := len(all) - 1; i >= 0 && len(seqs) < n; i-- {
		seqs = append(seqs, all[i].GetSeq())
	}
	return seqs
}

func TestOperations_MostRecentNewestFirst(t *testing.T) {
	tr, dir := readyTracker(t)
	seeded := sim.SeedOperations(1, 120)
	ada := seeded[len(seeded)-1].GetActorEmail()
	thread := seeded[len(seeded)-2].GetThread()
	sym := seeded[len(seeded)-1].GetSymbols()
	kind := seeded[len(seeded)-1].GetSignalKinds()
	mid := seeded[60].GetTimestampSecs()

	tests := []struct {
		name string
		q    heddle.OperationQuery
	}{
		{"default limit", heddle.OperationQuery{}},
		{"limit 5", heddle.OperationQuery{Limit: 5}},
		{"actor", heddle.OperationQuery{Actor: ada, Limit: 7}},
		{"thread", heddle.OperationQuery{Thread: thread}},
		{"verbs override checkpoints", heddle.OperationQuery{Verbs: []string{"checkpoint", "snapshot"}}},
		{"include checkpoints", heddle.OperationQuery{IncludeCheckpoints: true, Limit: 30}},
		{"since inclusive", heddle.OperationQuery{SinceSecs: mid, Limit: 500}},
		{"until inclusive", heddle.OperationQuery{UntilSecs: mid, Limit: 3}},
		{"since and until equal", heddle.OperationQuery{SinceSecs: mid, UntilSecs: mid, IncludeCheckpoints: true}},
		{"no match", heddle.OperationQuery{Actor: "nobody@example.com"}},
	}
	if len(sym) > 0 {
		tests = append(tests, struct {
			name string
			q    heddle.OperationQuery
		}{"symbol", heddle.OperationQuery{Symbol: sym[0]}})
	}
	if len(kind) > 0 {
		tests = append(tests, struct {
			name string
			q    heddle.OperationQuery
		}{"signal kind", heddle.OperationQuery{SignalKind: kind[0], Limit: 4}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tr.Operations(context.Background(), dir, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			req := &heddlev1.QueryOperationsRequest{Actor: tt.q.Actor, Symbol: tt.q.Symbol, SignalKind: tt.q.SignalKind,
				Thread: tt.q.Thread, Verbs: tt.q.Verbs, SinceSecs: tt.q.SinceSecs, UntilSecs: tt.q.UntilSecs,
				IncludeCheckpoints: tt.q.IncludeCheckpoints}
			n := tt.q.Limit
			if n == 0 {
				n = heddle.DefaultOperationLimit
			}
			want := newestFirst(seeded, req, n)
			var seqs []uint64
			for _, op := range got {
				seqs = append(seqs, op.Seq)
			}
			if !slices.Equal(seqs, want) {
				t.Fatalf("seqs = %v\nwant   %v", seqs, want)
			}
		})
	}
	// The hit's fields come through intact.
	got, err := tr.Operations(context.Background(), dir, heddle.OperationQuery{Limit: 1, IncludeCheckpoints: true})
	if err != nil || len(got) != 1 {
		t.Fatalf("Operations = %v, %v", got, err)
	}
	last := seeded[len(seeded)-1]
	op := got[0]
	if op.Seq != last.GetSeq() || op.Verb != last.GetVerb() || op.ActorEmail != last.GetActorEmail() ||
		op.OperationID != last.GetOperationId() || op.TimestampSecs != last.GetTimestampSecs() ||
		fmt.Sprint(op.Symbols) != fmt.Sprint(last.GetSymbols()) || fmt.Sprintf("%x", op.StateID) != fmt.Sprintf("%x", last.GetChangeId()) {
		t.Fatalf("newest op = %+v\nwant %v", op, last)
	}
}

func TestOperations_BadQueries(t *testing.T) {
	tr, dir := readyTracker(t)
	for _, q := range []heddle.OperationQuery{
		{Limit: -1}, {Limit: heddle.MaxOperationLimit + 1}, {SinceSecs: -5}, {SinceSecs: 10, UntilSecs: 5},
	} {
		if _, err := tr.Operations(context.Background(), dir, q); !daemonlink.IsQueryError(err, daemonlink.KindBadQuery) {
			t.Errorf("Operations(%+v) err = %v, want bad-query", q, err)
		}
	}
}

// A log whose unlimited answer exceeds gRPC's 4 MiB default still yields
// the newest operations.
func TestOperations_LargerThanDefaultMessageLimit(t *testing.T) {
	const n = 60000
	all := sim.FilterOperations(sim.SeedOperations(1, n), &heddlev1.QueryOperationsRequest{IncludeCheckpoints: true})
	if size := proto.Size(&heddlev1.QueryOperationsResponse{Hits: all}); size <= 4<<20 {
		t.Fatalf("the test needs an answer above 4 MiB; it is %d bytes", size)
	}
	tr, dir := readyTracker(t, "--ops", fmt.Sprint(n), "--max-send-bytes", fmt.Sprint(64<<20))
	got, err := tr.Operations(context.Background(), dir, heddle.OperationQuery{Limit: 3, IncludeCheckpoints: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Seq != 60000 || got[2].Seq != 59998 {
		t.Fatalf("got %d ops, first seq %v", len(got), got)
	}
}

func TestSignalHealthAndHooks(t *testing.T) {
	tr, dir := readyTracker(t)
	report, err := tr.SignalHealth(context.Background(), dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := sim.SignalHealth(sim.SeedOperations(1, 120), 0)
	if report.WindowStates != want.GetWindowStates() || len(report.Entries) != len(want.GetEntries()) || len(report.Entries) == 0 {
		t.Fatalf("report = %+v, want %v", report, want)
	}
	for i, e := range report.Entries {
		w := want.GetEntries()[i]
		if e.ModuleID != w.GetModuleId() || e.FireRate != w.GetFireRate() || e.Warn != w.GetWarn() {
			t.Fatalf("entry %d = %+v, want %v", i, e, w)
		}
	}
	hooks, err := tr.Hooks(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	seeded := sim.SeedHooks()
	if len(hooks) != len(seeded) || len(hooks) == 0 || hooks[0].Name != seeded[0].GetName() ||
		fmt.Sprint(hooks[0].Events) != fmt.Sprint(seeded[0].GetEvents()) {
		t.Fatalf("hooks = %+v, want %v", hooks, seeded)
	}
}

// A refresh makes a new connection; queries running on the old one must
// finish, not fail with "the client connection is closing".
func TestOperations_SurviveARefreshBesideThem(t *testing.T) {
	// A generous query deadline: forty queries at once on a loaded machine
	// may take seconds, and this test is about the connection, not time.
	tr, dir := readyTrackerWith(t, daemonlink.Options{QueryTimeout: time.Minute}, "--ops", "2000")
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := tr.Operations(context.Background(), dir, heddle.OperationQuery{Limit: 500}); err != nil {
				errs <- err
			}
		}()
	}
	for range 10 {
		if _, err := tr.Refresh(context.Background(), dir); err != nil {
			errs <- fmt.Errorf("refresh: %w", err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("beside a refresh: %v", err)
	}
}
