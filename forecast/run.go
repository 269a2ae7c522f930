package forecast

import (
	"context"
	"errors"
	"runtime"

	"github.com/forecastd/forecastd/data"
)

// Progress reports how many series are done.
type Progress func(done, total int)

// Run trains every series with a bounded pool of o.Workers goroutines and
// hands each outcome to sink, from a single goroutine and in completion
// order. A failure on one series is passed to sink as an outcome with a
// nil Result and its error; Run stops early only when ctx is cancelled or
// sink returns an error.
func Run(ctx context.Context, series []*data.Series, o Options, sink func(*data.Series, *Outcome, error) error, progress Progress) error {
	if err := o.Validate(); err != nil {
		return err
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, max(len(series), 1))
	if o.global == nil {
		o.Workers = workers
		if o.Pool == nil && !TakesRest(len(series), MaxGlobalGroup) {
			// More series than one group takes: one pool on a sample
			// of them serves all (Pool), as it serves a job's batches.
			var err error
			if o.Pool, err = TrainPool(ctx, sampleOf(series), o); err != nil {
				return err
			}
		}
		pool, err := trainGlobal(ctx, series, o)
		if err != nil {
			return err
		}
		o.global = pool
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := startPool(ctx, series, o, workers)
	return deliver(ctx, cancel, results, len(series), sink, progress)
}

// sampleOf returns the series of series whose keys PoolSample picks.
func sampleOf(series []*data.Series) []*data.Series {
	keys := make([]data.Key, len(series))
	for i, s := range series {
		keys[i] = s.Key
	}
	pick := map[data.Key]bool{}
	for _, k := range PoolSample(keys) {
		pick[k] = true
	}
	var out []*data.Series
	for _, s := range series {
		if pick[s.Key] {
			out = append(out, s)
		}
	}
	return out
}

// trained is the outcome of one series' tournament.
type trained struct {
	s   *data.Series
	out *Outcome
	err error
}

// startPool starts workers goroutines that run the tournament on the
// series, and returns the channel their outcomes come on; it is closed
// when every worker has returned. The workers stop when ctx is done, so
// the caller must read the channel until it is closed or cancel ctx.
func startPool(ctx context.Context, series []*data.Series, o Options, workers int) <-chan trained {
	next := make(chan *data.Series)
	results := make(chan trained)
	finished := make(chan struct{})
	go func() {
		defer close(next)
		for _, s := range series {
			select {
			case next <- s:
			case <-ctx.Done():
				return
			}
		}
	}()
	for w := 0; w < workers; w++ {
		go func() {
			defer func() { finished <- struct{}{} }()
			for s := range next {
				out, err := Tournament(ctx, s, o)
				select {
				case results <- trained{s, out, err}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		for w := 0; w < workers; w++ {
			<-finished
		}
		close(results)
	}()
	return results
}

// deliver hands each outcome to sink and reports progress, until results
// is closed. On the first error (ctx done, a cancelled tournament, or
// sink's error) it cancels the pool and drains the rest so the workers
// can exit, and returns that error.
func deliver(ctx context.Context, cancel context.CancelFunc, results <-chan trained, total int,
	sink func(*data.Series, *Outcome, error) error, progress Progress) error {
	var firstErr error
	count := 0
	for d := range results {
		if firstErr != nil {
			continue // drain so the workers can exit
		}
		if ctx.Err() != nil {
			firstErr = ctx.Err()
			cancel()
			continue
		}
		if d.err != nil && errors.Is(d.err, context.Canceled) {
			firstErr = d.err
			cancel()
			continue
		}
		if err := sink(d.s, d.out, d.err); err != nil {
			firstErr = err
			cancel()
			continue
		}
		count++
		if progress != nil {
			progress(count, total)
		}
	}
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}
