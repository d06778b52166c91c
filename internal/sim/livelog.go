package sim

import (
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
)

// liveLog is a daemon's view of its repository's log: the seeded operations,
// plus those appended to the oplog since (see oplog.go). Each query reads the
// fixed headers of the two published files (generation and head id) and
// re-reads the oplog only when one of them changed, so the daemon answers
// with an append as soon as it is published, with no watcher and no timer.
// (A stat would not do: a renamed-in file may reuse the inode, size and
// coarse mtime of the one it replaced.)
type liveLog struct {
	heddleDir string
	rec       LogRecord
	log       *slog.Logger

	mu   sync.Mutex   // guards key and ops
	key  [2]headerKey // manifest, oplog.bin at the last load
	ops  []*heddlev1.OperationHit
	good bool // ops reflects key
}

// headerKey is a published file's fixed header (magic, version, generation
// or record schema, entry count, head id), zero when the file is missing.
type headerKey [36]byte

func keyOf(path string) headerKey {
	var k headerKey
	f, err := os.Open(path)
	if err != nil {
		return k
	}
	defer f.Close()
	_, _ = io.ReadFull(f, k[:]) // a short file leaves zeros: still a key
	return k
}

func newLiveLog(heddleDir string, rec LogRecord, log *slog.Logger) *liveLog {
	return &liveLog{heddleDir: heddleDir, rec: rec, log: log, ops: SeedOperations(rec.Seed, rec.Ops)}
}

// operations returns the current log, ascending by seq. The slice and its
// elements are shared and must not be modified. A log that cannot be read
// keeps the last good answer (and is logged), as a daemon keeps serving its
// in-memory index.
func (l *liveLog) operations() []*heddlev1.OperationHit {
	key := [2]headerKey{keyOf(ManifestPath(l.heddleDir)), keyOf(OplogBinPath(l.heddleDir))}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.good && key == l.key {
		return l.ops
	}
	ops, err := operationsOf(l.heddleDir, l.rec)
	if err != nil {
		l.log.Warn("oplog unreadable; serving the last good log", "err", err)
		return l.ops
	}
	l.key, l.ops, l.good = key, ops, true
	return ops
}
