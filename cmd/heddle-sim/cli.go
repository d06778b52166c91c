package main

// heddle-sim's subcommands besides the daemon: its heddle CLI, and the
// writers of the repository's log (internal/sim/oplog.go).

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/heddle-ls/heddle-ls/internal/sim"
)

// runCLI is heddle-sim's heddle CLI (internal/sim/cli.go; the environment
// variables there choose the release and the faults).
func runCLI(args []string) int {
	return sim.RunCLI(args, sim.CLIEnvFromOS(), os.Stdout, os.Stderr)
}

// runAppend appends operations to a repository's log and publishes them as
// the chosen heddle release does; it prints the new head id.
func runAppend(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("heddle-sim append", flag.ContinueOnError)
	fs.SetOutput(stderr)
	repo := fs.String("repo", "", "repository `dir`")
	count := fs.Int("count", 1, "number of operations to append")
	version := fs.String("heddle-version", cmp.Or(os.Getenv("HEDDLE_SIM_VERSION"), sim.DefaultCLIVersion),
		"publish as this heddle `release` does (V4 oplog.bin before 0.12, V5 manifest from 0.12)")
	var e sim.Entry
	fs.StringVar(&e.Verb, "verb", "", "the operations' verb (default: the seeded one)")
	fs.StringVar(&e.Actor, "actor", "", "the operations' actor email (default: the seeded one)")
	fs.StringVar(&e.Thread, "thread", "", "the operations' thread (default: the seeded one)")
	fs.Int64Var(&e.TimestampSecs, "timestamp", 0, "the operations' Unix time (default: the seeded one)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: heddle-sim append --repo DIR [flags]\n\nAppend operations to DIR's log; heddle-sim's CLI and daemon answer with them at once.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return usageExit(err)
	}
	format, err := sim.OplogFormatFor(*version)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "heddle-sim append: %v\n", err)
		return exitUsage
	case *repo == "" || fs.NArg() > 0:
		fmt.Fprintln(stderr, "heddle-sim append: --repo is required, and nothing else")
		return exitUsage
	}
	heddleDir, err := sim.PrepareRepo(*repo)
	if err == nil {
		var head uint64
		if head, err = sim.AppendOperations(heddleDir, format, *count, e); err == nil {
			fmt.Fprintln(stdout, head)
			return 0
		}
	}
	fmt.Fprintf(stderr, "heddle-sim append: %v\n", err)
	return exitFailure
}

// runRecord sets the log a repository's CLI and daemon share, as a daemon
// started with --seed and --ops would.
func runRecord(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("heddle-sim record", flag.ContinueOnError)
	fs.SetOutput(stderr)
	repo := fs.String("repo", "", "repository `dir` (made a heddle repo if it is not one)")
	d := sim.DefaultOptions()
	rec := sim.LogRecord{}
	fs.Int64Var(&rec.Seed, "seed", d.Seed, "seed of the log")
	fs.IntVar(&rec.Ops, "ops", d.Ops, "number of seeded operations")
	if err := fs.Parse(args); err != nil {
		return usageExit(err)
	}
	if *repo == "" || fs.NArg() > 0 || rec.Ops < 0 {
		fmt.Fprintln(stderr, "heddle-sim record: --repo is required, --ops must not be negative")
		return exitUsage
	}
	heddleDir, err := sim.PrepareRepo(*repo)
	if err == nil {
		err = sim.WriteRecord(heddleDir, rec)
	}
	if err != nil {
		fmt.Fprintf(stderr, "heddle-sim record: %v\n", err)
		return exitFailure
	}
	return 0
}

func usageExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return exitUsage
}
