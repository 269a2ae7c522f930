package memguard_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/forecastd/forecastd/memguard"
)

// benchUnits is the workload size of about 100 ms of CPU time on the
// reference machine.
const benchUnits = 120

// cpuTime returns the CPU time of the process so far (user + system, all
// threads, GC workers included). On a shared, loaded machine it is a
// steadier measure of overhead than wall time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkOverhead runs a ~100 ms allocation-heavy workload bare and
// under Run alternately in each iteration, so that load from other
// processes hits both alike, and reports wall and CPU time of each and the
// overhead of the guarded run in percent:
//
//	go test -run '^$' -bench Overhead -benchtime 20x ./memguard/
func BenchmarkOverhead(b *testing.B) {
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		opts memguard.Options
	}{
		{"default", memguard.Options{}},
		{"never", memguard.Options{Profile: memguard.ProfileNever}},
		{"always", memguard.Options{Profile: memguard.ProfileAlways}},
		{"skip-offheap", memguard.Options{SkipOffHeap: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			g, err := memguard.New(bc.opts)
			if err != nil {
				b.Fatal(err)
			}
			w := newWorkload(1)
			fn := func(ctx context.Context) error { return w.run(ctx, benchUnits) }
			var ab abTimer
			profiled := 0
			for b.Loop() {
				ab.a(b, func() {
					if err := fn(ctx); err != nil {
						b.Fatal(err)
					}
				})
				ab.b(b, func() {
					rep, err := g.Run(ctx, "bench", fn)
					if err != nil {
						b.Fatal(err)
					}
					if rep.Profiled {
						profiled++
					}
				})
			}
			ab.report(b, "bare", "guarded")
			b.ReportMetric(float64(profiled)/float64(b.N), "profiled/op")
		})
	}
}

// abTimer times a baseline (a) and a variant (b) run alternately in each
// iteration, so that load from other processes hits both alike.
type abTimer struct {
	aWall, aCPU, bWall, bCPU time.Duration
}

func (t *abTimer) a(b *testing.B, f func()) { t.aWall, t.aCPU = timed(b, f, t.aWall, t.aCPU) }
func (t *abTimer) b(b *testing.B, f func()) { t.bWall, t.bCPU = timed(b, f, t.bWall, t.bCPU) }

// timed runs f and adds its wall and CPU time to wall and cpu.
func timed(b *testing.B, f func(), wall, cpu time.Duration) (time.Duration, time.Duration) {
	t0, c0 := time.Now(), cpuTime(b)
	f()
	return wall + time.Since(t0), cpu + cpuTime(b) - c0
}

// report reports the wall and CPU time per op of both and the variant's
// overhead in percent.
func (t *abTimer) report(b *testing.B, base, variant string) {
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 / n }
	b.ReportMetric(ms(t.aWall), base+"-ms/op")
	b.ReportMetric(ms(t.bWall), variant+"-ms/op")
	b.ReportMetric(ms(t.aCPU), base+"-cpu-ms/op")
	b.ReportMetric(ms(t.bCPU), variant+"-cpu-ms/op")
	b.ReportMetric(100*(float64(t.bWall)/float64(t.aWall)-1), "wall-overhead-%")
	b.ReportMetric(100*(float64(t.bCPU)/float64(t.aCPU)-1), "cpu-overhead-%")
}

// BenchmarkRunEmpty measures the fixed cost of a guarded run: settling
// (four GC cycles), the readings and the goroutine check, around an empty
// fn. The overhead on a workload of duration T is about this cost / T.
func BenchmarkRunEmpty(b *testing.B) {
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		opts memguard.Options
	}{
		{"default", memguard.Options{}},
		{"always", memguard.Options{Profile: memguard.ProfileAlways}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			g, err := memguard.New(bc.opts)
			if err != nil {
				b.Fatal(err)
			}
			fn := func(context.Context) error { return nil }
			b.ReportAllocs()
			c0 := cpuTime(b)
			for b.Loop() {
				if _, err := g.Run(ctx, "empty", fn); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime(b)-c0)/1e6/float64(b.N), "cpu-ms/op")
		})
	}
}
