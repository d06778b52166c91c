// main_test.go: what lsp's integration tests share — a server in this
// process spoken to through lsptest, and real heddle-sim daemons.

package lsp_test

import (
	"log/slog"
	"os"
	"testing"

	"github.com/heddle-ls/heddle-ls/internal/lsptest"
	"github.com/heddle-ls/heddle-ls/internal/simtest"
	"github.com/heddle-ls/heddle-ls/lsp"
)

func TestMain(m *testing.M) { simtest.Main(m) }

// wait bounds every wait; generous because the machine is shared.
const wait = lsptest.Timeout

// newClient serves one session from a new lsp.Server in this process; it
// stops when the test ends.
func newClient(tb testing.TB, opts lsp.Options) *lsptest.InProcess {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
		if os.Getenv("HEDDLE_LS_TEST_LOG") != "" {
			opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
	}
	return lsptest.Serve(tb, lsp.NewServer(opts).Serve)
}

// run executes a command and returns its response, failing the test if
// none comes.
func run(c *lsptest.InProcess, command string, args ...any) lsptest.Message {
	m, _ := c.ExecuteCommand(wait, command, args...)
	return m
}

// newRepo returns a heddle repository (with .heddle/objects) and no daemon.
func newRepo(t *testing.T) string { return simtest.NewRepo(t) }

// startSim runs a heddle-sim in repo, ready (listening) once it returns.
func startSim(t *testing.T, repo string, args ...string) *simtest.Daemon {
	t.Helper()
	return simtest.Start(t, repo, append([]string{"--log-level", "warn"}, args...)...)
}

// interrupt stops a daemon the clean way (SIGINT: its files removed) and
// waits for it to exit with status 0.
func interrupt(t *testing.T, d *simtest.Daemon) {
	t.Helper()
	if err := d.Interrupt(); err != nil {
		t.Fatalf("interrupt heddle-sim: %v", err)
	}
}
