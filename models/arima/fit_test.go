package arima

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// TestQ0Lyapunov checks the stationary state covariance against its
// defining equation Q = T Q T' + R R' (independent of how q0 computes it).
func TestQ0Lyapunov(t *testing.T) {
	cases := []struct {
		name       string
		phi, theta []float64
	}{
		{"ar1", []float64{0.7}, nil},
		{"ma2", nil, []float64{0.4, -0.3}},
		{"arma21", []float64{0.5, -0.2}, []float64{0.6}},
		{"arma13", []float64{-0.8}, []float64{0.3, 0.2, 0.1}},
	}
	sphi, stheta := expand(Order{P: 1, Q: 1, SP: 1, SQ: 1, Period: 7}, []float64{0.5, 0.3, 0.6, -0.4})
	cases = append(cases, struct {
		name       string
		phi, theta []float64
	}{"seasonal", sphi, stheta})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, q := len(c.phi), len(c.theta)
			f := newFilter(p, q, 0)
			if !f.q0(c.phi, c.theta) {
				t.Fatal("q0 failed")
			}
			r := f.r
			tm := func(i, j int) float64 { // T
				v := 0.0
				if j == 0 && i < p {
					v += c.phi[i]
				}
				if j == i+1 {
					v++
				}
				return v
			}
			rv := func(i int) float64 {
				if i == 0 {
					return 1
				}
				if i-1 < q {
					return c.theta[i-1]
				}
				return 0
			}
			for i := 0; i < r; i++ {
				for j := 0; j < r; j++ {
					s := rv(i) * rv(j)
					for k := 0; k < r; k++ {
						for l := 0; l < r; l++ {
							s += tm(i, k) * f.pn[k+r*l] * tm(j, l)
						}
					}
					if got := f.pn[i+r*j]; math.Abs(got-s) > 1e-10*math.Max(1, math.Abs(s)) {
						t.Errorf("Q[%d][%d] = %v, T Q T' + R R' = %v", i, j, got, s)
					}
				}
			}
		})
	}
}

func expand(o Order, par []float64) (phi, theta []float64) {
	phi = make([]float64, o.expandedP())
	theta = make([]float64, o.expandedQ())
	transPars(o, par, false, phi, theta, make([]float64, o.narma()), make([]float64, 4))
	return phi, theta
}

func relDiff(a, b float64) float64 {
	return math.Abs(a-b) / math.Max(math.Abs(b), 1e-12)
}

// TestFitMatchesR compares fixed-order fits with R's
// forecast::Arima(y, order, seasonal, include.mean, include.drift)
// (stats::arima, method "CSS-ML"), as written to testdata/golden.json by
// testdata/make_golden.R. Tolerances: log-likelihood 1e-3 relative (the
// optimum is flat; both optimisers stop within reltol ~1.5e-8 of it),
// coefficients 2e-2 absolute, sigma2 1e-2 relative, forecasts 1% of the
// series' scale, standard errors 5%.
func TestFitMatchesR(t *testing.T) {
	g := loadGolden(t)
	vg := *readGolden[[]struct {
		Series  string    `json:"series"`
		VarCoef []float64 `json:"var_coef"`
	}](t, "testdata/var_golden.json", "testdata/make_golden_var.R")
	if len(vg) != len(g.Fixed) {
		t.Fatalf("var_golden.json has %d fits, golden.json %d", len(vg), len(g.Fixed))
	}
	for ci, c := range g.Fixed {
		o := Order{P: c.Order[0], D: c.Order[1], Q: c.Order[2], SP: c.Seasonal[0], SD: c.Seasonal[1], SQ: c.Seasonal[2]}
		s := g.series(t, c.Series)
		if o.SP+o.SD+o.SQ > 0 {
			o.Period = s.m
		}
		t.Run(c.Series+"/"+o.String(), func(t *testing.T) {
			m, err := Fit(context.Background(), s.y, o, &Settings{IncludeMean: c.IncludeMean, IncludeDrift: c.IncludeDrift})
			if err != nil {
				t.Fatal(err)
			}
			got := allCoef(m)
			checkFitR(t, m, got, c.CoefNames, c.Coef, c.LogLik, c.Sigma2, c.AICc)
			// Standard errors (testdata/var_golden.json, R's var.coef
			// from make_golden_var.R): both sides difference the
			// objective numerically with the same steps, at slightly
			// different optima; 5% relative.
			rv := vg[ci].VarCoef
			if len(rv) != len(m.VarCoef) || vg[ci].Series != c.Series {
				t.Fatalf("var_coef has %d entries, R %d (%s)", len(m.VarCoef), len(rv), vg[ci].Series)
			}
			for i := range got {
				k := i*len(got) + i
				if se, rse := math.Sqrt(m.VarCoef[k]), math.Sqrt(rv[k]); relDiff(se, rse) > 0.05 {
					t.Errorf("s.e.(%s) = %v, R %v", c.CoefNames[i], se, rse)
				}
			}
			fc := m.Forecast(len(c.Forecast))
			scale := 0.0
			for _, v := range s.y {
				scale = math.Max(scale, math.Abs(v))
			}
			for i := range fc {
				if math.Abs(fc[i]-c.Forecast[i]) > 0.01*scale {
					t.Errorf("forecast[%d] = %v, R %v", i, fc[i], c.Forecast[i])
				}
			}
		})
	}
}

// TestChandrasekhar checks the fast recursions against the Riccati
// Kalman filter (R's ARIMA_Like with d = 0): same log-likelihood terms to
// 1e-9 relative.
func TestChandrasekhar(t *testing.T) {
	g := loadGolden(t)
	s := g.series(t, "m4_H1")
	cases := []struct {
		o   Order
		par []float64
	}{
		{Order{P: 1}, []float64{0.6}},
		{Order{Q: 2}, []float64{0.4, -0.3}},
		{Order{P: 2, Q: 1}, []float64{0.5, -0.2, 0.6}},
		{Order{P: 1, Q: 4, SP: 2, Period: 24}, []float64{0.86, 0.44, 0.38, 0.12, 0.06, -0.6, -0.26}},
		{Order{P: 1, Q: 1, SQ: 1, Period: 24}, []float64{0.5, 0.3, -0.995}},
		{Order{Q: 1, SP: 1, SQ: 1, Period: 24}, []float64{-0.4291784, -0.1995667, -0.2891394}},
	}
	w := differenceInto(make([]float64, len(s.y)), s.y, Order{SD: 1, Period: 24})
	for _, c := range cases {
		phi, theta := expand(c.o, c.par)
		f := newFilter(len(phi), len(theta), 0)
		if !f.initState(phi, theta, 1e6) {
			t.Fatal("initState")
		}
		ssq1, sl1, nu1 := f.likelihood(w, phi, theta, nil, nil)
		f2 := newFilter(len(phi), len(theta), 0)
		if !f2.q0col(phi, theta) {
			t.Fatal("q0col")
		}
		ssq2, sl2, nu2, ok := f2.chandrasekhar(w, 0, phi, nonzeroLags(c.o.P, c.o.SP, c.o.ns(), len(phi)))
		if !ok || nu1 != nu2 || relDiff(ssq2, ssq1) > 1e-9 || math.Abs(sl2-sl1) > 1e-9*math.Max(1, math.Abs(sl1)) {
			t.Errorf("%v: chandrasekhar (%v, %v, %d), kalman (%v, %v, %d)", c.o, ssq2, sl2, nu2, ssq1, sl1, nu1)
		}
	}
}

// TestRefilterMatchesR: after a refresh with a few more observations and
// the same coefficients, forecasts match R's
// forecast(Arima(c(y, new), model = fit), h = 6)
// (testdata/refresh_golden.json from make_golden_refresh.R) within 0.1%
// of the series' maximum (the coefficients themselves differ from R's
// by optimiser precision).
func TestRefilterMatchesR(t *testing.T) {
	g := loadGolden(t)
	cases := *readGolden[[]struct {
		Series       string    `json:"series"`
		Order        []int     `json:"order"`
		Seasonal     []int     `json:"seasonal"`
		IncludeMean  bool      `json:"include_mean"`
		IncludeDrift bool      `json:"include_drift"`
		Added        int       `json:"added"`
		Forecast     []float64 `json:"forecast"`
	}](t, "testdata/refresh_golden.json", "testdata/make_golden_refresh.R")
	if len(cases) == 0 {
		t.Fatal("no refresh cases")
	}
	for _, c := range cases {
		s := g.series(t, c.Series)
		o := goldenOrder(c.Order, c.Seasonal, s.m)
		t.Run(c.Series+"/"+o.String(), func(t *testing.T) {
			m, err := Fit(context.Background(), s.y, o, &Settings{IncludeMean: c.IncludeMean, IncludeDrift: c.IncludeDrift})
			if err != nil {
				t.Fatal(err)
			}
			longer := append(append([]float64(nil), s.y...), s.test[:c.Added]...)
			if err := m.Refilter(longer); err != nil {
				t.Fatal(err)
			}
			scale := 0.0
			for _, v := range s.y {
				scale = math.Max(scale, math.Abs(v))
			}
			for i, f := range m.Forecast(len(c.Forecast)) {
				if math.Abs(f-c.Forecast[i]) > 1e-3*scale {
					t.Errorf("forecast[%d] = %v, R %v", i, f, c.Forecast[i])
				}
			}
		})
	}
}

// TestCSSFactored: the factored CSS kernel of the search gives the
// expanded recursion's conditional mean square (css on the original
// series, R's ARIMA_CSS) to 1e-12 relative, for random coefficients of
// every order shape up to (5,q,5)(2,Q,2), with and without a shift (a
// mean or a drift), on a real series.
func TestCSSFactored(t *testing.T) {
	g := loadGolden(t)
	y := g.series(t, "m4_H1").y
	rng := rand.New(rand.NewPCG(7, 11))
	checked := 0
	for _, m := range []int{1, 7, 24} {
		for trial := 0; trial < 200; trial++ {
			o := Order{P: rng.IntN(6), D: rng.IntN(2), Q: rng.IntN(6)}
			if m > 1 {
				o.Period = m
				o.SP, o.SD, o.SQ = rng.IntN(3), rng.IntN(2), rng.IntN(3)
			}
			par := make([]float64, o.narma())
			for i := range par {
				par[i] = 0.8 * (2*rng.Float64() - 1) / float64(1+i%3)
			}
			ft := newFitter(y, o, nil, 1e6)
			if ft.fa == nil {
				t.Fatalf("%v: no factored scratch", o)
			}
			// Odd trials subtract beta times a regressor that
			// differences to a constant (a mean, or a drift when
			// differenced once): the reference filters y - beta*reg,
			// the kernel takes the differenced constant as its shift.
			x := append([]float64(nil), y...)
			shift := 0.0
			if trial%2 == 1 && o.D+o.SD <= 1 {
				beta := 3 * rng.NormFloat64()
				reg := make([]float64, len(y))
				for i := range reg {
					reg[i] = 1
					if o.D+o.SD == 1 {
						reg[i] = float64(i + 1)
					}
				}
				for i := range x {
					x[i] -= beta * reg[i]
				}
				shift = beta * difference(reg, o)[0]
			}
			phi, theta := expand(o, par)
			ncond := o.D + o.SD*o.ns() + o.P + o.ns()*o.SP
			want := css(x, o, phi, theta, nonzeroLags(o.P, o.SP, o.ns(), len(phi)), nonzeroLags(o.Q, o.SQ, o.ns(), len(theta)),
				ncond, make([]float64, len(y)), make([]float64, len(y)))
			got := cssFactored(ft.dy, shift, o, par, ft.fa, ft.fe)
			if relDiff(got, want) > 1e-12 {
				t.Fatalf("%v shift %v: factored %v, css %v", o, shift, got, want)
			}
			checked++
		}
	}
	if checked < 300 {
		t.Fatalf("only %d cases checked", checked)
	}
}

// allCoef is R's coef vector of m: ARMA, then mean or drift, then the
// regressors.
func allCoef(m *Model) []float64 {
	got := append([]float64(nil), m.Coef...)
	if m.HasMean {
		got = append(got, m.Mean)
	}
	if m.HasDrift {
		got = append(got, m.Drift)
	}
	return append(got, m.XReg...)
}

// checkFitR compares a fit with R's at the tolerances TestFitMatchesR
// states: loglik 1e-3 relative, coefficients 2e-2 (relative above 1),
// sigma2 1e-2 relative, AICc 1e-3 relative.
func checkFitR(t *testing.T, m *Model, got []float64, names []string, coef []float64, loglik, sigma2, aicc float64) {
	t.Helper()
	t.Logf("loglik go %.6f R %.6f; coef go %.5g R %.5g (%v)", m.LogLik, loglik, got, coef, names)
	if len(got) != len(coef) {
		t.Fatalf("coef count %d, R has %d", len(got), len(coef))
	}
	if d := relDiff(m.LogLik, loglik); d > 1e-3 {
		t.Errorf("loglik %v, R %v (rel diff %.2g)", m.LogLik, loglik, d)
	}
	for i := range got {
		tol := 2e-2 * math.Max(1, math.Abs(coef[i]))
		if math.Abs(got[i]-coef[i]) > tol {
			t.Errorf("%s = %v, R %v", names[i], got[i], coef[i])
		}
	}
	if d := relDiff(m.Sigma2, sigma2); d > 1e-2 {
		t.Errorf("sigma2 %v, R %v", m.Sigma2, sigma2)
	}
	if d := relDiff(m.AICc, aicc); d > 1e-3 {
		t.Errorf("AICc %v, R %v", m.AICc, aicc)
	}
}
