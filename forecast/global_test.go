package forecast

import (
	"archive/zip"
	"context"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/models"
)

// storeItemZip is the Kaggle store/item demand data (500 daily series,
// 2013-2017), as described in shared/data/README.md.
const storeItemZip = "../../shared/data/store_item_demand/demand-forecasting-kernels-only.zip"

// storeItemSeries reads the series of one store, items 1..items, each cut
// to its last days points. The file goes through the upload parser, its
// item and sales columns named as a user would name them.
func storeItemSeries(t *testing.T, store string, items, days int) []*data.Series {
	t.Helper()
	zr, err := zip.OpenReader(storeItemZip)
	if err != nil {
		t.Fatalf("store/item data: %v", err)
	}
	defer func() { _ = zr.Close() }() // read-only
	rc, err := zr.Open("train.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rc.Close() }() // read-only
	var obs []data.Observation
	_, err = ingest.ParseCSVWith(rc, &ingest.Options{SKU: "item", Quantity: "sales"}, func(o data.Observation) error {
		if item, err := strconv.Atoi(o.Key.SKU); o.Key.Store == store && err == nil && item <= items {
			obs = append(obs, o)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	series, err := ingest.Assemble(obs, data.Daily)
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != items {
		t.Fatalf("read %d series of store %s, want %d", len(series), store, items)
	}
	for _, s := range series {
		n := len(s.Values)
		s.Start = s.Date(n - days)
		s.Values = s.Values[n-days:]
	}
	return series
}

// runAll runs forecast.Run and returns the outcomes by key with the
// summary.
func runAll(t *testing.T, series []*data.Series, o Options) (map[data.Key]*Outcome, Summary) {
	t.Helper()
	out := map[data.Key]*Outcome{}
	var sum Summary
	err := Run(context.Background(), series, o, func(s *data.Series, res *Outcome, err error) error {
		sum.Add(s.Key, res, err)
		if err != nil {
			t.Errorf("%s: %v", s.Key, err)
			return nil
		}
		out[s.Key] = res
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out, sum
}

// TestColdStartStoreItem is issue 18's cold-start check: five SKUs of
// store 1 given only their last 14 days, in a job with fifteen SKUs of
// full history, get forecasts from the global model (class cold_start,
// counted in the summary) whose WAPE over the next 28 days is at least
// 10% better than the mean of those 14 days, the flat fallback they got
// before. Without a global candidate the same series fall back.
func TestColdStartStoreItem(t *testing.T) {
	const h, full, cold = 28, 15, 5
	series := storeItemSeries(t, "1", full+cold, 450)
	actual := map[data.Key][]float64{}
	var coldKeys []data.Key
	for i, s := range series {
		n := len(s.Values)
		actual[s.Key] = s.Values[n-h:]
		s.Values = s.Values[:n-h]
		if i >= full {
			n = len(s.Values)
			s.Start = s.Date(n - 14)
			s.Values = s.Values[n-14:]
			coldKeys = append(coldKeys, s.Key)
		}
	}
	o := Options{Horizon: h, Candidates: specs(t, "seasonal_naive", "global_gbdt")}
	out, sum := runAll(t, series, o)
	if sum.ColdStart != cold || sum.Fallback != 0 {
		t.Errorf("summary counts %d cold start, %d fallback; want %d, 0", sum.ColdStart, sum.Fallback, cold)
	}
	var errGlobal, errMean, total float64
	for _, k := range coldKeys {
		res := out[k].Result
		if res.Class != ClassColdStart || out[k].Class != ClassColdStart || len(res.Models) != 1 || res.Models[0].Name != "global_gbdt" {
			t.Fatalf("%s: class %q, models %+v; want cold_start by global_gbdt", k, res.Class, res.Models)
		}
		if len(out[k].Kept) != 1 || len(out[k].Kept[0].State) == 0 {
			t.Errorf("%s: kept %+v, want the global model's state", k, out[k].Kept)
		}
		var s *data.Series
		for _, c := range series {
			if c.Key == k {
				s = c
			}
		}
		var mean float64
		for _, v := range s.Values {
			mean += v
		}
		mean /= float64(len(s.Values))
		for i, p := range res.Points {
			a := actual[k][i]
			errGlobal += math.Abs(a - p.Value)
			errMean += math.Abs(a - mean)
			total += a
			if !(p.Lower <= p.Value && p.Value <= p.Upper) {
				t.Errorf("%s step %d: %v outside its interval", k, i, p)
			}
		}
	}
	wg, wm := errGlobal/total, errMean/total
	t.Logf("five cold-start SKUs, h=%d: WAPE %.4f global_gbdt, %.4f mean of their 14 days", h, wg, wm)
	if wg > 0.9*wm {
		t.Errorf("cold-start WAPE %.4f is not 10%% better than the mean's %.4f", wg, wm)
	}

	o.Candidates = specs(t, "seasonal_naive")
	out, sum = runAll(t, series, o)
	if sum.Fallback != cold || sum.ColdStart != 0 || out[coldKeys[0]].Result.Class != ClassFallback {
		t.Errorf("without a global candidate: %d fallback, %d cold start; want %d, 0", sum.Fallback, sum.ColdStart, cold)
	}
}

// TestGlobalCandidatesInTournament checks the global candidates are
// scored on every fold of each series' backtest like a local one, ranked
// and kept, when Run trains them; and that a Tournament on one series
// alone trains them on that series (a pool of one) and ranks them too.
func TestGlobalCandidatesInTournament(t *testing.T) {
	series := storeItemSeries(t, "2", 8, 240)
	o := Options{Horizon: 14, TopK: 3, Candidates: specs(t, "seasonal_naive", "global_gbdt", "global_gbdt_direct")}
	out, sum := runAll(t, series, o)
	if sum.Full != len(series) {
		t.Fatalf("summary %+v, want every series full", sum)
	}
	for k, res := range out {
		for _, e := range res.Result.Leaderboard {
			if e.Error != "" || e.Rank == 0 || e.Folds != 3 || !e.Kept {
				t.Errorf("%s: entry %+v, want ranked and kept on 3 folds", k, e)
			}
		}
		for _, kept := range res.Kept {
			spec, _ := models.Standard().Lookup(kept.Name)
			if _, err := spec.Load(kept.State); err != nil {
				t.Errorf("%s: load %s: %v", k, kept.Name, err)
			}
		}
	}
	alone, err := Tournament(context.Background(), series[0], o)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range alone.Result.Leaderboard {
		if strings.HasPrefix(e.Name, "global_") && (e.Error != "" || e.Rank == 0) {
			t.Errorf("alone: %+v, want ranked", e)
		}
	}
}
