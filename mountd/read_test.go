package mountd_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/internal/simtest"
	"github.com/heddle-ls/heddle-ls/mountd"
)

func TestMain(m *testing.M) { simtest.Main(m) }

// deadPID is above any pid_max (2^22), so it never names a process.
const deadPID = 0x7ffffffe

// newRepo makes a heddle repository and its (empty) state directory.
func newRepo(t *testing.T) (heddle.Repo, string) {
	t.Helper()
	root := simtest.NewRepo(t)
	repo := heddle.Repo{Root: root, HeddleDir: simtest.HeddleDir(root)}
	dir := mountd.StateDir(repo)
	must(t, os.MkdirAll(dir, 0o755))
	return repo, dir
}

func writeFile(t *testing.T, path string, data string) {
	t.Helper()
	must(t, os.WriteFile(path, []byte(data), 0o644))
}

func endpointJSON(protocol, pid int, socket string) string {
	ep := map[string]any{"version": protocol, "host": "127.0.0.1", "port": 40123, "pid": pid}
	if protocol == 3 {
		ep["host"], ep["port"], ep["socket_path"] = "unix", 0, socket
	}
	b, _ := json.MarshalIndent(ep, "", "  ")
	return string(b)
}

func sleeper(t *testing.T, name string, uid int) *exec.Cmd { return simtest.Sleeper(t, name, uid) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// noConnections fails the test if the mount daemon ever accepted one.
func noConnections(t *testing.T, m *simtest.MountDaemon) {
	t.Helper()
	t.Cleanup(func() {
		select {
		case <-m.Exited():
		default:
			if err := m.Interrupt(); err != nil { // records the backlog too
				t.Errorf("mount daemon exit: %v", err)
			}
		}
		if n := m.Connections(); n != 0 {
			t.Errorf("%d connections to the mount daemon; there must be none:\n%s", n, m.Stderr())
		}
	})
}

type want struct {
	state, reason    string
	pid, proto, mnts int
	msg              string // a substring of the message
}

func check(t *testing.T, what string, got *mountd.Status, w want) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: nil status, want %s/%s", what, w.state, w.reason)
	}
	if got.State != w.state || got.Reason != w.reason || got.PID != w.pid || got.Protocol != w.proto || got.Mounts != w.mnts {
		t.Fatalf("%s: %+v\nwant state %s, reason %s, pid %d, protocol %d, mounts %d", what, *got, w.state, w.reason, w.pid, w.proto, w.mnts)
	}
	if !strings.Contains(got.Message, w.msg) || strings.Contains(got.Message, "\n") {
		t.Fatalf("%s: message %q, want one line containing %q", what, got.Message, w.msg)
	}
	t.Logf("%s → %s/%s: %s", what, got.State, got.Reason, got.Message)
}

func TestRead_NoEndpointIsNil(t *testing.T) {
	repo, dir := newRepo(t)
	if st := mountd.Read(repo); st != nil {
		t.Fatalf("empty state dir: %+v, want nil", *st)
	}
	writeFile(t, filepath.Join(dir, mountd.MountsFile), `{"mounts":[{}]}`)
	if st := mountd.Read(repo); st != nil {
		t.Fatalf("mounts.json without an endpoint: %+v, want nil", *st)
	}
	must(t, os.RemoveAll(dir))
	if st := mountd.Read(repo); st != nil {
		t.Fatalf("no state dir: %+v, want nil", *st)
	}
	if st := mountd.Read(heddle.Repo{}); st != nil {
		t.Fatalf("no repo: %+v, want nil", *st)
	}
}

func TestRead_RunningDaemons(t *testing.T) {
	for _, protocol := range []int{2, 3} {
		repo, _ := newRepo(t)
		m := simtest.StartMountDaemon(t, repo.Root, protocol, "--mounts", "2")
		noConnections(t, m)
		check(t, fmt.Sprint("protocol ", protocol), mountd.Read(repo),
			want{mountd.StateRunning, mountd.ReasonEndpointLive, m.PID(), protocol, 2, "mount daemon running"})
	}
}

// Every state but running, from files written by hand (or a real daemon's
// files, tampered with), each with its stable reason.
func TestRead_States(t *testing.T) {
	heddlePID := sleeper(t, "heddle", -1).Process.Pid
	sleepPID := sleeper(t, "", -1).Process.Pid
	type tc struct {
		name  string
		setup func(t *testing.T, dir string) // writes the files
		want  func(dir string) want
	}
	ep := func(protocol, pid int) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, mountd.EndpointFile), endpointJSON(protocol, pid, filepath.Join(dir, mountd.SocketFile)))
		}
	}
	raw := func(content string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, mountd.EndpointFile), content) }
	}
	fixed := func(w want) func(string) want { return func(string) want { return w } }
	cases := []tc{
		{"dead pid", ep(2, deadPID), fixed(want{mountd.StateStale, mountd.ReasonPidDead, deadPID, 2, 0, "is gone"})},
		{"dead pid with mounts", func(t *testing.T, dir string) {
			ep(3, deadPID)(t, dir)
			writeFile(t, filepath.Join(dir, mountd.MountsFile), `{"mounts":[{"thread_id":"a"},{"thread_id":"b"}]}`)
		}, fixed(want{mountd.StateStale, mountd.ReasonPidDead, deadPID, 3, 2, "files under its 2 mounts may be gone"})},
		{"pid reused by sleep", ep(2, sleepPID), fixed(want{mountd.StateStale, mountd.ReasonPidNotHeddle, sleepPID, 2, 0, `"sleep"`})},
		{"protocol 3, socket missing", ep(3, heddlePID), fixed(want{mountd.StateStale, mountd.ReasonSocketMissing, heddlePID, 3, 0, "is gone"})},
		{"protocol 3, socket is a regular file", func(t *testing.T, dir string) {
			ep(3, heddlePID)(t, dir)
			writeFile(t, filepath.Join(dir, mountd.SocketFile), "")
		}, fixed(want{mountd.StateDenied, mountd.ReasonSocketNotSocket, heddlePID, 3, 0, "not a socket"})},
		{"endpoint is a symlink", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "elsewhere.json"), endpointJSON(2, heddlePID, ""))
			must(t, os.Symlink("elsewhere.json", filepath.Join(dir, mountd.EndpointFile)))
		}, fixed(want{mountd.StateDenied, mountd.ReasonEndpointSymlink, 0, 0, 0, "symlink"})},
		{"endpoint is a directory", func(t *testing.T, dir string) {
			must(t, os.Mkdir(filepath.Join(dir, mountd.EndpointFile), 0o755))
		}, fixed(want{mountd.StateDenied, mountd.ReasonEndpointNotRegular, 0, 0, 0, "not a regular file"})},
		{"endpoint is a FIFO (never opened: it would block)", func(t *testing.T, dir string) {
			must(t, syscall.Mkfifo(filepath.Join(dir, mountd.EndpointFile), 0o644))
		}, fixed(want{mountd.StateDenied, mountd.ReasonEndpointNotRegular, 0, 0, 0, "not a regular file"})},
		{"protocol 4", raw(`{"version":4,"host":"unix","port":0,"pid":1,"socket_path":"/x"}`),
			fixed(want{mountd.StateUnknownProtocol, mountd.ReasonProtocolUnknown, 0, 4, 0, "protocol 4"})},
		{"protocol 1", raw(`{"version":1,"host":"127.0.0.1","port":1,"pid":1}`),
			fixed(want{mountd.StateUnknownProtocol, mountd.ReasonProtocolUnknown, 0, 1, 0, "protocol 1"})},
		{"garbage", raw("\x00\x01garbage\xff"), fixed(want{mountd.StateUnknownProtocol, mountd.ReasonEndpointUnparseable, 0, 0, 0, "not a mount daemon endpoint"})},
		{"truncated JSON", raw(`{"version":3,"pi`), fixed(want{mountd.StateUnknownProtocol, mountd.ReasonEndpointUnparseable, 0, 0, 0, ""})},
		{"JSON null", raw(`null`), fixed(want{mountd.StateUnknownProtocol, mountd.ReasonEndpointUnparseable, 0, 0, 0, ""})},
		{"JSON array", raw(`[3]`), fixed(want{mountd.StateUnknownProtocol, mountd.ReasonEndpointUnparseable, 0, 0, 0, ""})},
		{"version as a string", raw(`{"version":"3","host":"unix","port":0,"pid":1}`), fixed(want{mountd.StateUnknownProtocol, mountd.ReasonEndpointUnparseable, 0, 0, 0, ""})},
		{"empty file", raw(``), fixed(want{mountd.StateUnknownProtocol, mountd.ReasonEndpointUnparseable, 0, 0, 0, ""})},
		{"no version", raw(`{"host":"unix","port":0,"pid":1}`), fixed(want{mountd.StateUnknownProtocol, mountd.ReasonEndpointInvalid, 0, 0, 0, "no protocol version"})},
		{"no pid", raw(`{"version":2,"host":"127.0.0.1","port":1}`), fixed(want{mountd.StateUnknownProtocol, mountd.ReasonEndpointInvalid, 0, 2, 0, "no pid"})},
		{"pid 0 (kill(0, 0) would address our process group)", raw(`{"version":2,"host":"127.0.0.1","port":1,"pid":0}`),
			fixed(want{mountd.StateUnknownProtocol, mountd.ReasonEndpointInvalid, 0, 2, 0, "impossible pid 0"})},
		{"negative pid", raw(`{"version":2,"host":"127.0.0.1","port":1,"pid":-1}`), fixed(want{mountd.StateUnknownProtocol, mountd.ReasonEndpointInvalid, 0, 2, 0, "impossible pid"})},
		{"pid beyond int32", raw(`{"version":2,"host":"127.0.0.1","port":1,"pid":4294967296}`), fixed(want{mountd.StateUnknownProtocol, mountd.ReasonEndpointInvalid, 0, 2, 0, "impossible pid"})},
		{"port beyond u16", raw(`{"version":2,"host":"127.0.0.1","port":70000,"pid":1}`), fixed(want{mountd.StateUnknownProtocol, mountd.ReasonEndpointInvalid, 1, 2, 0, "impossible port"})},
		{"protocol 3 without socket_path", raw(fmt.Sprintf(`{"version":3,"host":"unix","port":0,"pid":%d}`, heddlePID)),
			fixed(want{mountd.StateUnknownProtocol, mountd.ReasonEndpointInvalid, heddlePID, 3, 0, "names no socket"})},
		{"protocol 3, relative socket_path", raw(fmt.Sprintf(`{"version":3,"host":"unix","port":0,"pid":%d,"socket_path":"heddled.sock"}`, heddlePID)),
			fixed(want{mountd.StateUnknownProtocol, mountd.ReasonEndpointInvalid, heddlePID, 3, 0, "relative socket path"})},
		{"huge endpoint", raw(endpointJSON(2, heddlePID, "") + strings.Repeat(" ", 4<<20)),
			fixed(want{mountd.StateUnknownProtocol, mountd.ReasonEndpointTooLarge, 0, 0, 0, "larger than"})},
		// A daemon killed with its mounts leaves mounts.json behind; the
		// next one rewrites it only on its first mount. Entries name their
		// daemon's pid: an earlier daemon's are not this one's mounts.
		{"mounts.json of an earlier daemon", func(t *testing.T, dir string) {
			ep(2, heddlePID)(t, dir)
			writeFile(t, filepath.Join(dir, mountd.MountsFile), fmt.Sprintf(`{"mounts":[{"thread_id":"a","pid":%d},{"thread_id":"b","pid":%d},{"thread_id":"c","pid":%d}]}`, deadPID, deadPID, heddlePID))
		}, fixed(want{mountd.StateRunning, mountd.ReasonEndpointLive, heddlePID, 2, 1, "also lists 2 mounts of an earlier mount daemon"})},
		{"garbage mounts.json", func(t *testing.T, dir string) {
			ep(2, heddlePID)(t, dir)
			writeFile(t, filepath.Join(dir, mountd.MountsFile), `{"mounts":`)
		}, fixed(want{mountd.StateRunning, mountd.ReasonEndpointLive, heddlePID, 2, 0, "mounts.json ignored"})},
		{"huge mounts.json", func(t *testing.T, dir string) {
			ep(2, heddlePID)(t, dir)
			writeFile(t, filepath.Join(dir, mountd.MountsFile), `{"mounts":[`+strings.Repeat(`{},`, 1<<20)+`{}]}`)
		}, fixed(want{mountd.StateRunning, mountd.ReasonEndpointLive, heddlePID, 2, 0, "mounts.json ignored: it is too large"})},
		{"mounts.json a symlink", func(t *testing.T, dir string) {
			ep(2, heddlePID)(t, dir)
			writeFile(t, filepath.Join(dir, "m"), `{"mounts":[{}]}`)
			must(t, os.Symlink("m", filepath.Join(dir, mountd.MountsFile)))
		}, fixed(want{mountd.StateRunning, mountd.ReasonEndpointLive, heddlePID, 2, 0, "mounts.json ignored: it is a symlink"})},
	}
	if os.Geteuid() != 0 { // root reads a mode-000 file: run as a user
		cases = append(cases, tc{"endpoint not readable", func(t *testing.T, dir string) {
			ep(2, heddlePID)(t, dir)
			must(t, os.Chmod(filepath.Join(dir, mountd.EndpointFile), 0))
		}, fixed(want{mountd.StateUnknownProtocol, mountd.ReasonEndpointUnreadable, 0, 0, 0, "permission denied"})})
	}
	if os.Geteuid() == 0 {
		otherPID := sleeper(t, "", 65534).Process.Pid
		cases = append(cases,
			tc{"endpoint of another user", func(t *testing.T, dir string) {
				ep(2, heddlePID)(t, dir)
				must(t, os.Chown(filepath.Join(dir, mountd.EndpointFile), 65534, 65534))
			}, fixed(want{mountd.StateDenied, mountd.ReasonEndpointNotOurs, 0, 0, 0, "uid 65534"})},
			tc{"pid of another user", ep(2, otherPID), fixed(want{mountd.StateDenied, mountd.ReasonPidNotOurs, otherPID, 2, 0, "another user's process"})},
		)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			repo, dir := newRepo(t)
			c.setup(t, dir)
			check(t, c.name, mountd.Read(repo), c.want(dir))
		})
	}
}

// A real protocol-3 daemon's socket, tampered with.
func TestRead_SocketNotTrusted(t *testing.T) {
	repo, _ := newRepo(t)
	m := simtest.StartMountDaemon(t, repo.Root, 3)
	noConnections(t, m)
	pid := m.PID()
	moved := m.Socket() + ".real"
	must(t, os.Rename(m.Socket(), moved))
	must(t, os.Symlink(moved, m.Socket()))
	check(t, "socket symlink", mountd.Read(repo), want{mountd.StateDenied, mountd.ReasonSocketSymlink, pid, 3, 0, "symlink"})
	must(t, os.Rename(moved, m.Socket()))
	check(t, "socket back", mountd.Read(repo), want{mountd.StateRunning, mountd.ReasonEndpointLive, pid, 3, 0, ""})
	if os.Geteuid() != 0 {
		return
	}
	must(t, os.Chown(m.Socket(), 65534, 65534))
	check(t, "socket of another user", mountd.Read(repo), want{mountd.StateDenied, mountd.ReasonSocketNotOurs, pid, 3, 0, "uid 65534"})
}

// In a worktree the mount daemon's files are the worktree's own, in
// <worktree>/.heddle/state, not the shared heddle dir's: heddle resolves
// them from the checkout root.
func TestRead_WorktreeHasItsOwnMountDaemon(t *testing.T) {
	main, mainState := newRepo(t)
	wtRoot := simtest.NewWorktree(t, main.Root)
	wt, err := heddle.Discover(wtRoot)
	if err != nil {
		t.Fatal(err)
	}
	if wt.HeddleDir != main.HeddleDir {
		t.Fatalf("worktree heddle dir %s, want the main one %s", wt.HeddleDir, main.HeddleDir)
	}
	writeFile(t, filepath.Join(mainState, mountd.EndpointFile), endpointJSON(2, deadPID, ""))
	if st := mountd.Read(wt); st != nil {
		t.Fatalf("the worktree read the main checkout's mount daemon: %+v", *st)
	}
	m := simtest.StartMountDaemon(t, wtRoot, 3)
	noConnections(t, m)
	check(t, "worktree", mountd.Read(wt), want{mountd.StateRunning, mountd.ReasonEndpointLive, m.PID(), 3, 0, ""})
	check(t, "main", mountd.Read(main), want{mountd.StateStale, mountd.ReasonPidDead, deadPID, 2, 0, ""})
}
