package mountd

// Reads is how many times the tracker has looked at the files.
func Reads(t *Tracker) int64 { return t.reads.Load() }
