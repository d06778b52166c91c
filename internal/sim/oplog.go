package sim

// The repository's operation log on disk, shared by heddle-sim's daemon and
// its heddle CLI, so both answer from the same log:
//
//   - <heddle_dir>/heddle-sim.json records the seed and the number of seeded
//     operations ({"seed":1,"ops":120}); the daemon writes it when it starts,
//     and without it the log is DefaultOptions' (seed 1, 120 operations).
//     Seeded operations 1..ops are never stored: SeedOperation computes them.
//   - <heddle_dir>/oplog/ holds the operations appended after them, published
//     the way heddle publishes its oplog (heddle-cli-facts §5): up to v0.11
//     (V4) by rewriting oplog.bin into a temp file renamed over it; from v0.12
//     (V5) by writing a new immutable segment under oplog.segments/, then a
//     temp file renamed onto oplog.manifest. The manifest is heddle's V5 manifest
//     byte for byte; containers (oplog.bin, bases, segments) carry heddle's V4
//     container header, then heddle-sim's own payload (a marker line and one
//     JSON line per appended entry) where heddle has its record encoding and
//     index footer.

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
)

// OplogFormat is how a heddle release publishes its oplog: renaming a new
// oplog.bin over the old one (V4, v0.10.1–v0.11.x) or a new segment and
// manifest (V5, v0.12.0 on), and the record schema its containers declare
// (3 at v0.10.1, 4 from v0.10.3).
type OplogFormat struct {
	Manifest     bool
	RecordSchema uint32
	// SweepGrace is how old a container no manifest lists must be before
	// an append removes it: v0.12.0 removes it at once, v0.13.0 and later
	// keep it 60 s for readers still following the previous manifest.
	SweepGrace time.Duration
}

var (
	OplogV4 = OplogFormat{Manifest: false, RecordSchema: 4}                              // v0.10.3–v0.11.x (v0.10.1: schema 3)
	OplogV5 = OplogFormat{Manifest: true, RecordSchema: 4, SweepGrace: 60 * time.Second} // v0.13.0 and later (v0.12.0: no grace)
)

// On-disk constants (heddle-cli-facts §5; the container version, read from
// heddle's source, is 4 in every release from v0.10.1 to v0.14.0).
const (
	containerMagic      = "LMOPLOG\x00"
	containerVersion    = 4
	containerHeaderLen  = 8 + 4 + 4 + 8 + 8
	manifestMagic       = "HDOPV5\x00\x00"
	manifestVersion     = 2
	maxManifestSegments = 64
	simPayloadMarker    = "heddle-sim oplog 1\n"
	// maxContainerBytes caps what a reader loads from one file.
	maxContainerBytes = 256 << 20
)

// LogRecord is the content of heddle-sim.json.
type LogRecord struct {
	Seed int64 `json:"seed"`
	Ops  int   `json:"ops"`
}

// Paths inside a heddle dir.
func RecordPath(heddleDir string) string { return filepath.Join(heddleDir, "heddle-sim.json") }
func OplogDir(heddleDir string) string   { return filepath.Join(heddleDir, "oplog") }
func ManifestPath(heddleDir string) string {
	return filepath.Join(OplogDir(heddleDir), "oplog.manifest")
}
func OplogBinPath(heddleDir string) string { return filepath.Join(OplogDir(heddleDir), "oplog.bin") }

// ReadRecord returns the repository's log record, or DefaultOptions' when
// there is none.
func ReadRecord(heddleDir string) (LogRecord, error) {
	data, err := os.ReadFile(RecordPath(heddleDir))
	if errors.Is(err, fs.ErrNotExist) {
		d := DefaultOptions()
		return LogRecord{Seed: d.Seed, Ops: d.Ops}, nil
	}
	if err != nil {
		return LogRecord{}, fmt.Errorf("read log record: %w", err)
	}
	var rec LogRecord
	if err := json.Unmarshal(data, &rec); err != nil || rec.Ops < 0 {
		return LogRecord{}, fmt.Errorf("log record %s is not {\"seed\":N,\"ops\":N}: %q", RecordPath(heddleDir), data)
	}
	return rec, nil
}

// WriteRecord makes rec the repository's log record. When it replaces a
// different one, the appended operations belonged to the old log and are
// removed (only files heddle-sim wrote: a real heddle oplog is never touched).
func WriteRecord(heddleDir string, rec LogRecord) error {
	old, err := os.ReadFile(RecordPath(heddleDir))
	data, _ := json.Marshal(rec)
	data = append(data, '\n')
	if err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err == nil {
		if err := resetOplog(heddleDir); err != nil {
			return err
		}
	}
	return WriteAtomic(RecordPath(heddleDir), data)
}

// Entry is one appended operation as stored: the fields a test may choose;
// the rest (operation id, state id, symbols, signals) are SeedOperation's.
type Entry struct {
	ID            uint64 `json:"id"`
	TimestampSecs int64  `json:"ts"`
	Verb          string `json:"verb"`
	Actor         string `json:"actor"`
	Thread        string `json:"thread"`
}

// operation is the entry as an operation of the log seeded by seed.
func (e Entry) operation(seed int64) *heddlev1.OperationHit {
	op := SeedOperation(seed, e.ID)
	op.TimestampSecs, op.Verb, op.ActorEmail, op.Thread = e.TimestampSecs, e.Verb, e.Actor, e.Thread
	return op
}

// LoadOperations returns the repository's whole log, ascending by seq: the
// seeded operations, then the appended ones.
func LoadOperations(heddleDir string) (LogRecord, []*heddlev1.OperationHit, error) {
	rec, err := ReadRecord(heddleDir)
	if err != nil {
		return rec, nil, err
	}
	ops, err := operationsOf(heddleDir, rec)
	return rec, ops, err
}

// operationsOf is the log of rec as published in heddleDir: the seeded
// operations, then the appended ones (checked by loadAppended). Both
// LoadOperations and a daemon's liveLog answer with it.
func operationsOf(heddleDir string, rec LogRecord) ([]*heddlev1.OperationHit, error) {
	st, err := loadAppended(heddleDir, rec)
	if err != nil {
		return nil, err
	}
	ops := SeedOperations(rec.Seed, rec.Ops)
	for _, e := range st.entries {
		ops = append(ops, e.operation(rec.Seed))
	}
	return ops, nil
}

// oplogState is the published oplog: the manifest (V5) or oplog.bin alone.
type oplogState struct {
	manifest *manifest // nil: no oplog.manifest
	entries  []Entry   // every appended entry, ascending
	// segments holds each manifest segment's entries, parallel to
	// manifest.segments, so that an append merging segments need not read
	// them again.
	segments [][]Entry
}

type manifest struct {
	generation uint64
	entryCount uint64
	headID     uint64
	base       string
	segments   []segmentRef
}

type segmentRef struct {
	level uint8
	path  string // relative to the oplog dir
}

// loadAppended reads the published oplog and checks that its entries
// continue the seeded log without a gap. It returns what it read, so that a
// writer works from the state it checked.
func loadAppended(heddleDir string, rec LogRecord) (oplogState, error) {
	st, err := readOplog(heddleDir)
	if err != nil {
		return oplogState{}, err
	}
	next := uint64(rec.Ops) + 1
	for _, e := range st.entries {
		if e.ID != next {
			return oplogState{}, fmt.Errorf("oplog in %s: entry %d where %d was due (the log record says %d seeded operations)",
				OplogDir(heddleDir), e.ID, next, rec.Ops)
		}
		next++
	}
	return st, nil
}

func readOplog(heddleDir string) (oplogState, error) {
	dir := OplogDir(heddleDir)
	data, err := readCapped(ManifestPath(heddleDir))
	switch {
	case err == nil:
		m, err := parseManifest(data)
		if err != nil {
			return oplogState{}, fmt.Errorf("oplog manifest %s: %w", ManifestPath(heddleDir), err)
		}
		base, err := readContainer(filepath.Join(dir, m.base))
		if err != nil {
			return oplogState{}, err
		}
		st := oplogState{manifest: &m, entries: base, segments: make([][]Entry, len(m.segments))}
		for i, s := range m.segments {
			entries, err := readContainer(filepath.Join(dir, s.path))
			if err != nil {
				return oplogState{}, err
			}
			st.segments[i] = entries
			st.entries = append(st.entries, entries...)
		}
		return st, nil
	case !errors.Is(err, fs.ErrNotExist):
		return oplogState{}, fmt.Errorf("read oplog manifest: %w", err)
	}
	entries, err := readContainer(OplogBinPath(heddleDir))
	if errors.Is(err, fs.ErrNotExist) {
		return oplogState{}, nil
	}
	return oplogState{entries: entries}, err
}

func segmentPaths(segs []segmentRef) []string {
	out := make([]string, len(segs))
	for i, s := range segs {
		out[i] = s.path
	}
	return out
}

// ReadHeadID returns the head id heddle readers take from the published
// oplog: the manifest's bytes 28..36, else oplog.bin's V4 header (bytes
// 24..32); 0 when there is neither.
func ReadHeadID(heddleDir string) (uint64, error) {
	if data, err := readCapped(ManifestPath(heddleDir)); err == nil {
		if len(data) < 36 || string(data[:8]) != manifestMagic {
			return 0, errors.New("not a V5 oplog manifest")
		}
		return binary.LittleEndian.Uint64(data[28:36]), nil
	}
	data, err := readCapped(OplogBinPath(heddleDir))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(data) < containerHeaderLen || string(data[:8]) != containerMagic {
		return 0, errors.New("not a V4 oplog container")
	}
	return binary.LittleEndian.Uint64(data[24:32]), nil
}

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxContainerBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxContainerBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxContainerBytes)
	}
	return data, nil
}

// encodeContainer is a V4 container header for count entries up to head,
// then heddle-sim's payload.
func encodeContainer(f OplogFormat, count, head uint64, entries []Entry) []byte {
	var b bytes.Buffer
	b.WriteString(containerMagic)
	b.Write(binary.LittleEndian.AppendUint32(nil, containerVersion))
	b.Write(binary.LittleEndian.AppendUint32(nil, f.RecordSchema))
	b.Write(binary.LittleEndian.AppendUint64(nil, count))
	b.Write(binary.LittleEndian.AppendUint64(nil, head))
	b.WriteString(simPayloadMarker)
	for _, e := range entries {
		line, _ := json.Marshal(e)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func readContainer(path string) ([]Entry, error) {
	data, err := readCapped(path)
	if err != nil {
		return nil, err
	}
	if !isSimContainer(data) {
		return nil, fmt.Errorf("%s is not an oplog container written by heddle-sim", path)
	}
	var entries []Entry
	sc := bufio.NewScanner(bytes.NewReader(data[containerHeaderLen+len(simPayloadMarker):]))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("%s: bad entry %q: %w", path, sc.Bytes(), err)
		}
		entries = append(entries, e)
	}
	return entries, sc.Err()
}

func isSimContainer(data []byte) bool {
	return len(data) >= containerHeaderLen+len(simPayloadMarker) &&
		string(data[:8]) == containerMagic &&
		string(data[containerHeaderLen:containerHeaderLen+len(simPayloadMarker)]) == simPayloadMarker
}

// EncodeManifest is a V5 manifest publishing head (generation, entry count
// and head id all head) that lists no containers: what a benchmark renames
// onto oplog.manifest to make watchers see a publication, which reads only
// the header. (heddle-sim's own readers refuse it: it has no base.)
func EncodeManifest(head uint64) []byte {
	return encodeManifest(manifest{generation: head, entryCount: head, headID: head})
}

func encodeManifest(m manifest) []byte {
	out := []byte(manifestMagic)
	out = binary.LittleEndian.AppendUint32(out, manifestVersion)
	out = binary.LittleEndian.AppendUint64(out, m.generation)
	out = binary.LittleEndian.AppendUint64(out, m.entryCount)
	out = binary.LittleEndian.AppendUint64(out, m.headID)
	out = appendString(out, m.base)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(m.segments)))
	for _, s := range m.segments {
		out = append(out, s.level)
		out = appendString(out, s.path)
	}
	return out
}

func appendString(out []byte, s string) []byte {
	return append(binary.LittleEndian.AppendUint32(out, uint32(len(s))), s...)
}

func parseManifest(data []byte) (manifest, error) {
	r := &byteReader{data: data}
	if string(r.next(8)) != manifestMagic {
		return manifest{}, errors.New("bad magic")
	}
	if v := r.u32(); v != manifestVersion {
		return manifest{}, fmt.Errorf("manifest version %d, want %d", v, manifestVersion)
	}
	m := manifest{generation: r.u64(), entryCount: r.u64(), headID: r.u64(), base: r.str()}
	n := r.u32()
	if n > maxManifestSegments {
		return manifest{}, fmt.Errorf("%d segments (at most %d)", n, maxManifestSegments)
	}
	for range n {
		level := r.next(1)
		m.segments = append(m.segments, segmentRef{level: level[0], path: r.str()})
	}
	switch {
	case r.err != nil:
		return manifest{}, r.err
	case r.off != len(data):
		return manifest{}, fmt.Errorf("%d trailing bytes", len(data)-r.off)
	}
	for _, p := range append([]string{m.base}, segmentPaths(m.segments)...) {
		if p == "" || filepath.IsAbs(p) || strings.Contains(p, "..") {
			return manifest{}, fmt.Errorf("container path %q escapes the oplog dir", p)
		}
	}
	return m, nil
}

// byteReader reads little-endian fields, remembering the first short read.
type byteReader struct {
	data []byte
	off  int
	err  error
}

func (r *byteReader) next(n int) []byte {
	if r.err != nil || n < 0 || r.off+n > len(r.data) {
		if r.err == nil {
			r.err = errors.New("truncated")
		}
		return make([]byte, max(n, 0))
	}
	b := r.data[r.off : r.off+n]
	r.off += n
	return b
}

func (r *byteReader) u32() uint32 { return binary.LittleEndian.Uint32(r.next(4)) }
func (r *byteReader) u64() uint64 { return binary.LittleEndian.Uint64(r.next(8)) }
func (r *byteReader) str() string { return string(r.next(int(r.u32()))) }

// AppendOperations appends count operations to the repository's log and
// publishes them in format, as a heddle writer does: under
// <heddle_dir>/locks/oplog.lock, each container written whole before the
// file that lists it is renamed into place. Entry i gets id head+i; its
// fields are SeedOperation's, except those set in override (a zero
// TimestampSecs or empty string keeps the seeded value). It returns the new
// head id.
func AppendOperations(heddleDir string, format OplogFormat, count int, override Entry) (uint64, error) {
	if count <= 0 {
		return 0, fmt.Errorf("count must be positive, got %d", count)
	}
	unlock, err := lockOplog(heddleDir)
	if err != nil {
		return 0, err
	}
	defer unlock()
	if _, err := os.Stat(RecordPath(heddleDir)); errors.Is(err, fs.ErrNotExist) {
		d := DefaultOptions()
		if err := WriteRecord(heddleDir, LogRecord{Seed: d.Seed, Ops: d.Ops}); err != nil {
			return 0, err
		}
	}
	rec, err := ReadRecord(heddleDir)
	if err != nil {
		return 0, err
	}
	st, err := loadAppended(heddleDir, rec)
	if err != nil {
		return 0, err
	}
	head := uint64(rec.Ops) + uint64(len(st.entries))
	added := make([]Entry, count)
	for i := range added {
		op := SeedOperation(rec.Seed, head+uint64(i)+1)
		e := Entry{ID: op.Seq, TimestampSecs: op.TimestampSecs, Verb: op.Verb, Actor: op.ActorEmail, Thread: op.Thread}
		if override.TimestampSecs != 0 {
			e.TimestampSecs = override.TimestampSecs
		}
		e.Verb = cmp.Or(override.Verb, e.Verb)
		e.Actor = cmp.Or(override.Actor, e.Actor)
		e.Thread = cmp.Or(override.Thread, e.Thread)
		added[i] = e
	}
	if err := os.MkdirAll(OplogDir(heddleDir), 0o755); err != nil {
		return 0, fmt.Errorf("create oplog dir: %w", err)
	}
	newHead := head + uint64(count)
	if format.Manifest {
		return newHead, publishV5(heddleDir, format, rec, st, added, newHead)
	}
	if st.manifest != nil {
		return 0, errors.New("the oplog has a V5 manifest: a V4 (pre-0.12) writer cannot append to it")
	}
	all := append(st.entries, added...)
	return newHead, WriteAtomic(OplogBinPath(heddleDir), encodeContainer(format, newHead, newHead, all))
}

// publishV5 writes the added entries as a new level-0 segment, merging equal
// levels at the tail like a binary counter (so a manifest lists at most
// log2(appends) segments), then swaps in a manifest that lists it.
func publishV5(heddleDir string, f OplogFormat, rec LogRecord, st oplogState, added []Entry, newHead uint64) error {
	dir := OplogDir(heddleDir)
	m := manifest{}
	if st.manifest != nil {
		m = *st.manifest
	} else {
		// The first V5 publication. The base is oplog.bin when a V4 writer
		// left one; otherwise a compacted base holding the seeded log goes
		// under oplog.segments/, so nothing but the manifest appears in
		// oplog/ itself.
		count := uint64(rec.Ops) + uint64(len(st.entries))
		m = manifest{entryCount: count, headID: count, base: "oplog.bin"}
		if _, err := os.Stat(OplogBinPath(heddleDir)); errors.Is(err, fs.ErrNotExist) {
			m.base = fmt.Sprintf("oplog.segments/base-%020d-g%020d.bin", count, 0)
			if err := writeContainerFile(dir, m.base, encodeContainer(f, count, count, st.entries)); err != nil {
				return err
			}
		}
	}
	m.generation++
	carry, level := added, uint8(0)
	perSegment := st.segments // nil on the first V5 publication: m lists no segments yet
	for len(m.segments) > 0 && m.segments[len(m.segments)-1].level == level {
		last := len(m.segments) - 1
		carry = append(append([]Entry(nil), perSegment[last]...), carry...)
		m.segments, perSegment = m.segments[:last], perSegment[:last]
		level++
	}
	start := carry[0].ID
	rel := fmt.Sprintf("oplog.segments/segment-l%02d-%020d-%020d-g%020d.bin", level, start, newHead, m.generation)
	if err := writeContainerFile(dir, rel, encodeContainer(f, uint64(len(carry)), newHead, carry)); err != nil {
		return err
	}
	m.segments = append(m.segments, segmentRef{level: level, path: rel})
	m.entryCount += uint64(len(added))
	m.headID = newHead
	if err := WriteAtomic(ManifestPath(heddleDir), encodeManifest(m)); err != nil {
		return err
	}
	sweepUnlisted(dir, m, f.SweepGrace)
	return nil
}

func writeContainerFile(oplogDir, rel string, data []byte) error {
	path := filepath.Join(oplogDir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	return WriteAtomic(path, data)
}

// sweepUnlisted removes heddle-sim containers under oplog.segments/ that
// the manifest no longer lists, once they are grace old.
func sweepUnlisted(oplogDir string, m manifest, grace time.Duration) {
	live := map[string]bool{m.base: true}
	for _, s := range m.segments {
		live[s.path] = true
	}
	segDir := filepath.Join(oplogDir, "oplog.segments")
	names, _ := os.ReadDir(segDir)
	for _, de := range names {
		rel := "oplog.segments/" + de.Name()
		info, err := de.Info()
		if live[rel] || err != nil || !info.Mode().IsRegular() || time.Since(info.ModTime()) < grace {
			continue
		}
		if data, err := readCapped(filepath.Join(segDir, de.Name())); err == nil && isSimContainer(data) {
			os.Remove(filepath.Join(segDir, de.Name()))
		}
	}
}

// resetOplog removes the published log heddle-sim wrote (the appended
// operations of a log whose record is being replaced).
func resetOplog(heddleDir string) error {
	dir := OplogDir(heddleDir)
	var victims []string
	if data, err := readCapped(OplogBinPath(heddleDir)); err == nil {
		if !isSimContainer(data) {
			return fmt.Errorf("%s was not written by heddle-sim: refusing to replace its log", OplogBinPath(heddleDir))
		}
		victims = append(victims, OplogBinPath(heddleDir))
	}
	segDir := filepath.Join(dir, "oplog.segments")
	names, _ := os.ReadDir(segDir)
	for _, de := range names {
		p := filepath.Join(segDir, de.Name())
		if data, err := readCapped(p); err == nil && isSimContainer(data) {
			victims = append(victims, p)
		}
	}
	// The manifest goes first, so no reader ever sees one that lists a
	// removed container.
	victims = append([]string{ManifestPath(heddleDir)}, victims...)
	return RemoveFiles(victims...)
}

// lockOplog takes heddle's writer lock, <heddle_dir>/locks/oplog.lock.
func lockOplog(heddleDir string) (func(), error) {
	dir := filepath.Join(heddleDir, "locks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create locks dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "oplog.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open oplog lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock oplog: %w", err)
	}
	return func() { f.Close() }, nil
}

var tempCounter atomic.Uint64

// WriteAtomic writes data into .<name>.tmp-<pid>-<nanos>-<counter> beside
// path (heddle's temp naming, which oplog and state-dir watchers ignore),
// fsyncs it, renames it onto path and fsyncs the directory. Every file
// heddle-sim publishes (oplog, log record, simmount's heddled files) goes
// through it, so all share one naming and one counter.
func WriteAtomic(path string, data []byte) error {
	// Dir and Base rather than Split: a bare file name's dir is ".", which
	// can be opened for the directory fsync.
	dir, name := filepath.Dir(path), filepath.Base(path)
	tmp := filepath.Join(dir, fmt.Sprintf(".%s.tmp-%d-%d-%d", name, os.Getpid(), time.Now().UnixNano(), tempCounter.Add(1)))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(data)
	err = errors.Join(err, f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
