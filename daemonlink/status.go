// Package daemonlink finds a heddle repository's local daemon, proves it is
// alive and ours, keeps that knowledge live, and runs read-only queries
// against it. It knows nothing of LSP: the lsp package maps its Go types to
// wire shapes.
package daemonlink

import "time"

// State is where a heddle dir's daemon stands, as shown to the user. The
// values are part of the LSP contract and never change spelling.
type State string

const (
	StateNoRepo         State = "no-repo"         // no heddle repository above the folder
	StateStopped        State = "stopped"         // no pidfile: no daemon runs
	StateInvalidPidfile State = "invalid-pidfile" // a pidfile we cannot trust or parse
	StateStale          State = "stale"           // pidfile names a dead or foreign process
	StateStarting       State = "starting"        // pid alive, socket not there (or not listening) yet
	StateUnreachable    State = "unreachable"     // socket refuses, times out, or cannot be dialled
	StateDenied         State = "denied"          // the socket's peer is another user
	StateUnhealthy      State = "unhealthy"       // connected, but the daemon does not serve
	StateReady          State = "ready"           // connected and serving
)

// AllStates lists every State in the contract's order; the LSP layer uses
// it to list per-state counts in a stable order.
var AllStates = []State{StateNoRepo, StateStopped, StateInvalidPidfile, StateStale,
	StateStarting, StateUnreachable, StateDenied, StateUnhealthy, StateReady}

// API names the daemon's gRPC surface.
const (
	APIHeddleV1 = "heddle.v1"           // heddle v0.2.0 era: the services this client queries
	APIV1Alpha1 = "heddle.api.v1alpha1" // later heddle: heddle.v1 answers UNIMPLEMENTED
	APIUnknown  = ""                    // not connected, or not yet detected
)

// Status is the live knowledge about one heddle dir's daemon. It names no
// checkout root: folders of one repository (worktrees among them) share a
// heddle dir, and each folder knows its own root.
type Status struct {
	HeddleDir string    // canonical heddle dir; "" for no-repo
	State     State     // see State
	Reason    string    // stable machine code, e.g. "health-unimplemented", "pid-dead"
	Message   string    // one human line
	Hint      string    // the user's next step; "" when none
	Fix       Fix       // the kind of next step, so a caller that knows the heddle version can spell it
	PID       int       // pid from the pidfile; 0 when none
	Socket    string    // socket path; "" for no-repo
	API       string    // APIHeddleV1, APIV1Alpha1 or APIUnknown
	Since     time.Time // when State (and Reason) last changed
}

// Fix says what Hint asks of the user when the answer depends on the heddle
// release: which agent-daemon command exists, and with which flags, is a
// fact of the version (heddle ≥ 0.11 has no agent daemon at all).
type Fix string

const (
	FixNone    Fix = ""        // Hint, if any, holds whatever the fix is
	FixStart   Fix = "start"   // start the agent daemon
	FixRestart Fix = "restart" // stop the agent daemon, then start it
)

// Same reports whether two statuses would look the same to the user: a
// change in any of these fields is worth a notification; Since is not.
func (s Status) Same(o Status) bool {
	s.Since, o.Since = time.Time{}, time.Time{}
	return s == o
}

// Step is one stage of the probe chain, for `explain`.
type Step struct {
	Name     string        // "discover", "pidfile", "process", "connect", "peer", "health", "api"
	OK       bool          // the step passed
	Duration time.Duration // wall time of the step
	Detail   string        // what was found, in one line
}

// Explanation is a fresh probe with every step shown.
type Explanation struct {
	Status Status
	Steps  []Step
}

// Options bound every step; zero values mean the defaults.
type Options struct {
	ConnectTimeout time.Duration // dial + SO_PEERCRED; default 50 ms
	HealthTimeout  time.Duration // first Health.Check (and API detection); default 150 ms
	QueryTimeout   time.Duration // every query RPC; default 2 s
}

const (
	DefaultConnectTimeout = 50 * time.Millisecond
	DefaultHealthTimeout  = 150 * time.Millisecond
	DefaultQueryTimeout   = 2 * time.Second
)

// confirming are the timeouts of a probe that confirms a timeout: twice
// the configured ones, so a merely busy daemon gets a fair second chance
// while a hung one is still reported within a second at the defaults.
func (o Options) confirming() Options {
	o = o.WithDefaults()
	o.ConnectTimeout *= 2
	o.HealthTimeout *= 2
	return o
}

// WithDefaults fills zero fields with the defaults.
func (o Options) WithDefaults() Options {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.HealthTimeout <= 0 {
		o.HealthTimeout = DefaultHealthTimeout
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = DefaultQueryTimeout
	}
	return o
}
