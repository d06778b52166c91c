// Package mountd reports the state of a repository's mount daemon, heddled
// (`heddle daemon serve`, which serves materialised threads as FUSE
// mounts), from its files alone. It never connects to the daemon: every
// accepted connection resets heddled's 300 s idle timer, a protocol-2
// daemon exits and unmounts everything on a malformed request, and a
// protocol-3 daemon serves its socket single-threaded. So the status comes
// from what heddle's own client checks before it sends anything: the
// endpoint file, the pid in it, the socket file (protocol 3) and the mount
// registry. It knows nothing of LSP.
package mountd

import (
	"path/filepath"

	"github.com/heddle-ls/heddle-ls/heddle"
)

// States. There is no state for "not running": no endpoint file means a
// nil *Status, because heddled idles out after 300 s and its absence says
// nothing.
const (
	StateRunning         = "running"          // the endpoint's pid is a live heddle of ours (and, protocol 3, so is its socket)
	StateStale           = "stale"            // the endpoint outlived its daemon: mounted files may be gone
	StateDenied          = "denied"           // an endpoint, pid or socket that is not ours, or a symlink
	StateUnknownProtocol = "unknown-protocol" // an endpoint heddle-ls cannot interpret
)

// Reasons: stable machine codes, one per way of reaching a state.
const (
	ReasonEndpointLive = "endpoint-live" // running

	ReasonPidDead           = "pid-dead"           // stale: no such process, or a zombie
	ReasonPidNotHeddle      = "pid-not-heddle"     // stale: the pid was reused by another program
	ReasonProcessUnreadable = "process-unreadable" // stale: the pid could not be checked
	ReasonSocketMissing     = "socket-missing"     // stale: protocol 3, the pid lives but its socket is gone

	ReasonEndpointSymlink    = "endpoint-symlink"     // denied
	ReasonEndpointNotRegular = "endpoint-not-regular" // denied: a directory, FIFO, device…
	ReasonEndpointNotOurs    = "endpoint-not-ours"    // denied: owned by another uid
	ReasonPidNotOurs         = "pid-not-ours"         // denied: the pid is another user's process
	ReasonSocketSymlink      = "socket-symlink"       // denied
	ReasonSocketNotSocket    = "socket-not-socket"    // denied: something else sits at the socket path
	ReasonSocketNotOurs      = "socket-not-ours"      // denied: owned by another uid

	ReasonProtocolUnknown     = "protocol-unknown"     // unknown-protocol: a version other than 2 or 3
	ReasonEndpointUnparseable = "endpoint-unparseable" // unknown-protocol: not the endpoint's JSON shape
	ReasonEndpointInvalid     = "endpoint-invalid"     // unknown-protocol: a known version without the fields it requires
	ReasonEndpointTooLarge    = "endpoint-too-large"   // unknown-protocol: larger than any endpoint heddle writes
	ReasonEndpointUnreadable  = "endpoint-unreadable"  // unknown-protocol: the file cannot be read
)

// Status is what the files say about one repository's mount daemon.
type Status struct {
	State    string // one of the State constants
	Reason   string // one of the Reason constants
	Message  string // one human line
	PID      int    // the endpoint's pid; 0 when it has none we could read
	Protocol int    // the endpoint's protocol version; 0 when unreadable
	Mounts   int    // entries in mounts.json; 0 when absent or unreadable
}

// Same reports whether two statuses (either may be nil) look the same.
func Same(a, b *Status) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// The files heddled keeps in its state directory.
const (
	EndpointFile = "heddled.endpoint.json"
	SocketFile   = "heddled.sock"
	MountsFile   = "mounts.json"
)

// StateDir is where heddled keeps its files: the checkout root's own
// .heddle/state, not the shared heddle dir's. heddle resolves the mount
// daemon's paths from the repository root (the worktree's, in a worktree)
// and spawns the daemon with --repo set to it, so each worktree has its own
// daemon. "" when repo has no root.
func StateDir(repo heddle.Repo) string {
	if repo.Root == "" {
		return ""
	}
	return filepath.Join(repo.Root, ".heddle", "state")
}
