package folder

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// Error is why a folder could not answer a query: Kind is the contract's
// error kind (docs/LSP.md, "Errors"); Message names the folder and says
// why, with the hint; Status is the folder's status when the query began.
type Error struct {
	Kind    string
	Message string
	Hint    string
	Status  protocol.StatusParams
	Err     error
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

// Error kinds beyond daemonlink's query error kinds.
const (
	KindNoRepo = "no-repo" // the folder has no heddle repository
)

// IsKind reports whether err is a folder Error of kind k.
func IsKind(err error, k string) bool {
	var fe *Error
	return errors.As(err, &fe) && fe.Kind == k
}

// notReady is the error of a query against a folder nobody can answer.
func notReady(st protocol.StatusParams, kind string) *Error {
	msg := fmt.Sprintf("heddle daemon for %s is not ready (%s): %s", st.Folder, st.State, st.Message)
	if st.Hint != "" {
		msg += "; " + st.Hint
	}
	return &Error{Kind: kind, Message: msg, Hint: st.Hint, Status: st}
}

// target is where a query goes: the folder's status now and its heddle dir.
func (v *View) target(ctx context.Context) (protocol.StatusParams, string, error) {
	st, err := v.Current(ctx)
	if err != nil {
		return st, "", err
	}
	repo, hasRepo := v.Repo()
	if !hasRepo {
		return st, "", notReady(st, KindNoRepo)
	}
	if v.src == nil || (st.Queries == protocol.SourceNone && st.API != daemonlink.APIV1Alpha1) {
		return st, "", notReady(st, string(daemonlink.KindNotReady))
	}
	return st, repo.HeddleDir, nil
}

// queryFailed maps a source's error on a query ("operation log query") for
// a folder whose status was st.
func queryFailed(what string, st protocol.StatusParams, err error) error {
	var qe *daemonlink.QueryError
	if !errors.As(err, &qe) {
		return &Error{Kind: string(daemonlink.KindDaemon), Message: fmt.Sprintf("%s for %s failed: %v", what, st.Folder, err),
			Status: st, Err: err}
	}
	if (qe.Kind == daemonlink.KindNotReady || qe.Kind == daemonlink.KindNotTracked) && st.State != string(daemonlink.StateReady) {
		// Say the state and what to do, from the status the client sees.
		return notReady(st, string(qe.Kind))
	}
	hint := qe.Hint
	if hint == "" && qe.Kind == daemonlink.KindDeadline {
		hint = "the daemon did not answer in time; raise the queryTimeoutMs setting or run heddle.explain"
	}
	msg := fmt.Sprintf("%s for %s: %s", what, st.Folder, qe.Message)
	if hint != "" {
		msg += "; " + hint
	}
	return &Error{Kind: string(qe.Kind), Message: msg, Hint: hint, Status: st, Err: err}
}

// Operations answers heddle.operations: the most recent matches, newest first.
func (v *View) Operations(ctx context.Context, q heddle.OperationQuery) (protocol.OperationsResult, error) {
	if err := q.Validate(); err != nil {
		return protocol.OperationsResult{}, &Error{Kind: string(daemonlink.KindBadQuery), Message: err.Error(), Err: err}
	}
	st, dir, err := v.target(ctx)
	if err != nil {
		return protocol.OperationsResult{}, err
	}
	ops, err := v.src.Daemons.Operations(ctx, dir, q)
	if err != nil {
		return protocol.OperationsResult{}, queryFailed("operation log query", st, err)
	}
	return protocol.OperationsResult{Folder: v.uri, Source: protocol.SourceDaemon, Hits: WireOperations(ops)}, nil
}

// SignalHealth answers heddle.signalHealth; window 0 is the default (200 states).
func (v *View) SignalHealth(ctx context.Context, window uint32) (protocol.SignalHealthResult, error) {
	st, dir, err := v.target(ctx)
	if err != nil {
		return protocol.SignalHealthResult{}, err
	}
	h, err := v.src.Daemons.SignalHealth(ctx, dir, window)
	if err != nil {
		return protocol.SignalHealthResult{}, queryFailed("signal health query", st, err)
	}
	return WireSignalHealth(v.uri, protocol.SourceDaemon, h), nil
}

// Hooks answers heddle.hooks.
func (v *View) Hooks(ctx context.Context) (protocol.HooksResult, error) {
	st, dir, err := v.target(ctx)
	if err != nil {
		return protocol.HooksResult{}, err
	}
	hooks, err := v.src.Daemons.Hooks(ctx, dir)
	if err != nil {
		return protocol.HooksResult{}, queryFailed("hook listing", st, err)
	}
	return protocol.HooksResult{Folder: v.uri, Source: protocol.SourceDaemon, Hooks: WireHooks(hooks)}, nil
}

// WireOperations maps hits in the order given (newest first); arrays are
// never null.
func WireOperations(ops []heddle.Operation) []protocol.OperationHit {
	out := make([]protocol.OperationHit, 0, len(ops))
	for _, op := range ops {
		out = append(out, protocol.OperationHit{
			Seq:           op.Seq,
			TimestampSecs: op.TimestampSecs,
			Verb:          op.Verb,
			ActorEmail:    op.ActorEmail,
			OperationID:   op.OperationID,
			Thread:        op.Thread,
			Symbols:       nonNil(op.Symbols),
			SignalKinds:   nonNil(op.SignalKinds),
			StateID:       hex.EncodeToString(op.StateID),
		})
	}
	return out
}

// WireSignalHealth maps a signal-health report.
func WireSignalHealth(folderURI, source string, h heddle.SignalHealth) protocol.SignalHealthResult {
	out := protocol.SignalHealthResult{Folder: folderURI, Source: source, WindowStates: h.WindowStates,
		Entries: make([]protocol.SignalHealthEntry, 0, len(h.Entries))}
	for _, e := range h.Entries {
		out.Entries = append(out.Entries, protocol.SignalHealthEntry{ModuleID: e.ModuleID, FireRate: shortFloat(e.FireRate), Warn: e.Warn})
	}
	return out
}

// WireHooks maps hooks; arrays are never null.
func WireHooks(hooks []heddle.Hook) []protocol.Hook {
	out := make([]protocol.Hook, 0, len(hooks))
	for _, h := range hooks {
		out = append(out, protocol.Hook{Name: h.Name, Command: h.Command, Events: nonNil(h.Events), TimeoutMs: h.TimeoutMs})
	}
	return out
}

// shortFloat widens a float32 by its shortest decimal form, so 0.7 stays
// 0.7 on the wire instead of becoming 0.699999988079071.
func shortFloat(f float32) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
