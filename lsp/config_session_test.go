// config_session_test.go: settings reaching a running session, pushed and
// pulled (config_test.go tests their parsing).

package lsp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/lsptest"
	"github.com/heddle-ls/heddle-ls/lsp"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// didChangeConfiguration reaches the server: switching notifications to
// "off" silences the ready → stopped message the default would show.
func TestDidChangeConfiguration_Applies(t *testing.T) {
	repo := newRepo(t)
	sim := startSim(t, repo)
	c := newClient(t, lsp.Options{})
	folder := protocol.PathToURI(repo)
	c.Initialize([]string{folder}, nil)
	c.WaitState(folder, "ready", "", wait)
	c.Notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{"heddle": map[string]any{
		"notifications": "off", "queryTimeoutMs": "soon"}}})
	// The bad value is reported in the log.
	c.WaitFor("logMessage about the bad setting", wait, func(m lsptest.Message) bool {
		return m.Method == "window/logMessage" && strings.Contains(string(m.Params), "queryTimeoutMs")
	})
	interrupt(t, sim)
	c.WaitState(folder, "stopped", "", wait)
	run(c, protocol.CmdStatus)
	if !quietFor(c, 200*time.Millisecond, 0, func(m lsptest.Message) bool { return m.Method == "window/showMessage" }) {
		t.Errorf("showMessage after notifications were turned off:\n%s", c.Transcript())
	}
}

// A client that supports workspace/configuration is asked for section heddle.
func TestConfiguration_Pulled(t *testing.T) {
	c := newClient(t, lsp.Options{})
	c.SetAnswer(func(lsptest.Message) (any, bool) { return nil, false }) // answered below
	c.Initialize(nil, map[string]any{"capabilities": map[string]any{"workspace": map[string]any{"configuration": true}}})
	req := c.WaitFor("workspace/configuration request", wait, func(m lsptest.Message) bool { return m.Method == "workspace/configuration" })
	if !strings.Contains(string(req.Params), `"section":"heddle"`) || len(req.ID) == 0 {
		t.Fatalf("configuration request = %s", req.Raw)
	}
	c.Respond(req.ID, []any{map[string]any{"notifications": "wrong"}})
	c.WaitFor("logMessage about the pulled bad value", wait, func(m lsptest.Message) bool {
		return m.Method == "window/logMessage" && strings.Contains(string(m.Params), "wrong")
	})
}
