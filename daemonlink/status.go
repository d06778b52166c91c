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

// Status is the live knowledge about one heddle dir's daemon.
type Status struct {
	Root      string    // checkout root: the directory holding .heddle (set per folder by the caller for worktrees)
	HeddleDir string    // canonical heddle dir; "" for no-repo
	State     State     // see State
	Reason    string    // stable machine code, e.g. "health-unimplemented", "pid-dead"
	Message   string    // one human line
	Hint      string    // the user's next step; "" when none
	PID       int       // pid from the pidfile; 0 when none
	Socket    string    // socket path; "" for no-repo
	API       string    // APIHeddleV1, APIV1Alpha1 or APIUnknown
	Since     time.Time // when State (and Reason) last changed
}

// Same reports whether two statuses would look the same to the user: a
// change in any of these fields is worth a notification; Since is not.
func (s Status) Same(o Status) bool {
	return s.Root == o.Root && s.HeddleDir == o.HeddleDir && s.State == o.State &&
		s.Reason == o.Reason && s.Message == o.Message && s.Hint == o.Hint &&
		s.PID == o.PID && s.Socket == o.Socket && s.API == o.API
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
