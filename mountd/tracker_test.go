package mountd_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/internal/fswatch"
	"github.com/heddle-ls/heddle-ls/internal/record"
	"github.com/heddle-ls/heddle-ls/internal/simtest"
	"github.com/heddle-ls/heddle-ls/mountd"
)

const waitTimeout = 10 * time.Second

func newTracker(t *testing.T) *mountd.Tracker {
	t.Helper()
	w, err := fswatch.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := mountd.NewTracker(w, nil)
	t.Cleanup(func() { tr.Close(); w.Close() })
	return tr
}

// recorder collects the statuses one subscription sees, and checks they
// never overlap.
type recorder struct {
	*record.Recorder[*mountd.Status]
	inside sync.Mutex // held during a call: a concurrent one fails TryLock
	t      *testing.T
}

func watch(t *testing.T, tr *mountd.Tracker, repo heddle.Repo) (*recorder, func()) {
	t.Helper()
	r := &recorder{Recorder: record.New[*mountd.Status](), t: t}
	r.Describe = describe
	stop := tr.Watch(repo, r.add)
	t.Cleanup(stop)
	return r, stop
}

func (r *recorder) add(st *mountd.Status) {
	if !r.inside.TryLock() {
		r.t.Errorf("two calls at once for one subscription")
		return
	}
	defer r.inside.Unlock()
	r.Add(st)
}

func (r *recorder) snapshot() []*mountd.Status { return r.All() }

func (r *recorder) count() int { return r.Len() }

// waitFor waits for a status matching pred reported at index ≥ from, and
// returns it and the index after it.
func (r *recorder) waitFor(t *testing.T, from int, what string, pred func(*mountd.Status) bool) (*mountd.Status, int) {
	t.Helper()
	st, i := r.Wait(t, from, waitTimeout, what, pred)
	return st, i + 1
}

func (r *recorder) waitReason(t *testing.T, from int, state, reason string, mounts int) (*mountd.Status, int) {
	t.Helper()
	return r.waitFor(t, from, fmt.Sprintf("%s/%s with %d mounts", state, reason, mounts), func(s *mountd.Status) bool {
		return s != nil && s.State == state && s.Reason == reason && s.Mounts == mounts
	})
}

func (r *recorder) waitNil(t *testing.T, from int) int {
	t.Helper()
	_, next := r.waitFor(t, from, "nil (no endpoint)", func(s *mountd.Status) bool { return s == nil })
	return next
}

func describe(all []*mountd.Status) string {
	s := ""
	for _, st := range all {
		if st == nil {
			s += "\n  nil"
			continue
		}
		s += fmt.Sprintf("\n  %s/%s pid=%d protocol=%d mounts=%d %q", st.State, st.Reason, st.PID, st.Protocol, st.Mounts, st.Message)
	}
	return s
}

// watchedDaemon starts a mount daemon, then watches its repository with a
// new tracker until it shows running. It checks no connection is ever made.
func watchedDaemon(t *testing.T, protocol int, args ...string) (*mountd.Tracker, heddle.Repo, *simtest.MountDaemon, *recorder, int) {
	t.Helper()
	tr := newTracker(t)
	repo, _ := newRepo(t)
	m := simtest.StartMountDaemon(t, repo.Root, protocol, args...)
	noConnections(t, m)
	r, _ := watch(t, tr, repo)
	_, next := r.waitReason(t, 0, mountd.StateRunning, mountd.ReasonEndpointLive, 0)
	return tr, repo, m, r, next
}

// A daemon's life as the tracker reports it: nothing, then running as it
// starts, its mounts as they come and go, then nothing again after a clean
// exit, which removes its files. Never a connection.
func TestTracker_DaemonStartsMountsAndExits(t *testing.T) {
	for _, protocol := range []int{2, 3} {
		t.Run(fmt.Sprint("protocol", protocol), func(t *testing.T) {
			tr := newTracker(t)
			root := simtest.NewRepo(t) // no state dir yet: it appears with the daemon
			repo := heddle.Repo{Root: root, HeddleDir: simtest.HeddleDir(root)}
			r, _ := watch(t, tr, repo)
			next := r.waitNil(t, 0)
			m := simtest.StartMountDaemon(t, root, protocol)
			noConnections(t, m)
			st, next := r.waitReason(t, next, mountd.StateRunning, mountd.ReasonEndpointLive, 0)
			if st.PID != m.PID() || st.Protocol != protocol {
				t.Fatalf("running %+v, want pid %d protocol %d", *st, m.PID(), protocol)
			}
			m.Mount("a")
			_, next = r.waitReason(t, next, mountd.StateRunning, mountd.ReasonEndpointLive, 1)
			m.Mount("b")
			_, next = r.waitReason(t, next, mountd.StateRunning, mountd.ReasonEndpointLive, 2)
			m.Unmount("a")
			_, next = r.waitReason(t, next, mountd.StateRunning, mountd.ReasonEndpointLive, 1)
			if err := m.Interrupt(); err != nil {
				t.Fatal(err)
			}
			r.waitNil(t, next)
			for _, st := range r.snapshot()[1:] {
				if st != nil && st.State != mountd.StateRunning {
					t.Fatalf("a state other than running on the way: %s", describe(r.snapshot()))
				}
			}
		})
	}
}

// SIGKILL leaves the files: only the pid's exit says the daemon is gone.
func TestTracker_KilledDaemonIsStale(t *testing.T) {
	for _, protocol := range []int{2, 3} {
		t.Run(fmt.Sprint("protocol", protocol), func(t *testing.T) {
			_, repo, m, r, next := watchedDaemon(t, protocol)
			m.Mount("a")
			m.Mount("b")
			_, next = r.waitReason(t, next, mountd.StateRunning, mountd.ReasonEndpointLive, 2)
			m.Kill()
			if !simtest.FileExists(m.Endpoint()) || !simtest.FileExists(m.MountsFile()) {
				t.Fatal("SIGKILL removed the endpoint or mounts.json")
			}
			st, next := r.waitReason(t, next, mountd.StateStale, mountd.ReasonPidDead, 2)
			if st.PID != m.PID() {
				t.Fatalf("stale %+v, want pid %d", *st, m.PID())
			}
			// The next daemon starts over the dead one's mounts.json, which
			// it rewrites only on its first mount: those are not its mounts.
			m2 := simtest.StartMountDaemon(t, repo.Root, protocol)
			noConnections(t, m2)
			st, next = r.waitFor(t, next, "the new daemon running", func(s *mountd.Status) bool {
				return s != nil && s.State == mountd.StateRunning && s.PID == m2.PID()
			})
			if st.Mounts != 0 || !strings.Contains(st.Message, "2 mounts of an earlier mount daemon") {
				t.Fatalf("new daemon over a dead one's mounts.json: %+v", *st)
			}
			m2.Mount("c")
			r.waitReason(t, next, mountd.StateRunning, mountd.ReasonEndpointLive, 1)
		})
	}
}

// An endpoint whose pid now belongs to another program is stale; when that
// program exits too, the pid is dead.
func TestTracker_PidReusedByAnotherProgram(t *testing.T) {
	tr := newTracker(t)
	repo, dir := newRepo(t)
	sleep := sleeper(t, "", -1)
	writeFile(t, filepath.Join(dir, mountd.EndpointFile), endpointJSON(2, sleep.Process.Pid, ""))
	r, _ := watch(t, tr, repo)
	_, next := r.waitReason(t, 0, mountd.StateStale, mountd.ReasonPidNotHeddle, 0)
	sleep.Process.Kill()
	sleep.Wait()
	r.waitReason(t, next, mountd.StateStale, mountd.ReasonPidDead, 0)
}

// The socket of a live protocol-3 daemon: removed, swapped for a symlink,
// given to another user. Each shows at once, from file events alone.
func TestTracker_SocketChanges(t *testing.T) {
	_, _, m, r, next := watchedDaemon(t, 3)
	moved := filepath.Join(filepath.Dir(m.Socket()), "real.sock")
	must(t, os.Rename(m.Socket(), moved))
	_, next = r.waitReason(t, next, mountd.StateStale, mountd.ReasonSocketMissing, 0)
	must(t, os.Symlink(moved, m.Socket()))
	_, next = r.waitReason(t, next, mountd.StateDenied, mountd.ReasonSocketSymlink, 0)
	must(t, os.Remove(m.Socket()))
	must(t, os.Rename(moved, m.Socket()))
	_, next = r.waitReason(t, next, mountd.StateRunning, mountd.ReasonEndpointLive, 0)
	if os.Geteuid() == 0 {
		must(t, os.Chown(m.Socket(), 65534, 65534))
		r.waitReason(t, next, mountd.StateDenied, mountd.ReasonSocketNotOurs, 0)
	}
}

// Garbage appearing in place of a live endpoint, then a huge file, then the
// real one again.
func TestTracker_GarbageEndpoint(t *testing.T) {
	_, repo, m, r, next := watchedDaemon(t, 2)
	dir := mountd.StateDir(repo)
	good, err := os.ReadFile(m.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	replace := func(data []byte) {
		tmp := filepath.Join(dir, ".heddled.endpoint.json.tmp-1")
		must(t, os.WriteFile(tmp, data, 0o644))
		must(t, os.Rename(tmp, m.Endpoint()))
	}
	replace([]byte("{not json"))
	_, next = r.waitReason(t, next, mountd.StateUnknownProtocol, mountd.ReasonEndpointUnparseable, 0)
	replace(make([]byte, 8<<20))
	_, next = r.waitReason(t, next, mountd.StateUnknownProtocol, mountd.ReasonEndpointTooLarge, 0)
	replace(good)
	r.waitReason(t, next, mountd.StateRunning, mountd.ReasonEndpointLive, 0)
}

// Subscribers of one repository share one watch: a newcomer is greeted with
// the current status without a new look at the files, and a change costs
// one look whatever the number of subscribers. After stop, nothing more.
func TestTracker_SubscribersShareOneWatch(t *testing.T) {
	tr, repo, m, first, _ := watchedDaemon(t, 3)
	waitReads(t, tr, 2)
	reads := mountd.Reads(tr)
	var subs []*recorder
	var stops []func()
	for range 5 {
		r, stop := watch(t, tr, repo)
		r.waitReason(t, 0, mountd.StateRunning, mountd.ReasonEndpointLive, 0)
		subs, stops = append(subs, r), append(stops, stop)
	}
	if n := mountd.Reads(tr) - reads; n != 0 {
		t.Fatalf("%d looks at the files to greet 5 newcomers, want 0", n)
	}
	stops[0]()
	seen := subs[0].count()
	m.Mount("a")
	for _, r := range append([]*recorder{first}, subs[1:]...) {
		r.waitReason(t, 1, mountd.StateRunning, mountd.ReasonEndpointLive, 1)
	}
	if n := mountd.Reads(tr) - reads; n != 1 {
		t.Fatalf("%d looks for one mount change (one rename) with 6 subscribers, want 1", n)
	}
	if n := subs[0].count(); n != seen {
		t.Fatalf("a stopped subscription was called %d more times", n-seen)
	}
}

// waitReads waits until the tracker has looked at the files n times in
// all. With the files in place before Watch, the looks are known: one, and
// one more after a pidfd is opened on a live pid (it verifies the process
// the pidfd refers to).
func waitReads(t *testing.T, tr *mountd.Tracker, n int64) {
	t.Helper()
	simtest.WaitFor(t, waitTimeout, func() bool { return mountd.Reads(tr) >= n }, fmt.Sprintf("%d looks at the files", n))
	if got := mountd.Reads(tr); got != n {
		t.Fatalf("%d looks at the files, want %d", got, n)
	}
}

// heddle's own status calls write other files in the state dir; they must
// cause no work at all.
func TestTracker_OtherStateFilesCauseNoWork(t *testing.T) {
	tr, repo, m, r, _ := watchedDaemon(t, 3)
	dir := mountd.StateDir(repo)
	waitReads(t, tr, 2)
	reads, reports := mountd.Reads(tr), r.count()
	for i := range 50 {
		for _, name := range []string{"index.bin", "index.journal", "worktree-current-tree.bin", "monitor-helper.json", fmt.Sprintf(".index.bin.tmp-%d", i)} {
			writeFile(t, filepath.Join(dir, name), fmt.Sprint(i))
		}
		os.Remove(filepath.Join(dir, fmt.Sprintf(".index.bin.tmp-%d", i)))
	}
	// A relevant change after the churn: once it is reported, every event
	// of the churn before it has been dispatched too.
	m.Mount("a")
	r.waitReason(t, reports, mountd.StateRunning, mountd.ReasonEndpointLive, 1)
	if n := mountd.Reads(tr) - reads; n != 1 {
		t.Fatalf("%d looks at the files for churn plus one mount change (one rename), want 1", n)
	}
}

// When nothing changes, the tracker does no work, whatever the states.
// (The wait is the thing under test.)
func TestTracker_IdleDoesNoWork(t *testing.T) {
	tr := newTracker(t)
	var recs []interface{ Len() int }
	for i, setup := range []func(repo heddle.Repo, dir string){
		func(repo heddle.Repo, dir string) {
			noConnections(t, simtest.StartMountDaemon(t, repo.Root, 2, "--mounts", "1"))
		},
		func(repo heddle.Repo, dir string) { noConnections(t, simtest.StartMountDaemon(t, repo.Root, 3)) },
		func(repo heddle.Repo, dir string) {
			writeFile(t, filepath.Join(dir, mountd.EndpointFile), endpointJSON(2, deadPID, ""))
		},
		func(repo heddle.Repo, dir string) {
			writeFile(t, filepath.Join(dir, mountd.EndpointFile), endpointJSON(2, sleeper(t, "", -1).Process.Pid, ""))
		},
		func(heddle.Repo, string) {},
	} {
		repo, dir := newRepo(t)
		setup(repo, dir)
		r, _ := watch(t, tr, repo)
		r.waitFor(t, 0, fmt.Sprint("repo ", i, "'s first status"), func(*mountd.Status) bool { return true })
		recs = append(recs, r)
	}
	waitReads(t, tr, 2+2+1+2+1) // live pids get a second look
	record.Idle(t, 500*time.Millisecond, func() int64 { return mountd.Reads(tr) }, recs...)
}

// Close ends every watch: nothing is delivered after it returns.
func TestTracker_CloseStopsDelivery(t *testing.T) {
	w, err := fswatch.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	tr := mountd.NewTracker(w, nil)
	repo, _ := newRepo(t)
	r, _ := watch(t, tr, repo)
	r.waitNil(t, 0)
	tr.Close()
	seen := r.count()
	m := simtest.StartMountDaemon(t, repo.Root, 2)
	noConnections(t, m)
	m.Mount("a")
	if n := r.count(); n != seen {
		t.Fatalf("%d statuses after Close", n-seen)
	}
	late, _ := watch(t, tr, repo)
	if late.count() != 0 {
		t.Fatal("a closed tracker delivered to a new subscription")
	}
}
