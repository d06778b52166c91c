package daemonlink

import (
	"context"
	"path/filepath"
	"sync"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/fanout"
	"github.com/heddle-ls/heddle-ls/internal/fswatch"
	"github.com/heddle-ls/heddle-ls/internal/procwatch"
)

// A link tracks one heddle dir: it is the fanout source of that dir's
// subscribers. Its goroutine (run) owns the probe loop, the policy's
// counters, the connection's watchers, the exit watch, the retry timer and
// the delivery to subscribers (src); mu guards the fields that queries read
// from other goroutines.
//
// Nothing here polls. A probe runs only when something happened: a file
// event in sockets/ (or, while it is missing, on the path to it), the
// daemon process exiting (pidfd), the gRPC channel leaving READY, a pushed
// Health.Watch flip, a refresh, or a bounded retry the policy asked for.
type link struct {
	dir        string // canonical heddle dir
	socketsDir string
	t          *Tracker
	src        *fanout.Source[Status] // the subscribers; Done when the last leaves

	kickCh    chan struct{} // buffered 1: "something may have changed"
	refreshCh chan chan Status
	apiCh     chan string     // an API learned from a query's answer
	ctx       context.Context // src's: ends when the last subscriber leaves

	sockets *fswatch.Dir // sockets/ (or the way to it) on the shared watcher

	mu     sync.Mutex
	status Status      // what subscribers were last given
	known  bool        // status holds a probe result
	conn   *daemonConn // verified connection, when state is ready or unhealthy

	// Owned by run.
	policy   policyState
	connStop context.CancelFunc // ends the current conn's watchers
	exit     *procwatch.Watch   // the daemon process's exit: catches SIGKILL and SIGTERM, which leave the files behind
	exitPID  int
	retry    *time.Timer
}

// coalesceWindow merges the burst of events one daemon start or stop makes
// (pidfile create+write, socket create; or both removals).
const coalesceWindow = time.Millisecond

// refreshMargin covers a refresh waiting for the link goroutine to finish
// what it was doing.
const refreshMargin = time.Second

func newLink(t *Tracker, dir string, src *fanout.Source[Status]) *link {
	l := &link{dir: dir, socketsDir: filepath.Join(dir, "sockets"), t: t, src: src,
		kickCh: make(chan struct{}, 1), refreshCh: make(chan chan Status),
		apiCh: make(chan string, 1), ctx: src.Context()}
	l.sockets = t.watcher.Follow(l.socketsDir, func(base string) bool {
		return base == "grpc.pid" || base == "grpc.sock"
	}, l.kick)
	return l
}

// kick asks for a re-probe soon; it never blocks.
func (l *link) kick() {
	select {
	case l.kickCh <- struct{}{}:
	default:
	}
}

// run is the link's goroutine, until the last subscriber leaves.
func (l *link) run() {
	defer l.teardown()
	l.reprobe(false)
	var coalesce <-chan time.Time
	for {
		var retry <-chan time.Time
		if l.retry != nil {
			retry = l.retry.C
		}
		select {
		case <-l.src.Done():
			return
		case <-l.src.Wake():
			// A subscriber joined: greet it once a status is known.
			l.mu.Lock()
			st, known := l.status, l.known
			l.mu.Unlock()
			if known {
				l.src.Greet(st)
			}
		case <-l.kickCh:
			if coalesce == nil {
				coalesce = time.After(coalesceWindow)
			}
		case <-coalesce:
			coalesce = nil
			l.policy.shortTries, l.policy.longTries = 0, 0
			l.reprobe(false)
		case <-retry:
			l.retry = nil
			l.reprobe(false)
		case api := <-l.apiCh:
			if st := l.current(); st.State == StateReady && st.API == APIUnknown {
				if api == APIV1Alpha1 {
					st = V1Alpha1(st)
				}
				st.API = api
				l.publish(st)
			}
		case reply := <-l.refreshCh:
			l.policy.shortTries, l.policy.longTries = 0, 0
			l.reprobe(true)
			if l.policy.confirming {
				// A refresh wants an answer now: confirm at once, from
				// scratch too (the timed-out probe left the old connection).
				l.reprobe(true)
			}
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
		opts := l.t.options()
		if l.policy.confirming {
			opts = opts.confirming()
		}
		res = probe(l.ctx, l.dir, opts, reuse)
		if l.closed() {
			if res.conn != reuse {
				res.conn.Close()
			}
			return
		}
		// Probe again (fswatch.MaxLooks in all) if the watched path moved.
		// Not fswatch.Look: a probe in between owns a connection to close.
		if i == fswatch.MaxLooks-1 || !l.sockets.Stale() {
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

// apply carries out the policy's decision on a probe result: the
// connection and its watchers, the exit watch, the retry, the status.
func (l *link) apply(res probeResult) {
	prevConn := l.connNow()
	l.policy.connPID = 0
	if prevConn != nil {
		l.policy.connPID = prevConn.pid
	}
	d := decide(res, l.policy)
	l.policy = d.next
	if d.retry > 0 {
		l.schedule(d.retry)
	}
	l.watchExit(d.watchPID)
	if d.dropConn {
		l.setConn(nil)
	}
	if !d.publish {
		if res.conn != prevConn && res.conn != nil {
			res.conn.Close() // a verified connection of a result we do not act on
		}
		return
	}
	newConn := res.conn != prevConn
	if newConn {
		l.setConn(res.conn)
	}
	l.publish(d.status)
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

// setConn swaps the verified connection, stopping the old one's watchers
// and retiring it (queries running on it finish first).
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
		old.retire()
	}
}

func (l *link) startConnWatchers(c *daemonConn, healthServed bool) {
	ctx, stop := context.WithCancel(l.ctx)
	l.connStop = stop
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

// publish records st and gives it to the subscribers when it differs from
// what they were given.
func (l *link) publish(st Status) {
	l.mu.Lock()
	prev, known := l.status, l.known
	if known && prev.Same(st) {
		l.mu.Unlock()
		return
	}
	if known && prev.State == st.State && prev.Reason == st.Reason && prev.PID == st.PID {
		st.Since = prev.Since
	} else {
		st.Since = time.Now().UTC().Truncate(time.Millisecond)
	}
	l.status, l.known = st, true
	l.mu.Unlock()
	l.policy.shown, l.policy.known = st, true
	if l.closed() {
		return
	}
	l.t.log.Debug("daemon status", "dir", st.HeddleDir, "state", st.State, "reason", st.Reason, "pid", st.PID)
	l.src.Publish(st)
}

// closed reports whether the last subscriber has left (a probe under way
// then ends early: its context is the source's).
func (l *link) closed() bool { return l.ctx.Err() != nil }

func (l *link) teardown() {
	l.stopRetry()
	l.watchExit(0)
	l.setConn(nil)
	l.sockets.Stop()
}
