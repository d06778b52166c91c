// folders.go: workspace folders — opening and closing their views,
// didChangeWorkspaceFolders, and resolving a command's folder argument.

package lsp

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"go.lsp.dev/jsonrpc2"

	"github.com/heddle-ls/heddle-ls/folder"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// addFolder opens a folder's view (discovering its repository). When start
// is true (the session is running) the view starts publishing at once.
func (s *Server) addFolder(wf workspaceFolder, start bool) {
	if wf.URI == "" {
		return
	}
	s.mu.Lock()
	_, dup := s.folders[wf.URI]
	sources := s.sources
	s.mu.Unlock()
	if dup {
		s.log.Debug("folder already open", "folder", wf.URI)
		return
	}
	v := folder.New(sources, wf.URI, wf.Name)
	s.mu.Lock()
	if _, dup := s.folders[wf.URI]; dup {
		s.mu.Unlock()
		return
	}
	s.folders[wf.URI] = v
	s.order = append(s.order, wf.URI)
	s.mu.Unlock()
	if start {
		s.startFolder(v)
	}
}

// startFolder makes a view publish into the one queue.
func (s *Server) startFolder(v *folder.View) {
	uri := v.URI()
	v.Start(folder.Handlers{
		Status: func(prev *protocol.StatusParams, st protocol.StatusParams) {
			s.events.Put(event{kind: evStatus, folder: uri, prev: prev, status: st})
		},
		Operations: func(p protocol.OperationsChangedParams) {
			s.events.Put(event{kind: evOperations, folder: uri, ops: p})
		},
	})
}

// removeFolder stops reporting on a folder and closes its view.
func (s *Server) removeFolder(uri string) {
	s.mu.Lock()
	v := s.folders[uri]
	if v == nil {
		s.mu.Unlock()
		return
	}
	delete(s.folders, uri)
	for i, u := range s.order {
		if u == uri {
			s.order = append(s.order[:i:i], s.order[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	// After Close no status of the folder is queued, so the removal comes last.
	v.Close()
	s.events.Put(event{kind: evFolderRemoved, folder: uri})
	s.log.Info("folder removed", "folder", uri)
}

func (s *Server) didChangeWorkspaceFolders(raw json.RawMessage) {
	var p struct {
		Event struct {
			Added   []workspaceFolder `json:"added"`
			Removed []workspaceFolder `json:"removed"`
		} `json:"event"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		s.log.Warn("bad didChangeWorkspaceFolders", "err", err)
		return
	}
	s.mu.Lock()
	running := s.phase == phaseRunning
	s.mu.Unlock()
	for _, wf := range p.Event.Removed {
		s.removeFolder(wf.URI)
	}
	for _, wf := range p.Event.Added {
		s.addFolder(wf, running)
	}
}

// folderURIs lists the open folders in the order they were added.
func (s *Server) folderURIs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.order...)
}

// view is the open folder with this URI, or nil.
func (s *Server) view(uri string) *folder.View {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.folders[uri]
}

// resolveFolder maps a command's folder argument — a folder URI, or an
// absolute path at or inside a folder (the innermost folder wins) — to
// the folder's view.
func (s *Server) resolveFolder(arg string) (*folder.View, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.folders[arg]; ok {
		return v, nil
	}
	path := arg
	if strings.Contains(arg, "://") {
		p, err := protocol.URIToPath(arg)
		if err != nil {
			return nil, invalidParams(fmt.Sprintf("folder %q: %v", arg, err))
		}
		path = p
	} else if !filepath.IsAbs(arg) {
		return nil, invalidParams(fmt.Sprintf("folder %q: want a folder URI or an absolute path", arg))
	}
	path = filepath.Clean(path)
	real := path
	if rp, err := filepath.EvalSymlinks(path); err == nil {
		real = rp
	}
	var best *folder.View
	bestLen := -1
	for _, uri := range s.order {
		v := s.folders[uri]
		for _, candidate := range []struct{ base, p string }{{v.Path(), path}, {v.RealPath(), real}} {
			if candidate.base != "" && within(candidate.p, candidate.base) && len(candidate.base) > bestLen {
				best, bestLen = v, len(candidate.base)
			}
		}
	}
	if best == nil {
		return nil, unknownFolder(arg, s.order)
	}
	return best, nil
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, "/")+"/")
}

func unknownFolder(arg string, open []string) error {
	msg := fmt.Sprintf("unknown folder %q: it is not (inside) an open workspace folder", arg)
	if len(open) > 0 {
		msg += "; open folders: " + strings.Join(open, ", ")
	}
	return &jsonrpc2.Error{Code: jsonrpc2.InvalidParams, Message: msg, Data: errorData(map[string]any{"folder": arg})}
}
