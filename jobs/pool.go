package jobs

import (
	"context"
	"slices"
	"sync"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
)

// trainJobPool trains the global candidates' pool of a job
// (forecast.Pool) on its sample of series (forecast.PoolSample of every
// series the job covers), loaded and screened as the job's own series
// are. Every process that trains part of the job trains the same pool
// from the same sample, so a job's forecasts do not depend on how it is
// cut into batches or partitions, nor on how many workers run it. The
// sample's exclusions are not the job's to count: its batches count
// their own.
func (r *Runner) trainJobPool(ctx context.Context, p Params, o forecast.Options) (*forecast.Pool, error) {
	infos, err := r.selectSeries(ctx, p)
	if err != nil {
		return nil, err
	}
	keys := make([]data.Key, len(infos))
	for i, si := range infos {
		keys[i] = data.Key{Store: si.Store, SKU: si.SKU}
	}
	var scratch tally
	series, err := r.loadKeys(ctx, forecast.PoolSample(keys), &scratch)
	if err != nil {
		return nil, err
	}
	series = r.screenNegative(series, p.Negative, &scratch)
	return forecast.TrainPool(ctx, series, o)
}

// loadKeys loads the series keys name (in store order: each run of one
// store's keys is read together), a store and at most maxKeysPerLoad
// SKUs per query, so that each query selects exactly its series by the
// sales table's (store, sku) index rather than reading the table
// through. Series that cannot be assembled are recorded in sum.
func (r *Runner) loadKeys(ctx context.Context, keys []data.Key, sum *tally) ([]*data.Series, error) {
	const maxKeysPerLoad = 400 // under sqlstore's IN-list bound (maxInList)
	var out []*data.Series
	for i := 0; i < len(keys); {
		j := i
		var skus []string
		for j < len(keys) && keys[j].Store == keys[i].Store && len(skus) < maxKeysPerLoad {
			skus = append(skus, keys[j].SKU)
			j++
		}
		series, err := r.load(ctx, sqlstore.SeriesFilter{Stores: []string{keys[i].Store}, SKUs: skus}, sum)
		if err != nil {
			return nil, err
		}
		out = append(out, series...)
		i = j
	}
	return out, nil
}

// poolCache holds the pools of the jobs whose partitions this process
// ran last: the first partition of a job trains it, the others (run here
// at once or later) wait for it and share it.
type poolCache struct {
	mu      sync.Mutex
	entries []*poolEntry // oldest first
}

// poolsKept is how many jobs' pools a process keeps: two jobs' partitions
// may alternate on one worker.
const poolsKept = 2

type poolEntry struct {
	job  string
	done chan struct{} // closed when pool and err are set
	pool *forecast.Pool
	err  error
}

// get returns job's pool, training it with train unless this process
// has it or is training it. A training that fails is forgotten, so the
// next partition (or the retry) trains again.
func (c *poolCache) get(ctx context.Context, job string, train func(context.Context) (*forecast.Pool, error)) (*forecast.Pool, error) {
	c.mu.Lock()
	i := slices.IndexFunc(c.entries, func(e *poolEntry) bool { return e.job == job })
	if i >= 0 {
		e := c.entries[i]
		c.mu.Unlock()
		select {
		case <-e.done:
			if e.err != nil {
				return c.get(ctx, job, train)
			}
			return e.pool, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	e := &poolEntry{job: job, done: make(chan struct{})}
	c.entries = append(c.entries, e)
	if len(c.entries) > poolsKept {
		c.entries = slices.Delete(c.entries, 0, len(c.entries)-poolsKept)
	}
	c.mu.Unlock()
	e.pool, e.err = train(ctx)
	if e.err != nil {
		c.mu.Lock()
		c.entries = slices.DeleteFunc(c.entries, func(x *poolEntry) bool { return x == e })
		c.mu.Unlock()
	}
	close(e.done)
	return e.pool, e.err
}
