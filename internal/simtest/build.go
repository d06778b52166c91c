// Package simtest runs real heddle-sim daemons for tests: it builds
// cmd/heddle-sim once per test binary, makes short-pathed heddle repos, and
// starts, signals and stops daemon processes, waiting on events (the
// daemon's own "ready" line, process exit) with deadlines, never on sleeps.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { simtest.Main(m) }
package simtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	buildDir  string // holds the built binaries; removed by Main
	simPath   string
	buildErr  error
)

// Main builds heddle-sim, runs the tests, removes the build and exits.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main without the exit, for a TestMain with cleanup of its own.
func Run(m *testing.M) int {
	defer cleanupBuild()
	if _, err := binary(); err != nil {
		fmt.Fprintf(os.Stderr, "simtest: %v\n", err)
		return 1
	}
	return m.Run()
}

// BinaryPath returns the path of the built heddle-sim, building it on first
// use. Without simtest.Main in TestMain the build directory is left behind
// in the temp dir.
func BinaryPath(tb testing.TB) string {
	tb.Helper()
	p, err := binary()
	if err != nil {
		tb.Fatalf("simtest: %v", err)
	}
	return p
}

func binary() (string, error) {
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "simtest-bin")
		if buildErr != nil {
			buildErr = fmt.Errorf("make build dir: %w", buildErr)
			return
		}
		simPath, buildErr = BuildBinary(buildDir, "./cmd/heddle-sim")
	})
	return simPath, buildErr
}

func cleanupBuild() {
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}

// BuildBinary builds the main package pkg (a path relative to the module
// root, e.g. "./cmd/heddle-ls") into dir, with extra build flags, and
// returns the binary's path.
func BuildBinary(dir, pkg string, flags ...string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command(goTool(), append(append([]string{"build", "-o", out}, flags...), pkg)...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, stderr.String())
	}
	return out, nil
}

// ModuleRoot is the directory of the enclosing module's go.mod, found by
// walking up from the working directory (a test runs in its package dir).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("find module root: no go.mod above %s", dir)
		}
		dir = parent
	}
}

// goTool is the go command that runs these tests, falling back to PATH.
func goTool() string {
	if root := strings.TrimSpace(os.Getenv("GOROOT")); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
