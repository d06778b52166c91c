package faults

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/lsptest"
	"github.com/heddle-ls/heddle-ls/internal/simtest"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// Deadlines every answer must meet. heddle.status is answered from memory;
// a query is bounded by queryTimeoutMs (set per session) plus a margin for
// a busy two-core machine running the race detector.
const (
	statusDeadline = 2 * time.Second
	queryMargin    = 1500 * time.Millisecond
	stateTimeout   = 10 * time.Second // waiting for a state to be reported
	defaultQueryMs = 1500
)

// session is one real heddle-ls process with a healthy folder (a ready
// heddle-sim) and the faulty folders of one test.
type session struct {
	t        *testing.T
	srv      *lsptest.Server
	healthy  string // folder URI
	daemon   *simtest.Daemon
	queryMs  int
	folders  []string
	faultyOK map[string]bool // faulty folders whose queries may succeed (api, large answers)
}

func uri(path string) string { return protocol.PathToURI(path) }

// newSession starts the healthy daemon and heddle-ls with the healthy
// folder plus faulty, and waits until the healthy folder is ready.
func newSession(t *testing.T, queryMs int, faulty ...string) *session {
	t.Helper()
	if queryMs == 0 {
		queryMs = defaultQueryMs
	}
	repo := simtest.NewRepo(t)
	s := &session{t: t, daemon: simtest.Start(t, repo), healthy: uri(repo), queryMs: queryMs, faultyOK: map[string]bool{}}
	s.folders = append([]string{s.healthy}, faulty...)
	s.srv = lsptest.Start(t)
	s.srv.Initialize(s.folders, map[string]any{
		"initializationOptions": map[string]any{"queryTimeoutMs": queryMs, "notifications": "transitions"},
	})
	st := s.srv.WaitState(s.healthy, "ready", "", stateTimeout)
	if st.PID != s.daemon.PID() {
		t.Fatalf("healthy folder ready with pid %d, daemon is %d", st.PID, s.daemon.PID())
	}
	return s
}

func (s *session) queryDeadline() time.Duration {
	return time.Duration(s.queryMs)*time.Millisecond + queryMargin
}

// expect waits for folder to report state/reason and returns that status.
func (s *session) expect(folder, state, reason string) protocol.StatusParams {
	s.t.Helper()
	return s.srv.WaitState(folder, state, reason, stateTimeout)
}

// mark is the position in the session's messages: expectFrom(mark, …)
// waits for a status sent after it.
func (s *session) mark() int { return s.srv.Len() }

func (s *session) expectFrom(from int, folder, state, reason string) protocol.StatusParams {
	s.t.Helper()
	return s.srv.WaitStateFrom(from, folder, state, reason, stateTimeout)
}

// status runs heddle.status for one folder within its deadline.
func (s *session) status(folder string) protocol.StatusParams {
	s.t.Helper()
	m, took := s.srv.ExecuteCommand(statusDeadline, protocol.CmdStatus, folder)
	if took > statusDeadline {
		s.t.Errorf("heddle.status %s took %v (deadline %v)", folder, took, statusDeadline)
	}
	sts := lsptest.Decode[[]protocol.StatusParams](s.t, m)
	if len(sts) != 1 || sts[0].Folder != folder {
		s.t.Fatalf("heddle.status %s = %+v", folder, sts)
	}
	return sts[0]
}

// operations runs heddle.operations on folder within the query deadline.
func (s *session) operations(folder string, opts map[string]any) (lsptest.Message, time.Duration) {
	s.t.Helper()
	m, took := s.operationsUnbounded(folder, opts)
	if took > s.queryDeadline() {
		s.t.Errorf("heddle.operations %s took %v (deadline %v)", folder, took, s.queryDeadline())
	}
	return m, took
}

// operationsUnbounded is operations without the deadline check, for
// answers whose size, not a hung daemon, sets their time (a 40,000-hit log
// encoded on a busy machine under the race detector can take seconds).
func (s *session) operationsUnbounded(folder string, opts map[string]any) (lsptest.Message, time.Duration) {
	s.t.Helper()
	args := []any{folder}
	if opts != nil {
		args = append(args, opts)
	}
	return s.srv.ExecuteCommand(s.queryDeadline()+stateTimeout, protocol.CmdOperations, args...)
}

// check asserts, for a faulty folder that has reported state/reason: the
// server says so in heddle.status (for it and for all folders), queries on
// the healthy folder work, queries on the faulty one fail with a
// RequestFailed error naming the state — each within its deadline — and
// the healthy folder never left ready.
func (s *session) check(folder, state, reason string) {
	s.t.Helper()
	if got := s.status(folder); got.State != state || got.Reason != reason {
		s.t.Errorf("heddle.status %s = %s/%s, want %s/%s (%s)", folder, got.State, got.Reason, state, reason, got.Message)
	}
	m, took := s.srv.ExecuteCommand(statusDeadline, protocol.CmdStatus)
	if took > statusDeadline {
		s.t.Errorf("heddle.status (all) took %v", took)
	}
	if all := lsptest.Decode[[]protocol.StatusParams](s.t, m); len(all) != len(s.folders) {
		s.t.Errorf("heddle.status (all) returned %d folders, want %d", len(all), len(s.folders))
	}
	// heddle.explain runs a fresh probe of its own: bounded, and it agrees.
	m, took = s.srv.ExecuteCommand(2*statusDeadline, protocol.CmdExplain, folder)
	if took > statusDeadline {
		s.t.Errorf("heddle.explain %s took %v", folder, took)
	}
	if ex := lsptest.Decode[protocol.ExplainResult](s.t, m); ex.Status.State != state || ex.Status.Reason != reason || len(ex.Steps) == 0 {
		s.t.Errorf("heddle.explain %s = %s/%s with %d steps, want %s/%s", folder, ex.Status.State, ex.Status.Reason, len(ex.Steps), state, reason)
	}
	s.healthyWorks()
	m, _ = s.operations(folder, map[string]any{"limit": 3})
	if m.Error == nil {
		if !s.faultyOK[folder] {
			s.t.Errorf("heddle.operations on the %s folder succeeded: %s", state, m.Raw)
		}
	} else if m.Error.Code != -32803 {
		s.t.Errorf("heddle.operations on the %s folder: code %d, want -32803 (%s)", state, m.Error.Code, m.Error.Message)
	} else if d := lsptest.ErrorData(m); state != "ready" && (d.State != state || d.Reason != reason) {
		s.t.Errorf("heddle.operations error data = %+v, want state %s reason %s", d, state, reason)
	}
	s.healthyUnaffected()
}

// healthyWorks queries the healthy folder.
func (s *session) healthyWorks() {
	s.t.Helper()
	m, _ := s.operations(s.healthy, map[string]any{"limit": 5})
	res := lsptest.Decode[protocol.OperationsResult](s.t, m)
	if len(res.Hits) != 5 {
		s.t.Errorf("heddle.operations on the healthy folder returned %d hits, want 5", len(res.Hits))
	}
}

// healthyUnaffected: the healthy folder reported ready once and nothing else.
func (s *session) healthyUnaffected() {
	s.t.Helper()
	all := s.srv.Statuses(s.healthy)
	if len(all) != 1 || all[0].State != "ready" || all[0].PID != s.daemon.PID() {
		s.t.Errorf("healthy folder's statuses: %s (want one ready, pid %d)", lsptest.DescribeStatuses(all), s.daemon.PID())
	}
}

// finalIs asserts folder's latest notification is state/reason.
func (s *session) finalIs(folder, state, reason string) {
	s.t.Helper()
	last, ok := s.srv.Last(folder)
	s.t.Logf("%s statuses:%s", folder, lsptest.DescribeStatuses(s.srv.Statuses(folder)))
	if !ok || last.State != state || last.Reason != reason {
		s.t.Errorf("%s's last status = %s/%s, want %s/%s; all: %s", folder, last.State, last.Reason, state, reason,
			lsptest.DescribeStatuses(s.srv.Statuses(folder)))
	}
}

// settle waits for each folder to reach state/reason and checks every
// command agrees (check).
func (s *session) settle(state, reason string, folders ...string) {
	s.t.Helper()
	for _, f := range folders {
		s.expect(f, state, reason)
		s.check(f, state, reason)
	}
}

// settlesOn is a whole session over folders: each settles on state/reason
// and stays there to the end.
func settlesOn(t *testing.T, state, reason string, folders ...string) {
	t.Helper()
	s := newSession(t, 0, folders...)
	s.settle(state, reason, folders...)
	s.endAt(state, reason, folders...)
}

// endAt checks each folder's last status is state/reason, then ends the
// session.
func (s *session) endAt(state, reason string, folders ...string) {
	s.t.Helper()
	for _, f := range folders {
		s.finalIs(f, state, reason)
	}
	s.end()
}

// end proves the server is alive and well, then shuts it down cleanly.
func (s *session) end() {
	s.t.Helper()
	if !s.srv.Alive() {
		s.t.Fatalf("heddle-ls died; log:\n%s", s.srv.Stderr())
	}
	s.healthyWorks()
	s.healthyUnaffected()
	s.srv.Shutdown()
	if code := s.srv.Wait(5 * time.Second); code != 0 {
		s.t.Errorf("heddle-ls exited with %d after shutdown+exit", code)
	}
	if err := s.srv.ReadErr(); err != nil && err.Error() != "EOF" {
		s.t.Errorf("heddle-ls wrote something that is not LSP: %v", err)
	}
}

// newRepo is a heddle repository without a daemon.
func newRepo(t *testing.T) string { return simtest.NewRepo(t) }

func socketsDir(repo string) string { return filepath.Join(repo, ".heddle", "sockets") }
func pidfile(repo string) string    { return filepath.Join(socketsDir(repo), "grpc.pid") }
func sockPath(repo string) string   { return filepath.Join(socketsDir(repo), "grpc.sock") }

// writePidfile writes content at repo's pidfile path.
func writePidfile(t *testing.T, repo string, content []byte) {
	t.Helper()
	if err := os.MkdirAll(socketsDir(repo), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pidfile(repo), content, 0o600); err != nil {
		t.Fatal(err)
	}
}

func heddlePidfile(pid int) []byte {
	return fmt.Appendf(nil, "%d\nheddle-agent\n%d\n", pid, time.Now().Unix())
}

// deadPID returns the pid of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// startProcess runs a long-lived process (killed at the end of the test).
func startProcess(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

// countingListener listens on path and counts accepted connections and
// bytes received; it proves whether anybody ever talked to it.
type countingListener struct {
	ln       *net.UnixListener
	accepted chan struct{} // one value per accepted connection (buffered)
	bytes    chan int      // bytes read on each connection when it ends
}

func listenCounting(t *testing.T, path string) *countingListener {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{ln: ln, accepted: make(chan struct{}, 1000), bytes: make(chan int, 1000)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			cl.accepted <- struct{}{}
			go func() {
				defer c.Close()
				n := 0
				buf := make([]byte, 4096)
				for {
					k, err := c.Read(buf)
					n += k
					if err != nil {
						break
					}
				}
				cl.bytes <- n
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return cl
}

// decodeJSON is json.Unmarshal that fails the test.
func decodeJSON[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
