package oplog_test

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/heddle-ls/heddle-ls/oplog"
)

// The cost of one publication (temp file written, renamed onto
// oplog.manifest) until the Change reaches the subscriber, against the
// floor: the same publication until a bare inotify read returns its
// IN_MOVED_TO. The coalescing window is set to zero so that iterations need
// not wait it out (a publication after a quiet spell is delivered at once
// anyway).
//
//	go test -run '^$' -bench Rename ./oplog

func BenchmarkRenameToChange(b *testing.B) {
	ow := newWatcher(b)
	oplog.SetWindow(ow, 0)
	hd := newHeddleDir(b, true)
	got := make(chan oplog.Change, 1)
	ow.Watch(hd, func(c oplog.Change) { got <- c })
	dir := oplog.Dir(hd)
	for i := uint64(1); b.Loop(); i++ {
		publish(b, dir, oplog.ManifestFile, manifestBytes(i, i))
		if c := <-got; c.HeadID != i {
			b.Fatalf("head %d, want %d", c.HeadID, i)
		}
	}
}

func BenchmarkRenameInotifyFloor(b *testing.B) {
	hd := newHeddleDir(b, true)
	dir := oplog.Dir(hd)
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(fd)
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_MOVED_TO|unix.IN_CREATE); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 4096)
	for i := uint64(1); b.Loop(); i++ {
		publish(b, dir, oplog.ManifestFile, manifestBytes(i, i))
		for moved := false; !moved; { // the temp file's create comes first
			n, err := unix.Read(fd, buf)
			if err != nil {
				b.Fatal(err)
			}
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				moved = moved || ev.Mask&unix.IN_MOVED_TO != 0
				off += unix.SizeofInotifyEvent + int(ev.Len)
			}
		}
	}
}
