package oplog_test

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/heddle-ls/heddle-ls/oplog"
)

// Publishing as heddle does: a complete file written beside its target
// under a temp name, then renamed onto it.

var tmpCounter atomic.Int64

func manifestBytes(generation, head uint64) []byte {
	b := []byte("HDOPV5\x00\x00")
	b = binary.LittleEndian.AppendUint32(b, 2)
	b = binary.LittleEndian.AppendUint64(b, generation)
	b = binary.LittleEndian.AppendUint64(b, head) // entry_count
	b = binary.LittleEndian.AppendUint64(b, head)
	base := "oplog.bin"
	b = binary.LittleEndian.AppendUint32(b, uint32(len(base)))
	b = append(b, base...)
	return binary.LittleEndian.AppendUint32(b, 0) // no segments
}

// packedBytes is a pre-V5 oplog.bin header (and no entries, which is all
// a reader of the head needs).
func packedBytes(version uint32, head uint64) []byte {
	b := []byte("LMOPLOG\x00")
	b = binary.LittleEndian.AppendUint32(b, version)
	if version >= 4 {
		b = binary.LittleEndian.AppendUint32(b, 7) // record schema
	}
	b = binary.LittleEndian.AppendUint64(b, head)
	return binary.LittleEndian.AppendUint64(b, head)
}

// publish renames data onto oplogDir/name from a temp file named as heddle
// names its own.
func publish(tb testing.TB, oplogDir, name string, data []byte) {
	tb.Helper()
	tmp := filepath.Join(oplogDir, fmt.Sprintf(".%s.tmp-%d-%d-%d", name, os.Getpid(), 1, tmpCounter.Add(1)))
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(oplogDir, name)); err != nil {
		tb.Fatal(err)
	}
}

// publishHead publishes a V5 manifest with head id head, with a new
// segment first, as heddle ≥ 0.12 appends.
func publishHead(tb testing.TB, heddleDir string, head uint64) {
	tb.Helper()
	dir := oplog.Dir(heddleDir)
	segs := filepath.Join(dir, "oplog.segments")
	if err := os.MkdirAll(segs, 0o755); err != nil {
		tb.Fatal(err)
	}
	seg := filepath.Join(segs, fmt.Sprintf("segment-l00-%020d-%020d-g%020d.bin", head, head, head))
	if err := os.WriteFile(seg, []byte("segment"), 0o644); err != nil {
		tb.Fatal(err)
	}
	publish(tb, dir, oplog.ManifestFile, manifestBytes(head, head))
}

// newHeddleDir makes a heddle dir with an oplog directory (when withOplog).
func newHeddleDir(tb testing.TB, withOplog bool) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), ".heddle")
	sub := filepath.Join(dir, "objects")
	if withOplog {
		sub = oplog.Dir(dir)
	}
	if err := os.MkdirAll(sub, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}
