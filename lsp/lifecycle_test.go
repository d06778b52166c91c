package lsp_test

import (
	"encoding/json"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/lsptest"
	"github.com/heddle-ls/heddle-ls/lsp"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

func TestInitialize_Capabilities(t *testing.T) {
	c := newClient(t, lsp.Options{Version: "1.2.3"})
	resp, _ := c.Request(wait, "initialize", map[string]any{"capabilities": map[string]any{}})
	got := lsptest.Decode[initResultShape](t, resp)
	want := []string{"heddle.status", "heddle.refresh", "heddle.explain", "heddle.operations", "heddle.signalHealth", "heddle.hooks"}
	if strings.Join(got.Capabilities.ExecuteCommandProvider.Commands, ",") != strings.Join(want, ",") {
		t.Errorf("commands = %v, want %v", got.Capabilities.ExecuteCommandProvider.Commands, want)
	}
	wf := got.Capabilities.Workspace.WorkspaceFolders
	if !wf.Supported || !wf.ChangeNotifications {
		t.Errorf("workspaceFolders capability = %+v, want supported and changeNotifications", wf)
	}
	if got.ServerInfo.Name != "heddle-ls" || got.ServerInfo.Version != "1.2.3" {
		t.Errorf("serverInfo = %+v", got.ServerInfo)
	}
	if got.Capabilities.TextDocumentSync != 0 {
		t.Errorf("textDocumentSync = %d, want 0 (none)", got.Capabilities.TextDocumentSync)
	}
}

// initResultShape is what an editor reads from initialize's result.
type initResultShape struct {
	Capabilities struct {
		TextDocumentSync       int `json:"textDocumentSync"`
		ExecuteCommandProvider struct {
			Commands []string `json:"commands"`
		} `json:"executeCommandProvider"`
		Workspace struct {
			WorkspaceFolders struct {
				Supported           bool `json:"supported"`
				ChangeNotifications bool `json:"changeNotifications"`
			} `json:"workspaceFolders"`
		} `json:"workspace"`
	} `json:"capabilities"`
	ServerInfo struct{ Name, Version string } `json:"serverInfo"`
}

func TestLifecycle_RequestBeforeInitialize(t *testing.T) {
	c := newClient(t, lsp.Options{})
	// A notification before initialize is dropped (no answer, no crash).
	c.Notify("workspace/didChangeConfiguration", map[string]any{"settings": nil})
	r, _ := c.Request(wait, "workspace/executeCommand", map[string]any{"command": "heddle.status"})
	if r.Error == nil || r.Error.Code != -32002 {
		t.Fatalf("want -32002 before initialize, got %s", r.Raw)
	}
	// And the server still initializes afterwards.
	c.Initialize(nil, nil)
}

func TestLifecycle_SecondInitializeFails(t *testing.T) {
	c := newClient(t, lsp.Options{})
	c.Initialize(nil, nil)
	r, _ := c.Request(wait, "initialize", map[string]any{"capabilities": map[string]any{}})
	if r.Error == nil || r.Error.Code != -32600 {
		t.Fatalf("second initialize: want -32600, got %s", r.Raw)
	}
}

func TestLifecycle_UnknownMethod(t *testing.T) {
	c := newClient(t, lsp.Options{})
	c.Initialize(nil, nil)
	c.Notify("$/somethingNew", map[string]any{}) // ignored, no answer
	c.Notify("textDocument/didOpen", map[string]any{})
	r, _ := c.Request(wait, "textDocument/hover", map[string]any{})
	if r.Error == nil || r.Error.Code != -32601 {
		t.Fatalf("unknown method: want -32601, got %s", r.Raw)
	}
	if n := c.Count(func(m lsptest.Message) bool { return m.Method == "" && string(m.ID) == "null" }); n != 0 {
		t.Errorf("notifications were answered %d times", n)
	}
}

func TestLifecycle_MalformedParams(t *testing.T) {
	c := newClient(t, lsp.Options{})
	r, _ := c.Request(wait, "initialize", map[string]any{"workspaceFolders": "not-an-array"})
	if r.Error == nil || r.Error.Code != -32602 || !strings.Contains(r.Error.Message, "workspaceFolders") {
		t.Fatalf("want -32602 naming workspaceFolders, got %s", r.Raw)
	}
	c.Initialize(nil, nil)
	r, _ = c.Request(wait, "workspace/executeCommand", []int{1, 2})
	if r.Error == nil || r.Error.Code != -32602 {
		t.Fatalf("want -32602 for array params, got %s", r.Raw)
	}
}

func TestLifecycle_ShutdownThenExit(t *testing.T) {
	c := newClient(t, lsp.Options{})
	c.Initialize(nil, nil)
	r, _ := c.Request(wait, "shutdown", nil)
	if r.Error != nil || string(r.Result) != "null" {
		t.Fatalf("shutdown: want result null, got %s", r.Raw)
	}
	r, _ = c.Request(wait, "workspace/executeCommand", map[string]any{"command": "heddle.status"})
	if r.Error == nil || r.Error.Code != -32600 {
		t.Fatalf("request after shutdown: want -32600, got %s", r.Raw)
	}
	c.Notify("exit", nil)
	if err := c.Served(); err != nil {
		t.Fatalf("Serve after shutdown+exit = %v, want nil (exit code 0)", err)
	}
}

func TestLifecycle_ExitWithoutShutdown(t *testing.T) {
	c := newClient(t, lsp.Options{})
	c.Initialize(nil, nil)
	c.Notify("exit", nil)
	if err := c.Served(); !errors.Is(err, lsp.ErrNoShutdown) {
		t.Fatalf("Serve after exit without shutdown = %v, want ErrNoShutdown (exit code 1)", err)
	}
}

func TestLifecycle_EOFEndsServe(t *testing.T) {
	c := newClient(t, lsp.Options{})
	c.Initialize([]string{protocol.PathToURI(newRepo(t))}, nil)
	c.CloseClient()
	if err := c.Served(); !errors.Is(err, lsp.ErrNoShutdown) {
		t.Fatalf("Serve after EOF = %v, want ErrNoShutdown", err)
	}
}

func TestStream_MalformedJSONKeepsServing(t *testing.T) {
	c := newClient(t, lsp.Options{})
	c.WriteFramed([]byte(`{"jsonrpc":"2.0","id":1,"method":`))
	m := c.WaitFor("parse error", wait, func(m lsptest.Message) bool { return m.Error != nil && m.Error.Code == -32700 })
	if string(m.ID) != "null" || !strings.Contains(m.Raw, `"id":null`) {
		t.Errorf("parse error must have id null: %s", m.Raw)
	}
	// Not an object, a wrong version, and an invalid header block.
	c.WriteFramed([]byte(`[1,2]`))
	c.WaitFor("invalid request for a batch", wait, func(m lsptest.Message) bool { return m.Error != nil && m.Error.Code == -32600 })
	c.WriteFramed([]byte(`{"jsonrpc":"1.0","id":77,"method":"initialize"}`))
	m = c.WaitFor("invalid request for a bad version", wait, func(m lsptest.Message) bool { return string(m.ID) == "77" })
	if m.Error == nil || m.Error.Code != -32600 {
		t.Errorf("bad version: want -32600 with id 77, got %s", m.Raw)
	}
	c.WriteBytes([]byte("Content-Length: banana\r\n\r\n"))
	c.WriteBytes([]byte("garbage line without a colon\r\n\r\n"))
	c.Initialize(nil, nil)
	if r, _ := c.Request(wait, "shutdown", nil); r.Error != nil {
		t.Fatalf("server stopped serving after bad input: %s", r.Raw)
	}
}

func TestStream_OversizedBodyIsSkipped(t *testing.T) {
	c := newClient(t, lsp.Options{})
	big := strings.Repeat(" ", lsp.MaxMessageBytes+1)
	c.WriteBytes([]byte("Content-Length: " + strconv.Itoa(len(big)) + "\r\n\r\n"))
	written := make(chan error, 1)
	go func() { // net.Pipe: the write returns once the server has read it all
		_, err := c.Conn.WriteBytes([]byte(big))
		written <- err
	}()
	// The answer comes before the body is read: a client that waits for it
	// before writing more must not wedge the session.
	m := c.WaitFor("error for an oversized body", wait, func(m lsptest.Message) bool { return m.Error != nil })
	if m.Error.Code != -32600 || !strings.Contains(m.Error.Message, "limit") {
		t.Errorf("oversized: got %s", m.Raw)
	}
	select {
	case err := <-written:
		if err != nil {
			t.Fatalf("the server did not read past the oversized body: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the server did not read past the oversized body")
	}
	c.Initialize(nil, nil)
}

func TestCancelRequest_NotFoundIsHarmless(t *testing.T) {
	c := newClient(t, lsp.Options{})
	c.Initialize(nil, nil)
	c.Notify("$/cancelRequest", map[string]any{"id": 999})
	r := run(c, "heddle.status")
	if r.Error != nil {
		t.Fatal(r.Raw)
	}
	var got []protocol.StatusParams
	if err := json.Unmarshal(r.Result, &got); err != nil || got == nil {
		t.Fatalf("heddle.status with no folders: want [], got %s", r.Result)
	}
}

func TestInitialize_FolderFallbacks(t *testing.T) {
	repo := newRepo(t)
	for _, key := range []string{"rootUri", "rootPath"} {
		t.Run(key, func(t *testing.T) {
			c := newClient(t, lsp.Options{})
			value := repo
			if key == "rootUri" {
				value = protocol.PathToURI(repo)
			}
			c.Initialize(nil, map[string]any{key: value, "rootUri": map[bool]any{true: value, false: nil}[key == "rootUri"]})
			got := c.WaitState(protocol.PathToURI(repo), "stopped", "", wait)
			if got.Root != repo {
				t.Errorf("status from %s = %+v", key, got)
			}
		})
	}
}

// The session ends when the editor's process (initialize's processId)
// exits, even though the stream stays open.
func TestLifecycle_EndsWhenTheEditorProcessExits(t *testing.T) {
	editor := exec.Command("sleep", "600")
	if err := editor.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { editor.Process.Kill(); editor.Wait() })
	c := newClient(t, lsp.Options{})
	c.Initialize(nil, map[string]any{"processId": editor.Process.Pid})
	select {
	case <-c.Pipe.Served():
		t.Fatalf("Serve returned while the editor runs: %v", c.Pipe.ServeErr())
	default:
	}
	editor.Process.Kill()
	editor.Wait()
	if err := c.Served(); !errors.Is(err, lsp.ErrNoShutdown) {
		t.Fatalf("Serve = %v, want ErrNoShutdown (the session ended without shutdown)", err)
	}
}
