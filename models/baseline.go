package models

import (
	"context"
	"fmt"
)

// baselineSpecs lists the simple benchmarks every tournament should beat.
// (Helper-owned: more baselines are added here.)
func baselineSpecs() []Spec {
	return []Spec{
		{Name: "naive", Family: "baseline", Doc: "last value carried forward",
			New: func() Forecaster { return Naive{} }, Load: LoadJSON[naiveFit], Default: true},
		{Name: "seasonal_naive", Family: "baseline", Doc: "value one season ago",
			New: func() Forecaster { return SeasonalNaive{} }, Load: LoadJSON[seasonalNaiveFit], Default: true},
	}
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
