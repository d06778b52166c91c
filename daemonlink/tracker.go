package daemonlink

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/heddle-ls/heddle-ls/internal/fswatch"
)

// Tracker keeps a live Status for every tracked heddle dir and runs queries
// against their daemons. One Tracker shares one file watcher among all dirs.
// All methods are safe for concurrent use. onChange is called, from the
// tracker's own goroutines, once with the first probe result of a newly
// tracked dir and then on every change (Status.Same false); calls for one
// dir come in order, from one goroutine at a time. It must not block.
type Tracker struct {
	log      *slog.Logger
	onChange func(Status)
	watcher  *fswatch.Watcher
	opts     atomic.Pointer[Options]
	probes   atomic.Int64 // probes run by links; tests assert idleness with it

	mu     sync.Mutex
	links  map[string]*link // canonical heddle dir → link
	refs   map[*link]int
	closed bool
}

// ErrClosed is returned by a closed Tracker.
var ErrClosed = errors.New("tracker closed")

// NewTracker starts a tracker. Close it when done.
func NewTracker(opts Options, log *slog.Logger, onChange func(Status)) (*Tracker, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if onChange == nil {
		onChange = func(Status) {}
	}
	w, err := fswatch.New(log)
	if err != nil {
		return nil, err
	}
	t := &Tracker{log: log, onChange: onChange, watcher: w,
		links: map[string]*link{}, refs: map[*link]int{}}
	t.SetOptions(opts)
	return t, nil
}

func (t *Tracker) options() Options { return *t.opts.Load() }

// SetOptions changes the timeouts for probes and queries from now on.
func (t *Tracker) SetOptions(opts Options) {
	o := opts.WithDefaults()
	t.opts.Store(&o)
}

func (t *Tracker) changed(st Status) {
	t.log.Debug("daemon status", "dir", st.HeddleDir, "state", st.State, "reason", st.Reason, "pid", st.PID)
	t.onChange(st)
}

// Track starts tracking a canonical heddle dir (from Discover), counting
// references: two folders of one repo share one link. It never blocks on a
// probe: when the dir is already known it returns its status and true;
// otherwise it returns false and onChange delivers the first result.
func (t *Tracker) Track(heddleDir string) (Status, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return Status{}, false
	}
	l := t.links[heddleDir]
	if l == nil {
		l = newLink(t, heddleDir)
		t.links[heddleDir] = l
	}
	t.refs[l]++
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.status, l.known
}

// Untrack drops one reference; the link closes with the last one, and its
// onChange calls stop.
func (t *Tracker) Untrack(heddleDir string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.links[heddleDir]
	if l == nil {
		return
	}
	t.refs[l]--
	if t.refs[l] > 0 {
		return
	}
	delete(t.refs, l)
	delete(t.links, heddleDir)
	l.close()
}

func (t *Tracker) link(heddleDir string) *link {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.links[heddleDir]
}

// Status returns the current status of a tracked dir; false if it is not
// tracked or has no probe result yet.
func (t *Tracker) Status(heddleDir string) (Status, bool) {
	l := t.link(heddleDir)
	if l == nil {
		return Status{}, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.status, l.known
}

// Refresh re-probes a tracked dir from scratch (new connection, no caches)
// and returns the fresh status (also delivered to onChange if it changed).
func (t *Tracker) Refresh(ctx context.Context, heddleDir string) (Status, error) {
	l := t.link(heddleDir)
	if l == nil {
		return Status{}, &QueryError{Kind: ErrNotTracked, Message: "not tracked: " + heddleDir}
	}
	reply := make(chan Status, 1)
	select {
	case l.refreshCh <- reply:
	case <-l.done:
		return Status{}, ErrClosed
	case <-ctx.Done():
		return Status{}, ctx.Err()
	}
	select {
	case st := <-reply:
		return st, nil
	case <-l.done:
		return Status{}, ErrClosed
	case <-ctx.Done():
		return Status{}, ctx.Err()
	}
}

// Explain runs a fresh, fully instrumented probe of any heddle dir (tracked
// or not) without changing tracked state.
func (t *Tracker) Explain(ctx context.Context, heddleDir string) Explanation {
	return Probe(ctx, heddleDir, t.options())
}

// Close stops every link and the watcher, and waits for their goroutines.
func (t *Tracker) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	links := t.links
	t.links = map[string]*link{}
	t.refs = map[*link]int{}
	t.mu.Unlock()
	for _, l := range links {
		l.close()
	}
	for _, l := range links {
		<-l.done
	}
	return t.watcher.Close()
}
