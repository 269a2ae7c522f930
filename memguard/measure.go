package memguard

import (
	"bytes"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// runtime/metrics names read by the Guard. Reading them does not stop the
// world, unlike runtime.ReadMemStats.
const (
	metricHeapLive   = "/gc/heap/live:bytes"
	metricHeapObjs   = "/gc/heap/objects:objects"
	metricGoTotal    = "/memory/classes/total:bytes"
	metricReleased   = "/memory/classes/heap/released:bytes"
	metricHeapAlloc  = "/memory/classes/heap/objects:bytes"
	metricStacks     = "/memory/classes/heap/stacks:bytes"
	metricGoroutines = "/sched/goroutines:goroutines"
	metricGoCreated  = "/sched/goroutines-created:goroutines"
)

// reading is one settled measurement of the process.
type reading struct {
	heapLive    int64
	heapObjects int64
	goMemory    int64
	rss         int64
	goroutines  int
	// offHeap is RSS minus the resident part of Go-managed memory
	// (Go memory less what the runtime released to the OS): cgo, mmap
	// and the like. 0 where RSS is unknown.
	offHeap int64
	// anonRSS is the anonymous part of RSS.
	anonRSS int64
	// fds and maps count open file descriptors and mapped regions;
	// -1 where /proc/self is unavailable.
	fds, maps int
}

// settle runs two GC cycles. The first frees what is unreachable and moves
// sync.Pool contents to the victim cache and queues finalizers; the second
// frees the victims and what the finalizers released. runtime.GC also
// publishes the heap profile, so a profile taken right after is current.
//
// With release, the second cycle is debug.FreeOSMemory's, which also
// returns the free heap pages to the OS: what is resident of Go memory is
// then what Go memory less released counts, so RSS less it is memory
// outside the Go heap. Without it, free heap pages that become resident or
// are scavenged between two readings move that difference by megabytes.
// The price is that the next run faults its working pages in again.
func settle(release bool) {
	runtime.GC()
	if release {
		debug.FreeOSMemory()
		return
	}
	runtime.GC()
}

// read reads the settled state. The caller settles first.
func read() reading {
	s := [...]metrics.Sample{
		{Name: metricHeapLive},
		{Name: metricHeapObjs},
		{Name: metricGoTotal},
		{Name: metricGoroutines},
		{Name: metricReleased},
	}
	metrics.Read(s[:])
	r := reading{
		heapLive:    uint64Value(s[0]),
		heapObjects: uint64Value(s[1]),
		goMemory:    uint64Value(s[2]),
		goroutines:  int(uint64Value(s[3])),
		fds:         countFDs(),
		maps:        countMaps(),
	}
	// Go memory is anonymous; file-backed pages (the binary's text as
	// new code paths run, the page cache of mapped files) are shared
	// and left out, so that faulting in code does not read as growth.
	r.rss, r.anonRSS = rssAnon()
	if r.rss > 0 {
		r.offHeap = r.anonRSS - (r.goMemory - uint64Value(s[4]))
	}
	return r
}

// countFDs returns the number of open file descriptors of the process, or
// -1 where /proc/self/fd cannot be read. The descriptor that reads the
// directory is counted in every reading alike.
func countFDs() int {
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(es)
}

// countMaps returns the number of mapped regions of the process (lines of
// /proc/self/maps), or -1 where it cannot be read. The file is counted
// through a small buffer: it runs to tens of KiB, which a guard that
// reads it twice per run should not allocate.
func countMaps() int {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return -1
	}
	var buf [4096]byte
	n := 0
	for {
		k, rerr := f.Read(buf[:])
		n += bytes.Count(buf[:k], []byte{'\n'})
		if rerr != nil {
			if cerr := f.Close(); rerr != io.EOF || cerr != nil {
				return -1
			}
			return n
		}
	}
}

// uint64Value returns the sample's value, or 0 if this Go version does not
// know the metric (KindBad): a missing metric must not fail a job.
func uint64Value(s metrics.Sample) int64 {
	if s.Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s.Value.Uint64())
}

// goroutinesCreated returns the number of goroutines the process has
// created so far, or -1 if this Go version does not count them.
func goroutinesCreated() int64 {
	s := [1]metrics.Sample{{Name: metricGoCreated}}
	metrics.Read(s[:])
	if s[0].Value.Kind() != metrics.KindUint64 {
		return -1
	}
	return int64(s[0].Value.Uint64())
}

// rssAnon returns the resident set size of the process and its anonymous
// part (resident less file-backed and shared pages) from /proc/self/statm,
// or zeros where that file does not exist (not Linux) or cannot be parsed.
func rssAnon() (rss, anon int64) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, 0
	}
	return parseStatm(b)
}

// parseStatm returns the resident set size and its anonymous part from
// the contents of /proc/self/statm (size resident shared text lib data dt,
// in pages), or zeros if b does not hold them. It does not allocate: the
// budget sampler calls it every tick.
func parseStatm(b []byte) (rss, anon int64) {
	var f [3]int64
	for i := range f {
		b = bytes.TrimLeft(b, " ")
		n := 0
		for n < len(b) && b[n] >= '0' && b[n] <= '9' {
			f[i] = f[i]*10 + int64(b[n]-'0')
			n++
		}
		if n == 0 || n > 18 {
			return 0, 0
		}
		b = b[n:]
	}
	page := int64(os.Getpagesize())
	return f[1] * page, (f[1] - f[2]) * page
}
