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

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/folder"
	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/internal/render"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

func runExplain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("explain", stderr, "[--json] [PATH]",
		"Probe PATH's daemon step by step and print each step, its time and the fix.\nExit 0 if the daemon is ready, 1 if not.")
	asJSON := fs.Bool("json", false, "print the heddle.explain result as JSON")
	t, src, code, ok := openOne(fs, args, stderr)
	if !ok {
		return code
	}
	defer src.Close()
	ex, st := t.view.Explain(ctx)
	code = exitOK
	steps := folder.WireSteps(ex.Steps)
	if st.State != string(daemonlink.StateReady) {
		code = exitNotReady
	}
	if *asJSON {
		uri := t.view.URI()
		return printJSON(stdout, stderr, protocol.ExplainResult{Folder: uri, Markdown: render.ExplanationMarkdown(uri, st, steps),
			Steps: steps, Status: st}, code)
	}
	if err := render.ExplanationText(stdout, t.path, st, steps); err != nil {
		return exitNotReady
	}
	return code
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return fmt.Sprint(*l) }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func runOps(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("ops", stderr, "[PATH] [flags]", "The operation log, newest first.")
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
	return withFolder(fs, args, stderr, func(v *folder.View) int {
		q.Verbs = verbs
		if q.Limit < 1 {
			// 0 would mean "the default" to the query; on the command line it is a mistake.
			return usageError(stderr, fs, fmt.Errorf("--limit must be in 1..%d, got %d", heddle.MaxOperationLimit, q.Limit))
		}
		if err := q.Validate(); err != nil {
			return usageError(stderr, fs, err)
		}
		res, err := v.Operations(ctx, q)
		if err != nil {
			return queryFailed(stderr, "ops", err)
		}
		if *asJSON {
			return printJSON(stdout, stderr, res, exitOK)
		}
		if err := render.OperationsTable(stdout, res.Hits); err != nil {
			return exitNotReady
		}
		return answeredBy(stdout, res.Source)
	})
}

func runSignals(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("signals", stderr, "[PATH] [--window N] [--json]", "Signal health: each signal module's fire rate.")
	window := fs.Uint("window", 0, "states to look back over (0: the default, 200)")
	asJSON := fs.Bool("json", false, "print the heddle.signalHealth result as JSON")
	return withFolder(fs, args, stderr, func(v *folder.View) int {
		if *window > 1<<32-1 {
			return usageError(stderr, fs, fmt.Errorf("--window too large"))
		}
		res, err := v.SignalHealth(ctx, uint32(*window))
		if err != nil {
			return queryFailed(stderr, "signals", err)
		}
		if *asJSON {
			return printJSON(stdout, stderr, res, exitOK)
		}
		if err := render.SignalHealthTable(stdout, res); err != nil {
			return exitNotReady
		}
		return answeredBy(stdout, res.Source)
	})
}

func runHooks(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("hooks", stderr, "[PATH] [--json]", "The repository's hooks.")
	asJSON := fs.Bool("json", false, "print the heddle.hooks result as JSON")
	return withFolder(fs, args, stderr, func(v *folder.View) int {
		res, err := v.Hooks(ctx)
		if err != nil {
			return queryFailed(stderr, "hooks", err)
		}
		if *asJSON {
			return printJSON(stdout, stderr, res, exitOK)
		}
		if err := render.HooksTable(stdout, res.Hooks); err != nil {
			return exitNotReady
		}
		return answeredBy(stdout, res.Source)
	})
}

// openOne parses a verb's flags around at most one PATH (default: the
// current directory), opens the sources and the path's view on them.
func openOne(fs *flag.FlagSet, args []string, stderr io.Writer) (target, *folder.Sources, int, bool) {
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return target{}, nil, usageError(stderr, fs, err), false
	}
	if len(paths) > 1 {
		return target{}, nil, usageError(stderr, fs, fmt.Errorf("takes one PATH, got %d", len(paths))), false
	}
	cfg, err := sourcesConfig(fs)
	if err != nil {
		return target{}, nil, usageError(stderr, fs, err), false
	}
	src, err := openSources(stderr, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "heddle-ls %s: %v\n", fs.Name(), err)
		return target{}, nil, exitNotReady, false
	}
	targets, err := resolveTargets(paths, src)
	if err != nil {
		src.Close()
		fmt.Fprintf(stderr, "heddle-ls %s: %v\n", fs.Name(), err)
		return target{}, nil, exitUsage, false
	}
	return targets[0], src, exitOK, true
}

// withFolder runs a query verb: it opens the path's view, starts it (so
// the query reaches a tracked daemon), and runs fn on it.
func withFolder(fs *flag.FlagSet, args []string, stderr io.Writer, fn func(*folder.View) int) int {
	t, src, code, ok := openOne(fs, args, stderr)
	if !ok {
		return code
	}
	defer src.Close()
	t.view.Start(folder.Handlers{Status: func(*protocol.StatusParams, protocol.StatusParams) {}})
	defer t.view.Close()
	return fn(t.view)
}

// openSources opens the sources for a verb, logging warnings to stderr.
func openSources(stderr io.Writer, cfg folder.Config) (*folder.Sources, error) {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return folder.OpenSources(cfg, log)
}

// answeredBy ends a table with who answered it.
func answeredBy(stdout io.Writer, source string) int {
	who := map[string]string{protocol.SourceDaemon: "the agent daemon", protocol.SourceCLI: "the heddle CLI"}[source]
	if who == "" {
		who = source
	}
	fmt.Fprintf(stdout, "(answered by %s)\n", who)
	return exitOK
}

func queryFailed(stderr io.Writer, verb string, err error) int {
	fmt.Fprintf(stderr, "heddle-ls %s: %v\n", verb, err)
	var fe *folder.Error
	if errors.As(err, &fe) && fe.Hint != "" {
		fmt.Fprintf(stderr, "  hint: %s\n", fe.Hint)
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
