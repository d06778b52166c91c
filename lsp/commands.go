// commands.go: workspace/executeCommand — the six read-only heddle commands.

package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/heddle-ls/heddle-ls/folder"
	"github.com/heddle-ls/heddle-ls/internal/render"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
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
	case protocol.CmdStatus:
		return s.cmdStatus(ctx, p.Arguments)
	case protocol.CmdRefresh:
		return s.cmdRefresh(ctx, p.Arguments)
	case protocol.CmdExplain:
		return s.cmdExplain(ctx, p.Arguments)
	case protocol.CmdOperations:
		return s.cmdOperations(ctx, p.Arguments)
	case protocol.CmdSignalHealth:
		return s.cmdSignalHealth(ctx, p.Arguments)
	case protocol.CmdHooks:
		return s.cmdHooks(ctx, p.Arguments)
	default:
		return nil, invalidParams(fmt.Sprintf("unknown command %q; known commands: %s", p.Command, strings.Join(protocol.Commands, ", ")))
	}
}

// allOrOne resolves [folder?] for status and refresh: omitted means every folder.
func (s *Server) allOrOne(command string, args []json.RawMessage) ([]*folder.View, error) {
	arg, has, _, err := splitArgs(command, args, false)
	if err != nil {
		return nil, err
	}
	if !has {
		var views []*folder.View
		for _, uri := range s.folderURIs() {
			if v := s.view(uri); v != nil {
				views = append(views, v)
			}
		}
		return views, nil
	}
	v, err := s.resolveFolder(arg)
	if err != nil {
		return nil, err
	}
	return []*folder.View{v}, nil
}

// theFolder resolves the folder of a query command: given, or the only
// open folder.
func (s *Server) theFolder(command string, arg string, has bool) (*folder.View, error) {
	if has {
		return s.resolveFolder(arg)
	}
	uris := s.folderURIs()
	switch len(uris) {
	case 1:
		if v := s.view(uris[0]); v != nil {
			return v, nil
		}
		fallthrough
	case 0:
		return nil, invalidParams(command + ": no workspace folder is open")
	default:
		return nil, invalidParams(fmt.Sprintf("%s: %d folders are open; pass the folder (URI or path) as the first argument",
			command, len(uris)))
	}
}

func (s *Server) cmdStatus(ctx context.Context, args []json.RawMessage) (any, error) {
	views, err := s.allOrOne(protocol.CmdStatus, args)
	if err != nil {
		return nil, err
	}
	out := make([]protocol.StatusParams, 0, len(views))
	for _, v := range views {
		// The last status; during the first probe, its answer (a second
		// probe beside it would only disturb it).
		st, err := v.Current(ctx)
		if err != nil {
			return nil, requestError(err)
		}
		out = append(out, st)
	}
	return out, nil
}

func (s *Server) cmdRefresh(ctx context.Context, args []json.RawMessage) (any, error) {
	views, err := s.allOrOne(protocol.CmdRefresh, args)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	sources := s.sources
	s.mu.Unlock()
	if sources != nil {
		// A heddle installed, upgraded or removed since is seen now.
		sources.RecheckCLI(ctx)
	}
	out := make([]protocol.StatusParams, len(views))
	errs := make([]error, len(views))
	var wg sync.WaitGroup
	for i, v := range views {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = v.Refresh(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, requestError(err)
		}
	}
	return out, nil
}

func (s *Server) cmdExplain(ctx context.Context, args []json.RawMessage) (any, error) {
	arg, has, _, err := splitArgs(protocol.CmdExplain, args, false)
	if err != nil {
		return nil, err
	}
	v, err := s.theFolder(protocol.CmdExplain, arg, has)
	if err != nil {
		return nil, err
	}
	ex, st := v.Explain(ctx)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	steps := folder.WireSteps(ex.Steps)
	return protocol.ExplainResult{
		Folder:   v.URI(),
		Markdown: render.ExplanationMarkdown(v.URI(), st, steps),
		Steps:    steps,
		Status:   st,
	}, nil
}

func (s *Server) cmdOperations(ctx context.Context, args []json.RawMessage) (any, error) {
	arg, has, optsRaw, err := splitArgs(protocol.CmdOperations, args, true)
	if err != nil {
		return nil, err
	}
	var opts operationsOptions
	if err := decodeOptions(protocol.CmdOperations, optsRaw, &opts); err != nil {
		return nil, err
	}
	q := opts.query()
	if err := q.Validate(); err != nil {
		return nil, invalidParams(protocol.CmdOperations + ": " + err.Error())
	}
	v, err := s.theFolder(protocol.CmdOperations, arg, has)
	if err != nil {
		return nil, err
	}
	res, err := v.Operations(ctx, q)
	return res, requestError(err)
}

func (s *Server) cmdSignalHealth(ctx context.Context, args []json.RawMessage) (any, error) {
	arg, has, optsRaw, err := splitArgs(protocol.CmdSignalHealth, args, true)
	if err != nil {
		return nil, err
	}
	var opts signalHealthOptions
	if err := decodeOptions(protocol.CmdSignalHealth, optsRaw, &opts); err != nil {
		return nil, err
	}
	v, err := s.theFolder(protocol.CmdSignalHealth, arg, has)
	if err != nil {
		return nil, err
	}
	res, err := v.SignalHealth(ctx, opts.WindowStates)
	return res, requestError(err)
}

func (s *Server) cmdHooks(ctx context.Context, args []json.RawMessage) (any, error) {
	arg, has, _, err := splitArgs(protocol.CmdHooks, args, false)
	if err != nil {
		return nil, err
	}
	v, err := s.theFolder(protocol.CmdHooks, arg, has)
	if err != nil {
		return nil, err
	}
	res, err := v.Hooks(ctx)
	return res, requestError(err)
}
