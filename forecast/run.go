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
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type done struct {
		s   *data.Series
		out *Outcome
		err error
	}
	next := make(chan *data.Series)
	results := make(chan done)
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
				case results <- done{s, out, err}:
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
			progress(count, len(series))
		}
	}
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}
