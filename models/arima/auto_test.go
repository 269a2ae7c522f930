package arima

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func mase(train, test, fc []float64, m int) float64 {
	scale := 0.0
	for i := m; i < len(train); i++ {
		scale += math.Abs(train[i] - train[i-m])
	}
	scale /= float64(len(train) - m)
	e := 0.0
	for i := range test {
		e += math.Abs(test[i] - fc[i])
	}
	return e / float64(len(test)) / scale
}

// TestAutoMatchesR compares Auto with forecast::auto.arima(y) on the
// series of testdata/golden.json (make_golden.R, R 4.2.2, forecast 8.20).
// Expected: the same order as R on at least 70% of the series (the
// search is greedy, so a small difference in one AICc can send it down
// another path), and on every series a holdout MASE no worse than R's
// by more than 10% (or 0.05 absolute, for series R forecasts almost
// perfectly).
func TestAutoMatchesR(t *testing.T) {
	g := loadGolden(t)
	if len(g.Auto) == 0 {
		t.Fatal("golden has no auto.arima results")
	}
	same := 0
	for _, c := range g.Auto {
		s := g.series(t, c.Series)
		start := time.Now()
		res, err := Auto(context.Background(), s.y, s.m, nil)
		if err != nil {
			t.Errorf("%s: %v", c.Series, err)
			continue
		}
		el := time.Since(start)
		o := res.Model.Order
		got := []int{o.P, o.D, o.Q, o.SP, o.SD, o.SQ}
		match := true
		for i := range got {
			if got[i] != c.Order[i] {
				match = false
			}
		}
		constant := res.Model.HasMean || res.Model.HasDrift
		if constant != c.Constant {
			match = false
		}
		if match {
			same++
		}
		fc := res.Model.Forecast(s.h)
		gm := mase(s.y, s.test, fc, s.m)
		t.Logf("%-18s go %v const=%v AICc %.2f MASE %.3f (%.2fs) | R %v const=%v AICc %.2f MASE %.3f (%.2fs)",
			c.Series, got, constant, res.Model.AICc, gm, el.Seconds(), c.Order, c.Constant, c.AICc, c.MASE, c.Seconds)
		if gm > 1.1*c.MASE && gm > c.MASE+0.05 {
			t.Errorf("%s: MASE %.3f, R %.3f", c.Series, gm, c.MASE)
		}
		if match && relDiff(res.Model.AICc, c.AICc) > 1e-3 {
			t.Errorf("%s: same order but AICc %v, R %v", c.Series, res.Model.AICc, c.AICc)
		}
	}
	frac := float64(same) / float64(len(g.Auto))
	t.Logf("same order as R on %d of %d series", same, len(g.Auto))
	if frac < 0.7 {
		t.Errorf("same order as R on only %.0f%% of series", 100*frac)
	}
}

// testsGolden is testdata/tests_golden.json from make_golden_tests.R.
type testsGolden []struct {
	Series       string    `json:"series"`
	M            int       `json:"m"`
	KPSS         float64   `json:"kpss"`
	NDiffs       int       `json:"ndiffs"`
	SeasStrength float64   `json:"seas_strength"`
	NSDiffs      int       `json:"nsdiffs"`
	STLSeasonal  []float64 `json:"stl_seasonal"`
	STLTrend     []float64 `json:"stl_trend"`
}

// TestUnitRootTests compares the KPSS statistic and ndiffs with urca and
// forecast, and the STL decomposition, seasonal strength and nsdiffs with
// forecast's mstl, seas.heuristic and nsdiffs (make_golden_tests.R).
// Tolerances: 1e-8 relative on the KPSS statistic, 1e-6 on STL
// components and the strength (same arithmetic, different order).
func TestUnitRootTests(t *testing.T) {
	g := loadGolden(t)
	tg := readGolden[testsGolden](t, "testdata/tests_golden.json", "testdata/make_golden_tests.R")
	for _, c := range *tg {
		s := g.series(t, c.Series)
		t.Run(c.Series, func(t *testing.T) {
			if got := kpss(s.y); relDiff(got, c.KPSS) > 1e-8 {
				t.Errorf("kpss %v, R %v", got, c.KPSS)
			}
			if got := ndiffs(s.y, 0.05, 2); got != c.NDiffs {
				t.Errorf("ndiffs %d, R %d", got, c.NDiffs)
			}
			if c.M < 2 {
				return
			}
			seas, trend := stl(s.y, c.M)
			for i := range seas {
				if math.Abs(seas[i]-c.STLSeasonal[i]) > 1e-6*math.Max(1, math.Abs(c.STLSeasonal[i])) ||
					math.Abs(trend[i]-c.STLTrend[i]) > 1e-6*math.Max(1, math.Abs(c.STLTrend[i])) {
					t.Fatalf("stl[%d] = (%v, %v), R (%v, %v)", i, seas[i], trend[i], c.STLSeasonal[i], c.STLTrend[i])
				}
			}
			if got := seasonalStrength(s.y, c.M); math.Abs(got-c.SeasStrength) > 1e-6 {
				t.Errorf("seasonal strength %v, R %v", got, c.SeasStrength)
			}
			if got := nsdiffs(s.y, c.M, 0.64, 1); got != c.NSDiffs {
				t.Errorf("nsdiffs %d, R %d", got, c.NSDiffs)
			}
		})
	}
}

func TestAutoErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Auto(ctx, []float64{3, 3, 3, 3, 3, 3}, 1, nil); !errors.Is(err, ErrConstant) {
		t.Errorf("constant series: %v, want ErrConstant", err)
	}
	if _, err := Auto(ctx, nil, 1, nil); !errors.Is(err, ErrTooShort) {
		t.Errorf("empty series: %v, want ErrTooShort", err)
	}
	if _, err := Fit(ctx, []float64{1, 2}, Order{P: 2, D: 1}, nil); !errors.Is(err, ErrTooShort) {
		t.Errorf("short series: %v, want ErrTooShort", err)
	}
	if _, err := Auto(ctx, []float64{1, 2, math.NaN(), 4}, 1, nil); err == nil {
		t.Error("NaN accepted")
	}
}

func TestAutoCancel(t *testing.T) {
	g := loadGolden(t)
	s := g.series(t, "m4_H1")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Auto(ctx, s.y, s.m, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	if _, err := Fit(ctx, s.y, Order{P: 1, Q: 1, SQ: 1, SD: 1, Period: 24}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled fit: %v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Auto(ctx, s.y, s.m, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline: %v", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("cancellation took %v", el)
	}
}

// TestModelJSON checks that a model forecasts identically after a JSON
// round trip and that Refilter over the fit history reproduces the state.
func TestModelJSON(t *testing.T) {
	g := loadGolden(t)
	s := g.series(t, "logAirPassengers")
	m, err := Fit(context.Background(), s.y, Order{Q: 1, D: 1, SQ: 1, SD: 1, Period: 12}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m2 := roundTrip(t, m)
	f1, f2 := m.Forecast(24), m2.Forecast(24)
	for i := range f1 {
		if f1[i] != f2[i] {
			t.Fatalf("forecast[%d] %v after round trip, %v before", i, f2[i], f1[i])
		}
	}
	if err := m2.Refilter(s.y); err != nil {
		t.Fatal(err)
	}
	f3 := m2.Forecast(24)
	for i := range f1 {
		if math.Abs(f3[i]-f1[i]) > 1e-9*math.Abs(f1[i]) {
			t.Fatalf("forecast[%d] %v after refilter, %v before", i, f3[i], f1[i])
		}
	}
	// A CSS fit has no likelihood; it must still marshal.
	mc, err := Fit(context.Background(), s.y, Order{P: 1, D: 1, SQ: 1, SD: 1, Period: 12}, &Settings{Method: CSS})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(mc); err != nil {
		t.Errorf("CSS model does not marshal: %v", err)
	}
	// A longer history moves the forecast origin.
	longer := append(append([]float64(nil), s.y...), s.test...)
	if err := m2.Refilter(longer); err != nil {
		t.Fatal(err)
	}
	if m2.N != len(longer) {
		t.Errorf("N = %d after refilter, want %d", m2.N, len(longer))
	}
}

// TestAutoRobust runs Auto on awkward series (short, intermittent,
// trending, nearly constant, huge level) with several season lengths: it
// must not panic, must fail only with the package's sentinel errors and
// otherwise forecast finite values. The series come from a seeded source.
func TestAutoRobust(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	// A slice, not a map: the draws must come in the same order each run.
	gens := []struct {
		name string
		gen  func(i int) float64
	}{
		{"intermittent", func(int) float64 {
			if rng.Float64() < 0.85 {
				return 0
			}
			return float64(1 + rng.IntN(4))
		}},
		{"trend", func(i int) float64 { return 3*float64(i) + rng.NormFloat64() }},
		{"binary", func(int) float64 { return float64(rng.IntN(2)) }},
		{"level1e6", func(int) float64 { return 1e6 + rng.NormFloat64() }},
		{"seasonal", func(i int) float64 { return float64(i%7) + 0.01*rng.NormFloat64() }},
	}
	for _, g := range gens {
		name, gen := g.name, g.gen
		for _, n := range []int{5, 12, 25, 60, 140} {
			for _, m := range []int{1, 7, 12} {
				y := make([]float64, n)
				for i := range y {
					y[i] = gen(i)
				}
				res, err := Auto(context.Background(), y, m, nil)
				if err != nil {
					if !errors.Is(err, ErrConstant) && !errors.Is(err, ErrTooShort) && !errors.Is(err, ErrNoModel) && !errors.Is(err, ErrFit) {
						t.Errorf("%s n=%d m=%d: unexpected error %v", name, n, m, err)
					}
					continue
				}
				for _, v := range res.Model.Forecast(2 * m) {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Errorf("%s n=%d m=%d: %v forecasts %v", name, n, m, res.Model.Order, v)
						break
					}
				}
			}
		}
	}
}
