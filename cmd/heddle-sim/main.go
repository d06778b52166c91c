// Command heddle-sim is a heddle-compatible local daemon: it behaves like
// `heddle agent serve` (pidfile, Unix socket, heddle.v1 over gRPC, SIGINT
// shutdown, no SIGTERM handler) over seeded in-memory data, with switches
// that reproduce the ways a daemon can misbehave. It exists for demos,
// manual testing and heddle-ls's test suite.
//
// Scripts and tests rely on these stderr lines, in this order:
//
//	heddle-sim: pidfile at <path>     the pidfile is written
//	heddle-sim: listening on <path>   the socket is bound and listening
//	heddle-sim: ready (pid <N>)       set up; connects succeed from now on
//
// (with --fault pidfile-only there is no "listening" line). A refusal prints
// "heddle-sim: already running (pid N)" and exits 1; bad flags exit 2.
//
// Example: heddle-sim --repo /tmp/r --ops 500 --health serving
//
// heddle-sim mountd stands in for the mount daemon instead (see mountd.go).
//
// heddle-sim is also a heddle-compatible CLI and an oplog writer (cli.go):
//
//	heddle-sim cli ARGS…        heddle's read verbs (also when invoked as "heddle")
//	heddle-sim append --repo DIR [--count N] …   append operations, published as heddle does
//	heddle-sim record --repo DIR [--seed S] [--ops N]   set the log the CLI and daemon share
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/sim"
)

// Exit codes: 1 for a refusal or a runtime failure, 2 for a usage error.
const (
	exitFailure = 1
	exitUsage   = 2
)

// Faults are the --fault switches.
var faults = []string{"hang-health", "no-serve", "accept-silent", "pidfile-only", "no-v1"}

// config is the parsed command line.
type config struct {
	repo         string
	socket       string // "" = <heddle_dir>/sockets/grpc.sock
	server       sim.Options
	faults       []string
	maxSendBytes int
	logLevel     slog.Level
}

func (c *config) has(fault string) bool { return slices.Contains(c.faults, fault) }

func main() {
	os.Exit(dispatch(os.Args))
}

// dispatch picks the program: the heddle CLI when invoked as "heddle", a
// subcommand, or else the daemon.
func dispatch(argv []string) int {
	if filepath.Base(argv[0]) == "heddle" {
		return runCLI(argv[1:])
	}
	if len(argv) > 1 {
		switch argv[1] {
		case "cli":
			return runCLI(argv[2:])
		case "append":
			return runAppend(argv[2:], os.Stdout, os.Stderr)
		case "record":
			return runRecord(argv[2:], os.Stderr)
		case "mountd":
			return runMountd(argv[2:], os.Stdin, os.Stdout, os.Stderr)
		}
	}
	return run(argv[1:], os.Stderr)
}

func run(args []string, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "heddle-sim: %v\n", err)
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	cfg.server.Logger = log
	if err := serve(cfg, stderr, log); err != nil {
		fmt.Fprintf(stderr, "heddle-sim: %v\n", err)
		return exitFailure
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	cfg := &config{server: sim.DefaultOptions()}
	fs := flag.NewFlagSet("heddle-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: heddle-sim --repo DIR [flags]

Serve heddle.v1 over gRPC on DIR's heddle socket, like 'heddle agent serve'.
SIGINT stops cleanly and removes the pidfile and socket; SIGTERM and SIGKILL
leave both behind. With --health, SIGUSR1 toggles SERVING and NOT_SERVING.

flags:
`)
		fs.PrintDefaults()
	}
	var health, logLevel string
	fs.StringVar(&cfg.repo, "repo", "", "repository `dir` (made a heddle repo if it is not one)")
	fs.StringVar(&cfg.socket, "socket", "", "serve on this socket `path` instead (the pidfile stays put)")
	fs.Int64Var(&cfg.server.Seed, "seed", cfg.server.Seed, "seed of the in-memory data")
	fs.IntVar(&cfg.server.Ops, "ops", cfg.server.Ops, "number of operations in the log")
	fs.StringVar(&health, "health", "", "register grpc.health.v1.Health: serving or not-serving (default: none, like heddle)")
	fs.DurationVar(&cfg.server.Slow, "slow", 0, "every heddle.v1 RPC waits this long before answering")
	fs.IntVar(&cfg.maxSendBytes, "max-send-bytes", 0, "largest response message in bytes (0: grpc-go's default)")
	fs.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	fs.Func("fault", "misbehave: "+strings.Join(faults, ", ")+" (repeatable)", func(v string) error {
		if !slices.Contains(faults, v) {
			return fmt.Errorf("unknown fault %q (want one of %s)", v, strings.Join(faults, ", "))
		}
		cfg.faults = append(cfg.faults, v)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	case cfg.repo == "":
		return nil, errors.New("--repo is required")
	case cfg.server.Ops < 0:
		return nil, fmt.Errorf("--ops must not be negative, got %d", cfg.server.Ops)
	case cfg.server.Slow < 0:
		return nil, fmt.Errorf("--slow must not be negative, got %s", cfg.server.Slow)
	case cfg.maxSendBytes < 0:
		return nil, fmt.Errorf("--max-send-bytes must not be negative, got %d", cfg.maxSendBytes)
	}
	switch health {
	case "":
	case "serving":
		cfg.server.Health = sim.HealthServing
	case "not-serving":
		cfg.server.Health = sim.HealthNotServing
	default:
		return nil, fmt.Errorf("--health: want serving or not-serving, got %q", health)
	}
	if cfg.has("hang-health") {
		if cfg.server.Health != sim.HealthNone {
			return nil, errors.New("--fault hang-health and --health exclude each other")
		}
		cfg.server.Health = sim.HealthHang
	}
	cfg.server.NoV1 = cfg.has("no-v1")
	if err := cfg.logLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return cfg, nil
}

// gracePeriod bounds a graceful stop: streams that never end on their own
// (hung Health, hook subscriptions) are cut after it.
const gracePeriod = 2 * time.Second
