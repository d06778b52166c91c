// Package lsptest is an LSP test client: Content-Length framing over any
// byte stream (the real heddle-ls binary's stdio, see Start, or a pipe to an
// in-process lsp.Server, see NewClient), requests with deadlines,
// notifications, and waits on messages with deadlines — never sleeps.
package lsptest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// Timeout bounds every wait that is not given its own deadline. Generous:
// the machine is shared; success returns as soon as it happens.
const Timeout = 10 * time.Second

// Message is any message from the server.
type Message struct {
	ID     json.RawMessage `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *Error          `json:"error,omitempty"`

	Raw string    `json:"-"` // the body as received
	At  time.Time `json:"-"` // when it was read
}

// Error is a JSON-RPC error object.
type Error struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// IsResponse reports whether m answers a request (rather than being a
// notification or a request from the server).
func (m Message) IsResponse() bool { return m.Method == "" }

// Client is one LSP session seen from the editor's side. All methods are
// safe for concurrent use.
type Client struct {
	tb testing.TB
	w  io.Writer

	writeMu sync.Mutex
	idMu    sync.Mutex
	nextID  int

	mu      sync.Mutex
	msgs    []Message
	changed chan struct{} // closed and replaced on every new message
	readErr error         // why the read loop ended (io.EOF when the server closed)
}

// NewClient speaks LSP over rw (the server's end is elsewhere) and reads
// until rw's read side ends. The caller closes rw.
func NewClient(tb testing.TB, r io.Reader, w io.Writer) *Client {
	c := &Client{tb: tb, w: w, changed: make(chan struct{})}
	go c.readLoop(r)
	return c
}

func (c *Client) readLoop(r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		length := -1
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				c.fail(err)
				return
			}
			line = strings.TrimRight(line, "\r\n")
			if line == "" {
				if length < 0 {
					c.fail(fmt.Errorf("server sent a header block without Content-Length"))
					return
				}
				break
			}
			name, value, ok := strings.Cut(line, ":")
			if !ok {
				c.fail(fmt.Errorf("server sent a bad header line %q", line))
				return
			}
			if strings.EqualFold(strings.TrimSpace(name), "Content-Length") {
				n, err := strconv.Atoi(strings.TrimSpace(value))
				if err != nil || n < 0 {
					c.fail(fmt.Errorf("server sent a bad Content-Length %q", value))
					return
				}
				length = n
			}
		}
		body := make([]byte, length)
		if _, err := io.ReadFull(br, body); err != nil {
			c.fail(fmt.Errorf("short body from server: %w", err))
			return
		}
		var m Message
		if err := json.Unmarshal(body, &m); err != nil {
			c.fail(fmt.Errorf("server sent bad JSON %q: %w", truncate(string(body), 200), err))
			return
		}
		m.Raw, m.At = string(body), time.Now()
		c.mu.Lock()
		c.msgs = append(c.msgs, m)
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
	}
}

func (c *Client) fail(err error) {
	c.mu.Lock()
	c.readErr = err
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// ReadErr is why the read loop ended: nil while it runs, io.EOF when the
// server closed its output cleanly, else a protocol error (the server sent
// something that is not LSP).
func (c *Client) ReadErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readErr
}

// Closed returns a channel closed once the server's output has ended.
func (c *Client) Closed() <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		for {
			c.mu.Lock()
			done, changed := c.readErr != nil, c.changed
			c.mu.Unlock()
			if done {
				return
			}
			<-changed
		}
	}()
	return ch
}

// WriteBytes sends bytes as they are, without framing.
func (c *Client) WriteBytes(b []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_, err := c.w.Write(b)
	return err
}

// WriteFramed sends one body with its Content-Length header.
func (c *Client) WriteFramed(body []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if _, err := fmt.Fprintf(c.w, "Content-Length: %d\r\n\r\n", len(body)); err != nil {
		return err
	}
	_, err := c.w.Write(body)
	return err
}

func (c *Client) send(v any) {
	c.tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.tb.Fatalf("lsptest: marshal: %v", err)
	}
	if err := c.WriteFramed(b); err != nil {
		c.tb.Fatalf("lsptest: write to server: %v", err)
	}
}

// Call sends a request and returns its id without waiting.
func (c *Client) Call(method string, params any) int {
	c.tb.Helper()
	c.idMu.Lock()
	c.nextID++
	id := c.nextID
	c.idMu.Unlock()
	msg := map[string]any{"jsonrpc": "2.0", "id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	c.send(msg)
	return id
}

// Notify sends a notification.
func (c *Client) Notify(method string, params any) {
	c.tb.Helper()
	msg := map[string]any{"jsonrpc": "2.0", "method": method}
	if params != nil {
		msg["params"] = params
	}
	c.send(msg)
}

// Cancel sends $/cancelRequest for id.
func (c *Client) Cancel(id int) { c.tb.Helper(); c.Notify("$/cancelRequest", map[string]any{"id": id}) }

// Response waits up to timeout for the response to request id.
func (c *Client) Response(id int, timeout time.Duration) (Message, bool) {
	want := strconv.Itoa(id)
	return c.WaitWithin(timeout, func(m Message) bool { return m.IsResponse() && string(m.ID) == want })
}

// Request sends a request and waits up to timeout for its response; the
// test fails if none comes. It also returns how long the answer took.
func (c *Client) Request(timeout time.Duration, method string, params any) (Message, time.Duration) {
	c.tb.Helper()
	start := time.Now()
	id := c.Call(method, params)
	m, ok := c.Response(id, timeout)
	if !ok {
		c.tb.Fatalf("lsptest: no response to %s #%d within %v; transcript:\n%s", method, id, timeout, c.Transcript())
	}
	return m, time.Since(start)
}

// ExecuteCommand runs workspace/executeCommand and waits up to timeout.
func (c *Client) ExecuteCommand(timeout time.Duration, command string, args ...any) (Message, time.Duration) {
	c.tb.Helper()
	if args == nil {
		args = []any{}
	}
	return c.Request(timeout, "workspace/executeCommand", map[string]any{"command": command, "arguments": args})
}

// WaitWithin returns the first message of the session that matches,
// waiting up to d; false if none came (or the server's output ended).
func (c *Client) WaitWithin(d time.Duration, match func(Message) bool) (Message, bool) {
	return c.WaitFrom(0, d, match)
}

// WaitFrom is WaitWithin over the messages from index from on (see Len).
func (c *Client) WaitFrom(from int, d time.Duration, match func(Message) bool) (Message, bool) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	seen := from
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
			return Message{}, false
		}
		select {
		case <-changed:
		case <-deadline.C:
			return Message{}, false
		}
	}
}

// WaitFor is WaitWithin that fails the test on timeout.
func (c *Client) WaitFor(what string, d time.Duration, match func(Message) bool) Message {
	c.tb.Helper()
	m, ok := c.WaitWithin(d, match)
	if !ok {
		c.tb.Fatalf("lsptest: timed out after %v waiting for %s; transcript:\n%s", d, what, c.Transcript())
	}
	return m
}

// WaitNotification waits up to d for a notification of method whose
// message matches (nil matches any).
func (c *Client) WaitNotification(method string, d time.Duration, match func(Message) bool) (Message, bool) {
	return c.WaitWithin(d, func(m Message) bool {
		return m.Method == method && m.ID == nil && (match == nil || match(m))
	})
}

// Len is the number of messages received so far.
func (c *Client) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

// Messages returns a copy of every message received so far.
func (c *Client) Messages() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Message(nil), c.msgs...)
}

// Statuses returns every heddle/status sent so far for folder, in order.
func (c *Client) Statuses(folder string) []protocol.StatusParams {
	var out []protocol.StatusParams
	for _, m := range c.Messages() {
		if m.Method != protocol.MethodStatus {
			continue
		}
		var p protocol.StatusParams
		if json.Unmarshal(m.Params, &p) == nil && p.Folder == folder {
			out = append(out, p)
		}
	}
	return out
}

// WaitStatus waits up to d for a heddle/status for folder that matches,
// among the messages from index from on (0: the whole session; see Len).
func (c *Client) WaitStatus(from int, folder string, d time.Duration, match func(protocol.StatusParams) bool) (protocol.StatusParams, bool) {
	var got protocol.StatusParams
	_, ok := c.WaitFrom(from, d, func(m Message) bool {
		var p protocol.StatusParams
		if m.Method != protocol.MethodStatus || json.Unmarshal(m.Params, &p) != nil || p.Folder != folder || !match(p) {
			return false
		}
		got = p
		return true
	})
	return got, ok
}

// WaitState waits up to d for a heddle/status of folder in state with
// reason ("" matches any reason), failing the test otherwise.
func (c *Client) WaitState(folder, state, reason string, d time.Duration) protocol.StatusParams {
	c.tb.Helper()
	return c.WaitStateFrom(0, folder, state, reason, d)
}

// WaitStateFrom is WaitState over the messages from index from on: use
// Len before causing a transition to wait for that transition only.
func (c *Client) WaitStateFrom(from int, folder, state, reason string, d time.Duration) protocol.StatusParams {
	c.tb.Helper()
	st, ok := c.WaitStatus(from, folder, d, func(p protocol.StatusParams) bool {
		return p.State == state && (reason == "" || p.Reason == reason)
	})
	if !ok {
		c.tb.Fatalf("lsptest: timed out after %v waiting for %s %s/%s; its statuses: %s",
			d, folder, state, reason, DescribeStatuses(c.Statuses(folder)))
	}
	return st
}

// Last returns the latest heddle/status for folder; false if none yet.
func (c *Client) Last(folder string) (protocol.StatusParams, bool) {
	all := c.Statuses(folder)
	if len(all) == 0 {
		return protocol.StatusParams{}, false
	}
	return all[len(all)-1], true
}

// DescribeStatuses renders statuses one per line, for failure messages.
func DescribeStatuses(all []protocol.StatusParams) string {
	var b strings.Builder
	for _, s := range all {
		fmt.Fprintf(&b, "\n  %s/%s pid=%d api=%q %q", s.State, s.Reason, s.PID, s.API, s.Message)
	}
	if b.Len() == 0 {
		return "(none)"
	}
	return b.String()
}

// Initialize runs initialize then initialized with folders (URIs) and
// extra initialize params (merged over the defaults).
func (c *Client) Initialize(folders []string, extra map[string]any) Message {
	c.tb.Helper()
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
	resp, _ := c.Request(Timeout, "initialize", params)
	if resp.Error != nil {
		c.tb.Fatalf("lsptest: initialize failed: %s", resp.Raw)
	}
	c.Notify("initialized", map[string]any{})
	return resp
}

// Shutdown sends shutdown (which must succeed) then exit.
func (c *Client) Shutdown() {
	c.tb.Helper()
	if r, _ := c.Request(Timeout, "shutdown", nil); r.Error != nil {
		c.tb.Fatalf("lsptest: shutdown: %s", r.Raw)
	}
	c.Notify("exit", nil)
}

// Transcript renders every message so far, for failure messages.
func (c *Client) Transcript() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, m := range c.msgs {
		b.WriteString(truncate(m.Raw, 400))
		b.WriteByte('\n')
	}
	if c.readErr != nil && !errors.Is(c.readErr, io.EOF) {
		fmt.Fprintf(&b, "(read error: %v)\n", c.readErr)
	}
	return b.String()
}

// Decode unmarshals a successful response's result, failing the test on an
// error response.
func Decode[T any](tb testing.TB, m Message) T {
	tb.Helper()
	var v T
	if m.Error != nil {
		tb.Fatalf("lsptest: unexpected error response: %s", m.Raw)
	}
	if err := json.Unmarshal(m.Result, &v); err != nil {
		tb.Fatalf("lsptest: decode result %s: %v", truncate(string(m.Result), 400), err)
	}
	return v
}

// ErrorData decodes an error response's data as protocol.ErrorData.
func ErrorData(m Message) protocol.ErrorData {
	var d protocol.ErrorData
	if m.Error != nil {
		_ = json.Unmarshal(m.Error.Data, &d)
	}
	return d
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
