package record

import (
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
