package main

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
	"github.com/heddle-ls/heddle-ls/internal/sim"
	"github.com/heddle-ls/heddle-ls/internal/simtest"
)

func TestMain(m *testing.M) { simtest.Main(m) }

func rpcCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestStart_FilesLayoutAndModes(t *testing.T) {
	repo := simtest.NewRepo(t)
	d := simtest.Start(t, repo)

	if want := filepath.Join(repo, ".heddle"); d.HeddleDir() != want {
		t.Errorf("heddle dir = %s, want %s", d.HeddleDir(), want)
	}
	pf, err := sim.ReadPidfile(d.Pidfile())
	if err != nil {
		t.Fatalf("read pidfile: %v", err)
	}
	if pf.PID != d.PID() {
		t.Errorf("pidfile pid = %d, want %d", pf.PID, d.PID())
	}
	if age := time.Since(time.Unix(pf.StartSecs, 0)); age < -time.Second || age > time.Minute {
		t.Errorf("pidfile start time %d is %s from now", pf.StartSecs, age)
	}
	raw, _ := os.ReadFile(d.Pidfile())
	lines := strings.Split(string(raw), "\n")
	if len(lines) != 4 || lines[1] != "heddle-agent" || lines[3] != "" {
		t.Errorf("pidfile = %q, want 3 LF-terminated lines with marker heddle-agent", raw)
	}

	st, err := os.Stat(d.Socket())
	if err != nil {
		t.Fatalf("stat socket: %v", err)
	}
	if st.Mode().Type() != os.ModeSocket || st.Mode().Perm() != 0o600 {
		t.Errorf("socket mode = %v, want socket 0600", st.Mode())
	}
	dir, err := os.Stat(filepath.Dir(d.Socket()))
	if err != nil {
		t.Fatalf("stat sockets dir: %v", err)
	}
	if dir.Mode().Perm() != 0o700 {
		t.Errorf("sockets dir mode = %v, want 0700", dir.Mode().Perm())
	}
}

func TestStart_MakesRepoOfPlainDir(t *testing.T) {
	repo := simtest.NewRepo(t)
	plain := filepath.Join(repo, "plain")
	if err := os.Mkdir(plain, 0o755); err != nil {
		t.Fatal(err)
	}
	d := simtest.Start(t, plain)
	if !simtest.FileExists(filepath.Join(plain, ".heddle", "objects")) {
		t.Errorf("%s/.heddle/objects not created", plain)
	}
	if d.HeddleDir() != filepath.Join(plain, ".heddle") {
		t.Errorf("heddle dir = %s", d.HeddleDir())
	}
}

func TestStart_WorktreeServesMainHeddleDir(t *testing.T) {
	main := simtest.NewRepo(t)
	wt := simtest.NewWorktree(t, main)
	d := simtest.Start(t, wt)
	if want := sim.SocketPath(simtest.HeddleDir(main)); d.Socket() != want {
		t.Errorf("socket = %s, want the main repo's %s", d.Socket(), want)
	}
}

func TestSignals_FilesAfterExit(t *testing.T) {
	tests := []struct {
		name      string
		stop      func(*simtest.Daemon) error
		wantFiles bool
		wantCode  int
	}{
		{"SIGINT removes both", (*simtest.Daemon).Interrupt, false, 0},
		{"SIGTERM leaves both", func(d *simtest.Daemon) error { d.Terminate(); return d.Wait() }, true, -1},
		{"SIGKILL leaves both", func(d *simtest.Daemon) error { d.Kill(); return d.Wait() }, true, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := simtest.Start(t, simtest.NewRepo(t))
			err := tt.stop(d)
			if got := simtest.ExitCode(err); got != tt.wantCode {
				t.Errorf("exit code = %d (%v), want %d", got, err, tt.wantCode)
			}
			for _, f := range []string{d.Pidfile(), d.Socket()} {
				if got := simtest.FileExists(f); got != tt.wantFiles {
					t.Errorf("%s exists = %t, want %t", f, got, tt.wantFiles)
				}
			}
		})
	}
}

func TestStart_RefusesSecondInstance(t *testing.T) {
	repo := simtest.NewRepo(t)
	first := simtest.Start(t, repo)
	_, err := simtest.TryStart(t, repo)
	if err == nil {
		t.Fatal("second instance started; want refusal")
	}
	if want := "already running (pid " + strconv.Itoa(first.PID()) + ")"; !strings.Contains(err.Error(), want) {
		t.Errorf("error = %v, want it to say %q", err, want)
	}
	if !strings.Contains(err.Error(), "exit status 1") {
		t.Errorf("error = %v, want exit status 1", err)
	}
	// The first daemon is untouched.
	pf, err := sim.ReadPidfile(first.Pidfile())
	if err != nil || pf.PID != first.PID() {
		t.Errorf("pidfile after refusal = %+v, %v; want pid %d", pf, err, first.PID())
	}
	if !simtest.FileExists(first.Socket()) {
		t.Error("first daemon's socket was removed")
	}
}

func TestStart_SweepsStaleFiles(t *testing.T) {
	sleeper := exec.Command("sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatalf("start sleep: %v", err)
	}
	t.Cleanup(func() { sleeper.Process.Kill(); sleeper.Wait() })

	tests := []struct {
		name    string
		pidfile string
	}{
		{"dead pid", "2147483646\nheddle-agent\n1700000000\n"},
		{"live pid that is not heddle", strconv.Itoa(sleeper.Process.Pid) + "\nheddle-agent\n1700000000\n"},
		{"legacy bare pid", "12345\n"},
		{"garbage", "\x00\xffnot a pidfile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := simtest.NewRepo(t)
			sockets := filepath.Join(repo, ".heddle", "sockets")
			if err := os.Mkdir(sockets, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(sockets, "grpc.pid"), []byte(tt.pidfile), 0o600); err != nil {
				t.Fatal(err)
			}
			// A junk file where the socket goes: bind would fail on it.
			if err := os.WriteFile(filepath.Join(sockets, "grpc.sock"), []byte("junk"), 0o600); err != nil {
				t.Fatal(err)
			}
			d := simtest.Start(t, repo)
			pf, err := sim.ReadPidfile(d.Pidfile())
			if err != nil || pf.PID != d.PID() {
				t.Errorf("pidfile = %+v, %v; want pid %d", pf, err, d.PID())
			}
			ops := heddlev1.NewOperationLogQueryServiceClient(d.Conn())
			if _, err := ops.QueryOperations(rpcCtx(t, 5*time.Second), &heddlev1.QueryOperationsRequest{}); err != nil {
				t.Errorf("QueryOperations after sweep: %v", err)
			}
		})
	}
}

func TestServe_QueryOverProcess(t *testing.T) {
	d := simtest.Start(t, simtest.NewRepo(t), "--seed", "7", "--ops", "40")
	req := &heddlev1.QueryOperationsRequest{IncludeCheckpoints: true}
	resp, err := heddlev1.NewOperationLogQueryServiceClient(d.Conn()).QueryOperations(rpcCtx(t, 5*time.Second), req)
	if err != nil {
		t.Fatalf("QueryOperations: %v", err)
	}
	want := sim.FilterOperations(sim.SeedOperations(7, 40), req)
	if len(resp.GetHits()) != 40 || len(want) != 40 {
		t.Fatalf("got %d hits, want 40 (expected %d)", len(resp.GetHits()), len(want))
	}
	for i, h := range resp.GetHits() {
		if h.GetOperationId() != want[i].GetOperationId() || h.GetSeq() != want[i].GetSeq() {
			t.Fatalf("hit %d = seq %d %s, want seq %d %s", i, h.GetSeq(), h.GetOperationId(), want[i].GetSeq(), want[i].GetOperationId())
		}
	}
}

func TestHealth_DefaultIsUnimplemented(t *testing.T) {
	d := simtest.Start(t, simtest.NewRepo(t))
	_, err := healthpb.NewHealthClient(d.Conn()).Check(rpcCtx(t, 5*time.Second), &healthpb.HealthCheckRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("Health.Check = %v, want Unimplemented (real heddle has no Health)", err)
	}
}

func TestHealth_NotServingAndToggle(t *testing.T) {
	d := simtest.Start(t, simtest.NewRepo(t), "--health", "not-serving")
	client := healthpb.NewHealthClient(d.Conn())
	resp, err := client.Check(rpcCtx(t, 5*time.Second), &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("Check = %v, %v; want NOT_SERVING", resp, err)
	}

	watch, err := client.Watch(rpcCtx(t, 10*time.Second), &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	recv := func() healthpb.HealthCheckResponse_ServingStatus {
		t.Helper()
		m, err := watch.Recv()
		if err != nil {
			t.Fatalf("Watch.Recv: %v", err)
		}
		return m.GetStatus()
	}
	if got := recv(); got != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("first Watch status = %v, want NOT_SERVING", got)
	}
	d.ToggleHealth()
	if got := recv(); got != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("Watch after SIGUSR1 = %v, want SERVING", got)
	}
	d.ToggleHealth()
	if got := recv(); got != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("Watch after second SIGUSR1 = %v, want NOT_SERVING", got)
	}
}

func TestFault_HangHealth(t *testing.T) {
	d := simtest.Start(t, simtest.NewRepo(t), "--fault", "hang-health")
	conn := d.Conn()
	start := time.Now()
	_, err := healthpb.NewHealthClient(conn).Check(rpcCtx(t, 200*time.Millisecond), &healthpb.HealthCheckRequest{})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("Check = %v, want DeadlineExceeded", err)
	}
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Errorf("Check returned after %s, before its deadline", el)
	}
	// heddle.v1 still answers on the same connection.
	if _, err := heddlev1.NewHookServiceClient(conn).ListHooks(rpcCtx(t, 5*time.Second), &heddlev1.ListHooksRequest{}); err != nil {
		t.Errorf("ListHooks beside hung health: %v", err)
	}
	// A hung Health RPC does not prevent a clean SIGINT shutdown.
	if err := d.Interrupt(); err != nil {
		t.Errorf("Interrupt: %v", err)
	}
}

func TestFault_NoServe(t *testing.T) {
	d := simtest.Start(t, simtest.NewRepo(t), "--fault", "no-serve")
	c, err := net.DialTimeout("unix", d.Socket(), 2*time.Second)
	if err != nil {
		t.Fatalf("connect: %v (want success via the backlog)", err)
	}
	c.Close()
	_, err = heddlev1.NewHookServiceClient(d.Conn()).ListHooks(rpcCtx(t, 200*time.Millisecond), &heddlev1.ListHooksRequest{})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("ListHooks = %v, want DeadlineExceeded", err)
	}
	if err := d.Interrupt(); err != nil {
		t.Errorf("Interrupt: %v", err)
	}
	if simtest.FileExists(d.Socket()) || simtest.FileExists(d.Pidfile()) {
		t.Error("files left after SIGINT")
	}
}

func TestFault_AcceptSilent(t *testing.T) {
	d := simtest.Start(t, simtest.NewRepo(t), "--fault", "accept-silent")
	c, err := net.DialTimeout("unix", d.Socket(), 2*time.Second)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	n, err := c.Read(make([]byte, 1))
	var ne net.Error
	if n != 0 || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("read = %d, %v; want a timeout with nothing written", n, err)
	}
	_, err = heddlev1.NewHookServiceClient(d.Conn()).ListHooks(rpcCtx(t, 200*time.Millisecond), &heddlev1.ListHooksRequest{})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("ListHooks = %v, want DeadlineExceeded", err)
	}
}

func TestFault_PidfileOnly(t *testing.T) {
	d := simtest.Start(t, simtest.NewRepo(t), "--fault", "pidfile-only")
	pf, err := sim.ReadPidfile(d.Pidfile())
	if err != nil || pf.PID != d.PID() {
		t.Fatalf("pidfile = %+v, %v; want pid %d", pf, err, d.PID())
	}
	if simtest.FileExists(d.Socket()) {
		t.Errorf("socket %s exists; want none", d.Socket())
	}
	if err := d.Interrupt(); err != nil {
		t.Errorf("Interrupt: %v", err)
	}
	if simtest.FileExists(d.Pidfile()) {
		t.Error("pidfile left after SIGINT")
	}
}

func TestFault_NoV1(t *testing.T) {
	d := simtest.Start(t, simtest.NewRepo(t), "--fault", "no-v1")
	_, err := heddlev1.NewOperationLogQueryServiceClient(d.Conn()).QueryOperations(rpcCtx(t, 5*time.Second), &heddlev1.QueryOperationsRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("QueryOperations = %v, want Unimplemented", err)
	}
}

func TestSlow_DelaysV1ButHonoursDeadline(t *testing.T) {
	d := simtest.Start(t, simtest.NewRepo(t), "--slow", "300ms")
	hooks := heddlev1.NewHookServiceClient(d.Conn())
	_, err := hooks.ListHooks(rpcCtx(t, 100*time.Millisecond), &heddlev1.ListHooksRequest{})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("ListHooks with 100ms deadline = %v, want DeadlineExceeded", err)
	}
	start := time.Now()
	if _, err := hooks.ListHooks(rpcCtx(t, 10*time.Second), &heddlev1.ListHooksRequest{}); err != nil {
		t.Fatalf("ListHooks: %v", err)
	}
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Errorf("ListHooks answered after %s, want >= 300ms", el)
	}
}

func TestSocketFlag_MovesOnlyTheSocket(t *testing.T) {
	repo := simtest.NewRepo(t)
	elsewhere := filepath.Join(repo, "alt.sock")
	d := simtest.Start(t, repo, "--socket", elsewhere)
	if d.Socket() != elsewhere {
		t.Errorf("socket = %s, want %s", d.Socket(), elsewhere)
	}
	if d.Pidfile() != sim.PidfilePath(filepath.Join(repo, ".heddle")) {
		t.Errorf("pidfile = %s, want the default path", d.Pidfile())
	}
	if simtest.FileExists(sim.SocketPath(d.HeddleDir())) {
		t.Error("default socket path exists; want only the moved one")
	}
}

func TestFlags_BadUsageExits2(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--repo", "x", "--fault", "nonsense"},
		{"--repo", "x", "--health", "maybe"},
		{"--repo", "x", "--ops", "-1"},
		{"--repo", "x", "extra"},
	} {
		cmd := exec.Command(simtest.BinaryPath(t), args...)
		out, err := cmd.CombinedOutput()
		if got := simtest.ExitCode(err); got != 2 {
			t.Errorf("heddle-sim %q: exit %d, want 2; output:\n%s", args, got, out)
		}
	}
	out, err := exec.Command(simtest.BinaryPath(t), "-h").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "usage: heddle-sim") {
		t.Errorf("-h: %v\n%s", err, out)
	}
}
