// stdoutgone.go: noticing that whoever reads our stdout went away, as an
// event (poll for POLLERR/POLLHUP), so watch ends even while it has
// nothing to print.

package main

import (
	"context"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// untilStdoutGone returns a context that ends with ctx or when the reader
// of out (a pipe or socket) closes its end. For terminals and files it is
// ctx itself: they do not go away in that sense.
func untilStdoutGone(ctx context.Context, out io.Writer) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	f, ok := out.(*os.File)
	if !ok {
		return ctx, cancel
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
		return ctx, cancel
	}
	fd := int(f.Fd())
	go func() {
		// With no events requested, poll wakes only for POLLERR/POLLHUP:
		// for the write end of a pipe, that is the reader closing. The
		// goroutine blocks in the kernel and costs nothing meanwhile; it
		// ends with the process.
		fds := []unix.PollFd{{Fd: int32(fd)}}
		for {
			n, err := unix.Poll(fds, -1)
			if err == unix.EINTR {
				continue
			}
			if err != nil || (n > 0 && fds[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0) {
				cancel()
				return
			}
		}
	}()
	return ctx, cancel
}
