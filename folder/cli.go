package folder

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/heddlecli"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// The heddle CLI as a folder's fallback source: found once per binary (the
// Runner caches the version), judged safe or not for this folder
// (heddle.CLISafe), and the version it reports spells the folder's hints.

// ReasonNoAgentDaemon is the reason of a stopped folder whose heddle has no
// agent daemon at all (v0.11.0 and later): nothing to start, nothing wrong.
const ReasonNoAgentDaemon = "no-agent-daemon"

// cliState is what the folder knows of the heddle CLI.
type cliState struct {
	info   heddlecli.Info
	found  bool  // info holds a CLI that runs
	err    error // why none was found (disabled, not on PATH, a bad setting)
	unsafe error // why it may not run for this folder (heddle.CLISafe); nil when it may
}

// answers reports whether the CLI can answer this folder's queries.
func (c cliState) answers() bool { return c.found && c.unsafe == nil }

// lookCLI finds the CLI (running `heddle --version` once per binary) and
// judges it for the folder. It blocks for at most the query timeout.
func (v *View) lookCLI(ctx context.Context, repo heddle.Repo) cliState {
	if v.src == nil {
		return cliState{err: errors.New("no heddle CLI source")}
	}
	return judgeCLI(v.src.cliInfo(ctx), v.path, repo)
}

// lookCLI is lookCLI for a folder at path, with runner r (nil: none).
func lookCLI(ctx context.Context, r *heddlecli.Runner, path string, repo heddle.Repo) cliState {
	if r == nil {
		return cliState{err: errors.New("no heddle CLI source")}
	}
	info, err := r.Info(ctx)
	return judgeCLI(cliLook{info: info, err: err}, path, repo)
}

// judgeCLI is the folder's view of the CLI found: whether it may run there.
func judgeCLI(l cliLook, path string, repo heddle.Repo) cliState {
	if l.err != nil {
		return cliState{err: l.err}
	}
	return cliState{info: l.info, found: true, unsafe: heddle.CLISafe(path, repo)}
}

// onCLI records a look at the CLI and publishes.
func (v *View) onCLI(c cliState) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.cli, v.hasCLI = c, true
	v.publishLocked()
}

// RecheckCLI looks at the CLI again (after a settings change or a refresh)
// and publishes what changed. It blocks for at most the query timeout.
func (v *View) RecheckCLI(ctx context.Context) {
	v.mu.Lock()
	repo, started, noRepo := v.repo, v.started, v.noRepo
	v.mu.Unlock()
	if !started || noRepo != nil {
		return
	}
	v.recordCLI(ctx, v.lookCLI(ctx, repo))
}

// recordCLI records a look at the CLI unless ctx ended during it: a look
// cut short says nothing about the CLI, and the folder keeps what it knew.
func (v *View) recordCLI(ctx context.Context, c cliState) {
	if ctx.Err() == nil {
		v.onCLI(c)
	}
}

// heddleOf is the status's heddle field: the CLI found, or nil.
func heddleOf(c cliState) *protocol.HeddleCLI {
	if !c.found {
		return nil
	}
	return &protocol.HeddleCLI{Path: c.info.Path, Version: c.info.Version}
}

// spellVersion makes the agent daemon's status true for the heddle release
// the folder has: a hint never names a command that release lacks, and a
// heddle without an agent daemon is not told to start one.
func spellVersion(st *protocol.StatusParams, d daemonlink.Status, c cliState) {
	stopped := d.State == daemonlink.StateStopped && d.Reason == daemonlink.ReasonNoPidfile
	switch {
	case !c.found:
		// Unknown release: the CLI is the fallback every release has.
		if stopped {
			st.Message = "no agent daemon is running, and no heddle CLI was found"
			st.Hint = "install heddle or set heddlePath (heddle ≤ v0.10.3 can also start its agent daemon: heddle agent serve)"
			if problem := cliProblem(c.err); problem != "" {
				st.Hint = problem + " (heddle ≤ v0.10.3 can also start its agent daemon: heddle agent serve)"
			}
		}
	case !c.info.HasAgentDaemon():
		if stopped {
			st.Reason = ReasonNoAgentDaemon
			st.Message = fmt.Sprintf("heddle %s has no agent daemon; queries run through the heddle CLI", c.info.Version)
			st.Hint = ""
			if c.unsafe != nil {
				st.Message = fmt.Sprintf("heddle %s has no agent daemon, and the heddle CLI may not run here", c.info.Version)
				st.Hint = unsafeHint(c.unsafe)
			}
		} else if d.Fix == daemonlink.FixStart || d.Fix == daemonlink.FixRestart {
			st.Hint = fmt.Sprintf("heddle %s has no agent daemon: the files in %s are left from an older heddle and can be removed",
				c.info.Version, filepath.Join(d.HeddleDir, "sockets"))
		}
	default:
		start := c.info.AgentStartCommand()
		switch d.Fix {
		case daemonlink.FixStart:
			st.Hint = "start the daemon in the repository: " + start
		case daemonlink.FixRestart:
			st.Hint = "restart the daemon: heddle agent stop, then " + start
		}
		if stopped && c.answers() {
			st.Message = "no agent daemon is running; queries run through the heddle CLI"
		}
	}
	if d.State == daemonlink.StateReady && d.API == daemonlink.APIV1Alpha1 && c.answers() {
		st.Message = fmt.Sprintf("daemon ready (pid %d, heddle.api.v1alpha1): signal health from the daemon, operations and hooks through the heddle CLI", d.PID)
		st.Hint = ""
	}
}

// cliProblem says what is wrong with the CLI the user named (a bad
// heddlePath, a binary that does not run), or "" when there simply is none
// on PATH: the hint then says all there is to say.
func cliProblem(err error) string {
	var ce *heddlecli.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ce) && errors.Is(ce.Err, exec.ErrNotFound):
		return "" // nothing named heddle on PATH
	case errors.As(err, &ce) && ce.Kind == heddlecli.KindDisabled:
		return "the heddle CLI is off (heddlePath)"
	case errors.As(err, &ce):
		if ce.Hint != "" {
			return ce.Message + "; " + ce.Hint
		}
		return ce.Message
	}
	return err.Error()
}

// unsafeHint tells the user why the CLI may not run for a folder.
func unsafeHint(err error) string {
	var ue *heddle.UnsafeError
	if !errors.As(err, &ue) {
		return err.Error()
	}
	switch ue.Reason {
	case heddle.UnsafeCloneIntent:
		return "an interrupted clone is pending (" + ue.Path + "): finish or abandon it with heddle first; heddle-ls will not run heddle here meanwhile"
	case heddle.UnsafeNestedGit:
		return ue.Detail + "; open the folder of the heddle repository itself"
	default:
		return ue.Detail
	}
}
