// status.go: the status and watch verbs.

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/internal/render"
	"github.com/heddle-ls/heddle-ls/lsp"
)

// target is one PATH argument and what Discover made of it.
type target struct {
	path   string // absolute
	repo   heddle.Repo
	noRepo *daemonlink.Status
}

// resolveTargets makes paths absolute (default: the current directory) and
// discovers their repositories.
func resolveTargets(paths []string) ([]target, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	out := make([]target, 0, len(paths))
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("path %q: %w", p, err)
		}
		t := target{path: abs}
		repo, err := heddle.Discover(abs)
		if err != nil {
			st := daemonlink.NoRepoStatus(abs, err)
			t.noRepo = &st
		} else {
			t.repo = repo
		}
		out = append(out, t)
	}
	return out, nil
}

func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print a JSON array of status objects (the heddle/status shape)")
	short := fs.Bool("short", false, "print only the state word per path (for prompts and status bars)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: heddle-ls status [--json|--short] [PATH...]\n\nOne cold probe per path. Exit 0 if every path is ready, 1 if any is not, 2 on usage error.")
		fs.PrintDefaults()
	}
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return usageError(stderr, fs, err)
	}
	targets, err := resolveTargets(paths)
	if err != nil {
		fmt.Fprintf(stderr, "heddle-ls status: %v\n", err)
		return exitUsage
	}
	statuses := probeAll(ctx, targets)
	code := exitOK
	wire := make([]lsp.StatusParams, len(targets))
	for i, t := range targets {
		if statuses[i].State != daemonlink.StateReady {
			code = exitNotReady
		}
		wire[i] = lsp.WireStatus(lsp.PathToURI(t.path), statuses[i])
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(wire); err != nil {
			fmt.Fprintf(stderr, "heddle-ls status: %v\n", err)
			return exitNotReady
		}
		return code
	}
	for i, t := range targets {
		if *short {
			fmt.Fprintln(stdout, statuses[i].State)
			continue
		}
		fmt.Fprintln(stdout, render.StatusLine(t.path, statuses[i]))
	}
	return code
}

// probeAll probes every target's heddle dir once, concurrently; targets in
// one repository share the probe.
func probeAll(ctx context.Context, targets []target) []daemonlink.Status {
	opts := daemonlink.Options{}.WithDefaults()
	byDir := map[string]*daemonlink.Status{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, t := range targets {
		if t.noRepo != nil {
			continue
		}
		if _, ok := byDir[t.repo.HeddleDir]; ok {
			continue
		}
		byDir[t.repo.HeddleDir] = nil
		wg.Add(1)
		go func(dir string) {
			defer wg.Done()
			st := daemonlink.Probe(ctx, dir, opts).Status
			mu.Lock()
			byDir[dir] = &st
			mu.Unlock()
		}(t.repo.HeddleDir)
	}
	wg.Wait()
	out := make([]daemonlink.Status, len(targets))
	for i, t := range targets {
		if t.noRepo != nil {
			out[i] = *t.noRepo
			continue
		}
		out[i] = *byDir[t.repo.HeddleDir]
		out[i].Root = t.repo.Root
	}
	return out
}

func runWatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print NDJSON: one status object per line")
	var exitWith exitWithPID
	fs.Var(&exitWith, "exit-with-pid", "end when process `PID` exits (the shell or tmux server the watch serves); exit 2 if there is no such process")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: heddle-ls watch [--json] [--exit-with-pid PID] [PATH...]\n\nPrint each path's status, then one line per change, until interrupted.")
		fs.PrintDefaults()
	}
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return usageError(stderr, fs, err)
	}
	targets, err := resolveTargets(paths)
	if err != nil {
		fmt.Fprintf(stderr, "heddle-ls watch: %v\n", err)
		return exitUsage
	}
	if ctx, err = exitWith.until(ctx, stderr); err != nil {
		return usageError(stderr, fs, err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := untilStdoutGone(ctx, stdout)
	defer cancel()

	// The tracker's onChange must not block: it only queues.
	changes := newStatusQueue()
	tracker, err := daemonlink.NewTracker(daemonlink.Options{}, log, changes.push)
	if err != nil {
		fmt.Fprintf(stderr, "heddle-ls watch: %v\n", err)
		return exitNotReady
	}
	defer tracker.Close()

	w := &watchPrinter{out: stdout, json: *asJSON, last: map[string]daemonlink.Status{}}
	for _, t := range targets {
		if t.noRepo != nil {
			if err := w.print(t, *t.noRepo); err != nil {
				return exitOK // stdout closed: nobody is listening
			}
			continue
		}
		// A known dir's status goes through the queue too, so it is printed
		// in order with the changes the tracker queued before it.
		if st, known := tracker.Track(t.repo.HeddleDir); known {
			changes.push(st)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return exitOK
		case <-changes.wake:
		}
		for _, st := range changes.drain() {
			for _, t := range targets {
				if t.noRepo == nil && t.repo.HeddleDir == st.HeddleDir {
					if err := w.print(t, st); err != nil {
						return exitOK
					}
				}
			}
		}
	}
}

// watchPrinter prints a path's status when it differs from the last printed.
type watchPrinter struct {
	out  io.Writer
	json bool
	last map[string]daemonlink.Status
}

func (w *watchPrinter) print(t target, st daemonlink.Status) error {
	if t.noRepo == nil {
		st.Root = t.repo.Root
	}
	if prev, ok := w.last[t.path]; ok && prev.Same(st) {
		return nil
	}
	w.last[t.path] = st
	var err error
	if w.json {
		var b []byte
		b, err = json.Marshal(lsp.WireStatus(lsp.PathToURI(t.path), st))
		if err == nil {
			_, err = fmt.Fprintf(w.out, "%s\n", b)
		}
	} else {
		_, err = fmt.Fprintf(w.out, "%s  %s\n", st.Since.UTC().Format("15:04:05.000"), render.StatusLine(t.path, st))
	}
	if f, ok := w.out.(*os.File); ok && err == nil {
		_ = f.Sync() // best effort: pipes ignore it, files get the line now
	}
	return err
}

// statusQueue is an unbounded queue of statuses with a wake-up channel.
type statusQueue struct {
	mu    sync.Mutex
	items []daemonlink.Status
	wake  chan struct{}
}

func newStatusQueue() *statusQueue { return &statusQueue{wake: make(chan struct{}, 1)} }

func (q *statusQueue) push(st daemonlink.Status) {
	q.mu.Lock()
	q.items = append(q.items, st)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *statusQueue) drain() []daemonlink.Status {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items = nil
	return items
}

// parseInterleaved parses flags that may come before, between or after
// positional arguments, and returns the positionals.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}
