package folder

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/heddlecli"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
	"github.com/heddle-ls/heddle-ls/mountd"
)

// Refresh looks at the folder from scratch: a folder without a repository
// looks for one again (after heddle init); a started folder re-probes its
// daemon through the tracker (subscribers see the result); one not yet
// started is probed once. It returns the fresh status.
func (v *View) Refresh(ctx context.Context) (protocol.StatusParams, error) {
	v.Rediscover()
	v.mu.Lock()
	noRepo, repo, started := v.noRepo, v.repo, v.started
	v.mu.Unlock()
	if noRepo != nil {
		return v.wire(*noRepo), nil
	}
	if !started {
		st := daemonlink.Probe(ctx, repo.HeddleDir, v.options()).Status
		cli := v.lookCLI(ctx, repo)
		v.mu.Lock()
		defer v.mu.Unlock()
		return v.compose(st, mountd.Read(repo), cli), nil
	}
	if err := v.subscribed(ctx); err != nil {
		return protocol.StatusParams{}, v.refreshFailed(err)
	}
	d, err := v.src.Daemons.Refresh(ctx, repo.HeddleDir)
	if err != nil {
		if st, ok := v.Status(); ok {
			return st, nil
		}
		return protocol.StatusParams{}, v.refreshFailed(err)
	}
	// Compose the answer from the fresh probe: a source that has not spoken
	// yet (a repository found just now) is asked here, so the answer does
	// not wait for — or miss — the status the folder is about to publish.
	v.mu.Lock()
	mount, hasMount, cli, hasCLI := v.mount, v.hasMount, v.cli, v.hasCLI
	v.mu.Unlock()
	if !hasMount {
		mount = mountd.Read(repo)
	}
	if !hasCLI {
		cli = v.lookCLI(ctx, repo)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.compose(d, mount, cli), nil
}

// refreshFailed is the error of a refresh that got no status: cancelled by
// the client, out of time (the refresh bounds itself), or not tracked.
func (v *View) refreshFailed(err error) error {
	e := &Error{Kind: string(daemonlink.KindNotTracked), Message: "refresh of " + v.uri + ": " + err.Error(),
		Status: protocol.StatusParams{Folder: v.uri}, Err: err}
	switch {
	case errors.Is(err, context.Canceled):
		e.Kind, e.Message = string(daemonlink.KindCanceled), "refresh of "+v.uri+" was cancelled"
	case errors.Is(err, context.DeadlineExceeded):
		e.Kind, e.Message = string(daemonlink.KindDeadline), "refresh of "+v.uri+" did not finish in time; run heddle.explain"
	}
	return e
}

// Current is the folder's status now: the last one published, else (the
// first probe still running) the first one, else (not started) a fresh look.
func (v *View) Current(ctx context.Context) (protocol.StatusParams, error) {
	if st, ok := v.Status(); ok {
		return st, nil
	}
	v.mu.Lock()
	started := v.started
	v.mu.Unlock()
	if !started {
		return v.Refresh(ctx)
	}
	o := v.options()
	wait, cancel := context.WithTimeout(ctx, 3*(o.ConnectTimeout+o.HealthTimeout)+firstMargin)
	defer cancel()
	st, err := v.First(wait)
	if err != nil {
		return v.Refresh(ctx)
	}
	return st, nil
}

// firstMargin bounds the wait for a started folder's first status beyond
// its probe and its confirmation at twice the deadlines.
const firstMargin = 2 * time.Second

// Explain is a fresh, fully instrumented look at the folder (discovery
// and every probe step, with timings) that changes no tracked state.
func (v *View) Explain(ctx context.Context) (daemonlink.Explanation, protocol.StatusParams) {
	if v.path == "" {
		v.mu.Lock()
		st := *v.noRepo
		v.mu.Unlock()
		return daemonlink.Explanation{Status: st, Steps: []daemonlink.Step{{Name: "discover", Detail: st.Message}}}, v.wire(st)
	}
	v.mu.Lock()
	var known *heddle.Repo
	if v.noRepo == nil {
		repo := v.repo
		known = &repo
	}
	v.mu.Unlock()
	ex := daemonlink.ExplainRepo(ctx, v.path, known, v.options())
	if known == nil || ex.Status.State == daemonlink.StateNoRepo {
		return ex, v.wire(ex.Status)
	}
	start := time.Now()
	cli := v.lookCLI(ctx, *known)
	took := time.Since(start)
	v.mu.Lock()
	st := v.compose(ex.Status, mountd.Read(*known), cli)
	v.mu.Unlock()
	ex.Steps = append(ex.Steps, cliStep(cli, took, st.Queries == protocol.SourceDaemon), routeStep(st, ex.Status, cli))
	return ex, st
}

// WireSteps maps an explanation's steps; never nil.
func WireSteps(steps []daemonlink.Step) []protocol.ExplainStep {
	out := make([]protocol.ExplainStep, 0, len(steps))
	for _, s := range steps {
		out = append(out, protocol.ExplainStep{Step: s.Name, OK: s.OK, Micros: s.Duration.Microseconds(), Detail: s.Detail})
	}
	return out
}

// options are the sources' timeouts (the defaults without sources).
func (v *View) options() daemonlink.Options {
	if v.src == nil {
		return daemonlink.Options{}.WithDefaults()
	}
	return v.src.Daemons.Options()
}

// Probe looks once at each of views (started or not), probing each heddle
// dir once however many views share it, concurrently, and asking cli (nil:
// none) for the heddle CLI: the status verb.
func Probe(ctx context.Context, views []*View, opts daemonlink.Options, cli *heddlecli.Runner) []protocol.StatusParams {
	byDir := map[string]*daemonlink.Status{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, v := range views {
		repo, ok := v.Repo()
		if !ok {
			continue
		}
		if _, seen := byDir[repo.HeddleDir]; seen {
			continue
		}
		byDir[repo.HeddleDir] = nil
		wg.Add(1)
		go func(dir string) {
			defer wg.Done()
			st := daemonlink.Probe(ctx, dir, opts).Status
			mu.Lock()
			byDir[dir] = &st
			mu.Unlock()
		}(repo.HeddleDir)
	}
	wg.Wait()
	out := make([]protocol.StatusParams, len(views))
	for i, v := range views {
		repo, ok := v.Repo()
		if !ok {
			v.mu.Lock()
			out[i] = v.wire(*v.noRepo)
			v.mu.Unlock()
			continue
		}
		c := lookCLI(ctx, cli, v.path, repo)
		v.mu.Lock()
		out[i] = v.compose(*byDir[repo.HeddleDir], mountd.Read(repo), c)
		v.mu.Unlock()
	}
	return out
}

// cliStep explains the heddle CLI found (or why none is), and whether it
// may run for the folder; a missing CLI is no failure while the daemon
// answers (spare).
func cliStep(c cliState, took time.Duration, spare bool) daemonlink.Step {
	step := daemonlink.Step{Name: "cli", OK: c.answers() || spare, Duration: took}
	switch {
	case !c.found:
		step.Detail = "no heddle CLI: " + cliProblem(c.err)
		if cliProblem(c.err) == "" {
			step.Detail = "no heddle CLI on PATH, and heddlePath is not set"
		}
	case c.unsafe != nil:
		step.Detail = fmt.Sprintf("heddle %s at %s, but it may not run here: %s", c.info.Version, c.info.Path, unsafeHint(c.unsafe))
	default:
		step.Detail = fmt.Sprintf("heddle %s at %s (%s)", c.info.Version, c.info.Path, agentOf(c.info))
	}
	return step
}

func agentOf(i heddlecli.Info) string {
	if !i.HasAgentDaemon() {
		return "no agent daemon in this release"
	}
	return "its agent daemon speaks " + i.AgentAPI()
}

// routeStep says where each query would go now, and why.
func routeStep(st protocol.StatusParams, d daemonlink.Status, c cliState) daemonlink.Step {
	signals := st.Queries
	if d.State == daemonlink.StateReady {
		signals = protocol.SourceDaemon // heddle.v1 or heddle.api.v1alpha1 alike
	}
	detail := fmt.Sprintf("operations and hooks → %s, signal health → %s", st.Queries, signals)
	switch {
	case st.Queries == protocol.SourceDaemon:
		detail += " (the agent daemon is ready and speaks heddle.v1)"
	case st.Queries == protocol.SourceCLI && d.State == daemonlink.StateReady:
		detail += " (the daemon speaks heddle.api.v1alpha1, which has no operation log or hooks)"
	case st.Queries == protocol.SourceCLI:
		detail += " (no agent daemon is ready)"
	default:
		detail += " (no agent daemon is ready and the heddle CLI cannot answer)"
	}
	return daemonlink.Step{Name: "queries", OK: st.Queries != protocol.SourceNone, Detail: detail}
}
