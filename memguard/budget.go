package memguard

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"time"
)

// budgetReader reads, without forcing a GC, the memory a run can hold:
// heap objects (live or garbage not yet collected), the live heap as of
// the last GC, goroutine stacks and memory outside the Go heap. It owns
// its sample slice, and keeps /proc/self/statm open with a buffer to read
// it into, so that a sampler tick allocates nothing.
type budgetReader struct {
	s     [5]metrics.Sample
	statm *os.File // nil where it cannot be opened (not Linux)
	buf   [128]byte
}

func newBudgetReader() *budgetReader {
	br := &budgetReader{s: [5]metrics.Sample{
		{Name: metricHeapAlloc}, {Name: metricHeapLive}, {Name: metricStacks},
		{Name: metricGoTotal}, {Name: metricReleased},
	}}
	if f, err := os.Open("/proc/self/statm"); err == nil {
		br.statm = f
	}
	return br
}

// close releases the reader's file.
func (b *budgetReader) close() {
	if b.statm != nil {
		_ = b.statm.Close() // read-only: nothing to lose
	}
}

// rssAnon is rssAnon through the open file.
func (b *budgetReader) rssAnon() (rss, anon int64) {
	if b.statm == nil {
		return 0, 0
	}
	n, err := b.statm.ReadAt(b.buf[:], 0)
	if err != nil && err != io.EOF {
		return 0, 0
	}
	return parseStatm(b.buf[:n])
}

// budgetLevel is one budget reading.
type budgetLevel struct {
	heapObjects, heapLive, stacks, offHeap int64
}

func (b *budgetReader) read() budgetLevel {
	metrics.Read(b.s[:])
	l := budgetLevel{
		heapObjects: uint64Value(b.s[0]),
		heapLive:    uint64Value(b.s[1]),
		stacks:      uint64Value(b.s[2]),
	}
	if r, anon := b.rssAnon(); r > 0 {
		l.offHeap = anon - (uint64Value(b.s[3]) - uint64Value(b.s[4]))
	}
	return l
}

// growth returns what a run grew by from base: heap (objects, or the live
// heap as of the last GC if live is set) plus stacks, and off the heap.
// Off-heap growth is not allowed to go negative: fresh heap memory the
// runtime mapped but nobody touched yet lowers RSS − Go memory without
// anything being freed.
func (l budgetLevel) growth(base budgetLevel, live bool) (heap, off int64) {
	h := l.heapObjects
	if live {
		h = l.heapLive
	}
	return h + l.stacks - base.heapObjects - base.stacks, max(0, l.offHeap-base.offHeap)
}

// confirmEvery is how many sampler ticks apart the sampler may force a GC
// to tell a run's garbage from what it holds.
const confirmEvery = 50

// startSampler enforces Options.MaxRetainedBytes while run id executes.
// Each tick it reads the run's growth over the settled level before the
// run, counting heap objects as allocated: the live heap as of the last
// GC lags by a whole GC cycle, in which a run can grow by the size of the
// heap. When that growth passes the limit, a forced GC (at most one per
// confirmEvery ticks; otherwise the live heap of the last GC is used)
// tells garbage from what the run holds. The returned stop waits for the
// sampler and returns the trip, if any.
func (g *Guard) startSampler(ctx context.Context, cancel context.CancelCauseFunc, id string) (stop func() *BudgetTrip) {
	limit := g.opts.MaxRetainedBytes
	if limit <= 0 {
		return func() *BudgetTrip { return nil }
	}
	br := newBudgetReader()
	base := br.read()
	done := make(chan struct{})
	exited := make(chan struct{})
	var trip *BudgetTrip
	go func() {
		defer close(exited)
		defer br.close()
		t := time.NewTicker(g.opts.SampleInterval)
		defer t.Stop()
		sinceGC := confirmEvery
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			sinceGC++
			heap, off := br.read().growth(base, false)
			if heap+off <= limit {
				continue
			}
			if sinceGC >= confirmEvery {
				runtime.GC()
				sinceGC = 0
			}
			heap, off = br.read().growth(base, true)
			if heap+off <= limit {
				continue
			}
			trip = &BudgetTrip{LimitBytes: limit, GrownBytes: heap + off, HeapBytes: heap, OffHeapBytes: off, At: time.Now()}
			trip.Running = runningLabels(id)
			cancel(fmt.Errorf("%w: %s", ErrBudgetExceeded, trip))
			return
		}
	}()
	return func() *BudgetTrip {
		close(done)
		<-exited
		return trip
	}
}

// String describes the trip for the error Run returns.
func (b *BudgetTrip) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "run grew by %d bytes (heap %d, off-heap %d), limit %d bytes", b.GrownBytes, b.HeapBytes, b.OffHeapBytes, b.LimitBytes)
	if len(b.Running) > 0 {
		s.WriteString("; running ")
		for i, lg := range b.Running {
			if i > 0 {
				s.WriteString(", ")
			}
			if i == 3 {
				fmt.Fprintf(&s, "and %d more groups", len(b.Running)-3)
				break
			}
			if len(lg.Labels) == 0 {
				s.WriteString("unlabelled " + lg.Function)
			}
			for j, k := range slices.Sorted(maps.Keys(lg.Labels)) {
				if j > 0 {
					s.WriteByte(' ')
				}
				s.WriteString(k + "=" + lg.Labels[k])
			}
			fmt.Fprintf(&s, " (%d goroutines)", lg.Count)
		}
	}
	return s.String()
}

// runningLabels groups the goroutines of run id by their labels, leaving
// memguard's own out: they name the model, fit or phase the caller
// labelled its work with. Groups whose goroutines are running or runnable
// come first (they are the ones allocating), then the rest by count.
func runningLabels(id string) []LabelGroup {
	gs, err := runGoroutines(id)
	if err != nil {
		return nil
	}
	type acc struct {
		LabelGroup
		active bool
	}
	byKey := map[string]*acc{}
	for _, gr := range gs {
		labels := make(map[string]string, len(gr.labels))
		for k, v := range gr.labels {
			if !strings.HasPrefix(k, "memguard_") {
				labels[k] = v
			}
		}
		var key strings.Builder
		for _, k := range slices.Sorted(maps.Keys(labels)) {
			key.WriteString(k + "=" + labels[k] + ";")
		}
		a := byKey[key.String()]
		if a == nil {
			a = &acc{LabelGroup: LabelGroup{Labels: labels, Function: firstUserFrame(gr.stack).Function}}
			byKey[key.String()] = a
		}
		a.Count += gr.count
		if len(gr.stack) > 0 && !parked(gr.stack[0].Function) {
			a.active = true
		}
	}
	accs := slices.Collect(maps.Values(byKey))
	slices.SortFunc(accs, func(a, b *acc) int {
		if a.active != b.active {
			if a.active {
				return -1
			}
			return 1
		}
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Function, b.Function)
	})
	out := make([]LabelGroup, len(accs))
	for i, a := range accs {
		out[i] = a.LabelGroup
	}
	return out
}

// parked reports whether a goroutine's innermost frame is the scheduler's
// park: the goroutine waits rather than runs.
func parked(fn string) bool {
	return fn == "runtime.gopark" || fn == "runtime.goparkunlock" || fn == "runtime.notetsleepg"
}
