package models

import (
	"context"
	"fmt"
	"math"
)

// baselineSpecs lists the simple benchmarks every tournament should beat.
// (Helper-owned: more baselines are added here.)
func baselineSpecs() []Spec {
	return []Spec{
		{Name: "naive", Family: "baseline", Doc: "last value carried forward",
			New: func() Forecaster { return Naive{} }, Load: LoadJSON[naiveFit], Default: true},
		{Name: "seasonal_naive", Family: "baseline", Doc: "value one season ago",
			New: func() Forecaster { return SeasonalNaive{} }, Load: LoadJSON[seasonalNaiveFit], Default: true},
		{Name: "mean", Family: "baseline", Doc: "mean of the whole history, as R's meanf",
			New: func() Forecaster { return HistoricMean{} }, Load: LoadJSON[historicMeanFit], Default: true},
		{Name: "window_average", Family: "baseline", Doc: "mean of the last Window points (default 28)",
			New: func() Forecaster { return WindowAverage{} }, Load: LoadJSON[windowAverageFit], Default: true},
		{Name: "seasonal_window_average", Family: "baseline",
			Doc: "mean of the last Seasons seasons (default 4) at each seasonal position",
			New: func() Forecaster { return SeasonalWindowAverage{} }, Load: LoadJSON[seasonalWindowAverageFit], Default: true},
		{Name: "drift", Family: "baseline", Doc: "random walk with drift, as R's rwf(drift=TRUE)",
			New: func() Forecaster { return Drift{} }, Load: LoadJSON[driftFit], Default: true},
	}
}

// The averaging baselines re-read the history they forecast from: a
// refresh on a longer history averages the newest points, as refitting
// would, because these models have nothing to estimate but the averages.

// baselineFinite reports an error for a history with NaN or Inf, which
// would silently poison every average.
func baselineFinite(name string, y []float64) error {
	_, err := baselineFiniteSum(name, y)
	return err
}

// baselineFiniteSum is baselineSum with baselineFinite's check. A NaN or
// ±Inf anywhere makes the sum non-finite, so one fast pass clears the
// usual case (an IsNaN/IsInf test per element cost more than the rest of
// a drift or mean fit); only a non-finite sum, which overflow can also
// give, is looked at element by element.
func baselineFiniteSum(name string, y []float64) (float64, error) {
	s := baselineSum(y)
	if !math.IsNaN(s) && !math.IsInf(s, 0) {
		return s, nil
	}
	for _, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("%s: %w: non-finite value", name, ErrUnsuitable)
		}
	}
	return s, nil
}

// baselineSum adds y with four accumulators: a serial sum is one chain of
// dependent additions, one element per addition latency; four chains run
// side by side. It may differ from the serial sum in the last bits.
func baselineSum(y []float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(y); i += 4 {
		s0 += y[i]
		s1 += y[i+1]
		s2 += y[i+2]
		s3 += y[i+3]
	}
	for ; i < len(y); i++ {
		s0 += y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// baselineFill returns h copies of v.
func baselineFill(h int, v float64) []float64 {
	out := make([]float64, h)
	for i := range out {
		out[i] = v
	}
	return out
}

// HistoricMean forecasts the mean of the whole history (R's meanf). It has
// no hyperparameters.
type HistoricMean struct{}

type historicMeanFit struct {
	// Mean is the mean of the fit history, kept for inspection; forecasts
	// use the history they are given.
	Mean float64 `json:"mean"`
}

// Fit implements Forecaster.
func (HistoricMean) Fit(_ context.Context, in Input) (Fitted, error) {
	if len(in.Y) < 1 {
		return nil, fmt.Errorf("mean: %w: need 1 point", ErrTooShort)
	}
	sum, err := baselineFiniteSum("mean", in.Y)
	if err != nil {
		return nil, err
	}
	return &historicMeanFit{Mean: sum / float64(len(in.Y))}, nil
}

func (*historicMeanFit) Forecast(_ context.Context, in Input, h int) ([]float64, error) {
	if len(in.Y) < 1 {
		return nil, fmt.Errorf("mean: %w: need 1 point", ErrTooShort)
	}
	if h < 0 {
		return nil, fmt.Errorf("mean: negative horizon %d", h)
	}
	return baselineFill(h, baselineMean(in.Y)), nil
}

// baselineMean is the arithmetic mean of a non-empty slice.
func baselineMean(y []float64) float64 {
	return baselineSum(y) / float64(len(y))
}

// WindowAverage forecasts the mean of the most recent points.
type WindowAverage struct {
	// Window is the number of most recent points averaged; 0 means 28
	// (four weeks of daily data). Shorter histories are rejected with
	// ErrTooShort rather than averaged over fewer points, so the model
	// means the same thing on every series.
	Window int `json:"window"`
}

type windowAverageFit struct {
	Window int `json:"window"`
}

// Fit implements Forecaster.
func (w WindowAverage) Fit(_ context.Context, in Input) (Fitted, error) {
	k := w.Window
	if k <= 0 {
		k = 28
	}
	if len(in.Y) < k {
		return nil, fmt.Errorf("window_average: %w: need %d points, have %d", ErrTooShort, k, len(in.Y))
	}
	if err := baselineFinite("window_average", in.Y[len(in.Y)-k:]); err != nil {
		return nil, err
	}
	return &windowAverageFit{Window: k}, nil
}

func (f *windowAverageFit) Forecast(_ context.Context, in Input, h int) ([]float64, error) {
	k := f.Window
	if k < 1 || len(in.Y) < k {
		return nil, fmt.Errorf("window_average: %w: need %d points, have %d", ErrTooShort, k, len(in.Y))
	}
	if h < 0 {
		return nil, fmt.Errorf("window_average: negative horizon %d", h)
	}
	return baselineFill(h, baselineMean(in.Y[len(in.Y)-k:])), nil
}

// SeasonalWindowAverage forecasts, for each future step, the mean of the
// values at the same seasonal position in the last Seasons seasons: a
// seasonal naive forecast with the noise of one season averaged out.
type SeasonalWindowAverage struct {
	// Seasons is the number of past seasons averaged; 0 means 4.
	Seasons int `json:"seasons"`
	// Season overrides the input's season length when > 0.
	Season int `json:"season"`
}

type seasonalWindowAverageFit struct {
	Seasons int `json:"seasons"`
	Season  int `json:"season"`
}

// Fit implements Forecaster.
func (s SeasonalWindowAverage) Fit(_ context.Context, in Input) (Fitted, error) {
	k := s.Seasons
	if k <= 0 {
		k = 4
	}
	m := s.Season
	if m <= 0 {
		m = in.Season
	}
	if m < 1 {
		m = 1
	}
	if len(in.Y) < k*m {
		return nil, fmt.Errorf("seasonal_window_average: %w: need %d points, have %d", ErrTooShort, k*m, len(in.Y))
	}
	if err := baselineFinite("seasonal_window_average", in.Y[len(in.Y)-k*m:]); err != nil {
		return nil, err
	}
	return &seasonalWindowAverageFit{Seasons: k, Season: m}, nil
}

func (f *seasonalWindowAverageFit) Forecast(_ context.Context, in Input, h int) ([]float64, error) {
	k, m, n := f.Seasons, f.Season, len(in.Y)
	if k < 1 || m < 1 || n < k*m {
		return nil, fmt.Errorf("seasonal_window_average: %w: need %d points, have %d", ErrTooShort, k*m, n)
	}
	if h < 0 {
		return nil, fmt.Errorf("seasonal_window_average: negative horizon %d", h)
	}
	// The average for seasonal position j (0..m-1 counted from the first
	// point of the last season) repeats with period m.
	avg := make([]float64, m)
	for j := range avg {
		var s float64
		for r := 1; r <= k; r++ {
			s += in.Y[n-r*m+j]
		}
		avg[j] = s / float64(k)
	}
	out := make([]float64, h)
	for i := range out {
		out[i] = avg[i%m]
	}
	return out, nil
}

// Drift is the random walk with drift: the last value plus the average
// change over the history per step, as R's rwf(drift=TRUE), i.e. the line
// through the first and last points extended. It has no hyperparameters.
type Drift struct{}

type driftFit struct {
	// Slope is the drift estimated on the fit history, kept for
	// inspection; forecasts use the history they are given.
	Slope float64 `json:"slope"`
}

// Fit implements Forecaster.
func (Drift) Fit(_ context.Context, in Input) (Fitted, error) {
	n := len(in.Y)
	if n < 2 {
		return nil, fmt.Errorf("drift: %w: need 2 points, have %d", ErrTooShort, n)
	}
	if err := baselineFinite("drift", in.Y); err != nil {
		return nil, err
	}
	return &driftFit{Slope: (in.Y[n-1] - in.Y[0]) / float64(n-1)}, nil
}

func (*driftFit) Forecast(_ context.Context, in Input, h int) ([]float64, error) {
	n := len(in.Y)
	if n < 2 {
		return nil, fmt.Errorf("drift: %w: need 2 points, have %d", ErrTooShort, n)
	}
	if h < 0 {
		return nil, fmt.Errorf("drift: negative horizon %d", h)
	}
	last := in.Y[n-1]
	slope := (last - in.Y[0]) / float64(n-1)
	out := make([]float64, h)
	for i := range out {
		out[i] = last + float64(i+1)*slope
	}
	return out, nil
}

// Naive forecasts the last observed value. It has no hyperparameters.
type Naive struct{}

type naiveFit struct{}

// Fit implements Forecaster.
func (Naive) Fit(_ context.Context, in Input) (Fitted, error) {
	if len(in.Y) < 1 {
		return nil, fmt.Errorf("naive: %w: need 1 point", ErrTooShort)
	}
	return &naiveFit{}, nil
}

func (*naiveFit) Forecast(_ context.Context, in Input, h int) ([]float64, error) {
	if len(in.Y) < 1 {
		return nil, fmt.Errorf("naive: %w: need 1 point", ErrTooShort)
	}
	out := make([]float64, h)
	last := in.Y[len(in.Y)-1]
	for i := range out {
		out[i] = last
	}
	return out, nil
}

// SeasonalNaive forecasts the value one season before each target.
type SeasonalNaive struct {
	// Season overrides the input's season length when > 0.
	Season int `json:"season"`
}

type seasonalNaiveFit struct {
	Season int `json:"season"`
}

// Fit implements Forecaster.
func (m SeasonalNaive) Fit(_ context.Context, in Input) (Fitted, error) {
	s := m.Season
	if s <= 0 {
		s = in.Season
	}
	if s < 1 {
		s = 1
	}
	if len(in.Y) < s {
		return nil, fmt.Errorf("seasonal_naive: %w: need %d points, have %d", ErrTooShort, s, len(in.Y))
	}
	return &seasonalNaiveFit{Season: s}, nil
}

func (f *seasonalNaiveFit) Forecast(_ context.Context, in Input, h int) ([]float64, error) {
	n, s := len(in.Y), f.Season
	if n < s {
		return nil, fmt.Errorf("seasonal_naive: %w: need %d points, have %d", ErrTooShort, s, n)
	}
	out := make([]float64, h)
	for i := range out {
		out[i] = in.Y[n-s+i%s]
	}
	return out, nil
}
