package heddlecli

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/heddle-ls/heddle-ls/heddle"
)

// queryOutput is `heddle query --output json`: state_id from v0.10.3,
// change_id up to v0.10.1.
type queryOutput struct {
	OutputKind string     `json:"output_kind"`
	Hits       []queryHit `json:"hits"`
}

type queryHit struct {
	Seq           uint64   `json:"seq"`
	TimestampSecs int64    `json:"timestamp_secs"`
	Verb          string   `json:"verb"`
	ActorEmail    string   `json:"actor_email"`
	OperationID   *string  `json:"operation_id"`
	Thread        *string  `json:"thread"`
	Symbols       []string `json:"symbols"`
	SignalKinds   []string `json:"signal_kinds"`
	StateID       *string  `json:"state_id"`
	ChangeID      *string  `json:"change_id"`
}

// Operations runs `heddle query` for q and returns the most recent
// q.EffectiveLimit() hits, newest first: the CLI's own --limit keeps the
// oldest N, so it asks with --limit 0 and keeps the tail.
func (r *Runner) Operations(ctx context.Context, t Target, q heddle.OperationQuery) ([]heddle.Operation, error) {
	if err := q.Validate(); err != nil {
		return nil, &Error{Kind: KindBadQuery, Message: err.Error()}
	}
	args := []string{"query", "--limit", "0"}
	for _, f := range []struct{ flag, value string }{
		{"--actor", q.Actor}, {"--symbol", q.Symbol}, {"--signal", q.SignalKind}, {"--thread", q.Thread},
	} {
		if f.value != "" {
			args = append(args, f.flag, f.value)
		}
	}
	for _, v := range q.Verbs {
		args = append(args, "--verb", v)
	}
	if q.SinceSecs != 0 {
		args = append(args, "--since", time.Unix(q.SinceSecs, 0).UTC().Format(time.RFC3339))
	}
	if q.UntilSecs != 0 {
		args = append(args, "--until", time.Unix(q.UntilSecs, 0).UTC().Format(time.RFC3339))
	}
	if q.IncludeCheckpoints {
		args = append(args, "--include-checkpoints")
	}
	out, err := r.runVerb(ctx, t, args...)
	if err != nil {
		return nil, err
	}
	var res queryOutput
	if err := decodeStrict(out, &res); err != nil || res.OutputKind != "query" {
		return nil, badOutput("query", out, err)
	}
	hits := res.Hits
	// Sort defensively: the order is heddle's promise, not the wire's.
	slices.SortStableFunc(hits, func(a, b queryHit) int { return cmp.Compare(b.Seq, a.Seq) })
	if limit := q.EffectiveLimit(); len(hits) > limit {
		hits = hits[:limit]
	}
	ops := make([]heddle.Operation, len(hits))
	for i, h := range hits {
		op := heddle.Operation{Seq: h.Seq, TimestampSecs: h.TimestampSecs, Verb: h.Verb, ActorEmail: h.ActorEmail,
			OperationID: deref(h.OperationID), Thread: deref(h.Thread),
			Symbols: nonNil(h.Symbols), SignalKinds: nonNil(h.SignalKinds)}
		ref := deref(h.StateID)
		if ref == "" {
			ref = deref(h.ChangeID)
		}
		if ref != "" {
			op.StateRef = ref
			id, err := heddle.ParseID(ref)
			if err != nil {
				r.log.Warn("heddle query: an id heddle-ls cannot decode", "seq", h.Seq, "id", ref, "err", err)
			}
			op.StateID = id
		}
		ops[i] = op
	}
	return ops, nil
}

// SignalHealth runs `heddle review health`; window 0 means heddle's default
// (200 states). Entries are sorted by module id (v0.10.1 prints them in no
// particular order).
func (r *Runner) SignalHealth(ctx context.Context, t Target, window uint32) (heddle.SignalHealth, error) {
	args := []string{"review", "health"}
	if window != 0 {
		args = append(args, "--window", strconv.FormatUint(uint64(window), 10))
	}
	out, err := r.runVerb(ctx, t, args...)
	if err != nil {
		return heddle.SignalHealth{}, err
	}
	var res struct {
		OutputKind string `json:"output_kind"`
		Entries    []struct {
			ModuleID string  `json:"module_id"`
			FireRate float32 `json:"fire_rate"`
			Warn     bool    `json:"warn"`
		} `json:"entries"`
		WindowStates *uint32 `json:"window_states"`
	}
	if err := decodeStrict(out, &res); err != nil || res.OutputKind != "review_health" || res.WindowStates == nil {
		return heddle.SignalHealth{}, badOutput("review health", out, err)
	}
	sh := heddle.SignalHealth{WindowStates: *res.WindowStates, Entries: make([]heddle.SignalHealthEntry, 0, len(res.Entries))}
	for _, e := range res.Entries {
		sh.Entries = append(sh.Entries, heddle.SignalHealthEntry{ModuleID: e.ModuleID, FireRate: e.FireRate, Warn: e.Warn})
	}
	slices.SortFunc(sh.Entries, func(a, b heddle.SignalHealthEntry) int { return cmp.Compare(a.ModuleID, b.ModuleID) })
	return sh, nil
}

// Hooks runs `heddle hook list`: the installed hook scripts, in the daemon
// path's shape (the CLI knows no command, events or timeout per hook).
func (r *Runner) Hooks(ctx context.Context, t Target) ([]heddle.Hook, error) {
	out, err := r.runVerb(ctx, t, "hook", "list")
	if err != nil {
		return nil, err
	}
	var names []string
	if err := decodeStrict(out, &names); err != nil || names == nil {
		return nil, badOutput("hook list", out, err)
	}
	hooks := make([]heddle.Hook, 0, len(names))
	for _, n := range names {
		if n == "" || n != filepath.Base(n) {
			return nil, badOutput("hook list", out, fmt.Errorf("hook name %q is not a file name", n))
		}
		hooks = append(hooks, heddle.Hook{Name: n, Command: filepath.Join(t.Repo.HeddleDir, "hooks", n), Events: []string{}})
	}
	return hooks, nil
}

// decodeStrict decodes exactly one JSON value (and trailing white space).
// segmentio's decoder (already in the binary, through jsonrpc2) is
// encoding/json's drop-in, about five times faster here: decoding is the
// only part of a CLI query, besides the spawn, whose cost grows with the log.
func decodeStrict(data []byte, v any) error {
	return json.Unmarshal(data, v)
}

func badOutput(verb string, out []byte, err error) *Error {
	detail := "not the JSON it prints"
	if err != nil {
		detail = err.Error()
	}
	return &Error{Kind: KindBadOutput, Err: err,
		Message: fmt.Sprintf("heddle %s answered %.60q: %s", verb, out, detail),
		Hint:    "this heddle may be a version heddle-ls does not know; check heddlePath"}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
