package oplog_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/heddle-ls/heddle-ls/oplog"
)

func TestReadHead(t *testing.T) {
	type tc struct {
		name     string
		manifest []byte // nil: none
		packed   []byte // nil: none
		head     uint64
		ok       bool
	}
	good := manifestBytes(3, 42)
	badVersion := append([]byte(nil), good...)
	badVersion[8] = 3
	cases := []tc{
		{"nothing", nil, nil, 0, false},
		{"V5 manifest", good, packedBytes(4, 9), 42, true},
		{"manifest header only", good[:36], nil, 42, true},
		{"truncated manifest", good[:30], packedBytes(4, 9), 0, false},
		{"manifest of an unknown version (authoritative all the same)", badVersion, packedBytes(4, 9), 0, false},
		{"garbage manifest", []byte("HDOPV4\x00\x00garbage-garbage-garbage-garbage"), packedBytes(4, 9), 0, false},
		{"empty manifest", []byte{}, packedBytes(4, 9), 0, false},
		{"V4 oplog.bin (record schema field)", nil, packedBytes(4, 9), 9, true},
		{"V3 oplog.bin", nil, packedBytes(3, 8), 8, true},
		{"V2 oplog.bin", nil, packedBytes(2, 5), 5, true},
		{"oplog.bin of an unknown version", nil, packedBytes(5, 5), 0, false},
		{"garbage oplog.bin", nil, []byte("not an oplog at all, not at all"), 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hd := newHeddleDir(t, true)
			for name, data := range map[string][]byte{oplog.ManifestFile: c.manifest, oplog.PackedFile: c.packed} {
				if data != nil {
					publish(t, oplog.Dir(hd), name, data)
				}
			}
			head, ok := oplog.ReadHead(hd)
			if head != c.head || ok != c.ok {
				t.Fatalf("ReadHead = %d, %v; want %d, %v", head, ok, c.head, c.ok)
			}
		})
	}
}

// Untrusted files: only the header is read, a symlink is not followed, a
// FIFO is not waited on.
func TestReadHead_UntrustedFiles(t *testing.T) {
	hd := newHeddleDir(t, true)
	manifest := filepath.Join(oplog.Dir(hd), oplog.ManifestFile)

	f, err := os.Create(manifest)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(manifestBytes(1, 77))
	if err := f.Truncate(64 << 30); err != nil { // sparse: 64 GiB
		t.Fatal(err)
	}
	f.Close()
	if head, ok := oplog.ReadHead(hd); !ok || head != 77 {
		t.Fatalf("huge manifest: %d, %v; want 77 from its header", head, ok)
	}

	os.Remove(manifest)
	target := filepath.Join(t.TempDir(), "elsewhere")
	os.WriteFile(target, manifestBytes(1, 5), 0o644)
	if err := os.Symlink(target, manifest); err != nil {
		t.Fatal(err)
	}
	if head, ok := oplog.ReadHead(hd); ok {
		t.Fatalf("a symlinked manifest was followed: head %d", head)
	}

	os.Remove(manifest)
	if err := syscall.Mkfifo(manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	publish(t, oplog.Dir(hd), oplog.PackedFile, packedBytes(4, 3))
	if head, ok := oplog.ReadHead(hd); ok {
		t.Fatalf("a FIFO manifest gave head %d (and must not block)", head)
	}
}
