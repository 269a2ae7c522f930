package memguard_test

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
)

// workload is a realistic clean unit of work: it allocates and frees
// slices and maps of varying sizes, computes over them, and fans out
// goroutines that all finish before it returns. Nothing outlives it
// except what sync.Pool keeps, which a settled heap does not count.
type workload struct {
	rng  *rand.Rand
	pool sync.Pool
	// Sink keeps the results observable so the compiler cannot drop the
	// work; it holds one float, not the buffers.
	sink float64
}

func newWorkload(seed uint64) *workload {
	w := &workload{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	w.pool.New = func() any { b := make([]float64, 4096); return &b }
	return w
}

// run does about n units of work; n=1 takes a few milliseconds.
func (w *workload) run(ctx context.Context, n int) error {
	for range n {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Series of random lengths, as history lengths differ by SKU.
		series := make([][]float64, 16)
		for i := range series {
			s := make([]float64, 256+w.rng.IntN(4096))
			for j := range s {
				s[j] = math.Sin(float64(j)/9) + w.rng.NormFloat64()
			}
			series[i] = s
		}
		// A per-run lookup table, dropped at the end.
		index := make(map[int][]float64, len(series))
		for i, s := range series {
			index[i*31] = s[:len(s)/2]
		}
		// Fan out: each goroutine fits a moving average with a pooled
		// buffer and finishes.
		var wg sync.WaitGroup
		results := make([]float64, len(series))
		for i, s := range series {
			wg.Go(func() {
				bp := w.pool.Get().(*[]float64)
				buf := (*bp)[:0]
				sum := 0.0
				for j, v := range s {
					sum += v
					if j >= 7 {
						sum -= s[j-7]
					}
					buf = append(buf, sum/7)
				}
				results[i] = buf[len(buf)-1]
				*bp = buf
				w.pool.Put(bp)
			})
		}
		wg.Wait()
		for _, r := range results {
			w.sink += r
		}
		w.sink += float64(len(index))
	}
	return nil
}
