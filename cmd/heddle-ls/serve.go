// serve.go: LSP mode — the server over stdin/stdout.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/heddle-ls/heddle-ls/lsp"
)

// stdio joins stdin and stdout into the connection the server reads and
// writes; closing it closes both.
type stdio struct {
	io.ReadCloser
	io.WriteCloser
}

func (s stdio) Close() error {
	return errors.Join(s.ReadCloser.Close(), s.WriteCloser.Close())
}

func runLSP(args []string, stdin io.ReadCloser, stdout io.WriteCloser, stderr io.Writer) int {
	flags, err := parseLSPFlags(args)
	if err != nil {
		fmt.Fprintf(stderr, "heddle-ls: %v\n\n%s", err, usage)
		return exitUsage
	}
	log, closeLog, err := newLogger(flags.logFile, flags.logLevel, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "heddle-ls: %v\n", err)
		return exitUsage
	}
	defer closeLog()
	log.Info("heddle-ls starting", "version", version, "pid", os.Getpid())

	// SIGTERM/SIGINT end the session like a closed stream would.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := lsp.NewServer(lsp.Options{Version: version, Logger: log})
	err = srv.Serve(ctx, stdio{stdin, stdout})
	switch {
	case err == nil:
		log.Info("heddle-ls exiting")
		return exitOK
	case errors.Is(err, lsp.ErrNoShutdown):
		log.Info("heddle-ls exiting without shutdown")
		return exitNotReady
	default:
		log.Error("heddle-ls failed", "err", err)
		return exitNotReady
	}
}
