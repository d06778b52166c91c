// status.go: heddle/status notifications, decoded with the contract's
// shapes.

package lsptest

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// StatusOf decodes m as a heddle/status notification; false if it is none
// (or its params do not decode).
func StatusOf(m Message) (protocol.StatusParams, bool) {
	var p protocol.StatusParams
	if m.Method != protocol.MethodStatus || m.ID != nil || json.Unmarshal(m.Params, &p) != nil {
		return protocol.StatusParams{}, false
	}
	return p, true
}

// Statuses returns every heddle/status sent so far for folder, in order.
func (c *Conn) Statuses(folder string) []protocol.StatusParams {
	var out []protocol.StatusParams
	for _, m := range c.Messages() {
		if p, ok := StatusOf(m); ok && p.Folder == folder {
			out = append(out, p)
		}
	}
	return out
}

// Last returns the latest heddle/status for folder; false if none yet.
func (c *Conn) Last(folder string) (protocol.StatusParams, bool) {
	all := c.Statuses(folder)
	if len(all) == 0 {
		return protocol.StatusParams{}, false
	}
	return all[len(all)-1], true
}

// WaitStatus waits up to d for a heddle/status for folder that matches,
// among the messages from index from on (0: the whole session; see Len),
// and returns it with its arrival time.
func (c *Conn) WaitStatus(from int, folder string, d time.Duration, match func(protocol.StatusParams) bool) (protocol.StatusParams, time.Time, error) {
	var got protocol.StatusParams
	m, err := c.Wait(from, d, func(m Message) bool {
		p, ok := StatusOf(m)
		if !ok || p.Folder != folder || !match(p) {
			return false
		}
		got = p
		return true
	})
	return got, m.At, err
}

// WaitState is WaitStatus for a status in state with reason ("" matches
// any reason); its error lists the folder's statuses.
func (c *Conn) WaitState(from int, folder, state, reason string, d time.Duration) (protocol.StatusParams, time.Time, error) {
	st, at, err := c.WaitStatus(from, folder, d, func(p protocol.StatusParams) bool {
		return p.State == state && (reason == "" || p.Reason == reason)
	})
	if err != nil {
		return st, at, fmt.Errorf("waiting for %s %s/%s: %w; its statuses: %s",
			folder, state, reason, err, DescribeStatuses(c.Statuses(folder)))
	}
	return st, at, nil
}

// DescribeStatuses renders statuses one per line, for failure messages.
func DescribeStatuses(all []protocol.StatusParams) string {
	var b strings.Builder
	for _, s := range all {
		fmt.Fprintf(&b, "\n  %s/%s pid=%d api=%q %q", s.State, s.Reason, s.PID, s.API, s.Message)
	}
	if b.Len() == 0 {
		return "(none)"
	}
	return b.String()
}

// ErrorData decodes an error response's data.
func ErrorData(m Message) protocol.ErrorData {
	var d protocol.ErrorData
	if m.Error != nil {
		_ = json.Unmarshal(m.Error.Data, &d)
	}
	return d
}
