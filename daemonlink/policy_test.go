package daemonlink

import (
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	ready := Status{State: StateReady, Reason: ReasonHealthUnimplemented, PID: 7}
	unhealthy := Status{State: StateUnhealthy, Reason: ReasonHealthTimeout, PID: 7}
	unreachable := Status{State: StateUnreachable, Reason: ReasonConnectRefused, PID: 7}
	stopped := Status{State: StateStopped, Reason: ReasonNoPidfile}
	missing := Status{State: StateStarting, Reason: ReasonSocketMissing, PID: 7}
	tests := []struct {
		name  string
		res   probeResult
		state policyState
		// want
		publish  bool
		state2   State // published state, when publish
		retry    func(time.Duration) bool
		watchPID int
		dropConn bool
		check    func(t *testing.T, next policyState)
	}{
		{name: "ready is shown, its process watched",
			res: probeResult{status: ready}, publish: true, state2: StateReady, watchPID: 7},
		{name: "stopped is shown, nothing watched",
			res: probeResult{status: stopped}, state: policyState{shown: ready, known: true},
			publish: true, state2: StateStopped},
		{name: "a refused connect to a new daemon is starting, retried soon",
			res: probeResult{status: unreachable, refused: true}, publish: true, state2: StateStarting,
			retry: func(d time.Duration) bool { return d == shortBackoff[0] }, watchPID: 7},
		{name: "refused after the short retries is unreachable",
			res: probeResult{status: unreachable, refused: true}, state: policyState{shortTries: len(shortBackoff)},
			publish: true, state2: StateUnreachable, watchPID: 7},
		{name: "the connected daemon's socket vanishing is held, not shown",
			res: probeResult{status: missing}, state: policyState{shown: ready, known: true, connPID: 7},
			publish: false, retry: func(d time.Duration) bool { return d == holdBackoff[0] }, watchPID: 7, dropConn: true,
			check: func(t *testing.T, n policyState) {
				if n.holdPID != 7 || n.holdTries != 1 {
					t.Errorf("hold counters %+v", n)
				}
			}},
		{name: "a hold that outlives its retries is shown",
			res: probeResult{status: unreachable, refused: true}, state: policyState{shown: ready, known: true, holdPID: 7, holdTries: len(holdBackoff), shortTries: len(shortBackoff)},
			publish: true, state2: StateUnreachable, watchPID: 7},
		{name: "a first timeout is not shown: it waits for its confirmation",
			res: probeResult{status: unhealthy, timedOut: true}, publish: false,
			retry: func(d time.Duration) bool { return d >= confirmDelay && d < 2*confirmDelay }, watchPID: 7,
			check: func(t *testing.T, n policyState) {
				if !n.confirming {
					t.Error("not confirming after a first timeout")
				}
			}},
		{name: "a first timeout of a ready daemon keeps ready shown",
			res: probeResult{status: unhealthy, timedOut: true}, state: policyState{shown: ready, known: true, connPID: 7},
			publish: false, retry: func(d time.Duration) bool { return d >= confirmDelay }, watchPID: 7},
		{name: "a confirmed timeout is shown and re-probed after a second",
			res: probeResult{status: unhealthy, timedOut: true}, state: policyState{confirming: true},
			publish: true, state2: StateUnhealthy, retry: func(d time.Duration) bool { return d == time.Second }, watchPID: 7,
			check: func(t *testing.T, n policyState) {
				if n.confirming || n.longTries != 1 {
					t.Errorf("after confirmation %+v", n)
				}
			}},
		{name: "a timeout already shown needs no new confirmation",
			res: probeResult{status: unhealthy, timedOut: true}, state: policyState{shown: unhealthy, known: true, longTries: 2},
			publish: true, state2: StateUnhealthy, retry: func(d time.Duration) bool { return d == 4*time.Second }, watchPID: 7},
		{name: "after the long retries the timeout stands",
			res: probeResult{status: unhealthy, timedOut: true}, state: policyState{shown: unhealthy, known: true, longTries: longRetries},
			publish: true, state2: StateUnhealthy, watchPID: 7},
		{name: "a confirming timeout while heddle-ls was starved confirms nothing: retried, backing off",
			res: probeResult{status: unhealthy, timedOut: true, starved: true}, state: policyState{confirming: true, starved: 1},
			publish: false, retry: func(d time.Duration) bool { return d >= 2*confirmDelay && d < 3*confirmDelay }, watchPID: 7,
			check: func(t *testing.T, n policyState) {
				if n.starved != 2 || !n.confirming {
					t.Errorf("after a starved timeout %+v", n)
				}
			}},
		{name: "starved timeouts are retried a bounded number of times, then shown",
			res: probeResult{status: unhealthy, timedOut: true, starved: true}, state: policyState{confirming: true, starved: starvedRetries},
			publish: true, state2: StateUnhealthy, retry: func(d time.Duration) bool { return d == time.Second }, watchPID: 7},
		{name: "an answer after a first timeout clears the confirmation",
			res: probeResult{status: ready}, state: policyState{confirming: true},
			publish: true, state2: StateReady, watchPID: 7,
			check: func(t *testing.T, n policyState) {
				if n.confirming {
					t.Error("still confirming after an answer")
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decide(tt.res, tt.state)
			if d.publish != tt.publish {
				t.Fatalf("publish = %v, want %v (%+v)", d.publish, tt.publish, d)
			}
			if tt.publish && d.status.State != tt.state2 {
				t.Errorf("published %s, want %s", d.status.State, tt.state2)
			}
			if tt.retry == nil && d.retry != 0 {
				t.Errorf("retry after %v, want none", d.retry)
			}
			if tt.retry != nil && !tt.retry(d.retry) {
				t.Errorf("retry after %v: not what the policy says", d.retry)
			}
			if d.watchPID != tt.watchPID {
				t.Errorf("watchPID = %d, want %d", d.watchPID, tt.watchPID)
			}
			if d.dropConn != tt.dropConn {
				t.Errorf("dropConn = %v, want %v", d.dropConn, tt.dropConn)
			}
			if tt.check != nil {
				tt.check(t, d.next)
			}
		})
	}
}
