package heddle

import (
	"fmt"
	"slices"
)

// Query types: the read-only questions heddle-ls asks, in Go terms, whichever
// source (the agent daemon or the heddle CLI) answers them.

// OperationQuery filters the operation log. Zero values mean "no filter".
type OperationQuery struct {
	Actor              string   // exact match on the actor's email
	Symbol             string   // must be among the hit's symbols
	SignalKind         string   // must be among the hit's signal kinds
	Thread             string   // exact match
	Verbs              []string // any-of; overrides IncludeCheckpoints
	SinceSecs          int64    // inclusive; 0 = unset
	UntilSecs          int64    // inclusive; 0 = unset
	Limit              int      // the most recent N; 0 = DefaultOperationLimit
	IncludeCheckpoints bool
}

// Validate reports the first thing wrong with q, in words that name the
// field; the LSP and the CLI both refuse a query it rejects.
func (q OperationQuery) Validate() error {
	switch {
	case q.Limit < 0:
		return fmt.Errorf("limit must be ≥ 0 (0 means %d), got %d", DefaultOperationLimit, q.Limit)
	case q.Limit > MaxOperationLimit:
		return fmt.Errorf("limit must be at most %d, got %d", MaxOperationLimit, q.Limit)
	case q.SinceSecs < 0 || q.UntilSecs < 0:
		return fmt.Errorf("sinceSecs and untilSecs are Unix seconds and must be ≥ 0")
	case q.SinceSecs != 0 && q.UntilSecs != 0 && q.SinceSecs > q.UntilSecs:
		return fmt.Errorf("sinceSecs (%d) is after untilSecs (%d)", q.SinceSecs, q.UntilSecs)
	case slices.Contains(q.Verbs, ""):
		return fmt.Errorf("verbs must not contain an empty string")
	}
	return nil
}

// EffectiveLimit is the number of hits q asks for: Limit, or the default.
func (q OperationQuery) EffectiveLimit() int {
	if q.Limit == 0 {
		return DefaultOperationLimit
	}
	return q.Limit
}

// DefaultOperationLimit is how many hits Operations returns when no limit is given.
const DefaultOperationLimit = 50

// MaxOperationLimit caps what a caller may ask for in one query.
const MaxOperationLimit = 10000

// Operation is one operation-log hit.
type Operation struct {
	Seq           uint64
	TimestampSecs int64
	Verb          string
	ActorEmail    string
	OperationID   string
	Thread        string
	Symbols       []string
	SignalKinds   []string
	StateID       []byte // the state's id bytes (change_id on heddle.v1 wires up to v0.10.1)
	StateRef      string // the id as heddle prints it ("hd-…", "hs-…"; see FormatID), "" when none
}

// SignalHealth is the repository's signal-health report.
type SignalHealth struct {
	WindowStates uint32
	Entries      []SignalHealthEntry
}

// SignalHealthEntry is one producer module's fire rate over the window.
type SignalHealthEntry struct {
	ModuleID string
	FireRate float32
	Warn     bool
}

// Hook is one registered hook.
type Hook struct {
	Name      string
	Command   string
	Events    []string
	TimeoutMs uint32
}
