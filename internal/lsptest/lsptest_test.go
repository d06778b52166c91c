package lsptest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/simtest"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

func TestMain(m *testing.M) { simtest.Main(m) }

func TestReadFrame_Strict(t *testing.T) {
	body := `{"jsonrpc":"2.0","method":"x"}`
	ok := []string{
		"Content-Length: 30\r\n\r\n" + body,
		"content-length:30\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + body,
		"Content-Length: 30\r\nContent-Length: 30\r\n\r\n" + body,
	}
	for _, in := range ok {
		got, err := ReadFrame(bufio.NewReader(strings.NewReader(in)))
		if err != nil || string(got) != body {
			t.Errorf("ReadFrame(%q) = %q, %v", in, got, err)
		}
	}
	bad := []struct{ in, why string }{
		{"Content-Length: banana\r\n\r\n{}", "bad Content-Length"},
		{"Content-Length: -1\r\n\r\n{}", "negative"},
		{"Content-Length: +2\r\n\r\n{}", "bad Content-Length"},
		{"Content-Length: \r\n\r\n{}", "bad Content-Length"},
		{"Content-Length: 99999999999999999999\r\n\r\n", "bad Content-Length"},
		{"Content-Length: 1099511627776\r\n\r\n", "limit"},
		{"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", "conflicting"},
		{"Content-Type: x\r\n\r\n{}", "without Content-Length"},
		{"\r\n{}", "without Content-Length"},
		{"Content-Length: 2\n\n{}", "CRLF"},
		{"no colon here\r\n\r\n", "bad header line"},
		{": 2\r\n\r\n{}", "bad header line"},
		{"Content-Length: 10\r\n\r\n{}", "short body"},
		{"Content-Length: 2\r\n", "inside a header"},
		{"Content-Length: 2", "inside a header"},
		{"Content-Length: " + strings.Repeat("1", 100<<10) + "\r\n\r\n", "longer than"},
	}
	for _, tc := range bad {
		_, err := ReadFrame(bufio.NewReader(strings.NewReader(tc.in)))
		if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("ReadFrame(%.60q) = %v; want an ErrProtocol saying %q", tc.in, err, tc.why)
		}
	}
	if _, err := ReadFrame(bufio.NewReader(strings.NewReader(""))); err != io.EOF {
		t.Errorf("ReadFrame at the end of the stream = %v, want io.EOF", err)
	}
}

// FuzzReadFrame: whatever the server sends, the reader never panics, and
// every failure but the stream's clean end is an ErrProtocol.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte("Content-Length: 2\r\n\r\n{}Content-Length: 5\r\n\r\n{}"))
	f.Add([]byte("Content-Length: -1\r\n\r\nContent-Length: 99999999999999999999\r\n\r\n"))
	f.Add([]byte("\xfe\xfeContent-Length:\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(data), 64)
		for {
			body, err := ReadFrame(br)
			if err == io.EOF {
				return
			}
			if err != nil {
				if !errors.Is(err, ErrProtocol) {
					t.Fatalf("ReadFrame(%q) = %v, not an ErrProtocol", data, err)
				}
				return
			}
			if len(body) > len(data) {
				t.Fatalf("a body of %d bytes from %d bytes of input", len(body), len(data))
			}
		}
	})
}

// fakeServer is the server's side of a Conn, driven by hand.
type fakeServer struct {
	in  chan []byte    // frames the client wrote
	out *io.PipeWriter // what the client reads
}

func newFake(t *testing.T) (*Conn, *fakeServer) {
	t.Helper()
	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	t.Cleanup(func() { sw.Close(); sr.Close() })
	s := &fakeServer{in: make(chan []byte, 16), out: sw}
	go func() { // io.Pipe is synchronous: read all the time
		br := bufio.NewReader(sr)
		for {
			body, err := ReadFrame(br)
			if err != nil {
				close(s.in)
				return
			}
			s.in <- body
		}
	}()
	return NewConn(cr, cw), s
}

func (s *fakeServer) write(t *testing.T, b string) {
	t.Helper()
	if _, err := io.WriteString(s.out, b); err != nil {
		t.Fatal(err)
	}
}

func (s *fakeServer) read(t *testing.T) map[string]any {
	t.Helper()
	var body []byte
	select {
	case b, ok := <-s.in:
		if !ok {
			t.Fatal("the client wrote a bad frame")
		}
		body = b
	case <-time.After(Timeout):
		t.Fatal("the client wrote nothing")
	}
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil || v["jsonrpc"] != "2.0" {
		t.Fatalf("the client wrote %q", body)
	}
	return v
}

// A message's time is when its last byte arrived, not its header.
func TestConn_StampsArrivalAtTheLastByte(t *testing.T) {
	c, s := newFake(t)
	body := `{"jsonrpc":"2.0","method":"late"}`
	s.write(t, string(AppendFrame(nil, []byte(body)))[:30])
	if _, err := c.Wait(0, 20*time.Millisecond, func(Message) bool { return true }); !errors.Is(err, ErrTimeout) {
		t.Fatalf("a message before its last byte: %v", err)
	}
	before := time.Now()
	s.write(t, string(AppendFrame(nil, []byte(body)))[30:])
	m, err := c.Wait(0, Timeout, func(m Message) bool { return m.Method == "late" })
	if err != nil || m.At.Before(before) || m.Raw != body {
		t.Errorf("message %+v (err %v) stamped before its last byte was sent at %v", m, err, before)
	}
}

func TestConn_RequestsNotificationsAndAnswers(t *testing.T) {
	c, s := newFake(t)
	done := make(chan error, 1)
	var got Message
	go func() {
		var err error
		got, _, err = c.Request(Timeout, "ping", map[string]int{"n": 1})
		done <- err
	}()
	req := s.read(t)
	if req["method"] != "ping" || req["id"] != float64(1) {
		t.Fatalf("request = %v", req)
	}
	// A notification and a request from the server come first; the
	// request is answered null.
	s.write(t, string(AppendFrame(nil, []byte(`{"jsonrpc":"2.0","method":"note"}`))))
	s.write(t, string(AppendFrame(nil, []byte(`{"jsonrpc":"2.0","id":"q1","method":"workspace/configuration"}`))))
	if a := s.read(t); a["id"] != "q1" || a["result"] != nil || a["method"] != nil {
		t.Errorf("answer to the server's request = %v, want result null", a)
	}
	s.write(t, string(AppendFrame(nil, []byte(`{"jsonrpc":"2.0","id":1,"result":"pong"}`))))
	if err := <-done; err != nil || string(got.Result) != `"pong"` {
		t.Fatalf("Request = %s, %v", got.Raw, err)
	}
	// An answer of the caller's choosing.
	c.SetAnswer(func(m Message) (any, bool) { return []string{m.Method}, true })
	s.write(t, string(AppendFrame(nil, []byte(`{"jsonrpc":"2.0","id":7,"method":"m"}`))))
	if a := s.read(t); a["id"] != float64(7) || len(a["result"].([]any)) != 1 {
		t.Errorf("custom answer = %v", a)
	}
	if _, err := c.Notify("bye", nil); err != nil {
		t.Fatal(err)
	}
	if n := s.read(t); n["method"] != "bye" || n["id"] != nil {
		t.Errorf("notification = %v", n)
	}
	if n := c.Count(func(m Message) bool { return m.Method == "note" }); n != 1 {
		t.Errorf("%d notes logged, want 1", n)
	}
	// A request nobody answers times out, and says so.
	start := time.Now()
	if _, _, err := c.Request(30*time.Millisecond, "silence", nil); !errors.Is(err, ErrTimeout) || time.Since(start) > 5*time.Second {
		t.Errorf("unanswered request: %v after %v", err, time.Since(start))
	}
}

// What is not LSP ends the session with an error, never a panic, and every
// wait learns why.
func TestConn_ProtocolErrorsEndTheSession(t *testing.T) {
	for _, in := range []string{
		"Content-Length: -5\r\n\r\n",
		string(AppendFrame(nil, []byte(`{x}`))),
		string(AppendFrame(nil, []byte(`[]`))),
		string(AppendFrame(nil, []byte(`{"method":"x"}`))), // no jsonrpc
		string(AppendFrame(nil, []byte(`null`))),
	} {
		c, s := newFake(t)
		s.write(t, in)
		_, err := c.Wait(0, Timeout, func(Message) bool { return true })
		if !errors.Is(err, ErrClosed) || !errors.Is(err, ErrProtocol) || !errors.Is(c.ReadErr(), ErrProtocol) {
			t.Errorf("%q: wait = %v, ReadErr = %v", in, err, c.ReadErr())
		}
		if _, err := c.Response(1, Timeout); !errors.Is(err, ErrClosed) {
			t.Errorf("%q: response after the end = %v", in, err)
		}
		<-c.Done()
	}
	c, s := newFake(t)
	s.out.Close()
	if _, err := c.Wait(0, Timeout, func(Message) bool { return true }); !errors.Is(err, io.EOF) {
		t.Errorf("wait after a clean end = %v, want io.EOF", err)
	}
}

// The in-process mode: serve gets the server's end; closing the client's
// end ends it.
func TestNewPipe_ServesAndStops(t *testing.T) {
	p := NewPipe(func(ctx context.Context, rwc io.ReadWriteCloser) error {
		br := bufio.NewReader(rwc)
		for {
			body, err := ReadFrame(br)
			if err != nil {
				return err
			}
			var req struct{ ID int }
			_ = json.Unmarshal(body, &req)
			if _, err := rwc.Write(AppendFrame(nil, []byte(`{"jsonrpc":"2.0","id":`+strconv.Itoa(req.ID)+`,"result":null}`))); err != nil {
				return err
			}
		}
	})
	if m, took, err := p.Request(Timeout, "x", nil); err != nil || string(m.Result) != "null" || took <= 0 {
		t.Fatalf("request in process: %s %v %v", m.Raw, took, err)
	}
	if err := p.Stop(Timeout); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(p.ServeErr(), io.EOF) {
		t.Errorf("serve ended with %v, want EOF", p.ServeErr())
	}
}

// The client's contract against the real binary: requests with deadlines,
// notifications, a folder's status, and both ways a session ends.
func TestStart_SessionAndExit(t *testing.T) {
	repo := simtest.NewRepo(t)
	d := simtest.Start(t, repo)
	s := Start(t)
	init := s.Initialize([]string{protocol.PathToURI(repo)}, nil)
	if init.Error != nil || len(init.Result) == 0 {
		t.Fatalf("initialize: %s", init.Raw)
	}
	st := s.WaitState(protocol.PathToURI(repo), "ready", "", Timeout)
	if st.PID != d.PID() {
		t.Errorf("ready with pid %d, want %d", st.PID, d.PID())
	}
	m, took := s.ExecuteCommand(Timeout, protocol.CmdStatus)
	if got := Decode[[]protocol.StatusParams](t, m); len(got) != 1 || got[0].State != "ready" || took <= 0 {
		t.Errorf("heddle.status = %+v (took %v)", got, took)
	}
	if _, ok := s.WaitNotification("window/logMessage", Timeout, nil); !ok {
		t.Errorf("no window/logMessage")
	}
	mark := s.Len()
	d.Kill()
	s.WaitStateFrom(mark, protocol.PathToURI(repo), "stale", "pid-dead", Timeout)
	s.Shutdown()
	if code := s.Wait(5 * time.Second); code != 0 {
		t.Errorf("exit code %d after shutdown+exit", code)
	}
	if s.Alive() {
		t.Errorf("still alive")
	}
	if err := s.ReadErr(); err != io.EOF {
		t.Errorf("the session ended with %v, want EOF", err)
	}
}

func TestStart_ClosedStdinExitsOne(t *testing.T) {
	s := Start(t)
	s.Initialize(nil, nil)
	s.CloseStdin()
	if code := s.Wait(5 * time.Second); code != 1 {
		t.Errorf("exit code %d after EOF without shutdown, want 1", code)
	}
	if _, ok := s.Response(99, 10*time.Millisecond); ok {
		t.Errorf("a response to a request never sent")
	}
}
