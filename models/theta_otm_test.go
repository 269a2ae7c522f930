package models

import (
	"context"
	"math"
	"testing"
)

// thetaOTMInSampleMSE is the in-sample mean squared one-step error of a
// fitted OptimizedTheta on the (already adjusted) series x, computed from
// the theta-line definition rather than the fitting algebra.
func thetaOTMInSampleMSE(f *optThetaFit, x []float64) float64 {
	var s, g, sse float64 = f.U, 0, 0
	for t, v := range x {
		tr := f.Intercept + f.Slope*float64(t+1)
		e := v - ((1-f.Weight)*tr + f.Weight*g + s)
		sse += e * e
		s += f.Alpha * (v - tr - s)
		g += f.Alpha * (tr - g)
	}
	return sse / float64(len(x))
}

// thetaClassicInSampleMSE is the in-sample MSE of the M4 Theta fit
// (0.5·trend + 0.5·SES level of the theta line) on the adjusted series x.
func thetaClassicInSampleMSE(f *thetaFit, x []float64) float64 {
	l := f.Level0
	var sse float64
	for t, v := range x {
		tr := f.Intercept + f.Slope*float64(t+1)
		e := v - (0.5*tr + 0.5*l)
		sse += e * e
		l += f.Alpha * (2*v - tr - l)
	}
	return sse / float64(len(x))
}

// TestOptimizedThetaGolden compares with an independent Python
// implementation of the theta-line OTM (testdata/theta/otm_golden.json from
// make_otm_golden.py: grid plus Nelder–Mead on alpha, theta and l0, on the
// series of golden.json). Go's in-sample MSE must not exceed the
// reference's by more than 1e-9 relative; forecasts must agree to 1e-3 of
// their mean absolute value (flat optima leave the parameters, and so the
// forecasts, loosely determined). It also checks the OTM is never worse in
// sample than the standard Theta (θ = 2 is inside its search space).
func TestOptimizedThetaGolden(t *testing.T) {
	g := thetaReadGolden(t)
	var ref struct {
		Series []struct {
			ID       string    `json:"id"`
			Alpha    float64   `json:"alpha"`
			Theta    float64   `json:"theta"`
			MSE      float64   `json:"mse"`
			Forecast []float64 `json:"forecast"`
		} `json:"series"`
	}
	readGolden(t, "testdata/theta/otm_golden.json", "models/testdata/theta/make_otm_golden.py", &ref)
	if len(ref.Series) != len(g.Series) {
		t.Fatalf("otm golden has %d series, golden.json %d", len(ref.Series), len(g.Series))
	}
	ctx := context.Background()
	for i, s := range g.Series {
		r := ref.Series[i]
		in := Input{Y: s.Y, Season: s.Season}
		fit, f := thetaFitForecast(t, OptimizedTheta{}, in, s.H)
		of := fit.(*optThetaFit)
		x := decompAdjust(make([]float64, len(s.Y)), s.Y, of.Figure)
		mse := thetaOTMInSampleMSE(of, x)
		d := thetaMaxRelDiff(t, f, r.Forecast)
		t.Logf("%s: alpha %.4f theta %.4g mse %.8g | reference alpha %.4f theta %.4g mse %.8g | forecast diff %.2g",
			s.ID, of.Alpha, of.Theta(), mse, r.Alpha, r.Theta, r.MSE, d)
		if mse > r.MSE*(1+1e-9) {
			t.Errorf("%s: in-sample MSE %.12g worse than reference %.12g", s.ID, mse, r.MSE)
		}
		if d > 1e-3 {
			t.Errorf("%s: forecasts differ from reference by %.3g", s.ID, d)
		}
		cf, err := Theta{}.Fit(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if cm := thetaClassicInSampleMSE(cf.(*thetaFit), x); mse > cm*(1+1e-9) {
			t.Errorf("%s: OTM in-sample MSE %.12g worse than standard Theta's %.12g", s.ID, mse, cm)
		}
		if math.IsNaN(mse) {
			t.Errorf("%s: NaN MSE", s.ID)
		}
	}
}
