package faults

// The fault matrix, faults 9–12 and 17: daemons dying, restarting and
// being impersonated while the server talks to them, and the editor going
// away.

import (
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

// startDaemon runs the purpose-built reporting daemon (see daemonMain) in
// repo's heddle dir, with every heddle.v1 call delayed by slow.
func startDaemon(t *testing.T, repo string, slow time.Duration) *helper {
	t.Helper()
	h := startHelper(t, "daemon", 0, "HEDDLE_FAULTS_DIR="+filepath.Join(repo, ".heddle"),
		"HEDDLE_FAULTS_SLOW="+slow.String())
	h.waitLine("ready pid=", simtest.StartTimeout)
	return h
}

// startOps sends heddle.operations for folder without waiting and waits
// until the daemon reports that very query (limit=0: the server asks for
// the whole log; the probe's API detection asks with limit=1) in flight.
func startOps(t *testing.T, s *session, d *helper, folder string) int {
	t.Helper()
	before := d.count("start QueryOperations limit=0")
	id := s.srv.Call("workspace/executeCommand", map[string]any{"command": protocol.CmdOperations, "arguments": []any{folder}})
	deadline := time.Now().Add(stateTimeout)
	for d.count("start QueryOperations limit=0") == before {
		if time.Now().After(deadline) {
			t.Fatalf("the query never reached the daemon; daemon said %q", d.snapshot())
		}
		d.waitLineOK("\x00never", 20*time.Millisecond) // wakes on the daemon's next line
	}
	return id
}

// 9a. The daemon killed (SIGKILL) while a query is in flight: the query
// fails at once (not after queryTimeoutMs) and the state follows.
func TestFault09_KilledMidQuery(t *testing.T) {
	repo := newRepo(t)
	d := startDaemon(t, repo, time.Minute)
	s := newSession(t, 20000, uri(repo))
	s.expect(uri(repo), "ready", "")
	id := startOps(t, s, d, uri(repo))
	mark := s.mark()
	killed := time.Now()
	d.kill()
	m, ok := s.srv.Response(id, 15*time.Second)
	took := time.Since(killed)
	if !ok {
		t.Fatalf("no answer within 15s of the daemon's death (queryTimeoutMs is 20s)")
	}
	if m.Error == nil || m.Error.Code != -32803 || !strings.Contains(m.Error.Message, "lost the connection") {
		t.Errorf("answer = %s, want -32803 'lost the connection'", m.Raw)
	}
	// At once, not at the 20 s deadline; half of it is generous on a busy machine.
	if took > 10*time.Second {
		t.Errorf("the query answered %v after the kill", took)
	}
	s.expectFrom(mark, uri(repo), "stale", "pid-dead")
	s.check(uri(repo), "stale", "pid-dead")
	s.endAt("stale", "pid-dead", uri(repo))
}

// 9b. The daemon killed while the server holds a stream to it
// (Health.Watch, with --health serving): by SIGKILL and by SIGTERM, which
// heddle does not handle (both leave the files behind).
func TestFault09_KilledMidStream(t *testing.T) {
	for _, sig := range []string{"SIGKILL", "SIGTERM"} {
		t.Run(sig, func(t *testing.T) {
			repo := newRepo(t)
			d := simtest.Start(t, repo, "--health", "serving")
			s := newSession(t, 0, uri(repo))
			s.expect(uri(repo), "ready", "health-serving")
			mark := s.mark()
			start := time.Now()
			if sig == "SIGKILL" {
				d.Kill()
			} else {
				d.Terminate()
			}
			s.expectFrom(mark, uri(repo), "stale", "pid-dead")
			t.Logf("%s reflected in %v", sig, time.Since(start))
			if !simtest.FileExists(pidfile(repo)) || !simtest.FileExists(sockPath(repo)) {
				t.Errorf("the daemon's files are gone: heddle-ls must never delete them")
			}
			s.check(uri(repo), "stale", "pid-dead")
			s.endAt("stale", "pid-dead", uri(repo))
		})
	}
}

// 10. The daemon restarted with a new pid while a query is in flight: the
// query fails promptly, the new daemon is verified from scratch (new pid),
// and the next query is answered by it.
func TestFault10_RestartDuringQuery(t *testing.T) {
	repo := newRepo(t)
	old := startDaemon(t, repo, time.Minute)
	s := newSession(t, 20000, uri(repo))
	st := s.expect(uri(repo), "ready", "")
	if st.PID != old.pid() {
		t.Fatalf("ready with pid %d, daemon is %d", st.PID, old.pid())
	}
	id := startOps(t, s, old, uri(repo))
	mark := s.mark()
	old.kill()
	fresh := startDaemon(t, repo, 0) // sweeps the stale files, new pid
	m, ok := s.srv.Response(id, 5*time.Second)
	if !ok {
		t.Fatalf("the in-flight query did not answer within 5s of the restart")
	}
	if m.Error == nil || m.Error.Code != -32803 {
		t.Errorf("in-flight query across a restart = %s, want -32803", m.Raw)
	}
	st = s.srv.WaitStateFrom(mark, uri(repo), "ready", "", stateTimeout)
	for st.PID != fresh.pid() {
		// A ready for the old pid cannot follow its death; wait for the new one.
		st = s.srv.WaitStateFrom(s.mark(), uri(repo), "ready", "", stateTimeout)
	}
	m, _ = s.operations(uri(repo), map[string]any{"limit": 2})
	if res := lsptest.Decode[protocol.OperationsResult](t, m); len(res.Hits) != 2 {
		t.Errorf("query after the restart: %d hits", len(res.Hits))
	}
	// The daemon writes its line before it answers, but the line can reach
	// us after the answer does: wait for it.
	if _, ok := fresh.waitLineOK("start QueryOperations limit=0", stateTimeout); !ok || fresh.count("start QueryOperations limit=0") != 1 {
		t.Errorf("the new daemon did not answer the query: %q", fresh.snapshot())
	}
	s.end()
}

// 11. A socket served by another user's process while the pidfile names a
// live heddle daemon of ours: denied by SO_PEERCRED, and not a byte is
// ever written to the foreign listener.
func TestFault11_ForeignUidSocket(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a listener under another uid")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("needs setpriv")
	}
	repo := newRepo(t)
	simtest.Start(t, repo, "--fault", "pidfile-only") // our live heddle pid, no socket
	for _, dir := range []string{repo, filepath.Join(repo, ".heddle")} {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(socketsDir(repo), 0o777); err != nil {
		t.Fatal(err)
	}
	// The server first sees our daemon without its socket, then the
	// foreign listener binds the default path: the file event triggers the
	// probe that meets it.
	s := newSession(t, 0, uri(repo))
	s.expect(uri(repo), "starting", "socket-missing")
	mark := s.mark()
	foreign := startHelper(t, "foreign-listener", 65534, "HEDDLE_FAULTS_SOCKET="+sockPath(repo))
	if l := foreign.waitLine("listening", simtest.StartTimeout); l != "listening uid=65534" {
		t.Fatalf("foreign listener says %q", l)
	}
	s.expectFrom(mark, uri(repo), "denied", "peer-other-user")
	st := s.expect(uri(repo), "denied", "peer-other-user")
	if !strings.Contains(st.Message, "65534") {
		t.Errorf("message does not name the foreign uid: %q", st.Message)
	}
	s.check(uri(repo), "denied", "peer-other-user")
	m, _ := s.srv.ExecuteCommand(2*statusDeadline, protocol.CmdRefresh, uri(repo))
	if got := lsptest.Decode[[]protocol.StatusParams](t, m); len(got) != 1 || got[0].State != "denied" {
		t.Errorf("heddle.refresh = %+v", got)
	}
	for _, cmd := range []string{protocol.CmdSignalHealth, protocol.CmdHooks} {
		if m, _ := s.srv.ExecuteCommand(s.queryDeadline(), cmd, uri(repo)); m.Error == nil {
			t.Errorf("%s over a foreign socket succeeded", cmd)
		}
	}
	s.endAt("denied", "peer-other-user", uri(repo))

	// Every connection the server made was closed unused.
	accepted := foreign.count("accepted")
	if accepted == 0 {
		t.Fatalf("the server never connected: the peer check was not exercised")
	}
	deadline := time.Now().Add(stateTimeout)
	for foreign.count("bytes ") < accepted && time.Now().Before(deadline) {
		foreign.waitLineOK("\x00never", 20*time.Millisecond)
	}
	for _, l := range foreign.snapshot() {
		if strings.HasPrefix(l, "bytes ") && l != "bytes 0" {
			t.Errorf("the server sent data to another user's socket: %q", l)
		}
	}
	if n := foreign.count("bytes "); n != accepted {
		t.Errorf("%d of %d connections to the foreign socket were left open", accepted-n, accepted)
	}
	t.Logf("foreign listener: %d connections, 0 bytes", accepted)
}

// 12. sockets/ or grpc.sock replaced by a symlink to a daemon elsewhere
// (here a perfect-looking one: a live heddle pidfile and a listening
// socket of our uid): denied, and the target is never dialled.
func TestFault12_Symlinks(t *testing.T) {
	target := newRepo(t)
	simtest.Start(t, target, "--fault", "pidfile-only")
	lure := listenCounting(t, sockPath(target))

	viaDir, viaSock, live := newRepo(t), newRepo(t), newRepo(t)
	simtest.Start(t, viaSock, "--fault", "pidfile-only")
	liveD := simtest.Start(t, live)
	s := newSession(t, 0, uri(viaDir), uri(viaSock), uri(live))
	s.expect(uri(viaDir), "stopped", "no-pidfile")
	s.expect(uri(viaSock), "starting", "socket-missing")
	s.expect(uri(live), "ready", "")

	markDir := s.mark()
	if err := os.Symlink(socketsDir(target), socketsDir(viaDir)); err != nil {
		t.Fatal(err)
	}
	markSock := s.mark()
	if err := os.Symlink(sockPath(target), sockPath(viaSock)); err != nil {
		t.Fatal(err)
	}
	s.expectFrom(markDir, uri(viaDir), "denied", "socket-symlink")
	s.expectFrom(markSock, uri(viaSock), "denied", "socket-symlink")
	s.check(uri(viaDir), "denied", "socket-symlink")
	s.check(uri(viaSock), "denied", "socket-symlink")

	// A running daemon's sockets/ swapped for a symlink: the verified
	// connection is dropped and the symlink reported.
	markLive := s.mark()
	moved := socketsDir(live) + ".moved"
	if err := os.Rename(socketsDir(live), moved); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(moved, socketsDir(live)); err != nil {
		t.Fatal(err)
	}
	s.expectFrom(markLive, uri(live), "denied", "socket-symlink")
	if m, _ := s.operations(uri(live), nil); m.Error == nil {
		t.Errorf("query through a symlinked sockets/ succeeded")
	}

	// A running daemon's grpc.sock swapped for a symlink to the lure while
	// the server holds a verified connection to it.
	live2 := newRepo(t)
	live2D := simtest.Start(t, live2)
	s.folders = append(s.folders, uri(live2))
	s.srv.Notify("workspace/didChangeWorkspaceFolders", map[string]any{"event": map[string]any{
		"added": []any{map[string]string{"uri": uri(live2), "name": "live2"}}}})
	s.expect(uri(live2), "ready", "")
	markLive2 := s.mark()
	if err := os.Rename(sockPath(live2), sockPath(live2)+".real"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(sockPath(target), sockPath(live2)); err != nil {
		t.Fatal(err)
	}
	m, _ := s.srv.ExecuteCommand(2*statusDeadline, protocol.CmdRefresh, uri(live2))
	if got := lsptest.Decode[[]protocol.StatusParams](t, m); len(got) != 1 || got[0].State != "denied" || got[0].Reason != "socket-symlink" {
		t.Errorf("heddle.refresh after grpc.sock became a symlink = %+v", got)
	}
	// The notification follows the refresh's answer.
	s.expectFrom(markLive2, uri(live2), "denied", "socket-symlink")
	if m, _ := s.operations(uri(live2), nil); m.Error == nil {
		t.Errorf("query after grpc.sock became a symlink succeeded")
	}
	_, _ = liveD, live2D

	if n := len(lure.accepted); n != 0 {
		t.Errorf("the symlinks' target was dialled %d times", n)
	}
	s.endAt("denied", "socket-symlink", uri(viaDir), uri(viaSock))
}

// 17. The editor closes stdin while a query is in flight: the server exits
// promptly (code 1: no shutdown came), having started no process, and
// every socket it had open is gone.
func TestFault17_StdinClosed(t *testing.T) {
	repo := newRepo(t)
	d := startDaemon(t, repo, time.Minute)
	s := newSession(t, 20000, uri(repo))
	s.expect(uri(repo), "ready", "")
	startOps(t, s, d, uri(repo))

	pid := s.srv.PID()
	if kids := lsptest.Children(pid); len(kids) != 0 {
		t.Errorf("heddle-ls has child processes: %v", kids)
	}
	fds, err := lsptest.OpenFDs(pid)
	if err != nil {
		t.Fatal(err)
	}
	var sockets []string
	for _, fd := range fds {
		if i := strings.Index(fd, "socket:["); i >= 0 {
			sockets = append(sockets, fd[i+len("socket:["):len(fd)-1])
		}
	}
	if len(sockets) < 2 {
		t.Fatalf("expected the server to hold its daemon sockets open; fds: %v", fds)
	}

	closed := time.Now()
	s.srv.CloseStdin()
	code := s.srv.Wait(15 * time.Second)
	took := time.Since(closed)
	if code != 1 {
		t.Errorf("exit code %d after EOF without shutdown, want 1", code)
	}
	// Promptly, not when the query's 20 s deadline ends it.
	if took > 10*time.Second {
		t.Errorf("heddle-ls took %v to exit after stdin closed", took)
	}
	t.Logf("exited %v after stdin closed (a query was in flight)", took)
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("pid %d still exists", pid)
	}
	// No process kept any of its sockets (an inherited fd would).
	unix, err := os.ReadFile("/proc/net/unix")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(unix), "\n") {
		f := strings.Fields(line)
		for _, inode := range sockets {
			if len(f) > 6 && f[6] == inode {
				t.Errorf("socket inode %s of the dead server is still open: %s", inode, line)
			}
		}
	}
	// The daemon saw its call cancelled with the connection.
	if _, ok := d.waitLineOK("end QueryOperations limit=0", 5*time.Second); !ok {
		t.Errorf("the daemon's in-flight call never ended after the server exited: %q", d.snapshot())
	}
}
