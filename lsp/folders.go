// folders.go: workspace folders — discovery, tracking, didChangeWorkspaceFolders,
// and resolving a command's folder argument.

package lsp

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"go.lsp.dev/jsonrpc2"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/heddle"
)

// folder is one workspace folder. Fields other than last/sentAny are set
// when it is added and then only read; last is written by the status loop
// under Server.mu.
type folder struct {
	uri      string
	name     string
	path     string // absolute, cleaned; "" when the URI is not a file URI
	realPath string // path with symlinks resolved, for matching arguments
	repo     heddle.Repo
	noRepo   *daemonlink.Status // set when the folder has no heddle repo
	tracked  bool               // Track was called (Untrack is owed on removal)
	// trackerSent: a tracker status has been published since Track, so
	// Track's own (possibly older) answer must not follow it.
	trackerSent bool
	added       time.Time
	afterSeq    uint64 // tracker events queued before Track are older than its answer

	last *daemonlink.Status // last status sent to the client; nil before the first
}

// addFolder records a folder and discovers its repository. When start is
// true (the session is running) it also starts tracking it.
func (s *Server) addFolder(wf workspaceFolder, start bool) {
	if wf.URI == "" {
		return
	}
	s.mu.Lock()
	_, dup := s.folders[wf.URI]
	s.mu.Unlock()
	if dup {
		s.log.Debug("folder already open", "folder", wf.URI)
		return
	}
	f := &folder{uri: wf.URI, name: wf.Name, added: time.Now()}
	path, err := uriToPath(wf.URI)
	if err != nil {
		st := daemonlink.NoRepoStatus("", nil)
		st.Reason, st.Message = "not-a-file-uri", fmt.Sprintf("not a local folder: %v", err)
		f.noRepo = &st
	} else {
		f.path = path
		f.realPath = path
		if rp, err := filepath.EvalSymlinks(path); err == nil {
			f.realPath = rp
		}
		s.discover(f)
	}
	if f.name == "" {
		f.name = filepath.Base(f.path)
	}
	s.mu.Lock()
	if _, dup := s.folders[wf.URI]; !dup {
		s.folders[wf.URI] = f
		s.order = append(s.order, wf.URI)
	}
	s.mu.Unlock()
	if start {
		s.startFolder(wf.URI)
	}
}

// discover finds f's repository; a folder without one gets its no-repo
// status at once.
func (s *Server) discover(f *folder) {
	repo, err := heddle.Discover(f.path)
	if err != nil {
		st := daemonlink.NoRepoStatus(f.path, err)
		f.noRepo = &st
		return
	}
	f.repo, f.noRepo = repo, nil
}

// startFolder tracks a folder's heddle dir and queues its first status.
// Track never blocks on a probe: a known dir answers at once, otherwise the
// tracker's onChange brings the first result.
func (s *Server) startFolder(uri string) {
	s.mu.Lock()
	f := s.folders[uri]
	tracker := s.tracker
	if f == nil || f.tracked {
		s.mu.Unlock()
		return
	}
	noRepo, heddleDir := f.noRepo, f.repo.HeddleDir
	if noRepo == nil {
		// Claimed now, so a concurrent start cannot Track twice; events
		// queued before Track are older than its answer and skipped.
		f.tracked = true
		f.trackerSent = false
		f.afterSeq = s.events.lastSeq()
	}
	s.mu.Unlock()
	if noRepo != nil {
		s.events.push(event{kind: evFolderStatus, folder: uri, status: *noRepo})
		return
	}
	st, known := tracker.Track(heddleDir)
	if known && st.State != "" {
		s.events.push(event{kind: evTrackAnswer, folder: uri, status: st})
	}
}

// removeFolder stops reporting on a folder and releases its tracking.
func (s *Server) removeFolder(uri string) {
	s.mu.Lock()
	f := s.folders[uri]
	if f == nil {
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
	tracker, tracked, heddleDir := s.tracker, f.tracked, f.repo.HeddleDir
	s.mu.Unlock()
	if tracked {
		tracker.Untrack(heddleDir)
	}
	s.events.push(event{kind: evFolderRemoved, folder: uri})
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

// rediscover looks again for a repository above a folder that had none
// (heddle init may have run since); it reports whether one was found.
func (s *Server) rediscover(uri string) bool {
	s.mu.Lock()
	f := s.folders[uri]
	s.mu.Unlock()
	if f == nil || f.noRepo == nil || f.path == "" {
		return false
	}
	g := *f
	s.discover(&g)
	if g.noRepo != nil {
		return false
	}
	s.mu.Lock()
	if s.folders[uri] != f {
		s.mu.Unlock()
		return false
	}
	f.repo, f.noRepo = g.repo, nil
	s.mu.Unlock()
	s.startFolder(uri)
	return true
}

// folderURIs lists the open folders in the order they were added.
func (s *Server) folderURIs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.order...)
}

// resolveFolder maps a command's folder argument — a folder URI, or an
// absolute path at or inside a folder (the innermost folder wins) — to
// the folder's URI.
func (s *Server) resolveFolder(arg string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.folders[arg]; ok {
		return arg, nil
	}
	path := arg
	if strings.Contains(arg, "://") {
		p, err := uriToPath(arg)
		if err != nil {
			return "", invalidParams(fmt.Sprintf("folder %q: %v", arg, err))
		}
		path = p
	} else if !filepath.IsAbs(arg) {
		return "", invalidParams(fmt.Sprintf("folder %q: want a folder URI or an absolute path", arg))
	}
	path = filepath.Clean(path)
	real := path
	if rp, err := filepath.EvalSymlinks(path); err == nil {
		real = rp
	}
	best, bestLen := "", -1
	for _, uri := range s.order {
		f := s.folders[uri]
		for _, candidate := range []struct{ base, p string }{{f.path, path}, {f.realPath, real}} {
			if candidate.base != "" && within(candidate.p, candidate.base) && len(candidate.base) > bestLen {
				best, bestLen = uri, len(candidate.base)
			}
		}
	}
	if best == "" {
		return "", unknownFolder(arg, s.order)
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

// uriToPath converts a file:// URI to a clean absolute path.
func uriToPath(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", fmt.Errorf("parse URI: %w", err)
	}
	if u.Scheme != "file" {
		return "", fmt.Errorf("only file URIs are supported, got scheme %q", u.Scheme)
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", fmt.Errorf("remote file URI host %q is not supported", u.Host)
	}
	if u.Path == "" || !filepath.IsAbs(u.Path) {
		return "", fmt.Errorf("file URI has no absolute path")
	}
	return filepath.Clean(u.Path), nil
}

// pathToURI converts an absolute path to a file:// URI.
func pathToURI(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
}

// PathToURI is pathToURI for the CLI, which reports folders the same way.
func PathToURI(path string) string { return pathToURI(path) }
