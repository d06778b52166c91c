package lsptest

import (
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/simtest"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

func TestMain(m *testing.M) { simtest.Main(m) }

// The client's contract against the real binary: requests with deadlines,
// notifications, a folder's status, and both ways a session ends.
func TestStart_SessionAndExit(t *testing.T) {
	repo := simtest.NewRepo(t)
	d := simtest.Start(t, repo)
	s := Start(t)
	init := s.Initialize([]string{protocol.PathToURI(repo)}, nil)
	if init.Error != nil || len(init.Result) == 0 {
		t.Fatalf("initialize: %s", init.Raw)
	}
	st := s.WaitState(protocol.PathToURI(repo), "ready", "", Timeout)
	if st.PID != d.PID() {
		t.Errorf("ready with pid %d, want %d", st.PID, d.PID())
	}
	m, took := s.ExecuteCommand(Timeout, protocol.CmdStatus)
	if got := Decode[[]protocol.StatusParams](t, m); len(got) != 1 || got[0].State != "ready" || took <= 0 {
		t.Errorf("heddle.status = %+v (took %v)", got, took)
	}
	if _, ok := s.WaitNotification("window/logMessage", Timeout, nil); !ok {
		t.Errorf("no window/logMessage")
	}
	mark := s.Len()
	d.Kill()
	s.WaitStateFrom(mark, protocol.PathToURI(repo), "stale", "pid-dead", Timeout)
	s.Shutdown()
	if code := s.Wait(5 * time.Second); code != 0 {
		t.Errorf("exit code %d after shutdown+exit", code)
	}
	if s.Alive() {
		t.Errorf("still alive")
	}
}

func TestStart_ClosedStdinExitsOne(t *testing.T) {
	s := Start(t)
	s.Initialize(nil, nil)
	s.CloseStdin()
	if code := s.Wait(5 * time.Second); code != 1 {
		t.Errorf("exit code %d after EOF without shutdown, want 1", code)
	}
	if _, ok := s.Response(99, 10*time.Millisecond); ok {
		t.Errorf("a response to a request never sent")
	}
}
