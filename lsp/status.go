// status.go: heddle/status per folder and experimental/serverStatus for the
// whole session, sent by one goroutine from one queue of events.

package lsp

import (
	"context"
	"fmt"
	"strings"

	lsproto "go.lsp.dev/protocol"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// eventKind says what an event carries.
type eventKind int

const (
	evRunning       eventKind = iota // initialized arrived: serverStatus may go out
	evStatus                         // a folder's view composed a new status
	evOperations                     // a folder's operation log published
	evFolderRemoved                  // a folder was closed
)

type event struct {
	kind   eventKind
	folder string                           // every kind but evRunning
	prev   *protocol.StatusParams           // evStatus: the status it replaces; nil for the first
	status protocol.StatusParams            // evStatus
	ops    protocol.OperationsChangedParams // evOperations
}

// statusLoop owns sending heddle/status, heddle/operationsChanged,
// window/showMessage for state changes, and experimental/serverStatus, so
// they go out in order and a slow client cannot stall a source.
func (s *Server) statusLoop(ctx context.Context) {
	running := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.events.Wake():
		}
		for _, ev := range s.events.Take() {
			switch ev.kind {
			case evRunning:
				running = true
			case evFolderRemoved:
				s.policy.forget(ev.folder)
			case evStatus:
				s.publish(ev.folder, ev.prev, ev.status)
			case evOperations:
				if s.view(ev.folder) != nil {
					s.notify(protocol.MethodOperationsChanged, ev.ops)
				}
			}
		}
		if running {
			s.publishAggregate()
		}
	}
}

// publish sends a folder's new status, logs it and applies the
// notification policy.
func (s *Server) publish(uri string, prev *protocol.StatusParams, st protocol.StatusParams) {
	s.mu.Lock()
	v := s.folders[uri]
	mode := s.settings.Notifications
	s.mu.Unlock()
	if v == nil {
		return // removed: no further notifications
	}
	s.notify(protocol.MethodStatus, st)
	s.logStatus(uri, prev, st)
	n, show, why := s.policy.decide(mode, uri, v.Name(), prev, st)
	switch {
	case show:
		s.notify("window/showMessage", lsproto.ShowMessageParams{Type: n.Type, Message: n.Message})
	case why != "":
		s.log.Info("showMessage suppressed", "folder", uri, "state", st.State, "why", why)
		s.logMessage(logInfo, fmt.Sprintf("heddle-ls: not showing %s for %s: %s", st.State, uri, why))
	}
}

// logStatus writes a state change to the editor's log (window/logMessage).
func (s *Server) logStatus(uri string, prev *protocol.StatusParams, st protocol.StatusParams) {
	line := fmt.Sprintf("%s: %s (%s) %s", uri, st.State, st.Reason, st.Message)
	if prev != nil && prev.State != st.State {
		line += fmt.Sprintf(" [was %s]", prev.State)
	}
	if st.Hint != "" {
		line += " — " + st.Hint
	}
	level := logInfo
	if st.Health == protocol.HealthError {
		level = logWarning
	}
	s.log.Info("status", "folder", uri, "state", st.State, "reason", st.Reason, "pid", st.PID, "health", st.Health)
	s.logMessage(level, line)
}

// Levels for window/logMessage.
const (
	logError   = lsproto.MessageTypeError
	logWarning = lsproto.MessageTypeWarning
	logInfo    = lsproto.MessageTypeInfo
)

func (s *Server) logMessage(t lsproto.MessageType, msg string) {
	s.notify("window/logMessage", lsproto.LogMessageParams{Type: t, Message: msg})
}

// publishAggregate sends experimental/serverStatus when it changed and the
// client asked for it.
func (s *Server) publishAggregate() {
	s.mu.Lock()
	if !s.client.serverStatus {
		s.mu.Unlock()
		return
	}
	statuses := make([]folderState, 0, len(s.order))
	quiescent := true
	for _, uri := range s.order {
		v := s.folders[uri]
		st, ok := v.Status()
		if !ok {
			quiescent = false
			continue
		}
		statuses = append(statuses, folderState{name: v.Name(), status: st})
	}
	agg := aggregate(statuses, quiescent)
	if s.agg != nil && *s.agg == agg {
		s.mu.Unlock()
		return
	}
	s.agg = &agg
	s.mu.Unlock()
	s.notify(protocol.MethodServerStatus, agg)
}

type folderState struct {
	name   string
	status protocol.StatusParams
}

// aggregate folds folder statuses into one serverStatus: the worst health,
// quiescent once every folder has had its first status, and a message that
// counts states and names the worst folder.
func aggregate(folders []folderState, quiescent bool) protocol.ServerStatusParams {
	health := protocol.HealthOK
	counts := map[string]int{}
	var worst *folderState
	for i := range folders {
		fs := &folders[i]
		counts[fs.status.State]++
		if fs.status.Health.Worse(health) {
			health, worst = fs.status.Health, fs
		}
	}
	var parts []string
	for _, st := range daemonlink.AllStates {
		if n := counts[string(st)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	msg := "heddle: " + strings.Join(parts, ", ")
	switch {
	case len(folders) == 0 && quiescent:
		msg = "heddle: no workspace folders"
	case len(folders) == 0:
		msg = "heddle: probing daemons…"
	case worst != nil:
		msg += fmt.Sprintf(" — %s: %s", worst.name, worst.status.Message)
		if worst.status.Hint != "" {
			msg += " (" + worst.status.Hint + ")"
		}
	}
	if !quiescent && len(folders) > 0 {
		msg += " (probing…)"
	}
	return protocol.ServerStatusParams{Health: health, Quiescent: quiescent, Message: msg}
}
