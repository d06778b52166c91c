package mountd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/internal/procid"
)

// Caps on what is read: both files are untrusted input. heddle's endpoint
// is about 150 bytes; its registry about 200 bytes per mount.
const (
	maxEndpointBytes = 16 << 10
	maxMountsBytes   = 1 << 20
)

// Read is the mount daemon's status now, for one-shot callers (the CLI's
// status and explain verbs); nil when there is no endpoint file. It only
// reads files and /proc.
func Read(repo heddle.Repo) *Status { return look(StateDir(repo)).status }

// reading is one look at the files: the status, and the pid that was alive
// when it was checked (0 if none), which the tracker watches for its exit.
type reading struct {
	status  *Status
	livePID int
}

// endpoint is heddle's EndpointState, every field optional here so that a
// missing one is told apart from a wrong type.
type endpoint struct {
	Version    *int64  `json:"version"`
	Host       *string `json:"host"`
	Port       *int64  `json:"port"`
	PID        *int64  `json:"pid"`
	SocketPath *string `json:"socket_path"`
}

// look reads the files. The endpoint is read first and the pid and socket
// checked after it, so a daemon that removes its files and exits in between
// would look stale, or its socket gone, for an instant: heddle removes the
// endpoint first, so when the endpoint is no longer the file that was read,
// the look is done again.
func look(stateDir string) reading {
	if stateDir == "" {
		return reading{}
	}
	path := filepath.Join(stateDir, EndpointFile)
	for tries := 1; ; tries++ {
		before, _ := os.Lstat(path)
		r := lookOnce(stateDir, path)
		after, _ := os.Lstat(path)
		if sameFile(before, after) || tries == 3 {
			return r
		}
	}
}

// sameFile reports whether two lstats (nil: missing) show one unchanged file.
func sameFile(a, b fs.FileInfo) bool {
	if a == nil || b == nil {
		return a == b
	}
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

func lookOnce(stateDir, path string) reading {
	data, err := readUntrusted(path, maxEndpointBytes)
	if err != nil {
		return reading{status: endpointStatus(path, err)}
	}
	if data == nil {
		return reading{}
	}
	var ep endpoint
	if err := json.Unmarshal(data, &ep); err != nil || !isObject(data) {
		return reading{status: &Status{State: StateUnknownProtocol, Reason: ReasonEndpointUnparseable,
			Message: fmt.Sprintf("%s is not a mount daemon endpoint (not its JSON shape)", path)}}
	}
	if ep.Version == nil {
		return reading{status: &Status{State: StateUnknownProtocol, Reason: ReasonEndpointInvalid,
			Message: fmt.Sprintf("%s has no protocol version", path)}}
	}
	s := &Status{Protocol: clampInt(*ep.Version)}
	if *ep.Version != 2 && *ep.Version != 3 {
		s.State, s.Reason = StateUnknownProtocol, ReasonProtocolUnknown
		s.Message = fmt.Sprintf("the mount daemon's endpoint speaks protocol %d, which heddle-ls does not know (it knows 2 and 3)", *ep.Version)
		return reading{status: s}
	}
	if ep.PID != nil && *ep.PID > 0 && *ep.PID <= math.MaxInt32 {
		s.PID = int(*ep.PID)
	}
	if problem := ep.invalid(); problem != "" {
		s.State, s.Reason = StateUnknownProtocol, ReasonEndpointInvalid
		s.Message = fmt.Sprintf("%s (protocol %d) %s", path, s.Protocol, problem)
		return reading{status: s}
	}
	var note string
	s.Mounts, note = countMounts(stateDir, s.PID)
	var live int
	s.State, s.Reason, s.Message, live = checkDaemon(s, ep)
	if note != "" {
		s.Message += "; " + note
	}
	return reading{status: s, livePID: live}
}

// invalid names what a protocol-2 or -3 endpoint lacks, or "".
func (ep endpoint) invalid() string {
	switch {
	case ep.PID == nil:
		return "has no pid"
	case *ep.PID <= 0 || *ep.PID > math.MaxInt32:
		return fmt.Sprintf("has an impossible pid %d", *ep.PID)
	case ep.Host == nil || ep.Port == nil:
		return "has no host or port"
	case *ep.Port < 0 || *ep.Port > math.MaxUint16:
		return fmt.Sprintf("has an impossible port %d", *ep.Port)
	case *ep.Version == 3 && (ep.SocketPath == nil || *ep.SocketPath == ""):
		// heddle's own client treats this as not running (heddle#901).
		return "names no socket"
	case *ep.Version == 3 && !filepath.IsAbs(*ep.SocketPath):
		return fmt.Sprintf("names a relative socket path %q", *ep.SocketPath)
	}
	return ""
}

// checkDaemon checks the endpoint's pid and, for protocol 3, its socket
// file, and returns the state, reason, message and the pid if it lives.
func checkDaemon(s *Status, ep endpoint) (state, reason, message string, livePID int) {
	pid := s.PID
	mounts := plural(s.Mounts, "mount")
	info, err := procid.Check(pid)
	switch {
	case errors.Is(err, procid.ErrDead):
		msg := fmt.Sprintf("the mount daemon (pid %d) is gone and left its endpoint behind", pid)
		if s.Mounts > 0 {
			msg += fmt.Sprintf("; files under its %s may be gone", mounts)
		}
		return StateStale, ReasonPidDead, msg, 0
	case errors.Is(err, procid.ErrOtherUser):
		return StateDenied, ReasonPidNotOurs, fmt.Sprintf("the mount daemon's endpoint names pid %d, another user's process", pid), pid
	case errors.Is(err, procid.ErrNotHeddle):
		return StateStale, ReasonPidNotHeddle, fmt.Sprintf("pid %d is %q, not heddle: the mount daemon's endpoint is stale", pid, filepath.Base(info.Name())), pid
	case err != nil:
		return StateStale, ReasonProcessUnreadable, fmt.Sprintf("cannot check the mount daemon's pid %d: %v", pid, err), 0
	}
	if *ep.Version == 3 {
		sock := filepath.Clean(*ep.SocketPath)
		fi, err := os.Lstat(sock)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return StateStale, ReasonSocketMissing, fmt.Sprintf("the mount daemon (pid %d) runs, but its socket %s is gone", pid, sock), pid
		case err != nil:
			return StateStale, ReasonSocketMissing, fmt.Sprintf("the mount daemon's socket %s cannot be checked: %v", sock, err), pid
		case fi.Mode()&fs.ModeSymlink != 0:
			return StateDenied, ReasonSocketSymlink, fmt.Sprintf("the mount daemon's socket %s is a symlink; it is not trusted", sock), pid
		case fi.Mode()&fs.ModeSocket == 0:
			return StateDenied, ReasonSocketNotSocket, fmt.Sprintf("%s is not a socket; it is not trusted", sock), pid
		case !ours(fi):
			return StateDenied, ReasonSocketNotOurs, fmt.Sprintf("the mount daemon's socket %s belongs to uid %d, not to you", sock, owner(fi)), pid
		}
	}
	return StateRunning, ReasonEndpointLive, fmt.Sprintf("mount daemon running (pid %d, protocol %d, %s)", pid, s.Protocol, mounts), pid
}

// Why a file was not read.
var (
	errSymlink    = errors.New("is a symlink")
	errNotRegular = errors.New("is not a regular file")
	errNotOurs    = errors.New("belongs to another user")
	errTooLarge   = errors.New("is too large")
)

// readUntrusted reads at most max bytes of a regular file of ours, never
// following a symlink and never blocking on a FIFO. A missing file gives
// (nil, nil).
func readUntrusted(path string, max int64) ([]byte, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return nil, nil
	case err != nil:
		return nil, err
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil, errSymlink
	case !fi.Mode().IsRegular():
		return nil, errNotRegular
	case !ours(fi):
		return nil, fmt.Errorf("%w (uid %d)", errNotOurs, owner(fi))
	}
	data, err := readCapped(path, max)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // removed since the lstat
	}
	return data, err
}

// endpointStatus says why the endpoint file could not be used.
func endpointStatus(path string, err error) *Status {
	st := func(state, reason, format string, args ...any) *Status {
		return &Status{State: state, Reason: reason, Message: fmt.Sprintf(format, args...)}
	}
	switch {
	case errors.Is(err, errSymlink):
		return st(StateDenied, ReasonEndpointSymlink, "the mount daemon's endpoint %s is a symlink; it is not trusted", path)
	case errors.Is(err, errNotRegular):
		return st(StateDenied, ReasonEndpointNotRegular, "the mount daemon's endpoint %s is not a regular file; it is not trusted", path)
	case errors.Is(err, errNotOurs):
		return st(StateDenied, ReasonEndpointNotOurs, "the mount daemon's endpoint %s %v, not to you", path, err)
	case errors.Is(err, errTooLarge):
		return st(StateUnknownProtocol, ReasonEndpointTooLarge, "%s is larger than %d KiB: not a mount daemon endpoint", path, maxEndpointBytes>>10)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return st(StateUnknownProtocol, ReasonEndpointUnreadable, "cannot read %s: %v", path, err)
}

// readCapped opens without following a symlink (ELOOP) or waiting for a
// FIFO's writer (O_NONBLOCK), checks the opened file is regular, and reads
// at most max bytes.
func readCapped(path string, max int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, errSymlink // swapped in since the lstat
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, errNotRegular
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, errTooLarge
	}
	return data, nil
}

// countMounts counts mounts.json's entries that belong to the daemon with
// pid: each entry names its daemon's pid, and a daemon that died (SIGKILL,
// a crash) leaves its file behind for the next daemon, which rewrites it
// only on its first mount. Entries naming another pid are an earlier
// daemon's dead mounts: not counted, and said in the note. An entry without
// a numeric pid is counted. The note also says when the file is there but cannot be
// read or parsed (then the count is 0).
func countMounts(stateDir string, pid int) (int, string) {
	path := filepath.Join(stateDir, MountsFile)
	data, err := readUntrusted(path, maxMountsBytes)
	if err != nil {
		return 0, fmt.Sprintf("%s ignored: it %v", MountsFile, err)
	}
	if data == nil {
		return 0, "" // heddle writes it on the first mount and removes it on exit
	}
	var reg struct {
		Mounts []struct {
			PID json.RawMessage `json:"pid"` // a number; anything else is not judged
		} `json:"mounts"`
	}
	if err := json.Unmarshal(data, &reg); err != nil || !isObject(data) {
		return 0, MountsFile + " ignored: not its JSON shape"
	}
	n, earlier := 0, 0
	for _, m := range reg.Mounts {
		if owner, err := strconv.ParseInt(string(m.PID), 10, 64); err != nil || owner == int64(pid) {
			n++
		} else {
			earlier++
		}
	}
	if earlier > 0 {
		return n, fmt.Sprintf("%s also lists %s of an earlier mount daemon, not counted", MountsFile, plural(earlier, "mount"))
	}
	return n, ""
}

func isObject(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && data[0] == '{'
}

func ours(fi fs.FileInfo) bool { return owner(fi) == os.Geteuid() }

func owner(fi fs.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}

func clampInt(v int64) int {
	return int(max(math.MinInt32, min(v, math.MaxInt32)))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
