package cputime

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// Thread returns the CPU time of the calling OS thread: the measure for
// single-threaded code, with the goroutine locked to its thread.
func Thread() time.Duration { return rusage(1 /* RUSAGE_THREAD */) }

// Process returns the CPU time of the whole process: the measure for
// code that runs goroutines of its own.
func Process() time.Duration { return rusage(syscall.RUSAGE_SELF) }

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// PerOp starts measuring CPU time with clock (Thread or Process) and
// returns the function that reports it as cpu-ns/op; defer it around the
// benchmark loop. The goroutine stays locked to its OS thread in
// between, so that Thread measures the benchmark's own thread.
func PerOp(b *testing.B, clock func() time.Duration) (stop func()) {
	runtime.LockOSThread()
	c0 := clock()
	return func() {
		b.ReportMetric(float64(clock()-c0)/float64(b.N), "cpu-ns/op")
		runtime.UnlockOSThread()
	}
}
