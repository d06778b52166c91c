package sim

// The daemon's files, created in heddle's order: pidfile first, then the
// socket (so for a moment a live pid has no socket: clients call that
// "starting"), removed again only on a clean (SIGINT) exit.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// PidfileMarker is the second line of a heddle pidfile.
const PidfileMarker = "heddle-agent"

// SocketPath and PidfilePath are where heddle keeps its daemon's files.
func SocketPath(heddleDir string) string  { return filepath.Join(heddleDir, "sockets", "grpc.sock") }
func PidfilePath(heddleDir string) string { return filepath.Join(heddleDir, "sockets", "grpc.pid") }

// PrepareRepo returns repo's heddle dir, making repo a heddle repository
// (.heddle/objects) when it is not one. A worktree's .heddle/objectstore
// pointer ("objectstore: <abs path>") is followed: all worktrees share the
// main repository's heddle dir, and so its daemon.
func PrepareRepo(repo string) (string, error) {
	abs, err := filepath.Abs(repo)
	if err != nil {
		return "", fmt.Errorf("resolve repo %s: %w", repo, err)
	}
	dotHeddle := filepath.Join(abs, ".heddle")
	pointer, err := os.ReadFile(filepath.Join(dotHeddle, "objectstore"))
	switch {
	case err == nil:
		return followPointer(pointer)
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("read objectstore pointer: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dotHeddle, "objects"), 0o755); err != nil {
		return "", fmt.Errorf("create heddle repo in %s: %w", abs, err)
	}
	return dotHeddle, nil
}

func followPointer(data []byte) (string, error) {
	for line := range strings.Lines(string(data)) {
		key, value, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(key) != "objectstore" {
			continue
		}
		dir, err := filepath.EvalSymlinks(strings.TrimSpace(value))
		if err != nil {
			return "", fmt.Errorf("objectstore pointer: %w", err)
		}
		if st, err := os.Stat(filepath.Join(dir, "objects")); err != nil || !st.IsDir() {
			return "", fmt.Errorf("objectstore pointer %s: no objects/ directory", dir)
		}
		return dir, nil
	}
	return "", errors.New("objectstore pointer file has no 'objectstore:' line")
}

// Pidfile is the parsed content of a heddle pidfile.
type Pidfile struct {
	PID       int
	StartSecs int64
}

// maxPidfileBytes caps how much of a pidfile is read: it is untrusted input.
const maxPidfileBytes = 4096

// ErrForeignPidfile means the file is not a 3-line heddle pidfile.
var ErrForeignPidfile = errors.New("not a heddle pidfile")

// ReadPidfile parses path: three trimmed lines, pid (int32), the marker,
// start time (int64); extra lines are ignored.
func ReadPidfile(path string) (Pidfile, error) {
	f, err := os.Open(path)
	if err != nil {
		return Pidfile{}, fmt.Errorf("open pidfile: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPidfileBytes))
	if err != nil {
		return Pidfile{}, fmt.Errorf("read pidfile %s: %w", path, err)
	}
	return ParsePidfile(data)
}

// ParsePidfile parses pidfile content; see ReadPidfile.
func ParsePidfile(data []byte) (Pidfile, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	var lines []string
	for sc.Scan() && len(lines) < 3 {
		lines = append(lines, strings.TrimSpace(sc.Text()))
	}
	if len(lines) < 3 || lines[1] != PidfileMarker {
		return Pidfile{}, ErrForeignPidfile
	}
	pid, err := strconv.ParseInt(lines[0], 10, 32)
	if err != nil || pid <= 0 {
		return Pidfile{}, fmt.Errorf("%w: bad pid %q", ErrForeignPidfile, lines[0])
	}
	start, err := strconv.ParseInt(lines[2], 10, 64)
	if err != nil {
		return Pidfile{}, fmt.Errorf("%w: bad start time %q", ErrForeignPidfile, lines[2])
	}
	return Pidfile{PID: int(pid), StartSecs: start}, nil
}

// FormatPidfile is the pidfile content heddle writes.
func FormatPidfile(pid int, start time.Time) []byte {
	return fmt.Appendf(nil, "%d\n%s\n%d\n", pid, PidfileMarker, start.Unix())
}

// AlreadyRunningError is returned when a live heddle process owns the pidfile.
type AlreadyRunningError struct{ PID int }

func (e *AlreadyRunningError) Error() string { return fmt.Sprintf("already running (pid %d)", e.PID) }

// LooksLikeHeddle reports whether pid is alive and its executable's base
// name or its command name contains "heddle" (heddle v0.2.0's identity
// check, widened to the command name: see daemonlink/process.go).
func LooksLikeHeddle(pid int) bool {
	if unix.Kill(pid, 0) != nil {
		return false
	}
	if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil &&
		strings.Contains(filepath.Base(exe), "heddle") {
		return true
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return err == nil && strings.Contains(string(comm), "heddle")
}

// AcquirePidfile is heddle's PidGuard start: refuse when the pidfile names a
// live heddle process, otherwise sweep a stale pidfile and socket, then write
// our pidfile (atomically, so readers never see half of it).
func AcquirePidfile(pidfile, socket string, pid int, start time.Time) error {
	if old, err := ReadPidfile(pidfile); err == nil && old.PID != pid && LooksLikeHeddle(old.PID) {
		return &AlreadyRunningError{PID: old.PID}
	}
	for _, stale := range []string{pidfile, socket} {
		if err := os.Remove(stale); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("sweep stale %s: %w", stale, err)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(pidfile), ".grpc.pid.*")
	if err != nil {
		return fmt.Errorf("write pidfile: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(FormatPidfile(pid, start)); err != nil {
		tmp.Close()
		return fmt.Errorf("write pidfile %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write pidfile %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), pidfile); err != nil {
		return fmt.Errorf("install pidfile: %w", err)
	}
	return nil
}

// MakeSocketsDir creates <heddle_dir>/sockets as 0700 when it is missing.
func MakeSocketsDir(heddleDir string) error {
	dir := filepath.Join(heddleDir, "sockets")
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create sockets dir: %w", err)
	}
	return nil
}

// ListenUnix binds and listens on path. The socket is born 0600 (umask 0177
// around bind, so no other user can ever connect, not even for an instant),
// then chmod'ed 0600 as heddle does. Closing the listener unlinks the file.
// The umask is process-wide: call this before other goroutines create files.
func ListenUnix(path string) (*net.UnixListener, error) {
	old := syscall.Umask(0o177)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("chmod socket %s: %w", path, err)
	}
	return ln, nil
}

// RemoveFiles deletes the daemon's files on a clean exit; missing is fine.
func RemoveFiles(paths ...string) error {
	var errs []error
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
