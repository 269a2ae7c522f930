package memguard_test

// The injected leaks. Each is a function of its own so that the test can
// check that the Guard names it; each keeps its memory in package state
// (that is the leak) and TestLeakMatrix releases it when the case ends.

import (
	"context"
	"fmt"
	"math"
	"time"
)

// leakState is what the injected leaks hold on to.
type leakState struct {
	sink      [][]byte
	cache     map[string][]float64
	subSlices [][]byte
	scratch   map[scratchKey]*rollingScratch
	release   chan struct{}
	run       int
}

// leaks is the leaking package state. Only the serial leak tests touch it.
var leaks leakState

func resetLeaks() {
	if leaks.release != nil {
		close(leaks.release)
	}
	leaks = leakState{
		cache:   make(map[string][]float64),
		scratch: make(map[scratchKey]*rollingScratch),
		release: make(chan struct{}),
	}
}

// leakAppendSlice appends 256 KiB per run to a package-level slice.
func leakAppendSlice(context.Context) error {
	leaks.sink = append(leaks.sink, make([]byte, 256<<10))
	return nil
}

// leakMapCache caches 256 KiB per run under a key never seen again and
// never evicts.
func leakMapCache(context.Context) error {
	leaks.run++
	leaks.cache[fmt.Sprintf("store-%d/sku-%d", leaks.run, leaks.run*7)] = make([]float64, 32<<10)
	return nil
}

// leakBlockedGoroutine starts a goroutine per run that waits for a
// channel nobody sends on (until the test releases it).
func leakBlockedGoroutine(context.Context) error {
	release := leaks.release
	go func() {
		<-release
	}()
	return nil
}

// leakTicker starts a poller per run whose ticker is never stopped and
// whose goroutine never exits (until the test releases it).
func leakTicker(context.Context) error {
	release := leaks.release
	t := time.NewTicker(time.Hour)
	go func() {
		for {
			select {
			case <-t.C:
			case <-release:
				t.Stop()
				return
			}
		}
	}()
	return nil
}

// leakSubSlice keeps a 16-byte header of a 1 MiB buffer per run: the small
// slice keeps the whole backing array alive.
func leakSubSlice(context.Context) error {
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	leaks.subSlices = append(leaks.subSlices, buf[:16])
	return nil
}

// scratchKey is how the leaky kernel caches its buffers: per series, so a
// stream of new store/SKU pairs grows the cache without bound. This is the
// original failure, in Go: buffers "reused" by a key that never repeats.
type scratchKey struct {
	series int
	window int
}

type rollingScratch struct {
	deque []int
	out   []float64
}

// rollingMin is a monotonic-deque rolling minimum that parks its buffers
// in a package-level cache keyed by series.
func rollingMin(series int, x []float64, window int) []float64 {
	k := scratchKey{series, window}
	s := leaks.scratch[k]
	if s == nil {
		s = &rollingScratch{deque: make([]int, len(x)), out: make([]float64, len(x))}
		leaks.scratch[k] = s
	}
	head, tail := 0, 0
	for i, v := range x {
		for tail > head && x[s.deque[tail-1]] >= v {
			tail--
		}
		s.deque[tail] = i
		tail++
		if s.deque[head] <= i-window {
			head++
		}
		s.out[i] = x[s.deque[head]]
	}
	return s.out
}

// leakRollingMin runs the kernel over 8 new series of 4096 points per run
// (8 × 64 KiB of parked buffers).
func leakRollingMin(context.Context) error {
	x := make([]float64, 4096)
	for i := range x {
		x[i] = math.Sin(float64(i) / 7)
	}
	for range 8 {
		leaks.run++
		rollingMin(leaks.run, x, 28)
	}
	return nil
}
