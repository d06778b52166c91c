// Package procid answers, from /proc alone, whether a pid some file names
// is a live heddle process of ours. Every local-daemon source needs it (the
// agent daemon's pidfile, the mount daemon's endpoint): a pid in a file is
// only a claim, which a crash, a reused pid or another user can falsify.
package procid

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

var (
	ErrDead      = errors.New("process is not running")
	ErrOtherUser = errors.New("process belongs to another user")
	ErrNotHeddle = errors.New("process is not heddle")
)

// Info is what Check learned about a pid.
type Info struct {
	Exe  string // resolved /proc/<pid>/exe, "" if unreadable
	Comm string // /proc/<pid>/comm
}

// Name is the executable path when known, else the command name.
func (i Info) Name() string {
	if i.Exe != "" {
		return i.Exe
	}
	return i.Comm
}

// Check proves pid is alive, owned by our uid and looks like heddle. A
// non-positive pid is refused before any syscall: kill(0, 0) and kill(-n, 0)
// address process groups, not a process.
//
// kill(pid, 0) sends nothing; it only asks the kernel whether the pid exists
// and whether we may signal it. Identity then accepts any executable whose
// base name (or command name) contains "heddle": the real binary, heddle-sim
// and wrappers. Upstream later demanded the caller's own executable, which a
// separate client binary can never satisfy.
func Check(pid int) (Info, error) {
	if pid <= 0 {
		return Info{}, fmt.Errorf("%w: pid %d", ErrDead, pid)
	}
	if err := unix.Kill(pid, 0); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return Info{}, ErrDead
		}
		if errors.Is(err, unix.EPERM) {
			return Info{}, ErrOtherUser
		}
		return Info{}, fmt.Errorf("kill(%d, 0): %w", pid, err)
	}
	procDir := "/proc/" + strconv.Itoa(pid)
	fi, err := os.Stat(procDir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Info{}, ErrDead
		}
		return Info{}, fmt.Errorf("stat %s: %w", procDir, err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return Info{}, ErrOtherUser
	}
	return identify(procDir)
}

// identify reads who the process at procDir is. It may exit, and be
// reaped, at any moment during the reads: a file that is gone then means
// the process is dead, never that it is "not heddle" (which would be
// reported as a reused pid, and stay so: its exit has been seen already).
func identify(procDir string) (Info, error) {
	if isZombie(procDir) {
		// Reaped, or exited and not yet reaped by its parent: kill(pid, 0)
		// may still have succeeded, but no daemon is there.
		return Info{}, ErrDead
	}
	var info Info
	if exe, err := os.Readlink(procDir + "/exe"); err == nil {
		// After an upgrade the old binary reads "/path/heddle (deleted)";
		// it is still heddle.
		info.Exe = strings.TrimSuffix(exe, " (deleted)")
	}
	comm, err := os.ReadFile(procDir + "/comm")
	switch {
	case err == nil:
		info.Comm = strings.TrimSpace(string(comm))
	case gone(err):
		return Info{}, ErrDead // reaped since the first look
	}
	if strings.Contains(filepath.Base(info.Exe), "heddle") || strings.Contains(info.Comm, "heddle") {
		return info, nil
	}
	name := info.Comm
	if info.Exe != "" {
		name = filepath.Base(info.Exe)
	}
	return info, fmt.Errorf("%w (it is %q)", ErrNotHeddle, name)
}

// gone reports whether a /proc read failed because the process is gone.
func gone(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ESRCH)
}

// isZombie reports whether /proc/<pid>/stat shows state Z (zombie) or X
// (dead), or is gone (reaped). The state follows the command name, which is
// in parentheses and may itself contain ") ".
func isZombie(procDir string) bool {
	stat, err := os.ReadFile(procDir + "/stat")
	if err != nil {
		return gone(err)
	}
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 || i+2 >= len(stat) {
		return false
	}
	state := stat[i+2]
	return state == 'Z' || state == 'X'
}
