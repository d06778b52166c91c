package daemonlink_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/internal/record"
	"github.com/heddle-ls/heddle-ls/internal/simtest"
)

func TestMain(m *testing.M) { simtest.Main(m) }

// recorder collects the statuses a Tracker reports.
type recorder struct {
	*record.Recorder[daemonlink.Status]
}

func newRecorder() *recorder {
	r := record.New[daemonlink.Status]()
	r.Describe = describe
	return &recorder{r}
}

func (r *recorder) add(st daemonlink.Status) { r.Add(st) }

func (r *recorder) snapshot() []daemonlink.Status { return r.All() }

// waitFor waits until a status for dir matching pred was reported after
// index from, and returns it with its index.
func (r *recorder) waitFor(t *testing.T, dir string, from int, timeout time.Duration, pred func(daemonlink.Status) bool, what string) (daemonlink.Status, int) {
	t.Helper()
	return r.Wait(t, from, timeout, what, func(s daemonlink.Status) bool { return s.HeddleDir == dir && pred(s) })
}

func (r *recorder) waitState(t *testing.T, dir string, from int, state daemonlink.State) (daemonlink.Status, int) {
	t.Helper()
	return r.waitFor(t, dir, from, 10*time.Second, func(s daemonlink.Status) bool { return s.State == state }, string(state))
}

func describe(all []daemonlink.Status) string {
	s := ""
	for _, st := range all {
		s += fmt.Sprintf("\n  %s %s/%s pid=%d api=%q %q", filepath.Base(filepath.Dir(st.HeddleDir)), st.State, st.Reason, st.PID, st.API, st.Message)
	}
	return s
}

// testTracker is a Tracker whose subscriptions all report to one recorder:
// Track subscribes, Untrack ends the latest subscription of a dir.
type testTracker struct {
	*daemonlink.Tracker
	rec   *recorder
	mu    sync.Mutex
	stops map[string][]func()
}

func (tt *testTracker) Track(dir string) {
	stop := tt.Watch(dir, tt.rec.add)
	tt.mu.Lock()
	tt.stops[dir] = append(tt.stops[dir], stop)
	tt.mu.Unlock()
}

func (tt *testTracker) Untrack(dir string) {
	tt.mu.Lock()
	stops := tt.stops[dir]
	stop := stops[len(stops)-1]
	tt.stops[dir] = stops[:len(stops)-1]
	tt.mu.Unlock()
	stop()
}

func newTracker(t *testing.T, opts daemonlink.Options) (*testTracker, *recorder) {
	t.Helper()
	rec := newRecorder()
	tr, err := daemonlink.NewTracker(opts, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return &testTracker{Tracker: tr, rec: rec, stops: map[string][]func(){}}, rec
}

// trackRepo is a new tracker with repo's heddle dir tracked.
func trackRepo(t *testing.T, repo string, opts daemonlink.Options) (*testTracker, *recorder, string) {
	t.Helper()
	dir := heddleDir(t, repo)
	tr, rec := trackDir(t, dir, opts)
	return tr, rec, dir
}

// trackDir is a new tracker with dir tracked.
func trackDir(t *testing.T, dir string, opts daemonlink.Options) (*testTracker, *recorder) {
	t.Helper()
	tr, rec := newTracker(t, opts)
	tr.Track(dir)
	return tr, rec
}

func heddleDir(t *testing.T, repo string) string {
	t.Helper()
	r, err := heddle.Discover(repo)
	if err != nil {
		t.Fatal(err)
	}
	return r.HeddleDir
}

func TestTracker_ReadyWithoutHealthService(t *testing.T) {
	repo := simtest.NewRepo(t)
	d := simtest.Start(t, repo)
	tr, rec, dir := trackRepo(t, repo, daemonlink.Options{})
	st, _ := rec.waitState(t, dir, 0, daemonlink.StateReady)
	if st.Reason != daemonlink.ReasonHealthUnimplemented || st.PID != d.PID() || st.API != daemonlink.APIHeddleV1 ||
		st.Socket != filepath.Join(dir, "sockets", "grpc.sock") || st.Since.IsZero() {
		t.Fatalf("ready status = %+v", st)
	}
	if got, ok := daemonlink.Current(tr.Tracker, dir); !ok || !got.Same(st) {
		t.Fatalf("Status() = %+v, %v; want %+v", got, ok, st)
	}
}

// heddle's daemon lifecycle (README, "Troubleshooting by state"): SIGINT removes the files (stopped), SIGKILL
// and SIGTERM leave them (stale), a new daemon is ready with its new pid.
func TestTracker_Transitions(t *testing.T) {
	repo := simtest.NewRepo(t)
	_, rec, dir := trackRepo(t, repo, daemonlink.Options{})
	_, i := rec.waitState(t, dir, 0, daemonlink.StateStopped)

	steps := []struct {
		name   string
		stop   func(*simtest.Daemon)
		state  daemonlink.State
		reason string
	}{
		{"SIGINT", func(d *simtest.Daemon) { d.Interrupt() }, daemonlink.StateStopped, daemonlink.ReasonNoPidfile},
		{"SIGKILL", (*simtest.Daemon).Kill, daemonlink.StateStale, daemonlink.ReasonPidDead},
		{"SIGTERM", (*simtest.Daemon).Terminate, daemonlink.StateStale, daemonlink.ReasonPidDead},
	}
	for _, step := range steps {
		d := simtest.Start(t, repo)
		var st daemonlink.Status
		st, i = rec.waitFor(t, dir, i, 10*time.Second, func(s daemonlink.Status) bool {
			return s.State == daemonlink.StateReady && s.PID == d.PID()
		}, "ready with the new pid")
		step.stop(d)
		st, i = rec.waitState(t, dir, i, step.state)
		if st.Reason != step.reason {
			t.Fatalf("after %s: %s/%s, want reason %s", step.name, st.State, st.Reason, step.reason)
		}
	}
	// No state is reported twice in a row.
	all := rec.snapshot()
	for k := 1; k < len(all); k++ {
		if all[k].Same(all[k-1]) {
			t.Fatalf("status reported twice: %s", describe(all[k-1:k+1]))
		}
	}
}

func TestTracker_PidfileOnlyIsStarting(t *testing.T) {
	repo := simtest.NewRepo(t)
	d := simtest.Start(t, repo, "--fault", "pidfile-only")
	_, rec, dir := trackRepo(t, repo, daemonlink.Options{})
	st, _ := rec.waitState(t, dir, 0, daemonlink.StateStarting)
	if st.Reason != daemonlink.ReasonSocketMissing || st.PID != d.PID() {
		t.Fatalf("status = %+v", st)
	}
}

func TestTracker_HealthServiceIsWatched(t *testing.T) {
	repo := simtest.NewRepo(t)
	d := simtest.Start(t, repo, "--health", "not-serving")
	_, rec, dir := trackRepo(t, repo, daemonlink.Options{})
	st, i := rec.waitState(t, dir, 0, daemonlink.StateUnhealthy)
	if st.Reason != daemonlink.ReasonHealthNotServing {
		t.Fatalf("status = %+v", st)
	}
	d.ToggleHealth() // SERVING, pushed over Health.Watch: no file changes
	st, i = rec.waitState(t, dir, i, daemonlink.StateReady)
	if st.Reason != daemonlink.ReasonHealthServing {
		t.Fatalf("status = %+v", st)
	}
	d.ToggleHealth()
	rec.waitState(t, dir, i, daemonlink.StateUnhealthy)
}

func TestTracker_FaultsEndUnhealthyWithinTimeouts(t *testing.T) {
	for _, fault := range []string{"hang-health", "no-serve", "accept-silent"} {
		t.Run(fault, func(t *testing.T) {
			repo := simtest.NewRepo(t)
			simtest.Start(t, repo, "--fault", fault)
			tr, rec := newTracker(t, daemonlink.Options{HealthTimeout: 100 * time.Millisecond})
			dir := heddleDir(t, repo)
			start := time.Now()
			tr.Track(dir)
			st, _ := rec.waitFor(t, dir, 0, 5*time.Second, func(s daemonlink.Status) bool {
				return s.State == daemonlink.StateUnhealthy || s.State == daemonlink.StateUnreachable
			}, "unhealthy or unreachable")
			if st.Reason != daemonlink.ReasonHealthTimeout && st.Reason != daemonlink.ReasonConnectTimeout {
				t.Fatalf("status = %+v", st)
			}
			t.Logf("%s: %s/%s after %v", fault, st.State, st.Reason, time.Since(start))
		})
	}
}

func TestTracker_V1Alpha1DaemonRefusesQueries(t *testing.T) {
	repo := simtest.NewRepo(t)
	simtest.Start(t, repo, "--fault", "no-v1")
	tr, rec, dir := trackRepo(t, repo, daemonlink.Options{})
	st, _ := rec.waitState(t, dir, 0, daemonlink.StateReady)
	if st.API != daemonlink.APIV1Alpha1 || st.Hint == "" {
		t.Fatalf("status = %+v", st)
	}
	_, err := tr.Operations(context.Background(), dir, heddle.OperationQuery{})
	if !daemonlink.IsQueryError(err, daemonlink.KindUnsupported) {
		t.Fatalf("Operations err = %v, want api-unsupported", err)
	}
}

func writePidfile(t *testing.T, dir, content string) {
	t.Helper()
	sockets := filepath.Join(dir, "sockets")
	if err := os.MkdirAll(sockets, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sockets, "grpc.pid"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTracker_StaleAndInvalidPidfiles(t *testing.T) {
	sleeper := exec.Command("sleep", "600")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sleeper.Process.Kill(); sleeper.Wait() })

	tests := []struct {
		name    string
		content string
		state   daemonlink.State
		reason  string
	}{
		{"dead pid", "2147483646\nheddle-agent\n1700000000\n", daemonlink.StateStale, daemonlink.ReasonPidDead},
		{"reused pid (sleep)", strconv.Itoa(sleeper.Process.Pid) + "\nheddle-agent\n1\n", daemonlink.StateStale, daemonlink.ReasonPidNotHeddle},
		{"reused pid (this test)", strconv.Itoa(os.Getpid()) + "\n", daemonlink.StateStale, daemonlink.ReasonPidNotHeddle},
		{"garbage", "not a pid\n", daemonlink.StateInvalidPidfile, daemonlink.ReasonPidfileInvalid},
		{"foreign marker", "1\nnginx\n1\n", daemonlink.StateInvalidPidfile, daemonlink.ReasonPidfileInvalid},
		{"empty", "", daemonlink.StateInvalidPidfile, daemonlink.ReasonPidfileInvalid},
	}
	tr, rec := newTracker(t, daemonlink.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := simtest.NewRepo(t)
			dir := heddleDir(t, repo)
			writePidfile(t, dir, tt.content)
			tr.Track(dir)
			defer tr.Untrack(dir)
			st, _ := rec.waitFor(t, dir, 0, 5*time.Second, func(daemonlink.Status) bool { return true }, "first status")
			if st.State != tt.state || st.Reason != tt.reason || st.Message == "" {
				t.Fatalf("status = %+v, want %s/%s", st, tt.state, tt.reason)
			}
		})
	}
}

func TestTracker_SocketSymlinkIsDenied(t *testing.T) {
	repo := simtest.NewRepo(t)
	d := simtest.Start(t, repo, "--fault", "pidfile-only")
	dir := heddleDir(t, repo)
	other := simtest.NewRepo(t)
	od := simtest.Start(t, other)
	if err := os.Symlink(od.Socket(), filepath.Join(dir, "sockets", "grpc.sock")); err != nil {
		t.Fatal(err)
	}
	_, rec := trackDir(t, dir, daemonlink.Options{})
	st, _ := rec.waitState(t, dir, 0, daemonlink.StateDenied)
	if st.Reason != daemonlink.ReasonSocketSymlink || st.PID != d.PID() {
		t.Fatalf("status = %+v", st)
	}
}

// A socket file nobody listens on, next to a live heddle pid: refused
// connects are retried briefly (the daemon may be between bind and listen),
// then the state settles on unreachable.
func TestTracker_RefusedSettlesUnreachable(t *testing.T) {
	repo := simtest.NewRepo(t)
	simtest.Start(t, repo, "--fault", "pidfile-only")
	dir := heddleDir(t, repo)
	fd, err := bindOnly(filepath.Join(dir, "sockets", "grpc.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	_, rec := trackDir(t, dir, daemonlink.Options{})
	st, _ := rec.waitState(t, dir, 0, daemonlink.StateUnreachable)
	if st.Reason != daemonlink.ReasonConnectRefused {
		t.Fatalf("status = %+v", st)
	}
}

// bindOnly creates a Unix stream socket file without listening on it, as
// a daemon between bind() and listen() (or a crashed one) leaves it.
func bindOnly(path string) (*os.File, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return nil, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

func TestTracker_SharedLinkAndUntrack(t *testing.T) {
	repo := simtest.NewRepo(t)
	simtest.Start(t, repo)
	tr, rec, dir := trackRepo(t, repo, daemonlink.Options{})
	first, _ := rec.waitState(t, dir, 0, daemonlink.StateReady)
	// A second subscriber of a known dir is given its status first.
	second := newRecorder()
	stop := tr.Watch(dir, second.add)
	st, _ := second.waitFor(t, dir, 0, 5*time.Second, func(daemonlink.Status) bool { return true }, "the second subscriber's first status")
	if !st.Same(first) {
		t.Fatalf("second subscriber got %+v first; want the known status %+v", st, first)
	}
	stop()
	if _, ok := daemonlink.Current(tr.Tracker, dir); !ok {
		t.Fatal("dir no longer watched while a subscription remains")
	}
	tr.Untrack(dir)
	if _, ok := daemonlink.Current(tr.Tracker, dir); ok {
		t.Fatal("dir still tracked after the last Untrack")
	}
	_, err := tr.Refresh(context.Background(), dir)
	if !daemonlink.IsQueryError(err, daemonlink.KindNotTracked) {
		t.Fatalf("Refresh of an untracked dir: %v", err)
	}
}

func TestTracker_HeddleDirDeletedAndRecreated(t *testing.T) {
	repo := simtest.NewRepo(t)
	d := simtest.Start(t, repo)
	_, rec, dir := trackRepo(t, repo, daemonlink.Options{})
	_, i := rec.waitState(t, dir, 0, daemonlink.StateReady)
	d.Interrupt()
	_, i = rec.waitState(t, dir, i, daemonlink.StateStopped)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	st, i := rec.waitState(t, dir, i, daemonlink.StateNoRepo)
	if st.Reason != daemonlink.ReasonHeddleDirMissing {
		t.Fatalf("status = %+v", st)
	}
	d2 := simtest.Start(t, repo) // recreates .heddle/objects and sockets/
	rec.waitFor(t, dir, i, 10*time.Second, func(s daemonlink.Status) bool {
		return s.State == daemonlink.StateReady && s.PID == d2.PID()
	}, "ready after the heddle dir came back")
}

func TestTracker_RefreshAndExplain(t *testing.T) {
	repo := simtest.NewRepo(t)
	d := simtest.Start(t, repo)
	tr, rec, dir := trackRepo(t, repo, daemonlink.Options{})
	rec.waitState(t, dir, 0, daemonlink.StateReady)
	st, err := tr.Refresh(context.Background(), dir)
	if err != nil || st.State != daemonlink.StateReady || st.PID != d.PID() {
		t.Fatalf("Refresh = %+v, %v", st, err)
	}
	ex := daemonlink.ExplainRepo(context.Background(), repo, nil, daemonlink.Options{})
	if ex.Status.HeddleDir != dir {
		t.Fatalf("Explain probed %+v, want heddle dir %s", ex.Status, dir)
	}
	var names []string
	for _, s := range ex.Steps {
		if !s.OK && s.Name != "api" {
			t.Errorf("step %s failed: %s", s.Name, s.Detail)
		}
		names = append(names, s.Name)
	}
	want := []string{"discover", "pidfile", "process", "connect", "peer", "health", "api"}
	if fmt.Sprint(names) != fmt.Sprint(want) || ex.Status.State != daemonlink.StateReady {
		t.Fatalf("explain steps %v (state %s), want %v", names, ex.Status.State, want)
	}
}

func TestTracker_QueryNotReady(t *testing.T) {
	repo := simtest.NewRepo(t)
	tr, rec, dir := trackRepo(t, repo, daemonlink.Options{})
	rec.waitState(t, dir, 0, daemonlink.StateStopped)
	_, err := tr.Hooks(context.Background(), dir)
	var qe *daemonlink.QueryError
	if !errors.As(err, &qe) || qe.Kind != daemonlink.KindNotReady || qe.Hint == "" {
		t.Fatalf("Hooks on a stopped daemon: %v", err)
	}
}

func TestTracker_SlowQueryHitsDeadline(t *testing.T) {
	repo := simtest.NewRepo(t)
	simtest.Start(t, repo, "--slow", "10s")
	tr, rec, dir := trackRepo(t, repo, daemonlink.Options{QueryTimeout: 200 * time.Millisecond, HealthTimeout: 100 * time.Millisecond})
	rec.waitState(t, dir, 0, daemonlink.StateReady)
	start := time.Now()
	_, err := tr.Hooks(context.Background(), dir)
	if !daemonlink.IsQueryError(err, daemonlink.KindDeadline) {
		t.Fatalf("err = %v, want deadline", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("query took %v despite a 200 ms deadline", el)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tr.Hooks(ctx, dir); !daemonlink.IsQueryError(err, daemonlink.KindCanceled) {
		t.Fatalf("cancelled query err = %v", err)
	}
}

// When nothing changes, a tracker does no work: no probe runs while
// daemons idle, whatever their state. (The wait is the thing under test.)
func TestTracker_IdleDoesNoWork(t *testing.T) {
	tr, rec := newTracker(t, daemonlink.Options{})
	ready := simtest.NewRepo(t)
	simtest.Start(t, ready, "--health", "serving")
	starting := simtest.NewRepo(t)
	simtest.Start(t, starting, "--fault", "pidfile-only")
	stopped := simtest.NewRepo(t)
	for repo, state := range map[string]daemonlink.State{ready: daemonlink.StateReady,
		starting: daemonlink.StateStarting, stopped: daemonlink.StateStopped} {
		dir := heddleDir(t, repo)
		tr.Track(dir)
		rec.waitState(t, dir, 0, state)
	}
	record.Idle(t, 500*time.Millisecond, func() int64 { return daemonlink.ProbeCount(tr.Tracker) }, rec)
}

// A graceful stop goes straight from ready to stopped: the daemon closes
// its listener, drains (with a Health.Watch stream open, heddle-sim waits up
// to 2 s) and only then removes its files; nothing in between is shown.
func TestTracker_GracefulStopShowsNoIntermediateState(t *testing.T) {
	for _, args := range [][]string{nil, {"--health", "serving"}} {
		t.Run(fmt.Sprint(args), func(t *testing.T) {
			repo := simtest.NewRepo(t)
			d := simtest.Start(t, repo, args...)
			_, rec, dir := trackRepo(t, repo, daemonlink.Options{})
			_, i := rec.waitState(t, dir, 0, daemonlink.StateReady)
			d.Interrupt()
			_, j := rec.waitState(t, dir, i, daemonlink.StateStopped)
			if j != i+1 {
				t.Fatalf("between ready and stopped: %s", describe(rec.snapshot()[i+1:j]))
			}
		})
	}
}

// Another client's open stream keeps a stopping daemon draining for up to
// 2 s after it closed its listener; the status must still go straight from
// ready to stopped.
func TestTracker_LongDrainShowsNoIntermediateState(t *testing.T) {
	repo := simtest.NewRepo(t)
	d := simtest.Start(t, repo, "--health", "serving")
	other, err := healthpb.NewHealthClient(d.Conn()).Watch(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Recv(); err != nil { // the stream is open and in flight
		t.Fatal(err)
	}
	_, rec, dir := trackRepo(t, repo, daemonlink.Options{})
	_, i := rec.waitState(t, dir, 0, daemonlink.StateReady)
	start := time.Now()
	d.Interrupt()
	_, j := rec.waitState(t, dir, i, daemonlink.StateStopped)
	if j != i+1 {
		t.Fatalf("between ready and stopped: %s", describe(rec.snapshot()[i+1:j]))
	}
	t.Logf("stopped after a drain of %v", time.Since(start))
}

// A grpc.sock swapped for a symlink while we hold a verified connection is
// refused at once, not served through the open connection.
func TestTracker_SocketSwappedForSymlinkWhileConnected(t *testing.T) {
	repo := simtest.NewRepo(t)
	d := simtest.Start(t, repo)
	_, rec, dir := trackRepo(t, repo, daemonlink.Options{})
	_, i := rec.waitState(t, dir, 0, daemonlink.StateReady)
	moved := filepath.Join(filepath.Dir(dir), "moved.sock")
	if err := os.Rename(d.Socket(), moved); err != nil { // the daemon keeps listening on it
		t.Fatal(err)
	}
	if err := os.Symlink(moved, d.Socket()); err != nil {
		t.Fatal(err)
	}
	st, _ := rec.waitFor(t, dir, i, 10*time.Second, func(s daemonlink.Status) bool {
		return s.State != daemonlink.StateReady
	}, "leaving ready")
	if st.State != daemonlink.StateDenied || st.Reason != daemonlink.ReasonSocketSymlink {
		t.Fatalf("status = %s/%s, want denied/socket-symlink", st.State, st.Reason)
	}
}

// A daemon too slow for API detection within the health timeout is ready
// with api unknown; the first answered query settles it in the status.
func TestTracker_QueryAnswerSettlesUndetectedAPI(t *testing.T) {
	repo := simtest.NewRepo(t)
	simtest.Start(t, repo, "--slow", "300ms")
	tr, rec, dir := trackRepo(t, repo, daemonlink.Options{HealthTimeout: 100 * time.Millisecond})
	st, i := rec.waitState(t, dir, 0, daemonlink.StateReady)
	if st.API != daemonlink.APIUnknown {
		t.Fatalf("api = %q; the slow daemon should have missed detection", st.API)
	}
	if _, err := tr.Hooks(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, dir, i+1, 10*time.Second, func(s daemonlink.Status) bool {
		return s.State == daemonlink.StateReady && s.API == daemonlink.APIHeddleV1
	}, "ready with api heddle.v1")
}
