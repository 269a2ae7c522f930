package jobs

import (
	"fmt"
	"testing"

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
// expensive first.
func TestPlanByBatch(t *testing.T) {
	var infos []sqlstore.SeriesInfo
	for i := range 10 {
		infos = append(infos, sqlstore.SeriesInfo{Store: "S", SKU: fmt.Sprintf("K%02d", i), Rows: 10 + i})
	}
	parts := planByBatch(costs(infos, 2), 4)
	// Batches [0,4) [4,8) [8,10) cost 2*(46) 2*(62) 2*(37).
	wantFirst := []string{"K04", "K00", "K08"}
	wantCost := []float64{124, 92, 74}
	if len(parts) != 3 {
		t.Fatalf("%d partitions, want 3: %+v", len(parts), parts)
	}
	for i, p := range parts {
		if p.Part != i || p.Parts != 3 || p.Keys[0].SKU != wantFirst[i] || p.Cost != wantCost[i] || p.Series != len(p.Keys) {
			t.Errorf("partition %d = %+v, want first key %s cost %.0f", i, p, wantFirst[i], wantCost[i])
		}
	}
}
