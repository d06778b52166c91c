// notify_session_test.go: window/showMessage as a client sees it, from
// real daemons through a whole session (notify_test.go tests the policy).

package lsp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/lsptest"
	"github.com/heddle-ls/heddle-ls/lsp"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// End to end: a daemon stopped under a running session yields one
// window/showMessage in the default (errors) mode, none with "off".
func TestShowMessage_DefaultAndOff(t *testing.T) {
	for _, mode := range []string{"", "off"} {
		t.Run("mode="+mode, func(t *testing.T) {
			repo := newRepo(t)
			sim := startSim(t, repo)
			c := newClient(t, lsp.Options{})
			folder := protocol.PathToURI(repo)
			var extra map[string]any
			if mode != "" {
				extra = map[string]any{"initializationOptions": map[string]any{"notifications": mode}}
			}
			c.Initialize([]string{folder}, extra)
			c.WaitState(folder, "ready", "", wait)
			interrupt(t, sim)
			c.WaitState(folder, "stopped", "", wait)
			// Barrier: a command answered after the stopped status means the
			// status loop has decided about showMessage for it.
			run(c, protocol.CmdStatus)
			isShow := func(m lsptest.Message) bool { return m.Method == "window/showMessage" }
			if mode == "off" {
				if !quietFor(c, 200*time.Millisecond, 0, isShow) {
					t.Errorf("showMessage with notifications=off:\n%s", c.Transcript())
				}
				return
			}
			c.WaitFor("showMessage for ready → stopped", wait, isShow)
			if n := c.Count(isShow); n != 1 {
				t.Errorf("%d showMessages, want 1", n)
			}
			if c.Count(func(m lsptest.Message) bool { return m.Method == "window/logMessage" }) == 0 {
				t.Errorf("no window/logMessage for the state changes")
			}
		})
	}
}

// A real daemon flapping between SERVING and NOT_SERVING (SIGUSR1 toggles
// heddle-sim's health) yields a handful of messages, not one per flap.
func TestShowMessage_FlappingDaemonIsQuiet(t *testing.T) {
	repo := newRepo(t)
	sim := startSim(t, repo, "--health", "serving")
	c := newClient(t, lsp.Options{})
	folder := protocol.PathToURI(repo)
	c.Initialize([]string{folder}, map[string]any{"initializationOptions": map[string]any{"notifications": "transitions"}})
	c.WaitState(folder, "ready", "", wait)
	const flaps = 10
	for i := range flaps {
		mark := c.Len()
		sim.ToggleHealth()
		want := "unhealthy"
		if i%2 == 1 {
			want = "ready"
		}
		c.WaitStateFrom(mark, folder, want, "", wait)
	}
	run(c, protocol.CmdStatus) // barrier: the loop has handled every status
	shows := c.Count(func(m lsptest.Message) bool { return m.Method == "window/showMessage" })
	// The first "ready" and the first "unhealthy"; every later flap repeats one of them.
	if shows != 2 {
		t.Errorf("%d flaps gave %d showMessages, want 2:\n%s", flaps, shows, c.Transcript())
	}
	if c.Count(func(m lsptest.Message) bool {
		return m.Method == "window/logMessage" && strings.Contains(string(m.Params), "not showing")
	}) == 0 {
		t.Errorf("suppressed messages were not logged")
	}
}
