package heddle

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Repo is a discovered heddle repository.
type Repo struct {
	Root      string // checkout root: the canonical directory that holds .heddle
	HeddleDir string // canonical heddle dir (for a worktree, the shared main one)
}

// ErrNoRepo means no heddle repository lies above the path.
var ErrNoRepo = errors.New("no heddle repository")

// ErrBadPointer means a worktree's objectstore pointer could not be followed.
var ErrBadPointer = errors.New("invalid objectstore pointer")

// maxPointerBytes caps how much of an objectstore pointer file is read: it is
// a one-line file in a repository someone else may control.
const maxPointerBytes = 4096

// Discover walks up from path to the first heddle repository, as heddle's own
// Repository::open does, but strictly read-only: heddle creates a git-overlay
// .heddle when it finds none, which an editor integration must never do.
//
// At each ancestor D, D/.heddle/objectstore (a worktree pointer) wins over
// D/.heddle/objects (a main repository); a .heddle with neither is skipped.
// The returned paths are canonical (symlinks resolved), so two workspace
// folders of one repository, or a symlinked folder and its target, share one
// heddle dir and therefore one daemon link.
func Discover(path string) (Repo, error) {
	start, err := canonical(path)
	if err != nil {
		return Repo{}, fmt.Errorf("discover from %s: %w", path, err)
	}
	for dir := start; ; {
		dotHeddle := filepath.Join(dir, ".heddle")
		if fi, err := os.Stat(filepath.Join(dotHeddle, "objectstore")); err == nil && fi.Mode().IsRegular() {
			heddleDir, err := followPointer(filepath.Join(dotHeddle, "objectstore"))
			if err != nil {
				return Repo{Root: dir}, err
			}
			return Repo{Root: dir, HeddleDir: heddleDir}, nil
		}
		if isDir(filepath.Join(dotHeddle, "objects")) {
			return Repo{Root: dir, HeddleDir: dotHeddle}, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return Repo{}, fmt.Errorf("%s: %w", start, ErrNoRepo)
		}
		dir = parent
	}
}

// canonical makes path absolute and resolves symlinks. A path that does not
// exist (yet) is resolved as far as its deepest existing ancestor, so a
// folder that was deleted under the editor still maps to its repository.
func canonical(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	var rest []string
	for p := abs; ; p = filepath.Dir(p) {
		if resolved, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(append([]string{resolved}, rest...)...), nil
		}
		if filepath.Dir(p) == p {
			return abs, nil
		}
		rest = append([]string{filepath.Base(p)}, rest...)
	}
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// followPointer reads a worktree's objectstore pointer and returns the
// canonical heddle dir it names, which must contain objects/.
func followPointer(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("%w %s: %v", ErrBadPointer, path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPointerBytes+1))
	if err != nil {
		return "", fmt.Errorf("%w %s: %v", ErrBadPointer, path, err)
	}
	if len(data) > maxPointerBytes {
		return "", fmt.Errorf("%w %s: larger than %d bytes", ErrBadPointer, path, maxPointerBytes)
	}
	target, err := ParsePointer(data)
	if err != nil {
		return "", fmt.Errorf("%w %s: %v", ErrBadPointer, path, err)
	}
	resolved, err := filepath.EvalSymlinks(target)
	if err != nil {
		return "", fmt.Errorf("%w %s: target %s: %v", ErrBadPointer, path, target, err)
	}
	if !isDir(filepath.Join(resolved, "objects")) {
		return "", fmt.Errorf("%w %s: target %s has no objects/", ErrBadPointer, path, resolved)
	}
	return resolved, nil
}

// ParsePointer extracts the absolute path from an objectstore pointer file:
// a line "objectstore: <abs>". Other lines (later heddle adds
// "source-authority: …") are ignored.
func ParsePointer(data []byte) (string, error) {
	if bytes.IndexByte(data, 0) >= 0 {
		return "", errors.New("binary content")
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 512), maxPointerBytes+1)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.TrimSpace(key) != "objectstore" {
			continue
		}
		value = strings.TrimSpace(value)
		if value == "" {
			return "", errors.New("empty objectstore path")
		}
		if !filepath.IsAbs(value) {
			return "", fmt.Errorf("objectstore path %q is not absolute", value)
		}
		return filepath.Clean(value), nil
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", errors.New(`no "objectstore:" line`)
}
