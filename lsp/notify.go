// notify.go: when a status change becomes a window/showMessage — the
// notifications setting, de-duplication and rate limits.

package lsp

import (
	"fmt"
	"time"

	lsproto "go.lsp.dev/protocol"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// Rate limits: a flapping daemon must not flood the editor. Each folder may
// show a burst of perFolderBurst messages, refilled at one per
// perFolderRefill (3 a minute); all folders together a burst of globalBurst,
// refilled at one per globalRefill (10 a minute).
const (
	perFolderBurst  = 3
	perFolderRefill = 20 * time.Second
	globalBurst     = 10
	globalRefill    = 6 * time.Second
	// dedupWindow: the same folder+state+reason+pid is not shown twice
	// within this window, whatever happened in between. A daemon flapping
	// between ready and stopped thus yields one "stopped" message, not one
	// per flap.
	dedupWindow = 10 * time.Minute
)

// notice is a message to show.
type notice struct {
	Type    lsproto.MessageType
	Message string
}

// notifyPolicy decides which status changes are shown. It is owned by the
// status loop goroutine and not safe for concurrent use. now is injectable
// so tests drive time without sleeping.
type notifyPolicy struct {
	now       func() time.Time
	global    tokenBucket
	perFolder map[string]*tokenBucket
	shown     map[string]map[string]time.Time // folder → message key → when last shown
}

func newNotifyPolicy(now func() time.Time) *notifyPolicy {
	if now == nil {
		now = time.Now
	}
	return &notifyPolicy{
		now:       now,
		global:    tokenBucket{burst: globalBurst, refill: globalRefill},
		perFolder: map[string]*tokenBucket{},
		shown:     map[string]map[string]time.Time{},
	}
}

// decide returns the notice to show for folder's change from prev (nil for
// the folder's first report) to cur, or ok=false with why it stays quiet
// ("" when the mode simply does not show this change; otherwise a reason
// worth logging: duplicate or rate-limited).
func (p *notifyPolicy) decide(mode NotificationMode, folder, name string, prev *protocol.StatusParams, cur protocol.StatusParams) (n notice, ok bool, suppressed string) {
	if !worthShowing(mode, prev, cur) {
		return notice{}, false, ""
	}
	now := p.now()
	key := fmt.Sprintf("%s|%s|%d", cur.State, cur.Reason, cur.PID)
	recent := p.shown[folder]
	if recent == nil {
		recent = map[string]time.Time{}
		p.shown[folder] = recent
	}
	for k, at := range recent {
		if now.Sub(at) >= dedupWindow {
			delete(recent, k) // keeps the map as small as the window
		}
	}
	if at, seen := recent[key]; seen {
		return notice{}, false, "duplicate of a message shown " + now.Sub(at).Round(time.Second).String() + " ago"
	}
	b := p.perFolder[folder]
	if b == nil {
		b = &tokenBucket{burst: perFolderBurst, refill: perFolderRefill}
		p.perFolder[folder] = b
	}
	// Check both before taking from either, so a global refusal does not
	// also spend the folder's token.
	if !b.ready(now) {
		return notice{}, false, "rate-limited: more than 3 messages a minute for this folder"
	}
	if !p.global.ready(now) {
		return notice{}, false, "rate-limited: more than 10 messages a minute in total"
	}
	b.take(now)
	p.global.take(now)
	recent[key] = now
	return notice{Type: messageType(cur.Health), Message: noticeText(name, prev, cur)}, true, ""
}

// forget drops a removed folder's history.
func (p *notifyPolicy) forget(folder string) {
	delete(p.perFolder, folder)
	delete(p.shown, folder)
}

// worthShowing is the notifications setting, judged on the server's
// health verdict:
//   - off: nothing;
//   - errors: entering health error (denied, invalid-pidfile, unhealthy,
//     unreachable), the initial report included; a daemon lost while in use
//     when nothing else answers the queries (ready → stopped with health
//     warning; anything → stale after the first report). A folder that is
//     simply stopped or stale when the editor opens is normal (heddle works
//     without its daemon; `agent stop` leaves stale files) and stays quiet,
//     and so does a daemon stopping while the heddle CLI answers;
//   - transitions: every change of state, and a ready daemon's pid change
//     (a restart), but never the initial report of a folder that is
//     stopped, stale or no-repo.
func worthShowing(mode NotificationMode, prev *protocol.StatusParams, cur protocol.StatusParams) bool {
	stopped, stale := string(daemonlink.StateStopped), string(daemonlink.StateStale)
	switch mode {
	case NotifyErrors:
		if prev == nil {
			return cur.Health == protocol.HealthError
		}
		if prev.State == cur.State {
			return false
		}
		return cur.Health == protocol.HealthError || cur.State == stale ||
			(prev.State == string(daemonlink.StateReady) && cur.State == stopped && cur.Health != protocol.HealthOK)
	case NotifyTransitions:
		if prev == nil {
			return cur.State != stopped && cur.State != stale && cur.State != string(daemonlink.StateNoRepo)
		}
		if prev.State != cur.State {
			return true
		}
		return cur.State == string(daemonlink.StateReady) && prev.PID != cur.PID
	default:
		return false
	}
}

// messageType is the message's severity: the folder's health.
func messageType(h protocol.Health) lsproto.MessageType {
	switch h {
	case protocol.HealthError:
		return lsproto.MessageTypeError
	case protocol.HealthWarning:
		return lsproto.MessageTypeWarning
	default:
		return lsproto.MessageTypeInfo
	}
}

// noticeText is one line the user can act on: folder, what happened, what to do.
func noticeText(name string, prev *protocol.StatusParams, cur protocol.StatusParams) string {
	msg := fmt.Sprintf("heddle (%s): %s", name, cur.Message)
	if cur.Message == "" {
		msg = fmt.Sprintf("heddle (%s): daemon %s", name, cur.State)
	}
	if prev != nil && prev.State != cur.State {
		msg += fmt.Sprintf(" [was %s]", prev.State)
	}
	if cur.Hint != "" {
		msg += " — " + cur.Hint
	}
	return msg
}

// tokenBucket allows burst events at once and one more per refill.
type tokenBucket struct {
	burst  int
	refill time.Duration
	tokens float64
	last   time.Time
	init   bool
}

func (b *tokenBucket) advance(now time.Time) {
	if !b.init {
		b.tokens, b.last, b.init = float64(b.burst), now, true
		return
	}
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(float64(b.burst), b.tokens+float64(el)/float64(b.refill))
		b.last = now
	}
}

func (b *tokenBucket) ready(now time.Time) bool {
	b.advance(now)
	return b.tokens >= 1
}

func (b *tokenBucket) take(now time.Time) {
	b.advance(now)
	b.tokens--
}
