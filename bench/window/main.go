// Command window measures global_window_ridge's pooled model alone
// (models/window), outside the tournament, to choose its settings: it
// trains one model on the histories and forecasts each series once.
//
//	go run ./bench/window -set m4 -valid                 # M4 hourly, tuned on the last 48 training hours
//	go run ./bench/window -set store -valid -lags 180    # store/item (first 100), on the 90 days before the holdout
//
// With -valid the last horizon of the training data is the test, so the
// settings are chosen without looking at the holdout the tournament is
// scored on (bench/global); without it, the holdout itself. Printed:
// WAPE, sMAPE, MASE and OWA (M4's Naive2 figures; meaningful on M4 only)
// and the CPU time of the training.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/forecastd/forecastd/bench/holdout"
	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/models"
	"github.com/forecastd/forecastd/models/window"
)

func main() {
	dir := flag.String("data", "../shared/data", "folder holding m4_hourly/ and store_item_demand/")
	set := flag.String("set", "m4", "m4 or store (its first -limit series)")
	limit := flag.Int("limit", 100, "store: the first N series")
	valid := flag.Bool("valid", false, "score on the last horizon of the training data instead of the holdout")
	lags := flag.Int("lags", 0, "input window (0: window.ForPool's)")
	level := flag.Int("level", 0, "points setting a window's level (0: ForPool's)")
	per := flag.Int("per", 0, "windows per series (0: ForPool's)")
	alpha := flag.Float64("alpha", -1, "ridge penalty per window (<0: ForPool's)")
	logs := flag.String("log", "", "true or false: override ForPool's log(1+y)")
	centre := flag.String("centre", "", "true or false: override ForPool's centring")
	flag.Parse()
	series, test, season, h, err := load(*dir, *set, *limit)
	if err != nil {
		fmt.Fprintln(os.Stderr, "window:", err)
		os.Exit(1)
	}
	ys := make([][]float64, len(series))
	for i, s := range series {
		ys[i] = s.Values
		if *valid {
			n := len(s.Values)
			ys[i], test[i] = s.Values[:n-h], s.Values[n-h:]
		}
	}
	st := window.ForPool(ys, season, h)
	if *lags > 0 {
		st.Lags = *lags
	}
	if *level > 0 {
		st.Level = *level
	}
	if *per > 0 {
		st.PerSeries = *per
	}
	if *alpha >= 0 {
		st.Alpha = *alpha
	}
	if *logs != "" {
		st.Log = *logs == "true"
	}
	if *centre != "" {
		st.Centre = *centre == "true"
	}
	start := cpu()
	m, err := window.Train(context.Background(), ys, st)
	if err != nil {
		fmt.Fprintln(os.Stderr, "window:", err)
		os.Exit(1)
	}
	secs := (cpu() - start).Seconds()
	var sm, ma, we, wa float64
	n := 0
	for i, y := range ys {
		fc, err := m.Forecast(y, h)
		if err != nil {
			fmt.Fprintf(os.Stderr, "window: %s: %v\n", series[i].Key, err)
			continue
		}
		for j, v := range fc {
			fc[j] = max(v, 0) // as the tournament does for a non-negative series
			we += math.Abs(fc[j] - test[i][j])
			wa += math.Abs(test[i][j])
		}
		mm, err := models.MASE(y, test[i], fc, season)
		if err != nil {
			continue
		}
		sm += models.SMAPE(test[i], fc)
		ma += mm
		n++
	}
	sm, ma = sm/float64(n), ma/float64(n)
	fmt.Printf("%+v windows %d: WAPE %.4f sMAPE %.3f MASE %.3f OWA %.3f (%d series), training %.2f CPU-s\n",
		st, m.Windows, we/wa, sm, ma, models.OWA(sm, ma, 18.383, 2.395), n, secs)
}

// load returns the series (training part), their holdout, season and h.
func load(dir, set string, limit int) ([]*data.Series, [][]float64, int, int, error) {
	switch set {
	case "m4":
		series, test, err := holdout.M4Hourly(filepath.Join(dir, "m4_hourly"))
		return series, test, 24, 48, err
	case "store":
		all, err := holdout.StoreItem(filepath.Join(dir, "store_item_demand", "demand-forecasting-kernels-only.zip"))
		if err != nil {
			return nil, nil, 0, 0, err
		}
		all = all[:min(limit, len(all))]
		test := make([][]float64, len(all))
		for i, s := range all {
			n := len(s.Values)
			c := *s
			c.Values, test[i] = s.Values[:n-90], s.Values[n-90:]
			all[i] = &c
		}
		return all, test, 7, 90, nil
	}
	return nil, nil, 0, 0, fmt.Errorf("unknown set %q", set)
}
