package daemonlink

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestStarvedSince_SeesAGoroutineKeptWaiting keeps many goroutines
// runnable on one P: each waits its turn (Go preempts every 10 ms), and the
// histogram must record those waits.
func TestStarvedSince_SeesAGoroutineKeptWaiting(t *testing.T) {
	if readSched().counts == nil {
		t.Skip("this Go runtime has no scheduling-latency histogram")
	}
	quiet := readSched()
	if starvedSince(quiet, time.Hour) {
		t.Fatal("starved for an hour, without any load")
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	before := readSched()
	var wg sync.WaitGroup
	stop := time.Now().Add(200 * time.Millisecond)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				// Busy: runnable all the time, so the others wait for the P.
			}
		}()
	}
	wg.Wait()
	if !starvedSince(before, 5*time.Millisecond) {
		t.Error("50 busy goroutines on one P for 200 ms, and no wait of 5 ms was seen")
	}
}

func TestStarvedThreshold(t *testing.T) {
	if got := starvedThreshold(50 * time.Millisecond); got != 25*time.Millisecond {
		t.Errorf("threshold(50ms) = %v", got)
	}
	if got := starvedThreshold(time.Millisecond); got != 5*time.Millisecond {
		t.Errorf("threshold(1ms) = %v, want the 5 ms floor", got)
	}
}
