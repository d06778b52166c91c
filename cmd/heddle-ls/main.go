// Command heddle-ls is the heddle Language Server. With no verb it speaks
// LSP over stdin/stdout (editors pass --stdio, --clientProcessId=N and the
// like; both are accepted). Verbs for people and status bars: status,
// watch, explain, ops, signals, hooks, version.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

// Exit codes shared by every verb.
const (
	exitOK       = 0 // success; for status: every path is ready
	exitNotReady = 1 // a daemon is not ready, a query failed, or LSP exit without shutdown
	exitUsage    = 2 // bad command line
)

const usage = `usage:
  heddle-ls [--stdio] [--log-file PATH] [--log-level LEVEL]   serve LSP on stdin/stdout
  heddle-ls status [--json|--short] [PATH...]  one cold probe per path; exit 0 iff all ready
  heddle-ls watch [--json] [--operations] [--exit-with-pid PID] [PATH...]
                                           print the status, then one line per change
                                           (--operations: and per operation-log publication)
  heddle-ls explain [PATH]                 every probe step with its timing, and the fix
  heddle-ls ops [PATH] [flags]             the operation log, newest first
  heddle-ls signals [PATH] [--window N] [--json]   signal health per module
  heddle-ls hooks [PATH] [--json]          registered hooks
  heddle-ls version                        print the version (also --version)

PATH defaults to the current directory. Every verb takes --heddle PATH, the heddle CLI
queries fall through to (default: heddle on PATH; "off": never). Run 'heddle-ls VERB -h'
for a verb's flags.
Exit codes: 0 ok (status: all ready), 1 not ready or failed, 2 usage error.
`

// verbs maps each verb to its implementation; each gets the arguments
// after the verb and returns an exit code.
var verbs = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) int{
	"status":  runStatus,
	"watch":   runWatch,
	"explain": runExplain,
	"ops":     runOps,
	"signals": runSignals,
	"hooks":   runHooks,
	"version": func(_ context.Context, _ []string, stdout, _ io.Writer) int {
		fmt.Fprintf(stdout, "heddle-ls %s\n", version)
		return exitOK
	},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.ReadCloser, stdout io.WriteCloser, stderr io.Writer) int {
	if len(args) > 0 {
		if verb, ok := verbs[args[0]]; ok {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return verb(ctx, args[1:], stdout, stderr)
		}
		switch args[0] {
		case "-h", "--help", "help":
			fmt.Fprint(stdout, usage)
			return exitOK
		case "--version", "-version":
			fmt.Fprintf(stdout, "heddle-ls %s\n", version)
			return exitOK
		}
	}
	return runLSP(args, stdin, stdout, stderr)
}

// lspFlags are the flags of LSP mode.
type lspFlags struct {
	logFile  string
	logLevel slog.Level
}

// parseLSPFlags accepts what editors pass: --stdio anywhere, and
// --clientProcessId=N (or with a separate value), both ignored.
func parseLSPFlags(args []string) (lspFlags, error) {
	f := lspFlags{logLevel: slog.LevelInfo}
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(args[i], "=")
		takeValue := func() (string, error) {
			if hasValue {
				return value, nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("flag %s needs a value", name)
			}
			i++
			return args[i], nil
		}
		switch strings.TrimLeft(name, "-") {
		case "stdio":
		case "clientProcessId":
			if _, err := takeValue(); err != nil {
				return f, err
			}
		case "log-file":
			v, err := takeValue()
			if err != nil {
				return f, err
			}
			f.logFile = v
		case "log-level":
			v, err := takeValue()
			if err != nil {
				return f, err
			}
			lvl, err := parseLevel(v)
			if err != nil {
				return f, err
			}
			f.logLevel = lvl
		default:
			return f, fmt.Errorf("unknown argument %q", args[i])
		}
	}
	return f, nil
}

func parseLevel(s string) (slog.Level, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("log level %q: want debug, info, warn or error", s)
	}
	return lvl, nil
}

// newLogger logs to path (appending) or, when path is "", to stderr —
// never to stdout, which carries the LSP stream.
func newLogger(path string, level slog.Level, stderr io.Writer) (*slog.Logger, func(), error) {
	w, closeFn := stderr, func() {}
	if path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("open log file: %w", err)
		}
		w, closeFn = f, func() { _ = f.Close() }
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), closeFn, nil
}

// usageError prints err and the verb's usage, and returns exitUsage.
func usageError(stderr io.Writer, fs *flag.FlagSet, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(stderr, "heddle-ls %s: %v\n", fs.Name(), err)
	fs.Usage()
	return exitUsage
}
