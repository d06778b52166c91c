package oplog

import "time"

// Reads is how many times the watcher has looked at the files.
func Reads(w *Watcher) int64 { return w.reads.Load() }

// SetWindow changes the coalescing window (benchmarks measure one
// publication's path without waiting out the window between samples).
func SetWindow(w *Watcher, d time.Duration) { w.window = d }
