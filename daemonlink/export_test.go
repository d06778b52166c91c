package daemonlink

// ProbeCount exposes how many probes a tracker's links have run.
func ProbeCount(t *Tracker) int64 { return t.probes.Load() }

// Current is the status a tracker's link for dir last gave its
// subscribers; false when dir is not watched or has no status yet.
func Current(t *Tracker, dir string) (Status, bool) {
	l := t.link(dir)
	if l == nil {
		return Status{}, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.status, l.known
}
