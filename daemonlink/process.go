package daemonlink

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

// Process identity: is the pid in the pidfile a live heddle daemon of ours?

var (
	errProcessDead      = errors.New("process is not running")
	errProcessOtherUser = errors.New("process belongs to another user")
	errProcessNotHeddle = errors.New("process is not heddle")
)

// processInfo is what identity checking learned about a pid.
type processInfo struct {
	Exe  string // resolved /proc/<pid>/exe, "" if unreadable
	Comm string // /proc/<pid>/comm
}

// checkProcess proves pid is alive, owned by our uid and looks like heddle.
//
// kill(pid, 0) sends nothing; it only asks the kernel whether the pid exists
// and whether we may signal it. Identity then accepts any executable whose
// base name (or command name) contains "heddle": the real binary, heddle-sim
// and wrappers. Upstream later demanded the caller's own executable, which a
// separate client binary can never satisfy.
func checkProcess(pid int) (processInfo, error) {
	if err := unix.Kill(pid, 0); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return processInfo{}, errProcessDead
		}
		if errors.Is(err, unix.EPERM) {
			return processInfo{}, errProcessOtherUser
		}
		return processInfo{}, fmt.Errorf("kill(%d, 0): %w", pid, err)
	}
	procDir := "/proc/" + strconv.Itoa(pid)
	fi, err := os.Stat(procDir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return processInfo{}, errProcessDead
		}
		return processInfo{}, fmt.Errorf("stat %s: %w", procDir, err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return processInfo{}, errProcessOtherUser
	}
	if isZombie(procDir) {
		// Exited, not yet reaped by its parent: kill(pid, 0) still
		// succeeds, but no daemon is there.
		return processInfo{}, errProcessDead
	}
	var info processInfo
	if exe, err := os.Readlink(procDir + "/exe"); err == nil {
		// After an upgrade the old binary reads "/path/heddle (deleted)";
		// it is still heddle.
		info.Exe = strings.TrimSuffix(exe, " (deleted)")
	}
	if comm, err := os.ReadFile(procDir + "/comm"); err == nil {
		info.Comm = strings.TrimSpace(string(comm))
	}
	if strings.Contains(filepath.Base(info.Exe), "heddle") || strings.Contains(info.Comm, "heddle") {
		return info, nil
	}
	name := info.Comm
	if info.Exe != "" {
		name = filepath.Base(info.Exe)
	}
	return info, fmt.Errorf("%w (it is %q)", errProcessNotHeddle, name)
}

// isZombie reports whether /proc/<pid>/stat shows state Z (zombie) or X
// (dead). The state follows the command name, which is in parentheses and
// may itself contain ") ".
func isZombie(procDir string) bool {
	stat, err := os.ReadFile(procDir + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 || i+2 >= len(stat) {
		return false
	}
	state := stat[i+2]
	return state == 'Z' || state == 'X'
}
