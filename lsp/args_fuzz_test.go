// args_fuzz_test.go: fuzzing of executeCommand argument decoding and of the
// whole server on arbitrary input bytes.

package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"

	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/internal/lsptest"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// argCommands says, per command, whether it takes an options object.
var argCommands = []struct {
	name         string
	takesOptions bool
}{
	{protocol.CmdStatus, false}, {protocol.CmdRefresh, false}, {protocol.CmdExplain, false},
	{protocol.CmdOperations, true}, {protocol.CmdSignalHealth, true}, {protocol.CmdHooks, false},
}

// FuzzCommandArgs: for every command, decoding any JSON arguments array
// never panics, fails only with -32602 InvalidParams, and what it accepts
// is valid (a non-empty folder; an operations query within its ranges).
func FuzzCommandArgs(f *testing.F) {
	for _, seed := range []string{
		`[]`, `null`, `["file:///tmp/x"]`, `["/abs/path"]`, `[null]`, `[""]`,
		`[{"limit":5}]`, `["file:///r",{"limit":10,"verbs":["snapshot"],"sinceSecs":1,"untilSecs":2}]`,
		`["file:///r",{"limit":-1}]`, `["file:///r",{"limit":10001}]`, `["file:///r",{"verbs":[""]}]`,
		`["file:///r",{"sinceSecs":5,"untilSecs":4}]`, `["file:///r",{"limit":"5"}]`, `["file:///r",{"bogus":1}]`,
		`["file:///r",{"windowStates":4294967296}]`, `["file:///r",{"windowStates":-1}]`, `[1,2,3]`,
		`["a","b"]`, `[{"limit":1.5}]`, `[[]]`, `[true]`, `["file:///r",{"limit":null,"actor":null}]`,
		`["file:///r",{"verbs":"snapshot"}]`, `["file:///r",{"limit":1e3}]`, `["\u0000"]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var args []json.RawMessage
		if json.Unmarshal(data, &args) != nil {
			return // the executeCommand params decoder rejects it first
		}
		for _, c := range argCommands {
			folder, has, opts, err := splitArgs(c.name, args, c.takesOptions)
			if err != nil {
				mustBeInvalidParams(t, c.name, err)
				continue
			}
			if has && folder == "" {
				t.Fatalf("%s: accepted an empty folder from %s", c.name, data)
			}
			if len(opts) > 0 && !c.takesOptions {
				t.Fatalf("%s: options accepted by a command that takes none: %s", c.name, data)
			}
			switch c.name {
			case protocol.CmdOperations:
				var o operationsOptions
				if err := decodeOptions(c.name, opts, &o); err != nil {
					mustBeInvalidParams(t, c.name, err)
					continue
				}
				q := o.query()
				if q.Validate() != nil {
					continue // wrapped into -32602 by cmdOperations
				}
				if q.Limit < 0 || q.Limit > heddle.MaxOperationLimit || q.SinceSecs < 0 || q.UntilSecs < 0 ||
					(q.SinceSecs > 0 && q.UntilSecs > 0 && q.SinceSecs > q.UntilSecs) {
					t.Fatalf("operations accepted an out-of-range query %+v from %s", q, data)
				}
				for _, v := range q.Verbs {
					if v == "" {
						t.Fatalf("operations accepted an empty verb from %s", data)
					}
				}
			case protocol.CmdSignalHealth:
				var o signalHealthOptions
				if err := decodeOptions(c.name, opts, &o); err != nil {
					mustBeInvalidParams(t, c.name, err)
				}
			}
		}
	})
}

func mustBeInvalidParams(t *testing.T, command string, err error) {
	t.Helper()
	var je *jsonrpc2.Error
	if !errors.As(err, &je) || je.Code != jsonrpc2.InvalidParams {
		t.Fatalf("%s: error %v (%T) is not -32602", command, err, err)
	}
	if je.Message == "" {
		t.Fatalf("%s: -32602 without a message", command)
	}
}

// FuzzExecuteCommand runs whole workspace/executeCommand params (command
// name and arguments) through a server whose folders have no repository:
// it never panics, answers within a second, and every error is a JSON-RPC
// error the client can act on (-32602 for bad input, -32803 for a folder
// that cannot answer).
func FuzzExecuteCommand(f *testing.F) {
	for _, seed := range []string{
		`{"command":"heddle.status"}`, `{"command":"heddle.status","arguments":["file:///nowhere/a"]}`,
		`{"command":"heddle.refresh","arguments":["/nowhere/b/sub"]}`,
		`{"command":"heddle.explain","arguments":["file:///nowhere/a"]}`,
		`{"command":"heddle.operations","arguments":["file:///nowhere/a",{"limit":3}]}`,
		`{"command":"heddle.operations","arguments":[{"limit":3}]}`,
		`{"command":"heddle.signalHealth","arguments":["/nowhere/b",{"windowStates":10}]}`,
		`{"command":"heddle.hooks","arguments":["http://host/x"]}`, `{"command":"heddle.hooks","arguments":["relative"]}`,
		`{"command":"nope"}`, `{"command":7}`, `[]`, `null`, `{"command":"heddle.status","arguments":{}}`,
		`{"command":"heddle.explain","arguments":["file://remote/x"]}`, `{"command":"heddle.status","arguments":["file:///nowhere/a/../b"]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > 64<<10 {
			return
		}
		s := NewServer(Options{})
		for _, u := range []string{"file:///nowhere/a", "file:///nowhere/b", "untitled:x"} {
			s.addFolder(workspaceFolder{URI: u}, false)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		type answer struct {
			res any
			err error
		}
		done := make(chan answer, 1)
		go func() {
			res, err := s.executeCommand(ctx, raw)
			done <- answer{res, err}
		}()
		var a answer
		select {
		case a = <-done:
		case <-time.After(2 * time.Second):
			t.Fatalf("executeCommand(%s) did not answer", raw)
		}
		if a.err == nil {
			if _, err := json.Marshal(a.res); err != nil {
				t.Fatalf("result of %s does not marshal: %v", raw, err)
			}
			return
		}
		var je *jsonrpc2.Error
		if !errors.As(a.err, &je) {
			t.Fatalf("executeCommand(%s) error %v (%T) is not a JSON-RPC error", raw, a.err, a.err)
		}
		if je.Code != jsonrpc2.InvalidParams && je.Code != codeRequestFailed {
			t.Fatalf("executeCommand(%s) answered code %d: %s", raw, je.Code, je.Message)
		}
	})
}

// pipeRWC is the server's end of two io.Pipes.
type pipeRWC struct {
	r *io.PipeReader
	w *io.PipeWriter
}

func (p pipeRWC) Read(b []byte) (int, error)  { return p.r.Read(b) }
func (p pipeRWC) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p pipeRWC) Close() error                { p.r.Close(); return p.w.Close() }

// FuzzServe feeds arbitrary bytes (bounded) to a whole Server, then EOF:
// it never panics, writes only well-formed Content-Length frames of JSON,
// and Serve returns promptly once the input ends.
func FuzzServe(f *testing.F) {
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{},"workspaceFolders":[{"uri":"file:///nowhere/a","name":"a"}]}}`
	for _, seed := range []string{
		framed(init) + framed(`{"jsonrpc":"2.0","method":"initialized","params":{}}`) +
			framed(`{"jsonrpc":"2.0","id":2,"method":"workspace/executeCommand","params":{"command":"heddle.status"}}`),
		framed(`{"jsonrpc":"2.0","id":1,"method":"workspace/executeCommand","params":{"command":"heddle.status"}}`),
		framed(init) + framed(`{"jsonrpc":"2.0","id":2,"method":"shutdown"}`) + framed(`{"jsonrpc":"2.0","method":"exit"}`),
		framed(init) + framed(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":2}}`) + framed(`{"jsonrpc":"2.0","id":3,"method":"x"}`),
		framed(init) + framed(`{"jsonrpc":"2.0","method":"workspace/didChangeWorkspaceFolders","params":{"event":{"added":[{"uri":"file:///nowhere/c"}],"removed":[{"uri":"file:///nowhere/a"}]}}}`),
		framed(init) + framed(`{"jsonrpc":"2.0","method":"workspace/didChangeConfiguration","params":{"settings":{"heddle":{"queryTimeoutMs":"x","notifications":"off"}}}}`),
		"Content-Length: 10\r\n\r\n{\"id\":1,\"" + framed(init),
		framed(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"rootUri":"file:///nowhere","initializationOptions":{"heddle":{"connectTimeoutMs":-1}}}}`),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		inR, inW := io.Pipe()
		outR, outW := io.Pipe()
		srv := NewServer(Options{})
		served := make(chan error, 1)
		go func() { served <- srv.Serve(context.Background(), pipeRWC{inR, outW}) }()
		var out strings.Builder
		read := make(chan struct{})
		go func() {
			defer close(read)
			_, _ = io.Copy(&out, outR)
		}()
		go func() {
			_, _ = inW.Write(data)
			_ = inW.Close()
		}()
		select {
		case <-served:
		case <-time.After(5 * time.Second):
			t.Fatalf("Serve did not return within 5s of EOF on %q", data)
		}
		_ = outW.Close()
		_ = inR.Close()
		<-read
		checkFrames(t, out.String())
	})
}

// checkFrames asserts s is a sequence of Content-Length frames of JSON-RPC
// objects, read by the tests' strict client.
func checkFrames(t *testing.T, s string) {
	t.Helper()
	c := lsptest.NewConn(strings.NewReader(s), io.Discard)
	<-c.Done()
	if err := c.ReadErr(); !errors.Is(err, io.EOF) {
		t.Fatalf("the server wrote something that is not LSP: %v", err)
	}
}
