package heddle

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// safetyTree is a heddle repository with a subdirectory to open as a folder.
func safetyTree(t *testing.T) (root, sub string, repo Repo) {
	t.Helper()
	root = filepath.Join(realTemp(t), "repo")
	sub = filepath.Join(root, "a", "b")
	mkdirs(t, filepath.Join(root, ".heddle", "objects"), sub)
	repo, err := Discover(sub)
	if err != nil {
		t.Fatal(err)
	}
	return root, sub, repo
}

func wantUnsafe(t *testing.T, err error, reason string) {
	t.Helper()
	var ue *UnsafeError
	if !errors.As(err, &ue) || !errors.Is(err, ErrCLIUnsafe) || ue.Reason != reason {
		t.Fatalf("CLISafe = %v; want an UnsafeError with reason %q", err, reason)
	}
	if ue.Detail == "" || ue.Path == "" {
		t.Fatalf("UnsafeError %+v lacks its detail or path", ue)
	}
}

func TestCLISafe_AllowsAPlainRepository(t *testing.T) {
	root, sub, repo := safetyTree(t)
	// A git-overlay repository has .git at the root itself: that is fine.
	mkdirs(t, filepath.Join(root, ".git"))
	for _, folder := range []string{root, sub} {
		if err := CLISafe(folder, repo); err != nil {
			t.Fatalf("CLISafe(%s) = %v, want nil", folder, err)
		}
	}
}

func TestCLISafe_RefusesWithoutADiscoveredRepository(t *testing.T) {
	base := realTemp(t)
	plain := filepath.Join(base, "plain")
	mkdirs(t, filepath.Join(plain, ".git"))
	wantUnsafe(t, CLISafe(plain, Repo{Root: plain, HeddleDir: filepath.Join(plain, ".heddle")}), UnsafeNoRepo)
}

func TestCLISafe_RefusesAStaleRepository(t *testing.T) {
	_, sub, repo := safetyTree(t)
	other := repo
	other.Root = filepath.Dir(repo.Root)
	wantUnsafe(t, CLISafe(sub, other), UnsafeRepoChanged)
	wantUnsafe(t, CLISafe(sub, Repo{}), UnsafeRepoChanged)
}

func TestCLISafe_RefusesANestedGitRoot(t *testing.T) {
	root, sub, repo := safetyTree(t)
	for _, gitAt := range []string{filepath.Join(root, "a"), sub} {
		t.Run(filepath.Base(gitAt), func(t *testing.T) {
			mkdirs(t, filepath.Join(gitAt, ".git"))
			defer os.RemoveAll(filepath.Join(gitAt, ".git"))
			wantUnsafe(t, CLISafe(sub, repo), UnsafeNestedGit)
		})
	}
	// A gitfile (a submodule or a Git worktree) is a Git root too.
	writeFile(t, filepath.Join(sub, ".git"), "gitdir: /elsewhere\n")
	wantUnsafe(t, CLISafe(sub, repo), UnsafeNestedGit)
	// The root's own folder is not affected by a nested root below it.
	if err := CLISafe(root, repo); err != nil {
		t.Fatalf("CLISafe(root) = %v", err)
	}
}

func TestCLISafe_RefusesAForeignHeddleRoot(t *testing.T) {
	// Discover skips a .heddle without objects/ or an objectstore pointer;
	// heddle stops there (any of HEAD, objects, objectstore, oplog, refs).
	for _, member := range []string{"HEAD", "oplog", "refs", "dangling-symlink"} {
		t.Run(member, func(t *testing.T) {
			_, sub, repo := safetyTree(t)
			dot := filepath.Join(filepath.Dir(sub), ".heddle")
			mkdirs(t, dot)
			if member == "dangling-symlink" {
				// lstat: a dangling symlink named HEAD still marks a root.
				if err := os.Symlink("/nonexistent", filepath.Join(dot, "HEAD")); err != nil {
					t.Fatal(err)
				}
			} else {
				writeFile(t, filepath.Join(dot, member), "")
			}
			wantUnsafe(t, CLISafe(sub, repo), UnsafeForeignRoot)
		})
	}
	// A .heddle with none of the members (like ~/.heddle) is no root.
	_, sub, repo := safetyTree(t)
	mkdirs(t, filepath.Join(sub, ".heddle", "hooks"))
	if err := CLISafe(sub, repo); err != nil {
		t.Fatalf("CLISafe with a member-less .heddle below the root = %v, want nil", err)
	}
}

func TestCLISafe_RefusesACloneIntent(t *testing.T) {
	for _, where := range []string{"root", "ancestor", "folder"} {
		t.Run(where, func(t *testing.T) {
			root, sub, repo := safetyTree(t)
			dir := map[string]string{"root": root, "ancestor": filepath.Dir(root), "folder": sub}[where]
			mkdirs(t, filepath.Join(dir, ".heddle"))
			writeFile(t, filepath.Join(dir, ".heddle", "clone-intent.toml"), "remote = \"x\"\n")
			wantUnsafe(t, CLISafe(sub, repo), UnsafeCloneIntent)
		})
	}
}

func TestCLISafe_WorktreeChecksItsOwnRoot(t *testing.T) {
	base := realTemp(t)
	main := filepath.Join(base, "main")
	wt := filepath.Join(base, "wt")
	mkdirs(t, filepath.Join(main, ".heddle", "objects"), filepath.Join(wt, ".heddle"), filepath.Join(wt, "src"))
	writeFile(t, filepath.Join(wt, ".heddle", "objectstore"), "objectstore: "+filepath.Join(main, ".heddle")+"\n")
	repo, err := Discover(filepath.Join(wt, "src"))
	if err != nil {
		t.Fatal(err)
	}
	if err := CLISafe(filepath.Join(wt, "src"), repo); err != nil {
		t.Fatalf("CLISafe(worktree) = %v", err)
	}
	writeFile(t, filepath.Join(wt, ".heddle", "clone-intent.toml"), "")
	wantUnsafe(t, CLISafe(filepath.Join(wt, "src"), repo), UnsafeCloneIntent)
}
