package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/simtest"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// lsBinary is the real heddle-ls, built once by TestMain, so exit codes and
// stdio are tested as an editor and a shell see them; simtest.Main builds
// heddle-sim the same way.
var lsBinary string

const waitTimeout = 10 * time.Second

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "hls-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if lsBinary, err = simtest.BuildBinary(dir, "./cmd/heddle-ls"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return simtest.Run(m)
}

// runLS runs heddle-ls and returns stdout, stderr and the exit code.
func runLS(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(lsBinary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run heddle-ls: %v", err)
	}
	return out.String(), errb.String(), code
}

func newRepo(t *testing.T) string { return simtest.NewRepo(t) }

func startSim(t *testing.T, repo string, args ...string) *simtest.Daemon {
	t.Helper()
	return simtest.Start(t, repo, args...)
}

func TestStatus_ExitCodesAndLines(t *testing.T) {
	ready, stopped, plain := newRepo(t), newRepo(t), simtest.ShortDir(t)
	sim := startSim(t, ready)

	out, errOut, code := runLS(t, "", "status", ready)
	if code != 0 || !strings.HasPrefix(out, "ready") || !strings.Contains(out, ready) ||
		!strings.Contains(out, "pid "+strconv.Itoa(sim.PID())) {
		t.Errorf("status of a ready repo: code %d, out %q, err %q", code, out, errOut)
	}
	out, _, code = runLS(t, "", "status", ready, stopped, plain)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || len(lines) != 3 || !strings.HasPrefix(lines[1], "stopped") || !strings.HasPrefix(lines[2], "no-repo") {
		t.Errorf("mixed status: code %d (want 1), out:\n%s", code, out)
	}
	if _, _, code := runLS(t, "", "status", "--bogus"); code != 2 {
		t.Errorf("usage error exit code = %d, want 2", code)
	}
}

func TestStatus_JSONShape(t *testing.T) {
	ready, plain := newRepo(t), simtest.ShortDir(t)
	sim := startSim(t, ready)
	out, _, code := runLS(t, "", "status", "--json", ready, plain)
	if code != 1 {
		t.Errorf("exit code %d, want 1 (one path is not ready)", code)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 2 {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	keys := []string{"folder", "root", "heddleDir", "state", "reason", "message", "hint", "pid", "socket", "api", "since"}
	for _, k := range keys {
		if _, ok := got[0][k]; !ok {
			t.Errorf("key %q missing from %v", k, got[0])
		}
	}
	if got[0]["state"] != "ready" || got[0]["pid"] != float64(sim.PID()) || got[0]["folder"] != protocol.PathToURI(ready) {
		t.Errorf("ready entry = %v", got[0])
	}
	if got[1]["state"] != "no-repo" {
		t.Errorf("plain entry = %v", got[1])
	}
}

func TestVersionAndHelp(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, _, code := runLS(t, "", args...)
		if code != 0 || !strings.HasPrefix(out, "heddle-ls ") {
			t.Errorf("%v: code %d out %q", args, code, out)
		}
	}
	out, _, code := runLS(t, "", "--help")
	if code != 0 || !strings.Contains(out, "heddle-ls status") {
		t.Errorf("--help: code %d out %q", code, out)
	}
	if _, errOut, code := runLS(t, "", "--frobnicate"); code != 2 || !strings.Contains(errOut, "frobnicate") {
		t.Errorf("unknown flag: code %d, stderr %q", code, errOut)
	}
	if _, _, code := runLS(t, "", "ops", "--limit", "0", "."); code != 2 {
		t.Errorf("ops --limit 0: code %d, want 2", code)
	}
}

func frame(body string) string { return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body) }

// LSP mode: editors' flags accepted; shutdown+exit → 0; exit alone → 1;
// EOF → exits; nothing but LSP frames on stdout.
func TestLSP_ExitCodes(t *testing.T) {
	init := frame(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}`) +
		frame(`{"jsonrpc":"2.0","method":"initialized","params":{}}`)
	out, errOut, code := runLS(t, init+frame(`{"jsonrpc":"2.0","id":2,"method":"shutdown"}`)+frame(`{"jsonrpc":"2.0","method":"exit"}`),
		"--stdio", "--clientProcessId=123", "--log-level", "debug")
	if code != 0 {
		t.Errorf("shutdown+exit: code %d, stderr %s", code, errOut)
	}
	if !strings.HasPrefix(out, "Content-Length: ") || strings.Contains(out, "level=") {
		t.Errorf("stdout is not pure LSP: %q", out)
	}
	if !strings.Contains(errOut, "level=") {
		t.Errorf("logs did not go to stderr: %q", errOut)
	}
	if _, _, code := runLS(t, init+frame(`{"jsonrpc":"2.0","method":"exit"}`)); code != 1 {
		t.Errorf("exit without shutdown: code %d, want 1", code)
	}
	// EOF without anything: exits promptly (runLS would hang otherwise).
	if _, _, code := runLS(t, init); code != 1 {
		t.Errorf("EOF without shutdown: code %d, want 1", code)
	}
}

func TestLSP_LogFile(t *testing.T) {
	logPath := filepath.Join(simtest.ShortDir(t), "ls.log")
	_, errOut, _ := runLS(t, frame(`{"jsonrpc":"2.0","method":"exit"}`), "--log-file", logPath)
	data, err := os.ReadFile(logPath)
	if err != nil || !strings.Contains(string(data), "heddle-ls starting") {
		t.Errorf("log file: %v %q", err, data)
	}
	if strings.Contains(errOut, "heddle-ls starting") {
		t.Errorf("logged to stderr despite --log-file")
	}
}

// watch prints the current status, then a line per change, with no polling.
func TestWatch_PrintsChanges(t *testing.T) {
	repo := newRepo(t)
	sim := startSim(t, repo)
	cmd := exec.Command(lsBinary, "watch", "--json", repo)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := make(chan map[string]any, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				lines <- m
			}
		}
		close(lines)
	}()
	next := func(want string) map[string]any {
		t.Helper()
		for {
			select {
			case m, ok := <-lines:
				if !ok {
					t.Fatalf("watch ended before %s", want)
				}
				if m["state"] == want {
					return m
				}
			case <-time.After(waitTimeout):
				t.Fatalf("no %s line", want)
			}
		}
	}
	next("ready")
	sim.Interrupt()
	next("stopped")
	sim2 := startSim(t, repo)
	if m := next("ready"); m["pid"] != float64(sim2.PID()) {
		t.Errorf("ready again with pid %v, want %d", m["pid"], sim2.PID())
	}
	// SIGTERM ends watch with 0.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("watch after SIGTERM: %v", err)
	}
	_, _ = io.Copy(io.Discard, stdout)
}

func TestOpsAndExplain(t *testing.T) {
	repo := newRepo(t)
	startSim(t, repo)
	out, errOut, code := runLS(t, "", "ops", repo, "--limit", "3", "--json")
	var res protocol.OperationsResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || len(res.Hits) != 3 || res.Hits[0].Seq <= res.Hits[1].Seq {
		t.Errorf("ops --json: code %d, out %s, err %s", code, out, errOut)
	}
	out, _, code = runLS(t, "", "ops", repo, "--limit", "2", "--verb", "fork", "--verb", "collapse")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || len(lines) != 4 || lines[3] != "(answered by the agent daemon)" {
		t.Errorf("ops table (a header, 2 hits, who answered): code %d, out:\n%s", code, out)
	}
	out, _, code = runLS(t, "", "explain", repo)
	if code != 0 || !strings.Contains(out, "STEP") || !strings.Contains(out, "health") {
		t.Errorf("explain: code %d, out:\n%s", code, out)
	}
	stopped := newRepo(t)
	out, _, code = runLS(t, "", "explain", stopped)
	if code != 1 || !strings.Contains(out, "fix:") {
		t.Errorf("explain of a stopped repo: code %d, out:\n%s", code, out)
	}
	if _, errOut, code := runLS(t, "", "hooks", stopped); code != 1 || !strings.Contains(errOut, "stopped") {
		t.Errorf("hooks on a stopped repo: code %d, stderr %s", code, errOut)
	}
}

// watch ends by itself when its reader goes away, even with nothing to print.
func TestWatch_EndsWhenStdoutCloses(t *testing.T) {
	repo := newRepo(t)
	cmd := exec.Command(lsBinary, "watch", repo)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.Contains(line, "stopped") {
		t.Fatalf("first line %q: %v", line, err)
	}
	_ = stdout.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("watch after its reader left: %v, want exit 0", err)
		}
	case <-time.After(waitTimeout):
		_ = cmd.Process.Kill()
		t.Fatal("watch kept running after stdout closed")
	}
}

func TestStatus_Short(t *testing.T) {
	ready, stopped := newRepo(t), newRepo(t)
	startSim(t, ready)
	out, _, code := runLS(t, "", "status", "--short", ready, stopped)
	if code != 1 || out != "ready\nstopped\n" {
		t.Fatalf("status --short: code %d, out %q; want 1 and two state words", code, out)
	}
	// The state word never depends on the heddle CLI: --short runs none
	// (a prompt calls it on every redraw); the full status asks its version.
	cli := simtest.InstallCLI(t, "0.13.0")
	if out, _, _ := runLS(t, "", "status", "--short", "--heddle", cli.Path, stopped); out != "stopped\n" || len(cli.Calls(t)) != 0 {
		t.Fatalf("status --short --heddle: out %q, %d CLI runs; want stopped and none", out, len(cli.Calls(t)))
	}
	if out, _, _ := runLS(t, "", "status", "--heddle", cli.Path, stopped); !strings.Contains(out, "0.13.0") || len(cli.Calls(t)) == 0 {
		t.Fatalf("status --heddle: out %q, %d CLI runs; want the CLI asked", out, len(cli.Calls(t)))
	}
}
