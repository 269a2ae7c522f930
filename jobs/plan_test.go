package jobs

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
)

// TestPlanByCost: a cost-sized plan covers every series once, in
// contiguous store-order runs, with at least 40 partitions per worker,
// none over the size cap, none holding more than about 1/parts of the
// cost, and the most expensive first.
func TestPlanByCost(t *testing.T) {
	// 300 series; a third launched late (short), as in M5-shaped data.
	var infos []sqlstore.SeriesInfo
	for i := range 300 {
		rows := 1941
		if i%3 == 1 {
			rows = 200 + 5*i
		}
		infos = append(infos, sqlstore.SeriesInfo{Store: fmt.Sprintf("S%d", i/100), SKU: fmt.Sprintf("K%03d", i%100), Rows: rows})
	}
	series := costs(infos, 35)
	var total float64
	for _, s := range series {
		total += s.cost
	}
	for _, tc := range []struct{ maxSize, workers, minParts int }{{50, 2, 80}, {50, 1, 40}, {3, 2, 100}, {50, 20, 300}} {
		t.Run(fmt.Sprintf("size %d workers %d", tc.maxSize, tc.workers), func(t *testing.T) {
			parts := planByCost(series, tc.maxSize, tc.workers)
			if len(parts) < tc.minParts {
				t.Fatalf("%d partitions, want at least %d", len(parts), tc.minParts)
			}
			seen := map[string]int{}
			for i, p := range parts {
				if p.Part != i || p.Parts != len(parts) || p.Series != len(p.Keys) || p.Series > tc.maxSize {
					t.Fatalf("partition %d = %+v", i, p)
				}
				if i > 0 && p.Cost > parts[i-1].Cost {
					t.Fatalf("partition %d costs %.0f, more than the one before (%.0f): not most expensive first", i, p.Cost, parts[i-1].Cost)
				}
				// One series may exceed a share on its own; otherwise a
				// partition stops at the share it crosses.
				if share := total / float64(len(parts)); p.Series > 1 && p.Cost > 2*share {
					t.Errorf("partition %d costs %.0f, over twice the share %.0f", i, p.Cost, share)
				}
				var cost float64
				for _, k := range p.Keys {
					seen[k.String()]++
					cost += float64(35 * rowsOf(infos, k.Store, k.SKU))
				}
				if cost != p.Cost {
					t.Errorf("partition %d: cost %.0f, its series cost %.0f", i, p.Cost, cost)
				}
			}
			if len(seen) != len(infos) {
				t.Fatalf("%d series planned, want %d", len(seen), len(infos))
			}
			for k, n := range seen {
				if n != 1 {
					t.Fatalf("series %s in %d partitions", k, n)
				}
			}
		})
	}
	if got := planByCost(series[:5], 50, 2); len(got) != 5 {
		t.Errorf("5 series: %d partitions, want one each", len(got))
	}
	if got := planByCost(nil, 50, 2); got != nil {
		t.Errorf("no series: %+v", got)
	}
}

func rowsOf(infos []sqlstore.SeriesInfo, store, sku string) int {
	for _, si := range infos {
		if si.Store == store && si.SKU == sku {
			return si.Rows
		}
	}
	return 0
}

func TestPlanBy(t *testing.T) {
	for _, tc := range []struct {
		p      Params
		global bool
		want   string
	}{
		{Params{Kind: KindTrain}, false, "cost"},
		{Params{Kind: KindTrain}, true, "batches"},
		{Params{Kind: KindTrain, PartitionSize: 4}, true, "series"},
		{Params{Kind: KindTrain, PartitionBy: PartitionByStore}, false, "store"},
		{Params{Kind: KindRefresh}, true, "all"},
	} {
		if got := planBy(tc.p, tc.global); got != tc.want {
			t.Errorf("planBy(%+v) = %q, want %q", tc.p, got, tc.want)
		}
	}
}

// TestPlanByBatch: with a global candidate the partitions are the
// one-process batches, whole and in key order within each, most
// expensive first; a tail of at most half a batch joins the batch before
// it (forecast.TakesRest), as in a one-process run.
func TestPlanByBatch(t *testing.T) {
	infos := func(n int) []sqlstore.SeriesInfo {
		var out []sqlstore.SeriesInfo
		for i := range n {
			out = append(out, sqlstore.SeriesInfo{Store: "S", SKU: fmt.Sprintf("K%02d", i), Rows: 10 + i})
		}
		return out
	}
	for _, tc := range []struct {
		series    int
		wantFirst []string
		wantSize  []int
		wantCost  []float64
	}{
		// [0,4) then a tail of 6 (at most 4 + 2): one batch [4,10).
		{10, []string{"K04", "K00"}, []int{6, 4}, []float64{198, 92}},
		// [0,4) [4,8), then the 5 left ride together: [8,13).
		{13, []string{"K08", "K04", "K00"}, []int{5, 4, 4}, []float64{2 * (18 + 19 + 20 + 21 + 22), 124, 92}},
		// Exactly two batches.
		{8, []string{"K04", "K00"}, []int{4, 4}, []float64{124, 92}},
	} {
		parts := planByBatch(costs(infos(tc.series), 2), 4)
		if len(parts) != len(tc.wantFirst) {
			t.Fatalf("%d series: %d partitions, want %d: %+v", tc.series, len(parts), len(tc.wantFirst), parts)
		}
		for i, p := range parts {
			if p.Part != i || p.Parts != len(parts) || p.Keys[0].SKU != tc.wantFirst[i] || p.Cost != tc.wantCost[i] ||
				p.Series != len(p.Keys) || p.Series != tc.wantSize[i] {
				t.Errorf("%d series: partition %d = %+v, want first key %s, %d series, cost %.0f",
					tc.series, i, p, tc.wantFirst[i], tc.wantSize[i], tc.wantCost[i])
			}
		}
	}
}

// TestBatchesMatchPlan: a one-process run's batches (eachBatch) and the
// fan-out's partitions (planByBatch) cut the same series at the same
// places, tail included, for sizes around each boundary of the rule.
func TestBatchesMatchPlan(t *testing.T) {
	ctx := context.Background()
	store, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	var obs []data.Observation
	for i := range 17 {
		obs = append(obs, data.Observation{Key: data.Key{Store: "S", SKU: fmt.Sprintf("K%02d", i)},
			Date: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Quantity: 1})
	}
	if _, err := store.Ingest(ctx, data.Each(obs)); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{1, 2, 3, 4, 5, 6, 8, 11, 12, 16, 17, 40} {
		r := &Runner{Store: store, BatchSize: size}
		var got [][]data.Key
		if err := r.eachBatch(ctx, sqlstore.SeriesFilter{}, func(b []data.Key, _, _ *data.Key) error {
			got = append(got, slices.Clone(b))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		infos, err := store.ListSeries(ctx, "", data.Key{}, 100)
		if err != nil {
			t.Fatal(err)
		}
		parts := planByBatch(costs(infos, 1), size)
		slices.SortFunc(parts, func(a, b PartArgs) int { return cmp.Compare(a.Keys[0].SKU, b.Keys[0].SKU) })
		if len(parts) != len(got) {
			t.Fatalf("size %d: %d batches, %d partitions", size, len(got), len(parts))
		}
		for i := range got {
			if !slices.Equal(got[i], parts[i].Keys) {
				t.Errorf("size %d: batch %d %v, partition %v", size, i, got[i], parts[i].Keys)
			}
			if len(got[i]) > size+size/2 || (i < len(got)-1 && len(got[i]) != size) {
				t.Errorf("size %d: batch %d holds %d series", size, i, len(got[i]))
			}
		}
	}
}
