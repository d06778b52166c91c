package daemonlink

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	apiv1alpha1 "github.com/heddle-ls/heddle-ls/daemonlink/heddleapiv1alpha1"
	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
	"github.com/heddle-ls/heddle-ls/heddle"
)

// Queries: read-only RPCs over a tracked dir's verified connection, each
// under the caller's context and the query deadline.

// readyConn returns the connection of a ready daemon that speaks heddle.v1
// (or, when v1alpha1 is true, heddle.api.v1alpha1 too), acquired for one
// query (callOn releases it), and the API it speaks; or a QueryError
// saying why there is none.
func (t *Tracker) readyConn(heddleDir string, v1alpha1 bool) (*daemonConn, *link, string, error) {
	l := t.link(heddleDir)
	if l == nil {
		return nil, nil, "", &QueryError{Kind: KindNotTracked, Message: "no daemon is tracked for " + heddleDir}
	}
	l.mu.Lock()
	st, conn, known := l.status, l.conn, l.known
	l.mu.Unlock()
	switch {
	case !known:
		return nil, nil, "", &QueryError{Kind: KindNotReady, Message: "the daemon is still being probed",
			Hint: "try again in a moment"}
	case st.State != StateReady || conn == nil:
		return nil, nil, "", &QueryError{Kind: KindNotReady,
			Message: fmt.Sprintf("the daemon is not ready (%s: %s)", st.State, st.Message), Hint: st.Hint}
	case st.API == APIV1Alpha1 && !v1alpha1:
		return nil, nil, "", unsupported()
	case !conn.acquire():
		return nil, nil, "", &QueryError{Kind: KindNotReady, Message: "the daemon's connection is being replaced",
			Hint: "try again in a moment"}
	}
	return conn, l, st.API, nil
}

func unsupported() *QueryError {
	return &QueryError{Kind: KindUnsupported,
		Message: "the daemon speaks heddle.api.v1alpha1, which has no such query", Hint: hintV1Alpha1}
}

// call runs one heddle.v1 RPC with the query deadline and classifies its
// failure.
func call[T any](ctx context.Context, t *Tracker, heddleDir string, rpc func(context.Context, *daemonConn) (T, error)) (T, error) {
	var zero T
	conn, l, _, err := t.readyConn(heddleDir, false)
	if err != nil {
		return zero, err
	}
	return callOn(ctx, t, conn, l, APIHeddleV1, rpc)
}

// callOn runs rpc, a call of api, over conn (acquired by readyConn, and
// released here), the connection of l.
func callOn[T any](ctx context.Context, t *Tracker, conn *daemonConn, l *link, api string, rpc func(context.Context, *daemonConn) (T, error)) (T, error) {
	defer conn.release()
	var zero T
	qctx, cancel := context.WithTimeout(ctx, t.options().QueryTimeout)
	defer cancel()
	out, err := rpc(qctx, conn)
	st := status.Convert(err)
	switch {
	case err == nil:
		l.learnAPI(api)
	case st.Code() == codes.Unimplemented:
		l.learnAPI(APIV1Alpha1)
	}
	if err == nil {
		return out, nil
	}
	switch {
	case ctx.Err() != nil:
		return zero, &QueryError{Kind: KindCanceled, Message: "the request was cancelled", Err: ctx.Err()}
	case st.Code() == codes.DeadlineExceeded:
		return zero, &QueryError{Kind: KindDeadline,
			Message: fmt.Sprintf("the daemon did not answer within %v", t.options().QueryTimeout),
			Hint:    "the daemon may be busy or hung; raise queryTimeoutMs or restart the daemon", Err: err}
	case st.Code() == codes.Unimplemented:
		return zero, unsupported()
	case st.Code() == codes.Unavailable:
		// The transport broke under us: the daemon died or restarted.
		l.kick()
		return zero, &QueryError{Kind: KindDaemon, Message: "lost the connection to the daemon",
			Hint: "the daemon may have stopped; its status will update", Err: err}
	case st.Code() == codes.ResourceExhausted:
		return zero, &QueryError{Kind: KindDaemon, Message: "the daemon's answer is too large",
			Hint: "narrow the query (sinceSecs, filters)", Err: err}
	default:
		return zero, &QueryError{Kind: KindDaemon,
			Message: fmt.Sprintf("the daemon answered %s: %s", st.Code(), st.Message()), Err: err}
	}
}

// Operations returns the most recent operations matching q, newest first.
//
// The daemon returns hits oldest first and its limit keeps the OLDEST N, so
// asking it for N would return the wrong end of the log. We ask without a
// limit and keep the last N.
func (t *Tracker) Operations(ctx context.Context, heddleDir string, q heddle.OperationQuery) ([]heddle.Operation, error) {
	if err := q.Validate(); err != nil {
		return nil, &QueryError{Kind: KindBadQuery, Message: err.Error()}
	}
	limit := q.EffectiveLimit()
	req := &heddlev1.QueryOperationsRequest{Actor: q.Actor, Symbol: q.Symbol, SignalKind: q.SignalKind,
		Thread: q.Thread, Verbs: q.Verbs, SinceSecs: q.SinceSecs, UntilSecs: q.UntilSecs,
		Limit: 0, IncludeCheckpoints: q.IncludeCheckpoints}
	resp, err := call(ctx, t, heddleDir, func(ctx context.Context, c *daemonConn) (*heddlev1.QueryOperationsResponse, error) {
		return heddlev1.NewOperationLogQueryServiceClient(c.cc).QueryOperations(ctx, req)
	})
	if err != nil {
		return nil, err
	}
	hits := resp.GetHits()
	// Sort defensively: the order is the daemon's promise, not the wire's.
	slices.SortStableFunc(hits, func(a, b *heddlev1.OperationHit) int {
		switch {
		case a.GetSeq() > b.GetSeq():
			return -1
		case a.GetSeq() < b.GetSeq():
			return 1
		}
		return 0
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	out := make([]heddle.Operation, len(hits))
	for i, h := range hits {
		out[i] = heddle.Operation{Seq: h.GetSeq(), TimestampSecs: h.GetTimestampSecs(), Verb: h.GetVerb(),
			ActorEmail: h.GetActorEmail(), OperationID: h.GetOperationId(), Thread: h.GetThread(),
			Symbols: h.GetSymbols(), SignalKinds: h.GetSignalKinds(), StateID: h.GetChangeId()}
	}
	return out, nil
}

// SignalHealth returns the daemon's signal-health report; windowStates 0
// means the daemon's default (200 states). A heddle.v1 daemon answers it
// from SignalService, a heddle.api.v1alpha1 one (heddle v0.10.3) from
// StateReviewService, with the repository named by its canonical path.
func (t *Tracker) SignalHealth(ctx context.Context, heddleDir string, windowStates uint32) (heddle.SignalHealth, error) {
	conn, l, api, err := t.readyConn(heddleDir, true)
	if err != nil {
		return heddle.SignalHealth{}, err
	}
	if api == APIV1Alpha1 {
		resp, err := callOn(ctx, t, conn, l, APIV1Alpha1, func(ctx context.Context, c *daemonConn) (*apiv1alpha1.RepoSignalHealthReport, error) {
			return apiv1alpha1.NewStateReviewServiceClient(c.cc).GetRepoSignalHealth(ctx, &apiv1alpha1.GetRepoSignalHealthRequest{
				RepoPath:     &apiv1alpha1.RepositoryRef{Reference: &apiv1alpha1.RepositoryRef_CanonicalPath{CanonicalPath: filepath.Dir(heddleDir)}},
				WindowStates: windowStates})
		})
		if err != nil {
			return heddle.SignalHealth{}, err
		}
		return signalHealth(resp.GetWindowStates(), resp.GetEntries()), nil
	}
	resp, err := callOn(ctx, t, conn, l, APIHeddleV1, func(ctx context.Context, c *daemonConn) (*heddlev1.RepoSignalHealthReport, error) {
		return heddlev1.NewSignalServiceClient(c.cc).GetRepoSignalHealth(ctx,
			&heddlev1.GetRepoSignalHealthRequest{WindowStates: windowStates})
	})
	if err != nil {
		return heddle.SignalHealth{}, err
	}
	return signalHealth(resp.GetWindowStates(), resp.GetEntries()), nil
}

// signalHealth maps either API's report entries.
func signalHealth[E interface {
	GetModuleId() string
	GetFireRate() float32
	GetWarn() bool
}](window uint32, entries []E) heddle.SignalHealth {
	out := heddle.SignalHealth{WindowStates: window, Entries: make([]heddle.SignalHealthEntry, 0, len(entries))}
	for _, e := range entries {
		out.Entries = append(out.Entries, heddle.SignalHealthEntry{ModuleID: e.GetModuleId(), FireRate: e.GetFireRate(), Warn: e.GetWarn()})
	}
	return out
}

// Hooks lists the daemon's registered hooks.
func (t *Tracker) Hooks(ctx context.Context, heddleDir string) ([]heddle.Hook, error) {
	resp, err := call(ctx, t, heddleDir, func(ctx context.Context, c *daemonConn) (*heddlev1.ListHooksResponse, error) {
		return heddlev1.NewHookServiceClient(c.cc).ListHooks(ctx, &heddlev1.ListHooksRequest{})
	})
	if err != nil {
		return nil, err
	}
	out := make([]heddle.Hook, 0, len(resp.GetHooks()))
	for _, h := range resp.GetHooks() {
		out = append(out, heddle.Hook{Name: h.GetName(), Command: h.GetCommand(), Events: h.GetEvents(), TimeoutMs: h.GetTimeoutMs()})
	}
	return out, nil
}

// IsQueryError reports whether err is a QueryError of kind k.
func IsQueryError(err error, k QueryErrorKind) bool {
	var qe *QueryError
	return errors.As(err, &qe) && qe.Kind == k
}
