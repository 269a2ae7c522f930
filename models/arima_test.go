package models

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
)

// arimaGolden is the part of models/arima's golden file (written by
// models/arima/testdata/make_golden.R from R's datasets and the shared M4
// / Kaggle data) that the adapter's tests read.
type arimaGoldenFile struct {
	Series []struct {
		Name string    `json:"name"`
		Y    []float64 `json:"y"`
		Test []float64 `json:"test"`
		M    int       `json:"m"`
	} `json:"series"`
	Auto []struct {
		Series   string    `json:"series"`
		Forecast []float64 `json:"forecast"`
	} `json:"auto"`
}

func arimaGolden(t testing.TB) *arimaGoldenFile {
	t.Helper()
	var g arimaGoldenFile
	readGolden(t, "arima/testdata/golden.json", "models/arima/testdata/make_golden.R", &g)
	return &g
}

// arimaGoldenSeries reads one series from models/arima's golden file
// (written by models/arima/testdata/make_golden.R from R's datasets and
// the shared M4 / Kaggle data).
func arimaGoldenSeries(t *testing.T, name string) (y, test []float64, m int) {
	t.Helper()
	for _, s := range arimaGolden(t).Series {
		if s.Name == name {
			return s.Y, s.Test, s.M
		}
	}
	t.Fatalf("no series %q", name)
	return nil, nil, 0
}

func TestARIMARegistered(t *testing.T) {
	// The default tournament takes the airline ARIMA, not auto_arima
	// (see DefaultTournament); both are registered.
	s, ok := Standard().Lookup("auto_arima")
	if !ok || s.Default || s.Family != "arima" {
		t.Fatalf("auto_arima spec %+v, ok %v", s, ok)
	}
	if s, ok := Standard().Lookup("arima"); !ok || !s.Default {
		t.Fatalf("arima spec %+v, ok %v", s, ok)
	}
}

// TestARIMAContract fits both ARIMA candidates on a daily store/item
// series, checks that the JSON round trip through Spec.Load forecasts
// identically, and that a longer history (a refresh) moves the forecast
// origin without re-estimation. Expected forecasts of auto_arima: R's
// forecast(auto.arima(y), h = 28) in arima/testdata/golden.json, 1% of
// the series' maximum.
func TestARIMAContract(t *testing.T) {
	y, test, m := arimaGoldenSeries(t, "store3_item17")
	in := Input{Y: y, Start: time.Date(2016, 12, 8, 0, 0, 0, 0, time.UTC), Freq: data.Daily, Season: m}
	ctx := context.Background()
	for _, name := range []string{"auto_arima", "arima"} {
		t.Run(name, func(t *testing.T) {
			spec, _ := Standard().Lookup(name)
			fit, err := spec.New().Fit(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			f1 := mustForecast(t, fit, in, 28)
			loaded, _ := reload(t, spec, fit)
			assertSameForecast(t, "after JSON round trip", mustForecast(t, loaded, in, 28), f1)
			longer := in
			longer.Y = append(append([]float64(nil), y...), test[:7]...)
			f3, err := loaded.Forecast(ctx, longer, 21)
			if err != nil {
				t.Fatal(err)
			}
			same := true
			for i := range f3 {
				if f3[i] != f1[i+7] {
					same = false
				}
			}
			if same {
				t.Error("a longer history did not change the forecasts")
			}
		})
	}
}

func TestARIMAErrors(t *testing.T) {
	ctx := context.Background()
	constant := Input{Y: []float64{4, 4, 4, 4, 4, 4, 4, 4, 4, 4}, Freq: data.Daily, Season: 7}
	for _, name := range []string{"auto_arima", "arima"} {
		spec, _ := Standard().Lookup(name)
		if _, err := spec.New().Fit(ctx, constant); !errors.Is(err, ErrUnsuitable) {
			t.Errorf("%s on a constant series: %v, want ErrUnsuitable", name, err)
		}
		short := Input{Y: []float64{1, 2}, Freq: data.Daily, Season: 7}
		if _, err := spec.New().Fit(ctx, short); !errors.Is(err, ErrTooShort) {
			t.Errorf("%s on 2 points: %v, want ErrTooShort", name, err)
		}
	}
	y, _, m := arimaGoldenSeries(t, "m4_H1")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := (AutoARIMA{}).Fit(cctx, Input{Y: y, Freq: data.Hourly, Season: m}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled fit: %v", err)
	}
}

// TestAutoARIMAMatchesR: the adapter with MaxHistory covering the series
// reproduces R's auto.arima forecasts (arima/testdata/golden.json) within
// 1% of the series' maximum.
func TestAutoARIMAMatchesR(t *testing.T) {
	y, _, m := arimaGoldenSeries(t, "store1_item1")
	var want []float64
	for _, a := range arimaGolden(t).Auto {
		if a.Series == "store1_item1" {
			want = a.Forecast
		}
	}
	fit, err := (AutoARIMA{}).Fit(context.Background(), Input{Y: y, Freq: data.Daily, Season: m})
	if err != nil {
		t.Fatal(err)
	}
	got, err := fit.Forecast(context.Background(), Input{Y: y, Freq: data.Daily, Season: m}, len(want))
	if err != nil {
		t.Fatal(err)
	}
	scale := 0.0
	for _, v := range y {
		scale = math.Max(scale, math.Abs(v))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 0.01*scale {
			t.Errorf("forecast[%d] = %v, R %v", i, got[i], want[i])
		}
	}
}
