package daemonlink

import (
	"math/rand/v2"
	"time"
)

// The link's policy: what one probe's result means for what subscribers
// see, when to look again, and which process to watch. decide is a pure
// function of the result and the link's counters; link.apply carries the
// decision out.

const (
	longRetries = 5 // confirmed timeouts: 1 s, 2 s, 4 s, 8 s, 16 s, then the state stands

	// starvedRetries bounds the probes in a row whose timeout coincided
	// with heddle-ls itself waiting to run (starve.go): they are not
	// confirmations, and are retried after confirmDelay, doubled each time.
	starvedRetries = 4

	// confirmDelay (plus up to as much again, at random) separates a
	// timed-out probe from the probe that confirms it: a busy machine
	// (an editor starting on two cores, twenty folders probed at once)
	// misses a 50 ms deadline without anything being wrong, and the
	// jitter keeps links that timed out together from retrying together.
	confirmDelay = 25 * time.Millisecond
)

// holdBackoff paces re-probes while a daemon we were connected to shuts
// down: it may drain in-flight calls for seconds (heddle-sim waits up to 2 s)
// between closing its listener and removing its files. The process exit and
// the file removals wake the link earlier; these retries only bound the
// hold (about 3.7 s) should the daemon stop listening and never exit.
var holdBackoff = []time.Duration{2 * time.Millisecond, 8 * time.Millisecond,
	32 * time.Millisecond, 128 * time.Millisecond, 512 * time.Millisecond,
	time.Second, 2 * time.Second}

// shortBackoff paces retries after a refused connect: heddle writes its
// pidfile, then bind() creates the socket, then listen() makes it
// connectable, and no file event marks the listen.
var shortBackoff = []time.Duration{2 * time.Millisecond, 4 * time.Millisecond,
	8 * time.Millisecond, 16 * time.Millisecond, 32 * time.Millisecond,
	64 * time.Millisecond, 128 * time.Millisecond, 256 * time.Millisecond}

// policyState is what the policy remembers between probes.
type policyState struct {
	shown      Status // what subscribers were last given
	known      bool   // shown holds a probe result
	connPID    int    // the peer pid of the open verified connection; 0: none
	holdPID    int    // a daemon we were connected to that seems to be shutting down
	holdTries  int    // retries while holding its last status
	shortTries int    // retries after a refused connect
	longTries  int    // retries after a confirmed timeout
	confirming bool   // the last probe timed out; the next one confirms or clears it
	starved    int    // timeouts in a row that were explained by our own starvation
}

// decision is what to do with one probe's result.
type decision struct {
	publish  bool          // show status; false: keep showing what was shown
	status   Status        // what to show when publish
	retry    time.Duration // probe again after this; 0: wait for an event
	watchPID int           // the process whose exit wakes the link; 0: none
	dropConn bool          // close the open connection: its daemon is going away
	next     policyState   // the counters after this decision (shown is set by publish)
}

// decide applies the policy to a probe result:
//
//   - A daemon we were talking to whose socket vanished, stopped accepting
//     or dropped our connection is, almost always, shutting down: its files
//     and its process go soon after (each an event that wakes the link).
//     Hold the old status meanwhile, within holdBackoff, instead of
//     flashing starting, unreachable or unhealthy.
//   - A refused connect to a daemon we were not talking to is a daemon that
//     has bound but not yet listened: show starting, retry on shortBackoff,
//     then let unreachable stand.
//   - A timeout is not proof of a broken daemon: the first one is held (a
//     first probe publishes nothing yet) and confirmed by one more probe,
//     with twice the deadlines, after confirmDelay; only a second timeout in
//     a row is shown. A timeout while heddle-ls itself was starved of CPU
//     confirms nothing and is retried (starvedRetries, backing off).
//     Confirmed timeouts are re-probed on a long backoff, then the state
//     stands.
func decide(res probeResult, p policyState) decision {
	st := res.status
	d := decision{status: st, next: p}
	wasConnected := (p.connPID != 0 && st.PID == p.connPID) || (p.holdPID != 0 && st.PID == p.holdPID)
	shuttingDown := wasConnected && (res.refused || res.lost || st.Reason == ReasonSocketMissing)
	if shuttingDown && p.holdTries < len(holdBackoff) {
		d.retry = holdBackoff[p.holdTries]
		d.next.holdTries++
		d.next.holdPID = st.PID
		d.dropConn = true
		d.watchPID = st.PID
		return d
	}
	d.next.holdPID, d.next.holdTries = 0, 0
	alreadyShown := p.known && p.shown.State == st.State && p.shown.Reason == st.Reason
	switch {
	case res.refused && !shuttingDown && p.shortTries < len(shortBackoff):
		d.retry = shortBackoff[p.shortTries]
		d.next.shortTries++
		d.status.State = StateStarting
		d.status.Reason = ReasonNotListening
		d.status.Hint, d.status.Fix = "", FixNone
		d.status.Message = "the daemon is starting: its socket does not accept connections yet"
	case res.timedOut && res.starved && p.starved < starvedRetries && !alreadyShown:
		d.next.confirming = true
		d.next.starved++
		d.retry = confirmDelay<<p.starved + rand.N(confirmDelay)
		d.watchPID = st.PID
		return d
	case res.timedOut && !p.confirming && !alreadyShown:
		d.next.confirming = true
		d.retry = confirmDelay + rand.N(confirmDelay)
		d.watchPID = st.PID
		return d
	case res.timedOut && p.longTries < longRetries:
		d.retry = time.Second << p.longTries
		d.next.longTries++
	}
	d.next.confirming, d.next.starved = false, 0
	d.publish = true
	switch st.State {
	case StateStarting, StateUnreachable, StateUnhealthy, StateReady, StateDenied:
		d.watchPID = st.PID
	}
	return d
}
