package models

import (
	"context"
	"fmt"
	"math"
)

// thetaSpecs lists SES, Naive2 and the Theta methods.
func thetaSpecs() []Spec {
	return []Spec{
		{Name: "ses", Family: "exponential smoothing",
			Doc: "simple exponential smoothing (alpha, l0 by MSE as R ses), on M4-style seasonally adjusted data",
			New: func() Forecaster { return SES{} }, Load: LoadJSON[sesFit], Default: true},
		{Name: "naive2", Family: "baseline",
			Doc: "M4 Naive2: last value of the seasonally adjusted series, reseasonalised",
			New: func() Forecaster { return Naive2{} }, Load: LoadJSON[naive2Fit], Default: true},
		{Name: "theta", Family: "theta",
			Doc: "M4 benchmark Theta (Theta.classic): SES on the theta=2 line averaged with the linear trend",
			New: func() Forecaster { return Theta{} }, Load: LoadJSON[thetaFit], Default: true},
		{Name: "optimized_theta", Family: "theta",
			Doc: "optimised Theta model (Fiorucci et al. 2016 OTM): theta, alpha and l0 by in-sample MSE",
			New: func() Forecaster { return OptimizedTheta{} }, Load: LoadJSON[optThetaFit], Default: true},
	}
}

// Naive2 is the M4 competition's Naive2 benchmark: the last value of the
// seasonally adjusted series (see SeasonalAdjust), multiplied back by the
// seasonal indices of the forecast steps.
type Naive2 struct {
	// Season overrides the input's season length when > 0.
	Season int `json:"season,omitempty"`
	// Adjust chooses the seasonal adjustment; the zero value is AdjustM4.
	Adjust SeasonalAdjust `json:"adjust,omitempty"`
}

type naive2Fit struct {
	Figure []float64 `json:"figure,omitempty"`
}

// Fit implements Forecaster.
func (m Naive2) Fit(_ context.Context, in Input) (Fitted, error) {
	if len(in.Y) < 1 {
		return nil, fmt.Errorf("naive2: %w: need 1 point", ErrTooShort)
	}
	if err := sesCheckFinite("naive2", in.Y); err != nil {
		return nil, err
	}
	return &naive2Fit{Figure: decompFigure(in.Y, decompSeason(m.Season, in), m.Adjust)}, nil
}

// Forecast implements Fitted; the seasonal indices are those of the fit.
func (f *naive2Fit) Forecast(_ context.Context, in Input, h int) ([]float64, error) {
	n := len(in.Y)
	if n < 1 {
		return nil, fmt.Errorf("naive2: %w: need 1 point", ErrTooShort)
	}
	if h < 0 {
		return nil, fmt.Errorf("naive2: negative horizon %d", h)
	}
	last := in.Y[n-1]
	if f.Figure != nil {
		last /= f.Figure[(n-1)%len(f.Figure)]
	}
	out := make([]float64, h)
	for j := range out {
		out[j] = last
	}
	decompReseason(out, n, f.Figure)
	return out, nil
}

// ThetaForm selects which of two published formulations of the standard
// (theta = 2) Theta method Theta computes. They coincide for SES with a
// particular initialisation and differ slightly once alpha and l0 are
// optimised.
type ThetaForm int

const (
	// ThetaM4 (the default) is the official M4 benchmark, Theta.classic in
	// "Benchmarks and Evaluation.R": fit a linear trend A + B·t (t = 1..n),
	// smooth the theta line 2·y − trend with R's ses(), and forecast the
	// average of the smoothed line and the extrapolated trend, with
	// negative forecasts set to zero.
	ThetaM4 ThetaForm = iota
	// ThetaHyndmanBillah is forecast::thetaf (Hyndman & Billah 2003): ses()
	// on the data plus a drift of half the trend slope,
	// ŷ(n+h) = l_n + B/2·(h − 1 + (1 − (1−α)^n)/α).
	ThetaHyndmanBillah
)

// Theta is the standard Theta method (Assimakopoulos & Nikolopoulos 2000)
// as the M4 competition ran it: classical multiplicative seasonal
// adjustment when the seasonality test finds it, then the theta = 2 line
// smoothed by SES and combined with the linear trend. To reproduce
// forecast::thetaf set Form to ThetaHyndmanBillah and Adjust to
// AdjustThetaf.
type Theta struct {
	// Season overrides the input's season length when > 0.
	Season int `json:"season,omitempty"`
	// Adjust chooses the seasonal adjustment; the zero value is AdjustM4.
	Adjust SeasonalAdjust `json:"adjust,omitempty"`
	// Form chooses the formulation; the zero value is ThetaM4.
	Form ThetaForm `json:"form,omitempty"`
}

// thetaFit holds the linear trend Intercept + Slope·t (t = 1..n) of the
// adjusted fit history, the SES parameters (on the theta line for ThetaM4,
// on the adjusted data for ThetaHyndmanBillah) and the seasonal indices.
type thetaFit struct {
	Form      ThetaForm `json:"form"`
	Intercept float64   `json:"intercept"`
	Slope     float64   `json:"slope"`
	Alpha     float64   `json:"alpha"`
	Level0    float64   `json:"level0"`
	Figure    []float64 `json:"figure,omitempty"`
}

// Fit implements Forecaster.
func (m Theta) Fit(ctx context.Context, in Input) (Fitted, error) {
	n := len(in.Y)
	if n < 3 {
		return nil, fmt.Errorf("theta: %w: need 3 points, have %d", ErrTooShort, n)
	}
	if err := sesCheckFinite("theta", in.Y); err != nil {
		return nil, err
	}
	if m.Form != ThetaM4 && m.Form != ThetaHyndmanBillah {
		return nil, fmt.Errorf("theta: unknown form %d", m.Form)
	}
	fig := decompFigure(in.Y, decompSeason(m.Season, in), m.Adjust)
	x := decompAdjust(make([]float64, n), in.Y, fig)
	a, b := thetaLinearTrend(x)
	if m.Form == ThetaM4 {
		// The theta = 2 line, smoothed in place of the data.
		for i := range x {
			x[i] = 2*x[i] - (a + b*float64(i+1))
		}
	}
	alpha, l0, err := sesOptimize(ctx, x, sesAlphaLo, sesAlphaHi)
	if err != nil {
		return nil, fmt.Errorf("theta: %w", err)
	}
	return &thetaFit{Form: m.Form, Intercept: a, Slope: b, Alpha: alpha, Level0: l0, Figure: fig}, nil
}

// Forecast implements Fitted. A longer history re-runs the SES recursion
// with the fitted alpha, initial level, trend line and seasonal indices.
func (f *thetaFit) Forecast(_ context.Context, in Input, h int) ([]float64, error) {
	n := len(in.Y)
	if n < 1 {
		return nil, fmt.Errorf("theta: %w: need 1 point", ErrTooShort)
	}
	if h < 0 {
		return nil, fmt.Errorf("theta: negative horizon %d", h)
	}
	out := make([]float64, h)
	if f.Form == ThetaHyndmanBillah {
		l := sesLevelAdjusted(in.Y, f.Figure, f.Alpha, f.Level0)
		alpha := math.Max(f.Alpha, 1e-10)
		base := (1 - math.Pow(1-alpha, float64(n))) / alpha
		for j := range out {
			out[j] = l + f.Slope/2*(float64(j)+base)
		}
	} else {
		l := f.Level0
		m := len(f.Figure)
		for t, v := range in.Y {
			if m > 0 {
				v /= f.Figure[t%m]
			}
			z := 2*v - (f.Intercept + f.Slope*float64(t+1))
			l += f.Alpha * (z - l)
		}
		for j := range out {
			out[j] = 0.5*l + 0.5*(f.Intercept+f.Slope*float64(n+1+j))
			// The M4 benchmark clips negative forecasts: demand is not
			// negative.
			if out[j] < 0 {
				out[j] = 0
			}
		}
	}
	decompReseason(out, n, f.Figure)
	return out, nil
}

// thetaLinearTrend returns the least-squares line a + b·t through x with
// t = 1..n, as lm(x ~ t) in the M4 script. It centres t so the sums stay
// well conditioned for long series.
func thetaLinearTrend(x []float64) (a, b float64) {
	n := float64(len(x))
	tbar := (n + 1) / 2
	var xbar float64
	for _, v := range x {
		xbar += v
	}
	xbar /= n
	var sxy, sxx float64
	for i, v := range x {
		dt := float64(i+1) - tbar
		sxy += dt * (v - xbar)
		sxx += dt * dt
	}
	if sxx == 0 {
		return xbar, 0
	}
	b = sxy / sxx
	return xbar - b*tbar, b
}

// OptimizedTheta is the Optimised Theta Model (OTM) of Fiorucci, Pellegrini,
// Louzada, Petropoulos & Koehler (2016), "Models for optimising the theta
// method and their relationship to state space models", IJF 32(4), in its
// static form (the trend A + B·t is the least-squares line of the whole
// fit history), written with the theta line so that θ = 2 is exactly the
// M4 benchmark Theta (ThetaM4, without its clipping at zero):
//
//	Z_t(θ) = θ·y_t + (1−θ)(A + B·t)           the theta line
//	ℓ_t    = ℓ_{t−1} + α(Z_t − ℓ_{t−1})        SES on it, from ℓ_0
//	ŷ_{t+1} = (1 − 1/θ)(A + B(t+1)) + ℓ_t/θ    the one-step forecast
//
// θ ≥ 1, α and ℓ_0 minimise the in-sample mean squared one-step error; θ = 2
// is the standard Theta method. Writing v = 1/θ and u = ℓ_0/θ, the errors
// are linear in (u, v) for a fixed α, so this implementation solves a 2×2
// least-squares problem (v constrained to [0, 1], v = 0 being the limit
// θ → ∞: trend plus SES of the detrended data) inside a one-dimensional
// search over α in [1e-4, 0.9999] (grid plus Brent, as SES): (u, v) are
// exact for each α, where a Nelder–Mead search over (α, θ, ℓ_0) stops short
// on the flat ridges this model often has. Other implementations
// (forecTheta's otm, statsforecast's OptimizedTheta) work with the model's
// state-space form and their own initialisation, so their forecasts can
// differ slightly. Seasonality is handled as in Theta.
type OptimizedTheta struct {
	// Season overrides the input's season length when > 0.
	Season int `json:"season,omitempty"`
	// Adjust chooses the seasonal adjustment; the zero value is AdjustM4.
	Adjust SeasonalAdjust `json:"adjust,omitempty"`
}

// optThetaFit stores the trend, alpha, Weight = 1/θ, and U = ℓ_0/θ (both
// kept in this form because θ = ∞ is a valid limit that JSON cannot hold).
type optThetaFit struct {
	Intercept float64   `json:"intercept"`
	Slope     float64   `json:"slope"`
	Alpha     float64   `json:"alpha"`
	Weight    float64   `json:"weight"`
	U         float64   `json:"u"`
	Figure    []float64 `json:"figure,omitempty"`
}

// Theta returns the fitted theta coefficient (+Inf when Weight is 0).
func (f *optThetaFit) Theta() float64 { return 1 / f.Weight }

// Fit implements Forecaster.
func (m OptimizedTheta) Fit(ctx context.Context, in Input) (Fitted, error) {
	n := len(in.Y)
	if n < 4 {
		return nil, fmt.Errorf("optimized_theta: %w: need 4 points, have %d", ErrTooShort, n)
	}
	if err := sesCheckFinite("optimized_theta", in.Y); err != nil {
		return nil, err
	}
	fig := decompFigure(in.Y, decompSeason(m.Season, in), m.Adjust)
	x := decompAdjust(make([]float64, n), in.Y, fig)
	a, b := thetaLinearTrend(x)
	// Fit in coordinates shifted by the mean of the trend (the model is
	// translation equivariant) so the trend term does not dominate the sums.
	k := a + b*float64(n+1)/2
	for i := range x {
		x[i] -= k
	}
	ak := a - k
	obj := func(alpha float64) float64 {
		_, _, mse := thetaOTMProfile(x, ak, b, alpha)
		return mse
	}
	alpha, err := sesMinimize(ctx, obj, sesAlphaLo, sesAlphaHi)
	if err != nil {
		return nil, fmt.Errorf("optimized_theta: %w", err)
	}
	u, v, _ := thetaOTMProfile(x, ak, b, alpha)
	// Undo the shift: the errors contain -u·c_t + v·g_t, and g_t grows by
	// k·c_t when the trend is shifted back up by k.
	u += v * k
	return &optThetaFit{Intercept: a, Slope: b, Alpha: alpha, Weight: v, U: u, Figure: fig}, nil
}

// thetaOTMProfile returns, for a fixed alpha, the (u, v) minimising the
// sum of squared one-step errors e_t = r_t − u·c_t + v·g_t of the OTM and
// the resulting mean squared error, where
// r_t = D_t − F_t[D] (D = x − trend, F = SES with zero initial level),
// g_t = T_t − F_t[T] and c_t = (1−α)^(t−1).
func thetaOTMProfile(x []float64, a, b, alpha float64) (u, v, mse float64) {
	var s, g, c float64 = 0, 0, 1
	var srr, src, srg, scc, scg, sgg float64
	beta := 1 - alpha
	for i, xv := range x {
		tr := a + b*float64(i+1)
		d := xv - tr
		r := d - s
		gg := tr - g
		srr += r * r
		src += r * c
		srg += r * gg
		scc += c * c
		scg += c * gg
		sgg += gg * gg
		s += alpha * (d - s)
		g += alpha * (tr - g)
		c *= beta
		if c < sesTiny {
			c = 0 // avoid subnormal arithmetic, as in sesProfile
		}
	}
	det := scc*sgg - scg*scg
	if det <= 1e-12*scc*sgg {
		// A flat trend makes g proportional to c: θ is then irrelevant
		// to the fit, so take the standard θ = 2.
		v = 0.5
	} else {
		v = (src*scg - srg*scc) / det
		v = math.Max(0, math.Min(1, v))
	}
	u = (src + v*scg) / scc
	sse := srr - 2*u*src + 2*v*srg + u*u*scc - 2*u*v*scg + v*v*sgg
	return u, v, math.Max(sse, 0) / float64(len(x))
}

// Forecast implements Fitted. A longer history re-runs the two SES
// recursions (on the detrended data from U, on the trend from 0) with the
// fitted parameters.
func (f *optThetaFit) Forecast(_ context.Context, in Input, h int) ([]float64, error) {
	n := len(in.Y)
	if n < 1 {
		return nil, fmt.Errorf("optimized_theta: %w: need 1 point", ErrTooShort)
	}
	if h < 0 {
		return nil, fmt.Errorf("optimized_theta: negative horizon %d", h)
	}
	s, g := f.U, 0.0
	m := len(f.Figure)
	for t, v := range in.Y {
		if m > 0 {
			v /= f.Figure[t%m]
		}
		tr := f.Intercept + f.Slope*float64(t+1)
		s += f.Alpha * (v - tr - s)
		g += f.Alpha * (tr - g)
	}
	out := make([]float64, h)
	for j := range out {
		tr := f.Intercept + f.Slope*float64(n+1+j)
		out[j] = (1-f.Weight)*tr + f.Weight*g + s
	}
	decompReseason(out, n, f.Figure)
	return out, nil
}
