package forecast

import (
	"cmp"
	"context"
	"hash/fnv"
	"runtime"
	"slices"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/internal/cputime"
)

// Pool is the global candidates' models of a whole job, trained once on a
// sample of its series (PoolSample) and shared by every batch or
// partition the job is trained in (Options.Pool), one group of models per
// frequency and season.
//
// Why one pool per job rather than one per batch: a pool's cost hardly
// depends on its series (global.Settings.PoolRows caps its rows), so
// pools per 1,000-series batch made the global candidates' cost grow with
// the job (30 pools at M5's 30,490 series) and tied a job's forecasts to
// how it was cut: two workers had to run the one-process batches as
// partitions, at most a few per job, and the last of them straggled. With
// one pool, the partitions can be as small as the plan wants and every
// way of running a job gives the same forecasts.
type Pool struct {
	groups map[poolKind]*globalGroup
}

// poolSampleSize is how many series a job's pool learns from when the
// job has more than TakesRest lets one group hold: MaxGlobalGroup, the
// group a batch trained before.
const poolSampleSize = MaxGlobalGroup

// PoolSample returns the keys of the series a job's pool is trained on,
// in key order: all of them when one group takes them (TakesRest: up to
// 1.5 MaxGlobalGroup), else the poolSampleSize whose hash is smallest.
// The hash is of the key alone, so the sample is the same whatever order
// the keys come in and however the job is cut, and it spreads over the
// stores and products rather than taking the first ones.
func PoolSample(keys []data.Key) []data.Key {
	out := slices.Clone(keys)
	if !TakesRest(len(out), MaxGlobalGroup) {
		type hashed struct {
			h uint64
			k data.Key
		}
		hs := make([]hashed, len(out))
		for i, k := range out {
			hs[i] = hashed{keyHash(k), k}
		}
		slices.SortFunc(hs, func(a, b hashed) int {
			return cmp.Or(cmp.Compare(a.h, b.h), compareKeys(a.k, b.k))
		})
		out = out[:poolSampleSize]
		for i := range out {
			out[i] = hs[i].k
		}
	}
	slices.SortFunc(out, compareKeys)
	return slices.CompactFunc(out, func(a, b data.Key) bool { return a == b })
}

// keyHash is FNV-1a of the store and SKU (a zero byte between them, so
// that ("ab", "c") and ("a", "bc") differ), mixed by splitmix64's
// finalizer: FNV's high bits hardly depend on the last bytes, and
// sorting by the raw hash took whole stores (TestPoolSample).
func keyHash(k data.Key) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(k.Store)) // hash writes never fail
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(k.SKU))
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func compareKeys(a, b data.Key) int {
	return cmp.Or(cmp.Compare(a.Store, b.Store), cmp.Compare(a.SKU, b.SKU))
}

// TrainPool trains the global candidates among o.Candidates on series
// (a job's PoolSample, loaded and screened as the job's own series are),
// one group per frequency and season, and reports the cost to
// o.OnGlobal. It returns nil when there is no global candidate or no
// series; a group that cannot be trained leaves its candidates to
// decline; only a cancelled ctx or invalid options are an error.
func TrainPool(ctx context.Context, series []*data.Series, o Options) (*Pool, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	specs, pooled := globalSpecs(o.Candidates)
	if len(specs)+len(pooled) == 0 || len(series) == 0 {
		return nil, nil
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	t0, cpu0 := time.Now(), cputime.Process()
	stats := GlobalStats{Series: len(series)}
	p := &Pool{groups: map[poolKind]*globalGroup{}}
	order, by := byKind(series, o)
	for _, k := range order {
		g, err := trainGroup(ctx, by[k], k.m, o, specs, pooled)
		if err != nil {
			return nil, err
		}
		p.groups[k] = g
		stats.addGroup(g)
	}
	if o.OnGlobal != nil {
		stats.Seconds = time.Since(t0).Seconds()
		stats.CPUSeconds = (cputime.Process() - cpu0).Seconds()
		o.OnGlobal(stats)
	}
	return p, nil
}
