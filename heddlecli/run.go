package heddlecli

// Running one CLI command: the read-verb list, the safety check, the process
// group, the limits, and turning a failure into an Error.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/internal/clip"
)

// readVerbs are the only commands run in a repository: heddle's read verbs
// (each still opens the repository; CLISafe decides where that is safe).
var readVerbs = [][]string{{"query"}, {"review", "health"}, {"hook", "list"}, {"hook", "events"}}

// Target is where a query runs: a workspace folder and the repository
// discovery found for it.
type Target struct {
	Folder string
	Repo   heddle.Repo
}

// command is one process to run.
type command struct {
	path      string
	dir       string
	args      []string
	maxStdout int64
}

type result struct {
	stdout []byte
}

// stderrTail is how much of stderr is kept to find the envelope in.
const stderrTail = 64 << 10

// straggleDelay bounds the wait for stdout and stderr to close once the
// process group is gone (a process that left the group may hold them).
const straggleDelay = 500 * time.Millisecond

// runVerb runs a read verb for t with the fixed flags, after every check.
func (r *Runner) runVerb(ctx context.Context, t Target, verb ...string) ([]byte, error) {
	if !isReadVerb(verb) {
		return nil, &Error{Kind: KindUnsafe, Reason: "verb",
			Message: fmt.Sprintf("heddle-ls runs only heddle's read verbs, not %q", strings.Join(verb, " "))}
	}
	opts, sem := r.options()
	// One deadline for everything: --version (if needed), a slot, the run.
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	info, err := r.infoFor(ctx, opts, sem)
	if err != nil {
		return nil, err
	}
	// Checked right before the run, every time: the tree may have changed.
	if err := heddle.CLISafe(t.Folder, t.Repo); err != nil {
		e := &Error{Kind: KindUnsafe, Message: "heddle-ls will not run the heddle CLI here: " + err.Error(), Err: err}
		var ue *heddle.UnsafeError
		if errors.As(err, &ue) {
			e.Reason = ue.Reason
		}
		e.Hint = unsafeHints[e.Reason]
		return nil, e
	}
	args := append(slices.Clone(verb), "--output", "json", "--no-color", "-C", t.Repo.Root)
	res, err := r.execute(ctx, opts, sem, command{path: info.Path, dir: t.Repo.Root, args: args, maxStdout: opts.MaxStdout})
	if err != nil {
		return nil, err
	}
	return res.stdout, nil
}

// unsafeHints say what the user can do about each refusal.
var unsafeHints = map[string]string{
	heddle.UnsafeNoRepo:      "open a folder inside a heddle repository (heddle init makes one)",
	heddle.UnsafeRepoChanged: "refresh, so that heddle-ls finds the folder's repository again",
	heddle.UnsafeNestedGit:   "the folder is in a Git repository nested inside the heddle repository, which heddle would turn into a repository of its own; open a folder of the heddle repository itself",
	heddle.UnsafeForeignRoot: "a .heddle below the repository's root makes heddle stop there; remove it, or open the repository it belongs to",
	heddle.UnsafeCloneIntent: "an interrupted clone: finish or abandon it with heddle yourself; heddle-ls will not resume it",
}

func isReadVerb(verb []string) bool {
	for _, v := range readVerbs {
		if len(verb) >= len(v) && slices.Equal(verb[:len(v)], v) {
			return true
		}
	}
	return false
}

// execute runs c in a process group of its own under ctx (whose deadline is
// the timeout) and at most cap(sem) at once. The group is killed when ctx
// ends, when stdout passes the cap, and after the command exits (so nothing
// it started stays behind).
func (r *Runner) execute(ctx context.Context, opts Options, sem chan struct{}, c command) (result, error) {
	started := time.Now()
	budget := opts.Timeout
	if d, ok := ctx.Deadline(); ok && time.Until(d) < budget {
		budget = max(time.Until(d), 0) // the caller's deadline comes first
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	select {
	case sem <- struct{}{}:
		defer func() { <-sem }()
	case <-ctx.Done():
		return result{}, contextError(ctx, opts, budget, c, "waiting for a free slot")
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	stdout := &cappedBuffer{max: c.maxStdout, overflow: stop}
	stderr := &tailBuffer{max: stderrTail}
	cmd := exec.CommandContext(runCtx, c.path, c.args...)
	cmd.Dir = c.dir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = straggleDelay
	if err := cmd.Start(); err != nil {
		return result{}, &Error{Kind: KindNotFound, Message: fmt.Sprintf("cannot run %s: %v", c.path, err), Err: err,
			Hint: "heddlePath must name the heddle executable"}
	}
	pid := cmd.Process.Pid
	// Wait for the leader to exit without reaping it: while it is a zombie
	// its pid, the group's id, cannot be reused, so killing the group can
	// only reach processes it started.
	waitExited(pid)
	_ = killGroup(pid)
	waitErr := cmd.Wait()
	r.log.Debug("heddle CLI ran", "args", c.args, "dir", c.dir, "took", time.Since(started), "err", waitErr)

	switch {
	case stdout.overflowed():
		return result{}, &Error{Kind: KindTooLarge,
			Message: fmt.Sprintf("heddle %s printed more than %s", verbOf(c.args), sizeOf(c.maxStdout)),
			Hint:    "narrow the query (sinceSecs, untilSecs, filters)"}
	case ctx.Err() != nil:
		return result{}, contextError(ctx, opts, budget, c, "")
	}
	var exitErr *exec.ExitError
	if errors.As(waitErr, &exitErr) {
		return result{}, exitError(c, exitErr, stderr.bytes())
	}
	if waitErr != nil && !errors.Is(waitErr, exec.ErrWaitDelay) {
		return result{}, &Error{Kind: KindFailed, Message: fmt.Sprintf("heddle %s: %v", verbOf(c.args), waitErr), Err: waitErr}
	}
	return result{stdout: stdout.buf.Bytes()}, nil
}

// contextError says why ctx ended: the caller's cancellation, or a deadline
// (the timeout, or the caller's if that came first: budget).
func contextError(ctx context.Context, opts Options, budget time.Duration, c command, while string) *Error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return &Error{Kind: KindCanceled, Message: fmt.Sprintf("heddle %s was cancelled", verbOf(c.args)), Err: ctx.Err()}
	}
	budget = budget.Round(time.Millisecond)
	msg := fmt.Sprintf("heddle %s did not answer within %v", verbOf(c.args), budget)
	if while != "" {
		msg = fmt.Sprintf("heddle %s timed out after %v %s (at most %d CLI processes run at once)",
			verbOf(c.args), budget, while, opts.MaxConcurrent)
	}
	return &Error{Kind: KindTimeout, Message: msg, Err: ctx.Err(),
		Hint: "heddle may be busy or hung; raise queryTimeoutMs"}
}

// waitExited blocks until pid has exited, leaving it unreaped.
func waitExited(pid int) {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			return
		}
	}
}

func killGroup(pid int) error {
	err := syscall.Kill(-pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

func sizeOf(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

func verbOf(args []string) string {
	var words []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			break
		}
		words = append(words, a)
	}
	if len(words) == 0 && len(args) > 0 {
		return args[0]
	}
	return strings.Join(words, " ")
}

// cliEnvelope is the part of heddle's stderr error envelope used here.
type cliEnvelope struct {
	Error    string `json:"error"`
	ExitCode *int   `json:"exit_code"`
	Hint     string `json:"hint"`
	Kind     string `json:"kind"`
}

// findEnvelope returns the last stderr line that is a JSON object with an
// error (heddle's logs share stderr with the envelope).
func findEnvelope(stderr []byte) (cliEnvelope, bool) {
	lines := bytes.Split(bytes.TrimSpace(stderr), []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		line := bytes.TrimSpace(lines[i])
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var e cliEnvelope
		if json.Unmarshal(line, &e) == nil && e.Error != "" {
			return e, true
		}
	}
	return cliEnvelope{}, false
}

func exitError(c command, exitErr *exec.ExitError, stderr []byte) *Error {
	verb := verbOf(c.args)
	status, _ := exitErr.Sys().(syscall.WaitStatus)
	if status.Signaled() {
		return &Error{Kind: KindFailed, Message: fmt.Sprintf("heddle %s was killed by %v", verb, status.Signal()), Err: exitErr}
	}
	code := exitErr.ExitCode()
	e := &Error{Kind: KindFailed, ExitCode: code, Err: exitErr, Hint: "run the command in a terminal to see more"}
	what := fmt.Sprintf("failed with exit code %d", code)
	if k, ok := exitKinds[code]; ok {
		e.Kind, e.Hint, what = k.kind, k.hint, fmt.Sprintf("%s (exit %d)", k.what, code)
	}
	detail := lastLine(stderr)
	if env, ok := findEnvelope(stderr); ok {
		detail, e.CLIKind = oneLine(env.Error), oneLine(env.Kind)
		if env.Hint != "" {
			e.Hint = oneLine(env.Hint)
		}
	}
	e.Message = fmt.Sprintf("heddle %s %s", verb, what)
	if detail != "" {
		e.Message += ": " + detail
	}
	return e
}

// maxDetail caps what of heddle's stderr goes into a message.
const maxDetail = 300

func lastLine(b []byte) string {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return oneLine(string(lines[len(lines)-1]))
}

// oneLine makes untrusted text from heddle fit a one-line message.
func oneLine(s string) string {
	return clip.String(strings.Join(strings.Fields(s), " "), maxDetail)
}

var errTooLarge = errors.New("stdout larger than the limit")

// cappedBuffer keeps up to max bytes; past that it calls overflow (which
// kills the process) and fails the copy.
type cappedBuffer struct {
	max      int64
	overflow func()
	mu       sync.Mutex
	buf      bytes.Buffer
	over     bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.over || int64(b.buf.Len()+len(p)) > b.max {
		if !b.over {
			b.over = true
			b.overflow()
		}
		return 0, errTooLarge
	}
	return b.buf.Write(p)
}

func (b *cappedBuffer) overflowed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.over
}

// tailBuffer keeps the last max bytes written.
type tailBuffer struct {
	max int
	mu  sync.Mutex
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.buf)
}
