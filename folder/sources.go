package folder

import (
	"errors"
	"log/slog"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/internal/fswatch"
)

// Sources are the trackers folders subscribe to, shared by every folder of
// a session (the LSP server's, or a CLI verb's), on one file watcher.
type Sources struct {
	Daemons *daemonlink.Tracker

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
	return &Sources{Daemons: daemons, watcher: w}, nil
}

// SetOptions hands new timeouts to the sources.
func (s *Sources) SetOptions(opts daemonlink.Options) { s.Daemons.SetOptions(opts) }

// Close stops every source, then the watcher.
func (s *Sources) Close() error {
	return errors.Join(s.Daemons.Close(), s.watcher.Close())
}
