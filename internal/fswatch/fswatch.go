// Package fswatch shares one inotify instance among every file-watched
// source of heddle-ls (the agent daemon's sockets/, the oplog, the mount
// daemon's state/): inotify instances are scarce (128 per user by default)
// while watches are plentiful. Each source follows a directory with a Dir,
// which keeps watching the directory itself or, while it does not exist,
// its nearest existing ancestor. Nothing here polls.
package fswatch

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/fsnotify/fsnotify"
)

// Watcher owns the fsnotify.Watcher and the map from watched directory to
// the Dirs that asked for it; its goroutine dispatches each event to the
// interested Dirs. Safe for concurrent use.
type Watcher struct {
	w   *fsnotify.Watcher
	log *slog.Logger

	mu    sync.Mutex
	dirs  map[string]map[*Dir]struct{} // watched dir → Dirs watching it
	done  chan struct{}
	close sync.Once
}

// New starts a watcher. Close it when done.
func New(log *slog.Logger) (*Watcher, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("start file watcher: %w", err)
	}
	fw := &Watcher{w: w, log: log, dirs: map[string]map[*Dir]struct{}{}, done: make(chan struct{})}
	go fw.run()
	return fw, nil
}

// Dir follows one directory that may not exist yet. It watches the
// directory itself or, while it is missing, the nearest existing ancestor
// on the way to it; its owner calls Arm before each look at the files, so
// the watch moves as directories appear and disappear.
type Dir struct {
	w        *Watcher
	path     string
	relevant func(base string) bool
	changed  func()

	target  atomic.Pointer[target] // what is watched now; owner writes, dispatch reads
	stopped atomic.Bool
}

// target is the directory a Dir watches and, when that is an ancestor of
// the wanted path (because it does not exist), the child path on the way
// to it.
type target struct{ dir, next string }

// Follow returns a Dir for path. relevant filters the base names of entries
// of path that matter (nil: all); changed is called, from the watcher's
// goroutine, for each relevant event, for any event on the way to path, and
// when events may have been lost. changed must not block. Nothing is
// watched until the first Arm.
func (w *Watcher) Follow(path string, relevant func(base string) bool, changed func()) *Dir {
	return &Dir{w: w, path: filepath.Clean(path), relevant: relevant, changed: changed}
}

// Path is the directory followed.
func (d *Dir) Path() string { return d.path }

// Arm points the watch at the directory, or its nearest existing ancestor.
// Call it before reading the files: an event that comes after Arm is never
// missed. Stale then says whether the directory appeared or vanished while
// you read.
func (d *Dir) Arm() error {
	if d.stopped.Load() {
		return nil
	}
	want := targetFor(d.path)
	old := d.target.Load()
	err := d.w.add(want.dir, d)
	d.target.Store(&want)
	if old != nil && old.dir != want.dir {
		d.w.remove(old.dir, d)
	}
	if err != nil {
		return fmt.Errorf("watch %s: %w", want.dir, err)
	}
	return nil
}

// Stale reports whether the watch is no longer where Arm put it: the
// directory (or one on the way to it) appeared or vanished since.
func (d *Dir) Stale() bool {
	tg := d.target.Load()
	return tg == nil || *tg != targetFor(d.path)
}

// MaxLooks bounds Look: a directory that keeps appearing and vanishing
// cannot keep a source reading; its next event brings another look.
const MaxLooks = 4

// Look arms d, then calls read, and again (at most MaxLooks times in all)
// while the watched directory moved meanwhile: a directory that appeared or
// vanished between the two may have hidden an event. A failure to arm goes
// to onArmErr; read's result stands either way.
func Look[T any](d *Dir, onArmErr func(error), read func() T) T {
	for i := 1; ; i++ {
		if err := d.Arm(); err != nil {
			onArmErr(err)
		}
		v := read()
		if i == MaxLooks || !d.Stale() {
			return v
		}
	}
}

// Watching is the directory watched now ("" before the first Arm).
func (d *Dir) Watching() string {
	if tg := d.target.Load(); tg != nil {
		return tg.dir
	}
	return ""
}

// Stop removes the watch; changed is not called after Stop returns, except
// by a dispatch already under way.
func (d *Dir) Stop() {
	if !d.stopped.CompareAndSwap(false, true) {
		return
	}
	if tg := d.target.Load(); tg != nil {
		d.w.remove(tg.dir, d)
	}
}

// wants reports whether an event at path concerns d.
func (d *Dir) wants(path string) bool {
	tg := d.target.Load()
	if tg == nil {
		return false
	}
	if path == tg.dir || path == tg.next {
		return true
	}
	if tg.dir == d.path && filepath.Dir(path) == d.path {
		return d.relevant == nil || d.relevant(filepath.Base(path))
	}
	return false
}

func (d *Dir) notify() {
	if !d.stopped.Load() {
		d.changed()
	}
}

// targetFor is path when it is a directory (lstat: a symlink is not
// followed), else its nearest existing ancestor with the child on the way.
func targetFor(path string) target {
	if fi, err := os.Lstat(path); err == nil && fi.IsDir() {
		return target{dir: path}
	}
	next := path
	for d := filepath.Dir(path); ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); (err == nil && fi.IsDir()) || filepath.Dir(d) == d {
			return target{dir: d, next: next}
		}
		next = d
	}
}

// add makes d receive events for dir.
func (w *Watcher) add(dir string, d *Dir) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	set := w.dirs[dir]
	if set == nil {
		if err := w.w.Add(dir); err != nil {
			return err
		}
		set = map[*Dir]struct{}{}
		w.dirs[dir] = set
	}
	set[d] = struct{}{}
	return nil
}

// remove stops d's interest in dir; the last one removes the inotify watch.
func (w *Watcher) remove(dir string, d *Dir) {
	w.mu.Lock()
	defer w.mu.Unlock()
	set := w.dirs[dir]
	if set == nil {
		return
	}
	delete(set, d)
	if len(set) == 0 {
		delete(w.dirs, dir)
		// The kernel drops the watch itself when dir is deleted; then
		// Remove fails harmlessly.
		_ = w.w.Remove(dir)
	}
}

func (w *Watcher) run() {
	defer close(w.done)
	for {
		select {
		case ev, ok := <-w.w.Events:
			if !ok {
				return
			}
			w.dispatch(ev)
		case err, ok := <-w.w.Errors:
			if !ok {
				return
			}
			// An overflowed queue means events were lost: every Dir
			// must look again.
			w.log.Warn("file watcher error; every watched source looks again", "err", err)
			w.notifyAll()
		}
	}
}

// dispatch hands an event to the Dirs watching its directory (for events
// on entries) or the path itself (for events on a watched directory).
func (w *Watcher) dispatch(ev fsnotify.Event) {
	w.mu.Lock()
	var targets []*Dir
	for _, dir := range []string{filepath.Dir(ev.Name), ev.Name} {
		for d := range w.dirs[dir] {
			if d.wants(ev.Name) {
				targets = append(targets, d)
			}
		}
	}
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		// A watched directory that goes away takes its watch with it.
		if set, ok := w.dirs[ev.Name]; ok {
			for d := range set {
				targets = append(targets, d)
			}
			delete(w.dirs, ev.Name)
			// After a rename the kernel would keep watching the moved
			// directory under its new name; we want its old path.
			_ = w.w.Remove(ev.Name)
		}
	}
	w.mu.Unlock()
	for _, d := range targets {
		d.notify()
	}
}

func (w *Watcher) notifyAll() {
	w.mu.Lock()
	var all []*Dir
	for _, set := range w.dirs {
		for d := range set {
			all = append(all, d)
		}
	}
	w.mu.Unlock()
	for _, d := range all {
		d.notify()
	}
}

// Close stops the watcher and waits for its goroutine.
func (w *Watcher) Close() error {
	var err error
	w.close.Do(func() {
		err = w.w.Close()
		<-w.done
	})
	return err
}
