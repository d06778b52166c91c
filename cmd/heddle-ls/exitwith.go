// exitwith.go: watch --exit-with-pid, so a watcher started for a shell or a
// tmux server ends with it, even when that process dies by SIGKILL and
// nobody is left to stop the watcher (its output may go to a file, which
// never reports a missing reader).

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/heddle-ls/heddle-ls/internal/procwatch"
)

// exitWithPID is the flag's value: a process id, 0 when the flag is unset.
type exitWithPID int

func (p *exitWithPID) String() string { return strconv.Itoa(int(*p)) }

func (p *exitWithPID) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return fmt.Errorf("not a process id: %q", s)
	}
	*p = exitWithPID(n)
	return nil
}

// until returns a context that ends with ctx or when the process exits:
// its pidfd becomes readable, an event; nothing polls. A process that is
// already gone is a usage error, reported before watch prints anything: it
// is most likely a wrong number, and a watcher whose process has gone has
// nothing to do. (A zombie still counts as present; its watch ends at
// once.) Where pidfds are unavailable (Linux before 5.3, some sandboxes)
// the watch runs without it and says so on stderr.
func (p exitWithPID) until(ctx context.Context, stderr io.Writer) (context.Context, error) {
	if p == 0 {
		return ctx, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	w, err := procwatch.Start(int(p), cancel)
	switch {
	case errors.Is(err, unix.ESRCH):
		cancel()
		return nil, fmt.Errorf("--exit-with-pid %d: no such process", p)
	case err != nil:
		fmt.Fprintf(stderr, "heddle-ls watch: not watching process %d (%v); the watch ends only with its reader or a signal\n", p, err)
		return ctx, nil
	}
	context.AfterFunc(ctx, w.Stop)
	return ctx, nil
}
