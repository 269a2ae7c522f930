package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/forecast"
)

// runM5 scores configurations on n M5-shaped series (data/demo.WriteM5,
// seed 42: 10 stores, n/10 SKUs, 1,941 days), the last 28 days held out,
// h=28. It is where a job's shared pool (forecast.Pool: trained once on
// the job's sample of 1,000 series when it has more than 1,500) is
// checked against the pools per 1,000-series batch it replaced: config
// NAME-batched runs NAME on batches of 1,000 in key order (the last
// taking a tail of up to 500, forecast.TakesRest), each Run training its
// own pool, as a streamed job did before.
func runM5(ctx context.Context, n int, configs []string, workers int) error {
	series, err := demo.M5Series(ctx, demo.M5Options{Stores: 10, SKUs: n / 10, Days: 1941, Seed: 42})
	if err != nil {
		return err
	}
	slices.SortFunc(series, func(a, b *data.Series) int {
		return strings.Compare(a.Key.Store+"\x00"+a.Key.SKU, b.Key.Store+"\x00"+b.Key.SKU)
	})
	const h = 28
	train, actual := holdOut(series, h, 0)
	fmt.Printf("M5-shaped: %d series, last %d days held out, h=%d\n", len(train), h, h)
	fmt.Printf("%-20s %8s %8s %8s %10s %9s\n", "config", "bottom", "store", "total", "seconds", "cold/fb")
	for _, c := range configs {
		var fc [][]float64
		var secs float64
		var sum forecast.Summary
		if base, ok := strings.CutSuffix(c, "-batched"); ok {
			fc, secs, sum, err = forecastBatched(ctx, train, base, h, 7, workers)
		} else {
			fc, secs, sum, err = forecastAll(ctx, train, c, h, 7, workers)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", c, err)
		}
		b, st, t := storeItemWAPE(train, actual, fc)
		fmt.Printf("%-20s %8.4f %8.4f %8.4f %10.1f %4d/%-4d\n", c, b, st, t, secs, sum.ColdStart, sum.Fallback)
	}
	return nil
}

// forecastBatched runs forecastAll on batches of forecast.MaxGlobalGroup
// series (the last taking a short tail), each training its own pool.
func forecastBatched(ctx context.Context, series []*data.Series, config string, h, season, workers int) ([][]float64, float64, forecast.Summary, error) {
	var out [][]float64
	var total forecast.Summary
	start := time.Now()
	for i := 0; i < len(series); {
		size := forecast.MaxGlobalGroup
		if forecast.TakesRest(len(series)-i, size) {
			size = len(series) - i
		}
		fc, _, sum, err := forecastAll(ctx, series[i:i+size], config, h, season, workers)
		if err != nil {
			return nil, 0, total, err
		}
		out = append(out, fc...)
		total.Full += sum.Full
		total.Reduced += sum.Reduced
		total.Fallback += sum.Fallback
		total.ColdStart += sum.ColdStart
		total.Failed += sum.Failed
		i += size
	}
	return out, time.Since(start).Seconds(), total, nil
}
