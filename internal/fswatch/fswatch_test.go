package fswatch

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

const waitTimeout = 10 * time.Second

// follow starts a watcher and a Dir on path whose changes arrive on the
// returned channel (buffered, so dispatch never blocks).
func follow(t *testing.T, path string, relevant func(string) bool) (*Dir, chan struct{}) {
	t.Helper()
	return followOn(t, newWatcher(t), path, relevant)
}

func newWatcher(t *testing.T) *Watcher {
	t.Helper()
	w, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func followOn(t *testing.T, w *Watcher, path string, relevant func(string) bool) (*Dir, chan struct{}) {
	t.Helper()
	ch := make(chan struct{}, 64)
	d := w.Follow(path, relevant, func() { ch <- struct{}{} })
	if err := d.Arm(); err != nil {
		t.Fatal(err)
	}
	return d, ch
}

func waitChange(t *testing.T, ch chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitTimeout):
		t.Fatalf("no change reported after %s", what)
	}
}

func drain(ch chan struct{}) int {
	n := 0
	for {
		select {
		case <-ch:
			n++
		default:
			return n
		}
	}
}

func mkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, p string) {
	t.Helper()
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDir_FollowsADirectoryThatAppearsLater(t *testing.T) {
	base := t.TempDir()
	want := filepath.Join(base, "a", "b", "c")
	d, ch := follow(t, want, func(b string) bool { return b == "wanted" })
	if got := d.Watching(); got != base {
		t.Fatalf("watching %s, want the nearest existing ancestor %s", got, base)
	}
	for _, p := range []string{filepath.Join(base, "a"), filepath.Join(base, "a", "b"), want} {
		mkdir(t, p)
		waitChange(t, ch, "mkdir "+p)
		if !d.Stale() {
			t.Fatalf("after mkdir %s: Stale() = false, want true", p)
		}
		if err := d.Arm(); err != nil {
			t.Fatal(err)
		}
	}
	if got := d.Watching(); got != want {
		t.Fatalf("watching %s, want %s", got, want)
	}
	drain(ch)
	write(t, filepath.Join(want, "other"))
	write(t, filepath.Join(want, "wanted"))
	waitChange(t, ch, "writing the relevant file")
}

func TestDir_IgnoresIrrelevantNames(t *testing.T) {
	dir := t.TempDir()
	d, ch := follow(t, dir, func(b string) bool { return b == "wanted" })
	for i := range 20 {
		write(t, filepath.Join(dir, "churn"+string(rune('a'+i))))
	}
	// A relevant write after the churn: the first change seen must be it,
	// and nothing may have arrived for the churn before it.
	write(t, filepath.Join(dir, "wanted"))
	waitChange(t, ch, "writing the relevant file")
	if n := drain(ch); n > 2 {
		t.Fatalf("%d more changes after one relevant write (create+write at most)", n)
	}
	d.Stop()
}

func TestDir_DirectoryRemovedIsAChangeAndRearmMovesUp(t *testing.T) {
	base := t.TempDir()
	want := filepath.Join(base, "d")
	mkdir(t, want)
	d, ch := follow(t, want, nil)
	if err := os.Remove(want); err != nil {
		t.Fatal(err)
	}
	waitChange(t, ch, "removing the followed directory")
	if !d.Stale() {
		t.Fatal("Stale() = false after the directory vanished")
	}
	if err := d.Arm(); err != nil {
		t.Fatal(err)
	}
	if got := d.Watching(); got != base {
		t.Fatalf("watching %s after removal, want %s", got, base)
	}
}

func TestDir_StopEndsChanges(t *testing.T) {
	dir := t.TempDir()
	w := newWatcher(t)
	d, ch := followOn(t, w, dir, nil)
	// A second Dir on the same directory proves the events were dispatched.
	_, ch2 := followOn(t, w, dir, nil)
	d.Stop()
	write(t, filepath.Join(dir, "f"))
	write(t, filepath.Join(dir, "g"))
	waitChange(t, ch2, "writing after Stop")
	if n := drain(ch); n != 0 {
		t.Fatalf("a stopped Dir got %d changes", n)
	}
}
