// status.go: heddle/status per folder and experimental/serverStatus for the
// whole session, sent by one goroutine from one queue of events.

package lsp

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"go.lsp.dev/protocol"

	"github.com/heddle-ls/heddle-ls/daemonlink"
)

// eventKind says what an event carries.
type eventKind int

const (
	evRunning       eventKind = iota // initialized arrived: serverStatus may go out
	evDirChanged                     // the tracker reported a heddle dir's status
	evFolderStatus                   // a folder without a repository: its no-repo status
	evTrackAnswer                    // Track's answer for a folder whose dir was already known
	evFolderRemoved                  // a folder was closed
)

type event struct {
	kind   eventKind
	seq    uint64
	folder string            // evFolderStatus, evFolderRemoved
	status daemonlink.Status // evDirChanged, evFolderStatus
}

// eventQueue is an unbounded FIFO: the tracker's onChange must never block,
// and the client may be slow to read. Each event gets a sequence number.
type eventQueue struct {
	mu    sync.Mutex
	items []event
	seq   uint64
	wake  chan struct{}
}

func newEventQueue() *eventQueue { return &eventQueue{wake: make(chan struct{}, 1)} }

func (q *eventQueue) push(ev event) {
	q.mu.Lock()
	q.seq++
	ev.seq = q.seq
	q.items = append(q.items, ev)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *eventQueue) lastSeq() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.seq
}

func (q *eventQueue) drain() []event {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items = nil
	return items
}

// onTrackerChange is the tracker's callback; it only queues.
func (s *Server) onTrackerChange(st daemonlink.Status) {
	s.events.push(event{kind: evDirChanged, status: st})
}

// statusLoop owns sending heddle/status, window/showMessage for state
// changes, and experimental/serverStatus, so they go out in order and a slow
// client cannot stall the tracker.
func (s *Server) statusLoop(ctx context.Context) {
	running := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.events.wake:
		}
		for _, ev := range s.events.drain() {
			switch ev.kind {
			case evRunning:
				running = true
			case evFolderRemoved:
				s.policy.forget(ev.folder)
			case evDirChanged:
				for _, uri := range s.foldersOfDir(ev.status.HeddleDir, ev.seq) {
					s.publish(uri, ev.status, ev.kind)
				}
			case evFolderStatus, evTrackAnswer:
				s.publish(ev.folder, ev.status, ev.kind)
			}
		}
		if running {
			s.publishAggregate()
		}
	}
}

// foldersOfDir lists the open folders in heddleDir that were tracking it
// when the event with sequence number seq was queued.
func (s *Server) foldersOfDir(heddleDir string, seq uint64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var uris []string
	for _, uri := range s.order {
		f := s.folders[uri]
		if f.tracked && f.repo.HeddleDir == heddleDir && seq > f.afterSeq {
			uris = append(uris, uri)
		}
	}
	return uris
}

// publish sends folder's status if it differs from what the client has.
func (s *Server) publish(uri string, st daemonlink.Status, kind eventKind) {
	s.mu.Lock()
	f := s.folders[uri]
	if f == nil {
		s.mu.Unlock()
		return // removed: no further notifications
	}
	switch kind {
	case evTrackAnswer:
		// Track read the dir's status; a change the tracker queued after
		// that read may already have been published, and is newer.
		if f.trackerSent {
			s.mu.Unlock()
			return
		}
		f.trackerSent = true
	case evDirChanged:
		f.trackerSent = true
	}
	if f.noRepo == nil {
		// A worktree's root is its own checkout; the heddle dir is shared.
		st.Root = f.repo.Root
	}
	prev := f.last
	if prev != nil && prev.Same(st) {
		s.mu.Unlock()
		return
	}
	cur := st
	f.last = &cur
	mode, name := s.settings.Notifications, f.name
	s.mu.Unlock()

	s.notify(MethodStatus, WireStatus(uri, st))
	s.logStatus(uri, prev, st)
	n, show, why := s.policy.decide(mode, uri, name, prev, st)
	switch {
	case show:
		s.notify("window/showMessage", protocol.ShowMessageParams{Type: n.Type, Message: n.Message})
	case why != "":
		s.log.Info("showMessage suppressed", "folder", uri, "state", st.State, "why", why)
		s.logMessage(logInfo, fmt.Sprintf("heddle-ls: not showing %s for %s: %s", st.State, uri, why))
	}
}

// logStatus writes a state change to the editor's log (window/logMessage).
func (s *Server) logStatus(uri string, prev *daemonlink.Status, st daemonlink.Status) {
	line := fmt.Sprintf("%s: %s (%s) %s", uri, st.State, st.Reason, st.Message)
	if prev != nil && prev.State != st.State {
		line += fmt.Sprintf(" [was %s]", prev.State)
	}
	if st.Hint != "" {
		line += " — " + st.Hint
	}
	level := logInfo
	if brokenStates[st.State] {
		level = logWarning
	}
	s.log.Info("status", "folder", uri, "state", st.State, "reason", st.Reason, "pid", st.PID)
	s.logMessage(level, line)
}

// Levels for window/logMessage.
const (
	logError   = protocol.MessageTypeError
	logWarning = protocol.MessageTypeWarning
	logInfo    = protocol.MessageTypeInfo
)

func (s *Server) logMessage(t protocol.MessageType, msg string) {
	s.notify("window/logMessage", protocol.LogMessageParams{Type: t, Message: msg})
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
		f := s.folders[uri]
		if f.last == nil {
			quiescent = false
			continue
		}
		statuses = append(statuses, folderState{name: f.name, status: *f.last})
	}
	agg := aggregate(statuses, quiescent)
	if s.agg != nil && *s.agg == agg {
		s.mu.Unlock()
		return
	}
	s.agg = &agg
	s.mu.Unlock()
	s.notify(MethodServerStatus, agg)
}

type folderState struct {
	name   string
	status daemonlink.Status
}

// healthOf maps a state to serverStatus health:
//   - ok: ready, no-repo (nothing is wrong; a folder without heddle is not
//     our business);
//   - warning: stopped, stale, starting — the daemon is not running (or not
//     yet), queries will fail, but heddle itself still works without it and
//     the fix is routine (start it, or wait);
//   - error: denied, invalid-pidfile, unreachable, unhealthy — something is
//     broken and needs the user's attention.
func healthOf(s daemonlink.State) string {
	switch {
	case brokenStates[s]:
		return "error"
	case s == daemonlink.StateStopped || s == daemonlink.StateStale || s == daemonlink.StateStarting:
		return "warning"
	default:
		return "ok"
	}
}

var healthRank = map[string]int{"ok": 0, "warning": 1, "error": 2}

// aggregate folds folder statuses into one serverStatus: the worst health,
// quiescent once every folder has had its first status, and a message that
// counts states and names the worst folder.
func aggregate(folders []folderState, quiescent bool) ServerStatusParams {
	health := "ok"
	counts := map[daemonlink.State]int{}
	var worst *folderState
	for i := range folders {
		fs := &folders[i]
		counts[fs.status.State]++
		h := healthOf(fs.status.State)
		if healthRank[h] > healthRank[health] {
			health, worst = h, fs
		}
	}
	var parts []string
	for _, st := range daemonlink.AllStates {
		if n := counts[st]; n > 0 {
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
	return ServerStatusParams{Health: health, Quiescent: quiescent, Message: msg}
}

// currentStatus is a folder's status for commands: what the client was
// last told, else the tracker's current knowledge.
func (s *Server) currentStatus(uri string) (daemonlink.Status, bool) {
	s.mu.Lock()
	f := s.folders[uri]
	tracker := s.tracker
	if f == nil {
		s.mu.Unlock()
		return daemonlink.Status{}, false
	}
	if f.noRepo != nil {
		st := *f.noRepo
		s.mu.Unlock()
		return st, true
	}
	if f.last != nil {
		st := *f.last
		s.mu.Unlock()
		return st, true
	}
	dir, root := f.repo.HeddleDir, f.repo.Root
	s.mu.Unlock()
	st, ok := tracker.Status(dir)
	if !ok || st.State == "" {
		return daemonlink.Status{}, false
	}
	st.Root = root
	return st, true
}
