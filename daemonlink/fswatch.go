package daemonlink

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"

	"github.com/fsnotify/fsnotify"
)

// dirWatcher shares one inotify instance among all links: instances are
// scarce (128 per user by default) while watches are plentiful. It owns the
// fsnotify.Watcher and the map from watched directory to the links that
// asked for it; its goroutine dispatches each event to the interested links.
type dirWatcher struct {
	w   *fsnotify.Watcher
	log *slog.Logger

	mu    sync.Mutex
	dirs  map[string]map[*link]struct{} // watched dir → links watching it
	done  chan struct{}
	close sync.Once
}

func newDirWatcher(log *slog.Logger) (*dirWatcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("start file watcher: %w", err)
	}
	dw := &dirWatcher{w: w, log: log, dirs: map[string]map[*link]struct{}{}, done: make(chan struct{})}
	go dw.run()
	return dw, nil
}

// add makes l receive events for dir.
func (dw *dirWatcher) add(dir string, l *link) error {
	dw.mu.Lock()
	defer dw.mu.Unlock()
	set := dw.dirs[dir]
	if set == nil {
		if err := dw.w.Add(dir); err != nil {
			return fmt.Errorf("watch %s: %w", dir, err)
		}
		set = map[*link]struct{}{}
		dw.dirs[dir] = set
	}
	set[l] = struct{}{}
	return nil
}

// remove stops l's interest in dir; the last one removes the inotify watch.
func (dw *dirWatcher) remove(dir string, l *link) {
	dw.mu.Lock()
	defer dw.mu.Unlock()
	set := dw.dirs[dir]
	if set == nil {
		return
	}
	delete(set, l)
	if len(set) == 0 {
		delete(dw.dirs, dir)
		// The kernel drops the watch itself when dir is deleted; then
		// Remove fails harmlessly.
		_ = dw.w.Remove(dir)
	}
}

func (dw *dirWatcher) run() {
	defer close(dw.done)
	for {
		select {
		case ev, ok := <-dw.w.Events:
			if !ok {
				return
			}
			dw.dispatch(ev)
		case err, ok := <-dw.w.Errors:
			if !ok {
				return
			}
			// An overflowed queue means events were lost: every link
			// must look again.
			dw.log.Warn("file watcher error; re-probing every daemon", "err", err)
			dw.kickAll()
		}
	}
}

// dispatch hands an event to the links watching its directory (for events
// on entries) or the path itself (for events on a watched directory).
func (dw *dirWatcher) dispatch(ev fsnotify.Event) {
	dw.mu.Lock()
	var targets []*link
	for _, dir := range []string{filepath.Dir(ev.Name), ev.Name} {
		for l := range dw.dirs[dir] {
			if l.relevant(ev.Name) {
				targets = append(targets, l)
			}
		}
	}
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		// A watched directory that goes away takes its watch with it.
		if set, ok := dw.dirs[ev.Name]; ok {
			for l := range set {
				targets = append(targets, l)
			}
			delete(dw.dirs, ev.Name)
			// After a rename the kernel would keep watching the moved
			// directory under its new name; we want its old path.
			_ = dw.w.Remove(ev.Name)
		}
	}
	dw.mu.Unlock()
	for _, l := range targets {
		l.kick()
	}
}

func (dw *dirWatcher) kickAll() {
	dw.mu.Lock()
	var all []*link
	for _, set := range dw.dirs {
		for l := range set {
			all = append(all, l)
		}
	}
	dw.mu.Unlock()
	for _, l := range all {
		l.kick()
	}
}

func (dw *dirWatcher) Close() error {
	var err error
	dw.close.Do(func() {
		err = dw.w.Close()
		<-dw.done
	})
	return err
}
