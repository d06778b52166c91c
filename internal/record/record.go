// Package record collects what a subscription delivers, for tests that
// wait on a condition with a deadline instead of sleeping. Every source
// (daemon links, the mount daemon, the oplog, fanout) is tested through it.
package record

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// Recorder holds the values delivered so far, each with its arrival
// time. Add may be called from any goroutine.
type Recorder[T any] struct {
	// Describe renders the values seen in a failure message; fmt's %v
	// when nil.
	Describe func([]T) string

	mu  sync.Mutex
	all []T
	at  []time.Time
	// changed is closed and replaced on every Add, so that every waiter
	// wakes (a buffered token would wake only one of several, leaving the
	// rest asleep until their deadlines).
	changed chan struct{}
}

// New returns an empty recorder.
func New[T any]() *Recorder[T] {
	return &Recorder[T]{changed: make(chan struct{})}
}

// Add records v and wakes every waiter.
func (r *Recorder[T]) Add(v T) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all, r.at = append(r.all, v), append(r.at, now)
	close(r.changed)
	r.changed = make(chan struct{})
}

// state returns a copy of the values with the channel the next Add closes,
// taken together so that no Add falls between them.
func (r *Recorder[T]) state() ([]T, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]T(nil), r.all...), r.changed
}

// Snapshot returns copies of the values and their arrival times.
func (r *Recorder[T]) Snapshot() ([]T, []time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]T(nil), r.all...), append([]time.Time(nil), r.at...)
}

// All returns a copy of the values.
func (r *Recorder[T]) All() []T {
	all, _ := r.Snapshot()
	return all
}

// Len is how many values have arrived.
func (r *Recorder[T]) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.all)
}

// Wait waits up to timeout for a value at index from or later that pred
// accepts, and returns it with its index; at the deadline it fails tb,
// naming what and the values seen.
func (r *Recorder[T]) Wait(tb testing.TB, from int, timeout time.Duration, what string, pred func(T) bool) (T, int) {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		all, changed := r.state()
		for i := from; i < len(all); i++ {
			if pred(all[i]) {
				return all[i], i
			}
		}
		select {
		case <-changed:
		case <-deadline:
			tb.Fatalf("timed out after %v waiting for %s; seen: %s", timeout, what, r.describe(all))
			var zero T
			return zero, -1
		}
	}
}

func (r *Recorder[T]) describe(all []T) string {
	if r.Describe != nil {
		return r.Describe(all)
	}
	return fmt.Sprintf("%v", all)
}

// Idle asserts that nothing happens for window: the work counter (a
// source's probes or looks at its files) does not move and no recorder
// grows. Sleeping through the window is the behaviour under test here:
// there is no condition to wait on for "nothing happens".
func Idle(tb testing.TB, window time.Duration, work func() int64, recs ...interface{ Len() int }) {
	tb.Helper()
	before := work()
	lens := make([]int, len(recs))
	for i, r := range recs {
		lens[i] = r.Len()
	}
	time.Sleep(window)
	if n := work() - before; n != 0 {
		tb.Fatalf("%d units of work (probes, looks at files) while nothing changed", n)
	}
	for i, r := range recs {
		if n := r.Len() - lens[i]; n != 0 {
			tb.Fatalf("subscription %d: %d deliveries while nothing changed", i, n)
		}
	}
}
