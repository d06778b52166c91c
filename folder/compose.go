package folder

import (
	"time"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
	"github.com/heddle-ls/heddle-ls/mountd"
)

// composeLocked builds the folder's status from what its sources last
// published; false while a source the status needs has not spoken yet.
func (v *View) composeLocked() (protocol.StatusParams, bool) {
	if v.noRepo != nil {
		return v.wire(*v.noRepo), true
	}
	if !v.hasAgent || !v.hasMount || !v.hasCLI {
		return protocol.StatusParams{}, false
	}
	return v.compose(v.daemon, v.mount, v.cli), true
}

// compose is the folder's status from its sources' statuses (live, or
// read once for a folder that is not started).
func (v *View) compose(daemon daemonlink.Status, mount *mountd.Status, cli cliState) protocol.StatusParams {
	st := v.wire(daemon)
	st.Health = HealthOf(daemon.State, cli.answers())
	st.Queries = queriesOf(daemon, cli)
	st.Heddle = heddleOf(cli)
	spellVersion(&st, daemon, cli)
	st.Mount = wireMount(mount)
	if st.Mount != nil && st.Mount.State == mountd.StateStale && !st.Health.Worse(protocol.HealthWarning) {
		// Files under its mounts may be gone: worth a look, not an alarm.
		st.Health = protocol.HealthWarning
	}
	return st
}

// wireMount maps the mount daemon's status; nil stays nil (not running).
func wireMount(m *mountd.Status) *protocol.MountStatus {
	if m == nil {
		return nil
	}
	return &protocol.MountStatus{State: m.State, Reason: m.Reason, Message: m.Message,
		PID: m.PID, Protocol: m.Protocol, Mounts: m.Mounts}
}

// wire maps the agent daemon's status onto the contract for this folder,
// with the folder's own root and the second edition's verdicts.
func (v *View) wire(st daemonlink.Status) protocol.StatusParams {
	root := ""
	if st.State != daemonlink.StateNoRepo {
		root = v.repo.Root
	}
	return protocol.StatusParams{
		Folder:    v.uri,
		Root:      root,
		HeddleDir: st.HeddleDir,
		State:     string(st.State),
		Reason:    st.Reason,
		Message:   st.Message,
		Hint:      st.Hint,
		PID:       st.PID,
		Socket:    st.Socket,
		API:       st.API,
		Since:     formatSince(st.Since),
		Health:    HealthOf(st.State, false),
		Queries:   protocol.SourceNone,
	}
}

// HealthOf is the one severity table (docs/LSP.md, "health"): error for
// what is broken and needs the user; warning for no daemon serving (or not
// yet) when no heddle CLI can answer instead — the fix is routine; ok for
// ready, for a folder without heddle, and for a stopped daemon while the
// CLI answers.
func HealthOf(s daemonlink.State, cliAnswers bool) protocol.Health {
	switch s {
	case daemonlink.StateDenied, daemonlink.StateInvalidPidfile, daemonlink.StateUnreachable, daemonlink.StateUnhealthy:
		return protocol.HealthError
	case daemonlink.StateStale, daemonlink.StateStarting:
		return protocol.HealthWarning
	case daemonlink.StateStopped:
		if cliAnswers {
			return protocol.HealthOK
		}
		return protocol.HealthWarning
	default:
		return protocol.HealthOK
	}
}

// queriesOf says where heddle.operations would go now: a ready daemon that
// speaks heddle.v1, else the CLI where it may run, else nowhere.
func queriesOf(st daemonlink.Status, cli cliState) string {
	switch {
	case daemonAnswersOperations(st):
		return protocol.SourceDaemon
	case cli.answers():
		return protocol.SourceCLI
	}
	return protocol.SourceNone
}

// daemonAnswersOperations: ready and not known to lack heddle.v1.
func daemonAnswersOperations(st daemonlink.Status) bool {
	return st.State == daemonlink.StateReady && st.API != daemonlink.APIV1Alpha1
}

// formatSince renders a time as RFC 3339 in UTC; the zero time as "".
func formatSince(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
