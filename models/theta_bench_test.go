package models

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"testing"
)

// thetaBenchSeries returns the two benchmark series: 1,826 days of Kaggle
// store 1 / item 1 sales (season 7) and M4 hourly H1 (700 points, season
// 24), from testdata/theta.
func thetaBenchSeries(b *testing.B) []struct {
	name string
	in   Input
} {
	b.Helper()
	fh, err := os.Open("testdata/theta/kaggle_store1_item1.txt")
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = fh.Close() }() // read-only
	var daily []float64
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		v, err := strconv.ParseFloat(sc.Text(), 64)
		if err != nil {
			b.Fatal(err)
		}
		daily = append(daily, v)
	}
	var hourly []float64
	for _, s := range thetaReadGolden(b).Series {
		if s.ID == "H1" {
			hourly = s.Y
		}
	}
	if len(daily) != 1826 || len(hourly) != 700 {
		b.Fatalf("benchmark series have %d and %d points", len(daily), len(hourly))
	}
	return []struct {
		name string
		in   Input
	}{
		{"daily1826", Input{Y: daily, Season: 7}},
		{"hourly700", Input{Y: hourly, Season: 24}},
	}
}

// BenchmarkThetaFitForecast times Fit plus a 28-step Forecast for every
// SES, Theta and intermittent model.
//
//	go test -run '^$' -bench ThetaFitForecast -benchtime=100x ./models/
func BenchmarkThetaFitForecast(b *testing.B) {
	ctx := context.Background()
	for _, s := range thetaBenchSeries(b) {
		for _, spec := range thetaOwnSpecs() {
			m := spec.New()
			b.Run(s.name+"/"+spec.Name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					fit, err := m.Fit(ctx, s.in)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := fit.Forecast(ctx, s.in, 28); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
