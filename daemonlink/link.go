package daemonlink

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/fswatch"
	"github.com/heddle-ls/heddle-ls/internal/procwatch"
)

// A link tracks one heddle dir. Its goroutine (run) owns the probe loop,
// the policy's counters, the connection's watchers, the exit watch, the
// retry timer and the delivery to subscribers; mu guards the fields that
// queries read from other goroutines.
//
// Nothing here polls. A probe runs only when something happened: a file
// event in sockets/ (or, while it is missing, on the path to it), the
// daemon process exiting (pidfd), the gRPC channel leaving READY, a pushed
// Health.Watch flip, a refresh, or a bounded retry the policy asked for.
type link struct {
	dir        string // canonical heddle dir
	socketsDir string
	t          *Tracker

	kickCh    chan struct{} // buffered 1: "something may have changed"
	subCh     chan struct{} // buffered 1: "a subscriber is waiting for its first status"
	refreshCh chan chan Status
	apiCh     chan string // an API learned from a query's answer
	closeCh   chan struct{}
	done      chan struct{}
	closed    atomic.Bool
	ctx       context.Context // ends when the link closes
	cancel    context.CancelFunc

	sockets *fswatch.Dir // sockets/ (or the way to it) on the shared watcher

	mu     sync.Mutex
	status Status      // what subscribers were last given
	known  bool        // status holds a probe result
	conn   *daemonConn // verified connection, when state is ready or unhealthy
	subs   []*subscription

	// Owned by run.
	policy   policyState
	connStop context.CancelFunc // ends the current conn's watchers
	exit     *procwatch.Watch   // the daemon process's exit: catches SIGKILL and SIGTERM, which leave the files behind
	exitPID  int
	retry    *time.Timer
}

// subscription is one Watch. mu is held while fn runs, so stop waits out a
// delivery under way and none follows it.
type subscription struct {
	fn      func(Status)
	mu      sync.Mutex
	stopped bool
	greeted bool // run only: fn has been given a status
}

func (s *subscription) deliver(st Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stopped {
		s.fn(st)
	}
}

func (s *subscription) stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
}

// coalesceWindow merges the burst of events one daemon start or stop makes
// (pidfile create+write, socket create; or both removals).
const coalesceWindow = time.Millisecond

// refreshMargin covers a refresh waiting for the link goroutine to finish
// what it was doing.
const refreshMargin = time.Second

func newLink(t *Tracker, dir string) *link {
	ctx, cancel := context.WithCancel(context.Background())
	l := &link{dir: dir, socketsDir: filepath.Join(dir, "sockets"), t: t,
		kickCh: make(chan struct{}, 1), subCh: make(chan struct{}, 1), refreshCh: make(chan chan Status),
		apiCh: make(chan string, 1), closeCh: make(chan struct{}), done: make(chan struct{}), ctx: ctx, cancel: cancel}
	l.sockets = t.watcher.Follow(l.socketsDir, func(base string) bool {
		return base == "grpc.pid" || base == "grpc.sock"
	}, l.kick)
	go l.run()
	return l
}

// subscribe adds a subscriber; the link goroutine greets it.
func (l *link) subscribe(fn func(Status)) *subscription {
	s := &subscription{fn: fn}
	l.mu.Lock()
	l.subs = append(l.subs, s)
	l.mu.Unlock()
	select {
	case l.subCh <- struct{}{}:
	default:
	}
	return s
}

// unsubscribe removes a subscriber and returns how many remain.
func (l *link) unsubscribe(s *subscription) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, x := range l.subs {
		if x == s {
			l.subs = append(l.subs[:i:i], l.subs[i+1:]...)
			break
		}
	}
	return len(l.subs)
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
		case <-l.subCh:
			l.greet()
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
				// A refresh wants an answer now: confirm at once.
				l.reprobe(false)
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

// greet gives subscribers that have not had a status yet the current one.
func (l *link) greet() {
	l.mu.Lock()
	st, known := l.status, l.known
	subs := append([]*subscription(nil), l.subs...)
	l.mu.Unlock()
	if !known {
		return // the first probe's publish will greet them
	}
	for _, s := range subs {
		if !s.greeted {
			s.greeted = true
			s.deliver(st)
		}
	}
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
	subs := append([]*subscription(nil), l.subs...)
	l.mu.Unlock()
	l.policy.shown, l.policy.known = st, true
	if l.closed.Load() {
		return
	}
	l.t.log.Debug("daemon status", "dir", st.HeddleDir, "state", st.State, "reason", st.Reason, "pid", st.PID)
	for _, s := range subs {
		s.greeted = true
		s.deliver(st)
	}
}

func (l *link) teardown() {
	l.stopRetry()
	l.watchExit(0)
	l.setConn(nil)
	l.sockets.Stop()
}
