// client_test.go: a small LSP client for the tests — Content-Length
// framing over a pipe to a real Server, and waits with deadlines.

package lsp

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitTimeout bounds every wait; generous because the machine is shared.
const waitTimeout = 10 * time.Second

// message is any message from the server.
type message struct {
	ID     json.RawMessage `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error,omitempty"`
	raw string
}

type testClient struct {
	t    testing.TB
	conn net.Conn

	mu      sync.Mutex
	msgs    []message
	changed chan struct{} // closed and replaced on every new message
	readErr error

	nextID int
	served chan error // Serve's result
	cancel context.CancelFunc
}

// newTestClient starts a Server on one end of a pipe and returns the client end.
func newTestClient(t testing.TB, opts Options) *testClient {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	serverEnd, clientEnd := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	c := &testClient{t: t, conn: clientEnd, changed: make(chan struct{}), served: make(chan error, 1), cancel: cancel}
	srv := NewServer(opts)
	go func() { c.served <- srv.Serve(ctx, serverEnd) }()
	go c.readLoop()
	t.Cleanup(func() {
		cancel()
		_ = clientEnd.Close()
		select {
		case <-c.served:
		case <-time.After(waitTimeout):
			t.Errorf("server did not stop after the client went away")
		}
	})
	return c
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("HEDDLE_LS_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func (c *testClient) readLoop() {
	r := bufio.NewReader(c.conn)
	for {
		length := -1
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				c.fail(err)
				return
			}
			line = strings.TrimSpace(line)
			if line == "" {
				break
			}
			if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
				length, _ = strconv.Atoi(v)
			}
		}
		body := make([]byte, length)
		if _, err := io.ReadFull(r, body); err != nil {
			c.fail(err)
			return
		}
		var m message
		if err := json.Unmarshal(body, &m); err != nil {
			c.fail(fmt.Errorf("server sent bad JSON %q: %w", body, err))
			return
		}
		m.raw = string(body)
		c.mu.Lock()
		c.msgs = append(c.msgs, m)
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
	}
}

func (c *testClient) fail(err error) {
	c.mu.Lock()
	c.readErr = err
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// writeRaw sends one framed body as is.
func (c *testClient) writeRaw(body string) {
	c.t.Helper()
	c.writeBytes(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body))
}

// writeBytes sends bytes with no framing at all.
func (c *testClient) writeBytes(s string) {
	c.t.Helper()
	_ = c.conn.SetWriteDeadline(time.Now().Add(waitTimeout))
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatalf("write to server: %v", err)
	}
}

func (c *testClient) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.writeRaw(string(b))
}

// call sends a request and returns its id without waiting.
func (c *testClient) call(method string, params any) int {
	c.t.Helper()
	c.nextID++
	msg := map[string]any{"jsonrpc": "2.0", "id": c.nextID, "method": method}
	if params != nil {
		msg["params"] = params
	}
	c.send(msg)
	return c.nextID
}

// request sends a request and waits for its response.
func (c *testClient) request(method string, params any) message {
	c.t.Helper()
	return c.response(c.call(method, params))
}

func (c *testClient) response(id int) message {
	c.t.Helper()
	want := strconv.Itoa(id)
	return c.waitFor(fmt.Sprintf("response to #%d", id), func(m message) bool {
		return m.Method == "" && string(m.ID) == want
	})
}

func (c *testClient) notify(method string, params any) {
	c.t.Helper()
	msg := map[string]any{"jsonrpc": "2.0", "method": method}
	if params != nil {
		msg["params"] = params
	}
	c.send(msg)
}

// waitFor returns the first message (from the start of the session) that
// matches, waiting up to waitTimeout.
func (c *testClient) waitFor(what string, match func(message) bool) message {
	c.t.Helper()
	m, ok := c.waitForWithin(waitTimeout, match)
	if !ok {
		c.t.Fatalf("timed out waiting for %s; got:\n%s", what, c.transcript())
	}
	return m
}

func (c *testClient) waitForWithin(d time.Duration, match func(message) bool) (message, bool) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	seen := 0
	for {
		c.mu.Lock()
		msgs, changed, readErr := c.msgs, c.changed, c.readErr
		c.mu.Unlock()
		for ; seen < len(msgs); seen++ {
			if match(msgs[seen]) {
				return msgs[seen], true
			}
		}
		if readErr != nil {
			return message{}, false
		}
		select {
		case <-changed:
		case <-deadline.C:
			return message{}, false
		}
	}
}

// count returns how many messages so far match.
func (c *testClient) count(match func(message) bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, m := range c.msgs {
		if match(m) {
			n++
		}
	}
	return n
}

func (c *testClient) transcript() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, m := range c.msgs {
		b.WriteString(truncate(m.raw, 400))
		b.WriteByte('\n')
	}
	if c.readErr != nil {
		fmt.Fprintf(&b, "(read error: %v)\n", c.readErr)
	}
	return b.String()
}

// statuses returns every heddle/status sent so far for folder.
func (c *testClient) statuses(folder string) []StatusParams {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []StatusParams
	for _, m := range c.msgs {
		if m.Method != MethodStatus {
			continue
		}
		var p StatusParams
		if err := json.Unmarshal(m.Params, &p); err != nil {
			c.t.Errorf("bad heddle/status params %s: %v", m.Params, err)
			continue
		}
		if p.Folder == folder {
			out = append(out, p)
		}
	}
	return out
}

// waitStatus waits for a heddle/status for folder in state (after any
// number of earlier ones) and returns it.
func (c *testClient) waitStatus(folder, state string) StatusParams {
	c.t.Helper()
	m := c.waitFor(fmt.Sprintf("heddle/status %s for %s", state, folder), func(m message) bool {
		var p StatusParams
		return m.Method == MethodStatus && json.Unmarshal(m.Params, &p) == nil && p.Folder == folder && p.State == state
	})
	var p StatusParams
	_ = json.Unmarshal(m.Params, &p)
	return p
}

// waitStatusAfter waits for the first heddle/status for folder in state
// after the n-th status for that folder.
func (c *testClient) waitStatusAfter(folder string, n int, state string) StatusParams {
	c.t.Helper()
	var got StatusParams
	seen := 0
	c.waitFor(fmt.Sprintf("heddle/status %s for %s after #%d", state, folder, n), func(m message) bool {
		var p StatusParams
		if m.Method != MethodStatus || json.Unmarshal(m.Params, &p) != nil || p.Folder != folder {
			return false
		}
		seen++
		if seen > n && p.State == state {
			got = p
			return true
		}
		return false
	})
	return got
}

// initialize runs initialize + initialized with the given folders (URIs)
// and extra initialize params.
func (c *testClient) initialize(folders []string, extra map[string]any) message {
	c.t.Helper()
	params := map[string]any{"processId": nil, "capabilities": map[string]any{}}
	if folders != nil {
		wf := []map[string]string{}
		for _, f := range folders {
			wf = append(wf, map[string]string{"uri": f, "name": f[strings.LastIndex(f, "/")+1:]})
		}
		params["workspaceFolders"] = wf
	}
	for k, v := range extra {
		params[k] = v
	}
	resp := c.request("initialize", params)
	if resp.Error != nil {
		c.t.Fatalf("initialize failed: %s", resp.raw)
	}
	c.notify("initialized", map[string]any{})
	return resp
}

// executeCommand runs a command and returns the response.
func (c *testClient) executeCommand(command string, args ...any) message {
	c.t.Helper()
	if args == nil {
		args = []any{}
	}
	return c.request("workspace/executeCommand", map[string]any{"command": command, "arguments": args})
}

// shutdownAndExit ends the session cleanly and returns Serve's result.
func (c *testClient) shutdownAndExit() error {
	c.t.Helper()
	if r := c.request("shutdown", nil); r.Error != nil {
		c.t.Fatalf("shutdown: %s", r.raw)
	}
	c.notify("exit", nil)
	return c.served1()
}

func (c *testClient) served1() error {
	c.t.Helper()
	select {
	case err := <-c.served:
		c.served <- err // keep it for Cleanup
		return err
	case <-time.After(waitTimeout):
		c.t.Fatalf("Serve did not return")
		return nil
	}
}

func decode[T any](t *testing.T, m message) T {
	t.Helper()
	var v T
	if m.Error != nil {
		t.Fatalf("unexpected error response: %s", m.raw)
	}
	if err := json.Unmarshal(m.Result, &v); err != nil {
		t.Fatalf("decode result %s: %v", m.Result, err)
	}
	return v
}
