package daemonlink

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/heddle-ls/heddle-ls/internal/clip"
)

// Pidfile is the parsed content of <heddle_dir>/sockets/grpc.pid.
type Pidfile struct {
	PID       int
	StartSecs int64 // 0 for the legacy form
	Legacy    bool  // a bare pid, as written by heddle before the 3-line format
}

// pidfileMarker is the second line of heddle's pidfile.
const pidfileMarker = "heddle-agent"

// maxPidfileBytes caps a pidfile read. The real file is under 40 bytes; the
// file lives in a repository and is untrusted input.
const maxPidfileBytes = 4096

// ErrPidfileInvalid marks a pidfile that exists but cannot be trusted.
var ErrPidfileInvalid = errors.New("invalid pidfile")

// PidfileError says why a pidfile cannot be trusted; it matches
// ErrPidfileInvalid with errors.Is.
type PidfileError struct {
	Path  string
	Cause string // e.g. `foreign marker "nginx"`, "not a regular file"
}

func (e *PidfileError) Error() string {
	return fmt.Sprintf("invalid pidfile %s: %s", e.Path, e.Cause)
}

func (e *PidfileError) Unwrap() error { return ErrPidfileInvalid }

// ReadPidfile reads and parses a pidfile. A missing file returns an error
// satisfying errors.Is(err, fs.ErrNotExist); anything unusable wraps
// ErrPidfileInvalid.
//
// The file is opened non-blocking and must be a regular file: a FIFO or a
// device planted at the path must not hang or flood the server.
func ReadPidfile(path string) (Pidfile, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return Pidfile{}, fmt.Errorf("read pidfile: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Pidfile{}, fmt.Errorf("read pidfile %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return Pidfile{}, &PidfileError{Path: path, Cause: fmt.Sprintf("not a regular file (%s)", fi.Mode().Type())}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxPidfileBytes+1))
	if err != nil {
		return Pidfile{}, fmt.Errorf("read pidfile %s: %w", path, err)
	}
	if len(data) > maxPidfileBytes {
		return Pidfile{}, &PidfileError{Path: path, Cause: fmt.Sprintf("larger than %d bytes", maxPidfileBytes)}
	}
	pf, err := ParsePidfile(data)
	if err != nil {
		return Pidfile{}, &PidfileError{Path: path, Cause: err.Error()}
	}
	return pf, nil
}

// ParsePidfile parses heddle's pidfile: three LF-terminated lines (pid, the
// marker "heddle-agent", start time in unix seconds), each trimmed, extra
// lines ignored. A lone integer is accepted as the legacy form (heddle
// v0.2.0's client still reads it; later releases read it as absent — we
// prefer to show such a daemon rather than hide it, and the liveness and
// identity checks that follow apply to it all the same).
func ParsePidfile(data []byte) (Pidfile, error) {
	if len(data) == 0 {
		return Pidfile{}, errors.New("empty")
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return Pidfile{}, errors.New("binary content")
	}
	lines := strings.Split(string(data), "\n")
	pid, err := parsePID(strings.TrimSpace(lines[0]))
	if err != nil {
		return Pidfile{}, err
	}
	rest := strings.TrimSpace(strings.Join(lines[1:], "\n"))
	if rest == "" {
		return Pidfile{PID: pid, Legacy: true}, nil
	}
	if len(lines) < 3 || strings.TrimSpace(lines[2]) == "" {
		return Pidfile{}, errors.New("missing start-time line")
	}
	if marker := strings.TrimSpace(lines[1]); marker != pidfileMarker {
		return Pidfile{}, fmt.Errorf("foreign marker %q (want %q)", clip.String(marker, 40), pidfileMarker)
	}
	start, err := strconv.ParseInt(strings.TrimSpace(lines[2]), 10, 64)
	if err != nil {
		return Pidfile{}, fmt.Errorf("start time %q is not an integer", clip.String(strings.TrimSpace(lines[2]), 40))
	}
	return Pidfile{PID: pid, StartSecs: start}, nil
}

// parsePID accepts what heddle writes: a positive i32.
func parsePID(s string) (int, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("pid %q is not an integer", clip.String(s, 40))
	}
	if n <= 0 || n > math.MaxInt32 {
		return 0, fmt.Errorf("pid %d out of range", n)
	}
	return int(n), nil
}
