// lifecycle.go: initialize, initialized, shutdown and exit.

package lsp

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"

	"go.lsp.dev/jsonrpc2"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/internal/procwatch"
)

// Commands lists every command, as advertised in executeCommandProvider.
var Commands = []string{
	CmdStatus, CmdRefresh, CmdExplain, CmdOperations, CmdSignalHealth, CmdHooks,
}

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
	tracker, err := daemonlink.NewTracker(settings.Options(), s.log, s.onTrackerChange)
	if err != nil {
		return nil, jsonrpc2.Errorf(jsonrpc2.InternalError, "start daemon tracker: %v", err)
	}

	folders := p.WorkspaceFolders
	switch {
	case len(folders) > 0:
	case p.RootURI != nil && *p.RootURI != "":
		folders = []workspaceFolder{{URI: *p.RootURI}}
	case p.RootPath != nil && *p.RootPath != "":
		folders = []workspaceFolder{{URI: pathToURI(*p.RootPath)}}
	}

	s.mu.Lock()
	s.phase = phaseInitializing
	s.settings = settings
	s.tracker = tracker
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
			ExecuteCommandProvider: executeCommandProvider{Commands: Commands},
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
	uris := append([]string(nil), s.order...)
	pull := s.client.configuration
	s.mu.Unlock()
	s.events.push(event{kind: evRunning})
	for _, uri := range uris {
		s.startFolder(uri)
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

// decodeParams decodes params, answering -32602 with what is wrong.
func decodeParams(raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return jsonrpc2.Errorf(jsonrpc2.InvalidParams, "invalid params: %v", describeJSONError(err))
	}
	return nil
}

// describeJSONError rewords encoding/json's errors for users.
func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "params"
		}
		return fmt.Sprintf("%s: want %s, got JSON %s", field, jsonKind(te.Type), te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "not valid JSON: " + se.Error()
	}
	return err.Error()
}

// jsonKind names a Go type the way a JSON user thinks of it.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.String {
			return "an array of strings"
		}
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	default:
		return t.String()
	}
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
