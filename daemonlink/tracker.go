package daemonlink

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/heddle-ls/heddle-ls/internal/fswatch"
)

// Tracker keeps a live Status for every watched heddle dir and runs queries
// against their daemons. Subscribers of one heddle dir share one link (one
// probe loop, one connection); all links share one file watcher. All
// methods are safe for concurrent use.
type Tracker struct {
	log        *slog.Logger
	watcher    *fswatch.Watcher
	ownWatcher bool
	opts       atomic.Pointer[Options]
	probes     atomic.Int64 // probes run by links; tests assert idleness with it

	mu     sync.Mutex
	links  map[string]*link // canonical heddle dir → link
	closed bool
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
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return func() {}
	}
	l := t.links[heddleDir]
	if l == nil {
		l = newLink(t, heddleDir)
		t.links[heddleDir] = l
	}
	s := l.subscribe(fn)
	var once sync.Once
	return func() { once.Do(func() { t.unsubscribe(l, s) }) }
}

func (t *Tracker) unsubscribe(l *link, s *subscription) {
	s.stop()
	t.mu.Lock()
	defer t.mu.Unlock()
	if l.unsubscribe(s) == 0 && t.links[l.dir] == l {
		delete(t.links, l.dir)
		l.close()
	}
}

func (t *Tracker) link(heddleDir string) *link {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.links[heddleDir]
}

// Refresh re-probes a watched dir from scratch (new connection, no caches,
// a timeout confirmed at once) and returns the fresh status, which the
// subscribers have been given when it returns. It bounds itself: a probe,
// its confirmation and a margin.
func (t *Tracker) Refresh(ctx context.Context, heddleDir string) (Status, error) {
	l := t.link(heddleDir)
	if l == nil {
		return Status{}, &QueryError{Kind: KindNotTracked, Message: "not watched: " + heddleDir}
	}
	o := t.options()
	ctx, cancel := context.WithTimeout(ctx, 2*(o.ConnectTimeout+o.HealthTimeout)+refreshMargin)
	defer cancel()
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

// Close stops every link and the watcher (if it is the tracker's own), and
// waits for their goroutines.
func (t *Tracker) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	links := t.links
	t.links = map[string]*link{}
	t.mu.Unlock()
	for _, l := range links {
		l.close()
	}
	for _, l := range links {
		<-l.done
	}
	if t.ownWatcher {
		return t.watcher.Close()
	}
	return nil
}

// Options are the timeouts in force.
func (t *Tracker) Options() Options { return t.options() }
