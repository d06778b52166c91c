// sources_test.go: the sources beside the agent daemon, end to end through
// the real binary — the mount daemon in heddle/status, and the oplog's
// heddle/operationsChanged.

package lsp_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/heddle-ls/heddle-ls/internal/lsptest"
	"github.com/heddle-ls/heddle-ls/internal/simtest"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// mountIs matches a status whose mount daemon is in state (or, for "",
// not running) with n mounts.
func mountIs(state string, n int) func(protocol.StatusParams) bool {
	return func(st protocol.StatusParams) bool {
		if state == "" {
			return st.Mount == nil
		}
		return st.Mount != nil && st.Mount.State == state && st.Mount.Mounts == n
	}
}

func TestStatus_MountDaemonFromItsFiles(t *testing.T) {
	repo := simtest.NewRepo(t)
	folder := protocol.PathToURI(repo)
	srv := lsptest.Start(t)
	srv.Initialize([]string{folder}, nil)
	first := srv.WaitState(folder, "stopped", "", wait)
	if first.Mount != nil {
		t.Fatalf("first status has a mount daemon before any ran: %+v", first.Mount)
	}

	// It starts: its endpoint appears.
	mark := srv.Len()
	m := simtest.StartMountDaemon(t, repo, 3)
	st, _ := srv.WaitStatus(mark, folder, wait, mountIs("running", 0))
	if st.Mount == nil || st.Mount.PID != m.PID() || st.Mount.Protocol != 3 || st.Mount.Reason != "endpoint-live" {
		t.Fatalf("mount daemon running: %+v", st.Mount)
	}
	// Mounts added and removed change the status.
	mark = srv.Len()
	m.Mount("thread-a")
	srv.WaitStatus(mark, folder, wait, mountIs("running", 1))
	mark = srv.Len()
	m.Unmount("thread-a")
	srv.WaitStatus(mark, folder, wait, mountIs("running", 0))

	// It dies: its files stay, the pid's exit is noticed, and the folder
	// warns (files under a mount may be gone).
	mark = srv.Len()
	m.Kill()
	st, _ = srv.WaitStatus(mark, folder, wait, mountIs("stale", 0))
	if st.Mount.Reason != "pid-dead" || st.Health == protocol.HealthOK {
		t.Fatalf("a dead mount daemon: health %s, mount %+v", st.Health, st.Mount)
	}
	if n := m.Connections(); n != 0 {
		t.Fatalf("heddle-ls connected to the mount daemon %d times", n)
	}

	// Another starts and exits cleanly: files removed, mount null again.
	m2 := simtest.StartMountDaemon(t, repo, 2)
	mark = srv.Len()
	srv.WaitStatus(0, folder, wait, func(st protocol.StatusParams) bool {
		return st.Mount != nil && st.Mount.State == "running" && st.Mount.PID == m2.PID()
	})
	if err := m2.Interrupt(); err != nil {
		t.Fatal(err)
	}
	srv.WaitStatus(mark, folder, wait, mountIs("", 0))
	if n := m2.Connections(); n != 0 {
		t.Fatalf("heddle-ls connected to the protocol-2 mount daemon %d times", n)
	}
}

// publishManifest publishes the oplog as heddle ≥ 0.12 does: a new file
// renamed onto oplog/oplog.manifest (a V5 header with head at 28..36).
func publishManifest(t *testing.T, heddleDir string, head uint64) {
	t.Helper()
	dir := filepath.Join(heddleDir, "oplog")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b := []byte("HDOPV5\x00\x00")
	b = binary.LittleEndian.AppendUint32(b, 2)
	b = binary.LittleEndian.AppendUint64(b, head) // generation
	b = binary.LittleEndian.AppendUint64(b, head) // entry_count
	b = binary.LittleEndian.AppendUint64(b, head) // head_id
	tmp := filepath.Join(dir, fmt.Sprintf(".oplog.manifest.tmp-%d-%d", os.Getpid(), head))
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "oplog.manifest")); err != nil {
		t.Fatal(err)
	}
}

func opsChanged(srv *lsptest.Server, from int) []protocol.OperationsChangedParams {
	var out []protocol.OperationsChangedParams
	for _, m := range srv.Messages()[from:] {
		if m.Method == protocol.MethodOperationsChanged {
			var p protocol.OperationsChangedParams
			if json.Unmarshal(m.Params, &p) == nil {
				out = append(out, p)
			}
		}
	}
	return out
}

func TestOperationsChanged_OnPublicationOnly(t *testing.T) {
	repo := simtest.NewRepo(t)
	heddleDir := filepath.Join(repo, ".heddle")
	folder := protocol.PathToURI(repo)
	srv := lsptest.Start(t)
	srv.Initialize([]string{folder}, nil)
	srv.WaitState(folder, "stopped", "", wait)

	// Churn first: state/ files, oplog temp files and segments. Then one
	// publication. The first operationsChanged must be that publication,
	// and nothing may have come for the churn.
	mark := srv.Len()
	for _, p := range []string{
		filepath.Join(heddleDir, "state", "index.bin"),
		filepath.Join(heddleDir, "oplog", ".oplog.manifest.tmp-1-2-3"),
		filepath.Join(heddleDir, "oplog", "oplog.segments", "segment-l00-1-2-g3.bin"),
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("churn"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	publishManifest(t, heddleDir, 7)
	m, ok := srv.WaitNotification(protocol.MethodOperationsChanged, wait, nil)
	if !ok {
		t.Fatal("no heddle/operationsChanged after a publication")
	}
	var p protocol.OperationsChangedParams
	if err := json.Unmarshal(m.Params, &p); err != nil || p.Folder != folder || p.HeadID == nil || *p.HeadID != 7 {
		t.Fatalf("operationsChanged = %s, want folder %s, headId 7", m.Params, folder)
	}
	if got := opsChanged(srv, mark); len(got) != 1 {
		t.Fatalf("%d operationsChanged for churn plus one publication, want 1: %+v", len(got), got)
	}

	// A burst: coalesced, and the last publication is never lost.
	mark = srv.Len()
	for head := uint64(8); head <= 40; head++ {
		publishManifest(t, heddleDir, head)
	}
	srv.WaitFor("the burst's last head", wait, func(m lsptest.Message) bool {
		var p protocol.OperationsChangedParams
		return m.Method == protocol.MethodOperationsChanged && json.Unmarshal(m.Params, &p) == nil &&
			p.HeadID != nil && *p.HeadID == 40
	})
	if got := opsChanged(srv, mark); len(got) >= 33 {
		t.Errorf("33 publications in a burst gave %d notifications: not coalesced", len(got))
	}
}
