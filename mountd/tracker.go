package mountd

import (
	"errors"
	"log/slog"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/internal/fanout"
	"github.com/heddle-ls/heddle-ls/internal/fswatch"
	"github.com/heddle-ls/heddle-ls/internal/procwatch"
)

// Tracker keeps the mount daemon's status live for every watched
// repository, without polling: the shared file watcher on the state
// directory (filtered to heddled's three files: heddle's own status calls
// churn others there) and a pidfd on the daemon's pid, whose exit leaves
// the files behind when the daemon is killed. Subscribers of one repository
// share one watch. Safe for concurrent use.
type Tracker struct {
	w     *fswatch.Watcher
	log   *slog.Logger
	set   *fanout.Set[*Status]
	reads atomic.Int64 // looks at the files; tests assert idleness with it
}

// NewTracker makes a tracker on the shared watcher w (which it does not
// close). Close it when done.
func NewTracker(w *fswatch.Watcher, log *slog.Logger) *Tracker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Tracker{w: w, log: log}
	t.set = fanout.New(t.run)
	return t
}

// Watch calls fn with repo's current mount-daemon status (nil: no endpoint
// file), then with each new one. fn is called from the tracker's own
// goroutine, in order, never concurrently for one subscription and never
// after stop returns; it must not block, and must not call stop. Each call
// gets its own copy.
func (t *Tracker) Watch(repo heddle.Repo, fn func(*Status)) (stop func()) {
	return t.set.Subscribe(StateDir(repo), func(st *Status) {
		if st != nil {
			c := *st
			st = &c
		}
		fn(st)
	})
}

// Close stops every watch; no fn is called after it returns.
func (t *Tracker) Close() { t.set.Close() }

func isHeddledFile(base string) bool {
	return base == EndpointFile || base == MountsFile || base == SocketFile
}

// run is one state directory's watch: look at the files whenever the
// watcher or the pidfd says something changed, publish what differs.
func (t *Tracker) run(stateDir string, src *fanout.Source[*Status]) {
	src.Ready() // the first status is delivered anyway
	var dir *fswatch.Dir
	if stateDir != "" {
		dir = t.w.Follow(stateDir, isHeddledFile, src.Changed)
		defer dir.Stop()
	}
	var exit *procwatch.Watch // on the pid that was alive at the last look
	watched := 0
	defer func() { exit.Stop() }()

	var cur *Status
	first, again := true, true
	for {
		if again {
			r := t.look(dir, stateDir)
			if r.livePID != watched {
				exit.Stop()
				exit, watched = nil, r.livePID
				if watched > 0 {
					exit = t.watchExit(watched, src)
				}
			}
			if first || !Same(cur, r.status) {
				cur, first = r.status, false
				src.Publish(cur)
			}
		}
		src.Greet(cur)
		select {
		case <-src.Wake():
			again = src.TakeChanged()
		case <-src.Done():
			return
		}
	}
}

// look arms the watch, then reads (fswatch.Look: again while the state
// directory, or one above it, appeared or vanished meanwhile).
func (t *Tracker) look(dir *fswatch.Dir, stateDir string) reading {
	read := func() reading {
		t.reads.Add(1)
		return look(stateDir)
	}
	if dir == nil {
		return read()
	}
	return fswatch.Look(dir, func(err error) {
		t.log.Warn("mount daemon: cannot watch its state directory; changes may go unseen", "dir", stateDir, "err", err)
	}, read)
}

// watchExit starts a pidfd watch on pid. The look that found pid alive came
// before the pidfd existed, so one more look follows: it checks the very
// process the pidfd refers to (a pid that died, or was reused, in between
// is caught).
func (t *Tracker) watchExit(pid int, src *fanout.Source[*Status]) *procwatch.Watch {
	w, err := procwatch.Start(pid, src.Changed)
	src.Changed()
	if err != nil && !errors.Is(err, unix.ESRCH) {
		// No pidfds: a SIGKILLed daemon shows as running until its
		// files change.
		t.log.Warn("mount daemon: cannot watch the daemon's exit", "pid", pid, "err", err)
	}
	return w
}
