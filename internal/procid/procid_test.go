package procid

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/procwatch"
	"github.com/heddle-ls/heddle-ls/internal/simtest"
)

func TestCheck(t *testing.T) {
	heddle := simtest.Sleeper(t, "heddle", -1)
	if info, err := Check(heddle.Process.Pid); err != nil || filepath.Base(info.Name()) != "heddle" {
		t.Fatalf("a live process named heddle: %+v, %v", info, err)
	}
	sleep := simtest.Sleeper(t, "", -1)
	if _, err := Check(sleep.Process.Pid); !errors.Is(err, ErrNotHeddle) {
		t.Fatalf("sleep: err = %v, want ErrNotHeddle", err)
	}
	for _, pid := range []int{0, -1, -os.Getpid()} {
		if _, err := Check(pid); !errors.Is(err, ErrDead) {
			t.Fatalf("pid %d: err = %v, want ErrDead (and no signal to a process group)", pid, err)
		}
	}
}

// An exited child that its parent has not reaped yet still answers
// kill(pid, 0); it is dead all the same.
func TestCheck_ZombieIsDead(t *testing.T) {
	z := simtest.Sleeper(t, "heddle", -1)
	exited := make(chan struct{})
	w, err := procwatch.Start(z.Process.Pid, func() { close(exited) })
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	z.Process.Signal(syscall.SIGKILL)
	select {
	case <-exited: // a pidfd is readable once the child is a zombie
	case <-time.After(10 * time.Second):
		t.Fatal("the killed child never exited")
	}
	if !isZombie("/proc/" + strconv.Itoa(z.Process.Pid)) {
		t.Fatal("the exited, unreaped child is not shown as a zombie")
	}
	if _, err := Check(z.Process.Pid); !errors.Is(err, ErrDead) {
		t.Fatalf("zombie: err = %v, want ErrDead", err)
	}
}

// A process reaped while it is being identified is dead, not "not heddle":
// identify on the /proc dir of a reaped process (what Check sees when the
// reaping falls between its kill(pid, 0) and its reads).
func TestIdentify_ReapedMeanwhileIsDead(t *testing.T) {
	p := exec.Command("true")
	if err := p.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := identify("/proc/" + strconv.Itoa(p.Process.Pid)); !errors.Is(err, ErrDead) {
		t.Fatalf("identify of a reaped process = %v, want ErrDead", err)
	}
}

func TestCheck_OtherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to start a process as another user")
	}
	other := simtest.Sleeper(t, "heddle", 65534)
	if _, err := Check(other.Process.Pid); !errors.Is(err, ErrOtherUser) {
		t.Fatalf("another user's heddle: err = %v, want ErrOtherUser", err)
	}
}
