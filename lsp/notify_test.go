package lsp

import (
	"strconv"
	"strings"
	"testing"
	"time"

	lsproto "go.lsp.dev/protocol"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/folder"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func st(state daemonlink.State, pid int) protocol.StatusParams {
	return protocol.StatusParams{State: string(state), Reason: "r-" + string(state), Message: "daemon " + string(state),
		PID: pid, Health: folder.HealthOf(state, false)}
}

func TestWorthShowing(t *testing.T) {
	ready, stopped, stale, denied := st(daemonlink.StateReady, 1), st(daemonlink.StateStopped, 0),
		st(daemonlink.StateStale, 1), st(daemonlink.StateDenied, 1)
	noRepo, unhealthy := st(daemonlink.StateNoRepo, 0), st(daemonlink.StateUnhealthy, 1)
	ready2 := st(daemonlink.StateReady, 2)
	// A daemon that stops while the heddle CLI answers the queries is no error.
	stoppedCLI := stopped
	stoppedCLI.Health = folder.HealthOf(daemonlink.StateStopped, true)
	cases := []struct {
		mode NotificationMode
		prev *protocol.StatusParams
		cur  protocol.StatusParams
		want bool
	}{
		{NotifyOff, &ready, stopped, false},
		{NotifyOff, nil, denied, false},

		{NotifyErrors, nil, stopped, false},
		{NotifyErrors, nil, stale, false},
		{NotifyErrors, nil, noRepo, false},
		{NotifyErrors, nil, ready, false},
		{NotifyErrors, nil, denied, true},
		{NotifyErrors, &ready, stopped, true},
		{NotifyErrors, &ready, stoppedCLI, false},
		{NotifyErrors, &ready, stale, true},
		{NotifyErrors, &stopped, ready, false},
		{NotifyErrors, &stale, stopped, false},
		{NotifyErrors, &ready, unhealthy, true},
		{NotifyErrors, &denied, denied, false},
		{NotifyErrors, &ready, ready2, false},

		{NotifyTransitions, nil, stopped, false},
		{NotifyTransitions, nil, noRepo, false},
		{NotifyTransitions, nil, ready, true},
		{NotifyTransitions, &stopped, ready, true},
		{NotifyTransitions, &stale, stopped, true},
		{NotifyTransitions, &ready, ready2, true},
		{NotifyTransitions, &ready, ready, false},
	}
	for _, tc := range cases {
		prev := "nil"
		if tc.prev != nil {
			prev = tc.prev.State
		}
		if got := worthShowing(tc.mode, tc.prev, tc.cur); got != tc.want {
			t.Errorf("%s: %s → %s (pid %d) = %v, want %v", tc.mode, prev, tc.cur.State, tc.cur.PID, got, tc.want)
		}
	}
}

// flap feeds the policy n changes of one folder, from a to b and back,
// step apart, and counts the messages it would show.
func flap(p *notifyPolicy, clock *fakeClock, mode NotificationMode, a, b protocol.StatusParams, n int, step time.Duration) int {
	shown := 0
	prev := &a
	for i := range n {
		cur := b
		if i%2 == 1 {
			cur = a
		}
		if _, ok, _ := p.decide(mode, "file:///a", "a", prev, cur); ok {
			shown++
		}
		prev = &cur
		clock.advance(step)
	}
	return shown
}

func TestNotifyPolicy_DeduplicatesFlapping(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	p := newNotifyPolicy(clock.now)
	// 100 flaps in a minute: ready → stopped → ready …
	shown := flap(p, clock, NotifyErrors, st(daemonlink.StateReady, 10), st(daemonlink.StateStopped, 0), 200, 300*time.Millisecond)
	if shown != 1 {
		t.Errorf("errors mode, flapping: %d messages, want 1", shown)
	}
}

func TestNotifyPolicy_RateLimitsPerFolderAndGlobally(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	p := newNotifyPolicy(clock.now)
	// A restarting daemon: a new pid each time, so no de-duplication.
	shown := 0
	var suppressed string
	for pid := 1; pid <= 50; pid++ {
		prev := st(daemonlink.StateStopped, 0)
		if _, ok, why := p.decide(NotifyTransitions, "file:///a", "a", &prev, st(daemonlink.StateReady, pid)); ok {
			shown++
		} else {
			suppressed = why
		}
		clock.advance(100 * time.Millisecond)
	}
	if shown != perFolderBurst {
		t.Errorf("one folder, 50 restarts in 5 s: %d shown, want %d", shown, perFolderBurst)
	}
	if suppressed == "" {
		t.Errorf("suppression gave no reason to log")
	}
	// After a minute the bucket has refilled.
	clock.advance(time.Minute)
	prev := st(daemonlink.StateStopped, 0)
	if _, ok, why := p.decide(NotifyTransitions, "file:///a", "a", &prev, st(daemonlink.StateReady, 999)); !ok {
		t.Errorf("after a minute still suppressed: %s", why)
	}

	// Many folders at once: the global bucket caps the total.
	clock.advance(time.Hour)
	total := 0
	for i := range 40 {
		folder := "file:///f" + strconv.Itoa(i)
		prev := st(daemonlink.StateReady, 1)
		if _, ok, _ := p.decide(NotifyErrors, folder, "f", &prev, st(daemonlink.StateDenied, 1)); ok {
			total++
		}
	}
	if total != globalBurst {
		t.Errorf("40 folders denied at once: %d shown, want %d", total, globalBurst)
	}
}

func TestNotifyPolicy_MessageSaysWhatAndWhatToDo(t *testing.T) {
	p := newNotifyPolicy((&fakeClock{t: time.Unix(1, 0)}).now)
	prev := st(daemonlink.StateReady, 4)
	cur := protocol.StatusParams{State: "stopped", Reason: "no-pidfile", Message: "no daemon running",
		Hint: "start it with: heddle agent serve --foreground", Health: folder.HealthOf(daemonlink.StateStopped, false)}
	n, ok, _ := p.decide(NotifyErrors, "file:///r", "r", &prev, cur)
	if !ok {
		t.Fatal("ready → stopped not shown in errors mode")
	}
	if n.Type != lsproto.MessageTypeWarning {
		t.Errorf("type = %v, want warning", n.Type)
	}
	for _, want := range []string{"(r)", "no daemon running", "was ready", "heddle agent serve"} {
		if !strings.Contains(n.Message, want) {
			t.Errorf("message %q lacks %q", n.Message, want)
		}
	}
	if n2, ok, _ := p.decide(NotifyErrors, "file:///x", "x", nil, st(daemonlink.StateDenied, 1)); !ok || n2.Type != lsproto.MessageTypeError {
		t.Errorf("initial denied: shown=%v type=%v, want an error message", ok, n2.Type)
	}
}

func TestNotifyPolicy_AlternatingStatesDeduplicated(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	p := newNotifyPolicy(clock.now)
	// Slow flapping, one change a minute: the rate limit never bites.
	shown := flap(p, clock, NotifyTransitions, st(daemonlink.StateReady, 7), st(daemonlink.StateUnhealthy, 7), 30, time.Minute)
	// Each state once per 10-minute de-duplication window: 2 × 3 windows.
	if shown != 6 {
		t.Errorf("transitions mode, 30 slow flaps in 30 min: %d shown, want 6", shown)
	}
}
