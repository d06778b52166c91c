package daemonlink

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/fswatch"
	"github.com/heddle-ls/heddle-ls/internal/procwatch"
)

// A link tracks one heddle dir. Its goroutine (run) owns the probe loop,
// the connection's watchers, the exit watch and the retry timers; mu guards
// the fields that queries and Status read from other goroutines.
//
// Nothing here polls. A probe runs only when something happened: a file
// event in sockets/ (or, while it is missing, on the path to it), the
// daemon process exiting (pidfd), the gRPC channel leaving READY, a pushed
// Health.Watch flip, a refresh, or a bounded retry after a refused connect
// or a timeout.
type link struct {
	dir        string // canonical heddle dir
	socketsDir string
	t          *Tracker

	kickCh    chan struct{} // buffered 1: "something may have changed"
	refreshCh chan chan Status
	apiCh     chan string // an API learned from a query's answer
	closeCh   chan struct{}
	done      chan struct{}
	closed    atomic.Bool
	ctx       context.Context // ends when the link closes
	cancel    context.CancelFunc

	sockets *fswatch.Dir // sockets/ (or the way to it) on the shared watcher

	// pushed is the latest Health.Watch verdict: 0 none, 1 serving, 2 not.
	pushed atomic.Int32

	mu     sync.Mutex
	status Status
	known  bool        // status holds a probe result
	conn   *daemonConn // verified connection, when state is ready or unhealthy

	// Owned by run.
	connStop   context.CancelFunc // ends the current conn's watchers
	exit       *procwatch.Watch   // the daemon process's exit: catches SIGKILL and SIGTERM, which leave the files behind
	exitPID    int
	holdPID    int // a daemon we were connected to that seems to be shutting down
	holdTries  int // retries while holding its last status
	shortTries int // retries after a refused connect or a vanishing socket
	longTries  int // retries after a timeout
	retry      *time.Timer
}

const (
	// coalesceWindow merges the burst of events one daemon start or stop
	// makes (pidfile create+write, socket create; or both removals).
	coalesceWindow = time.Millisecond
	longRetries    = 5 // timeouts: 1 s, 2 s, 4 s, 8 s, 16 s, then the state stands
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

func newLink(t *Tracker, dir string) *link {
	ctx, cancel := context.WithCancel(context.Background())
	l := &link{dir: dir, socketsDir: filepath.Join(dir, "sockets"), t: t,
		kickCh: make(chan struct{}, 1), refreshCh: make(chan chan Status), apiCh: make(chan string, 1),
		closeCh: make(chan struct{}), done: make(chan struct{}), ctx: ctx, cancel: cancel}
	l.sockets = t.watcher.Follow(l.socketsDir, func(base string) bool {
		return base == "grpc.pid" || base == "grpc.sock"
	}, l.kick)
	go l.run()
	return l
}

// kick asks for a re-probe soon; it never blocks.
func (l *link) kick() {
	select {
	case l.kickCh <- struct{}{}:
	default:
	}
}

func (l *link) close() {
	if l.closed.CompareAndSwap(false, true) {
		l.cancel()
		close(l.closeCh)
	}
}

func (l *link) run() {
	defer close(l.done)
	l.reprobe(false)
	var coalesce <-chan time.Time
	for {
		var retry <-chan time.Time
		if l.retry != nil {
			retry = l.retry.C
		}
		select {
		case <-l.closeCh:
			l.teardown()
			return
		case <-l.kickCh:
			if coalesce == nil {
				coalesce = time.After(coalesceWindow)
			}
		case <-coalesce:
			coalesce = nil
			l.shortTries, l.longTries = 0, 0
			l.reprobe(false)
		case <-retry:
			l.retry = nil
			l.reprobe(false)
		case api := <-l.apiCh:
			if st := l.current(); st.State == StateReady && st.API == APIUnknown {
				prev := st
				st.API = api
				if api == APIV1Alpha1 {
					st.Hint = hintV1Alpha1
					st.Message = fmt.Sprintf("daemon ready (pid %d), but it does not serve heddle.v1", st.PID)
				}
				l.publish(st, prev)
			}
		case reply := <-l.refreshCh:
			l.shortTries, l.longTries = 0, 0
			l.reprobe(true)
			reply <- l.current()
		}
	}
}

func (l *link) current() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.status
}

// reprobe arms the watch, probes, and repeats if the watched path changed
// meanwhile (an event between the two could otherwise be missed). fresh
// forbids reusing the open connection.
func (l *link) reprobe(fresh bool) {
	l.stopRetry()
	var res probeResult
	for i := 0; ; i++ {
		l.arm()
		var reuse *daemonConn
		if !fresh {
			reuse = l.connNow()
		}
		l.t.probes.Add(1)
		res = probe(l.ctx, l.dir, l.t.options(), reuse)
		if l.closed.Load() {
			if res.conn != reuse {
				res.conn.Close()
			}
			return
		}
		// Probe again (at most 3 more times) if the watched path moved.
		if i == 3 || !l.sockets.Stale() {
			break
		}
		if res.conn != reuse {
			res.conn.Close()
			res.conn = nil
		}
	}
	l.apply(res)
}

// learnAPI records what a query's answer proved about the daemon's API
// when the probe's detection missed its deadline (a busy daemon). The link
// goroutine publishes it; this never blocks.
func (l *link) learnAPI(api string) {
	l.mu.Lock()
	unknown := l.known && l.status.State == StateReady && l.status.API == APIUnknown
	l.mu.Unlock()
	if !unknown {
		return
	}
	select {
	case l.apiCh <- api:
	default:
	}
}

func (l *link) connNow() *daemonConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conn
}

// arm points the shared watcher at sockets/ or, while it is missing, at
// its nearest existing ancestor.
func (l *link) arm() {
	if err := l.sockets.Arm(); err != nil {
		l.t.log.Warn("cannot watch; this daemon's changes need heddle.refresh", "dir", l.socketsDir, "err", err)
	}
}

// apply installs a probe result: the connection and its watchers, the exit
// watch, the retry schedule, and the published status.
func (l *link) apply(res probeResult) {
	prev := l.current()
	prevConn := l.connNow()

	// A daemon we were talking to whose socket vanished, stopped
	// accepting or dropped our connection is, almost always, shutting
	// down: its files and its process go soon after (each an event that
	// wakes us). Hold the old status meanwhile, within holdBackoff,
	// instead of flashing "starting", "unreachable" or "unhealthy".
	wasConnected := (prevConn != nil && res.status.PID == prevConn.pid) ||
		(l.holdPID != 0 && res.status.PID == l.holdPID)
	shuttingDown := wasConnected && (res.refused || res.lost || res.status.Reason == ReasonSocketMissing)
	if shuttingDown && l.holdTries < len(holdBackoff) {
		l.schedule(holdBackoff[l.holdTries])
		l.holdTries++
		l.holdPID = res.status.PID
		l.setConn(nil)
		l.watchExit(res.status.PID)
		return
	}
	if res.refused && !shuttingDown && l.shortTries < len(shortBackoff) {
		l.schedule(shortBackoff[l.shortTries])
		l.shortTries++
		l.watchExit(res.status.PID)
		// A daemon that is starting: it has bound but not yet listened.
		res.status.State = StateStarting
		res.status.Reason = ReasonNotListening
		res.status.Hint = ""
		res.status.Message = "the daemon is starting: its socket does not accept connections yet"
	} else if res.timedOut && l.longTries < longRetries {
		l.schedule(time.Second << l.longTries)
		l.longTries++
	}
	l.holdPID, l.holdTries = 0, 0
	newConn := res.conn != prevConn
	if newConn {
		l.setConn(res.conn)
	}
	switch res.status.State {
	case StateStarting, StateUnreachable, StateUnhealthy, StateReady, StateDenied:
		l.watchExit(res.status.PID)
	default:
		l.watchExit(0)
	}
	l.publish(res.status, prev)
	// Watchers start after publish: Health.Watch's first message is
	// compared with the published status, and must not see the old one.
	if newConn && res.conn != nil {
		l.startConnWatchers(res.conn, res.healthServed)
	}
}

func (l *link) schedule(d time.Duration) {
	l.stopRetry()
	l.retry = time.NewTimer(d)
}

func (l *link) stopRetry() {
	if l.retry != nil {
		l.retry.Stop()
		l.retry = nil
	}
}

// setConn swaps the verified connection, closing the old one and its watchers.
func (l *link) setConn(c *daemonConn) {
	l.mu.Lock()
	old := l.conn
	l.conn = c
	l.mu.Unlock()
	if old != nil && old != c {
		if l.connStop != nil {
			l.connStop()
			l.connStop = nil
		}
		old.Close()
	}
}

func (l *link) startConnWatchers(c *daemonConn, healthServed bool) {
	ctx, stop := context.WithCancel(l.ctx)
	l.connStop = stop
	l.pushed.Store(0)
	go c.watchLost(ctx, l.kick)
	if healthServed {
		go c.watchHealth(ctx, func(serving bool) {
			// Re-probe only when the push disagrees with what we show:
			// the stream's first message merely confirms the probe.
			st := l.current()
			if serving != (st.State == StateReady) {
				l.kick()
			}
		})
	}
}

// watchExit keeps a pidfd watch on pid (0: none).
func (l *link) watchExit(pid int) {
	if pid == l.exitPID {
		return
	}
	l.exit.Stop()
	l.exit, l.exitPID = nil, 0
	if pid == 0 {
		return
	}
	w, err := procwatch.Start(pid, l.kick)
	if err != nil {
		l.t.log.Debug("no exit watch", "pid", pid, "err", err)
		return
	}
	l.exit, l.exitPID = w, pid
}

// publish records st and reports it when it differs from what was shown.
func (l *link) publish(st, prev Status) {
	l.mu.Lock()
	if l.known && prev.Same(st) {
		l.mu.Unlock()
		return
	}
	if l.known && prev.State == st.State && prev.Reason == st.Reason && prev.PID == st.PID {
		st.Since = prev.Since
	} else {
		st.Since = time.Now().UTC().Truncate(time.Millisecond)
	}
	l.status = st
	l.known = true
	l.mu.Unlock()
	if !l.closed.Load() {
		l.t.changed(st)
	}
}

func (l *link) teardown() {
	l.stopRetry()
	l.watchExit(0)
	l.setConn(nil)
	l.sockets.Stop()
}
