package oplog

import "time"

// Reads is how many times the watcher has looked at the files.
func Reads(w *Watcher) int64 { return w.reads.Load() }

// SetWindow changes the coalescing window (benchmarks measure one
// publication's path without waiting out the window between samples).
func SetWindow(w *Watcher, d time.Duration) { w.window = d }

// ReadHead is the head id the oplog last published, read from the
// manifest's header or, when there is no manifest, from oplog.bin's. false
// when neither can be read or holds a header heddle-ls knows (a manifest
// that is there but unreadable wins: it is authoritative). The watcher
// reads it the same way, through readState.
func ReadHead(heddleDir string) (uint64, bool) {
	return readState(Dir(heddleDir)).head()
}
