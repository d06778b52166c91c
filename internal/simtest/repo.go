package simtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// NewRepo makes a temporary heddle repository (<dir>/.heddle/objects) and
// returns its canonical root. It lives under a short base in the temp dir,
// not t.TempDir(): a Unix socket path must fit in 108 bytes, and
// <root>/.heddle/sockets/grpc.sock must too.
func NewRepo(tb testing.TB) string {
	tb.Helper()
	root := ShortDir(tb)
	if err := os.MkdirAll(filepath.Join(root, ".heddle", "objects"), 0o755); err != nil {
		tb.Fatalf("simtest: make heddle repo: %v", err)
	}
	return root
}

// NewWorktree makes a temporary worktree of the repository at mainRoot: its
// .heddle/objectstore file points at mainRoot's heddle dir, so both share
// one daemon. It returns the worktree's canonical root.
func NewWorktree(tb testing.TB, mainRoot string) string {
	tb.Helper()
	root := ShortDir(tb)
	dot := filepath.Join(root, ".heddle")
	if err := os.Mkdir(dot, 0o755); err != nil {
		tb.Fatalf("simtest: make worktree: %v", err)
	}
	pointer := fmt.Sprintf("objectstore: %s\nsource-authority: native\n", filepath.Join(mainRoot, ".heddle"))
	if err := os.WriteFile(filepath.Join(dot, "objectstore"), []byte(pointer), 0o644); err != nil {
		tb.Fatalf("simtest: write objectstore pointer: %v", err)
	}
	return root
}

// HeddleDir is the heddle dir of a repository made by NewRepo.
func HeddleDir(root string) string { return filepath.Join(root, ".heddle") }

// ShortDir makes a fresh empty temporary directory, removed when the test
// ends, and returns its canonical (symlink-free) path: short, for the same
// reason as NewRepo's.
func ShortDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "hs")
	if err != nil {
		tb.Fatalf("simtest: make temp dir: %v", err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	canon, err := filepath.EvalSymlinks(dir)
	if err != nil {
		tb.Fatalf("simtest: canonicalize %s: %v", dir, err)
	}
	return canon
}

// WaitFor waits until cond holds, checking it with a short backoff (1 ms
// growing to 20 ms), and fails the test with msg if timeout passes first.
func WaitFor(tb testing.TB, timeout time.Duration, cond func() bool, msg string) {
	tb.Helper()
	if !Eventually(timeout, cond) {
		tb.Fatalf("simtest: timed out after %s waiting for %s", timeout, msg)
	}
}

// Eventually reports whether cond holds within timeout (see WaitFor).
func Eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	backoff := time.Millisecond
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		t := time.NewTimer(min(backoff, time.Until(deadline)+time.Millisecond))
		<-t.C
		backoff = min(backoff*2, 20*time.Millisecond)
	}
}
