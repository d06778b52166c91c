package heddlecli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Defaults for zero Options fields.
const (
	DefaultTimeout       = 2 * time.Second // queryTimeoutMs' default
	DefaultMaxStdout     = 64 << 20        // as the daemon path's largest answer
	DefaultMaxConcurrent = 4
)

// Options configure a Runner.
type Options struct {
	// Setting is heddlePath: "" = "heddle" on PATH, "off" = never run the
	// CLI, else an absolute path (a relative one is refused).
	Setting       string
	Timeout       time.Duration // per command, waiting for a slot included (queryTimeoutMs)
	MaxStdout     int64         // bytes of stdout accepted from one command
	MaxConcurrent int           // CLI processes at once
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxStdout <= 0 {
		o.MaxStdout = DefaultMaxStdout
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	return o
}

// Runner finds the heddle CLI and runs its read verbs. It is safe for
// concurrent use.
type Runner struct {
	log *slog.Logger

	mu   sync.Mutex // guards opts, sem, info
	opts Options
	sem  chan struct{} // one token per running CLI process
	// info is the version learnt per binary; a binary is its resolved path
	// and file identity, so replacing the file is noticed.
	info map[string]cachedInfo

	versionMu sync.Mutex // one `--version` run at a time, so a binary is asked once
}

type cachedInfo struct {
	id   fileID
	info Info
}

// fileID tells one file version from another.
type fileID struct {
	dev, ino    uint64
	size        int64
	mtime, ctim int64
}

// NewRunner makes a Runner; log may be nil.
func NewRunner(opts Options, log *slog.Logger) *Runner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Runner{log: log, info: map[string]cachedInfo{}}
	r.SetOptions(opts)
	return r
}

// SetOptions replaces the options. A different Setting forgets the CLI
// found, so the next query looks again and re-runs --version. Commands
// already running keep the options they started with.
func (r *Runner) SetOptions(opts Options) {
	opts = opts.withDefaults()
	r.mu.Lock()
	defer r.mu.Unlock()
	if opts.Setting != r.opts.Setting {
		r.info = map[string]cachedInfo{}
	}
	if r.sem == nil || opts.MaxConcurrent != r.opts.MaxConcurrent {
		r.sem = make(chan struct{}, opts.MaxConcurrent)
	}
	r.opts = opts
}

func (r *Runner) options() (Options, chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.opts, r.sem
}

// Info returns the CLI found and its version, running `heddle --version`
// when this binary has not been asked yet.
func (r *Runner) Info(ctx context.Context) (Info, error) {
	opts, sem := r.options()
	return r.infoFor(ctx, opts, sem)
}

// Refresh forgets what was learnt, looks for the CLI again and asks its
// version.
func (r *Runner) Refresh(ctx context.Context) (Info, error) {
	r.mu.Lock()
	r.info = map[string]cachedInfo{}
	r.mu.Unlock()
	return r.Info(ctx)
}

// resolve turns the setting into the executable's absolute path.
func resolve(setting string) (string, *Error) {
	switch {
	case setting == "off":
		return "", &Error{Kind: KindDisabled, Message: "the heddle CLI is disabled (heddlePath is \"off\")",
			Hint: "set heddlePath to \"\" (look on PATH) or to the heddle executable's absolute path"}
	case setting == "":
		p, err := exec.LookPath("heddle")
		if err != nil {
			return "", &Error{Kind: KindNotFound, Message: "no heddle CLI on PATH", Err: err,
				Hint: "install heddle (cargo install heddle-cli) or set heddlePath to its absolute path"}
		}
		if !filepath.IsAbs(p) {
			return "", &Error{Kind: KindNotFound, Message: fmt.Sprintf("heddle on PATH is the relative path %q", p),
				Hint: "set heddlePath to heddle's absolute path"}
		}
		return p, nil
	case !filepath.IsAbs(setting):
		return "", &Error{Kind: KindBadSetting, Message: fmt.Sprintf("heddlePath %q is not an absolute path", setting),
			Hint: "set heddlePath to the heddle executable's absolute path, or to \"\" to look on PATH"}
	}
	fi, err := os.Stat(setting)
	switch {
	case err != nil:
		return "", &Error{Kind: KindNotFound, Message: fmt.Sprintf("heddlePath %s: %v", setting, err), Err: err,
			Hint: "set heddlePath to the heddle executable's absolute path"}
	case !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0:
		return "", &Error{Kind: KindNotFound, Message: fmt.Sprintf("heddlePath %s is not an executable file", setting),
			Hint: "set heddlePath to the heddle executable's absolute path"}
	}
	return filepath.Clean(setting), nil
}

func identify(path string) fileID {
	fi, err := os.Stat(path)
	if err != nil {
		return fileID{}
	}
	id := fileID{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.dev, id.ino, id.ctim = st.Dev, st.Ino, st.Ctim.Nano()
	}
	return id
}

func (r *Runner) infoFor(ctx context.Context, opts Options, sem chan struct{}) (Info, error) {
	path, rerr := resolve(opts.Setting)
	if rerr != nil {
		return Info{}, rerr
	}
	id := identify(path)
	if info, ok := r.cached(path, id); ok {
		return info, nil
	}
	r.versionMu.Lock()
	defer r.versionMu.Unlock()
	if info, ok := r.cached(path, id); ok {
		return info, nil
	}
	res, err := r.execute(ctx, opts, sem, command{path: path, dir: "/", args: []string{"--version"}, maxStdout: 4096})
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Kind == KindFailed {
			e.Kind, e.Message = KindNotFound, fmt.Sprintf("%s --version failed: %s", path, e.Message)
			e.Hint = "heddlePath must name the heddle executable"
		}
		return Info{}, err
	}
	version, ok := parseVersionLine(res.stdout)
	if !ok {
		return Info{}, &Error{Kind: KindNotFound, Message: fmt.Sprintf("%s --version printed %.80q, not heddle's version line", path, res.stdout),
			Hint: "heddlePath must name the heddle executable"}
	}
	info := Info{Path: path, Version: version}
	r.mu.Lock()
	if r.opts.Setting == opts.Setting {
		r.info[path] = cachedInfo{id: id, info: info}
	}
	r.mu.Unlock()
	r.log.Debug("heddle CLI found", "path", path, "version", version)
	return info, nil
}

func (r *Runner) cached(path string, id fileID) (Info, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.info[path]
	return c.info, ok && c.id == id
}
