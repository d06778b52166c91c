package record

import (
	"sync"
	"testing"
	"time"
)

func TestRecorder_WaitSeesValuesAddedElsewhere(t *testing.T) {
	r := New[int]()
	r.Add(1)
	go func() { r.Add(2); r.Add(3) }()
	v, i := r.Wait(t, 1, 10*time.Second, "3", func(v int) bool { return v == 3 })
	if v != 3 || i != 2 {
		t.Fatalf("Wait = %d at %d, want 3 at 2", v, i)
	}
	// from skips earlier matches.
	if _, i := r.Wait(t, 1, 10*time.Second, "any", func(int) bool { return true }); i != 1 {
		t.Fatalf("Wait from 1 found index %d", i)
	}
	all, at := r.Snapshot()
	if r.Len() != 3 || len(all) != 3 || len(at) != 3 || at[2].Before(at[0]) {
		t.Fatalf("Snapshot = %v, %v (Len %d)", all, at, r.Len())
	}
}

// softTB turns Wait's Fatalf into an error, so waiters may run on
// goroutines other than the test's.
type softTB struct{ testing.TB }

func (s softTB) Fatalf(format string, args ...any) { s.Errorf(format, args...) }

// One Add wakes every waiter, not just one of them.
func TestRecorder_AddWakesEveryWaiter(t *testing.T) {
	r := New[int]()
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if _, i := r.Wait(softTB{t}, 0, 10*time.Second, "1", func(v int) bool { return v == 1 }); i != 0 {
				t.Errorf("Wait found index %d", i)
			}
		})
	}
	// Give the waiters time to block, so the Add below is what wakes them
	// (if it comes first, they find the value at once: the test still passes).
	time.Sleep(50 * time.Millisecond)
	r.Add(1)
	wg.Wait()
}
