// Package oplog reports, live, that a repository's operation log has
// published new operations, and the head id it published, read from the
// oplog's own header. heddle publishes by renaming a complete file onto
// oplog/oplog.manifest (V5, heddle ≥ 0.12) or oplog/oplog.bin (V4, before):
// a create or rename onto either is a change; its temp files, segments and
// quarantine are not, and nothing else in the heddle dir (state/ churns on
// every heddle status) is looked at. It knows nothing of LSP.
package oplog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// The files that publish, in <heddle_dir>/oplog/.
const (
	ManifestFile = "oplog.manifest" // V5: authoritative when present
	PackedFile   = "oplog.bin"      // V4; in V5 the initial base
)

// Dir is the oplog directory of a heddle dir.
func Dir(heddleDir string) string { return filepath.Join(heddleDir, "oplog") }

// Header layouts (all integers little-endian), from heddle's source:
//
//	manifest  "HDOPV5\0\0", u32 version (2), u64 generation, u64 entry_count, u64 head_id, …
//	packed    "LMOPLOG\0", u32 version, [u32 record schema, from version 4], u64 entry_count, u64 head_id, …
const (
	manifestVersion  = 2
	manifestHeadAt   = 28
	packedV4HeadAt   = 24 // after the record-schema field
	packedOldHeadAt  = 20 // versions 2 and 3
	maxHeaderBytes   = 36 // the most any header read needs
	latestPackedVers = 4
)

var (
	manifestMagic = []byte("HDOPV5\x00\x00")
	packedMagic   = []byte("LMOPLOG\x00")
)

// state is what the publishing files look like now: enough to tell one
// publication from the next, and to read the head id from.
type state struct{ manifest, packed file }

type file struct {
	exists bool
	dev    uint64
	ino    uint64
	size   int64
	mtime  int64 // ns
	ctime  int64 // ns
	header [maxHeaderBytes]byte
	n      int // header bytes read
	ok     bool
}

func readState(dir string) state {
	return state{manifest: readFile(filepath.Join(dir, ManifestFile)), packed: readFile(filepath.Join(dir, PackedFile))}
}

// readFile reads a file's identity and the start of its header. It opens
// without following a symlink and without waiting on a FIFO (O_NONBLOCK),
// and reads no more than the header: the file is untrusted input.
func readFile(path string) file {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		// Missing; or there but not readable (ELOOP for a symlink): it
		// exists, with no header.
		return file{exists: !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR)}
	}
	defer f.Close()
	out := file{exists: true}
	fi, err := f.Stat()
	if err != nil {
		return out
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		out.dev, out.ino = st.Dev, st.Ino
		out.ctime = st.Ctim.Nano()
	}
	out.size, out.mtime = fi.Size(), fi.ModTime().UnixNano()
	if !fi.Mode().IsRegular() {
		return out
	}
	out.n, err = io.ReadFull(f, out.header[:])
	out.ok = err == nil || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
	return out
}

func (s state) head() (uint64, bool) {
	if s.manifest.exists {
		return s.manifest.manifestHead()
	}
	return s.packed.packedHead()
}

func (f file) u32(at int) (uint32, bool) {
	if !f.ok || f.n < at+4 {
		return 0, false
	}
	return binary.LittleEndian.Uint32(f.header[at:]), true
}

func (f file) u64(at int) (uint64, bool) {
	if !f.ok || f.n < at+8 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(f.header[at:]), true
}

func (f file) manifestHead() (uint64, bool) {
	if !f.ok || !bytes.HasPrefix(f.header[:f.n], manifestMagic) {
		return 0, false
	}
	if v, ok := f.u32(8); !ok || v != manifestVersion {
		return 0, false // a layout heddle-ls does not know
	}
	return f.u64(manifestHeadAt)
}

func (f file) packedHead() (uint64, bool) {
	if !f.ok || !bytes.HasPrefix(f.header[:f.n], packedMagic) {
		return 0, false
	}
	v, ok := f.u32(8)
	switch {
	case !ok:
		return 0, false
	case v == latestPackedVers:
		return f.u64(packedV4HeadAt)
	case v == 2 || v == 3:
		return f.u64(packedOldHeadAt)
	}
	return 0, false
}
