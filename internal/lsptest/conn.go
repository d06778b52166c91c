// Package lsptest is heddle-ls's LSP client for tests and benchmarks. Its
// core, Conn, returns errors and never fails a test by itself, so the
// bench (a main package) uses it as the tests do: strict Content-Length
// framing over any byte stream, requests and waits with deadlines (never
// sleeps), every message stamped with the moment its last byte was read,
// requests from the server answered. A server runs as a child process
// (StartProcess) or in this process (NewPipe, given the function that
// serves). Client, Server and InProcess wrap the three for tests: what can
// go wrong fails the test.
//
// lsptest speaks the contract (lsp/protocol) and never imports the server.
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
	"time"

	"github.com/heddle-ls/heddle-ls/internal/clip"
)

// Timeout bounds every wait and write that is not given its own deadline.
// Generous: the machine is shared; success returns as soon as it happens.
const Timeout = 10 * time.Second

// Errors of waits. A wait that ends because the stream did wraps ErrClosed
// and the reason (io.EOF for a clean end, an ErrProtocol error otherwise).
var (
	ErrTimeout = errors.New("timed out")
	ErrClosed  = errors.New("the server's output ended")
)

// Message is any message from the server.
type Message struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *Error          `json:"error,omitempty"`

	Raw string    `json:"-"` // the body as received
	At  time.Time `json:"-"` // when its last byte was read, before decoding
}

// Error is a JSON-RPC error object.
type Error struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// IsResponse reports whether m answers a request of ours.
func (m Message) IsResponse() bool { return m.Method == "" }

// IsRequest reports whether m is a request from the server (it has an id).
func (m Message) IsRequest() bool { return m.Method != "" && len(m.ID) > 0 }

// Answer decides the response to a request from the server: the result to
// send, or ok false to leave it for the caller (see Conn.Respond).
type Answer func(req Message) (result any, ok bool)

// AnswerNull answers every request with a null result, as an editor that
// supports nothing the server asks for would.
func AnswerNull(Message) (any, bool) { return nil, true }

// Conn is one LSP session seen from the editor's side, over any byte
// stream. All methods are safe for concurrent use. Its read loop owns the
// reader; the log of messages only grows.
type Conn struct {
	w       io.Writer
	writeMu sync.Mutex
	idMu    sync.Mutex
	nextID  int

	mu        sync.Mutex
	msgs      []Message
	responses map[string]int // response id (its JSON) → index in msgs
	changed   chan struct{}  // closed and replaced on every new message
	readErr   error          // why the read loop ended
	answer    Answer
	done      chan struct{} // closed when the read loop ends
}

// NewConn speaks LSP to a server that reads w and writes r, and reads r
// until it ends or breaks the protocol. Requests from the server are
// answered with null until SetAnswer says otherwise. The caller closes the
// streams.
func NewConn(r io.Reader, w io.Writer) *Conn {
	c := &Conn{w: w, responses: map[string]int{}, changed: make(chan struct{}),
		answer: AnswerNull, done: make(chan struct{})}
	go c.readLoop(r)
	return c
}

func (c *Conn) readLoop(r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		body, err := ReadFrame(br)
		at := time.Now()
		if err == nil {
			var m Message
			if m, err = parseMessage(body); err == nil {
				m.At = at
				c.add(m)
				continue
			}
		}
		c.mu.Lock()
		c.readErr = err
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
		close(c.done)
		return
	}
}

func parseMessage(body []byte) (Message, error) {
	var m Message
	if err := json.Unmarshal(body, &m); err != nil {
		return m, fmt.Errorf("%w: bad JSON %.200q: %w", ErrProtocol, body, err)
	}
	if m.JSONRPC != "2.0" || (m.Method == "" && m.ID == nil) {
		return m, protocolErr("not a JSON-RPC 2.0 message: %.200q", body)
	}
	m.Raw = string(body)
	return m, nil
}

func (c *Conn) add(m Message) {
	c.mu.Lock()
	if _, dup := c.responses[string(m.ID)]; m.IsResponse() && !dup {
		c.responses[string(m.ID)] = len(c.msgs) // the first answer counts
	}
	c.msgs = append(c.msgs, m)
	close(c.changed)
	c.changed = make(chan struct{})
	answer := c.answer
	c.mu.Unlock()
	if m.IsRequest() {
		// Not from the read loop itself: the server may be blocked writing
		// to us while our answer waits for it to read.
		go func() {
			if result, ok := answer(m); ok {
				_ = c.Respond(m.ID, result) // fails only once the stream is gone
			}
		}()
	}
}

// SetAnswer sets how later requests from the server are answered.
func (c *Conn) SetAnswer(a Answer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.answer = a
}

// WriteBytes sends b as it is, without framing, and returns when it was
// written; the write fails after Timeout when the stream supports
// deadlines (net.Conn, os.Pipe).
func (c *Conn) WriteBytes(b []byte) (time.Time, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if d, ok := c.w.(interface{ SetWriteDeadline(time.Time) error }); ok {
		_ = d.SetWriteDeadline(time.Now().Add(Timeout))
	}
	at := time.Now()
	if _, err := c.w.Write(b); err != nil {
		return at, fmt.Errorf("write to the server: %w", err)
	}
	return at, nil
}

// WriteFramed sends one body with its Content-Length header.
func (c *Conn) WriteFramed(body []byte) (time.Time, error) {
	return c.WriteBytes(AppendFrame(nil, body))
}

func (c *Conn) send(v map[string]any) (time.Time, error) {
	v["jsonrpc"] = "2.0"
	b, err := json.Marshal(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("marshal: %w", err)
	}
	return c.WriteFramed(b)
}

// Call sends a request and returns its id and when it was written, without
// waiting for the answer (see Response).
func (c *Conn) Call(method string, params any) (int, time.Time, error) {
	c.idMu.Lock()
	c.nextID++
	id := c.nextID
	c.idMu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	at, err := c.send(msg)
	if err != nil {
		return id, at, fmt.Errorf("%s: %w", method, err)
	}
	return id, at, nil
}

// Notify sends a notification and returns when it was written.
func (c *Conn) Notify(method string, params any) (time.Time, error) {
	msg := map[string]any{"method": method}
	if params != nil {
		msg["params"] = params
	}
	return c.send(msg)
}

// Respond answers the server's request id with result.
func (c *Conn) Respond(id json.RawMessage, result any) error {
	_, err := c.send(map[string]any{"id": id, "result": result})
	return err
}

// Response waits up to d for the response to request id.
func (c *Conn) Response(id int, d time.Duration) (Message, error) {
	key := strconv.Itoa(id)
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		c.mu.Lock()
		i, ok := c.responses[key]
		var m Message
		if ok {
			m = c.msgs[i]
		}
		changed, readErr := c.changed, c.readErr
		c.mu.Unlock()
		if ok {
			return m, nil
		}
		if readErr != nil {
			return m, fmt.Errorf("response to #%d: %w: %w", id, ErrClosed, readErr)
		}
		select {
		case <-changed:
		case <-timer.C:
			return m, fmt.Errorf("response to #%d: %w after %v", id, ErrTimeout, d)
		}
	}
}

// Request sends a request and waits up to d for its response. The
// duration is from the moment the request was written to the moment the
// response had been read.
func (c *Conn) Request(d time.Duration, method string, params any) (Message, time.Duration, error) {
	id, sent, err := c.Call(method, params)
	if err != nil {
		return Message{}, 0, err
	}
	m, err := c.Response(id, d)
	if err != nil {
		return m, 0, fmt.Errorf("%s: %w", method, err)
	}
	return m, m.At.Sub(sent), nil
}

// ExecuteCommand runs workspace/executeCommand (see Request).
func (c *Conn) ExecuteCommand(d time.Duration, command string, args ...any) (Message, time.Duration, error) {
	if args == nil {
		args = []any{}
	}
	return c.Request(d, "workspace/executeCommand", map[string]any{"command": command, "arguments": args})
}

// Wait returns the first message at index from or later (see Len) that
// matches, waiting up to d for it.
func (c *Conn) Wait(from int, d time.Duration, match func(Message) bool) (Message, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for i := from; ; {
		c.mu.Lock()
		msgs, changed, readErr := c.msgs, c.changed, c.readErr
		c.mu.Unlock()
		for ; i < len(msgs); i++ {
			if match(msgs[i]) {
				return msgs[i], nil
			}
		}
		if readErr != nil {
			return Message{}, fmt.Errorf("%w: %w", ErrClosed, readErr)
		}
		select {
		case <-changed:
		case <-timer.C:
			return Message{}, fmt.Errorf("%w after %v", ErrTimeout, d)
		}
	}
}

// Len is the number of messages received so far: a mark for Wait.
func (c *Conn) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

// Messages returns every message received so far; the slice is shared:
// read it, do not change it.
func (c *Conn) Messages() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.msgs[:len(c.msgs):len(c.msgs)]
}

// Count is how many messages so far match.
func (c *Conn) Count(match func(Message) bool) int {
	n := 0
	for _, m := range c.Messages() {
		if match(m) {
			n++
		}
	}
	return n
}

// ReadErr is why the read loop ended: nil while it runs, io.EOF when the
// server closed its output cleanly, else an ErrProtocol error.
func (c *Conn) ReadErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readErr
}

// Done is closed once the read loop has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Initialize sends initialize with folders (URIs) as workspaceFolders and
// extra merged over the default params, waits up to d for its answer, then
// sends initialized. It returns the answer and the moment initialized was
// written.
func (c *Conn) Initialize(d time.Duration, folders []string, extra map[string]any) (Message, time.Time, error) {
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
	resp, _, err := c.Request(d, "initialize", params)
	if err != nil {
		return resp, time.Time{}, err
	}
	if resp.Error != nil {
		return resp, time.Time{}, fmt.Errorf("initialize failed: %s", resp.Raw)
	}
	at, err := c.Notify("initialized", map[string]any{})
	return resp, at, err
}

// Shutdown sends shutdown, which must succeed within d, then exit.
func (c *Conn) Shutdown(d time.Duration) error {
	resp, _, err := c.Request(d, "shutdown", nil)
	if err != nil {
		return err
	}
	if resp.Error != nil {
		return fmt.Errorf("shutdown failed: %s", resp.Raw)
	}
	_, err = c.Notify("exit", nil)
	return err
}

// Transcript renders every message so far, for failure messages.
func (c *Conn) Transcript() string {
	var b strings.Builder
	for _, m := range c.Messages() {
		b.WriteString(clip.String(m.Raw, 400))
		b.WriteByte('\n')
	}
	if err := c.ReadErr(); err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintf(&b, "(read error: %v)\n", err)
	}
	return b.String()
}

// DecodeResult unmarshals a successful response's result.
func DecodeResult[T any](m Message) (T, error) {
	var v T
	if m.Error != nil {
		return v, fmt.Errorf("error response: %s", m.Raw)
	}
	if err := json.Unmarshal(m.Result, &v); err != nil {
		return v, fmt.Errorf("decode result %s: %w", clip.String(string(m.Result), 400), err)
	}
	return v, nil
}
