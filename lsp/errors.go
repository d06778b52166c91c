// errors.go: the one place a folder's query errors become JSON-RPC errors.

package lsp

import (
	"encoding/json"
	"errors"

	"go.lsp.dev/jsonrpc2"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/folder"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// Error codes (see docs/LSP.md):
//   - -32602 InvalidParams: the command's arguments are wrong (bad option,
//     unknown folder); data {folder} where a folder is involved;
//   - -32803 RequestFailed: nobody can answer (not ready, the API lacks the
//     call, deadline, the source's error); data {folder, state, reason, hint, kind};
//   - -32800 RequestCancelled: the client cancelled.
const (
	codeServerNotInitialized jsonrpc2.Code = protocol.CodeServerNotInitialized
	codeRequestFailed        jsonrpc2.Code = protocol.CodeRequestFailed
	codeRequestCancelled     jsonrpc2.Code = protocol.CodeRequestCancelled
)

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

// requestError maps a folder's error to its JSON-RPC error; nil stays nil.
func requestError(err error) error {
	if err == nil {
		return nil
	}
	var fe *folder.Error
	if !errors.As(err, &fe) {
		return &jsonrpc2.Error{Code: codeRequestFailed, Message: err.Error()}
	}
	code := codeRequestFailed
	switch fe.Kind {
	case string(daemonlink.KindCanceled):
		code = codeRequestCancelled
	case string(daemonlink.KindBadQuery):
		code = jsonrpc2.InvalidParams
	}
	st := fe.Status
	return &jsonrpc2.Error{Code: code, Message: fe.Message, Data: errorData(protocol.ErrorData{
		Folder: st.Folder, State: st.State, Reason: st.Reason, Hint: fe.Hint, Kind: fe.Kind,
	})}
}
