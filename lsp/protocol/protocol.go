// Package protocol is heddle-ls's LSP contract (docs/LSP.md) as Go types:
// the custom methods and commands, the JSON shapes of notifications,
// results and error data, the health vocabulary and the file-URI helpers.
// It is a leaf: it imports nothing of heddle-ls, so the server, the CLI
// verbs, the test client and the benchmarks all speak it without importing
// one another.
package protocol

import (
	"fmt"
	"net/url"
	"path/filepath"
)

// Custom methods.
const (
	MethodStatus            = "heddle/status"             // server → client, per folder
	MethodOperationsChanged = "heddle/operationsChanged"  // server → client, per folder
	MethodServerStatus      = "experimental/serverStatus" // server → client, rust-analyzer's shape
)

// Commands, as listed in executeCommandProvider.commands.
const (
	CmdStatus       = "heddle.status"
	CmdRefresh      = "heddle.refresh"
	CmdExplain      = "heddle.explain"
	CmdOperations   = "heddle.operations"
	CmdSignalHealth = "heddle.signalHealth"
	CmdHooks        = "heddle.hooks"
)

// Commands lists every command in the order the server advertises them.
var Commands = []string{CmdStatus, CmdRefresh, CmdExplain, CmdOperations, CmdSignalHealth, CmdHooks}

// Health is the server's one verdict per folder (and, at its worst, for
// the session): every editor and status bar colours by it.
type Health string

const (
	HealthOK      Health = "ok"
	HealthWarning Health = "warning"
	HealthError   Health = "error"
)

// Worse reports whether h is more severe than o.
func (h Health) Worse(o Health) bool { return healthRank[h] > healthRank[o] }

var healthRank = map[Health]int{HealthOK: 0, HealthWarning: 1, HealthError: 2}

// Where a query goes (StatusParams.Queries) and who answered it (Source).
const (
	SourceDaemon = "daemon" // the agent daemon, over gRPC
	SourceCLI    = "cli"    // the heddle CLI's JSON contract, in-process
	SourceNone   = "none"   // nobody can answer (Queries only)
)

// StatusParams is one folder's status: the params of heddle/status and the
// elements of heddle.status / heddle.refresh results. State, Reason, PID,
// Socket and API describe the agent daemon; the second edition's Health,
// Queries, Heddle and Mount describe the folder as a whole.
type StatusParams struct {
	Folder    string `json:"folder"`
	Root      string `json:"root"`
	HeddleDir string `json:"heddleDir"`
	State     string `json:"state"`
	Reason    string `json:"reason"`
	Message   string `json:"message"`
	Hint      string `json:"hint"`
	PID       int    `json:"pid"`
	Socket    string `json:"socket"`
	API       string `json:"api"`
	Since     string `json:"since"`

	Health  Health       `json:"health"`
	Queries string       `json:"queries"`
	Heddle  *HeddleCLI   `json:"heddle"`
	Mount   *MountStatus `json:"mount"`
}

// Same reports whether two statuses look the same to the user: every field
// but Since (a field added later is compared too), the pointed-to values
// by value.
func (s StatusParams) Same(o StatusParams) bool {
	if !equalPtr(s.Heddle, o.Heddle) || !equalPtr(s.Mount, o.Mount) {
		return false
	}
	s.Since, o.Since = "", ""
	s.Heddle, o.Heddle, s.Mount, o.Mount = nil, nil, nil, nil
	return s == o
}

func equalPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// HeddleCLI is the heddle CLI a folder's queries can fall through to.
type HeddleCLI struct {
	Path    string `json:"path"`
	Version string `json:"version"`
}

// MountStatus is the mount daemon (heddled), read from its files alone.
type MountStatus struct {
	State    string `json:"state"` // running | stale | denied | unknown-protocol
	Reason   string `json:"reason"`
	Message  string `json:"message"`
	PID      int    `json:"pid"`
	Protocol int    `json:"protocol"`
	Mounts   int    `json:"mounts"`
}

// OperationsChangedParams is heddle/operationsChanged: the folder's
// operation log published new entries (or rewrote itself).
type OperationsChangedParams struct {
	Folder string  `json:"folder"`
	HeadID *uint64 `json:"headId,omitempty"`
}

// ServerStatusParams is experimental/serverStatus, rust-analyzer's shape.
type ServerStatusParams struct {
	Health    Health `json:"health"`
	Quiescent bool   `json:"quiescent"`
	Message   string `json:"message,omitempty"`
}

// ExplainResult is the result of heddle.explain.
type ExplainResult struct {
	Folder   string        `json:"folder"`
	Markdown string        `json:"markdown"`
	Steps    []ExplainStep `json:"steps"`
	Status   StatusParams  `json:"status"` // extension: the probe's verdict
}

// ExplainStep is one probe step with its wall time in microseconds.
type ExplainStep struct {
	Step   string `json:"step"`
	OK     bool   `json:"ok"`
	Micros int64  `json:"micros"`
	Detail string `json:"detail"`
}

// OperationsResult is the result of heddle.operations: newest first.
type OperationsResult struct {
	Folder string         `json:"folder"`
	Source string         `json:"source"`
	Hits   []OperationHit `json:"hits"`
}

// OperationHit is one operation-log hit; StateID is the lowercase hex of
// the id's bytes, StateRef the id as heddle prints it.
type OperationHit struct {
	Seq           uint64   `json:"seq"`
	TimestampSecs int64    `json:"timestampSecs"`
	Verb          string   `json:"verb"`
	ActorEmail    string   `json:"actorEmail"`
	OperationID   string   `json:"operationId"`
	Thread        string   `json:"thread"`
	Symbols       []string `json:"symbols"`
	SignalKinds   []string `json:"signalKinds"`
	StateID       string   `json:"stateId"`
	StateRef      string   `json:"stateRef"`
}

// SignalHealthResult is the result of heddle.signalHealth.
type SignalHealthResult struct {
	Folder       string              `json:"folder"`
	Source       string              `json:"source"`
	WindowStates uint32              `json:"windowStates"`
	Entries      []SignalHealthEntry `json:"entries"`
}

// SignalHealthEntry is one producer module's fire rate.
type SignalHealthEntry struct {
	ModuleID string  `json:"moduleId"`
	FireRate float64 `json:"fireRate"`
	Warn     bool    `json:"warn"`
}

// HooksResult is the result of heddle.hooks.
type HooksResult struct {
	Folder string `json:"folder"`
	Source string `json:"source"`
	Hooks  []Hook `json:"hooks"`
}

// Hook is one hook: registered with the daemon, or installed as a script.
type Hook struct {
	Name      string   `json:"name"`
	Command   string   `json:"command"`
	Events    []string `json:"events"`
	TimeoutMs uint32   `json:"timeoutMs"`
}

// Error codes beyond JSON-RPC's own (LSP's).
const (
	CodeServerNotInitialized = -32002
	CodeRequestFailed        = -32803
	CodeRequestCancelled     = -32800
)

// ErrorData is the data object of a RequestFailed error.
type ErrorData struct {
	Folder string `json:"folder"`
	State  string `json:"state"`
	Reason string `json:"reason"`
	Hint   string `json:"hint"`
	Kind   string `json:"kind"` // why the query failed: see docs/LSP.md, "Errors"
}

// URIToPath converts a file:// URI to a clean absolute path.
func URIToPath(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", fmt.Errorf("parse URI: %w", err)
	}
	if u.Scheme != "file" {
		return "", fmt.Errorf("only file URIs are supported, got scheme %q", u.Scheme)
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", fmt.Errorf("remote file URI host %q is not supported", u.Host)
	}
	if u.Path == "" || !filepath.IsAbs(u.Path) {
		return "", fmt.Errorf("file URI has no absolute path")
	}
	return filepath.Clean(u.Path), nil
}

// PathToURI converts a path (made absolute) to a file:// URI.
func PathToURI(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
}
