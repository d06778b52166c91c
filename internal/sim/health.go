package sim

import (
	"slices"

	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
)

// Signal-health window bounds (as heddle's daemon has them): 0 means the default, and no
// request may look further back than the cap.
const (
	DefaultHealthWindow uint32 = 200
	MaxHealthWindow     uint32 = 5000
)

// SignalHealth computes the report GetRepoSignalHealth returns: the window
// is the most recent min(window, len(ops)) operations (each operation stands
// for one state on HEAD's first-parent chain), one entry per signal module
// sorted by module id, fire_rate = fired/visited, warn when above 0.5.
func SignalHealth(ops []*heddlev1.OperationHit, window uint32) *heddlev1.RepoSignalHealthReport {
	if window == 0 {
		window = DefaultHealthWindow
	}
	window = min(window, MaxHealthWindow)
	visited := ops[len(ops)-min(int(window), len(ops)):]

	modules := slices.Sorted(slices.Values(SignalKinds))
	report := &heddlev1.RepoSignalHealthReport{WindowStates: uint32(len(visited))}
	for _, module := range modules {
		fired := 0
		for _, op := range visited {
			if slices.Contains(op.GetSignalKinds(), module) {
				fired++
			}
		}
		var rate float32
		if len(visited) > 0 {
			rate = float32(fired) / float32(len(visited))
		}
		report.Entries = append(report.Entries, &heddlev1.SignalHealthEntry{
			ModuleId: module, FireRate: rate, Warn: rate > 0.5,
		})
	}
	return report
}
