package daemonlink

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/heddle-ls/heddle-ls/heddle"
)

func TestNoRepoStatus_BadPointerSaysHowToRepair(t *testing.T) {
	wt := t.TempDir()
	if err := os.MkdirAll(filepath.Join(wt, ".heddle"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(wt, ".heddle", "objectstore"), []byte("objectstore: relative\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := heddle.Discover(wt)
	st := NoRepoStatus(err)
	if st.State != StateNoRepo || st.Reason != ReasonBadPointer || st.Hint == "" {
		t.Fatalf("NoRepoStatus = %+v", st)
	}
}
