package folder

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/heddlecli"
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
	CLI     *heddlecli.Runner   // the heddle CLI, where no daemon answers

	watcher *fswatch.Watcher

	mu    sync.Mutex
	cfg   Config
	views map[*View]struct{} // started views: told when the CLI setting changes
	look  *cliLook           // the session's look at the CLI; nil until asked, or after a change
}

// cliLook is one look at the heddle CLI, shared by every folder: a
// thousand folders opened at once find the CLI once.
type cliLook struct {
	done chan struct{} // closed when info and err are set
	info heddlecli.Info
	err  error
}

// cliInfo is the CLI found for the session's setting, looked for once (and
// again after SetConfig changes the setting, or RecheckCLI).
func (s *Sources) cliInfo(ctx context.Context) cliLook {
	s.mu.Lock()
	l := s.look
	first := l == nil
	if first {
		l = &cliLook{done: make(chan struct{})}
		s.look = l
	}
	s.mu.Unlock()
	if first {
		// Shared, so detached from this caller: a folder closed or a
		// refresh cancelled meanwhile must not hand its cancellation to
		// the others. The runner bounds the look by the query timeout.
		go func() {
			l.info, l.err = s.CLI.Info(context.WithoutCancel(ctx))
			close(l.done)
		}()
	}
	select {
	case <-l.done:
		return *l
	case <-ctx.Done():
		return cliLook{err: ctx.Err()}
	}
}

// forgetCLI makes the next cliInfo look again.
func (s *Sources) forgetCLI() {
	s.mu.Lock()
	s.look = nil
	s.mu.Unlock()
}

// Config is what the sources are told by the user's settings.
type Config struct {
	Daemon     daemonlink.Options // probe and query timeouts
	HeddlePath string             // the heddle CLI: "" on PATH, "off" never, else an absolute path
}

func (c Config) cliOptions() heddlecli.Options {
	return heddlecli.Options{Setting: c.HeddlePath, Timeout: c.Daemon.WithDefaults().QueryTimeout}
}

// OpenSources starts the shared watcher and every source on it.
func OpenSources(cfg Config, log *slog.Logger) (*Sources, error) {
	w, err := fswatch.New(log)
	if err != nil {
		return nil, err
	}
	daemons, err := daemonlink.NewTracker(cfg.Daemon, w, log)
	if err != nil {
		w.Close()
		return nil, err
	}
	return &Sources{Daemons: daemons, Mounts: mountd.NewTracker(w, log), Oplog: oplog.NewWatcher(w, log),
		CLI: heddlecli.NewRunner(cfg.cliOptions(), log), watcher: w, cfg: cfg, views: map[*View]struct{}{}}, nil
}

// SetConfig hands new settings to the sources; a new heddlePath makes every
// started folder look at the CLI again (in the background).
func (s *Sources) SetConfig(cfg Config) {
	s.mu.Lock()
	old := s.cfg
	s.cfg = cfg
	var views []*View
	if cfg.HeddlePath != old.HeddlePath {
		for v := range s.views {
			views = append(views, v)
		}
	}
	s.mu.Unlock()
	s.Daemons.SetOptions(cfg.Daemon)
	s.CLI.SetOptions(cfg.cliOptions())
	if cfg.HeddlePath != old.HeddlePath {
		s.forgetCLI()
	}
	for _, v := range views {
		go v.RecheckCLI(v.ctx)
	}
}

// RecheckCLI makes every started folder look at the CLI again, now (a
// refresh: a heddle installed or upgraded since).
func (s *Sources) RecheckCLI(ctx context.Context) {
	_, _ = s.CLI.Refresh(ctx)
	s.forgetCLI() // each folder looks again below, and finds the refreshed answer
	s.mu.Lock()
	views := make([]*View, 0, len(s.views))
	for v := range s.views {
		views = append(views, v)
	}
	s.mu.Unlock()
	for _, v := range views {
		v.RecheckCLI(ctx)
	}
}

func (s *Sources) register(v *View) {
	s.mu.Lock()
	s.views[v] = struct{}{}
	s.mu.Unlock()
}

func (s *Sources) unregister(v *View) {
	s.mu.Lock()
	delete(s.views, v)
	s.mu.Unlock()
}

// Close stops every source, then the watcher.
func (s *Sources) Close() error {
	s.Mounts.Close()
	s.Oplog.Close()
	return errors.Join(s.Daemons.Close(), s.watcher.Close())
}
