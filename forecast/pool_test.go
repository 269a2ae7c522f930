package forecast

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/forecastd/forecastd/data"
)

// TestPoolSample: the sample is every key when one group takes them
// (TakesRest), else MaxGlobalGroup keys, in key order; it does not
// depend on the order the keys come in, a key's presence does not
// depend on the others (a smaller set's sample keeps the keys it shares
// with a larger one's), and it spreads over the stores.
func TestPoolSample(t *testing.T) {
	keys := func(stores, skus int) []data.Key {
		var out []data.Key
		for s := range stores {
			for k := range skus {
				out = append(out, data.Key{Store: fmt.Sprintf("S%d", s), SKU: fmt.Sprintf("FOODS_%04d", k)})
			}
		}
		return out
	}
	small := keys(3, 500) // 1,500: one group takes them
	if got := PoolSample(small); !slices.Equal(got, small) {
		t.Errorf("1,500 keys: sample of %d, want all of them", len(got))
	}
	big := keys(10, 305)
	sample := PoolSample(big)
	if len(sample) != MaxGlobalGroup || !slices.IsSortedFunc(sample, compareKeys) {
		t.Fatalf("3,050 keys: sample of %d (sorted %v), want %d sorted", len(sample), slices.IsSortedFunc(sample, compareKeys), MaxGlobalGroup)
	}
	shuffled := slices.Clone(big)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if !slices.Equal(PoolSample(shuffled), sample) {
		t.Error("the sample depends on the keys' order")
	}
	perStore := map[string]int{}
	for _, k := range sample {
		perStore[k.Store]++
	}
	for s, n := range perStore {
		if n < 70 || n > 130 {
			t.Errorf("store %s has %d of the sample's %d keys: not spread over the 10 stores", s, n, len(sample))
		}
	}
	if len(perStore) != 10 {
		t.Errorf("sample covers %d stores, want 10", len(perStore))
	}
	// A larger job's sample keeps the smaller job's keys whose hash is
	// still among the smallest: every key of the 3,050 sample that is in
	// the first 2,000 keys is in the 2,000 keys' sample.
	sub := PoolSample(big[:2000])
	for _, k := range sample {
		if slices.ContainsFunc(big[:2000], func(x data.Key) bool { return x == k }) && !slices.Contains(sub, k) {
			t.Fatalf("%s is in the sample of 3,050 keys and among the first 2,000, but not in theirs", k)
		}
	}
}

// TestPoolSharedAcrossBatches: a job's pool (TrainPool) makes its
// forecasts independent of how it is cut. Run over all the series, and
// Run over two halves each given the pool trained on all of them, give
// every series the same forecast and leaderboard, bit for bit; the
// halves train no pool of their own.
func TestPoolSharedAcrossBatches(t *testing.T) {
	series := storeItemSeries(t, "3", 12, 200)
	o := Options{Horizon: 14, TopK: 3, Candidates: specs(t, "seasonal_naive", "ses", "global_gbdt", "global_window_ridge")}
	whole, _ := runAll(t, series, o)

	var trained []GlobalStats
	o.OnGlobal = func(gs GlobalStats) { trained = append(trained, gs) }
	// The pool sees the series in another order than the batches: it
	// sorts them itself.
	rev := slices.Clone(series)
	slices.Reverse(rev)
	pool, err := TrainPool(context.Background(), rev, o)
	if err != nil || pool == nil {
		t.Fatalf("TrainPool: %v, %v", pool, err)
	}
	o.Pool = pool
	parts := map[data.Key]*Outcome{}
	for _, half := range [][]*data.Series{series[:5], series[5:]} {
		out, _ := runAll(t, half, o)
		for k, v := range out {
			parts[k] = v
		}
	}
	if len(trained) != 1 || trained[0].Series != len(series) || trained[0].Models == 0 {
		t.Errorf("pools trained: %+v; want one, on the %d series", trained, len(series))
	}
	for _, s := range series {
		a, b := whole[s.Key].Result, parts[s.Key].Result
		for i := range a.Points {
			if a.Points[i] != b.Points[i] {
				t.Fatalf("%s step %d: %+v whole, %+v in a batch with the pool", s.Key, i, a.Points[i], b.Points[i])
			}
		}
		for i := range a.Leaderboard {
			x, y := a.Leaderboard[i], b.Leaderboard[i]
			if x.Name != y.Name || x.Backtest != y.Backtest || x.Rank != y.Rank || x.Kept != y.Kept || x.Error != y.Error {
				t.Fatalf("%s: leaderboard %+v whole, %+v with the pool", s.Key, x, y)
			}
		}
	}
}
