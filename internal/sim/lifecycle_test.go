package sim

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParsePidfile(t *testing.T) {
	tests := []struct {
		in      string
		want    Pidfile
		wantErr bool
	}{
		{"4321\nheddle-agent\n1700000000\n", Pidfile{4321, 1700000000}, false},
		{"  4321 \n heddle-agent\t\n1700000000\nextra\nlines\n", Pidfile{4321, 1700000000}, false},
		{"4321\nheddle-agent\n1700000000", Pidfile{4321, 1700000000}, false},
		{"4321\n", Pidfile{}, true},
		{"4321\nsomething-else\n1700000000\n", Pidfile{}, true},
		{"x\nheddle-agent\n1700000000\n", Pidfile{}, true},
		{"-5\nheddle-agent\n1700000000\n", Pidfile{}, true},
		{"4294967296\nheddle-agent\n1700000000\n", Pidfile{}, true}, // not an i32
		{"4321\nheddle-agent\nnow\n", Pidfile{}, true},
		{"", Pidfile{}, true},
	}
	for _, tt := range tests {
		got, err := ParsePidfile([]byte(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParsePidfile(%q) = %+v, %v; want %+v, err=%t", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrForeignPidfile) {
			t.Errorf("ParsePidfile(%q) error %v is not ErrForeignPidfile", tt.in, err)
		}
	}
	round, err := ParsePidfile(FormatPidfile(99, time.Unix(1234, 0)))
	if err != nil || round != (Pidfile{99, 1234}) {
		t.Errorf("round trip = %+v, %v", round, err)
	}
}

func TestPrepareRepo(t *testing.T) {
	base := t.TempDir()
	main := filepath.Join(base, "main")
	dir, err := PrepareRepo(main)
	if err != nil || dir != filepath.Join(main, ".heddle") {
		t.Fatalf("PrepareRepo(new dir) = %s, %v", dir, err)
	}
	if st, err := os.Stat(filepath.Join(dir, "objects")); err != nil || !st.IsDir() {
		t.Fatalf("objects/ not created: %v", err)
	}

	wt := filepath.Join(base, "wt")
	if err := os.MkdirAll(filepath.Join(wt, ".heddle"), 0o755); err != nil {
		t.Fatal(err)
	}
	pointer := "source-authority: native\nobjectstore: " + dir + "\n"
	if err := os.WriteFile(filepath.Join(wt, ".heddle", "objectstore"), []byte(pointer), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := PrepareRepo(wt)
	if want, _ := filepath.EvalSymlinks(dir); err != nil || got != want {
		t.Errorf("PrepareRepo(worktree) = %s, %v; want %s", got, err, want)
	}

	bad := filepath.Join(base, "bad")
	if err := os.MkdirAll(filepath.Join(bad, ".heddle"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, ".heddle", "objectstore"), []byte("objectstore: "+base+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := PrepareRepo(bad); err == nil || !strings.Contains(err.Error(), "objects") {
		t.Errorf("pointer to a dir without objects/: err = %v", err)
	}
}

func TestLooksLikeHeddle(t *testing.T) {
	// This test binary is sim.test: alive, but not heddle.
	if LooksLikeHeddle(os.Getpid()) {
		t.Error("sim.test looks like heddle")
	}
	if LooksLikeHeddle(2147483646) {
		t.Error("a dead pid looks like heddle")
	}
}
