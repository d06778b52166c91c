// testing.go: the core for tests — the same calls, failing the test (with
// the transcript) where the core returns an error.

package lsptest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/simtest"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// Client is a Conn whose sends and waits fail the test.
type Client struct {
	*Conn
	tb testing.TB
}

// NewClient speaks LSP over r and w (the server's end is elsewhere).
func NewClient(tb testing.TB, r io.Reader, w io.Writer) *Client {
	return &Client{Conn: NewConn(r, w), tb: tb}
}

func (c *Client) must(err error) {
	c.tb.Helper()
	if err != nil {
		c.tb.Fatalf("lsptest: %v; transcript:\n%s", err, c.Transcript())
	}
}

// WriteBytes sends bytes as they are, without framing.
func (c *Client) WriteBytes(b []byte) {
	c.tb.Helper()
	_, err := c.Conn.WriteBytes(b)
	c.must(err)
}

// WriteFramed sends one body with its Content-Length header.
func (c *Client) WriteFramed(body []byte) {
	c.tb.Helper()
	_, err := c.Conn.WriteFramed(body)
	c.must(err)
}

// Call sends a request and returns its id without waiting.
func (c *Client) Call(method string, params any) int {
	c.tb.Helper()
	id, _, err := c.Conn.Call(method, params)
	c.must(err)
	return id
}

// Notify sends a notification.
func (c *Client) Notify(method string, params any) {
	c.tb.Helper()
	_, err := c.Conn.Notify(method, params)
	c.must(err)
}

// Respond answers the server's request id with result.
func (c *Client) Respond(id json.RawMessage, result any) {
	c.tb.Helper()
	c.must(c.Conn.Respond(id, result))
}

// Cancel sends $/cancelRequest for id.
func (c *Client) Cancel(id int) { c.tb.Helper(); c.Notify("$/cancelRequest", map[string]any{"id": id}) }

// Response waits up to d for the response to request id; false if none came.
func (c *Client) Response(id int, d time.Duration) (Message, bool) {
	m, err := c.Conn.Response(id, d)
	return m, err == nil
}

// Request sends a request and waits up to d for its response, failing the
// test if none comes; it also returns how long the answer took.
func (c *Client) Request(d time.Duration, method string, params any) (Message, time.Duration) {
	c.tb.Helper()
	m, took, err := c.Conn.Request(d, method, params)
	c.must(err)
	return m, took
}

// ExecuteCommand runs workspace/executeCommand (see Request).
func (c *Client) ExecuteCommand(d time.Duration, command string, args ...any) (Message, time.Duration) {
	c.tb.Helper()
	m, took, err := c.Conn.ExecuteCommand(d, command, args...)
	c.must(err)
	return m, took
}

// WaitWithin returns the first message of the session that matches,
// waiting up to d; false if none came (or the server's output ended).
func (c *Client) WaitWithin(d time.Duration, match func(Message) bool) (Message, bool) {
	return c.WaitFrom(0, d, match)
}

// WaitFrom is WaitWithin over the messages from index from on (see Len).
func (c *Client) WaitFrom(from int, d time.Duration, match func(Message) bool) (Message, bool) {
	m, err := c.Conn.Wait(from, d, match)
	return m, err == nil
}

// WaitFor is WaitWithin that fails the test on timeout.
func (c *Client) WaitFor(what string, d time.Duration, match func(Message) bool) Message {
	c.tb.Helper()
	m, err := c.Conn.Wait(0, d, match)
	if err != nil {
		c.must(fmt.Errorf("waiting for %s: %w", what, err))
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

// Statuses returns every heddle/status sent so far for folder, in order
// (Conn.Statuses); one whose params do not decode fails the test, where
// Conn.Statuses skips it.
func (c *Client) Statuses(folder string) []protocol.StatusParams {
	c.tb.Helper()
	out := c.Conn.Statuses(folder)
	// Checked after: messages only accumulate, so these include every one
	// out was drawn from.
	for _, m := range c.Messages() {
		if _, ok := StatusOf(m); m.Method == protocol.MethodStatus && !ok {
			c.tb.Errorf("lsptest: bad heddle/status: %s", m.Raw)
		}
	}
	return out
}

// WaitStatus waits up to d for a heddle/status for folder that matches,
// among the messages from index from on (0: the whole session; see Len).
func (c *Client) WaitStatus(from int, folder string, d time.Duration, match func(protocol.StatusParams) bool) (protocol.StatusParams, bool) {
	st, _, err := c.Conn.WaitStatus(from, folder, d, match)
	return st, err == nil
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
	st, _, err := c.Conn.WaitState(from, folder, state, reason, d)
	if err != nil {
		c.tb.Fatalf("lsptest: %v", err)
	}
	return st
}

// Initialize runs initialize then initialized with folders (URIs) and
// extra initialize params (merged over the defaults).
func (c *Client) Initialize(folders []string, extra map[string]any) Message {
	c.tb.Helper()
	m, _, err := c.Conn.Initialize(Timeout, folders, extra)
	c.must(err)
	return m
}

// Shutdown sends shutdown (which must succeed) then exit.
func (c *Client) Shutdown() {
	c.tb.Helper()
	c.must(c.Conn.Shutdown(Timeout))
}

// Decode unmarshals a successful response's result, failing the test on an
// error response.
func Decode[T any](tb testing.TB, m Message) T {
	tb.Helper()
	v, err := DecodeResult[T](m)
	if err != nil {
		tb.Fatalf("lsptest: %v", err)
	}
	return v
}

// InProcess is a Pipe for tests: the server stops when the test ends.
type InProcess struct {
	*Client
	Pipe *Pipe
}

// Serve runs serve (e.g. lsp.NewServer(opts).Serve) in this process; when
// the test ends the client's end is closed, serve's context cancelled, and
// the test fails if serve does not return.
func Serve(tb testing.TB, serve func(context.Context, io.ReadWriteCloser) error) *InProcess {
	p := NewPipe(serve)
	tb.Cleanup(func() {
		if err := p.Stop(Timeout); err != nil {
			tb.Errorf("lsptest: the server did not stop after the client went away: %v", err)
		}
	})
	return &InProcess{Client: &Client{Conn: p.Conn, tb: tb}, Pipe: p}
}

// Served waits for serve to return and gives its result; the test fails
// if it does not return within Timeout.
func (p *InProcess) Served() error {
	p.tb.Helper()
	err, werr := p.Pipe.WaitServed(Timeout)
	if werr != nil {
		p.tb.Fatalf("lsptest: %v", werr)
	}
	return err
}

// CloseClient closes the client's end: the server reads EOF.
func (p *InProcess) CloseClient() { _ = p.Pipe.CloseClient() }

// Server is the real heddle-ls binary for tests.
type Server struct {
	*Client
	proc   *Process
	stderr *lockedBuffer
}

// Start runs the real heddle-ls binary (LSP mode, --log-level debug, logs
// kept for failure messages) with extra args. When the test ends the
// process is killed if it still runs, its log is printed if the test
// failed, and a data race it reported fails the test.
func Start(tb testing.TB, args ...string) *Server {
	tb.Helper()
	stderr := &lockedBuffer{}
	p, err := StartProcess(BinaryPath(tb), append([]string{"--stdio", "--log-level", "debug"}, args...), stderr)
	if err != nil {
		tb.Fatalf("lsptest: %v", err)
	}
	s := &Server{Client: &Client{Conn: p.Conn, tb: tb}, proc: p, stderr: stderr}
	tb.Cleanup(func() {
		p.Kill()
		if log := s.Stderr(); strings.Contains(log, "WARNING: DATA RACE") {
			tb.Errorf("heddle-ls reported a data race:\n%s", log)
		} else if tb.Failed() {
			tb.Logf("heddle-ls pid %d log (tail):\n%s", s.PID(), tail(log, 8000))
		}
	})
	return s
}

// PID is the server's process id.
func (s *Server) PID() int { return s.proc.PID() }

// Stderr is the server's log so far.
func (s *Server) Stderr() string { return s.stderr.String() }

// CloseStdin closes the server's input, as an editor that goes away does.
func (s *Server) CloseStdin() { _ = s.proc.CloseStdin() }

// Exited is closed once the process has exited and been reaped.
func (s *Server) Exited() <-chan struct{} { return s.proc.Exited() }

// Wait waits up to d for the process to exit and returns its exit code
// (-1 if a signal ended it); the test fails if it does not exit in time.
func (s *Server) Wait(d time.Duration) int {
	s.tb.Helper()
	code, err := s.proc.WaitExit(d)
	if err != nil {
		s.tb.Fatalf("lsptest: heddle-ls %v", err)
	}
	return code
}

// Alive reports whether the process is still running.
func (s *Server) Alive() bool {
	select {
	case <-s.proc.Exited():
		return false
	default:
		return true
	}
}

// Signal sends sig to the server.
func (s *Server) Signal(sig syscall.Signal) error { return s.proc.Signal(sig) }

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// BinaryPath builds cmd/heddle-ls once per test binary (with -race when the
// tests run with it, so a data race in the server fails the test) and
// returns its path. It goes into simtest's build directory, which
// simtest.Main removes at the end.
func BinaryPath(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		var flags []string
		if raceEnabled {
			flags = append(flags, "-race")
		}
		binPath, buildErr = simtest.BuildBinary(filepath.Dir(simtest.BinaryPath(tb)), "./cmd/heddle-ls", flags...)
	})
	if buildErr != nil {
		tb.Fatalf("lsptest: %v", buildErr)
	}
	return binPath
}

// Children lists the pids whose parent is pid (from /proc/*/stat).
func Children(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parens.
		s := string(data)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		var state byte
		var ppid, child int
		if _, err := fmt.Sscanf(s[i+1:], " %c %d", &state, &ppid); err != nil || ppid != pid {
			continue
		}
		if _, err := fmt.Sscanf(e.Name(), "%d", &child); err == nil {
			out = append(out, child)
		}
	}
	return out
}

// OpenFDs lists a process's open file descriptors as "fd -> target".
func OpenFDs(pid int) ([]string, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // closed meanwhile
			}
			return nil, err
		}
		out = append(out, e.Name()+" -> "+target)
	}
	return out, nil
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
