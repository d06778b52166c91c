package daemonlink

// Query types: the read-only questions the server asks a daemon, in Go terms.

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
	StateID       []byte // change_id on the wire in heddle v0.2.0
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
