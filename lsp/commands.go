// commands.go: workspace/executeCommand — the six read-only heddle commands.

package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/internal/render"
)

// Command names, as listed in executeCommandProvider.commands.
const (
	CmdStatus       = "heddle.status"
	CmdRefresh      = "heddle.refresh"
	CmdExplain      = "heddle.explain"
	CmdOperations   = "heddle.operations"
	CmdSignalHealth = "heddle.signalHealth"
	CmdHooks        = "heddle.hooks"
)

type executeCommandParams struct {
	Command   string            `json:"command"`
	Arguments []json.RawMessage `json:"arguments"`
}

func (s *Server) executeCommand(ctx context.Context, raw json.RawMessage) (any, error) {
	var p executeCommandParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	switch p.Command {
	case CmdStatus:
		return s.cmdStatus(ctx, p.Arguments)
	case CmdRefresh:
		return s.cmdRefresh(ctx, p.Arguments)
	case CmdExplain:
		return s.cmdExplain(ctx, p.Arguments)
	case CmdOperations:
		return s.cmdOperations(ctx, p.Arguments)
	case CmdSignalHealth:
		return s.cmdSignalHealth(ctx, p.Arguments)
	case CmdHooks:
		return s.cmdHooks(ctx, p.Arguments)
	default:
		return nil, invalidParams(fmt.Sprintf("unknown command %q; known commands: %s", p.Command, strings.Join(Commands, ", ")))
	}
}

// allOrOne resolves [folder?] for status and refresh: omitted means every folder.
func (s *Server) allOrOne(command string, args []json.RawMessage) ([]string, error) {
	arg, has, _, err := splitArgs(command, args, false)
	if err != nil {
		return nil, err
	}
	if !has {
		return s.folderURIs(), nil
	}
	uri, err := s.resolveFolder(arg)
	if err != nil {
		return nil, err
	}
	return []string{uri}, nil
}

// theFolder resolves the folder of a query command: given, or the only
// open folder.
func (s *Server) theFolder(command string, arg string, has bool) (string, error) {
	if has {
		return s.resolveFolder(arg)
	}
	uris := s.folderURIs()
	switch len(uris) {
	case 1:
		return uris[0], nil
	case 0:
		return "", invalidParams(command + ": no workspace folder is open")
	default:
		return "", invalidParams(fmt.Sprintf("%s: %d folders are open; pass the folder (URI or path) as the first argument",
			command, len(uris)))
	}
}

func (s *Server) cmdStatus(ctx context.Context, args []json.RawMessage) (any, error) {
	uris, err := s.allOrOne(CmdStatus, args)
	if err != nil {
		return nil, err
	}
	out := make([]StatusParams, 0, len(uris))
	for _, uri := range uris {
		st, ok := s.currentStatus(uri)
		if !ok {
			// First probe still running: probe now rather than guess.
			if st, err = s.refreshFolder(ctx, uri); err != nil {
				return nil, err
			}
		}
		out = append(out, WireStatus(uri, st))
	}
	return out, nil
}

func (s *Server) cmdRefresh(ctx context.Context, args []json.RawMessage) (any, error) {
	uris, err := s.allOrOne(CmdRefresh, args)
	if err != nil {
		return nil, err
	}
	out := make([]StatusParams, len(uris))
	errs := make([]error, len(uris))
	var wg sync.WaitGroup
	for i, uri := range uris {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := s.refreshFolder(ctx, uri)
			out[i], errs[i] = WireStatus(uri, st), err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// refreshFolder re-probes a folder from scratch; a folder without a repo
// looks again for one first.
func (s *Server) refreshFolder(ctx context.Context, uri string) (daemonlink.Status, error) {
	s.rediscover(uri)
	s.mu.Lock()
	f := s.folders[uri]
	tracker, timeout := s.tracker, s.settings.Options()
	var noRepo *daemonlink.Status
	var repo heddle.Repo
	if f != nil {
		noRepo, repo = f.noRepo, f.repo
	}
	s.mu.Unlock()
	if f == nil {
		return daemonlink.Status{}, unknownFolder(uri, s.folderURIs())
	}
	if noRepo != nil {
		return *noRepo, nil
	}
	// A probe is bounded by its connect and health timeouts; the margin
	// covers the start-up retries daemonlink may make.
	ctx, cancel := context.WithTimeout(ctx, timeout.ConnectTimeout+timeout.HealthTimeout+time.Second)
	defer cancel()
	st, err := tracker.Refresh(ctx, repo.HeddleDir)
	if err != nil {
		if cur, ok := s.currentStatus(uri); ok {
			return cur, nil
		}
		return daemonlink.Status{}, queryError(uri, "refresh", daemonlink.Status{}, err)
	}
	st.Root = repo.Root
	return st, nil
}

func (s *Server) cmdExplain(ctx context.Context, args []json.RawMessage) (any, error) {
	arg, has, _, err := splitArgs(CmdExplain, args, false)
	if err != nil {
		return nil, err
	}
	uri, err := s.theFolder(CmdExplain, arg, has)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	f := s.folders[uri]
	tracker := s.tracker
	path, noRepo, repo := f.path, f.noRepo, f.repo
	s.mu.Unlock()

	var ex daemonlink.Explanation
	if noRepo != nil {
		ex = explainNoRepo(path, *noRepo)
	} else {
		ex = tracker.Explain(ctx, repo.HeddleDir)
		ex.Status.Root = repo.Root
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return ExplainResult{
		Folder:   uri,
		Markdown: render.ExplanationMarkdown(uri, ex),
		Steps:    WireSteps(ex.Steps),
		Status:   WireStatus(uri, ex.Status),
	}, nil
}

// explainNoRepo is the explanation of a folder without a repository: the
// walk up found nothing (timed again here, so the step has a real cost).
func explainNoRepo(path string, st daemonlink.Status) daemonlink.Explanation {
	start := time.Now()
	if path != "" {
		_, _ = heddle.Discover(path)
	}
	return daemonlink.Explanation{Status: st, Steps: []daemonlink.Step{{
		Name: "discover", OK: false, Duration: time.Since(start), Detail: st.Message,
	}}}
}

// readyFolder resolves a query command's folder and checks its daemon can
// be asked: it returns the folder's heddle dir and current status.
func (s *Server) readyFolder(command, arg string, has bool) (uri, dir string, tracker *daemonlink.Tracker, st daemonlink.Status, err error) {
	uri, err = s.theFolder(command, arg, has)
	if err != nil {
		return "", "", nil, st, err
	}
	s.mu.Lock()
	f := s.folders[uri]
	tracker = s.tracker
	noRepo, repo := f.noRepo, f.repo
	s.mu.Unlock()
	if noRepo != nil {
		return "", "", nil, *noRepo, notReadyError(uri, *noRepo, string(daemonlink.StateNoRepo))
	}
	// The tracker's view is the freshest (the client's may lag by a queued event).
	st, ok := tracker.Status(repo.HeddleDir)
	if !ok || st.State == "" {
		st, _ = s.currentStatus(uri)
	}
	if st.State != "" && st.State != daemonlink.StateReady {
		return "", "", nil, st, notReadyError(uri, st, string(daemonlink.ErrNotReady))
	}
	return uri, repo.HeddleDir, tracker, st, nil
}

func (s *Server) cmdOperations(ctx context.Context, args []json.RawMessage) (any, error) {
	arg, has, optsRaw, err := splitArgs(CmdOperations, args, true)
	if err != nil {
		return nil, err
	}
	var opts operationsOptions
	if err := decodeOptions(CmdOperations, optsRaw, operationsKeys, &opts); err != nil {
		return nil, err
	}
	q, err := opts.query()
	if err != nil {
		return nil, invalidParams(CmdOperations + ": " + err.Error())
	}
	uri, dir, tracker, st, err := s.readyFolder(CmdOperations, arg, has)
	if err != nil {
		return nil, err
	}
	ops, err := tracker.Operations(ctx, dir, q)
	if err != nil {
		return nil, queryError(uri, "operation log query", st, err)
	}
	return OperationsResult{Folder: uri, Hits: WireOperations(ops)}, nil
}

func (s *Server) cmdSignalHealth(ctx context.Context, args []json.RawMessage) (any, error) {
	arg, has, optsRaw, err := splitArgs(CmdSignalHealth, args, true)
	if err != nil {
		return nil, err
	}
	var opts signalHealthOptions
	if err := decodeOptions(CmdSignalHealth, optsRaw, signalHealthKeys, &opts); err != nil {
		return nil, err
	}
	uri, dir, tracker, st, err := s.readyFolder(CmdSignalHealth, arg, has)
	if err != nil {
		return nil, err
	}
	h, err := tracker.SignalHealth(ctx, dir, opts.WindowStates)
	if err != nil {
		return nil, queryError(uri, "signal health query", st, err)
	}
	return WireSignalHealth(uri, h), nil
}

func (s *Server) cmdHooks(ctx context.Context, args []json.RawMessage) (any, error) {
	arg, has, _, err := splitArgs(CmdHooks, args, false)
	if err != nil {
		return nil, err
	}
	uri, dir, tracker, st, err := s.readyFolder(CmdHooks, arg, has)
	if err != nil {
		return nil, err
	}
	hooks, err := tracker.Hooks(ctx, dir)
	if err != nil {
		return nil, queryError(uri, "hook listing", st, err)
	}
	return HooksResult{Folder: uri, Hooks: WireHooks(hooks)}, nil
}
