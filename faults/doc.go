// Package faults holds heddle-ls's reliability tests: the fault matrix of
// SECURITY.md (every fault over real processes and real sockets, observed
// through the real heddle-ls binary speaking LSP), protocol misuse, and the
// soak test that checks goroutines and file descriptors return to baseline.
// It has no non-test code.
package faults
