package jobs

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/models"
)

// Cost-sized partitions (issue 20, "no stragglers"). Chunks of a fixed
// number of series finish at very different times: M5-shaped data has a
// third of its products launched mid-history, so one chunk of 50 series
// may hold twice the history of the next, and the last chunk a worker
// picks up can keep it busy long after the other worker went idle. The
// default plan therefore
//   - estimates each series' cost as its stored rows (its history length)
//     times the job's candidates, what a tournament's work grows with;
//   - cuts the series, in store and SKU order (so each partition reads a
//     narrow range of the sales table), into partitions of equal
//     estimated cost, at least partsPerWorker per live worker, so no
//     partition holds more than 1/(partsPerWorker × workers) of the
//     job's work, i.e. about 2.5% of the job's wall time with every
//     worker busy: half the 5% bound, the other half a margin for
//     the estimate's error;
//   - inserts them most expensive first: River hands out partitions in
//     insertion order, so what is left at the end is the cheapest.

// partsPerWorker is the least number of partitions per live worker of
// a cost-sized plan (see above).
const partsPerWorker = 40

// seriesCost is the estimated cost of training one series.
type seriesCost struct {
	key  data.Key
	cost float64
}

// costs estimates the cost of each series: rows × candidates. The
// candidates are the same for every series of a job, so they do not
// change the plan's proportions; they keep the figure comparable across
// jobs (PartArgs.Cost, the job's fan_out summary).
func costs(infos []sqlstore.SeriesInfo, candidates int) []seriesCost {
	out := make([]seriesCost, len(infos))
	for i, si := range infos {
		out[i] = seriesCost{key: data.Key{Store: si.Store, SKU: si.SKU}, cost: float64(max(si.Rows, 1) * max(candidates, 1))}
	}
	return out
}

// planByCost splits series (in store and SKU order) into contiguous
// partitions of about equal cost: max(ceil(n/maxSize),
// partsPerWorker×workers) of them, at most one per series, none with more
// than maxSize series, ordered most expensive first.
func planByCost(series []seriesCost, maxSize, workers int) []PartArgs {
	n := len(series)
	if n == 0 {
		return nil
	}
	maxSize = max(maxSize, 1)
	want := min(max((n+maxSize-1)/maxSize, partsPerWorker*max(workers, 1)), n)
	var total float64
	for _, s := range series {
		total += s.cost
	}
	// A partition ends where the running cost crosses the next of want
	// equal shares of the total (or at maxSize series), so an expensive
	// series does not push every later boundary along. With as many
	// shares as series, each series is a partition.
	var parts []PartArgs
	var run, partCost float64
	start := 0
	for i, s := range series {
		run += s.cost
		partCost += s.cost
		share := total * float64(len(parts)+1) / float64(want)
		if i == n-1 || run >= share || i+1-start >= maxSize || want == n {
			keys := make([]data.Key, 0, i+1-start)
			for _, t := range series[start : i+1] {
				keys = append(keys, t.key)
			}
			parts = append(parts, PartArgs{Keys: keys, Series: len(keys), Cost: partCost})
			start, partCost = i+1, 0
		}
	}
	return longestFirst(parts)
}

// Plans (FanOut.Plan).
const (
	planAll  = "all"  // one partition: a refresh, a reconciled job
	planCost = "cost" // planByCost
)

// planBy is how a job's series are split: "all" in one partition (a
// refresh, a reconciled job), "store", "series" (chunks of the
// partition_size the job asked for, kept as asked), else "cost". A job
// with global candidates is cut like any other: its partitions share the
// job's pool (pool.go), so how it is cut does not change its forecasts.
func planBy(p Params) string {
	switch {
	case p.Kind == KindRefresh || p.reconciles():
		return planAll
	case p.PartitionBy == PartitionByStore:
		return PartitionByStore
	case p.PartitionSize > 0:
		return PartitionBySeries
	}
	return planCost
}

// longestFirst orders parts most expensive first (stably: equal costs
// keep store order) and numbers them in that order, the order River
// hands them out.
func longestFirst(parts []PartArgs) []PartArgs {
	slices.SortStableFunc(parts, func(a, b PartArgs) int { return cmp.Compare(b.Cost, a.Cost) })
	for i := range parts {
		parts[i].Part, parts[i].Parts = i, len(parts)
	}
	return parts
}

// hasGlobal reports whether specs hold a global candidate.
func hasGlobal(specs []models.Spec) bool {
	return slices.ContainsFunc(specs, func(s models.Spec) bool { return s.Global })
}

// liveWorkers counts the worker processes whose heartbeat is recent
// (over PostgreSQL), at least 1: the plan sizes its partitions for them.
func (q *Queue) liveWorkers(ctx context.Context) (int, error) {
	if q.listener == nil {
		return 1, nil
	}
	var n int
	if err := q.store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM forecastd_workers
		WHERE last_beat > now() - make_interval(secs => $1::float8)`, q.cfg.DeadAfter.Seconds()).Scan(&n); err != nil {
		return 0, fmt.Errorf("jobs: count live workers: %w", err)
	}
	return max(n, 1), nil
}
