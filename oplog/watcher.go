package oplog

import (
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/fanout"
	"github.com/heddle-ls/heddle-ls/internal/fswatch"
)

// Change is one publication of the oplog (or, within a burst, the last of
// several).
type Change struct {
	HeadID  uint64 // the head id the oplog now publishes, when HasHead
	HasHead bool   // false when no header could be read (still a change)
}

// Window is how often, at most, changes are delivered while publications
// keep coming: the first at once, then at most one per Window until the
// burst ends, so the last publication is never lost.
const Window = 50 * time.Millisecond

// Watcher reports oplog publications for every watched heddle dir, without
// polling: the shared file watcher on each oplog directory (which may not
// exist yet), filtered to the two publishing names. Subscribers of one
// heddle dir share one watch. Safe for concurrent use.
type Watcher struct {
	w      *fswatch.Watcher
	log    *slog.Logger
	set    *fanout.Set[Change]
	window time.Duration
	reads  atomic.Int64 // looks at the files; tests assert idleness with it
}

// NewWatcher makes a watcher on the shared file watcher w (which it does
// not close). Close it when done.
func NewWatcher(w *fswatch.Watcher, log *slog.Logger) *Watcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ow := &Watcher{w: w, log: log, window: Window}
	ow.set = fanout.New(ow.run)
	return ow
}

// Watch calls fn for each publication of heddleDir's oplog after Watch
// returns, coalesced as Window says. fn is called from the watcher's own goroutine,
// in order, never concurrently for one subscription and never after stop
// returns; it must not block, and must not call stop.
func (w *Watcher) Watch(heddleDir string, fn func(Change)) (stop func()) {
	return w.set.Subscribe(filepath.Clean(heddleDir), fn)
}

// Close stops every watch; no fn is called after it returns.
func (w *Watcher) Close() { w.set.Close() }

func isPublished(base string) bool { return base == ManifestFile || base == PackedFile }

// run is one heddle dir's watch. A file event after a quiet spell is
// looked at and delivered at once, and opens a window; events within the
// window are looked at when it ends, and delivered then if the files
// changed, which opens the next. No timer runs while nothing changes.
func (w *Watcher) run(heddleDir string, src *fanout.Source[Change]) {
	oplogDir := Dir(heddleDir)
	dir := w.w.Follow(oplogDir, isPublished, src.Changed)
	defer dir.Stop()
	last := w.look(dir)
	src.Ready() // a publication from now on is seen

	var window <-chan time.Time // nil: no window open
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	pending := false
	publish := func() {
		now := w.look(dir)
		if now == last {
			return // an event that published nothing: the directory appeared empty, a chmod…
		}
		last = now
		head, ok := now.head()
		src.Publish(Change{HeadID: head, HasHead: ok})
		timer = time.NewTimer(w.window)
		window = timer.C
	}
	for {
		select {
		case <-src.Wake():
			if !src.TakeChanged() {
				continue // a new subscriber: it waits for the next change
			}
			if window != nil {
				pending = true
				continue
			}
			publish()
		case <-window:
			window, timer = nil, nil
			if pending {
				pending = false
				publish()
			}
		case <-src.Done():
			return
		}
	}
}

// look arms the watch, then reads the files (fswatch.Look: again while the
// oplog directory, or one above it, appeared or vanished meanwhile).
func (w *Watcher) look(dir *fswatch.Dir) state {
	return fswatch.Look(dir, func(err error) {
		w.log.Warn("oplog: cannot watch the oplog directory; publications may go unseen", "dir", dir.Path(), "err", err)
	}, func() state {
		w.reads.Add(1)
		return readState(dir.Path())
	})
}
