package folder

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/heddlecli"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
	"github.com/heddle-ls/heddle-ls/mountd"
)

// The one severity table: every state, with and without a CLI to answer.
func TestHealthOf(t *testing.T) {
	want := map[daemonlink.State][2]protocol.Health{ // [no CLI, CLI answers]
		daemonlink.StateNoRepo:         {protocol.HealthOK, protocol.HealthOK},
		daemonlink.StateStopped:        {protocol.HealthWarning, protocol.HealthOK},
		daemonlink.StateInvalidPidfile: {protocol.HealthError, protocol.HealthError},
		daemonlink.StateStale:          {protocol.HealthWarning, protocol.HealthWarning},
		daemonlink.StateStarting:       {protocol.HealthWarning, protocol.HealthWarning},
		daemonlink.StateUnreachable:    {protocol.HealthError, protocol.HealthError},
		daemonlink.StateDenied:         {protocol.HealthError, protocol.HealthError},
		daemonlink.StateUnhealthy:      {protocol.HealthError, protocol.HealthError},
		daemonlink.StateReady:          {protocol.HealthOK, protocol.HealthOK},
	}
	for _, s := range daemonlink.AllStates {
		w, ok := want[s]
		if !ok {
			t.Errorf("state %s has no row in this test", s)
			continue
		}
		if got := HealthOf(s, false); got != w[0] {
			t.Errorf("HealthOf(%s, no CLI) = %s, want %s", s, got, w[0])
		}
		if got := HealthOf(s, true); got != w[1] {
			t.Errorf("HealthOf(%s, CLI) = %s, want %s", s, got, w[1])
		}
	}
}

func cliOf(version string) cliState {
	return cliState{info: heddlecli.Info{Path: "/usr/bin/heddle", Version: version}, found: true}
}

var (
	stopped = daemonlink.Status{HeddleDir: "/r/.heddle", State: daemonlink.StateStopped, Reason: daemonlink.ReasonNoPidfile,
		Message: "no daemon is running", Hint: "start …", Fix: daemonlink.FixStart}
	stale = daemonlink.Status{HeddleDir: "/r/.heddle", State: daemonlink.StateStale, Reason: daemonlink.ReasonPidDead,
		Message: "gone", Hint: "start …", Fix: daemonlink.FixStart, PID: 9}
	v1alpha1 = daemonlink.V1Alpha1(daemonlink.Status{HeddleDir: "/r/.heddle", State: daemonlink.StateReady,
		Reason: daemonlink.ReasonHealthUnimplemented, PID: 9})
)

func compose(d daemonlink.Status, m *mountd.Status, c cliState) protocol.StatusParams {
	v := &View{uri: "file:///r", repo: heddle.Repo{Root: "/r", HeddleDir: "/r/.heddle"}}
	return v.compose(d, m, c)
}

// Hints and reasons are true for the release found.
func TestCompose_VersionTrue(t *testing.T) {
	tests := []struct {
		name                    string
		d                       daemonlink.Status
		cli                     cliState
		reason, hintHas, msgHas string
		hintLacks               string
		health                  protocol.Health
		queries                 string
	}{
		{"0.10.1 stopped: --foreground, CLI answers", stopped, cliOf("0.10.1"),
			daemonlink.ReasonNoPidfile, "heddle agent serve --foreground", "queries run through the heddle CLI", "", protocol.HealthOK, protocol.SourceCLI},
		{"0.10.3 stopped: no --foreground", stopped, cliOf("0.10.3"),
			daemonlink.ReasonNoPidfile, "heddle agent serve", "", "--foreground", protocol.HealthOK, protocol.SourceCLI},
		{"0.13.0 stopped: no agent daemon, no hint", stopped, cliOf("0.13.0"),
			ReasonNoAgentDaemon, "", "heddle 0.13.0 has no agent daemon", "agent serve", protocol.HealthOK, protocol.SourceCLI},
		{"0.13.0 stale: leftover files", stale, cliOf("0.13.0"),
			daemonlink.ReasonPidDead, "can be removed", "", "agent serve", protocol.HealthWarning, protocol.SourceCLI},
		{"no CLI stopped: install or heddlePath", stopped, cliState{err: &heddlecli.Error{Kind: heddlecli.KindNotFound, Message: "no heddle CLI on PATH", Err: exec.ErrNotFound}},
			daemonlink.ReasonNoPidfile, "install heddle or set heddlePath", "no heddle CLI was found", "", protocol.HealthWarning, protocol.SourceNone},
		{"a heddlePath that does not run: says so", stopped, cliState{err: &heddlecli.Error{Kind: heddlecli.KindNotFound,
			Message: "heddlePath /opt/h: no such file", Err: errors.New("enoent")}},
			daemonlink.ReasonNoPidfile, "heddlePath /opt/h: no such file", "no heddle CLI was found", "", protocol.HealthWarning, protocol.SourceNone},
		{"0.13.0 but unsafe: none, and why", stopped, cliState{info: heddlecli.Info{Path: "/h", Version: "0.13.0"}, found: true,
			unsafe: &heddle.UnsafeError{Reason: heddle.UnsafeCloneIntent, Path: "/r/.heddle/clone-intent.toml", Detail: "x"}},
			ReasonNoAgentDaemon, "interrupted clone", "may not run here", "", protocol.HealthWarning, protocol.SourceNone},
		{"0.10.3 ready v1alpha1: operations via CLI", v1alpha1, cliOf("0.10.3"),
			daemonlink.ReasonHealthUnimplemented, "", "operations and hooks through the heddle CLI", "", protocol.HealthOK, protocol.SourceCLI},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := compose(tt.d, nil, tt.cli)
			if st.Reason != tt.reason || st.Health != tt.health || st.Queries != tt.queries {
				t.Errorf("reason %s health %s queries %s; want %s %s %s", st.Reason, st.Health, st.Queries, tt.reason, tt.health, tt.queries)
			}
			if tt.hintHas == "" && tt.reason == ReasonNoAgentDaemon && tt.cli.unsafe == nil && st.Hint != "" {
				t.Errorf("hint %q, want none", st.Hint)
			}
			if !strings.Contains(st.Hint, tt.hintHas) || !strings.Contains(st.Message, tt.msgHas) {
				t.Errorf("message %q hint %q; want %q in the hint, %q in the message", st.Message, st.Hint, tt.hintHas, tt.msgHas)
			}
			if tt.hintLacks != "" && strings.Contains(st.Message+st.Hint, tt.hintLacks) {
				t.Errorf("message %q hint %q name %q, which that release lacks", st.Message, st.Hint, tt.hintLacks)
			}
			if tt.cli.found && (st.Heddle == nil || st.Heddle.Version != tt.cli.info.Version) {
				t.Errorf("heddle = %+v", st.Heddle)
			}
		})
	}
}

// A stale mount daemon warns; the other mount states are shown and left alone.
func TestCompose_MountHealth(t *testing.T) {
	ready := daemonlink.Status{State: daemonlink.StateReady, Reason: daemonlink.ReasonHealthUnimplemented, API: daemonlink.APIHeddleV1}
	for state, want := range map[string]protocol.Health{
		mountd.StateRunning: protocol.HealthOK, mountd.StateStale: protocol.HealthWarning,
		mountd.StateDenied: protocol.HealthOK, mountd.StateUnknownProtocol: protocol.HealthOK,
	} {
		st := compose(ready, &mountd.Status{State: state, Reason: "r", Mounts: 2}, cliState{})
		if st.Health != want || st.Mount == nil || st.Mount.Mounts != 2 {
			t.Errorf("mount %s: health %s, mount %+v; want %s", state, st.Health, st.Mount, want)
		}
	}
	// A stale mount daemon never lowers an error.
	broken := daemonlink.Status{State: daemonlink.StateDenied, Reason: daemonlink.ReasonPeerOtherUser}
	if st := compose(broken, &mountd.Status{State: mountd.StateStale}, cliState{}); st.Health != protocol.HealthError {
		t.Errorf("denied + stale mount = %s, want error", st.Health)
	}
	if st := compose(ready, nil, cliState{}); st.Mount != nil {
		t.Errorf("no endpoint file: mount %+v, want null", st.Mount)
	}
}
