// Package procwatch reports a process's exit without polling: a pidfd
// (Linux 5.3+) becomes readable when its process exits, and Go's runtime
// poller waits on it like on a socket. It works for any process, not only
// children: daemonlink watches daemons with it, the language server its
// editor.
package procwatch

import (
	"fmt"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Watch is one process's exit watch.
type Watch struct {
	f       *os.File
	stopped atomic.Bool
}

// Start calls exited once, from its own goroutine, when pid exits. It
// returns an error where pidfds are unavailable (or the pid is gone).
func Start(pid int, exited func()) (*Watch, error) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("pidfd_open(%d): %w", pid, err)
	}
	// A non-blocking fd handed to os.NewFile is registered with the poller.
	f := os.NewFile(uintptr(fd), fmt.Sprintf("pidfd:%d", pid))
	raw, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("pidfd %d: %w", pid, err)
	}
	w := &Watch{f: f}
	go func() {
		err := raw.Read(func(fd uintptr) bool {
			// Readable means exited; anything else means keep waiting.
			pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			n, err := unix.Poll(pfd, 0)
			return err == nil && n > 0
		})
		if err == nil && !w.stopped.Load() {
			exited()
		}
	}()
	return w, nil
}

// Stop ends the watch: exited is not called after Stop returns, unless a
// call was already under way (the process exited as Stop was called).
func (w *Watch) Stop() {
	if w == nil {
		return
	}
	w.stopped.Store(true)
	w.f.Close()
}
