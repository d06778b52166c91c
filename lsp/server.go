// server.go: the server's state, its construction, and Serve.

// Package lsp is heddle-ls's Language Server: for each workspace folder it
// reports the heddle daemon's status (heddle/status, experimental/
// serverStatus, window/showMessage) and answers read-only commands. It is a
// thin layer over package folder, which composes each folder's status from
// its sources; the contract's shapes are in lsp/protocol.
package lsp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"go.lsp.dev/jsonrpc2"

	"github.com/heddle-ls/heddle-ls/folder"
	"github.com/heddle-ls/heddle-ls/internal/mailbox"
	"github.com/heddle-ls/heddle-ls/internal/procwatch"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// ErrNoShutdown is returned by Serve when the client sent exit, or closed
// the stream, without a shutdown request first. Per the LSP specification
// the process then exits with code 1.
var ErrNoShutdown = errors.New("exit without shutdown")

// Options configure a Server.
type Options struct {
	Version string           // reported as serverInfo.version
	Logger  *slog.Logger     // never writes to the LSP stream; nil discards
	Now     func() time.Time // clock for the notification policy; nil = time.Now
}

// phase is where the server is in the LSP lifecycle.
type phase int

const (
	phaseNew          phase = iota // before initialize
	phaseInitializing              // initialize answered, initialized not yet received
	phaseRunning                   // initialized received
	phaseShutdown                  // shutdown answered; only exit is honoured
)

func (p phase) String() string {
	switch p {
	case phaseNew:
		return "new"
	case phaseInitializing:
		return "initializing"
	case phaseRunning:
		return "running"
	case phaseShutdown:
		return "shutdown"
	}
	return fmt.Sprintf("phase(%d)", int(p))
}

// Server is one LSP session. Ownership: mu guards every field below it;
// the status loop goroutine (status.go) alone sends heddle/status and owns
// the notification policy; each executeCommand runs in its own goroutine.
// Each folder's View composes its status and hands it to the one queue.
type Server struct {
	opts Options
	log  *slog.Logger

	conn   jsonrpc2.Conn
	ctx    context.Context     // lives as long as Serve; replies and notifications use it
	end    context.CancelFunc  // ends Serve: the editor's process exited
	events *mailbox.Box[event] // the one queue: a view's publisher never blocks, the client may be slow
	policy *notifyPolicy       // status loop only

	mu       sync.Mutex
	phase    phase
	exited   bool
	shutdown bool
	client   clientInfo
	settings Settings
	sources  *folder.Sources               // nil before initialize
	folders  map[string]*folder.View       // by folder URI as the client sent it
	order    []string                      // folder URIs, in the order they were added
	inflight map[string]context.CancelFunc // by request id
	agg      *protocol.ServerStatusParams  // last experimental/serverStatus sent
	editor   *procwatch.Watch              // the editor's process, from initialize's processId

	requests sync.WaitGroup // executeCommand and other background work
}

// clientInfo is what the client declared in initialize.
type clientInfo struct {
	serverStatus  bool // capabilities.experimental.serverStatusNotification
	configuration bool // capabilities.workspace.configuration
	name          string
}

// NewServer returns a server ready to Serve one connection.
func NewServer(opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{
		opts:     opts,
		log:      log,
		events:   mailbox.New[event](),
		policy:   newNotifyPolicy(opts.Now),
		settings: DefaultSettings(),
		folders:  map[string]*folder.View{},
		inflight: map[string]context.CancelFunc{},
	}
}

// Serve speaks LSP over rwc until the client sends exit, closes the stream,
// or ctx ends. It returns nil after shutdown+exit (or EOF after shutdown),
// ErrNoShutdown when the session ended without shutdown, and a wrapped error
// when the transport failed. Nothing it started is left running.
func (s *Server) Serve(ctx context.Context, rwc io.ReadWriteCloser) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.ctx, s.end = ctx, cancel
	st := newStream(rwc, s.log)
	s.conn = jsonrpc2.NewConn(st)

	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		s.statusLoop(ctx)
	}()
	s.conn.Go(ctx, s.handle)

	endedByCtx := false // a signal, the caller, or the editor's exit
	select {
	case <-s.conn.Done():
	case <-ctx.Done():
		// Do not wait for the reader: a blocking stdin read cannot be
		// interrupted, and the process is about to exit anyway.
		endedByCtx = true
		_ = s.conn.Close()
	}
	// Stop everything: in-flight requests see their contexts cancelled (and
	// so do their daemon calls), the status loop ends, the tracker closes.
	cancel()
	_ = s.conn.Close()
	s.requests.Wait()
	<-loopDone
	s.mu.Lock()
	sources, shutdown, exited, editor := s.sources, s.shutdown, s.exited, s.editor
	views := make([]*folder.View, 0, len(s.folders)) // a copy: the read loop may still add or remove folders
	for _, v := range s.folders {
		views = append(views, v)
	}
	s.mu.Unlock()
	editor.Stop()
	for _, v := range views {
		v.Close()
	}
	if sources != nil {
		if err := sources.Close(); err != nil {
			s.log.Warn("close sources", "err", err)
		}
	}

	// Closing the stream ourselves makes the reader fail; that is no error.
	if err := s.conn.Err(); err != nil && !exited && !endedByCtx && !errors.Is(err, io.EOF) &&
		!errors.Is(err, errStreamClosed) && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("lsp stream: %w", err)
	}
	if !shutdown {
		return ErrNoShutdown
	}
	return nil
}

// notify sends a notification; a closed stream is logged, not fatal.
func (s *Server) notify(method string, params any) {
	if err := s.conn.Notify(s.ctx, method, params); err != nil {
		s.log.Debug("notification not sent", "method", method, "err", err)
	}
}
