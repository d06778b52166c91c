package oplog_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/fswatch"
	"github.com/heddle-ls/heddle-ls/internal/record"
	"github.com/heddle-ls/heddle-ls/oplog"
)

const waitTimeout = 10 * time.Second

func newWatcher(tb testing.TB) *oplog.Watcher {
	tb.Helper()
	w, err := fswatch.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	ow := oplog.NewWatcher(w, nil)
	tb.Cleanup(func() { ow.Close(); w.Close() })
	return ow
}

// changes records what one subscription sees, and when.
type changes struct{ *record.Recorder[oplog.Change] }

func subscribe(tb testing.TB, ow *oplog.Watcher, heddleDir string) (*changes, func()) {
	c := &changes{record.New[oplog.Change]()}
	stop := ow.Watch(heddleDir, c.Add)
	tb.Cleanup(stop)
	return c, stop
}

func (c *changes) snapshot() ([]oplog.Change, []time.Time) { return c.Snapshot() }

func (c *changes) count() int { return c.Len() }

// waitHead waits for a change with head id head, and returns how many
// changes had come by then.
func (c *changes) waitHead(tb testing.TB, head uint64) int {
	tb.Helper()
	_, i := c.Wait(tb, 0, waitTimeout, fmt.Sprintf("a change with head %d", head), func(ch oplog.Change) bool {
		return ch.HasHead && ch.HeadID == head
	})
	return i + 1
}

func TestWatcher_RenameOntoManifestIsOneChange(t *testing.T) {
	ow := newWatcher(t)
	hd := newHeddleDir(t, true)
	c, _ := subscribe(t, ow, hd)
	publishHead(t, hd, 7)
	if n := c.waitHead(t, 7); n != 1 {
		t.Fatalf("%d changes before the one with head 7", n-1)
	}
	// The next publication, after the window, is one more change.
	publishHead(t, hd, 8)
	if n := c.waitHead(t, 8); n != 2 {
		all, _ := c.snapshot()
		t.Fatalf("changes %v, want exactly [7 8]", all)
	}
}

// A pre-V5 repository publishes oplog.bin; a garbled publication is still
// a change, with no head.
func TestWatcher_PackedOplogAndGarbage(t *testing.T) {
	ow := newWatcher(t)
	hd := newHeddleDir(t, true)
	c, _ := subscribe(t, ow, hd)
	publish(t, oplog.Dir(hd), oplog.PackedFile, packedBytes(4, 11))
	c.waitHead(t, 11)
	publish(t, oplog.Dir(hd), oplog.ManifestFile, []byte("garbage"))
	if ch, _ := c.Wait(t, 1, waitTimeout, "the change a garbage manifest renamed into place makes", func(oplog.Change) bool { return true }); ch.HasHead {
		t.Fatalf("a garbage manifest gave head %d", ch.HeadID)
	}
}

// A burst of publications: the first is delivered at once, then at most one
// per window, and the last always arrives.
func TestWatcher_BurstIsCoalesced(t *testing.T) {
	ow := newWatcher(t)
	hd := newHeddleDir(t, true)
	c, _ := subscribe(t, ow, hd)
	first := time.Now()
	const n = 100
	for i := uint64(1); i <= n; i++ {
		publishHead(t, hd, i)
	}
	c.waitHead(t, n)
	all, at := c.snapshot()
	for i := 1; i < len(all); i++ {
		if !all[i].HasHead || all[i].HeadID <= all[i-1].HeadID {
			t.Fatalf("changes out of order: %v", all)
		}
	}
	// Deliveries come at the burst's start and at window ends: no more than
	// one per window over the time they took, plus the first.
	limit := 2 + int(at[len(at)-1].Sub(first)/oplog.Window)
	if len(all) > limit || len(all) >= n/4 {
		t.Fatalf("%d changes for %d publications over %v (limit %d)", len(all), n, at[len(at)-1].Sub(first), limit)
	}
	t.Logf("%d publications → %d changes: %v", n, len(all), all)
}

// Temp files, segments, quarantine, locks and state/ churn are not
// publications: no change, and not even a look at the files.
func TestWatcher_ChurnIsNoChange(t *testing.T) {
	ow := newWatcher(t)
	hd := newHeddleDir(t, true)
	publishHead(t, hd, 1) // segments dir and a manifest exist before
	c, _ := subscribe(t, ow, hd)
	reads := oplog.Reads(ow)
	dir := oplog.Dir(hd)
	for _, d := range []string{filepath.Join(dir, "oplog.segments"), filepath.Join(dir, "oplog.quarantine"), filepath.Join(hd, "state"), filepath.Join(hd, "locks")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		for _, p := range []string{
			filepath.Join(dir, fmt.Sprintf(".oplog.manifest.tmp-1-2-%d", i)),
			filepath.Join(dir, fmt.Sprintf(".oplog.bin.tmp-1-2-%d", i)),
			filepath.Join(dir, "oplog.segments", fmt.Sprintf("segment-l00-%020d.bin", i)),
			filepath.Join(dir, "oplog.quarantine", fmt.Sprint(i)),
			filepath.Join(hd, "state", "index.bin"),
			filepath.Join(hd, "state", "index.journal"),
			filepath.Join(hd, "locks", "oplog.lock"),
		} {
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		os.Remove(filepath.Join(dir, fmt.Sprintf(".oplog.manifest.tmp-1-2-%d", i)))
	}
	// A real publication after the churn: once it is delivered, every
	// event of the churn before it has been dispatched too.
	publish(t, dir, oplog.ManifestFile, manifestBytes(2, 2))
	if n := c.waitHead(t, 2); n != 1 {
		all, _ := c.snapshot()
		t.Fatalf("churn made changes: %v", all)
	}
	if n := oplog.Reads(ow) - reads; n != 1 {
		t.Fatalf("%d looks at the files for churn plus one publication, want 1", n)
	}
}

// The oplog directory may not exist yet (a fresh repository); its first
// publication is seen, and so is one after it is removed and recreated.
func TestWatcher_OplogDirAppearsLater(t *testing.T) {
	ow := newWatcher(t)
	hd := newHeddleDir(t, false)
	c, _ := subscribe(t, ow, hd)
	if err := os.Mkdir(oplog.Dir(hd), 0o755); err != nil {
		t.Fatal(err)
	}
	publish(t, oplog.Dir(hd), oplog.PackedFile, packedBytes(4, 1))
	c.waitHead(t, 1)
	if err := os.RemoveAll(oplog.Dir(hd)); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(oplog.Dir(hd), 0o755); err != nil {
		t.Fatal(err)
	}
	publishHead(t, hd, 2)
	c.waitHead(t, 2)
}

// Subscribers of one heddle dir share one watch; a publication right after
// Watch returns is seen; after stop, nothing more arrives.
func TestWatcher_SharedAndStopped(t *testing.T) {
	ow := newWatcher(t)
	hd := newHeddleDir(t, true)
	a, stopA := subscribe(t, ow, hd)
	readsOne := oplog.Reads(ow)
	b, _ := subscribe(t, ow, hd)
	if n := oplog.Reads(ow) - readsOne; n != 0 {
		t.Fatalf("a second subscriber cost %d looks at the files", n)
	}
	publishHead(t, hd, 1)
	a.waitHead(t, 1)
	b.waitHead(t, 1)
	stopA()
	seen := a.count()
	publish(t, oplog.Dir(hd), oplog.ManifestFile, manifestBytes(2, 2))
	b.waitHead(t, 2)
	if n := a.count(); n != seen {
		t.Fatalf("a stopped subscription got %d more changes", n-seen)
	}
}

// With nothing changing, no work: no look at the files and no change, over
// many watched oplogs, including just after a burst (its last window closes
// and no timer runs on). (The wait is the thing under test.)
func TestWatcher_IdleDoesNoWork(t *testing.T) {
	ow := newWatcher(t)
	var subs []*changes
	for i := range 20 {
		hd := newHeddleDir(t, i%2 == 0)
		c, _ := subscribe(t, ow, hd)
		subs = append(subs, c)
		if i == 0 {
			publishHead(t, hd, 1)
			c.waitHead(t, 1)
		}
	}
	recs := make([]interface{ Len() int }, len(subs))
	for i, c := range subs {
		recs[i] = c
	}
	record.Idle(t, 500*time.Millisecond, func() int64 { return oplog.Reads(ow) }, recs...)
}
