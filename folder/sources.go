package folder

import (
	"errors"
	"log/slog"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/internal/fswatch"
	"github.com/heddle-ls/heddle-ls/mountd"
	"github.com/heddle-ls/heddle-ls/oplog"
)

// Sources are the trackers folders subscribe to, shared by every folder of
// a session (the LSP server's, or a CLI verb's), on one file watcher.
type Sources struct {
	Daemons *daemonlink.Tracker // the agent daemon
	Mounts  *mountd.Tracker     // the mount daemon (heddled), from its files
	Oplog   *oplog.Watcher      // the operation log's publications

	watcher *fswatch.Watcher
}

// OpenSources starts the shared watcher and every source on it.
func OpenSources(opts daemonlink.Options, log *slog.Logger) (*Sources, error) {
	w, err := fswatch.New(log)
	if err != nil {
		return nil, err
	}
	daemons, err := daemonlink.NewTracker(opts, w, log)
	if err != nil {
		w.Close()
		return nil, err
	}
	return &Sources{Daemons: daemons, Mounts: mountd.NewTracker(w, log), Oplog: oplog.NewWatcher(w, log), watcher: w}, nil
}

// SetOptions hands new timeouts to the sources.
func (s *Sources) SetOptions(opts daemonlink.Options) { s.Daemons.SetOptions(opts) }

// Close stops every source, then the watcher.
func (s *Sources) Close() error {
	s.Mounts.Close()
	s.Oplog.Close()
	return errors.Join(s.Daemons.Close(), s.watcher.Close())
}
