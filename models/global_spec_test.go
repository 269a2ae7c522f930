package models

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
)

// TestGlobalFitRefresh: a restored global_gbdt state forecasts from its
// saved path, skipping the steps a longer history has covered, scaled by
// the change of the recent level, and repeats the path's last season past
// its end; a history that ends before the origin is refused.
func TestGlobalFitRefresh(t *testing.T) {
	path := make([]float64, 14)
	for i := range path {
		path[i] = float64(i + 1)
	}
	saved, err := json.Marshal(&GlobalFit{Origin: "2024-01-10", Freq: data.Daily, Season: 7, Level: 5, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	spec, ok := Standard().Lookup("global_gbdt")
	if !ok {
		t.Fatal("global_gbdt is not registered")
	}
	f, err := spec.Load(saved)
	if err != nil {
		t.Fatal(err)
	}
	// History to 2024-01-13 (three steps past the origin), level 10.
	y := make([]float64, 28)
	for i := range y {
		y[i] = 10
	}
	start := time.Date(2024, 1, 13, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -27)
	fc, err := f.Forecast(context.Background(), Input{Y: y, Start: start, Freq: data.Daily, Season: 7}, 14)
	if err != nil {
		t.Fatal(err)
	}
	// path[3:14] doubled, then the last season (path[7:14]) again from its start.
	want := []float64{8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 16, 18, 20}
	for i := range want {
		if math.Abs(fc[i]-want[i]) > 1e-12 {
			t.Fatalf("refresh = %v, want %v", fc, want)
		}
	}
	early := Input{Y: y[:10], Start: time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC), Freq: data.Daily, Season: 7}
	if _, err := f.Forecast(context.Background(), early, 3); !errors.Is(err, ErrUnsuitable) {
		t.Errorf("history before the origin: %v, want ErrUnsuitable", err)
	}
	if _, err := spec.New().Fit(context.Background(), Input{Y: y, Start: start, Freq: data.Daily, Season: 7}); !errors.Is(err, ErrUnsuitable) {
		t.Errorf("unbound fit: %v, want ErrUnsuitable (declined)", err)
	}
}
