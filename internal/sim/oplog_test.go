package sim

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
)

func tempHeddleDir(t *testing.T, rec LogRecord) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), ".heddle")
	if err := os.MkdirAll(filepath.Join(dir, "objects"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteRecord(dir, rec); err != nil {
		t.Fatal(err)
	}
	return dir
}

func mustAppend(t *testing.T, dir string, f OplogFormat, n int, e Entry) uint64 {
	t.Helper()
	head, err := AppendOperations(dir, f, n, e)
	if err != nil {
		t.Fatalf("AppendOperations: %v", err)
	}
	return head
}

// holdOpen opens path for the rest of the test and returns its identity:
// the open file keeps its inode alive, so a file renamed onto path later
// can never reuse the number.
func holdOpen(t *testing.T, path string) os.FileInfo {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

func replaced(t *testing.T, path string, old os.FileInfo) bool {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return !os.SameFile(fi, old)
}

// oplogNames lists oplog/ and oplog.segments/, to prove no temp file stays.
func oplogNames(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	for _, d := range []string{OplogDir(dir), filepath.Join(OplogDir(dir), "oplog.segments")} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestAppend_V5PublishesAManifestLikeHeddle(t *testing.T) {
	dir := tempHeddleDir(t, LogRecord{Seed: 2, Ops: 10})
	if head := mustAppend(t, dir, OplogV5, 3, Entry{}); head != 13 {
		t.Fatalf("head = %d, want 13", head)
	}
	data, err := os.ReadFile(ManifestPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	if string(data[:8]) != "HDOPV5\x00\x00" || le.Uint32(data[8:12]) != 2 || le.Uint64(data[12:20]) != 1 ||
		le.Uint64(data[20:28]) != 13 || le.Uint64(data[28:36]) != 13 {
		t.Fatalf("manifest header = % x; want magic, version 2, generation 1, entry_count 13, head_id 13", data[:36])
	}
	if _, err := os.Stat(OplogBinPath(dir)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the first V5 publication must not create oplog.bin (its base goes under oplog.segments/): %v", err)
	}
	want := []string{"oplog.manifest", "oplog.segments",
		"base-00000000000000000010-g00000000000000000000.bin",
		"segment-l00-00000000000000000011-00000000000000000013-g00000000000000000001.bin"}
	if got := oplogNames(t, dir); !slices.Equal(got, want) {
		t.Fatalf("oplog files = %v, want %v", got, want)
	}
	before := holdOpen(t, ManifestPath(dir))

	// A second append merges the two level-0 segments into one at level 1
	// (a binary counter), a third adds a level-0 segment after it.
	mustAppend(t, dir, OplogV5, 1, Entry{})
	mustAppend(t, dir, OplogV5, 2, Entry{})
	st, err := readOplog(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := st.manifest
	if m.generation != 3 || m.headID != 16 || m.entryCount != 16 || len(m.segments) != 2 ||
		m.segments[0].level != 1 || m.segments[1].level != 0 {
		t.Fatalf("manifest = %+v; want generation 3, head 16, segments at levels [1 0]", *m)
	}
	if !replaced(t, ManifestPath(dir), before) {
		t.Fatal("the manifest was rewritten in place; heddle renames a new file onto it")
	}
	if head, err := ReadHeadID(dir); err != nil || head != 16 {
		t.Fatalf("ReadHeadID = %d, %v; want 16", head, err)
	}
	rec, ops, err := LoadOperations(dir)
	if err != nil || rec != (LogRecord{Seed: 2, Ops: 10}) || len(ops) != 16 {
		t.Fatalf("LoadOperations = %+v, %d ops, %v", rec, len(ops), err)
	}
	for i, op := range ops {
		if w := SeedOperation(2, uint64(i+1)); op.GetSeq() != w.GetSeq() || op.GetVerb() != w.GetVerb() ||
			op.GetOperationId() != w.GetOperationId() {
			t.Fatalf("op %d = %v, want %v", i, op, w)
		}
	}
}

func TestAppend_V4RenamesOverOplogBin(t *testing.T) {
	dir := tempHeddleDir(t, LogRecord{Seed: 1, Ops: 5})
	mustAppend(t, dir, OplogV4, 2, Entry{})
	first := holdOpen(t, OplogBinPath(dir))
	mustAppend(t, dir, OplogV4, 1, Entry{Verb: "snapshot", Actor: "x@example.com", Thread: "t", TimestampSecs: 42})
	data, err := os.ReadFile(OplogBinPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	if string(data[:8]) != "LMOPLOG\x00" || le.Uint32(data[8:12]) != 4 || le.Uint32(data[12:16]) != 4 ||
		le.Uint64(data[16:24]) != 8 || le.Uint64(data[24:32]) != 8 {
		t.Fatalf("oplog.bin header = % x; want LMOPLOG, version 4, record schema 4, entry_count 8, head_id 8", data[:32])
	}
	if !replaced(t, OplogBinPath(dir), first) {
		t.Fatal("oplog.bin was rewritten in place; heddle renames a new file over it")
	}
	if got := oplogNames(t, dir); !slices.Equal(got, []string{"oplog.bin"}) {
		t.Fatalf("oplog files = %v, want only oplog.bin", got)
	}
	_, ops, err := LoadOperations(dir)
	if err != nil || len(ops) != 8 {
		t.Fatalf("LoadOperations: %d ops, %v", len(ops), err)
	}
	last := ops[7]
	if last.GetVerb() != "snapshot" || last.GetActorEmail() != "x@example.com" || last.GetThread() != "t" ||
		last.GetTimestampSecs() != 42 || last.GetOperationId() != SeedOperation(1, 8).GetOperationId() {
		t.Fatalf("overridden entry = %v", last)
	}

	// A V5 release's first publication takes oplog.bin as its base.
	mustAppend(t, dir, OplogV5, 1, Entry{})
	st, _ := readOplog(dir)
	if st.manifest == nil || st.manifest.base != "oplog.bin" || st.manifest.headID != 9 {
		t.Fatalf("manifest after V4 = %+v", st.manifest)
	}
	if _, err := AppendOperations(dir, OplogV4, 1, Entry{}); err == nil {
		t.Fatal("a V4 writer appended to a V5 oplog")
	}
	if _, ops, _ := LoadOperations(dir); len(ops) != 9 {
		t.Fatalf("%d ops after the upgrade, want 9", len(ops))
	}
}

func TestAppend_ConcurrentWritersStayContiguous(t *testing.T) {
	dir := tempHeddleDir(t, LogRecord{Seed: 1, Ops: 3})
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for range 4 {
				if _, err := AppendOperations(dir, OplogV5, 1, Entry{}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	_, ops, err := LoadOperations(dir)
	if err != nil || len(ops) != 27 {
		t.Fatalf("LoadOperations: %d ops, %v; want 27", len(ops), err)
	}
}

func TestWriteRecord_ANewLogDropsTheOldAppends(t *testing.T) {
	dir := tempHeddleDir(t, LogRecord{Seed: 1, Ops: 5})
	mustAppend(t, dir, OplogV5, 2, Entry{})
	if err := WriteRecord(dir, LogRecord{Seed: 1, Ops: 5}); err != nil {
		t.Fatal(err)
	}
	if _, ops, _ := LoadOperations(dir); len(ops) != 7 {
		t.Fatalf("rewriting the same record lost appends: %d ops", len(ops))
	}
	if err := WriteRecord(dir, LogRecord{Seed: 9, Ops: 20}); err != nil {
		t.Fatal(err)
	}
	rec, ops, err := LoadOperations(dir)
	if err != nil || rec.Seed != 9 || len(ops) != 20 {
		t.Fatalf("after a new record: %+v, %d ops, %v; want seed 9, 20 ops", rec, len(ops), err)
	}
	if head := mustAppend(t, dir, OplogV5, 1, Entry{}); head != 21 {
		t.Fatalf("head = %d, want 21", head)
	}
}

func TestWriteRecord_NeverRemovesARealOplog(t *testing.T) {
	dir := tempHeddleDir(t, LogRecord{Seed: 1, Ops: 5})
	os.MkdirAll(OplogDir(dir), 0o755)
	if err := os.WriteFile(OplogBinPath(dir), []byte("LMOPLOG\x00 real heddle data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteRecord(dir, LogRecord{Seed: 2, Ops: 5}); err == nil {
		t.Fatal("WriteRecord replaced the log of an oplog.bin heddle-sim did not write")
	}
	if _, err := os.Stat(OplogBinPath(dir)); err != nil {
		t.Fatalf("oplog.bin is gone: %v", err)
	}
	if _, _, err := LoadOperations(dir); err == nil {
		t.Fatal("LoadOperations read a foreign oplog.bin")
	}
}

func TestLoadOperations_DefaultsAndDamage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".heddle")
	os.MkdirAll(dir, 0o755)
	rec, ops, err := LoadOperations(dir)
	if d := DefaultOptions(); err != nil || rec.Seed != d.Seed || len(ops) != d.Ops {
		t.Fatalf("without a record: %+v, %d ops, %v; want DefaultOptions' log", rec, len(ops), err)
	}
	mustAppend(t, dir, OplogV5, 1, Entry{})
	data, _ := os.ReadFile(ManifestPath(dir))
	os.WriteFile(ManifestPath(dir), data[:30], 0o644)
	if _, _, err := LoadOperations(dir); err == nil {
		t.Fatal("a truncated manifest was read")
	}
	bad := encodeManifest(manifest{base: "../../etc/passwd"})
	os.WriteFile(ManifestPath(dir), bad, 0o644)
	if _, _, err := LoadOperations(dir); err == nil {
		t.Fatal("a manifest naming a path outside the oplog dir was followed")
	}
}

func TestServer_AnswersAppendedOperationsAtOnce(t *testing.T) {
	dir := tempHeddleDir(t, LogRecord{Seed: 4, Ops: 30})
	conn := serve(t, Options{Seed: 4, Ops: 30, HeddleDir: dir})
	client := heddlev1.NewOperationLogQueryServiceClient(conn)
	count := func() int {
		t.Helper()
		resp, err := client.QueryOperations(ctx(t), &Q{IncludeCheckpoints: true})
		if err != nil {
			t.Fatal(err)
		}
		return len(resp.GetHits())
	}
	if n := count(); n != 30 {
		t.Fatalf("%d hits, want 30", n)
	}
	mustAppend(t, dir, OplogV5, 2, Entry{})
	if n := count(); n != 32 {
		t.Fatalf("after a V5 append: %d hits, want 32", n)
	}
	mustAppend(t, dir, OplogV5, 1, Entry{})
	if n := count(); n != 33 {
		t.Fatalf("after a second append: %d hits, want 33", n)
	}
	// A broken publication keeps the last good log.
	os.WriteFile(ManifestPath(dir), []byte("garbage"), 0o644)
	if n := count(); n != 33 {
		t.Fatalf("after a broken manifest: %d hits, want the last good 33", n)
	}
}

func TestAppend_SweepsUnlistedSegmentsPerRelease(t *testing.T) {
	count := func(dir string) int {
		entries, _ := os.ReadDir(filepath.Join(OplogDir(dir), "oplog.segments"))
		return len(entries)
	}
	v0120, err := OplogFormatFor("0.12.0")
	if err != nil || v0120.SweepGrace != 0 {
		t.Fatalf("0.12.0's format %+v, %v: it removes unlisted containers at once", v0120, err)
	}
	at012 := tempHeddleDir(t, LogRecord{Seed: 1, Ops: 2})
	later := tempHeddleDir(t, LogRecord{Seed: 1, Ops: 2})
	for range 2 {
		mustAppend(t, at012, v0120, 1, Entry{})
		mustAppend(t, later, OplogV5, 1, Entry{})
	}
	// The second append merged the first one's level-0 segment into one at
	// level 1: the base and that segment are listed; 0.12.0 removed the
	// merged one, later releases keep it for 60 s.
	if n := count(at012); n != 2 {
		t.Fatalf("0.12.0: %d files in oplog.segments/, want the base and one segment", n)
	}
	if n := count(later); n != 3 {
		t.Fatalf("0.13.0: %d files in oplog.segments/, want the base, the listed segment and the merged one in its grace", n)
	}
}

// EncodeManifest is the bench's publication: heddle's V5 header (the head id
// at bytes 28..36, where ReadHeadID and heddle-ls read it), an empty base and
// no segments.
func TestEncodeManifest_HeaderOnly(t *testing.T) {
	const head = 0x0102030405060708
	want := []byte(manifestMagic)
	want = binary.LittleEndian.AppendUint32(want, manifestVersion)
	for range 3 { // generation, entry count, head id
		want = binary.LittleEndian.AppendUint64(want, head)
	}
	want = binary.LittleEndian.AppendUint32(want, 0) // base path length
	want = binary.LittleEndian.AppendUint32(want, 0) // segment count
	got := EncodeManifest(head)
	if string(got) != string(want) {
		t.Fatalf("EncodeManifest(%#x) = %x, want %x", uint64(head), got, want)
	}
	dir := tempHeddleDir(t, LogRecord{Seed: 1, Ops: 3})
	if err := os.MkdirAll(OplogDir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(ManifestPath(dir), got); err != nil {
		t.Fatal(err)
	}
	if id, err := ReadHeadID(dir); err != nil || id != head {
		t.Fatalf("ReadHeadID = %#x, %v; want %#x", id, err, uint64(head))
	}
}
