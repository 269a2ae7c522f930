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
		p    Params
		want string
	}{
		{Params{Kind: KindTrain}, "cost"},
		{Params{Kind: KindTrain, PartitionSize: 4}, "series"},
		{Params{Kind: KindTrain, PartitionBy: PartitionByStore}, "store"},
		{Params{Kind: KindRefresh}, "all"},
	} {
		if got := planBy(tc.p); got != tc.want {
			t.Errorf("planBy(%+v) = %q, want %q", tc.p, got, tc.want)
		}
	}
}

// TestBatchesTakeTheTail: a one-process run's batches (eachBatch) are
// whole batches in key order, the last taking a tail of up to half a
// batch (forecast.TakesRest), for sizes around each boundary of the
// rule: the rule that decides whether a job's batches share a pool
// (stream.go).
func TestBatchesTakeTheTail(t *testing.T) {
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
		if got := slices.Concat(got...); len(got) != 17 || !slices.IsSortedFunc(got, func(a, b data.Key) int { return cmp.Compare(a.SKU, b.SKU) }) {
			t.Errorf("size %d: batches hold %v", size, got)
		}
		for i := range got {
			if len(got[i]) > size+size/2 || (i < len(got)-1 && len(got[i]) != size) {
				t.Errorf("size %d: batch %d holds %d series", size, i, len(got[i]))
			}
		}
	}
}
