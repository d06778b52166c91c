// util.go: small helpers.

package main

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
)

func errorsJoin(errs ...error) error { return errors.Join(errs...) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// procStat is what /proc tells about a process's cost.
type procStat struct {
	Ticks     int64 // utime + stime, in clock ticks (1/100 s)
	Voluntary int64 // context switches summed over all threads
	Involunt  int64
	RSSKiB    int64
	AnonKiB   int64 // RssAnon: heap, stacks, runtime
	FileKiB   int64 // RssFile: the mapped binary's pages
	HWMKiB    int64
	Threads   int
	FDs       int
}

// readProc reads pid's cost counters; per-thread switch counts are summed
// because /proc/<pid>/status counts the main thread only.
func readProc(pid int) (procStat, error) {
	var ps procStat
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return ps, err
	}
	// Fields after the command name (which may hold spaces) start at ")".
	rest := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	// rest[0] is field 3 (state); utime is field 14, stime 15.
	ut, _ := strconv.ParseInt(rest[11], 10, 64)
	st, _ := strconv.ParseInt(rest[12], 10, 64)
	ps.Ticks = ut + st
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return ps, err
	}
	for line := range strings.Lines(string(status)) {
		k, v, _ := strings.Cut(line, ":")
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			ps.RSSKiB = n
		case "RssAnon":
			ps.AnonKiB = n
		case "RssFile":
			ps.FileKiB = n
		case "VmHWM":
			ps.HWMKiB = n
		case "Threads":
			ps.Threads = int(n)
		}
	}
	tasks, _ := os.ReadDir(dir + "/task")
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/task/" + t.Name() + "/status")
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(b)) {
			k, v, _ := strings.Cut(line, ":")
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			switch k {
			case "voluntary_ctxt_switches":
				ps.Voluntary += n
			case "nonvoluntary_ctxt_switches":
				ps.Involunt += n
			}
		}
	}
	fds, _ := os.ReadDir(dir + "/fd")
	ps.FDs = len(fds)
	return ps, nil
}

var ctxBG = context.Background()
