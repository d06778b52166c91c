// query.go: the explain, ops, signals and hooks verbs.

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/internal/render"
	"github.com/heddle-ls/heddle-ls/lsp"
)

func runExplain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the heddle.explain result as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: heddle-ls explain [--json] [PATH]\n\nProbe PATH's daemon step by step and print each step, its time and the fix.\nExit 0 if the daemon is ready, 1 if not.")
		fs.PrintDefaults()
	}
	t, code, ok := oneTarget(fs, args, stderr)
	if !ok {
		return code
	}
	var ex daemonlink.Explanation
	if t.noRepo != nil {
		start := time.Now()
		_, _ = heddle.Discover(t.path)
		ex = daemonlink.Explanation{Status: *t.noRepo, Steps: []daemonlink.Step{{
			Name: "discover", Duration: time.Since(start), Detail: t.noRepo.Message}}}
	} else {
		ex = daemonlink.Probe(ctx, t.repo.HeddleDir, daemonlink.Options{}.WithDefaults())
		ex.Status.Root = t.repo.Root
	}
	code = exitOK
	if ex.Status.State != daemonlink.StateReady {
		code = exitNotReady
	}
	if *asJSON {
		uri := lsp.PathToURI(t.path)
		return printJSON(stdout, stderr, lsp.ExplainResult{Folder: uri, Markdown: render.ExplanationMarkdown(uri, ex),
			Steps: lsp.WireSteps(ex.Steps), Status: lsp.WireStatus(uri, ex.Status)}, code)
	}
	if err := render.ExplanationText(stdout, t.path, ex); err != nil {
		return exitNotReady
	}
	return code
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return fmt.Sprint(*l) }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func runOps(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ops", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var q heddle.OperationQuery
	var verbs stringList
	fs.IntVar(&q.Limit, "limit", heddle.DefaultOperationLimit, fmt.Sprintf("the N most recent hits (1..%d)", heddle.MaxOperationLimit))
	fs.StringVar(&q.Actor, "actor", "", "only this actor's email")
	fs.StringVar(&q.Thread, "thread", "", "only this thread")
	fs.Var(&verbs, "verb", "only this verb (repeatable)")
	fs.StringVar(&q.Symbol, "symbol", "", "only operations touching this symbol")
	fs.StringVar(&q.SignalKind, "signal-kind", "", "only operations that fired this signal kind")
	fs.Int64Var(&q.SinceSecs, "since", 0, "only at or after this Unix time (seconds)")
	fs.Int64Var(&q.UntilSecs, "until", 0, "only at or before this Unix time (seconds)")
	fs.BoolVar(&q.IncludeCheckpoints, "include-checkpoints", false, "include checkpoint operations")
	asJSON := fs.Bool("json", false, "print the heddle.operations result as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: heddle-ls ops [PATH] [flags]\n\nThe operation log, newest first.")
		fs.PrintDefaults()
	}
	t, code, ok := oneTarget(fs, args, stderr)
	if !ok {
		return code
	}
	q.Verbs = verbs
	switch {
	case q.Limit < 1 || q.Limit > heddle.MaxOperationLimit:
		return usageError(stderr, fs, fmt.Errorf("--limit must be in 1..%d, got %d", heddle.MaxOperationLimit, q.Limit))
	case q.SinceSecs < 0 || q.UntilSecs < 0:
		return usageError(stderr, fs, fmt.Errorf("--since and --until are Unix seconds and must be ≥ 0"))
	case q.SinceSecs != 0 && q.UntilSecs != 0 && q.SinceSecs > q.UntilSecs:
		return usageError(stderr, fs, fmt.Errorf("--since %d is after --until %d", q.SinceSecs, q.UntilSecs))
	}
	return withReadyDaemon(ctx, "ops", t, stderr, func(tr *daemonlink.Tracker) int {
		ops, err := tr.Operations(ctx, t.repo.HeddleDir, q)
		if err != nil {
			return queryFailed(stderr, "ops", err)
		}
		if *asJSON {
			return printJSON(stdout, stderr, lsp.OperationsResult{Folder: lsp.PathToURI(t.path), Hits: lsp.WireOperations(ops)}, exitOK)
		}
		if err := render.OperationsTable(stdout, ops); err != nil {
			return exitNotReady
		}
		return exitOK
	})
}

func runSignals(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("signals", flag.ContinueOnError)
	fs.SetOutput(stderr)
	window := fs.Uint("window", 0, "states to look back over (0: the daemon's default)")
	asJSON := fs.Bool("json", false, "print the heddle.signalHealth result as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: heddle-ls signals [PATH] [--window N] [--json]\n\nSignal health: each signal module's fire rate.")
		fs.PrintDefaults()
	}
	t, code, ok := oneTarget(fs, args, stderr)
	if !ok {
		return code
	}
	if *window > 1<<32-1 {
		return usageError(stderr, fs, fmt.Errorf("--window too large"))
	}
	return withReadyDaemon(ctx, "signals", t, stderr, func(tr *daemonlink.Tracker) int {
		h, err := tr.SignalHealth(ctx, t.repo.HeddleDir, uint32(*window))
		if err != nil {
			return queryFailed(stderr, "signals", err)
		}
		if *asJSON {
			return printJSON(stdout, stderr, lsp.WireSignalHealth(lsp.PathToURI(t.path), h), exitOK)
		}
		if err := render.SignalHealthTable(stdout, h); err != nil {
			return exitNotReady
		}
		return exitOK
	})
}

func runHooks(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hooks", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the heddle.hooks result as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: heddle-ls hooks [PATH] [--json]\n\nThe daemon's registered hooks.")
		fs.PrintDefaults()
	}
	t, code, ok := oneTarget(fs, args, stderr)
	if !ok {
		return code
	}
	return withReadyDaemon(ctx, "hooks", t, stderr, func(tr *daemonlink.Tracker) int {
		hooks, err := tr.Hooks(ctx, t.repo.HeddleDir)
		if err != nil {
			return queryFailed(stderr, "hooks", err)
		}
		if *asJSON {
			return printJSON(stdout, stderr, lsp.HooksResult{Folder: lsp.PathToURI(t.path), Hooks: lsp.WireHooks(hooks)}, exitOK)
		}
		if err := render.HooksTable(stdout, hooks); err != nil {
			return exitNotReady
		}
		return exitOK
	})
}

// oneTarget parses flags around at most one PATH (default: the current
// directory) and discovers it.
func oneTarget(fs *flag.FlagSet, args []string, stderr io.Writer) (target, int, bool) {
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return target{}, usageError(stderr, fs, err), false
	}
	if len(paths) > 1 {
		return target{}, usageError(stderr, fs, fmt.Errorf("takes one PATH, got %d", len(paths))), false
	}
	targets, err := resolveTargets(paths)
	if err != nil {
		fmt.Fprintf(stderr, "heddle-ls %s: %v\n", fs.Name(), err)
		return target{}, exitUsage, false
	}
	return targets[0], exitOK, true
}

// withReadyDaemon tracks t's daemon, waits for its first status, and runs
// fn when it is ready; otherwise it says why and what to do.
func withReadyDaemon(ctx context.Context, verb string, t target, stderr io.Writer, fn func(*daemonlink.Tracker) int) int {
	if t.noRepo != nil {
		fmt.Fprintf(stderr, "heddle-ls %s: %s: %s\n", verb, t.path, t.noRepo.Message)
		return exitNotReady
	}
	first := make(chan daemonlink.Status, 1)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	tr, err := daemonlink.NewTracker(daemonlink.Options{}, log, func(st daemonlink.Status) {
		select {
		case first <- st:
		default:
		}
	})
	if err != nil {
		fmt.Fprintf(stderr, "heddle-ls %s: %v\n", verb, err)
		return exitNotReady
	}
	defer tr.Close()
	st, known := tr.Track(t.repo.HeddleDir)
	if !known {
		wait, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		select {
		case st = <-first:
		case <-wait.Done():
			fmt.Fprintf(stderr, "heddle-ls %s: %s: no probe result within 5s\n", verb, t.path)
			return exitNotReady
		}
	}
	if st.State != daemonlink.StateReady {
		fmt.Fprintf(stderr, "heddle-ls %s: %s: daemon %s: %s\n", verb, t.path, st.State, st.Message)
		if st.Hint != "" {
			fmt.Fprintf(stderr, "  hint: %s\n", st.Hint)
		}
		return exitNotReady
	}
	return fn(tr)
}

func queryFailed(stderr io.Writer, verb string, err error) int {
	fmt.Fprintf(stderr, "heddle-ls %s: %v\n", verb, err)
	var qe *daemonlink.QueryError
	if errors.As(err, &qe) && qe.Hint != "" {
		fmt.Fprintf(stderr, "  hint: %s\n", qe.Hint)
	}
	return exitNotReady
}

func printJSON(stdout, stderr io.Writer, v any, code int) int {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(stderr, "heddle-ls: %v\n", err)
		return exitNotReady
	}
	return code
}
