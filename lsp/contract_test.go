package lsp

import (
	"github.com/heddle-ls/heddle-ls/internal/clip"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// The contract's names, as the package's older tests spell them.
const (
	CmdStatus          = protocol.CmdStatus
	CmdRefresh         = protocol.CmdRefresh
	CmdExplain         = protocol.CmdExplain
	CmdOperations      = protocol.CmdOperations
	CmdSignalHealth    = protocol.CmdSignalHealth
	CmdHooks           = protocol.CmdHooks
	MethodStatus       = protocol.MethodStatus
	MethodServerStatus = protocol.MethodServerStatus
)

var Commands = protocol.Commands

type (
	StatusParams       = protocol.StatusParams
	ServerStatusParams = protocol.ServerStatusParams
	ErrorData          = protocol.ErrorData
	OperationsResult   = protocol.OperationsResult
	SignalHealthResult = protocol.SignalHealthResult
	HooksResult        = protocol.HooksResult
	ExplainResult      = protocol.ExplainResult
	OperationHit       = protocol.OperationHit
)

func pathToURI(p string) string { return protocol.PathToURI(p) }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func truncate(s string, n int) string { return clip.String(s, n) }
