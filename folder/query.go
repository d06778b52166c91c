package folder

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/heddlecli"
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

// notReady is the error of a query against a folder nobody can answer.
func notReady(st protocol.StatusParams, kind string) *Error {
	msg := fmt.Sprintf("heddle daemon for %s is not ready (%s): %s", st.Folder, st.State, st.Message)
	if st.Hint != "" {
		msg += "; " + st.Hint
	}
	return &Error{Kind: kind, Message: msg, Hint: st.Hint, Status: st}
}

// route is where one query goes.
type route struct {
	st     protocol.StatusParams // the folder's status when the query began
	repo   heddle.Repo
	daemon bool // ask the agent daemon first
	cli    bool // the heddle CLI may answer (alone, or when the daemon cannot)
}

// routeFor decides where a query goes: the agent daemon when it is ready
// and (unless v1alpha1 is enough) speaks heddle.v1; the heddle CLI when it
// may run here; else an error saying which is missing and what to do.
func (v *View) routeFor(ctx context.Context, v1alpha1 bool) (route, error) {
	st, err := v.Current(ctx)
	if err != nil {
		return route{st: st}, err
	}
	v.mu.Lock()
	repo, noRepo, cli := v.repo, v.noRepo, v.cli
	v.mu.Unlock()
	if noRepo != nil {
		return route{st: st}, notReady(st, KindNoRepo)
	}
	if v.src == nil {
		return route{st: st}, notReady(st, string(daemonlink.KindNotReady))
	}
	r := route{st: st, repo: repo, cli: cli.answers(),
		daemon: st.State == string(daemonlink.StateReady) && (v1alpha1 || st.API != daemonlink.APIV1Alpha1)}
	if !r.daemon && !r.cli {
		if st.State == string(daemonlink.StateReady) {
			// A v1alpha1 daemon and no CLI: the daemon says what it lacks.
			r.daemon = true
			return r, nil
		}
		return r, notReady(st, string(daemonlink.KindNotReady))
	}
	return r, nil
}

// fallsThrough reports whether a daemon's failure should be answered by
// the CLI instead: the daemon went away or lacks the call.
func fallsThrough(err error) bool {
	return daemonlink.IsQueryError(err, daemonlink.KindNotReady) || daemonlink.IsQueryError(err, daemonlink.KindNotTracked) ||
		daemonlink.IsQueryError(err, daemonlink.KindUnsupported)
}

// queryFailed maps a source's error on a query ("operation log query") for
// a folder whose status was st.
func queryFailed(what string, st protocol.StatusParams, err error) error {
	var ce *heddlecli.Error
	if errors.As(err, &ce) {
		return cliFailed(what, st, ce)
	}
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

// cliFailed maps the heddle CLI's error. Kinds shared with the daemon keep
// their names (deadline, canceled, bad-query); the others are cli-<kind>.
func cliFailed(what string, st protocol.StatusParams, ce *heddlecli.Error) error {
	kind := "cli-" + string(ce.Kind)
	switch ce.Kind {
	case heddlecli.KindTimeout:
		kind = string(daemonlink.KindDeadline)
	case heddlecli.KindCanceled:
		kind = string(daemonlink.KindCanceled)
	case heddlecli.KindBadQuery:
		kind = string(daemonlink.KindBadQuery)
	}
	msg := fmt.Sprintf("%s for %s through the heddle CLI: %s", what, st.Folder, ce.Message)
	if ce.Hint != "" {
		msg += "; " + ce.Hint
	}
	return &Error{Kind: kind, Message: msg, Hint: ce.Hint, Status: st, Err: ce}
}

func (r route) target(v *View) heddlecli.Target {
	return heddlecli.Target{Folder: v.path, Repo: r.repo}
}

// ask runs one query where r sends it: the agent daemon first when r says
// so, then the heddle CLI when the daemon was not asked or cannot answer
// (fallsThrough). It returns who answered; what names the query in errors.
func ask[T any](r route, what string, daemon, cli func() (T, error)) (T, string, error) {
	var zero T
	if r.daemon {
		v, err := daemon()
		if err == nil {
			return v, protocol.SourceDaemon, nil
		}
		if !r.cli || !fallsThrough(err) {
			return zero, "", queryFailed(what, r.st, err)
		}
	}
	v, err := cli()
	if err != nil {
		return zero, "", queryFailed(what, r.st, err)
	}
	return v, protocol.SourceCLI, nil
}

// Operations answers heddle.operations: the most recent matches, newest first.
func (v *View) Operations(ctx context.Context, q heddle.OperationQuery) (protocol.OperationsResult, error) {
	if err := q.Validate(); err != nil {
		return protocol.OperationsResult{}, &Error{Kind: string(daemonlink.KindBadQuery), Message: err.Error(), Err: err}
	}
	r, err := v.routeFor(ctx, false)
	if err != nil {
		return protocol.OperationsResult{}, err
	}
	ops, source, err := ask(r, "operation log query",
		func() ([]heddle.Operation, error) { return v.src.Daemons.Operations(ctx, r.repo.HeddleDir, q) },
		func() ([]heddle.Operation, error) { return v.src.CLI.Operations(ctx, r.target(v), q) })
	if err != nil {
		return protocol.OperationsResult{}, err
	}
	return protocol.OperationsResult{Folder: v.uri, Source: source, Hits: WireOperations(ops)}, nil
}

// SignalHealth answers heddle.signalHealth; window 0 is the default (200
// states). A ready daemon answers it over heddle.v1 or heddle.api.v1alpha1.
func (v *View) SignalHealth(ctx context.Context, window uint32) (protocol.SignalHealthResult, error) {
	r, err := v.routeFor(ctx, true)
	if err != nil {
		return protocol.SignalHealthResult{}, err
	}
	h, source, err := ask(r, "signal health query",
		func() (heddle.SignalHealth, error) { return v.src.Daemons.SignalHealth(ctx, r.repo.HeddleDir, window) },
		func() (heddle.SignalHealth, error) { return v.src.CLI.SignalHealth(ctx, r.target(v), window) })
	if err != nil {
		return protocol.SignalHealthResult{}, err
	}
	return WireSignalHealth(v.uri, source, h), nil
}

// Hooks answers heddle.hooks: the daemon's registered hooks, or the
// installed hook scripts through the CLI.
func (v *View) Hooks(ctx context.Context) (protocol.HooksResult, error) {
	r, err := v.routeFor(ctx, false)
	if err != nil {
		return protocol.HooksResult{}, err
	}
	hooks, source, err := ask(r, "hook listing",
		func() ([]heddle.Hook, error) { return v.src.Daemons.Hooks(ctx, r.repo.HeddleDir) },
		func() ([]heddle.Hook, error) { return v.src.CLI.Hooks(ctx, r.target(v)) })
	if err != nil {
		return protocol.HooksResult{}, err
	}
	return protocol.HooksResult{Folder: v.uri, Source: source, Hooks: WireHooks(hooks)}, nil
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
			StateRef:      stateRef(op),
		})
	}
	return out
}

// stateRef is the id as heddle prints it: the CLI's own spelling, or the
// daemon's bytes encoded the way heddle would.
func stateRef(op heddle.Operation) string {
	if op.StateRef != "" {
		return op.StateRef
	}
	return heddle.FormatID(op.StateID)
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
