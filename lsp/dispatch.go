// dispatch.go: routing of incoming messages, lifecycle gating, request
// goroutines and $/cancelRequest.

package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"go.lsp.dev/jsonrpc2"
)

// handle is called by jsonrpc2 synchronously on its read goroutine, so it
// must never block on a daemon: lifecycle messages are handled inline (their
// order matters and they are quick); executeCommand runs in a goroutine of
// its own so a hung daemon delays nothing else. handle never returns an
// error, since that would end the connection.
func (s *Server) handle(_ context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	method := req.Method()
	if method == "exit" {
		s.exit()
		return nil
	}
	call, isCall := req.(*jsonrpc2.Call)
	s.mu.Lock()
	ph := s.phase
	s.mu.Unlock()

	if !isCall {
		s.handleNotification(ph, method, req.Params())
		return nil
	}
	respond := func(result any, err error) {
		// Reply on the server's context: the request's own may be cancelled.
		if rerr := reply(s.ctx, result, err); rerr != nil {
			s.log.Debug("reply not sent", "method", method, "err", rerr)
		}
	}
	switch {
	case ph == phaseNew && method != "initialize":
		respond(nil, jsonrpc2.Errorf(codeServerNotInitialized, "server not initialized: send initialize first (got %s)", method))
		return nil
	case ph == phaseShutdown:
		respond(nil, jsonrpc2.Errorf(jsonrpc2.InvalidRequest, "server is shut down: only exit is accepted (got %s)", method))
		return nil
	}
	switch method {
	case "initialize":
		respond(s.initialize(req.Params()))
	case "shutdown":
		respond(s.shutdownRequest())
	case "workspace/executeCommand":
		s.goRequest(call, respond, s.executeCommand)
	default:
		respond(nil, jsonrpc2.Errorf(jsonrpc2.MethodNotFound, "method not found: %s", method))
	}
	return nil
}

func (s *Server) handleNotification(ph phase, method string, params json.RawMessage) {
	if ph == phaseNew || ph == phaseShutdown {
		s.log.Debug("dropping notification outside a running session", "method", method)
		return
	}
	switch method {
	case "initialized":
		s.initialized()
	case "$/cancelRequest":
		s.cancelRequest(params)
	case "workspace/didChangeWorkspaceFolders":
		s.didChangeWorkspaceFolders(params)
	case "workspace/didChangeConfiguration":
		s.didChangeConfiguration(params)
	default:
		// Unknown $/ notifications must be ignored; others are, too (a
		// notification has no way to return an error), but worth a log line.
		if !strings.HasPrefix(method, "$/") {
			s.log.Info("ignoring unknown notification", "method", method)
		}
	}
}

// goRequest runs a request in its own goroutine with a context that
// $/cancelRequest and Serve's end both cancel.
func (s *Server) goRequest(call *jsonrpc2.Call, respond func(any, error),
	fn func(ctx context.Context, params json.RawMessage) (any, error)) {
	key := idKey(call.ID())
	ctx, cancel := context.WithCancel(s.ctx)
	s.mu.Lock()
	s.inflight[key] = cancel
	s.mu.Unlock()
	s.requests.Add(1)
	go func() {
		defer s.requests.Done()
		defer func() {
			s.mu.Lock()
			delete(s.inflight, key)
			s.mu.Unlock()
			cancel()
		}()
		result, err := fn(ctx, call.Params())
		if err != nil && ctx.Err() != nil && s.ctx.Err() == nil {
			// Cancelled by the client: say so with the code it expects.
			err = jsonrpc2.Errorf(codeRequestCancelled, "request cancelled")
		}
		respond(result, err)
	}()
}

func (s *Server) cancelRequest(params json.RawMessage) {
	var p struct {
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(params, &p); err != nil {
		s.log.Debug("bad $/cancelRequest", "err", err)
		return
	}
	key := rawIDKey(p.ID)
	s.mu.Lock()
	cancel := s.inflight[key]
	s.mu.Unlock()
	if cancel != nil {
		s.log.Debug("cancelling request", "id", key)
		cancel()
	}
}

// idKey spells a request id so that 1 and "1" differ.
func idKey(id jsonrpc2.ID) string { return fmt.Sprintf("%q", id) }

// rawIDKey spells an id from $/cancelRequest the same way idKey does.
func rawIDKey(raw json.RawMessage) string {
	var n int32
	if err := json.Unmarshal(raw, &n); err == nil {
		return "#" + strconv.FormatInt(int64(n), 10)
	}
	var str string
	if err := json.Unmarshal(raw, &str); err == nil {
		return strconv.Quote(str)
	}
	return string(raw)
}
