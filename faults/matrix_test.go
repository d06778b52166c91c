package faults

// The fault matrix of SECURITY.md, faults 1–8 and 13–16: each over real
// processes and sockets, observed through the real heddle-ls binary, with a
// healthy folder in the same session that must stay unaffected.

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/lsptest"
	"github.com/heddle-ls/heddle-ls/internal/simtest"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// 1. A pidfile naming a pid that has exited.
func TestFault01_DeadPidIsStale(t *testing.T) {
	repo := newRepo(t)
	pid := deadPID(t)
	writePidfile(t, repo, heddlePidfile(pid))
	s := newSession(t, 0, uri(repo))
	st := s.expect(uri(repo), "stale", "pid-dead")
	if st.PID != pid {
		t.Errorf("stale status names pid %d, want %d", st.PID, pid)
	}
	s.check(uri(repo), "stale", "pid-dead")
	s.endAt("stale", "pid-dead", uri(repo))
}

// 2. A pidfile naming a live process of ours that is not heddle (the pid
// was reused): kill(pid,0) succeeds, the name check catches it.
func TestFault02_ReusedPidIsStale(t *testing.T) {
	repo := newRepo(t)
	sleep := startProcess(t, "sleep", "1000")
	writePidfile(t, repo, heddlePidfile(sleep.Process.Pid))
	s := newSession(t, 0, uri(repo))
	s.settle("stale", "pid-not-heddle", uri(repo))
	// The process was only looked at, never signalled.
	if err := sleep.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("the reused pid's process is gone: %v", err)
	}
	s.endAt("stale", "pid-not-heddle", uri(repo))
}

// 3. Pidfiles that cannot be trusted, all in one session: each its own
// folder, each invalid-pidfile/pidfile-invalid, none affecting the others.
func TestFault03_BadPidfiles(t *testing.T) {
	live := startProcess(t, "sleep", "1000").Process.Pid
	huge := bytes.Repeat([]byte("9"), 3<<20) // 3 MiB of digits
	cases := []struct {
		name    string
		content []byte
		fifo    bool
	}{
		{"garbage", []byte("hello, world\nnot a pidfile\n"), false},
		{"foreign-marker", []byte("4321\nsome-other-agent\n1700000000\n"), false},
		{"empty", nil, false},
		{"huge", huge, false},
		{"binary", []byte{0x7f, 'E', 'L', 'F', 0, 1, 2, 3, 0xff, 0xfe, '\n', 0}, false},
		{"binary-pid", append(heddlePidfile(live), 0), false},
		{"negative", []byte("-5\nheddle-agent\n1700000000\n"), false},
		{"overflow", []byte("99999999999\nheddle-agent\n1700000000\n"), false},
		{"fifo", nil, true},
	}
	repos := map[string]string{}
	var folders []string
	for _, tc := range cases {
		repo := newRepo(t)
		if tc.fifo {
			if err := os.MkdirAll(socketsDir(repo), 0o700); err != nil {
				t.Fatal(err)
			}
			// Nobody ever writes to it: a blocking open or read would hang.
			if err := syscall.Mkfifo(pidfile(repo), 0o600); err != nil {
				t.Fatal(err)
			}
		} else {
			writePidfile(t, repo, tc.content)
		}
		repos[tc.name] = uri(repo)
		folders = append(folders, uri(repo))
	}
	s := newSession(t, 0, folders...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s.t = t
			st := s.expect(repos[tc.name], "invalid-pidfile", "pidfile-invalid")
			if len(st.Message) > 300 {
				t.Errorf("message is %d bytes: untrusted content must not flow into it unbounded", len(st.Message))
			}
			s.check(repos[tc.name], "invalid-pidfile", "pidfile-invalid")
		})
	}
	s.t = t
	for _, tc := range cases {
		s.finalIs(repos[tc.name], "invalid-pidfile", "pidfile-invalid")
	}
	s.end()
}

// 4. A live heddle pid but no socket at the default path: a daemon that
// has written its pidfile and not bound yet (pidfile-only), or one serving
// on another path (serve --socket), which clients cannot reach.
func TestFault04_PidfileWithoutSocket(t *testing.T) {
	starting := newRepo(t)
	simtest.Start(t, starting, "--fault", "pidfile-only")
	elsewhere := newRepo(t)
	other := filepath.Join(t.TempDir(), "g.sock")
	if len(other) > 100 {
		other = filepath.Join(os.TempDir(), filepath.Base(t.TempDir())+".sock")
		t.Cleanup(func() { os.Remove(other) })
	}
	d := simtest.Start(t, elsewhere, "--socket", other)
	if d.Socket() != other {
		t.Fatalf("daemon listens on %s, want %s", d.Socket(), other)
	}
	settlesOn(t, "starting", "socket-missing", uri(starting), uri(elsewhere))
}

// 5. A socket file nobody listens on, with a live heddle pid: the connect
// is refused, retried briefly (bind comes before listen), then reported.
func TestFault05_SocketWithoutListener(t *testing.T) {
	repo := newRepo(t)
	simtest.Start(t, repo, "--fault", "pidfile-only")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sockPath(repo), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if fi, err := os.Lstat(sockPath(repo)); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("want a dead socket file: %v %v", fi, err)
	}
	settlesOn(t, "unreachable", "connect-refused", uri(repo))
}

// 6. A listener that never speaks HTTP/2: one that accepts and stays
// silent, and one that never even accepts (connects complete in the
// kernel's backlog).
func TestFault06_ListenerWithoutHTTP2(t *testing.T) {
	silent, backlog := newRepo(t), newRepo(t)
	simtest.Start(t, silent, "--fault", "accept-silent")
	simtest.Start(t, backlog, "--fault", "no-serve")
	settlesOn(t, "unhealthy", "health-timeout", uri(silent), uri(backlog))
}

// 7. Health.Check that never answers.
func TestFault07_HealthHangs(t *testing.T) {
	repo := newRepo(t)
	simtest.Start(t, repo, "--fault", "hang-health")
	s := newSession(t, 0, uri(repo))
	s.settle("unhealthy", "health-timeout", uri(repo))
	// heddle.refresh re-probes and is bounded too.
	m, took := s.srv.ExecuteCommand(statusDeadline+statusDeadline, protocol.CmdRefresh, uri(repo))
	if got := lsptest.Decode[[]protocol.StatusParams](t, m); len(got) != 1 || got[0].Reason != "health-timeout" {
		t.Errorf("heddle.refresh = %+v", got)
	}
	if took > 2*statusDeadline {
		t.Errorf("heddle.refresh of a hung daemon took %v", took)
	}
	s.endAt("unhealthy", "health-timeout", uri(repo))
}

// 8. NOT_SERVING, and the pushed flip back to SERVING (Health.Watch).
func TestFault08_NotServing(t *testing.T) {
	repo := newRepo(t)
	d := simtest.Start(t, repo, "--health", "not-serving")
	s := newSession(t, 0, uri(repo))
	s.settle("unhealthy", "health-not-serving", uri(repo))
	mark := s.mark()
	d.ToggleHealth()
	s.expectFrom(mark, uri(repo), "ready", "health-serving")
	m, _ := s.operations(uri(repo), map[string]any{"limit": 2})
	if res := lsptest.Decode[protocol.OperationsResult](t, m); len(res.Hits) != 2 {
		t.Errorf("after the flip, operations returned %d hits", len(res.Hits))
	}
	mark = s.mark()
	d.ToggleHealth()
	s.expectFrom(mark, uri(repo), "unhealthy", "health-not-serving")
	s.check(uri(repo), "unhealthy", "health-not-serving")
	s.endAt("unhealthy", "health-not-serving", uri(repo))
}

// 13. A socket path longer than sockaddr_un can hold (108 bytes with the
// NUL): reported clearly, never truncated into another path. The boundary
// case, 107 bytes, still works.
func TestFault13_SocketPathTooLong(t *testing.T) {
	const suffix = "/.heddle/sockets/grpc.sock"
	mk := func(total int) string {
		base := simtest.ShortDir(t)
		pad := total - len(base) - 1 - len(suffix)
		if pad < 1 {
			t.Fatalf("temp dir %s too long for a %d-byte socket path", base, total)
		}
		root := filepath.Join(base, strings.Repeat("p", pad))
		if err := os.MkdirAll(filepath.Join(root, ".heddle", "objects"), 0o755); err != nil {
			t.Fatal(err)
		}
		if got := len(root + suffix); got != total {
			t.Fatalf("socket path is %d bytes, want %d", got, total)
		}
		return root
	}
	long, fits := mk(108), mk(107)
	simtest.Start(t, long, "--fault", "pidfile-only")
	d := simtest.Start(t, fits)
	s := newSession(t, 0, uri(long), uri(fits))
	s.settle("unreachable", "socket-path-too-long", uri(long))
	if st := s.expect(uri(fits), "ready", ""); st.PID != d.PID() {
		t.Errorf("107-byte socket path: ready with pid %d, want %d", st.PID, d.PID())
	}
	s.endAt("unreachable", "socket-path-too-long", uri(long))
}

// 14. A daemon answering only heddle.api.v1alpha1 (heddle v0.10.3): ready;
// signal health answered over that API (StateReviewService), operations and
// hooks, which it lacks, refused with a clear "api unsupported" error (no
// heddle CLI here to fall through to).
func TestFault14_V1Alpha1Only(t *testing.T) {
	repo := newRepo(t)
	simtest.Start(t, repo, "--fault", "no-v1")
	s := newSession(t, 0, uri(repo))
	st := s.expect(uri(repo), "ready", "health-unimplemented")
	if st.API != "heddle.api.v1alpha1" {
		t.Errorf("api = %q, want heddle.api.v1alpha1", st.API)
	}
	s.faultyOK[uri(repo)] = false
	m, _ := s.srv.ExecuteCommand(s.queryDeadline(), protocol.CmdSignalHealth, uri(repo))
	if res := lsptest.Decode[protocol.SignalHealthResult](t, m); res.Source != protocol.SourceDaemon || res.WindowStates == 0 {
		t.Errorf("signal health on a v1alpha1 daemon = %s, want an answer from the daemon", m.Raw)
	}
	for _, cmd := range []string{protocol.CmdOperations, protocol.CmdHooks} {
		m, took := s.srv.ExecuteCommand(s.queryDeadline(), cmd, uri(repo))
		if m.Error == nil || m.Error.Code != -32803 || lsptest.ErrorData(m).Kind != "api-unsupported" {
			t.Errorf("%s on a v1alpha1 daemon = %s, want -32803 api-unsupported", cmd, m.Raw)
		}
		if took > s.queryDeadline() {
			t.Errorf("%s took %v", cmd, took)
		}
	}
	s.check(uri(repo), "ready", "health-unimplemented")
	s.end()
}

// 15. Answers above gRPC's 4 MiB default are accepted (the client lifts
// its receive limit); a daemon that refuses to send one yields a clear
// "too large" error, and the daemon stays ready.
func TestFault15_LargeResponses(t *testing.T) {
	big, capped := newRepo(t), newRepo(t)
	const ops = 40000 // the whole log is fetched (newest N kept): > 4 MiB
	simtest.Start(t, big, "--ops", "40000")
	simtest.Start(t, capped, "--ops", "40000", "--max-send-bytes", "1000000")
	// A generous query deadline: this test is about size, not time.
	s := newSession(t, 20000, uri(big), uri(capped))
	s.expect(uri(big), "ready", "")
	s.expect(uri(capped), "ready", "")

	m, _ := s.operationsUnbounded(uri(big), map[string]any{"limit": 10000, "includeCheckpoints": true})
	if res := lsptest.Decode[protocol.OperationsResult](t, m); len(res.Hits) != 10000 || res.Hits[0].Seq != ops {
		first := uint64(0)
		if len(res.Hits) > 0 {
			first = res.Hits[0].Seq
		}
		t.Errorf("large answer: %d hits, newest seq %d; want 10000 hits, newest %d", len(res.Hits), first, ops)
	}
	if len(m.Raw) < 1<<20 {
		t.Errorf("answer is only %d bytes", len(m.Raw))
	}

	m, _ = s.operations(uri(capped), map[string]any{"limit": 5})
	if m.Error == nil || m.Error.Code != -32803 || !contains(m.Error.Message, "too large") {
		t.Errorf("capped daemon: %s, want -32803 'too large'", lsptest.Message{Raw: m.Raw}.Raw)
	}
	// A narrower query fits and works; the daemon was never marked down.
	m, _ = s.operations(uri(capped), map[string]any{"limit": 5, "sinceSecs": 1767225600 + 60*39990})
	if res := lsptest.Decode[protocol.OperationsResult](t, m); len(res.Hits) == 0 {
		t.Errorf("narrow query on the capped daemon returned nothing")
	}
	s.finalIs(uri(capped), "ready", "health-unimplemented")
	s.healthyUnaffected()
	s.end()
}

// 16. The heddle dir deleted while watched (daemon gone first), then
// recreated with a new daemon: tracked again without any refresh.
func TestFault16_HeddleDirDeletedAndRecreated(t *testing.T) {
	repo := newRepo(t)
	d := simtest.Start(t, repo)
	s := newSession(t, 0, uri(repo))
	s.expect(uri(repo), "ready", "")
	mark := s.mark()
	d.Kill()
	s.expectFrom(mark, uri(repo), "stale", "pid-dead")
	if err := os.RemoveAll(filepath.Join(repo, ".heddle")); err != nil {
		t.Fatal(err)
	}
	s.settle("no-repo", "heddle-dir-missing", uri(repo))
	mark = s.mark()
	d2 := simtest.Start(t, repo) // recreates .heddle/objects, then its files
	if st := s.expectFrom(mark, uri(repo), "ready", ""); st.PID != d2.PID() {
		t.Errorf("ready with pid %d, want the new daemon's %d", st.PID, d2.PID())
	}
	m, _ := s.operations(uri(repo), map[string]any{"limit": 1})
	lsptest.Decode[protocol.OperationsResult](t, m)
	s.end()
}

// 3b. The invalid-pidfile message should say what is wrong with the file
// (the user sees only this line in the status bar's tooltip).
// (It once read "invalid pidfile" for every cause: the cause was lost to
// errors.Unwrap of the sentinel; daemonlink.PidfileError now keeps it.)
func TestFault03_InvalidPidfileMessageSaysWhy(t *testing.T) {
	cases := map[string]struct {
		content []byte
		says    string
	}{
		"foreign-marker": {[]byte("4321\nsome-other-agent\n1700000000\n"), "marker"},
		"huge":           {bytes.Repeat([]byte("9"), 8192), "larger than"},
		"empty":          {nil, "empty"},
	}
	var folders []string
	repos := map[string]string{}
	for name, tc := range cases {
		repo := newRepo(t)
		writePidfile(t, repo, tc.content)
		repos[name] = uri(repo)
		folders = append(folders, uri(repo))
	}
	s := newSession(t, 0, folders...)
	for name, tc := range cases {
		st := s.expect(repos[name], "invalid-pidfile", "pidfile-invalid")
		if !strings.Contains(st.Message, tc.says) {
			t.Errorf("%s: message %q does not say %q", name, st.Message, tc.says)
		}
	}
	s.end()
}

// 7b. A daemon that is ready but never answers a query: the query fails at
// queryTimeoutMs with a deadline error, and meanwhile queries on the
// healthy folder are answered (no head-of-line blocking): all of them
// while the hung query is still pending.
func TestFault07_QueryHangs(t *testing.T) {
	repo := newRepo(t)
	simtest.Start(t, repo, "--slow", "1m")
	const queryMs = 5000
	s := newSession(t, queryMs, uri(repo))
	s.expect(uri(repo), "ready", "")
	start := time.Now()
	id := s.srv.Call("workspace/executeCommand", map[string]any{"command": protocol.CmdOperations, "arguments": []any{uri(repo)}})
	for range 3 {
		if m, _ := s.operations(s.healthy, map[string]any{"limit": 1}); m.Error != nil {
			t.Errorf("healthy folder's query while another daemon hangs: %s", m.Raw)
		}
	}
	if m, answered := s.srv.Response(id, 0); answered {
		t.Fatalf("the hung query answered (%s) before the healthy folder's queries were done", m.Raw)
	}
	m, ok := s.srv.Response(id, s.queryDeadline())
	took := time.Since(start)
	if !ok {
		t.Fatalf("the hung query did not answer within %v", s.queryDeadline())
	}
	if m.Error == nil || m.Error.Code != -32803 || lsptest.ErrorData(m).Kind != "deadline" {
		t.Errorf("hung query = %s, want -32803 kind deadline", m.Raw)
	}
	if took < queryMs*time.Millisecond {
		t.Errorf("hung query answered after %v, before its %d ms deadline", took, queryMs)
	}
	s.endAt("ready", "health-unimplemented", uri(repo))
}

// 2b. A pidfile naming another user's live process (as root, kill(pid,0)
// succeeds for any pid: the /proc owner check must catch it), and a
// pidfile that cannot be read at all (a symlink loop: even root gets
// ELOOP).
func TestFault02_OtherUsersPidAndUnreadablePidfile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a process under another uid")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("needs setpriv")
	}
	other, loop := newRepo(t), newRepo(t)
	// Named like heddle, so only the uid check can refuse it.
	sleep := startProcess(t, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
		"bash", "-c", `exec -a heddle-agent sleep 1000`)
	writePidfile(t, other, heddlePidfile(sleep.Process.Pid))
	if err := os.MkdirAll(socketsDir(loop), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("grpc.pid", pidfile(loop)); err != nil {
		t.Fatal(err)
	}
	s := newSession(t, 0, uri(other), uri(loop))
	s.settle("stale", "pid-other-user", uri(other))
	s.settle("invalid-pidfile", "pidfile-unreadable", uri(loop))
	s.finalIs(uri(other), "stale", "pid-other-user")
	s.endAt("invalid-pidfile", "pidfile-unreadable", uri(loop))
}
