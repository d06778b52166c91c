package heddle

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mkdirs(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// realTemp is t.TempDir with symlinks resolved, as Discover returns paths.
func realTemp(t *testing.T) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDiscover(t *testing.T) {
	base := realTemp(t)
	main := filepath.Join(base, "main")
	nested := filepath.Join(main, "vendor", "inner")
	worktree := filepath.Join(base, "wt")
	plainDotHeddle := filepath.Join(base, "plain")
	mkdirs(t,
		filepath.Join(main, ".heddle", "objects"), filepath.Join(main, "src", "pkg"),
		filepath.Join(nested, ".heddle", "objects"), filepath.Join(nested, "lib"),
		filepath.Join(worktree, ".heddle"), filepath.Join(worktree, "src"),
		filepath.Join(plainDotHeddle, ".heddle", "hooks"), filepath.Join(base, "none"),
	)
	writeFile(t, filepath.Join(worktree, ".heddle", "objectstore"),
		"objectstore: "+filepath.Join(main, ".heddle")+"\nsource-authority: native\n")
	if err := os.Symlink(filepath.Join(main, "src"), filepath.Join(base, "link-to-src")); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, from, root, heddleDir string
	}{
		{"repo root", main, main, filepath.Join(main, ".heddle")},
		{"subdirectory", filepath.Join(main, "src", "pkg"), main, filepath.Join(main, ".heddle")},
		{"nested repo wins", filepath.Join(nested, "lib"), nested, filepath.Join(nested, ".heddle")},
		{"worktree shares the main heddle dir", filepath.Join(worktree, "src"), worktree, filepath.Join(main, ".heddle")},
		{"symlinked folder resolves to its target", filepath.Join(base, "link-to-src"), main, filepath.Join(main, ".heddle")},
		{".heddle without objects is skipped", plainDotHeddle, "", ""},
		{"missing folder resolves through its parent", filepath.Join(main, "src", "gone", "deeper"), main, filepath.Join(main, ".heddle")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo, err := Discover(tt.from)
			if tt.heddleDir == "" {
				if !errors.Is(err, ErrNoRepo) {
					t.Fatalf("Discover(%s) = %+v, %v; want ErrNoRepo", tt.from, repo, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Discover(%s): %v", tt.from, err)
			}
			if repo.Root != tt.root || repo.HeddleDir != tt.heddleDir {
				t.Fatalf("Discover(%s) = %+v; want root %s, heddle dir %s", tt.from, repo, tt.root, tt.heddleDir)
			}
		})
	}
}

func TestDiscover_BadPointers(t *testing.T) {
	base := realTemp(t)
	cases := map[string]string{
		"relative":   "objectstore: ../main/.heddle\n",
		"no line":    "source-authority: native\n",
		"empty path": "objectstore:   \n",
		"missing":    "objectstore: " + filepath.Join(base, "nowhere") + "\n",
		"no objects": "objectstore: " + base + "\n",
		"binary":     "objectstore: /x\x00\n",
		"huge":       strings.Repeat("x", maxPointerBytes+10),
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			wt := filepath.Join(base, strings.ReplaceAll(name, " ", "-"))
			mkdirs(t, filepath.Join(wt, ".heddle"))
			writeFile(t, filepath.Join(wt, ".heddle", "objectstore"), content)
			repo, err := Discover(wt)
			if !errors.Is(err, ErrBadPointer) {
				t.Fatalf("Discover = %+v, %v; want ErrBadPointer", repo, err)
			}
			if repo.Root != wt {
				t.Fatalf("root = %q, want %q (so the folder can be reported)", repo.Root, wt)
			}
		})
	}
}

func TestDiscover_IsReadOnly(t *testing.T) {
	base := realTemp(t)
	mkdirs(t, filepath.Join(base, "proj", ".git"))
	if _, err := Discover(filepath.Join(base, "proj")); !errors.Is(err, ErrNoRepo) {
		t.Fatalf("err = %v, want ErrNoRepo", err)
	}
	if _, err := os.Stat(filepath.Join(base, "proj", ".heddle")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Discover created .heddle in a git repo (heddle itself would; we must not): %v", err)
	}
}

func FuzzParsePointer(f *testing.F) {
	for _, s := range []string{"objectstore: /a/b/.heddle\n", "source-authority: git-overlay\nobjectstore: /x\n", "", "objectstore:"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePointer(data)
		if err == nil && !filepath.IsAbs(p) {
			t.Fatalf("accepted non-absolute path %q from %q", p, data)
		}
	})
}
