package daemonlink

import (
	"context"
	"log/slog"
)

// Tracker keeps a live Status for every tracked heddle dir and runs queries
// against their daemons. One Tracker shares one file watcher among all dirs.
// All methods are safe for concurrent use. onChange is called, from the
// tracker's own goroutines, once with the first probe result of a newly
// tracked dir and then on every change (Status.Same false); it must not block.
type Tracker struct {
	// TODO(core): implementation in progress.
}

// NewTracker starts a tracker. Close it when done.
func NewTracker(opts Options, log *slog.Logger, onChange func(Status)) (*Tracker, error) {
	return &Tracker{}, nil
}

// Track starts tracking a canonical heddle dir (from Discover), counting
// references: two folders of one repo share one link. It never blocks on a
// probe: when the dir is already known it returns its status and true;
// otherwise it returns false and onChange delivers the first result.
func (t *Tracker) Track(heddleDir string) (Status, bool) { return Status{}, false }

// Untrack drops one reference; the link closes with the last one.
func (t *Tracker) Untrack(heddleDir string) {}

// Status returns the current status of a tracked dir.
func (t *Tracker) Status(heddleDir string) (Status, bool) { return Status{}, false }

// Refresh re-probes a tracked dir from scratch (new connection, no caches)
// and returns the fresh status (also delivered to onChange if it changed).
func (t *Tracker) Refresh(ctx context.Context, heddleDir string) (Status, error) {
	return Status{}, nil
}

// Explain runs a fresh, fully instrumented probe of any heddle dir (tracked
// or not) without changing tracked state.
func (t *Tracker) Explain(ctx context.Context, heddleDir string) Explanation {
	return Explanation{}
}

// Operations returns the most recent operations matching q, newest first.
func (t *Tracker) Operations(ctx context.Context, heddleDir string, q OperationQuery) ([]Operation, error) {
	return nil, nil
}

// SignalHealth returns the daemon's signal-health report; windowStates 0 means the daemon's default.
func (t *Tracker) SignalHealth(ctx context.Context, heddleDir string, windowStates uint32) (SignalHealth, error) {
	return SignalHealth{}, nil
}

// Hooks lists the daemon's registered hooks.
func (t *Tracker) Hooks(ctx context.Context, heddleDir string) ([]Hook, error) { return nil, nil }

// SetOptions changes the timeouts for probes and queries from now on.
func (t *Tracker) SetOptions(opts Options) {}

// Close stops every link and the watcher.
func (t *Tracker) Close() error { return nil }
