package daemonlink

import "github.com/heddle-ls/heddle-ls/internal/procid"

// Process identity (is the pid in the pidfile a live heddle daemon of
// ours?) is shared with the mount daemon's source: see internal/procid.

var (
	errProcessDead      = procid.ErrDead
	errProcessOtherUser = procid.ErrOtherUser
	errProcessNotHeddle = procid.ErrNotHeddle
)

type processInfo = procid.Info

func checkProcess(pid int) (processInfo, error) { return procid.Check(pid) }
