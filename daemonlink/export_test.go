package daemonlink

// ProbeCount exposes how many probes a tracker's links have run.
func ProbeCount(t *Tracker) int64 { return t.probes.Load() }
