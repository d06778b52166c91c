package daemonlink

import "errors"

// Repo is a discovered heddle repository.
type Repo struct {
	Root      string // checkout root: the directory that holds .heddle
	HeddleDir string // canonical heddle dir (for a worktree, the shared main one)
}

// ErrNoRepo means no heddle repository lies above the path.
var ErrNoRepo = errors.New("no heddle repository")

// Discover walks up from path to the first heddle repository. Read-only.
func Discover(path string) (Repo, error) { return Repo{}, ErrNoRepo }
