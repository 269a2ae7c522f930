package api

import (
	"context"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/forecast"
)

// The seeds of the dashboard tests (seedUI, seedVintages) store history
// and publish made-up forecasts the same way; these are their shared
// steps.

// ingestDays stores days daily values of each key, ending on end, the
// value of the day d days before end being qty(d).
func ingestDays(t *testing.T, ts *testServer, keys []data.Key, end time.Time, days int, qty func(d int) float64) {
	t.Helper()
	_, err := ts.Store().Ingest(context.Background(), func(fn func(data.Observation) error) error {
		for _, k := range keys {
			for d := days - 1; d >= 0; d-- {
				if err := fn(data.Observation{Date: end.AddDate(0, 0, -d), Key: k, Quantity: qty(d)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// madeUpPoints is a 14-day daily forecast after end, 10 + h%7 at step h,
// with 80% intervals ±2 and 95% intervals ±4.
func madeUpPoints(end time.Time) []forecast.Point {
	var pts []forecast.Point
	for h := 1; h <= 14; h++ {
		v := 10 + float64(h%7)
		pts = append(pts, forecast.Point{Date: end.AddDate(0, 0, h).Format("2006-01-02"), Value: v,
			Lower: v - 2, Upper: v + 2, Lower95: v - 4, Upper95: v + 4})
	}
	return pts
}
