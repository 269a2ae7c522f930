package arima

import (
	"context"
	"errors"
	"math"
	"testing"
)

// xregGolden is testdata/xreg_golden.json, written by
// testdata/make_golden_xreg.R with R 4.2.2 and forecast 8.20: store/item
// and M4 hourly series with seeded synthetic covariates (a promotion flag
// and a price index, an event flag) whose effect was added to the series.
type xregGolden struct {
	Series []struct {
		goldenSeriesData
		XRegNames []string    `json:"xreg_names"`
		XReg      [][]float64 `json:"xreg"`
		Future    [][]float64 `json:"future"`
	} `json:"series"`
	Fixed []struct {
		goldenFixed
		XRegCols []int     `json:"xreg_cols"`
		SE       []float64 `json:"se"`
	} `json:"fixed"`
	Auto []struct {
		goldenAuto
		XRegCols []int `json:"xreg_cols"`
	} `json:"auto"`
}

type xregSeries struct {
	y, test      []float64
	m, h         int
	xreg, future [][]float64
	names        []string
}

func loadXRegGolden(t testing.TB) *xregGolden {
	return readGolden[xregGolden](t, "testdata/xreg_golden.json", "testdata/make_golden_xreg.R")
}

// series returns the named series with the regressor columns cols.
func (g *xregGolden) series(t testing.TB, name string, cols []int) xregSeries {
	t.Helper()
	for _, s := range g.Series {
		if s.Name == name {
			out := xregSeries{y: s.Y, test: s.Test, m: s.M, h: s.H}
			for _, j := range cols {
				out.xreg = append(out.xreg, s.XReg[j])
				out.future = append(out.future, s.Future[j])
				out.names = append(out.names, s.XRegNames[j])
			}
			return out
		}
	}
	t.Fatalf("series %q not in golden", name)
	return xregSeries{}
}

func maxAbs(y []float64) float64 {
	s := 0.0
	for _, v := range y {
		s = math.Max(s, math.Abs(v))
	}
	return s
}

// TestFitXRegMatchesR compares FitXReg with R's
// forecast::Arima(y, order, seasonal, xreg = X, include.mean,
// include.drift) and forecast(fit, xreg = newX) as written to
// testdata/xreg_golden.json by testdata/make_golden_xreg.R, with the
// tolerances of TestFitMatchesR: log-likelihood 1e-3 relative,
// coefficients 2e-2 absolute (relative above 1, which is what matters for
// regression coefficients in the series' units), sigma2 1e-2 relative,
// AICc 1e-3 relative, standard errors 5% relative, forecasts with the
// future regressors 1% of the series' scale. The first regressor (the
// promotion or event flag, whose effect of 30-45% of the level was added
// to the series) must also be far from zero, |beta| > 4 s.e., so a fit
// that ignored it would fail here, not just drift within tolerance (the
// price index's effect is small against the noise of some series).
func TestFitXRegMatchesR(t *testing.T) {
	g := loadXRegGolden(t)
	if len(g.Fixed) == 0 {
		t.Fatal("golden has no fixed-order fits")
	}
	for _, c := range g.Fixed {
		s := g.series(t, c.Series, c.XRegCols)
		o := goldenOrder(c.Order, c.Seasonal, s.m)
		t.Run(c.Series+"/"+o.String()+"/"+joinNames(s.names), func(t *testing.T) {
			m, err := FitXReg(context.Background(), s.y, s.xreg, o, &Settings{IncludeMean: c.IncludeMean, IncludeDrift: c.IncludeDrift})
			if err != nil {
				t.Fatal(err)
			}
			got := allCoef(m)
			nconst := len(got) - len(m.XReg)
			if len(m.XReg) != len(s.xreg) {
				t.Fatalf("%d regression coefficients for %d regressors", len(m.XReg), len(s.xreg))
			}
			checkFitR(t, m, got, c.CoefNames, c.Coef, c.LogLik, c.Sigma2, c.AICc)
			k := len(got)
			if len(m.VarCoef) != k*k {
				t.Fatalf("var_coef has %d entries, want %d", len(m.VarCoef), k*k)
			}
			for i := range got {
				se := math.Sqrt(m.VarCoef[i*k+i])
				if relDiff(se, c.SE[i]) > 0.05 {
					t.Errorf("s.e.(%s) = %v, R %v", c.CoefNames[i], se, c.SE[i])
				}
				if i == nconst && !(math.Abs(got[i]) > 4*se) {
					t.Errorf("%s = %v is within 4 s.e. (%v) of zero", c.CoefNames[i], got[i], se)
				}
			}
			fc := m.ForecastXReg(len(c.Forecast), s.future)
			scale := maxAbs(s.y)
			for i := range fc {
				if math.Abs(fc[i]-c.Forecast[i]) > 0.01*scale {
					t.Errorf("forecast[%d] = %v, R %v", i, fc[i], c.Forecast[i])
				}
			}
		})
	}
}

func joinNames(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += "+"
		}
		out += n
	}
	return out
}

// TestAutoXRegMatchesR compares AutoXReg with
// forecast::auto.arima(y, xreg = X) on the series of
// testdata/xreg_golden.json. Expected, as in TestAutoMatchesR: R's order
// and constant on at least 4 of the 6 series (the search is greedy and
// its path turns on small AICc differences), and where the order matches,
// the regression coefficients within 2e-2 relative and the forecasts with
// the future regressors within 1% of the series' scale.
func TestAutoXRegMatchesR(t *testing.T) {
	g := loadXRegGolden(t)
	if len(g.Auto) == 0 {
		t.Fatal("golden has no auto.arima results")
	}
	same := 0
	for _, c := range g.Auto {
		s := g.series(t, c.Series, c.XRegCols)
		res, err := AutoXReg(context.Background(), s.y, s.xreg, s.m, nil)
		if err != nil {
			t.Errorf("%s: %v", c.Series, err)
			continue
		}
		mod := res.Model
		o := mod.Order
		got := []int{o.P, o.D, o.Q, o.SP, o.SD, o.SQ}
		match := (mod.HasMean || mod.HasDrift) == c.Constant
		for i := range got {
			match = match && got[i] == c.Order[i]
		}
		t.Logf("%-14s go %v const=%v xreg=%.4g, R %v const=%v coef %.4g (%v)", c.Series, got,
			mod.HasMean || mod.HasDrift, mod.XReg, c.Order, c.Constant, c.Coef, c.CoefNames)
		if len(mod.XReg) != len(s.xreg) {
			t.Errorf("%s: %d regression coefficients, want %d", c.Series, len(mod.XReg), len(s.xreg))
			continue
		}
		if !match {
			continue
		}
		same++
		rx := c.Coef[len(c.Coef)-len(s.xreg):]
		for j, b := range mod.XReg {
			if math.Abs(b-rx[j]) > 2e-2*math.Max(1, math.Abs(rx[j])) {
				t.Errorf("%s: %s = %v, R %v", c.Series, s.names[j], b, rx[j])
			}
		}
		fc := mod.ForecastXReg(s.h, s.future)
		scale := maxAbs(s.y)
		for i := range fc {
			if math.Abs(fc[i]-c.Forecast[i]) > 0.01*scale {
				t.Errorf("%s: forecast[%d] = %v, R %v", c.Series, i, fc[i], c.Forecast[i])
				break
			}
		}
	}
	if same < 4 {
		t.Errorf("same order as R on %d of %d series, want at least 4", same, len(g.Auto))
	}
}

// TestXRegRoundTrip checks that a model with regressors survives JSON,
// that RefilterXReg over the fit history reproduces the fitted state, and
// that the forecast responds to the future regressors by their
// coefficients.
func TestXRegRoundTrip(t *testing.T) {
	g := loadXRegGolden(t)
	s := g.series(t, "store1_item1", []int{0, 1})
	m, err := FitXReg(context.Background(), s.y, s.xreg, Order{P: 1, SQ: 1, SD: 1, Period: 7}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m2 := roundTrip(t, m)
	f1 := m.ForecastXReg(s.h, s.future)
	if err := m2.RefilterXReg(s.y, s.xreg); err != nil {
		t.Fatal(err)
	}
	f2 := m2.ForecastXReg(s.h, s.future)
	for i := range f1 {
		if math.Abs(f1[i]-f2[i]) > 1e-9*math.Max(1, math.Abs(f1[i])) {
			t.Fatalf("forecast[%d] after round trip and refilter = %v, want %v", i, f2[i], f1[i])
		}
	}
	// One more promo day at step 3: the forecast moves by the promo
	// coefficient there and nowhere else.
	fut := [][]float64{append([]float64(nil), s.future[0]...), s.future[1]}
	fut[0][2] = 1 - fut[0][2]
	f3 := m.ForecastXReg(s.h, fut)
	for i := range f3 {
		want := f1[i]
		if i == 2 {
			want += (fut[0][2] - s.future[0][2]) * m.XReg[0]
		}
		if math.Abs(f3[i]-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("forecast[%d] = %v, want %v", i, f3[i], want)
		}
	}
}

// TestXRegObjectiveAllocs: the objectives with regressors subtract the
// regression into scratch and allocate nothing per evaluation.
func TestXRegObjectiveAllocs(t *testing.T) {
	g := loadXRegGolden(t)
	s := g.series(t, "store5_item30", []int{0, 1})
	o := Order{P: 2, D: 1, Q: 2, SQ: 2, Period: 7}
	ft := newFitter(s.y, o, s.xreg, 1e6)
	par := []float64{0.1, 0.05, -0.9, 0.01, 0.1, 0.05, 14, -60}
	ft.ncond = o.D + o.P
	if a := testing.AllocsPerRun(20, func() { ft.cssObjective(par) }); a != 0 {
		t.Errorf("cssObjective allocates %v per call", a)
	}
	if a := testing.AllocsPerRun(20, func() { ft.mlObjective(par, false) }); a != 0 {
		t.Errorf("mlObjective allocates %v per call", a)
	}
}

// TestFitXRegSingular: a regressor equal to the intercept is not
// identified; FitXReg says so with ErrSingular instead of returning
// arbitrary coefficients.
func TestFitXRegSingular(t *testing.T) {
	g := loadXRegGolden(t)
	s := g.series(t, "store1_item1", []int{0})
	dup := [][]float64{s.xreg[0], s.xreg[0]}
	if _, err := FitXReg(context.Background(), s.y, dup, Order{P: 1}, nil); !errors.Is(err, ErrSingular) {
		t.Errorf("duplicated regressor: err = %v, want ErrSingular", err)
	}
}
