// lspclient.go: an editor-like LSP client — Content-Length framing over a
// child process's stdio (or any stream), every message stamped with the
// time its last byte was read, before any JSON decoding.

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// msg is one message from the server.
type msg struct {
	At     time.Time       // when its body had been read
	ID     json.RawMessage `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// statusEvent is one heddle/status notification.
type statusEvent struct {
	At     time.Time
	Folder string
	State  string
	Reason string
}

// client speaks LSP to one server. Responses are routed to their waiting
// request; heddle/status notifications are appended to a log that waiters
// scan; server-to-client requests are answered with null.
type client struct {
	w   io.Writer
	wmu sync.Mutex

	cmd  *exec.Cmd // nil for an in-process server
	done chan struct{}

	mu       sync.Mutex
	nextID   int
	pending  map[string]chan msg
	statuses []statusEvent
	changed  chan struct{} // closed and replaced on every new status
	readErr  error
}

// startServer runs bin (heddle-ls) in LSP mode; its stderr goes to logPath.
func startServer(bin, logPath string) (*client, error) {
	cmd := exec.Command(bin, "--stdio")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	logf.Close()
	c := newClient(stdin, stdout)
	c.cmd = cmd
	return c, nil
}

func newClient(w io.Writer, r io.Reader) *client {
	c := &client{w: w, done: make(chan struct{}), pending: map[string]chan msg{}, changed: make(chan struct{})}
	go c.readLoop(r)
	return c
}

// PID is the server process's pid.
func (c *client) PID() int { return c.cmd.Process.Pid }

func (c *client) readLoop(r io.Reader) {
	defer close(c.done)
	br := bufio.NewReaderSize(r, 1<<16)
	for {
		length := -1
		for {
			line, err := br.ReadString('\n')
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
		if length < 0 {
			c.fail(errors.New("frame without Content-Length"))
			return
		}
		body := make([]byte, length)
		if _, err := io.ReadFull(br, body); err != nil {
			c.fail(err)
			return
		}
		at := time.Now()
		var m msg
		if err := json.Unmarshal(body, &m); err != nil {
			c.fail(fmt.Errorf("bad JSON from server: %w", err))
			return
		}
		m.At = at
		c.dispatch(m)
	}
}

func (c *client) dispatch(m msg) {
	switch {
	case m.Method == "heddle/status":
		var p struct{ Folder, State, Reason string }
		_ = json.Unmarshal(m.Params, &p)
		c.mu.Lock()
		c.statuses = append(c.statuses, statusEvent{At: m.At, Folder: p.Folder, State: p.State, Reason: p.Reason})
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
	case m.Method != "" && len(m.ID) > 0:
		// A request from the server (configuration, registration…): answer null.
		c.send(map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": nil})
	case m.Method == "" && len(m.ID) > 0:
		c.mu.Lock()
		ch := c.pending[string(m.ID)]
		delete(c.pending, string(m.ID))
		c.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

func (c *client) fail(err error) {
	c.mu.Lock()
	c.readErr = err
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

func (c *client) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err = fmt.Fprintf(c.w, "Content-Length: %d\r\n\r\n%s", len(b), b)
	return err
}

// call sends a request and returns the time it was written and the response.
func (c *client) call(method string, params any, timeout time.Duration) (time.Time, msg, error) {
	c.mu.Lock()
	c.nextID++
	id := strconv.Itoa(c.nextID)
	ch := make(chan msg, 1)
	c.pending[id] = ch
	c.mu.Unlock()
	req := map[string]any{"jsonrpc": "2.0", "id": c.nextID, "method": method}
	if params != nil {
		req["params"] = params
	}
	b, err := json.Marshal(req)
	if err != nil {
		return time.Time{}, msg{}, err
	}
	frame := fmt.Appendf(nil, "Content-Length: %d\r\n\r\n%s", len(b), b)
	c.wmu.Lock()
	start := time.Now()
	_, err = c.w.Write(frame)
	c.wmu.Unlock()
	if err != nil {
		return start, msg{}, fmt.Errorf("%s: write: %w", method, err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case m := <-ch:
		return start, m, nil
	case <-c.done:
		return start, msg{}, fmt.Errorf("%s: server closed the stream (%v)", method, c.readErr)
	case <-t.C:
		return start, msg{}, fmt.Errorf("%s: no response within %v", method, timeout)
	}
}

// rpc is call that also treats an error response as an error.
func (c *client) rpc(method string, params any) (time.Duration, msg, error) {
	start, m, err := c.call(method, params, waitTimeout)
	if err != nil {
		return 0, m, err
	}
	if m.Error != nil {
		return 0, m, fmt.Errorf("%s: error %d: %s", method, m.Error.Code, m.Error.Message)
	}
	return m.At.Sub(start), m, nil
}

func (c *client) notify(method string, params any) (time.Time, error) {
	req := map[string]any{"jsonrpc": "2.0", "method": method}
	if params != nil {
		req["params"] = params
	}
	b, err := json.Marshal(req)
	if err != nil {
		return time.Time{}, err
	}
	frame := fmt.Appendf(nil, "Content-Length: %d\r\n\r\n%s", len(b), b)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	at := time.Now()
	_, err = c.w.Write(frame)
	return at, err
}

// initialize sends initialize with folders (URIs), then initialized, and
// returns the time initialized was written.
func (c *client) initialize(folders []string) (time.Time, error) {
	wf := make([]map[string]string, len(folders))
	for i, f := range folders {
		wf[i] = map[string]string{"uri": f, "name": f[strings.LastIndex(f, "/")+1:]}
	}
	params := map[string]any{"processId": os.Getpid(), "capabilities": map[string]any{},
		"workspaceFolders": wf, "initializationOptions": map[string]any{"notifications": "off"}}
	if _, _, err := c.rpc("initialize", params); err != nil {
		return time.Time{}, err
	}
	return c.notify("initialized", map[string]any{})
}

// statusCount is how many heddle/status notifications have arrived.
func (c *client) statusCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.statuses)
}

// waitStatus returns the first heddle/status at index ≥ from that matches.
func (c *client) waitStatus(from int, timeout time.Duration, match func(statusEvent) bool) (statusEvent, int, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	i := from
	for {
		c.mu.Lock()
		evs, changed, readErr := c.statuses, c.changed, c.readErr
		c.mu.Unlock()
		for ; i < len(evs); i++ {
			if match(evs[i]) {
				return evs[i], i, nil
			}
		}
		if readErr != nil {
			return statusEvent{}, i, fmt.Errorf("server stream ended: %w", readErr)
		}
		select {
		case <-changed:
		case <-deadline.C:
			return statusEvent{}, i, fmt.Errorf("no matching heddle/status within %v", timeout)
		}
	}
}

// waitState waits for folder to reach state in a notification at index ≥ from.
func (c *client) waitState(from int, folder, state string) (statusEvent, error) {
	ev, _, err := c.waitStatus(from, waitTimeout, func(e statusEvent) bool {
		return e.Folder == folder && e.State == state
	})
	if err != nil {
		return ev, fmt.Errorf("%s → %s: %w", folder, state, err)
	}
	return ev, nil
}

// close ends the session (shutdown, exit) and waits for the process.
func (c *client) close() error {
	_, _, err := c.call("shutdown", nil, waitTimeout)
	if err == nil {
		_, err = c.notify("exit", nil)
	}
	if c.cmd == nil {
		return err
	}
	if cl, ok := c.w.(io.Closer); ok {
		cl.Close()
	}
	waited := make(chan error, 1)
	go func() { waited <- c.cmd.Wait() }()
	select {
	case werr := <-waited:
		if err == nil {
			err = werr
		}
	case <-time.After(waitTimeout):
		_ = c.cmd.Process.Kill()
		<-waited
		err = errors.Join(err, errors.New("heddle-ls did not exit after exit; killed"))
	}
	return err
}
