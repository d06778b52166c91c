// floor.go: the physical floors, done raw in the bench process — a probe
// with nothing but the syscalls and one grpc-go call, a warm gRPC query, and
// a raw inotify watch whose reader thread stamps each event as the kernel
// hands it over.

package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// rawProbe is the floor of a cold probe: pidfile read + kill(pid,0) + UDS
// connect + SO_PEERCRED + a new grpc client over that connection + the first
// Health.Check (SERVING or UNIMPLEMENTED both count as alive).
func rawProbe(ctx context.Context, heddleDir string) error {
	data, err := os.ReadFile(filepath.Join(heddleDir, "sockets", "grpc.pid"))
	if err != nil {
		return err
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	pid, err := strconv.Atoi(string(bytes.TrimSpace(line)))
	if err != nil {
		return fmt.Errorf("pidfile: %w", err)
	}
	if err := unix.Kill(pid, 0); err != nil {
		return fmt.Errorf("kill(%d,0): %w", pid, err)
	}
	uc, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: filepath.Join(heddleDir, "sockets", "grpc.sock"), Net: "unix"})
	if err != nil {
		return err
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		uc.Close()
		return err
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil || credErr != nil || int(cred.Uid) != os.Geteuid() {
		uc.Close()
		return fmt.Errorf("peer check failed: %v %v", err, credErr)
	}
	var once atomic.Pointer[net.UnixConn]
	once.Store(uc)
	cc, err := grpc.NewClient("passthrough:///heddle-uds",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithAuthority("heddle-uds"),
		grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) {
			if c := once.Swap(nil); c != nil {
				return c, nil
			}
			return nil, fmt.Errorf("raw probe dials once")
		}))
	if err != nil {
		uc.Close()
		return err
	}
	defer cc.Close()
	_, err = healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil && status.Code(err) != codes.Unimplemented {
		return err
	}
	return nil
}

// rawConn is a plain grpc-go client connection to a daemon's socket.
func rawConn(socket string) (*grpc.ClientConn, error) {
	return grpc.NewClient("unix://"+socket, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
}

// fsEvent is one inotify event as the reader thread received it.
type fsEvent struct {
	At   time.Time
	Name string
	Mask uint32
}

// rawWatch is one inotify instance on one directory, read by a goroutine
// locked to its own thread in a blocking read(2): the fastest a watcher can
// learn of a change.
type rawWatch struct {
	fd, wd  int
	stop    atomic.Bool
	done    chan struct{}
	mu      sync.Mutex
	events  []fsEvent
	changed chan struct{}
}

func newRawWatch(dir string) (*rawWatch, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("inotify_init1: %w", err)
	}
	wd, err := unix.InotifyAddWatch(fd, dir, unix.IN_CREATE|unix.IN_DELETE|unix.IN_MOVED_TO|unix.IN_MOVED_FROM)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("inotify_add_watch %s: %w", dir, err)
	}
	w := &rawWatch{fd: fd, wd: wd, done: make(chan struct{}), changed: make(chan struct{})}
	go w.read()
	return w, nil
}

func (w *rawWatch) read() {
	runtime.LockOSThread()
	defer close(w.done)
	defer unix.Close(w.fd)
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(w.fd, buf)
		at := time.Now()
		if err == unix.EINTR {
			continue
		}
		if err != nil || w.stop.Load() {
			return
		}
		var evs []fsEvent
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := ""
			if ev.Len > 0 {
				nb := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
				name = string(bytes.TrimRight(nb, "\x00"))
			}
			evs = append(evs, fsEvent{At: at, Name: name, Mask: ev.Mask})
			off += unix.SizeofInotifyEvent + int(ev.Len)
		}
		w.mu.Lock()
		w.events = append(w.events, evs...)
		close(w.changed)
		w.changed = make(chan struct{})
		w.mu.Unlock()
	}
}

func (w *rawWatch) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.events)
}

// find returns the first event at index ≥ from for name with any bit of mask.
func (w *rawWatch) find(from int, name string, mask uint32) (fsEvent, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ev := range w.events[min(from, len(w.events)):] {
		if ev.Name == name && ev.Mask&mask != 0 {
			return ev, true
		}
	}
	return fsEvent{}, false
}

// wait is find, waiting up to timeout.
func (w *rawWatch) wait(from int, name string, mask uint32, timeout time.Duration) (fsEvent, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		changed := w.changed
		w.mu.Unlock()
		if ev, ok := w.find(from, name, mask); ok {
			return ev, nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return fsEvent{}, fmt.Errorf("no inotify event for %s within %v", name, timeout)
		}
	}
}

// close removes the watch: the kernel's IN_IGNORED wakes the reader.
func (w *rawWatch) close() {
	w.stop.Store(true)
	_, _ = unix.InotifyRmWatch(w.fd, uint32(w.wd))
	<-w.done
}

// inotifyLatency measures n times how long a file creation takes to reach
// a watcher thread blocked in read(2): from just before creat(2) to the
// reader's wake-up.
func inotifyLatency(dir string, n int) (samples, error) {
	w, err := newRawWatch(dir)
	if err != nil {
		return nil, err
	}
	defer w.close()
	var out samples
	for i := range n {
		name := "f" + strconv.Itoa(i)
		from := w.count()
		t0 := time.Now()
		fd, err := unix.Open(filepath.Join(dir, name), unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return nil, err
		}
		unix.Close(fd)
		ev, err := w.wait(from, name, unix.IN_CREATE, waitTimeout)
		if err != nil {
			return nil, err
		}
		out = append(out, ev.At.Sub(t0))
		_ = os.Remove(filepath.Join(dir, name))
	}
	return out, nil
}
