package daemonlink

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
	"github.com/heddle-ls/heddle-ls/heddle"
)

// The probe: pidfile → liveness and identity → connect → peer check →
// Health.Check and API detection. Each step is cheap and bounded; each
// failure is a State with a Reason, never a panic.

// Reasons: stable machine codes, part of the LSP contract.
const (
	ReasonNoRepo              = "no-repo"
	ReasonBadPointer          = "objectstore-invalid"
	ReasonHeddleDirMissing    = "heddle-dir-missing"
	ReasonNoPidfile           = "no-pidfile"
	ReasonPidfileInvalid      = "pidfile-invalid"
	ReasonPidfileUnreadable   = "pidfile-unreadable"
	ReasonPidDead             = "pid-dead"
	ReasonPidOtherUser        = "pid-other-user"
	ReasonPidNotHeddle        = "pid-not-heddle"
	ReasonProcessUnreadable   = "process-unreadable"
	ReasonSocketMissing       = "socket-missing"
	ReasonNotListening        = "socket-not-listening"
	ReasonSocketPathTooLong   = "socket-path-too-long"
	ReasonSocketSymlink       = "socket-symlink"
	ReasonNotASocket          = "not-a-socket"
	ReasonConnectRefused      = "connect-refused"
	ReasonConnectTimeout      = "connect-timeout"
	ReasonConnectFailed       = "connect-failed"
	ReasonSocketPermission    = "socket-permission"
	ReasonPeerOtherUser       = "peer-other-user"
	ReasonPeerUnknown         = "peer-unverified"
	ReasonHealthServing       = "health-serving"
	ReasonHealthUnimplemented = "health-unimplemented"
	ReasonHealthNotServing    = "health-not-serving"
	ReasonHealthTimeout       = "health-timeout"
	ReasonHealthFailed        = "health-failed"
)

// Hints: what the user should do next. The start and restart hints are
// spelled for an unknown heddle release (Fix lets a caller that knows the
// version spell them exactly).
const (
	hintStart   = "start the agent daemon in the repository: heddle agent serve (heddle ≤ v0.10.1: heddle agent serve --foreground)"
	hintRestart = "restart the agent daemon: heddle agent stop, then heddle agent serve (heddle ≤ v0.10.1: with --foreground)"
	// hintV1Alpha1 is said wherever a heddle.api.v1alpha1 daemon cannot answer.
	hintV1Alpha1 = "operations and hooks need the heddle CLI (the heddlePath setting) or a heddle.v1 daemon (heddle ≤ v0.10.1)"
)

// V1Alpha1 is how a ready daemon that speaks heddle.api.v1alpha1 (heddle
// v0.10.3) reads: it serves signal health, but neither operations nor hooks.
func V1Alpha1(st Status) Status {
	st.API = APIV1Alpha1
	st.Message = fmt.Sprintf("daemon ready (pid %d); it speaks heddle.api.v1alpha1, which has no operation log or hooks", st.PID)
	st.Hint = hintV1Alpha1
	st.Fix = FixNone
	return st
}

// probeResult is one probe's outcome.
type probeResult struct {
	status Status
	steps  []Step
	conn   *daemonConn // a verified connection (ready or unhealthy); nil otherwise
	// Why the probe failed, for the retry policy.
	refused      bool // socket exists but nobody listens (yet)
	lost         bool // the daemon dropped the connection (it is going away)
	timedOut     bool // a step missed its deadline
	starved      bool // ...while heddle-ls itself waited to be scheduled (see starve.go)
	healthServed bool // the daemon registers grpc.health.v1 (so Watch works)
}

// prober records steps while walking the pipeline.
type prober struct {
	heddleDir string
	opts      Options
	res       probeResult
	stepStart time.Time
	sched     schedSnapshot // scheduling latencies when the probe began
}

// timedOut records a missed deadline d, and whether this process was
// starved meanwhile.
func (p *prober) timedOut(d time.Duration) {
	p.res.timedOut = true
	p.res.starved = starvedSince(p.sched, starvedThreshold(d))
}

func (p *prober) begin() { p.stepStart = time.Now() }

func (p *prober) step(name string, ok bool, format string, args ...any) {
	p.res.steps = append(p.res.steps, Step{Name: name, OK: ok, Duration: time.Since(p.stepStart),
		Detail: fmt.Sprintf(format, args...)})
	p.stepStart = time.Now()
}

func (p *prober) finish(state State, reason, hint, format string, args ...any) probeResult {
	p.res.status.State = state
	p.res.status.Reason = reason
	p.res.status.Hint = hint
	p.res.status.Message = fmt.Sprintf(format, args...)
	switch hint {
	case hintStart:
		p.res.status.Fix = FixStart
	case hintRestart:
		p.res.status.Fix = FixRestart
	}
	return p.res
}

// probe runs the pipeline for heddleDir. reuse, when it is a live
// connection to the daemon the pidfile still names, skips connect and peer
// check (a warm re-probe costs one Health.Check).
func probe(ctx context.Context, heddleDir string, opts Options, reuse *daemonConn) probeResult {
	opts = opts.WithDefaults()
	socketsDir := filepath.Join(heddleDir, "sockets")
	p := &prober{heddleDir: heddleDir, opts: opts, sched: readSched()}
	p.res.status = Status{HeddleDir: heddleDir,
		Socket: filepath.Join(socketsDir, "grpc.sock")}
	socket := p.res.status.Socket
	pidPath := filepath.Join(socketsDir, "grpc.pid")

	// 1. pidfile
	p.begin()
	if fi, err := os.Lstat(socketsDir); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		target, _ := os.Readlink(socketsDir)
		p.step("pidfile", false, "%s is a symlink to %s", socketsDir, target)
		return p.finish(StateDenied, ReasonSocketSymlink,
			"replace the symlink with the directory heddle creates, or remove it and start the daemon",
			"sockets/ is a symlink (to %s); heddle-ls does not follow it", target)
	}
	pf, err := ReadPidfile(pidPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, serr := os.Stat(heddleDir); errors.Is(serr, fs.ErrNotExist) {
			p.step("pidfile", false, "heddle dir %s is gone", heddleDir)
			return p.finish(StateNoRepo, ReasonHeddleDirMissing, "",
				"the heddle directory %s no longer exists", heddleDir)
		}
		p.step("pidfile", false, "no pidfile at %s", pidPath)
		return p.finish(StateStopped, ReasonNoPidfile, hintStart, "no daemon is running")
	case errors.Is(err, ErrPidfileInvalid):
		p.step("pidfile", false, "%v", err)
		cause := err.Error()
		var pe *PidfileError
		if errors.As(err, &pe) {
			cause = pe.Cause
		}
		return p.finish(StateInvalidPidfile, ReasonPidfileInvalid,
			"check "+pidPath+"; if no daemon runs, remove it and start the daemon",
			"the pidfile cannot be trusted: %s", cause)
	case err != nil:
		p.step("pidfile", false, "%v", err)
		return p.finish(StateInvalidPidfile, ReasonPidfileUnreadable,
			"check the permissions of "+pidPath, "the pidfile cannot be read: %v", err)
	}
	p.res.status.PID = pf.PID
	form := "3-line"
	if pf.Legacy {
		form = "legacy bare-pid"
	}
	p.step("pidfile", true, "pid %d (%s form)", pf.PID, form)

	// 2. liveness and identity
	info, err := checkProcess(pf.PID)
	switch {
	case errors.Is(err, errProcessDead):
		p.step("process", false, "pid %d is not running", pf.PID)
		return p.finish(StateStale, ReasonPidDead, hintStart,
			"the daemon (pid %d) is gone and left its files behind", pf.PID)
	case errors.Is(err, errProcessOtherUser):
		p.step("process", false, "pid %d belongs to another user", pf.PID)
		return p.finish(StateStale, ReasonPidOtherUser, hintStart,
			"pid %d is another user's process: the pidfile is stale", pf.PID)
	case errors.Is(err, errProcessNotHeddle):
		p.step("process", false, "pid %d: %v", pf.PID, err)
		return p.finish(StateStale, ReasonPidNotHeddle, hintStart,
			"pid %d is not a heddle daemon (the pid was reused): the pidfile is stale", pf.PID)
	case err != nil:
		p.step("process", false, "%v", err)
		return p.finish(StateStale, ReasonProcessUnreadable, hintStart,
			"cannot check pid %d: %v", pf.PID, err)
	}
	p.step("process", true, "pid %d is alive, ours, and heddle (%s)", pf.PID, processName(info))

	// 3. connect
	if len(socket) > maxSocketPath {
		p.step("connect", false, "socket path is %d bytes; the kernel limit is %d", len(socket), maxSocketPath)
		return p.finish(StateUnreachable, ReasonSocketPathTooLong,
			"move the repository to a shorter path (the socket path must stay under 108 bytes)",
			"the socket path is too long to connect to (%d bytes)", len(socket))
	}
	fi, err := os.Lstat(socket)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		p.step("connect", false, "no socket at %s", socket)
		return p.finish(StateStarting, ReasonSocketMissing,
			"wait for the daemon to bind its socket; if this persists it may listen elsewhere (serve --socket), which clients cannot reach",
			"the daemon (pid %d) has not created its socket yet", pf.PID)
	case err != nil:
		p.step("connect", false, "%v", err)
		return p.finish(StateUnreachable, ReasonConnectFailed, hintRestart, "cannot stat the socket: %v", err)
	case fi.Mode()&fs.ModeSymlink != 0:
		target, _ := os.Readlink(socket)
		p.step("connect", false, "%s is a symlink to %s", socket, target)
		return p.finish(StateDenied, ReasonSocketSymlink, hintRestart,
			"grpc.sock is a symlink (to %s); heddle-ls does not follow it", target)
	case fi.Mode()&fs.ModeSocket == 0:
		p.step("connect", false, "%s is not a socket (%s)", socket, fi.Mode().Type())
		return p.finish(StateUnreachable, ReasonNotASocket, hintRestart, "grpc.sock is not a socket")
	}
	// The socket file checks above run even for an open connection: a
	// grpc.sock replaced by a symlink must not keep being served.
	if reuse != nil && reuse.pid == pf.PID && reuse.ready() {
		p.step("connect", true, "reusing the open connection")
		p.step("peer", true, "verified earlier: uid %d, pid %d", os.Geteuid(), reuse.pid)
		return p.health(ctx, reuse, false)
	}
	dctx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	uc, err := dialSocket(dctx, socket, opts.ConnectTimeout)
	cancel()
	switch {
	case err == nil:
	case isRefused(err):
		p.step("connect", false, "connection refused")
		p.res.refused = true
		return p.finish(StateUnreachable, ReasonConnectRefused, hintRestart,
			"the daemon (pid %d) does not accept connections", pf.PID)
	case isTimeout(err):
		p.timedOut(opts.ConnectTimeout)
		p.step("connect", false, "no answer within %v%s", opts.ConnectTimeout, starvedNote(p.res.starved))
		return p.finish(StateUnreachable, ReasonConnectTimeout, hintRestart,
			"the daemon (pid %d) did not accept a connection within %v", pf.PID, opts.ConnectTimeout)
	case errors.Is(err, fs.ErrPermission):
		p.step("connect", false, "permission denied")
		return p.finish(StateDenied, ReasonSocketPermission,
			"the socket is not yours: check who owns "+socket,
			"no permission to connect to the socket")
	case errors.Is(err, fs.ErrNotExist):
		p.step("connect", false, "the socket vanished")
		return p.finish(StateStarting, ReasonSocketMissing, "", "the daemon (pid %d) has no socket", pf.PID)
	default:
		p.step("connect", false, "%v", err)
		return p.finish(StateUnreachable, ReasonConnectFailed, hintRestart, "cannot connect: %v", err)
	}
	p.step("connect", true, "connected to %s", socket)

	// 4. peer credentials: nothing is sent before this passes.
	cred, err := peerCred(uc)
	if err != nil {
		uc.Close()
		p.step("peer", false, "%v", err)
		return p.finish(StateDenied, ReasonPeerUnknown, hintRestart, "cannot verify the socket's owner: %v", err)
	}
	if int(cred.Uid) != os.Geteuid() {
		uc.Close()
		p.step("peer", false, "peer uid %d, ours %d", cred.Uid, os.Geteuid())
		return p.finish(StateDenied, ReasonPeerOtherUser,
			"another user's process listens on this socket; do not use it, and check who can write to "+socketsDir,
			"the socket belongs to uid %d, not to you (uid %d)", cred.Uid, os.Geteuid())
	}
	peerPID := int(cred.Pid)
	if peerPID != pf.PID {
		// The kernel's answer wins: it is the process we will talk to.
		p.step("peer", true, "uid %d ok; peer pid %d differs from the pidfile's %d", cred.Uid, peerPID, pf.PID)
		p.res.status.PID = peerPID
	} else {
		p.step("peer", true, "uid %d, pid %d", cred.Uid, peerPID)
	}

	// 5. channel + Health.Check
	dc, err := newDaemonConn(uc, socket, peerPID, opts.ConnectTimeout)
	if err != nil {
		p.step("health", false, "%v", err)
		return p.finish(StateUnhealthy, ReasonHealthFailed, hintRestart, "%v", err)
	}
	return p.health(ctx, dc, true)
}

// health runs Health.Check and API detection concurrently over dc (both
// ride one HTTP/2 connection; running them side by side saves a round trip)
// and finishes the probe. owned says whether dc is closed on failure.
func (p *prober) health(ctx context.Context, dc *daemonConn, owned bool) probeResult {
	hctx, cancel := context.WithTimeout(ctx, p.opts.HealthTimeout)
	defer cancel()
	apiCh := make(chan string, 1)
	go func() { apiCh <- detectAPI(hctx, dc) }()
	resp, err := healthpb.NewHealthClient(dc.cc).Check(hctx, &healthpb.HealthCheckRequest{Service: ""})
	api := <-apiCh
	pid := p.res.status.PID
	fail := func(state State, reason, hint, format string, args ...any) probeResult {
		if owned {
			dc.Close()
		}
		return p.finish(state, reason, hint, format, args...)
	}
	code := status.Code(err)
	switch {
	case err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING:
		p.res.healthServed = true
		p.step("health", true, "SERVING")
	case code == codes.Unimplemented:
		p.step("health", true, "no Health service (UNIMPLEMENTED), as with real heddle daemons")
	case err == nil:
		// NOT_SERVING (or SERVICE_UNKNOWN): keep the verified connection
		// so Health.Watch can push the flip back to SERVING.
		p.res.healthServed = true
		p.step("health", false, "%s", resp.GetStatus())
		p.res.conn = dc
		p.res.status.API = api
		return p.finish(StateUnhealthy, ReasonHealthNotServing,
			"the daemon reports it is not serving; check its log or restart it",
			"the daemon (pid %d) reports %s", pid, resp.GetStatus())
	case code == codes.DeadlineExceeded || isTimeout(err):
		p.timedOut(p.opts.HealthTimeout)
		p.step("health", false, "no answer within %v%s", p.opts.HealthTimeout, starvedNote(p.res.starved))
		return fail(StateUnhealthy, ReasonHealthTimeout, hintRestart,
			"the daemon (pid %d) did not answer a health check within %v", pid, p.opts.HealthTimeout)
	default:
		p.step("health", false, "%v", err)
		p.res.lost = code == codes.Unavailable
		return fail(StateUnhealthy, ReasonHealthFailed, hintRestart,
			"the daemon (pid %d) failed its health check: %s", pid, status.Convert(err).Message())
	}
	p.res.conn = dc
	p.res.status.API = api
	switch api {
	case APIHeddleV1:
		p.step("api", true, "answers heddle.v1")
	case APIV1Alpha1:
		p.step("api", false, "heddle.v1 is UNIMPLEMENTED: a heddle.api.v1alpha1 daemon")
	default:
		p.step("api", false, "not detected in time; will retry on the first query")
	}
	reason := ReasonHealthUnimplemented
	if p.res.healthServed {
		reason = ReasonHealthServing
	}
	res := p.finish(StateReady, reason, "", "daemon ready (pid %d)", pid)
	if api == APIV1Alpha1 {
		res.status = V1Alpha1(res.status)
	}
	return res
}

// detectAPI asks a cheap heddle.v1 question. UNIMPLEMENTED means the daemon
// does not serve heddle.v1: later heddle releases only speak
// heddle.api.v1alpha1, which is wire-incompatible.
func detectAPI(ctx context.Context, dc *daemonConn) string {
	_, err := heddlev1.NewOperationLogQueryServiceClient(dc.cc).QueryOperations(ctx,
		&heddlev1.QueryOperationsRequest{Limit: 1})
	switch status.Code(err) {
	case codes.OK:
		return APIHeddleV1
	case codes.Unimplemented:
		return APIV1Alpha1
	case codes.DeadlineExceeded, codes.Canceled, codes.Unavailable:
		return APIUnknown
	default:
		// Any answer from the service (even an error) proves it exists.
		return APIHeddleV1
	}
}

func starvedNote(starved bool) string {
	if starved {
		return " (heddle-ls itself was kept waiting to run meanwhile: the machine is busy)"
	}
	return ""
}

func processName(info processInfo) string {
	if info.Exe != "" {
		return info.Exe
	}
	return info.Comm
}

// Probe runs a fresh, fully instrumented probe of heddleDir, for one-shot
// callers (the status verb). It keeps no connection. A timeout is
// confirmed by a second probe, as the tracker does: a busy machine is not a
// broken daemon.
func Probe(ctx context.Context, heddleDir string, opts Options) Explanation {
	res := probe(ctx, heddleDir, opts, nil)
	if res.timedOut && ctx.Err() == nil {
		first := res
		res = probe(ctx, heddleDir, opts.confirming(), nil)
		if res.timedOut {
			res.steps = append([]Step{{Name: "retry", OK: false,
				Detail: "the first probe timed out too (" + first.status.Reason + "); the timeout is confirmed"}}, res.steps...)
		} else {
			res.steps = append([]Step{{Name: "retry", OK: true,
				Detail: "the first probe timed out (" + first.status.Reason + "); this second probe answered"}}, res.steps...)
		}
	}
	res.conn.Close()
	res.status.Since = time.Now().UTC()
	return Explanation{Status: res.status, Steps: res.steps}
}

// ExplainRepo discovers the repository above path and probes its daemon
// with every step shown (discovery included): what heddle.explain and the
// explain verb print. It changes no tracked state. known is the folder's
// repository as found before (nil when none was): its heddle dir is probed
// even when discovery no longer finds it, so a deleted heddle dir is
// reported as such.
func ExplainRepo(ctx context.Context, path string, known *heddle.Repo, opts Options) Explanation {
	start := time.Now()
	repo, err := heddle.Discover(path)
	took := time.Since(start)
	discover := Step{Name: "discover", OK: err == nil, Duration: took}
	switch {
	case err == nil && (known == nil || *known == repo):
		discover.Detail = fmt.Sprintf("repository %s, heddle dir %s", repo.Root, repo.HeddleDir)
	case known != nil:
		discover.Detail = fmt.Sprintf("the folder's repository was %s; discovery now finds %s", known.Root, describeDiscovery(repo, err))
		repo = *known
	default:
		st := NoRepoStatus(err)
		discover.Detail = st.Message
		return Explanation{Status: st, Steps: []Step{discover}}
	}
	ex := Probe(ctx, repo.HeddleDir, opts)
	ex.Steps = append([]Step{discover}, ex.Steps...)
	return ex
}

func describeDiscovery(repo heddle.Repo, err error) string {
	if err != nil {
		return "none (" + err.Error() + ")"
	}
	return repo.Root
}

// NoRepoStatus is the status of a folder with no heddle repository above
// it; err is Discover's error.
func NoRepoStatus(err error) Status {
	st := Status{State: StateNoRepo, Reason: ReasonNoRepo,
		Message: "no heddle repository here", Since: time.Now().UTC()}
	if errors.Is(err, heddle.ErrBadPointer) {
		st.Reason = ReasonBadPointer
		st.Message = "the worktree's objectstore pointer is invalid: " + err.Error()
		st.Hint = "repair .heddle/objectstore so it names the main repository's heddle directory"
	} else if err != nil && !errors.Is(err, heddle.ErrNoRepo) {
		st.Message = "cannot look for a heddle repository: " + err.Error()
	}
	return st
}
