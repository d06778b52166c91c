package sim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
)

// serve runs a Server on a real Unix socket in a short temp dir and returns
// a client connection to it; both end with the test.
func serve(t *testing.T, opts Options) *grpc.ClientConn {
	t.Helper()
	dir, err := os.MkdirTemp("", "hs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "grpc.sock")
	ln, err := ListenUnix(sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(opts)
	g := grpc.NewServer(srv.ServerOptions()...)
	srv.Register(g)
	served := make(chan error, 1)
	go func() { served <- g.Serve(ln) }()
	t.Cleanup(func() {
		g.Stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// fixture is a small hand-made log whose answers are written out by hand
// in the tables below.
var fixture = []*heddlev1.OperationHit{
	{Seq: 1, TimestampSecs: 100, Verb: "snapshot", ActorEmail: "ada@example.com", Thread: "main", Symbols: []string{"a"}, SignalKinds: []string{"novelty"}},
	{Seq: 2, TimestampSecs: 200, Verb: "checkpoint", ActorEmail: "grace@example.com", Thread: "main", Symbols: []string{"a", "b"}},
	{Seq: 3, TimestampSecs: 300, Verb: "goto", ActorEmail: "ada@example.com", Thread: "feature/x", SignalKinds: []string{"novelty", "test_reachability"}},
	{Seq: 4, TimestampSecs: 400, Verb: "redact", ActorEmail: "agent@example.com", Thread: "main", Symbols: []string{"b"}, SignalKinds: []string{"pattern_deviation"}},
	{Seq: 5, TimestampSecs: 500, Verb: "snapshot", ActorEmail: "ada@example.com", Thread: "feature/x", Symbols: []string{"b"}},
	{Seq: 6, TimestampSecs: 600, Verb: "fork", ActorEmail: "grace@example.com", Thread: "main", Symbols: []string{"a"}, SignalKinds: []string{"novelty"}},
}

type Q = heddlev1.QueryOperationsRequest

var queryCases = []struct {
	name string
	q    *Q
	want []uint64
}{
	{"empty query hides checkpoint and redact", &Q{}, []uint64{1, 3, 5, 6}},
	{"repo_path is ignored", &Q{RepoPath: "/no/such/repo"}, []uint64{1, 3, 5, 6}},
	{"include_checkpoints shows every verb", &Q{IncludeCheckpoints: true}, []uint64{1, 2, 3, 4, 5, 6}},
	{"explicit verbs override the default list", &Q{Verbs: []string{"checkpoint"}}, []uint64{2}},
	{"verbs are any-of", &Q{Verbs: []string{"snapshot", "redact"}}, []uint64{1, 4, 5}},
	{"explicit verbs override include_checkpoints", &Q{Verbs: []string{"fork"}, IncludeCheckpoints: true}, []uint64{6}},
	{"actor exact match", &Q{Actor: "ada@example.com"}, []uint64{1, 3, 5}},
	{"actor is case-sensitive", &Q{Actor: "ADA@example.com"}, nil},
	{"symbol among symbols", &Q{Symbol: "a"}, []uint64{1, 6}},
	{"symbol with checkpoints", &Q{Symbol: "a", IncludeCheckpoints: true}, []uint64{1, 2, 6}},
	{"symbol is not a prefix match", &Q{Symbol: "src"}, nil},
	{"signal kind among kinds", &Q{SignalKind: "novelty"}, []uint64{1, 3, 6}},
	{"thread exact match", &Q{Thread: "feature/x"}, []uint64{3, 5}},
	{"since is inclusive", &Q{SinceSecs: 300}, []uint64{3, 5, 6}},
	{"until is inclusive", &Q{UntilSecs: 300}, []uint64{1, 3}},
	{"since and until", &Q{SinceSecs: 300, UntilSecs: 500}, []uint64{3, 5}},
	{"since equals until", &Q{SinceSecs: 300, UntilSecs: 300}, []uint64{3}},
	{"since after until", &Q{SinceSecs: 500, UntilSecs: 300}, nil},
	{"limit keeps the oldest", &Q{Limit: 2}, []uint64{1, 3}},
	{"limit with checkpoints", &Q{Limit: 2, IncludeCheckpoints: true}, []uint64{1, 2}},
	{"limit 0 is unlimited", &Q{Limit: 0}, []uint64{1, 3, 5, 6}},
	{"limit above the count", &Q{Limit: 100}, []uint64{1, 3, 5, 6}},
	{"limit applies after filters", &Q{Actor: "ada@example.com", Limit: 2, SinceSecs: 200}, []uint64{3, 5}},
	{"filters combine", &Q{Actor: "ada@example.com", Thread: "feature/x", Verbs: []string{"snapshot"}}, []uint64{5}},
}

func seqs(hits []*heddlev1.OperationHit) []uint64 {
	var out []uint64
	for _, h := range hits {
		out = append(out, h.GetSeq())
	}
	return out
}

func TestQueryOperations_Semantics(t *testing.T) {
	client := heddlev1.NewOperationLogQueryServiceClient(serve(t, Options{Operations: fixture}))
	for _, tt := range queryCases {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := client.QueryOperations(ctx(t), tt.q)
			if err != nil {
				t.Fatalf("QueryOperations: %v", err)
			}
			if got := seqs(resp.GetHits()); !slices.Equal(got, tt.want) {
				t.Errorf("seqs = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStreamOperations_SameResultThenEOF(t *testing.T) {
	client := heddlev1.NewOperationLogQueryServiceClient(serve(t, Options{Operations: fixture}))
	for _, tt := range queryCases {
		t.Run(tt.name, func(t *testing.T) {
			stream, err := client.StreamOperations(ctx(t), &heddlev1.StreamOperationsRequest{Query: tt.q})
			if err != nil {
				t.Fatalf("StreamOperations: %v", err)
			}
			var got []uint64
			for {
				hit, err := stream.Recv()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("Recv: %v", err)
				}
				got = append(got, hit.GetSeq())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("streamed seqs = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestQueryOperations_SeededLogOverTheWire(t *testing.T) {
	client := heddlev1.NewOperationLogQueryServiceClient(serve(t, Options{Seed: 3, Ops: 300}))
	resp, err := client.QueryOperations(ctx(t), &Q{IncludeCheckpoints: true})
	if err != nil {
		t.Fatal(err)
	}
	want := SeedOperations(3, 300)
	if len(resp.GetHits()) != len(want) {
		t.Fatalf("%d hits, want %d", len(resp.GetHits()), len(want))
	}
	for i, h := range resp.GetHits() {
		w := want[i]
		if h.GetSeq() != w.GetSeq() || h.GetOperationId() != w.GetOperationId() ||
			string(h.GetChangeId()) != string(w.GetChangeId()) || !slices.Equal(h.GetSymbols(), w.GetSymbols()) ||
			!slices.Equal(h.GetSignalKinds(), w.GetSignalKinds()) {
			t.Fatalf("hit %d = %v, want %v", i, h, w)
		}
	}
}

func TestSignalHealth_Fixture(t *testing.T) {
	client := heddlev1.NewSignalServiceClient(serve(t, Options{Operations: fixture}))
	type rate struct {
		module string
		rate   float32
		warn   bool
	}
	tests := []struct {
		window      uint32
		wantVisited uint32
		want        []rate
	}{
		// Window 0 means 200: all 6 states. novelty fires on 3 of 6: 0.5 does not warn.
		{0, 6, []rate{{"invariant_adjacency", 0, false}, {"novelty", 0.5, false}, {"pattern_deviation", 1.0 / 6, false},
			{"self_flagged_uncertainty", 0, false}, {"test_reachability", 1.0 / 6, false}}},
		// The most recent state only (seq 6): novelty 1/1 warns.
		{1, 1, []rate{{"invariant_adjacency", 0, false}, {"novelty", 1, true}, {"pattern_deviation", 0, false},
			{"self_flagged_uncertainty", 0, false}, {"test_reachability", 0, false}}},
		// seqs 4..6.
		{3, 3, []rate{{"invariant_adjacency", 0, false}, {"novelty", 1.0 / 3, false}, {"pattern_deviation", 1.0 / 3, false},
			{"self_flagged_uncertainty", 0, false}, {"test_reachability", 0, false}}},
	}
	for _, tt := range tests {
		resp, err := client.GetRepoSignalHealth(ctx(t), &heddlev1.GetRepoSignalHealthRequest{WindowStates: tt.window})
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetWindowStates() != tt.wantVisited {
			t.Errorf("window %d: window_states = %d, want %d", tt.window, resp.GetWindowStates(), tt.wantVisited)
		}
		var got []rate
		for _, e := range resp.GetEntries() {
			got = append(got, rate{e.GetModuleId(), e.GetFireRate(), e.GetWarn()})
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("window %d: entries = %v, want %v", tt.window, got, tt.want)
		}
	}
}

func TestSignalHealth_WindowDefaultAndCap(t *testing.T) {
	ops := SeedOperations(1, 6000)
	if got := SignalHealth(ops, 0).GetWindowStates(); got != 200 {
		t.Errorf("window 0 visits %d states, want 200", got)
	}
	if got := SignalHealth(ops, 10000).GetWindowStates(); got != 5000 {
		t.Errorf("window 10000 visits %d states, want the cap 5000", got)
	}
	empty := SignalHealth(nil, 0)
	if empty.GetWindowStates() != 0 || len(empty.GetEntries()) != 5 {
		t.Errorf("empty log: %v, want 5 entries over 0 states", empty)
	}
	for _, e := range empty.GetEntries() {
		if e.GetFireRate() != 0 || e.GetWarn() {
			t.Errorf("empty log entry %v, want rate 0 and no warning", e)
		}
	}
}

func TestHooks_ListRegisterDeregister(t *testing.T) {
	client := heddlev1.NewHookServiceClient(serve(t, DefaultOptions()))
	names := func() []string {
		t.Helper()
		resp, err := client.ListHooks(ctx(t), &heddlev1.ListHooksRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range resp.GetHooks() {
			out = append(out, h.GetName())
		}
		return out
	}
	if got, want := names(), []string{"fmt-check", "notify-merge", "signal-log"}; !slices.Equal(got, want) {
		t.Fatalf("seeded hooks = %v, want %v", got, want)
	}
	_, err := client.RegisterHook(ctx(t), &heddlev1.RegisterHookRequest{Name: "x", Command: "true", Events: []string{"on_nothing"}})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("register with unknown event = %v, want InvalidArgument", err)
	}
	if _, err := client.RegisterHook(ctx(t), &heddlev1.RegisterHookRequest{Name: "aaa", Command: "true", Events: []string{"pre_push"}, TimeoutMs: 10}); err != nil {
		t.Fatalf("RegisterHook: %v", err)
	}
	if got, want := names(), []string{"aaa", "fmt-check", "notify-merge", "signal-log"}; !slices.Equal(got, want) {
		t.Errorf("after register: %v, want %v", got, want)
	}
	for _, want := range []bool{true, false} {
		resp, err := client.DeregisterHook(ctx(t), &heddlev1.DeregisterHookRequest{Name: "aaa"})
		if err != nil || resp.GetDeleted() != want {
			t.Errorf("DeregisterHook = %v, %v; want deleted=%t", resp, err, want)
		}
	}
}

func TestHooks_EventSchema(t *testing.T) {
	client := heddlev1.NewHookServiceClient(serve(t, DefaultOptions()))
	all, err := client.GetHookEventSchema(ctx(t), &heddlev1.GetHookEventSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.GetSchemas()) != len(HookEvents) {
		t.Errorf("catalog has %d schemas, want %d", len(all.GetSchemas()), len(HookEvents))
	}
	for i, s := range all.GetSchemas() {
		if s.GetEventName() != HookEvents[i] || s.GetSchemaVersion() != 1 ||
			!json.Valid([]byte(s.GetPayloadSchemaJson())) || !json.Valid([]byte(s.GetResponseSchemaJson())) {
			t.Errorf("schema %d = %v", i, s)
		}
	}
	one, err := client.GetHookEventSchema(ctx(t), &heddlev1.GetHookEventSchemaRequest{EventName: "pre_push"})
	if err != nil || len(one.GetSchemas()) != 1 || one.GetSchemas()[0].GetEventName() != "pre_push" {
		t.Errorf("pre_push schema = %v, %v", one, err)
	}
	_, err = client.GetHookEventSchema(ctx(t), &heddlev1.GetHookEventSchemaRequest{EventName: "nope"})
	if status.Code(err) != codes.NotFound {
		t.Errorf("unknown event schema = %v, want NotFound", err)
	}
}

func TestTransactions_Lifecycle(t *testing.T) {
	client := heddlev1.NewTransactionServiceClient(serve(t, DefaultOptions()))
	begun, err := client.BeginTransaction(ctx(t), &heddlev1.BeginTransactionRequest{Thread: "main"})
	if err != nil {
		t.Fatal(err)
	}
	id := begun.GetTransactionId()
	st, err := client.GetTransactionStatus(ctx(t), &heddlev1.GetTransactionStatusRequest{TransactionId: id})
	if err != nil || st.GetState() != "active" {
		t.Fatalf("status = %v, %v; want active", st, err)
	}
	if _, err := client.AbortTransaction(ctx(t), &heddlev1.AbortTransactionRequest{TransactionId: id, Reason: "test"}); err != nil {
		t.Fatalf("abort: %v", err)
	}
	_, err = client.CommitTransaction(ctx(t), &heddlev1.CommitTransactionRequest{TransactionId: id})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("commit after abort = %v, want FailedPrecondition", err)
	}
	_, err = client.GetTransactionStatus(ctx(t), &heddlev1.GetTransactionStatusRequest{TransactionId: "nope"})
	if status.Code(err) != codes.NotFound {
		t.Errorf("unknown transaction = %v, want NotFound", err)
	}
}

func TestUnmodelledServices_AnswerUnimplemented(t *testing.T) {
	conn := serve(t, DefaultOptions())
	_, err := heddlev1.NewStateReviewServiceClient(conn).GetReviewPayload(ctx(t), &heddlev1.GetReviewPayloadRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("GetReviewPayload = %v, want Unimplemented", err)
	}
	_, err = heddlev1.NewDiscussionServiceClient(conn).GetDiscussion(ctx(t), &heddlev1.GetDiscussionRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("GetDiscussion = %v, want Unimplemented", err)
	}
}

func TestNoV1_EveryServiceUnimplemented(t *testing.T) {
	conn := serve(t, Options{Seed: 1, Ops: 10, NoV1: true})
	_, err := heddlev1.NewSignalServiceClient(conn).GetRepoSignalHealth(ctx(t), &heddlev1.GetRepoSignalHealthRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("GetRepoSignalHealth = %v, want Unimplemented", err)
	}
	_, err = heddlev1.NewHookServiceClient(conn).ListHooks(ctx(t), &heddlev1.ListHooksRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("ListHooks = %v, want Unimplemented", err)
	}
}

// A 4 MiB+ response needs both ends to allow it; the server sends it.
func TestLargeResponse(t *testing.T) {
	if testing.Short() {
		t.Skip("large response")
	}
	conn := serve(t, Options{Seed: 1, Ops: 40000})
	client := heddlev1.NewOperationLogQueryServiceClient(conn)
	_, err := client.QueryOperations(ctx(t), &Q{IncludeCheckpoints: true})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("default client limit: %v, want ResourceExhausted", err)
	}
	resp, err := client.QueryOperations(ctx(t), &Q{IncludeCheckpoints: true}, grpc.MaxCallRecvMsgSize(64<<20))
	if err != nil || len(resp.GetHits()) != 40000 {
		t.Fatalf("with a 64 MiB limit: %d hits, %v", len(resp.GetHits()), err)
	}
}
