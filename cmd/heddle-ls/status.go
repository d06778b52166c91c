// status.go: the status and watch verbs.

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/folder"
	"github.com/heddle-ls/heddle-ls/heddlecli"
	"github.com/heddle-ls/heddle-ls/internal/mailbox"
	"github.com/heddle-ls/heddle-ls/internal/render"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// target is one PATH argument and its folder view.
type target struct {
	path string // absolute
	view *folder.View
}

// resolveTargets makes paths absolute (default: the current directory) and
// opens a view of each on src (nil: views for one-shot looks only).
func resolveTargets(paths []string, src *folder.Sources) ([]target, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	out := make([]target, 0, len(paths))
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("path %q: %w", p, err)
		}
		out = append(out, target{path: abs, view: folder.New(src, protocol.PathToURI(abs), "")})
	}
	return out, nil
}

func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("status", stderr, "[--json|--short] [PATH...]",
		"One cold probe per path. Exit 0 if every path is ready, 1 if any is not, 2 on usage error.")
	asJSON := fs.Bool("json", false, "print a JSON array of status objects (the heddle/status shape)")
	short := fs.Bool("short", false, "print only the state word per path (for prompts and status bars)")
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return usageError(stderr, fs, err)
	}
	cfg, err := sourcesConfig(fs)
	if err != nil {
		return usageError(stderr, fs, err)
	}
	targets, err := resolveTargets(paths, nil)
	if err != nil {
		fmt.Fprintf(stderr, "heddle-ls status: %v\n", err)
		return exitUsage
	}
	views := make([]*folder.View, len(targets))
	for i, t := range targets {
		views[i] = t.view
	}
	var cli *heddlecli.Runner // --short prints the state alone, which the CLI never changes: spawn nothing
	if !*short {
		cli = heddlecli.NewRunner(heddlecli.Options{Setting: cfg.HeddlePath, Timeout: cfg.Daemon.QueryTimeout}, nil)
	}
	statuses := folder.Probe(ctx, views, cfg.Daemon, cli)
	code := exitOK
	for _, st := range statuses {
		if st.State != string(daemonlink.StateReady) {
			code = exitNotReady
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(statuses); err != nil {
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

func runWatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("watch", stderr, "[--json] [--operations] [--exit-with-pid PID] [PATH...]",
		"Print each path's status, then one line per change, until interrupted.")
	asJSON := fs.Bool("json", false, "print NDJSON: one status object per line")
	withOps := fs.Bool("operations", false, "also print a line per operation-log publication (with --json: the heddle/operationsChanged params)")
	var exitWith exitWithPID
	fs.Var(&exitWith, "exit-with-pid", "end when process `PID` exits (the shell or tmux server the watch serves); exit 2 if there is no such process")
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return usageError(stderr, fs, err)
	}
	if ctx, err = exitWith.until(ctx, stderr); err != nil {
		return usageError(stderr, fs, err)
	}
	ctx, cancel := untilStdoutGone(ctx, stdout)
	defer cancel()
	cfg, err := sourcesConfig(fs)
	if err != nil {
		return usageError(stderr, fs, err)
	}
	src, err := openSources(stderr, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "heddle-ls watch: %v\n", err)
		return exitNotReady
	}
	defer src.Close()
	targets, err := resolveTargets(paths, src)
	if err != nil {
		fmt.Fprintf(stderr, "heddle-ls watch: %v\n", err)
		return exitUsage
	}
	type change struct {
		path string
		st   *protocol.StatusParams            // a status, or
		ops  *protocol.OperationsChangedParams // an oplog publication
	}
	// A view's publisher must not block: it only queues; this goroutine prints.
	changes := mailbox.New[change]()
	for _, t := range targets {
		defer t.view.Close()
		h := folder.Handlers{Status: func(_ *protocol.StatusParams, st protocol.StatusParams) {
			changes.Put(change{path: t.path, st: &st})
		}}
		if *withOps {
			h.Operations = func(p protocol.OperationsChangedParams) { changes.Put(change{path: t.path, ops: &p}) }
		}
		t.view.Start(h)
	}
	for {
		select {
		case <-ctx.Done():
			return exitOK
		case <-changes.Wake():
		}
		for _, c := range changes.Take() {
			var err error
			if c.st != nil {
				err = printWatched(stdout, *asJSON, c.path, *c.st)
			} else {
				err = printOperations(stdout, *asJSON, c.path, *c.ops)
			}
			if err != nil {
				return exitOK // stdout closed: nobody is listening
			}
		}
	}
}

// printWatched prints one status line (or NDJSON object) of the watch verb.
func printWatched(out io.Writer, asJSON bool, path string, st protocol.StatusParams) error {
	return printLine(out, asJSON, st, render.StatusLine(path, st))
}

// printOperations prints one oplog publication of the watch verb.
func printOperations(out io.Writer, asJSON bool, path string, p protocol.OperationsChangedParams) error {
	text := fmt.Sprintf("%-15s  %s  the operation log changed", "operations", path)
	if p.HeadID != nil {
		text += fmt.Sprintf(" (head %d)", *p.HeadID)
	}
	return printLine(out, asJSON, p, text)
}

// printLine prints v as one NDJSON line, or text after the time of day.
func printLine(out io.Writer, asJSON bool, v any, text string) error {
	var err error
	if asJSON {
		var b []byte
		b, err = json.Marshal(v)
		if err == nil {
			_, err = fmt.Fprintf(out, "%s\n", b)
		}
	} else {
		_, err = fmt.Fprintf(out, "%s  %s\n", time.Now().UTC().Format("15:04:05.000"), text)
	}
	if f, ok := out.(*os.File); ok && err == nil {
		_ = f.Sync() // best effort: pipes ignore it, files get the line now
	}
	return err
}

// newFlagSet is the preamble every verb shares: its name, its usage line
// and what it does, and the flag naming the heddle CLI (heddlePath).
func newFlagSet(verb string, stderr io.Writer, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: heddle-ls %s %s\n\n%s\n", verb, synopsis, about)
		fs.PrintDefaults()
	}
	fs.String("heddle", "", `the heddle CLI queries fall through to: "" = heddle on PATH, "off" = never, else an absolute path`)
	return fs
}

// sourcesConfig is the sources' configuration from a verb's flags.
func sourcesConfig(fs *flag.FlagSet) (folder.Config, error) {
	path := fs.Lookup("heddle").Value.String()
	if path != "" && path != "off" && !filepath.IsAbs(path) {
		return folder.Config{}, fmt.Errorf(`--heddle: want "off" or an absolute path, got %q`, path)
	}
	return folder.Config{Daemon: daemonlink.Options{}.WithDefaults(), HeddlePath: path}, nil
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
