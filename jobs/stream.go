package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/jobs/record"
)

// DefaultBatchSize is how many series a training job loads, trains and
// stages at once when Runner.BatchSize is zero. A batch of daily series
// of several years is a few MB of values per hundred series; a large
// batch keeps both cores busy for minutes between loads, so the pool's
// tail at each batch's end (one worker idle while the other finishes)
// costs well under 1%. It is forecast.MaxGlobalGroup: a job of up to one
// and a half batches (forecast.TakesRest) is one batch, whose global
// candidates learn from all its series; a larger job's batches share one
// pool trained on its sample (pool.go).
const DefaultBatchSize = forecast.MaxGlobalGroup

// streamed is what a streamed training run tells Execute: the same facts
// it gathers itself when it loads every series at once.
type streamed struct {
	loaded, trained int
	sample          data.Key
	loadErr         error // a load failure, or no series to train
	startErr        error // StartJob's failure, returned as it is
	start           time.Time
}

// trainStreamed runs a training job in batches of series in key order
// (issue 20): it counts the job's series, marks the job running, then
// for each batch loads its series, screens them, trains them and stages
// their results before the next batch is loaded. What it holds is one
// batch of series and the pool's outcomes in flight, whatever the size
// of the job; the results wait in staged_results and are published in one
// step by Execute, as before. Series that cannot be assembled are found
// batch by batch and counted in sum.
func (r *Runner) trainStreamed(ctx context.Context, id string, p Params, log *slog.Logger, ph *Phases, sum *tally) (streamed, error) {
	st := streamed{loaded: -1}
	f := sqlstore.SeriesFilter{Stores: p.Stores, SKUs: p.SKUs}
	t0 := time.Now()
	total, err := r.countSeries(ctx, f)
	ph.Load += time.Since(t0).Seconds()
	if err != nil {
		st.loadErr = err
		return st, err
	}
	st.loaded = 0
	if total == 0 {
		st.loadErr = errNoSales
		return st, st.loadErr
	}
	if st.startErr = r.Store.StartJob(ctx, id, total); st.startErr != nil {
		return st, st.startErr
	}
	log.Info("job started", "series", total, "batch", r.batchSize())
	st.start = time.Now()
	specs, err := r.candidates(p)
	if err != nil {
		return st, err
	}
	o := p.options()
	o.Candidates, o.Workers = specs, r.Workers
	o.OnGlobal = func(gs forecast.GlobalStats) {
		if ph.Global == nil {
			ph.Global = &forecast.GlobalStats{}
		}
		ph.Global.Add(gs)
	}
	if hasGlobal(specs) && !forecast.TakesRest(total, r.batchSize()) {
		// More than one batch: the batches share one pool of the
		// global candidates' models, trained on the job's sample
		// (pool.go), as the partitions of a fanned-out job do.
		if o.Pool, err = r.trainJobPool(ctx, p, o); err != nil {
			return st, err
		}
	}
	check := r.newInRunCheck(log, specs)
	prog := r.progress(ctx, id)
	longestLen := -1
	failed := 0 // series whose training failed: done, with nothing to stage
	// Progress is written as results are staged, never ahead of them: a
	// job's series_done counts series whose results are in the store.
	stage := stager{store: r.Store, id: id, sum: sum, every: r.progressEvery(),
		onFlush: func(staged int) { prog(min(staged+failed, total-1), total) }}
	err = r.eachBatch(ctx, f, func(batch []data.Key, lo, hi *data.Key) error {
		t1 := time.Now()
		series, err := r.load(ctx, sqlstore.SeriesFilter{Stores: p.Stores, SKUs: p.SKUs, After: lo, Through: hi}, sum)
		ph.Load += time.Since(t1).Seconds()
		if err != nil {
			st.loadErr = err
			return err
		}
		series = r.screenNegative(series, p.Negative, sum)
		for _, s := range series {
			if len(s.Values) > longestLen {
				st.sample, longestLen = s.Key, len(s.Values)
			}
		}
		if len(series) == 0 {
			return nil
		}
		st.trained += len(series)
		check.hold(series)
		err = forecast.Run(ctx, series, o, func(s *data.Series, out *forecast.Outcome, err error) error {
			if err != nil {
				failed++
				sum.fail(s.Key, err, fmt.Sprintf("%s: %v", s.Key, err))
				return nil
			}
			n, err := stage.add(ctx, s, out)
			if err != nil {
				return err
			}
			check.staged(ctx, n)
			return nil
		}, nil)
		if err != nil {
			return err
		}
		return stage.flush(ctx)
	})
	st.loaded = st.trained + sum.excluded()
	if err != nil {
		return st, err
	}
	prog(total, total)
	if st.trained == 0 {
		st.loadErr = noSeries(sum.summary(st.loaded))
		return st, st.loadErr
	}
	return st, nil
}

func (r *Runner) progressEvery() time.Duration {
	if r.ProgressEvery > 0 {
		return r.ProgressEvery
	}
	return 500 * time.Millisecond
}

func (r *Runner) batchSize() int {
	if r.BatchSize > 0 {
		return r.BatchSize
	}
	return DefaultBatchSize
}

// countSeries counts the series f selects, a page of keys at a time.
func (r *Runner) countSeries(ctx context.Context, f sqlstore.SeriesFilter) (int, error) {
	n := 0
	err := r.eachBatch(ctx, f, func(batch []data.Key, _, _ *data.Key) error {
		n += len(batch)
		return nil
	})
	return n, err
}

// eachBatch pages through the series f selects in key order, BatchSize
// at a time (the last batch taking a tail of up to half a batch), and calls fn with each page's keys and the key range (lo,
// hi] that holds them (lo nil on the first page): loading that range
// with f's filters loads the batch and nothing else. The range comes from
// the database's own order, so it holds under any collation.
func (r *Runner) eachBatch(ctx context.Context, f sqlstore.SeriesFilter, fn func(batch []data.Key, lo, hi *data.Key) error) error {
	size := r.batchSize()
	// A page looks past the batch far enough to see whether the series
	// left are a tail the batch takes (forecast.TakesRest), as
	// forecast's grouping does.
	look := size + size/2 + 1
	var lo *data.Key
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		page, err := r.Store.ListKeys(ctx, f, lo, look)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		last := forecast.TakesRest(len(page), size) // the page holds every series left
		if !last {
			page = page[:size]
		}
		hi := &page[len(page)-1]
		if err := fn(page, lo, hi); err != nil {
			return err
		}
		if last {
			return nil
		}
		lo = hi
	}
}

// stageEvery is how many results a streamed job stages per transaction
// at most.
const stageEvery = 64

// stager encodes results as they come and stages them stageEvery at a
// time, or sooner when every has passed since the last write (slow series
// show progress), so that writing results costs a commit per stageEvery
// series rather than one per series. onFlush hears the number staged.
type stager struct {
	store   Store
	id      string
	sum     *tally
	rows    []sqlstore.Staged
	every   time.Duration
	last    time.Time
	staged  int
	onFlush func(staged int)
}

// add encodes the outcome of series ser, counts it trained and returns
// the bytes it staged, writing the pending results when there are enough.
// The result carries its vintage, as stageResult's does.
func (s *stager) add(ctx context.Context, ser *data.Series, out *forecast.Outcome) (int64, error) {
	k := ser.Key
	kept, err := record.Kept.Encode(&out.Kept)
	if err != nil {
		return 0, fmt.Errorf("jobs: %s: %w", k, err)
	}
	body, err := record.Result.Encode(out.Result)
	if err != nil {
		return 0, fmt.Errorf("jobs: %s: %w", k, err)
	}
	s.rows = append(s.rows, sqlstore.Staged{Key: k, Body: body, Models: kept, Vintage: vintageFor(s.store, ser, out.Result)})
	s.sum.trained(k, out)
	if s.last.IsZero() {
		s.last = time.Now()
	}
	if len(s.rows) >= stageEvery || time.Since(s.last) >= s.every {
		if err := s.flush(ctx); err != nil {
			return 0, err
		}
	}
	return int64(len(body) + len(kept)), nil
}

// flush stages the pending results.
func (s *stager) flush(ctx context.Context) error {
	if err := s.store.StageResults(ctx, s.id, s.rows); err != nil {
		return err
	}
	s.staged += len(s.rows)
	s.last = time.Now()
	clear(s.rows)
	s.rows = s.rows[:0]
	s.onFlush(s.staged)
	return nil
}
