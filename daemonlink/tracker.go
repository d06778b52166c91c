package daemonlink

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/heddle-ls/heddle-ls/internal/fanout"
	"github.com/heddle-ls/heddle-ls/internal/fswatch"
)

// Tracker keeps a live Status for every watched heddle dir and runs queries
// against their daemons. Subscribers of one heddle dir share one link (one
// probe loop, one connection: a fanout source); all links share one file
// watcher. All methods are safe for concurrent use.
type Tracker struct {
	log        *slog.Logger
	watcher    *fswatch.Watcher
	ownWatcher bool
	opts       atomic.Pointer[Options]
	probes     atomic.Int64 // probes run by links; tests assert idleness with it
	set        *fanout.Set[Status]

	mu    sync.Mutex
	links map[string]*link // canonical heddle dir → its running link, for queries
}

// ErrClosed is returned by a closed Tracker.
var ErrClosed = errors.New("tracker closed")

// NewTracker starts a tracker on the shared watcher w (nil: a watcher of
// its own). Close it when done.
func NewTracker(opts Options, w *fswatch.Watcher, log *slog.Logger) (*Tracker, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Tracker{log: log, watcher: w, links: map[string]*link{}}
	t.set = fanout.New(t.runLink)
	if w == nil {
		var err error
		if t.watcher, err = fswatch.New(log); err != nil {
			return nil, err
		}
		t.ownWatcher = true
	}
	t.SetOptions(opts)
	return t, nil
}

func (t *Tracker) options() Options { return *t.opts.Load() }

// SetOptions changes the timeouts for probes and queries from now on.
func (t *Tracker) SetOptions(opts Options) {
	o := opts.WithDefaults()
	t.opts.Store(&o)
}

// Watch subscribes fn to the daemon status of a canonical heddle dir (from
// heddle.Discover). The link's goroutine calls fn with the current status
// as soon as one is known, then with every change: in order, never two at
// once, never after stop has returned. fn must not block, nor call stop.
// The dir is probed while it has subscribers.
func (t *Tracker) Watch(heddleDir string, fn func(Status)) (stop func()) {
	return t.set.Subscribe(heddleDir, fn)
}

// runLink is one heddle dir's source: its link, registered for queries
// while it runs.
func (t *Tracker) runLink(dir string, src *fanout.Source[Status]) {
	l := newLink(t, dir, src)
	t.mu.Lock()
	t.links[dir] = l
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		if t.links[dir] == l {
			delete(t.links, dir)
		}
		t.mu.Unlock()
	}()
	// Watch need not wait for the first probe: its publish greets the
	// subscribers.
	src.Ready()
	l.run()
}

// link is the running link of a watched dir, or nil. A link whose last
// subscriber has left is not watched any more, even while its goroutine
// winds down.
func (t *Tracker) link(heddleDir string) *link {
	t.mu.Lock()
	l := t.links[heddleDir]
	t.mu.Unlock()
	if l == nil {
		return nil
	}
	select {
	case <-l.src.Done():
		return nil
	default:
		return l
	}
}

// Refresh re-probes a watched dir from scratch (new connection, no caches,
// a timeout confirmed at once) and returns the fresh status, which the
// subscribers have been given when it returns. It bounds itself: a probe,
// its confirmation at twice the deadlines, and a margin.
func (t *Tracker) Refresh(ctx context.Context, heddleDir string) (Status, error) {
	l := t.link(heddleDir)
	if l == nil {
		return Status{}, &QueryError{Kind: KindNotTracked, Message: "not watched: " + heddleDir}
	}
	o := t.options()
	ctx, cancel := context.WithTimeout(ctx, 3*(o.ConnectTimeout+o.HealthTimeout)+refreshMargin)
	defer cancel()
	reply := make(chan Status, 1)
	select {
	case l.refreshCh <- reply:
	case <-l.src.Done():
		return Status{}, ErrClosed
	case <-ctx.Done():
		return Status{}, ctx.Err()
	}
	select {
	case st := <-reply:
		return st, nil
	case <-l.src.Done():
		return Status{}, ErrClosed
	case <-ctx.Done():
		return Status{}, ctx.Err()
	}
}

// Close stops every link and the watcher (if it is the tracker's own), and
// waits for their goroutines.
func (t *Tracker) Close() error {
	t.set.Close()
	if t.ownWatcher {
		return t.watcher.Close()
	}
	return nil
}

// Options are the timeouts in force.
func (t *Tracker) Options() Options { return t.options() }
