// Package simmount is heddle-sim's stand-in for heddled, the mount daemon:
// it writes and removes heddled's files for a live process, in heddle's
// order and formats, so that tests and the demo can show every state of
// the mount daemon without FUSE. It binds what heddled binds (protocol 2: a
// TCP port on 127.0.0.1; protocol 3: heddled.sock, 0600) but serves
// nothing: it records every connection it accepts, because heddle-ls must
// never make one.
package simmount

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/heddle-ls/heddle-ls/internal/procid"
	"github.com/heddle-ls/heddle-ls/internal/sim"
)

// The files, as heddle names them in <repo_root>/.heddle/state/.
const (
	EndpointFile = "heddled.endpoint.json"
	SocketFile   = "heddled.sock"
	MountsFile   = "mounts.json"
)

// Options configure a Daemon.
type Options struct {
	Root     string    // the checkout root; its .heddle/state holds the files
	Protocol int       // 2 (TCP, heddle ≤ 0.13.0) or 3 (Unix socket, later)
	Record   string    // if set, a file holding the number of connections accepted, rewritten on each
	Log      io.Writer // one line per connection accepted and per mount change
}

// Daemon is a running fake heddled.
type Daemon struct {
	opts     Options
	stateDir string
	ln       net.Listener
	accepted atomic.Int64
	recordMu sync.Mutex // orders the record file's rewrites
	acceptWG sync.WaitGroup

	mu     sync.Mutex // the mounts and the files that mirror them
	mounts []mount
}

type mount struct {
	ThreadID  string `json:"thread_id"`
	MountPath string `json:"mount_path"`
	PID       int    `json:"pid"`
	SinceMS   int64  `json:"since_ms"`
}

// AlreadyRunningError is returned when the endpoint names a live heddle.
type AlreadyRunningError struct{ PID int }

func (e *AlreadyRunningError) Error() string { return fmt.Sprintf("already running (pid %d)", e.PID) }

// Start binds the listener, then writes the endpoint, as heddled does. It
// refuses while the endpoint names a live heddle process; a stale endpoint
// and socket are swept.
func Start(opts Options) (*Daemon, error) {
	if opts.Protocol != 2 && opts.Protocol != 3 {
		return nil, fmt.Errorf("protocol %d: want 2 or 3", opts.Protocol)
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if _, err := sim.PrepareRepo(opts.Root); err != nil {
		return nil, err
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, err
	}
	d := &Daemon{opts: opts, stateDir: filepath.Join(root, ".heddle", "state")}
	if err := os.MkdirAll(d.stateDir, 0o755); err != nil {
		return nil, fmt.Errorf("create state dir: %w", err)
	}
	if pid := d.recordedPID(); pid != 0 && pid != os.Getpid() {
		if _, err := procid.Check(pid); err == nil {
			return nil, &AlreadyRunningError{PID: pid}
		}
	}
	ep := map[string]any{"version": opts.Protocol, "pid": os.Getpid()}
	if opts.Protocol == 3 {
		sock := d.path(SocketFile)
		if err := os.Remove(sock); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("sweep stale socket: %w", err)
		}
		ln, err := sim.ListenUnix(sock)
		if err != nil {
			return nil, err
		}
		ln.SetUnlinkOnClose(false) // Close removes it last, as heddled does
		d.ln = ln
		ep["host"], ep["port"], ep["socket_path"] = "unix", 0, sock
	} else {
		tcp, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("listen: %w", err)
		}
		d.ln = tcp
		ep["host"], ep["port"] = "127.0.0.1", tcp.Addr().(*net.TCPAddr).Port
	}
	data, _ := json.MarshalIndent(ep, "", "  ")
	if err := sim.WriteAtomic(d.path(EndpointFile), data); err != nil {
		d.ln.Close()
		return nil, err
	}
	if opts.Record != "" {
		if err := sim.WriteAtomic(opts.Record, []byte("0\n")); err != nil {
			d.ln.Close()
			return nil, err
		}
	}
	d.acceptWG.Add(1)
	go d.acceptLoop()
	return d, nil
}

func (d *Daemon) path(name string) string { return filepath.Join(d.stateDir, name) }

// StateDir is where the files are.
func (d *Daemon) StateDir() string { return d.stateDir }

// Accepted is the number of connections accepted so far.
func (d *Daemon) Accepted() int { return int(d.accepted.Load()) }

func (d *Daemon) recordedPID() int {
	data, err := os.ReadFile(d.path(EndpointFile))
	if err != nil {
		return 0
	}
	var ep struct{ PID int }
	if json.Unmarshal(data, &ep) != nil {
		return 0
	}
	return ep.PID
}

// acceptLoop records and closes every connection until the listener closes.
func (d *Daemon) acceptLoop() {
	defer d.acceptWG.Done()
	for {
		c, err := d.ln.Accept()
		if err != nil {
			return
		}
		d.record(c)
	}
}

func (d *Daemon) record(c net.Conn) {
	c.Close()
	d.count(c.RemoteAddr().String())
}

func (d *Daemon) count(from string) {
	d.recordMu.Lock()
	defer d.recordMu.Unlock()
	n := d.accepted.Add(1)
	fmt.Fprintf(d.opts.Log, "heddle-sim: connection accepted (%d) from %s\n", n, from)
	if d.opts.Record != "" {
		if err := sim.WriteAtomic(d.opts.Record, []byte(strconv.FormatInt(n, 10)+"\n")); err != nil {
			fmt.Fprintf(d.opts.Log, "heddle-sim: record connection: %v\n", err)
		}
	}
}

// Mount adds a mount for thread (a no-op if there is one) and rewrites
// mounts.json atomically, as heddled does on every mount; it returns the
// number of mounts.
func (d *Daemon) Mount(thread string) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !slices.ContainsFunc(d.mounts, func(m mount) bool { return m.ThreadID == thread }) {
		d.mounts = append(d.mounts, mount{ThreadID: thread,
			MountPath: filepath.Join(filepath.Dir(d.stateDir), "mnt", thread),
			PID:       os.Getpid(), SinceMS: time.Now().UnixMilli()})
	}
	return len(d.mounts), d.persist()
}

// Unmount removes thread's mount ("" = the newest) and rewrites mounts.json;
// it returns the number of mounts left.
func (d *Daemon) Unmount(thread string) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if thread == "" && len(d.mounts) > 0 {
		thread = d.mounts[len(d.mounts)-1].ThreadID
	}
	d.mounts = slices.DeleteFunc(d.mounts, func(m mount) bool { return m.ThreadID == thread })
	return len(d.mounts), d.persist()
}

func (d *Daemon) persist() error {
	data, _ := json.MarshalIndent(map[string]any{"mounts": append([]mount{}, d.mounts...)}, "", "  ")
	err := sim.WriteAtomic(d.path(MountsFile), data)
	fmt.Fprintf(d.opts.Log, "heddle-sim: mounts %d\n", len(d.mounts))
	return err
}

// Close is heddled's clean exit: connections still waiting in the backlog
// are recorded too, then mounts.json, the endpoint and the socket are
// removed, in that order.
func (d *Daemon) Close() error {
	d.drainBacklog()
	d.ln.Close()
	d.acceptWG.Wait()
	var errs []error
	for _, name := range []string{MountsFile, EndpointFile, SocketFile} {
		if err := os.Remove(d.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// drainBacklog accepts, records and closes every connection the kernel has
// completed but the accept loop has not taken yet, so that none goes
// unrecorded. The listener is non-blocking: accept4 says EAGAIN when the
// backlog is empty.
func (d *Daemon) drainBacklog() {
	sc, ok := d.ln.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		for {
			nfd, _, err := unix.Accept4(int(fd), unix.SOCK_CLOEXEC)
			if err != nil {
				return
			}
			unix.Close(nfd)
			d.count("the backlog")
		}
	})
}
