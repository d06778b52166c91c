package daemonlink

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestParsePidfile(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Pidfile
		wantErr string
	}{
		{"three lines", "4321\nheddle-agent\n1700000000\n", Pidfile{PID: 4321, StartSecs: 1700000000}, ""},
		{"no final newline", "4321\nheddle-agent\n1700000000", Pidfile{PID: 4321, StartSecs: 1700000000}, ""},
		{"lines trimmed", "  4321 \r\n heddle-agent\t\n 17 \n", Pidfile{PID: 4321, StartSecs: 17}, ""},
		{"extra lines ignored", "7\nheddle-agent\n1\nmore\nstuff\n", Pidfile{PID: 7, StartSecs: 1}, ""},
		{"legacy bare pid", "4321\n", Pidfile{PID: 4321, Legacy: true}, ""},
		{"legacy without newline", "4321", Pidfile{PID: 4321, Legacy: true}, ""},
		{"empty", "", Pidfile{}, "empty"},
		{"blank", "\n\n", Pidfile{}, "not an integer"},
		{"foreign marker", "4321\nnginx\n1700000000\n", Pidfile{}, "foreign marker"},
		{"missing start line", "4321\nheddle-agent\n", Pidfile{}, "missing start-time"},
		{"bad start", "4321\nheddle-agent\nyesterday\n", Pidfile{}, "start time"},
		{"negative pid", "-1\nheddle-agent\n1\n", Pidfile{}, "out of range"},
		{"zero pid", "0\n", Pidfile{}, "out of range"},
		{"pid beyond i32", "2147483648\nheddle-agent\n1\n", Pidfile{}, "not an integer"},
		{"garbage", "hello world", Pidfile{}, "not an integer"},
		{"binary", "12\x00\x01\x02", Pidfile{}, "binary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePidfile([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParsePidfile(%q) error = %v, want containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParsePidfile(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestReadPidfile_MissingIsNotExist(t *testing.T) {
	_, err := ReadPidfile(filepath.Join(t.TempDir(), "grpc.pid"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
}

func TestReadPidfile_HugeIsInvalid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "grpc.pid")
	big := strings.Repeat("1", 3<<20)
	if err := os.WriteFile(path, []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ReadPidfile(path)
	if !errors.Is(err, ErrPidfileInvalid) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v, want ErrPidfileInvalid (too large)", err)
	}
}

func TestReadPidfile_FIFODoesNotBlock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "grpc.pid")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	_, err := ReadPidfile(path) // must return at once, not wait for a writer
	if !errors.Is(err, ErrPidfileInvalid) || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("err = %v, want ErrPidfileInvalid (not a regular file)", err)
	}
}

func FuzzParsePidfile(f *testing.F) {
	for _, s := range []string{"4321\nheddle-agent\n1700000000\n", "4321", "", "x\ny\nz", "1\nheddle-agent\n-5\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pf, err := ParsePidfile(data)
		if err == nil && (pf.PID <= 0) {
			t.Fatalf("accepted pid %d from %q", pf.PID, data)
		}
		if err == nil && !pf.Legacy && !strings.Contains(string(data), pidfileMarker) {
			t.Fatalf("accepted a 3-line pidfile without the marker: %q", data)
		}
	})
}
