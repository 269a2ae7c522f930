// Command global measures what the global candidate (global_gbdt) adds
// to the tournament, on held-out data, through forecast.Run (the path a
// job takes, where the global models are trained across the series):
//
//   - Kaggle store/item demand, the last 90 days held out, h = 90: WAPE
//     at the bottom (store x item), of store totals and of the grand
//     total, each aggregate the sum of its SKU forecasts;
//   - M4 hourly, h = 48, scored as the competition did (sMAPE, MASE,
//     OWA against Naive2's published figures).
//
// Each is run for the configurations named by -configs: "default" (the
// default tournament), "local" (it without its global candidates: the
// default before issue 18), "globals" (the three global candidates and
// seasonal naive), "global", "direct", "tweedie", "ridge" (each global
// candidate alone, top 1: ridge is global_window_ridge) and "snaive"
// (seasonal naive alone); a name ending "+ridge" is that configuration
// with global_window_ridge added (default+ridge, local+ridge). The pooled XGBoost peer is bench/global/peer_xgboost.py; run.sh
// runs both on the same split.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/forecastd/forecastd/bench/holdout"
	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/models"
)

func main() {
	dataDir := flag.String("data", "../shared/data", "folder holding m4_hourly/ and store_item_demand/")
	set := flag.String("set", "store", "store, m4, both, or m5 (M5-shaped synthetic series, data/demo.WriteM5, h=28)")
	m5Series := flag.Int("m5-series", 3050, "with -set m5: how many series (10 stores x n/10 SKUs x 1,941 days)")
	limit := flag.Int("limit", 0, "use only the first N series (0 = all)")
	configs := flag.String("configs", "local,default", "comma-separated: default, local (the default without the global candidates), globals (the three with seasonal_naive only), global, direct, tweedie, ridge (each alone), snaive; NAME+ridge adds global_window_ridge to NAME")
	workers := flag.Int("workers", runtime.GOMAXPROCS(0), "series trained at once")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	if *set == "m5" {
		err = runM5(ctx, *m5Series, strings.Split(*configs, ","), *workers)
	} else {
		err = run(ctx, *dataDir, *set, *limit, strings.Split(*configs, ","), *workers)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "global:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir, set string, limit int, configs []string, workers int) error {
	if set == "store" || set == "both" {
		series, err := holdout.StoreItem(filepath.Join(dir, "store_item_demand", "demand-forecasting-kernels-only.zip"))
		if err != nil {
			return err
		}
		train, actual := holdOut(series, 90, limit)
		fmt.Printf("store/item: %d series, last 90 days held out, h=90\n", len(train))
		fmt.Printf("%-16s %8s %8s %8s %10s %9s\n", "config", "bottom", "store", "total", "seconds", "cold/fb")
		for _, c := range configs {
			fc, secs, sum, err := forecastAll(ctx, train, c, 90, 7, workers)
			if err != nil {
				return fmt.Errorf("%s: %w", c, err)
			}
			b, s, t := storeItemWAPE(train, actual, fc)
			fmt.Printf("%-16s %8.4f %8.4f %8.4f %10.1f %4d/%-4d\n", c, b, s, t, secs, sum.ColdStart, sum.Fallback)
		}
	}
	if set == "m4" || set == "both" {
		series, test, err := holdout.M4Hourly(filepath.Join(dir, "m4_hourly"))
		if err != nil {
			return err
		}
		if limit > 0 && limit < len(series) {
			series, test = series[:limit], test[:limit]
		}
		fmt.Printf("M4 hourly: %d series, h=48\n", len(series))
		fmt.Printf("%-16s %8s %8s %8s %10s\n", "config", "sMAPE", "MASE", "OWA", "seconds")
		for _, c := range configs {
			fc, secs, _, err := forecastAll(ctx, series, c, 48, 24, workers)
			if err != nil {
				return fmt.Errorf("%s: %w", c, err)
			}
			sm, ma, owa := m4Score(series, test, fc)
			fmt.Printf("%-16s %8.3f %8.3f %8.3f %10.1f\n", c, sm, ma, owa, secs)
		}
	}
	return nil
}

// holdOut cuts the last h points off each series (the first limit).
func holdOut(series []*data.Series, h, limit int) ([]*data.Series, [][]float64) {
	if limit > 0 && limit < len(series) {
		series = series[:limit]
	}
	train := make([]*data.Series, len(series))
	actual := make([][]float64, len(series))
	for i, s := range series {
		n := len(s.Values)
		c := *s
		c.Values = s.Values[: n-h : n-h]
		train[i], actual[i] = &c, s.Values[n-h:]
	}
	return train, actual
}

// specs returns the candidates of a configuration and its top k.
func specs(config string) ([]models.Spec, int, error) {
	reg := models.Standard()
	if base, ok := strings.CutSuffix(config, "+ridge"); ok {
		// A configuration with global_window_ridge added.
		s, topK, err := specs(base)
		if err != nil {
			return nil, 0, err
		}
		ridge, _ := reg.Lookup("global_window_ridge")
		return append(s, ridge), topK, nil
	}
	var names []string
	topK := 5
	switch config {
	case "default":
		names = models.DefaultTournament()
	case "local":
		// The default tournament before issue 18: without the global
		// candidates.
		for _, n := range models.DefaultTournament() {
			if s, ok := reg.Lookup(n); ok && !s.Global {
				names = append(names, n)
			}
		}
	case "global":
		names, topK = []string{"global_gbdt"}, 1
	case "direct":
		names, topK = []string{"global_gbdt_direct"}, 1
	case "tweedie":
		names, topK = []string{"global_gbdt_tweedie"}, 1
	case "globals":
		names = []string{"seasonal_naive", "global_gbdt", "global_gbdt_direct", "global_gbdt_tweedie"}
	case "ridge":
		names, topK = []string{"global_window_ridge"}, 1
	case "snaive":
		names, topK = []string{"seasonal_naive"}, 1
	default:
		return nil, 0, fmt.Errorf("unknown config %q", config)
	}
	s, err := reg.Select(names)
	return s, topK, err
}

// forecastAll runs a job's forecast.Run over series and returns each
// series' point forecasts (nil for a failed one), the wall time and the
// summary of outcomes.
func forecastAll(ctx context.Context, series []*data.Series, config string, h, season, workers int) ([][]float64, float64, forecast.Summary, error) {
	cands, topK, err := specs(config)
	var sum forecast.Summary
	if err != nil {
		return nil, 0, sum, err
	}
	idx := make(map[data.Key]int, len(series))
	for i, s := range series {
		idx[s.Key] = i
	}
	out := make([][]float64, len(series))
	o := forecast.Options{Horizon: h, Season: season, TopK: topK, Candidates: cands, Workers: workers}
	start := time.Now()
	err = forecast.Run(ctx, series, o, func(s *data.Series, res *forecast.Outcome, err error) error {
		sum.Add(s.Key, res, err)
		if err != nil {
			return nil
		}
		fc := make([]float64, len(res.Result.Points))
		for i, p := range res.Result.Points {
			fc[i] = p.Value
		}
		out[idx[s.Key]] = fc
		return nil
	}, func(done, total int) {
		if done%max(total/10, 1) == 0 {
			fmt.Fprintf(os.Stderr, "%s: %d/%d %s\n", config, done, total, time.Since(start).Round(time.Second))
		}
	})
	return out, time.Since(start).Seconds(), sum, err
}

// storeItemWAPE is the WAPE of the SKU forecasts, of the store totals and
// of the grand total, the aggregates summed from the SKU forecasts. A
// failed series counts with a zero forecast.
func storeItemWAPE(train []*data.Series, actual, fc [][]float64) (bottom, store, total float64) {
	h := len(actual[0])
	stores := map[string][2][]float64{}
	tot := [2][]float64{make([]float64, h), make([]float64, h)}
	var e, a float64
	for i, s := range train {
		st, ok := stores[s.Key.Store]
		if !ok {
			st = [2][]float64{make([]float64, h), make([]float64, h)}
			stores[s.Key.Store] = st
		}
		for j := 0; j < h; j++ {
			f := 0.0
			if fc[i] != nil {
				f = fc[i][j]
			}
			e += math.Abs(actual[i][j] - f)
			a += math.Abs(actual[i][j])
			st[0][j] += f
			st[1][j] += actual[i][j]
			tot[0][j] += f
			tot[1][j] += actual[i][j]
		}
	}
	var se, sa float64
	for _, st := range stores {
		for j := 0; j < h; j++ {
			se += math.Abs(st[1][j] - st[0][j])
			sa += math.Abs(st[1][j])
		}
	}
	var te, ta float64
	for j := 0; j < h; j++ {
		te += math.Abs(tot[1][j] - tot[0][j])
		ta += math.Abs(tot[1][j])
	}
	return e / a, se / sa, te / ta
}

// m4Score is M4's sMAPE, MASE and OWA over the series forecast.
func m4Score(series []*data.Series, test, fc [][]float64) (smape, mase, owa float64) {
	const naive2SMAPE, naive2MASE = 18.383, 2.395
	n := 0
	for i, s := range series {
		if fc[i] == nil {
			continue
		}
		m, err := models.MASE(s.Values, test[i], fc[i], 24)
		if err != nil {
			continue
		}
		smape += models.SMAPE(test[i], fc[i])
		mase += m
		n++
	}
	smape, mase = smape/float64(n), mase/float64(n)
	return smape, mase, models.OWA(smape, mase, naive2SMAPE, naive2MASE)
}
