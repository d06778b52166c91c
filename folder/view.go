// Package folder composes what heddle-ls knows about one workspace folder.
// Sources publish — the agent daemon (daemonlink), and the heddle CLI, the
// oplog and the mount daemon as they are added — the folder composes them
// into the contract's status (lsp/protocol) and routes its queries, and its
// user (the LSP server, or a CLI verb) sends the result. It knows the
// contract's shapes but nothing of LSP's transport.
package folder

import (
	"context"
	"path/filepath"
	"sync"

	"github.com/heddle-ls/heddle-ls/daemonlink"
	"github.com/heddle-ls/heddle-ls/heddle"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
	"github.com/heddle-ls/heddle-ls/mountd"
	"github.com/heddle-ls/heddle-ls/oplog"
)

// Handlers receive what a started folder publishes. Both are called with
// the folder's lock held, in order and never two at once; neither may block.
type Handlers struct {
	// Status receives the first composed status (prev nil) as soon as every
	// source has spoken, then every change with the status it replaces.
	Status func(prev *protocol.StatusParams, st protocol.StatusParams)
	// Operations receives each publication of the folder's operation log
	// (coalesced by the oplog source). May be nil.
	Operations func(protocol.OperationsChangedParams)
}

// View is one folder. Ownership: the fields above mu are set by New and
// then only read; mu guards what the sources' goroutines write. Every
// composed status is handed to onStatus under mu, so statuses arrive in
// the order they were composed, whichever source caused them.
type View struct {
	uri      string
	name     string
	path     string // absolute, cleaned; "" when the URI is not a file URI
	realPath string // path with symlinks resolved
	src      *Sources
	ctx      context.Context // ends at Close: bounds the folder's own looks (the CLI's version)
	cancel   context.CancelFunc

	mu       sync.Mutex
	repo     heddle.Repo
	noRepo   *daemonlink.Status // set while the folder has no heddle repository
	handlers Handlers
	started  bool
	daemon   daemonlink.Status // the agent daemon, as last published
	hasAgent bool              // daemon holds a published status
	mount    *mountd.Status    // the mount daemon; nil when it does not run
	hasMount bool              // the mount source has spoken
	cli      cliState          // the heddle CLI, as last looked at
	hasCLI   bool              // the CLI has been looked at
	last     *protocol.StatusParams
	first    chan struct{} // closed when last is first set
	stops    []func()
	closed   bool
	ready    chan struct{} // closed when Start's subscriptions are in place
}

// New discovers the repository of the folder with the given URI (file://
// only) and name ("" = the base name). It subscribes to nothing until
// Start.
func New(src *Sources, uri, name string) *View {
	v := &View{uri: uri, name: name, src: src, first: make(chan struct{}), ready: make(chan struct{})}
	v.ctx, v.cancel = context.WithCancel(context.Background())
	path, err := protocol.URIToPath(uri)
	if err != nil {
		st := daemonlink.NoRepoStatus(nil)
		st.Reason, st.Message = ReasonNotAFileURI, "not a local folder: "+err.Error()
		v.noRepo = &st
	} else {
		v.path, v.realPath = path, path
		if rp, err := filepath.EvalSymlinks(path); err == nil {
			v.realPath = rp
		}
		v.discover()
	}
	if v.name == "" {
		v.name = filepath.Base(v.path)
	}
	return v
}

// ReasonNotAFileURI is the no-repo reason of a folder that is not local.
const ReasonNotAFileURI = "not-a-file-uri"

// discover looks for the folder's repository; mu held or not yet shared.
func (v *View) discover() {
	repo, err := heddle.Discover(v.path)
	if err != nil {
		st := daemonlink.NoRepoStatus(err)
		v.noRepo = &st
		return
	}
	v.repo, v.noRepo = repo, nil
}

// URI is the folder URI as the client sent it; Name its display name;
// Path its absolute path ("" for a non-file URI) and RealPath that path
// with symlinks resolved.
func (v *View) URI() string      { return v.uri }
func (v *View) Name() string     { return v.name }
func (v *View) Path() string     { return v.path }
func (v *View) RealPath() string { return v.realPath }

// Repo is the folder's repository, and false when it has none.
func (v *View) Repo() (heddle.Repo, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.repo, v.noRepo == nil
}

// Start subscribes to the folder's sources and hands what they publish to
// h. It does not wait: a thousand folders opened at once subscribe side by
// side, and the caller (the LSP read loop) goes on.
func (v *View) Start(h Handlers) {
	v.mu.Lock()
	if v.started {
		v.mu.Unlock()
		return
	}
	v.started, v.handlers = true, h
	v.mu.Unlock()
	v.src.register(v)
	go func() {
		defer close(v.ready)
		v.subscribe()
	}()
}

// subscribed waits until Start's subscriptions are in place.
func (v *View) subscribed(ctx context.Context) error {
	select {
	case <-v.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// subscribe starts the subscriptions the folder's repository needs, or
// publishes its no-repo status.
func (v *View) subscribe() {
	v.mu.Lock()
	if v.noRepo != nil {
		v.publishLocked()
		v.mu.Unlock()
		return
	}
	repo := v.repo
	v.mu.Unlock()
	// The first composed status waits for every source: the mount
	// daemon's files, the oplog's watch, the daemon's probe, the CLI look.
	for _, watch := range []func() func(){
		func() func() { return v.src.Mounts.Watch(repo, v.onMount) },
		func() func() { return v.src.Oplog.Watch(repo.HeddleDir, v.onOplog) },
		func() func() { return v.src.Daemons.Watch(repo.HeddleDir, v.onDaemon) },
	} {
		stop := watch()
		v.mu.Lock()
		closed := v.closed
		if !closed {
			v.stops = append(v.stops, stop)
		}
		v.mu.Unlock()
		if closed {
			stop() // closed while subscribing
			return
		}
	}
	// The CLI's version may take a process to learn (once per session):
	// subscribe runs on a goroutine of its own when Start calls it, and
	// Rediscover's caller (a refresh) may wait.
	ctx, cancel := context.WithTimeout(v.ctx, v.options().QueryTimeout)
	defer cancel()
	c := v.lookCLI(ctx, repo)
	if v.ctx.Err() == nil {
		v.onCLI(c) // a look that timed out is an answer: no CLI the folder can use
	}
}

// onMount is the mount daemon's subscription.
func (v *View) onMount(st *mountd.Status) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.mount, v.hasMount = st, true
	v.publishLocked()
}

// onOplog is the operation log's subscription.
func (v *View) onOplog(c oplog.Change) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.handlers.Operations == nil {
		return
	}
	p := protocol.OperationsChangedParams{Folder: v.uri}
	if c.HasHead {
		head := c.HeadID
		p.HeadID = &head
	}
	v.handlers.Operations(p)
}

// onDaemon is the agent daemon's subscription.
func (v *View) onDaemon(st daemonlink.Status) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.daemon, v.hasAgent = st, true
	v.publishLocked()
}

// publishLocked composes the status and hands it on when it changed.
func (v *View) publishLocked() {
	if v.handlers.Status == nil {
		return
	}
	st, ok := v.composeLocked()
	if !ok || (v.last != nil && v.last.Same(st)) {
		return
	}
	prev := v.last
	v.last = &st
	if prev == nil {
		close(v.first)
	}
	v.handlers.Status(prev, st)
}

// Status is the last status handed on, and false before the first.
func (v *View) Status() (protocol.StatusParams, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.last == nil {
		return protocol.StatusParams{}, false
	}
	return *v.last, true
}

// First waits for the first status of a started folder.
func (v *View) First(ctx context.Context) (protocol.StatusParams, error) {
	select {
	case <-v.first:
		st, _ := v.Status()
		return st, nil
	case <-ctx.Done():
		return protocol.StatusParams{}, ctx.Err()
	}
}

// Rediscover looks again for a repository above a folder that had none
// (heddle init may have run since) and, when one is found and the folder
// is started, subscribes to it. It reports whether one was found.
func (v *View) Rediscover() bool {
	v.mu.Lock()
	if v.noRepo == nil || v.path == "" {
		v.mu.Unlock()
		return false
	}
	v.discover()
	found, started := v.noRepo == nil, v.started
	v.mu.Unlock()
	if found && started {
		v.subscribe()
	}
	return found
}

// Close ends the folder's subscriptions; no handler is called after it.
func (v *View) Close() {
	v.cancel()
	if v.src != nil {
		v.src.unregister(v)
	}
	v.mu.Lock()
	stops := v.stops
	v.stops, v.handlers, v.closed = nil, Handlers{}, true
	v.mu.Unlock()
	// Outside mu: a stop waits out a delivery under way, which takes mu.
	for _, stop := range stops {
		stop()
	}
}
