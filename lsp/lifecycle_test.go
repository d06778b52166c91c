package lsp

import (
	"encoding/json"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestInitialize_Capabilities(t *testing.T) {
	c := newTestClient(t, Options{Version: "1.2.3"})
	resp := c.request("initialize", map[string]any{"capabilities": map[string]any{}})
	got := decode[initResultShape](t, resp)
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
	c := newTestClient(t, Options{})
	// A notification before initialize is dropped (no answer, no crash).
	c.notify("workspace/didChangeConfiguration", map[string]any{"settings": nil})
	r := c.request("workspace/executeCommand", map[string]any{"command": "heddle.status"})
	if r.Error == nil || r.Error.Code != -32002 {
		t.Fatalf("want -32002 before initialize, got %s", r.raw)
	}
	// And the server still initializes afterwards.
	c.initialize(nil, nil)
}

func TestLifecycle_SecondInitializeFails(t *testing.T) {
	c := newTestClient(t, Options{})
	c.initialize(nil, nil)
	r := c.request("initialize", map[string]any{"capabilities": map[string]any{}})
	if r.Error == nil || r.Error.Code != -32600 {
		t.Fatalf("second initialize: want -32600, got %s", r.raw)
	}
}

func TestLifecycle_UnknownMethod(t *testing.T) {
	c := newTestClient(t, Options{})
	c.initialize(nil, nil)
	c.notify("$/somethingNew", map[string]any{}) // ignored, no answer
	c.notify("textDocument/didOpen", map[string]any{})
	r := c.request("textDocument/hover", map[string]any{})
	if r.Error == nil || r.Error.Code != -32601 {
		t.Fatalf("unknown method: want -32601, got %s", r.raw)
	}
	if n := c.count(func(m message) bool { return m.Method == "" && string(m.ID) == "null" }); n != 0 {
		t.Errorf("notifications were answered %d times", n)
	}
}

func TestLifecycle_MalformedParams(t *testing.T) {
	c := newTestClient(t, Options{})
	r := c.request("initialize", map[string]any{"workspaceFolders": "not-an-array"})
	if r.Error == nil || r.Error.Code != -32602 || !strings.Contains(r.Error.Message, "workspaceFolders") {
		t.Fatalf("want -32602 naming workspaceFolders, got %s", r.raw)
	}
	c.initialize(nil, nil)
	r = c.request("workspace/executeCommand", []int{1, 2})
	if r.Error == nil || r.Error.Code != -32602 {
		t.Fatalf("want -32602 for array params, got %s", r.raw)
	}
}

func TestLifecycle_ShutdownThenExit(t *testing.T) {
	c := newTestClient(t, Options{})
	c.initialize(nil, nil)
	r := c.request("shutdown", nil)
	if r.Error != nil || string(r.Result) != "null" {
		t.Fatalf("shutdown: want result null, got %s", r.raw)
	}
	r = c.request("workspace/executeCommand", map[string]any{"command": "heddle.status"})
	if r.Error == nil || r.Error.Code != -32600 {
		t.Fatalf("request after shutdown: want -32600, got %s", r.raw)
	}
	c.notify("exit", nil)
	if err := c.served1(); err != nil {
		t.Fatalf("Serve after shutdown+exit = %v, want nil (exit code 0)", err)
	}
}

func TestLifecycle_ExitWithoutShutdown(t *testing.T) {
	c := newTestClient(t, Options{})
	c.initialize(nil, nil)
	c.notify("exit", nil)
	if err := c.served1(); !errors.Is(err, ErrNoShutdown) {
		t.Fatalf("Serve after exit without shutdown = %v, want ErrNoShutdown (exit code 1)", err)
	}
}

func TestLifecycle_EOFEndsServe(t *testing.T) {
	c := newTestClient(t, Options{})
	c.initialize([]string{pathToURI(newRepo(t))}, nil)
	_ = c.conn.Close()
	if err := c.served1(); !errors.Is(err, ErrNoShutdown) {
		t.Fatalf("Serve after EOF = %v, want ErrNoShutdown", err)
	}
}

func TestStream_MalformedJSONKeepsServing(t *testing.T) {
	c := newTestClient(t, Options{})
	c.writeRaw(`{"jsonrpc":"2.0","id":1,"method":`)
	m := c.waitFor("parse error", func(m message) bool { return m.Error != nil && m.Error.Code == -32700 })
	if string(m.ID) != "null" || !strings.Contains(m.raw, `"id":null`) {
		t.Errorf("parse error must have id null: %s", m.raw)
	}
	// Not an object, a wrong version, and an invalid header block.
	c.writeRaw(`[1,2]`)
	c.waitFor("invalid request for a batch", func(m message) bool { return m.Error != nil && m.Error.Code == -32600 })
	c.writeRaw(`{"jsonrpc":"1.0","id":77,"method":"initialize"}`)
	m = c.waitFor("invalid request for a bad version", func(m message) bool { return string(m.ID) == "77" })
	if m.Error == nil || m.Error.Code != -32600 {
		t.Errorf("bad version: want -32600 with id 77, got %s", m.raw)
	}
	c.writeBytes("Content-Length: banana\r\n\r\n")
	c.writeBytes("garbage line without a colon\r\n\r\n")
	c.initialize(nil, nil)
	r := c.request("shutdown", nil)
	if r.Error != nil {
		t.Fatalf("server stopped serving after bad input: %s", r.raw)
	}
}

func TestStream_OversizedBodyIsSkipped(t *testing.T) {
	c := newTestClient(t, Options{})
	big := strings.Repeat(" ", MaxMessageBytes+1)
	c.writeBytes("Content-Length: " + strconv.Itoa(len(big)) + "\r\n\r\n")
	written := make(chan struct{})
	go func() { // net.Pipe: the write returns once the server has read it all
		_, _ = c.conn.Write([]byte(big))
		close(written)
	}()
	// The answer comes before the body is read: a client that waits for it
	// before writing more must not wedge the session.
	m := c.waitFor("error for an oversized body", func(m message) bool { return m.Error != nil })
	if m.Error.Code != -32600 || !strings.Contains(m.Error.Message, "limit") {
		t.Errorf("oversized: got %s", m.raw)
	}
	select {
	case <-written:
	case <-time.After(time.Minute):
		t.Fatal("the server did not read past the oversized body")
	}
	c.initialize(nil, nil)
}

func TestCancelRequest_NotFoundIsHarmless(t *testing.T) {
	c := newTestClient(t, Options{})
	c.initialize(nil, nil)
	c.notify("$/cancelRequest", map[string]any{"id": 999})
	r := c.executeCommand("heddle.status")
	if r.Error != nil {
		t.Fatal(r.raw)
	}
	var got []StatusParams
	if err := json.Unmarshal(r.Result, &got); err != nil || got == nil {
		t.Fatalf("heddle.status with no folders: want [], got %s", r.Result)
	}
}

func TestInitialize_FolderFallbacks(t *testing.T) {
	repo := newRepo(t)
	for _, key := range []string{"rootUri", "rootPath"} {
		t.Run(key, func(t *testing.T) {
			c := newTestClient(t, Options{})
			value := repo
			if key == "rootUri" {
				value = pathToURI(repo)
			}
			c.initialize(nil, map[string]any{key: value, "rootUri": map[bool]any{true: value, false: nil}[key == "rootUri"]})
			got := c.waitStatus(pathToURI(repo), "stopped")
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
	c := newTestClient(t, Options{})
	c.initialize(nil, map[string]any{"processId": editor.Process.Pid})
	select {
	case err := <-c.served:
		t.Fatalf("Serve returned while the editor runs: %v", err)
	default:
	}
	editor.Process.Kill()
	editor.Wait()
	if err := c.served1(); !errors.Is(err, ErrNoShutdown) {
		t.Fatalf("Serve = %v, want ErrNoShutdown (the session ended without shutdown)", err)
	}
}
