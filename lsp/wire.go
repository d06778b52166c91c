// wire.go: the JSON shapes of the LSP contract, and the one place that maps
// daemonlink's Go types onto them.

package lsp

import (
	"encoding/hex"
	"strconv"
	"time"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/heddle"
)

// Custom methods of the contract.
const (
	MethodStatus       = "heddle/status"
	MethodServerStatus = "experimental/serverStatus"
)

// StatusParams is one folder's status: the params of heddle/status and the
// elements of heddle.status / heddle.refresh results.
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
}

// WireStatus maps a daemonlink status for the folder with URI folderURI.
func WireStatus(folderURI string, st daemonlink.Status) StatusParams {
	return StatusParams{
		Folder:    folderURI,
		Root:      st.Root,
		HeddleDir: st.HeddleDir,
		State:     string(st.State),
		Reason:    st.Reason,
		Message:   st.Message,
		Hint:      st.Hint,
		PID:       st.PID,
		Socket:    st.Socket,
		API:       st.API,
		Since:     formatSince(st.Since),
	}
}

// formatSince renders a time as RFC 3339 in UTC; the zero time as "".
func formatSince(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// ServerStatusParams is experimental/serverStatus, rust-analyzer's shape.
type ServerStatusParams struct {
	Health    string `json:"health"` // ok | warning | error
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

// WireSteps maps an explanation's steps; never nil.
func WireSteps(steps []daemonlink.Step) []ExplainStep {
	out := make([]ExplainStep, 0, len(steps))
	for _, s := range steps {
		out = append(out, ExplainStep{Step: s.Name, OK: s.OK, Micros: s.Duration.Microseconds(), Detail: s.Detail})
	}
	return out
}

// OperationsResult is the result of heddle.operations.
type OperationsResult struct {
	Folder string         `json:"folder"`
	Hits   []OperationHit `json:"hits"`
}

// OperationHit is one operation-log hit; stateId is lowercase hex.
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
}

// WireOperations maps hits in the order given (daemonlink orders them newest
// first); arrays are never null.
func WireOperations(ops []heddle.Operation) []OperationHit {
	out := make([]OperationHit, 0, len(ops))
	for _, op := range ops {
		out = append(out, OperationHit{
			Seq:           op.Seq,
			TimestampSecs: op.TimestampSecs,
			Verb:          op.Verb,
			ActorEmail:    op.ActorEmail,
			OperationID:   op.OperationID,
			Thread:        op.Thread,
			Symbols:       nonNil(op.Symbols),
			SignalKinds:   nonNil(op.SignalKinds),
			StateID:       hex.EncodeToString(op.StateID),
		})
	}
	return out
}

// SignalHealthResult is the result of heddle.signalHealth.
type SignalHealthResult struct {
	Folder       string              `json:"folder"`
	WindowStates uint32              `json:"windowStates"`
	Entries      []SignalHealthEntry `json:"entries"`
}

// SignalHealthEntry is one producer module's fire rate.
type SignalHealthEntry struct {
	ModuleID string  `json:"moduleId"`
	FireRate float64 `json:"fireRate"`
	Warn     bool    `json:"warn"`
}

// WireSignalHealth maps a signal-health report.
func WireSignalHealth(folderURI string, h heddle.SignalHealth) SignalHealthResult {
	out := SignalHealthResult{Folder: folderURI, WindowStates: h.WindowStates,
		Entries: make([]SignalHealthEntry, 0, len(h.Entries))}
	for _, e := range h.Entries {
		out.Entries = append(out.Entries, SignalHealthEntry{ModuleID: e.ModuleID, FireRate: shortFloat(e.FireRate), Warn: e.Warn})
	}
	return out
}

// HooksResult is the result of heddle.hooks.
type HooksResult struct {
	Folder string `json:"folder"`
	Hooks  []Hook `json:"hooks"`
}

// Hook is one registered hook.
type Hook struct {
	Name      string   `json:"name"`
	Command   string   `json:"command"`
	Events    []string `json:"events"`
	TimeoutMs uint32   `json:"timeoutMs"`
}

// WireHooks maps hooks; arrays are never null.
func WireHooks(hooks []heddle.Hook) []Hook {
	out := make([]Hook, 0, len(hooks))
	for _, h := range hooks {
		out = append(out, Hook{Name: h.Name, Command: h.Command, Events: nonNil(h.Events), TimeoutMs: h.TimeoutMs})
	}
	return out
}

// shortFloat widens a float32 by its shortest decimal form, so 0.7 stays
// 0.7 on the wire instead of becoming 0.699999988079071.
func shortFloat(f float32) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
