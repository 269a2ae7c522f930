package api

import (
	"bytes"
	"context"
	"os"
	"runtime/metrics"
	"strconv"
	"sync"
	"time"
)

// memSample is one reading of the process's memory.
type memSample struct {
	At time.Time
	// HeapLive is /gc/heap/live:bytes: the heap the last GC found live.
	// It is read, never forced, so it moves in steps at each GC.
	HeapLive int64
	// GoTotal is /memory/classes/total:bytes: all memory the Go runtime
	// has mapped.
	GoTotal    int64
	Goroutines int64
	// RSS is the resident set from /proc/self/statm; 0 where that is
	// unavailable. RSS well above GoTotal means memory outside the Go
	// runtime.
	RSS int64
}

// monitor samples memory at a fixed interval into a bounded ring, for the
// dashboard's memory chart. A sample costs one runtime/metrics read and
// one small file read, and never forces a GC, so it can run all the time.
type monitor struct {
	interval time.Duration

	mu    sync.Mutex
	ring  []memSample // capacity fixed at construction
	next  int         // index the next sample goes to
	full  bool
	start sync.Once
	stop  chan struct{}
	done  chan struct{}

	metrics []metrics.Sample // owned by the sampling goroutine
	statm   []byte           // buffer for /proc/self/statm
}

// newMonitor keeps window/interval samples (at least 2).
func newMonitor(interval, window time.Duration) *monitor {
	n := max(int(window/interval), 2)
	return &monitor{
		interval: interval,
		ring:     make([]memSample, n),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		metrics: []metrics.Sample{
			{Name: "/gc/heap/live:bytes"},
			{Name: "/memory/classes/total:bytes"},
			{Name: "/sched/goroutines:goroutines"},
		},
		statm: make([]byte, 0, 128),
	}
}

// Start takes a first sample at once, then samples every interval until
// Stop. Calling it again does nothing.
func (m *monitor) Start() {
	m.start.Do(func() {
		m.record(m.sample(time.Now()))
		go m.run()
	})
}

func (m *monitor) run() {
	defer close(m.done)
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case now := <-t.C:
			m.record(m.sample(now))
		}
	}
}

// Stop ends the sampling goroutine and waits for it, or for ctx. It is
// safe to call when the monitor never started, and more than once.
func (m *monitor) Stop(ctx context.Context) error {
	started := true
	m.start.Do(func() { started = false })
	if !started {
		return nil
	}
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	select {
	case <-m.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *monitor) sample(now time.Time) memSample {
	metrics.Read(m.metrics)
	s := memSample{At: now}
	if v := m.metrics[0].Value; v.Kind() == metrics.KindUint64 {
		s.HeapLive = int64(v.Uint64())
	}
	if v := m.metrics[1].Value; v.Kind() == metrics.KindUint64 {
		s.GoTotal = int64(v.Uint64())
	}
	if v := m.metrics[2].Value; v.Kind() == metrics.KindUint64 {
		s.Goroutines = int64(v.Uint64())
	}
	s.RSS = m.rss()
	return s
}

// rss reads the resident pages (second field) of /proc/self/statm.
func (m *monitor) rss() int64 {
	f, err := os.Open("/proc/self/statm")
	if err != nil {
		return 0
	}
	b := m.statm[:cap(m.statm)]
	n, rerr := f.Read(b)
	if cerr := f.Close(); rerr != nil || cerr != nil {
		return 0 // no sample, like a system without /proc
	}
	fields := bytes.Fields(b[:n])
	if len(fields) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(string(fields[1]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}

func (m *monitor) record(s memSample) {
	m.mu.Lock()
	m.ring[m.next] = s
	m.next++
	if m.next == len(m.ring) {
		m.next, m.full = 0, true
	}
	m.mu.Unlock()
}

// Samples returns the kept samples, oldest first, in a new slice.
func (m *monitor) Samples() []memSample {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.full {
		return append([]memSample(nil), m.ring[:m.next]...)
	}
	out := make([]memSample, 0, len(m.ring))
	out = append(out, m.ring[m.next:]...)
	return append(out, m.ring[:m.next]...)
}
