package heddle

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// When running the heddle CLI is safe. heddle's read verbs (query, review
// health, hook list) open the repository first, and opening can write: in a
// plain Git checkout it bootstraps a git-overlay .heddle at the Git root; a
// Git root nested below the heddle root is bootstrapped and opened instead;
// an interrupted hosted clone (.heddle/clone-intent.toml in any ancestor) is
// resumed over the network. CLISafe refuses every such place, read-only,
// before each run.

// ErrCLIUnsafe is wrapped by every UnsafeError.
var ErrCLIUnsafe = errors.New("running the heddle CLI here is unsafe")

// Why CLISafe refused: UnsafeError.Reason.
const (
	UnsafeNoRepo      = "no-repo"      // discovery accepts no repository above the folder
	UnsafeRepoChanged = "repo-changed" // discovery now finds another repository than the caller's
	UnsafeNestedGit   = "nested-git"   // a Git root without a heddle root lies between folder and root
	UnsafeForeignRoot = "foreign-root" // heddle's own root rule stops below the discovered root
	UnsafeCloneIntent = "clone-intent" // .heddle/clone-intent.toml in the root or an ancestor
)

// UnsafeError says why and where CLISafe refused.
type UnsafeError struct {
	Reason string // one of the Unsafe* constants
	Path   string // the directory or file that decided it
	Detail string // one human line
}

func (e *UnsafeError) Error() string { return e.Detail }
func (e *UnsafeError) Unwrap() error { return ErrCLIUnsafe }

// heddleRootMembers mark a directory's .heddle/ as a repository to heddle's
// own discovery (the user's ~/.heddle has the same name and none of them).
var heddleRootMembers = []string{"HEAD", "objects", "objectstore", "oplog", "refs"}

// IsHeddleRoot applies heddle's root rule to dir: dir/.heddle is a directory
// holding any of HEAD, objects, objectstore, oplog or refs, each tested with
// lstat so that a symlink counts. It is wider than Discover's rule (which
// needs objects/ or an objectstore pointer): heddle stops at such a root even
// when it cannot open it.
func IsHeddleRoot(dir string) bool {
	dot := filepath.Join(dir, ".heddle")
	if !isDir(dot) {
		return false
	}
	for _, m := range heddleRootMembers {
		if _, err := os.Lstat(filepath.Join(dot, m)); err == nil {
			return true
		}
	}
	return false
}

// CLISafe reports whether the heddle CLI may run for folder in repo, with
// the working directory and -C at repo.Root. It returns nil, or an
// *UnsafeError (wrapping ErrCLIUnsafe) for the first rule that fails:
//
//  1. discovery, run again now, accepts a repository above folder, and it is
//     repo (a stale caller must not send the CLI elsewhere);
//  2. no directory from folder up to, not including, repo.Root holds a .git
//     (a directory or a gitfile) without being a heddle root itself;
//  3. no directory from folder up to, not including, repo.Root is a heddle
//     root by heddle's rule (IsHeddleRoot): the nearest one is repo.Root;
//  4. no .heddle/clone-intent.toml exists in folder, repo.Root or any of
//     their ancestors.
//
// It only reads the file system.
func CLISafe(folder string, repo Repo) error {
	found, err := Discover(folder)
	if err != nil {
		return &UnsafeError{Reason: UnsafeNoRepo, Path: folder,
			Detail: fmt.Sprintf("no heddle repository accepted for %s: %v", folder, err)}
	}
	if repo.Root == "" || found != repo {
		return &UnsafeError{Reason: UnsafeRepoChanged, Path: found.Root,
			Detail: fmt.Sprintf("%s now belongs to the repository at %s, not %q", folder, found.Root, repo.Root)}
	}
	start, err := canonical(folder)
	if err != nil {
		return &UnsafeError{Reason: UnsafeNoRepo, Path: folder, Detail: fmt.Sprintf("resolve %s: %v", folder, err)}
	}
	for dir := start; dir != repo.Root; dir = filepath.Dir(dir) {
		if filepath.Dir(dir) == dir {
			// Discover found repo.Root above start, so this cannot happen
			// unless the tree changed between the two walks.
			return &UnsafeError{Reason: UnsafeRepoChanged, Path: start,
				Detail: fmt.Sprintf("%s is not inside %s", start, repo.Root)}
		}
		if IsHeddleRoot(dir) {
			return &UnsafeError{Reason: UnsafeForeignRoot, Path: filepath.Join(dir, ".heddle"),
				Detail: fmt.Sprintf("%s/.heddle is a heddle root to the CLI, but not the repository at %s", dir, repo.Root)}
		}
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			return &UnsafeError{Reason: UnsafeNestedGit, Path: dir,
				Detail: fmt.Sprintf("%s is a Git root without a .heddle of its own inside %s: heddle would bootstrap it", dir, repo.Root)}
		}
	}
	for dir := start; ; dir = filepath.Dir(dir) {
		intent := filepath.Join(dir, ".heddle", "clone-intent.toml")
		if _, err := os.Lstat(intent); err == nil {
			return &UnsafeError{Reason: UnsafeCloneIntent, Path: intent,
				Detail: fmt.Sprintf("%s exists: heddle would resume an interrupted clone over the network", intent)}
		}
		if filepath.Dir(dir) == dir {
			return nil
		}
	}
}
