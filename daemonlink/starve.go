package daemonlink

import (
	"runtime/metrics"
	"time"
)

// Starvation: whether heddle-ls itself was kept from running while a probe
// waited on a deadline. On a busy machine (an editor starting on two cores,
// twenty folders probed at once) a goroutine can sit runnable for longer
// than a 50 ms deadline, and the deadline then expires although the daemon
// answered in time. Go's runtime counts how long goroutines wait to run
// (/sched/latencies:seconds); a probe whose timeout coincides with such
// waits says nothing about the daemon, and the policy does not count it as
// a confirmed failure.

const schedLatencies = "/sched/latencies:seconds"

// schedSnapshot is the cumulative scheduling-latency histogram at one moment.
type schedSnapshot struct {
	counts  []uint64
	buckets []float64 // boundaries in seconds: counts[i] covers [buckets[i], buckets[i+1])
}

// readSched reads the histogram. metrics.Read may run concurrently (each
// probe reads into a sample of its own), and its result is ours to keep.
func readSched() schedSnapshot {
	sample := []metrics.Sample{{Name: schedLatencies}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindFloat64Histogram {
		return schedSnapshot{}
	}
	h := sample[0].Value.Float64Histogram()
	return schedSnapshot{counts: h.Counts, buckets: h.Buckets}
}

// starvedSince reports whether, since before, some goroutine of this
// process waited at least min to be scheduled.
func starvedSince(before schedSnapshot, min time.Duration) bool {
	after := readSched()
	if len(after.counts) == 0 || len(after.counts) != len(before.counts) {
		return false
	}
	for i, n := range after.counts {
		if after.buckets[i] >= min.Seconds() && n > before.counts[i] {
			return true
		}
	}
	return false
}

// starvedThreshold is how long a wait to be scheduled must be to explain
// a missed deadline d: half of it, and never under 5 ms.
func starvedThreshold(d time.Duration) time.Duration {
	return max(d/2, 5*time.Millisecond)
}
