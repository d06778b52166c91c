// errors.go: the one place daemonlink's query errors become JSON-RPC errors.

package lsp

import (
	"encoding/json"
	"errors"
	"fmt"

	"go.lsp.dev/jsonrpc2"

	"github.com/heddle-ls/heddle-ls/daemonlink"
)

// Error codes (see docs/LSP.md):
//   - -32602 InvalidParams: the command's arguments are wrong (bad option,
//     unknown folder); data {folder} where a folder is involved;
//   - -32803 RequestFailed: the daemon cannot answer (not ready, API lacks
//     the call, deadline, daemon error); data {folder, state, reason, hint, kind};
//   - -32800 RequestCancelled: the client cancelled.

// ErrorData is the data object of a RequestFailed error.
type ErrorData struct {
	Folder string `json:"folder"`
	State  string `json:"state"`
	Reason string `json:"reason"`
	Hint   string `json:"hint"`
	Kind   string `json:"kind"` // the daemonlink.QueryErrorKind, or "no-repo"
}

func errorData(v any) *json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	raw := json.RawMessage(b)
	return &raw
}

func invalidParams(msg string) error {
	return jsonrpc2.NewError(jsonrpc2.InvalidParams, msg)
}

// notReadyError answers a query against a folder whose daemon cannot take it.
func notReadyError(uri string, st daemonlink.Status, kind string) error {
	msg := fmt.Sprintf("heddle daemon for %s is not ready (%s): %s", uri, st.State, st.Message)
	if st.Hint != "" {
		msg += "; " + st.Hint
	}
	return &jsonrpc2.Error{Code: codeRequestFailed, Message: msg, Data: errorData(ErrorData{
		Folder: uri, State: string(st.State), Reason: st.Reason, Hint: st.Hint, Kind: kind,
	})}
}

// queryError maps an error from a daemonlink query on folder uri, whose
// status was st when the query started.
func queryError(uri, what string, st daemonlink.Status, err error) error {
	var qe *daemonlink.QueryError
	if !errors.As(err, &qe) {
		return &jsonrpc2.Error{Code: codeRequestFailed,
			Message: fmt.Sprintf("%s for %s failed: %v", what, uri, err),
			Data:    errorData(ErrorData{Folder: uri, State: string(st.State), Reason: st.Reason, Kind: string(daemonlink.ErrDaemon)})}
	}
	data := ErrorData{Folder: uri, State: string(st.State), Reason: st.Reason, Hint: qe.Hint, Kind: string(qe.Kind)}
	msg := fmt.Sprintf("%s for %s: %s", what, uri, qe.Message)
	code := codeRequestFailed
	switch qe.Kind {
	case daemonlink.ErrNotReady, daemonlink.ErrNotTracked:
		// The message must say the state and what to do: use the status
		// the client sees, plus the query error's own hint if it has one.
		if st.State != "" && st.State != daemonlink.StateReady {
			return notReadyError(uri, st, string(qe.Kind))
		}
	case daemonlink.ErrUnsupported:
		if qe.Hint == "" {
			data.Hint = "this daemon speaks " + daemonlink.APIV1Alpha1 +
				", which lacks this query; use a heddle daemon that serves heddle.v1 (heddle ≤ v0.2.x)"
		}
	case daemonlink.ErrDeadline:
		if qe.Hint == "" {
			data.Hint = "the daemon did not answer in time; raise the queryTimeoutMs setting or run heddle.explain"
		}
	case daemonlink.ErrCanceled:
		code = codeRequestCancelled
	case daemonlink.ErrBadQuery:
		code = jsonrpc2.InvalidParams
	}
	if data.Hint != "" {
		msg += "; " + data.Hint
	}
	return &jsonrpc2.Error{Code: code, Message: msg, Data: errorData(data)}
}
