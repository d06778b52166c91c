// lifecycle.go: initialize, initialized, shutdown and exit.

package lsp

import (
	"encoding/json"
	"os"

	"go.lsp.dev/jsonrpc2"

	"github.com/heddle-ls/heddle-ls/folder"
	"github.com/heddle-ls/heddle-ls/internal/procwatch"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// initializeParams holds the parts of InitializeParams the server reads.
type initializeParams struct {
	ProcessID        *int              `json:"processId"`
	RootURI          *string           `json:"rootUri"`
	RootPath         *string           `json:"rootPath"`
	WorkspaceFolders []workspaceFolder `json:"workspaceFolders"`
	InitOptions      json.RawMessage   `json:"initializationOptions"`
	ClientInfo       *struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"clientInfo"`
	Capabilities struct {
		Workspace *struct {
			Configuration bool `json:"configuration"`
		} `json:"workspace"`
		Experimental *struct {
			ServerStatusNotification bool `json:"serverStatusNotification"`
		} `json:"experimental"`
	} `json:"capabilities"`
}

type workspaceFolder struct {
	URI  string `json:"uri"`
	Name string `json:"name"`
}

// initializeResult is the server's answer; its own structs keep the JSON
// exactly as documented (protocol's are awkward for textDocumentSync 0).
type initializeResult struct {
	Capabilities serverCapabilities `json:"capabilities"`
	ServerInfo   serverInfo         `json:"serverInfo"`
}

type serverCapabilities struct {
	TextDocumentSync       int                    `json:"textDocumentSync"` // 0: None
	ExecuteCommandProvider executeCommandProvider `json:"executeCommandProvider"`
	Workspace              workspaceCapabilities  `json:"workspace"`
}

type executeCommandProvider struct {
	Commands []string `json:"commands"`
}

type workspaceCapabilities struct {
	WorkspaceFolders workspaceFoldersCapability `json:"workspaceFolders"`
}

type workspaceFoldersCapability struct {
	Supported           bool `json:"supported"`
	ChangeNotifications bool `json:"changeNotifications"`
}

type serverInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

func (s *Server) initialize(raw json.RawMessage) (any, error) {
	var p initializeParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.phase != phaseNew {
		s.mu.Unlock()
		return nil, jsonrpc2.NewError(jsonrpc2.InvalidRequest, "initialize may be sent only once")
	}
	s.mu.Unlock()

	settings, problems := ParseInitializationOptions(p.InitOptions)
	sources, err := folder.OpenSources(settings.Sources(), s.log)
	if err != nil {
		return nil, jsonrpc2.Errorf(jsonrpc2.InternalError, "start the sources: %v", err)
	}

	folders := p.WorkspaceFolders
	switch {
	case len(folders) > 0:
	case p.RootURI != nil && *p.RootURI != "":
		folders = []workspaceFolder{{URI: *p.RootURI}}
	case p.RootPath != nil && *p.RootPath != "":
		folders = []workspaceFolder{{URI: protocol.PathToURI(*p.RootPath)}}
	}

	s.mu.Lock()
	s.phase = phaseInitializing
	s.settings = settings
	s.sources = sources
	s.client.serverStatus = p.Capabilities.Experimental != nil && p.Capabilities.Experimental.ServerStatusNotification
	s.client.configuration = p.Capabilities.Workspace != nil && p.Capabilities.Workspace.Configuration
	if p.ClientInfo != nil {
		s.client.name = p.ClientInfo.Name
	}
	s.mu.Unlock()
	// Folders are discovered now, so commands work even before
	// initialized; tracking and status notifications start at initialized.
	for _, wf := range folders {
		s.addFolder(wf, false)
	}
	s.watchEditor(p.ProcessID)
	s.log.Info("initialized session", "client", s.client.name, "folders", len(folders),
		"serverStatus", s.client.serverStatus, "notifications", settings.Notifications)
	s.reportSettingProblems("initializationOptions", problems)
	return initializeResult{
		Capabilities: serverCapabilities{
			ExecuteCommandProvider: executeCommandProvider{Commands: protocol.Commands},
			Workspace: workspaceCapabilities{WorkspaceFolders: workspaceFoldersCapability{
				Supported: true, ChangeNotifications: true,
			}},
		},
		ServerInfo: serverInfo{Name: "heddle-ls", Version: s.opts.Version},
	}, nil
}

func (s *Server) initialized() {
	s.mu.Lock()
	if s.phase != phaseInitializing {
		s.mu.Unlock()
		s.log.Debug("ignoring duplicate initialized")
		return
	}
	s.phase = phaseRunning
	views := make([]*folder.View, 0, len(s.order))
	for _, uri := range s.order {
		views = append(views, s.folders[uri])
	}
	pull := s.client.configuration
	s.mu.Unlock()
	s.events.Put(event{kind: evRunning})
	for _, v := range views {
		s.startFolder(v)
	}
	if pull {
		s.pullConfiguration()
	}
}

func (s *Server) shutdownRequest() (any, error) {
	s.mu.Lock()
	s.phase = phaseShutdown
	s.shutdown = true
	s.mu.Unlock()
	s.log.Info("shutdown requested")
	return nil, nil
}

// exit ends the session: Serve returns once the connection has stopped.
func (s *Server) exit() {
	s.mu.Lock()
	s.exited = true
	s.mu.Unlock()
	s.log.Info("exit")
	_ = s.conn.Close()
}

// watchEditor ends the session when the editor's process exits, as the LSP
// asks: an editor that crashes may leave our stdin open (a grandchild
// holding it), and nobody else would ever stop us. The pidfd is an event;
// nothing polls.
func (s *Server) watchEditor(pid *int) {
	if pid == nil || *pid <= 0 || *pid == os.Getpid() {
		return
	}
	w, err := procwatch.Start(*pid, func() {
		s.log.Warn("the editor's process exited; ending the session", "pid", *pid)
		s.end()
	})
	if err != nil {
		s.log.Info("not watching the editor's process", "pid", *pid, "err", err)
		return
	}
	s.mu.Lock()
	s.editor = w
	s.mu.Unlock()
}
