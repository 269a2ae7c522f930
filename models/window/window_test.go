package window

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"
)

type golden struct {
	Settings struct {
		Lags      int     `json:"lags"`
		Horizon   int     `json:"horizon"`
		Level     int     `json:"level"`
		Stride    int     `json:"stride"`
		PerSeries int     `json:"per_series"`
		Alpha     float64 `json:"alpha"`
	} `json:"settings"`
	Series [][]float64 `json:"series"`
	Cases  []struct {
		Centre    bool        `json:"centre"`
		Log       bool        `json:"log"`
		Windows   int         `json:"windows"`
		Coef      [][]float64 `json:"coef"`
		Bias      []float64   `json:"bias"`
		Forecasts [][]float64 `json:"forecasts"`
	} `json:"cases"`
}

// TestRidgeMatchesScikitLearn checks the windows, their normalisation
// (each of the three) and the closed-form ridge against scikit-learn's
// Ridge on the same data (testdata/ridge_golden.py).
func TestRidgeMatchesScikitLearn(t *testing.T) {
	b, err := os.ReadFile("testdata/ridge_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) != 3 {
		t.Fatalf("%d cases in the golden file, want 3", len(g.Cases))
	}
	for _, c := range g.Cases {
		st := Settings{Lags: g.Settings.Lags, Horizon: g.Settings.Horizon, Level: g.Settings.Level,
			Stride: g.Settings.Stride, PerSeries: g.Settings.PerSeries, Alpha: g.Settings.Alpha, Centre: c.Centre, Log: c.Log}
		m, err := Train(context.Background(), g.Series, st)
		if err != nil {
			t.Fatal(err)
		}
		if m.Windows != c.Windows {
			t.Fatalf("%+v: windows: got %d, scikit-learn's script %d", st, m.Windows, c.Windows)
		}
		near := func(what string, got, want float64) {
			t.Helper()
			if math.Abs(got-want) > 1e-8*math.Max(1, math.Abs(want)) {
				t.Fatalf("centre %v log %v: %s: got %.12g, want %.12g", c.Centre, c.Log, what, got, want)
			}
		}
		for i, row := range c.Coef {
			for j, want := range row {
				near("coef", m.Coef.At(i, j), want)
			}
		}
		for j, want := range c.Bias {
			near("bias", m.Bias[j], want)
		}
		for k, y := range g.Series {
			fc, err := m.Forecast(y, st.Horizon)
			if err != nil {
				t.Fatalf("series %d: %v", k, err)
			}
			for j, want := range c.Forecasts[k] {
				near("forecast", fc[j], want)
			}
		}
	}
}

// TestForecastBeyondHorizonAndErrors checks the recursive continuation
// past the trained horizon and the refusals.
func TestForecastBeyondHorizonAndErrors(t *testing.T) {
	// A pure season of 4 repeated: the pooled fit must carry it on,
	// including past its horizon of 3.
	var ys [][]float64
	for k := 1; k <= 5; k++ {
		y := make([]float64, 80)
		for i := range y {
			y[i] = float64(k) * []float64{1, 2, 4, 3}[i%4]
		}
		ys = append(ys, y)
	}
	st := Settings{Lags: 8, Horizon: 3, Level: 4, Stride: 1, PerSeries: 40, Alpha: 1e-6, Centre: true}
	m, err := Train(context.Background(), ys, st)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := m.Forecast(ys[2], 10)
	if err != nil {
		t.Fatal(err)
	}
	for j, v := range fc {
		want := 3 * []float64{1, 2, 4, 3}[(80+j)%4]
		if math.Abs(v-want) > 1e-3 {
			t.Fatalf("step %d: got %g, want %g (%v)", j+1, v, want, fc)
		}
	}
	if _, err := m.Forecast(ys[0][:7], 3); !errors.Is(err, ErrTooShort) {
		t.Errorf("short history: %v, want ErrTooShort", err)
	}
	if _, err := Train(context.Background(), [][]float64{ys[0][:12]}, st); !errors.Is(err, ErrTooFewWindows) {
		t.Errorf("one window: %v, want ErrTooFewWindows", err)
	}
	st.Log = true
	m, err = Train(context.Background(), ys, st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Forecast([]float64{1, 2, 3, -1, 2, 3, 4, 5}, 3); !errors.Is(err, ErrNegative) {
		t.Errorf("negative history of a log model: %v, want ErrNegative", err)
	}
	if _, err := Train(context.Background(), ys, Settings{Lags: 4, Horizon: 1, Level: 5, Stride: 1, PerSeries: 1}); err == nil {
		t.Error("level longer than the window: no error")
	}
}

func TestForSeason(t *testing.T) {
	for _, c := range []struct {
		season, h, n, lags, level, stride int
	}{
		{24, 48, 960, 504, 48, 11}, // M4 hourly
		{24, 48, 700, 336, 48, 11},
		{24, 48, 400, 192, 48, 11},
		{24, 48, 300, 96, 48, 11},
		{52, 13, 143, 52, 52, 1},  // Walmart's weeks
		{7, 90, 1736, 364, 14, 2}, // store/item
		{7, 90, 400, 180, 14, 2},
		{7, 90, 800, 180, 14, 2}, // a year of lags, origins over less than a year
		{7, 28, 400, 56, 14, 2},
		{1, 1, 10, 14, 2, 1},
	} {
		st := ForSeason(c.season, c.h, c.n)
		if st.Lags != c.lags || st.Level != c.level || st.Stride != c.stride || st.Horizon != c.h || st.validate() != nil {
			t.Errorf("ForSeason(%d, %d, %d) = %+v, want lags %d, level %d, stride %d", c.season, c.h, c.n, st, c.lags, c.level, c.stride)
		}
	}
	if st := ForPool([][]float64{make([]float64, 700), make([]float64, 960), make([]float64, 960)}, 24, 48); st.Lags != 504 {
		t.Errorf("ForPool: lags %d, want 504 (median 960)", st.Lags)
	}
}

// BenchmarkTrainHourly is one training of the hourly settings on 100
// series of M4 hourly's length (960 points): the cost per series is the
// time over 100.
func BenchmarkTrainHourly(b *testing.B) { benchTrain(b, 24, 48, 960) }

// BenchmarkTrainDaily is the same for M5-shaped daily data (h = 28,
// 1,900 days).
func BenchmarkTrainDaily(b *testing.B) { benchTrain(b, 7, 28, 1900) }

func benchTrain(b *testing.B, season, h, n int) {
	ys := make([][]float64, 100)
	for k := range ys {
		y := make([]float64, n)
		for i := range y {
			y[i] = 10 + float64(k) + 5*math.Sin(2*math.Pi*float64(i)/float64(season)) + float64((i*7919+k*104729)%13)/13
		}
		ys[k] = y
	}
	st := ForPool(ys, season, h)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Train(context.Background(), ys, st); err != nil {
			b.Fatal(err)
		}
	}
}
