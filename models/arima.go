package models

import (
	"context"
	"errors"
	"fmt"

	"github.com/forecastd/forecastd/models/arima"
)

// arimaSpecs wraps models/arima: AutoARIMA in the default tournament and
// a fixed-order ARIMA for users who know their series.
func arimaSpecs() []Spec {
	return []Spec{
		{Name: "auto_arima", Family: "arima",
			Doc: "seasonal ARIMA chosen by forecast::auto.arima's stepwise AICc search",
			New: func() Forecaster { return AutoARIMA{} }, Load: LoadJSON[arimaFit], Default: true},
		{Name: "arima", Family: "arima",
			Doc: "seasonal ARIMA of a fixed order, estimated by CSS-ML",
			New: func() Forecaster { return ARIMA{} }, Load: LoadJSON[arimaFit], Default: false},
	}
}

// defaultARIMAHistory is the default MaxHistory: a year of daily data.
// On 30 Kaggle store/item series with a 28-day holdout (bench/models_arima
// README, "History"), fitting the last 365 days instead of 730 gave a
// mean MASE of 1.350 instead of 1.365 (better on 14 of the 30) at about
// half the CPU (0.15 s instead of 0.27 s a series), which is what lets
// AutoARIMA fit in the tournament's budget.
const defaultARIMAHistory = 365

// minAutoARIMAPoints is the shortest history AutoARIMA fits.
const minAutoARIMAPoints = 10

// AutoARIMA selects and fits a seasonal ARIMA model per series as R's
// forecast::auto.arima does with its defaults (KPSS tests for d, the
// seasonal-strength test for D, stepwise AICc search over p, q, P, Q).
// It ignores covariates. A fit costs about 0.03-0.4 s of CPU on 365 days
// of history and 0.05-2 s on 730 (bench/models_arima), against 0.4-21 s
// for R's auto.arima on the same 730 days.
type AutoARIMA struct {
	// MaxP and MaxQ bound the non-seasonal orders; 0 means 5, negative
	// means 0.
	MaxP int `json:"max_p,omitempty"`
	MaxQ int `json:"max_q,omitempty"`
	// MaxSP and MaxSQ bound the seasonal orders; 0 means 2, negative
	// means 0.
	MaxSP int `json:"max_sp,omitempty"`
	MaxSQ int `json:"max_sq,omitempty"`
	// NonSeasonal ignores the input's season length.
	NonSeasonal bool `json:"non_seasonal,omitempty"`
	// Season overrides the input's season length when > 0.
	Season int `json:"season,omitempty"`
	// Exact ranks candidates by exact likelihood even on long series
	// (R's approximation = FALSE); slower, rarely different.
	Exact bool `json:"exact,omitempty"`
	// MaxHistory is the number of most recent points fitted and
	// filtered on; 0 means 365, negative means all.
	MaxHistory int `json:"max_history,omitempty"`
}

func orDefault(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

func historyWindow(y []float64, maxHistory int) []float64 {
	n := orDefault(maxHistory, defaultARIMAHistory)
	if maxHistory < 0 || n >= len(y) {
		return y
	}
	return y[len(y)-n:]
}

func seasonOf(in Input, override int) int {
	if override > 0 {
		return override
	}
	return max(in.Season, 1)
}

// Fit implements Forecaster.
func (a AutoARIMA) Fit(ctx context.Context, in Input) (Fitted, error) {
	y := historyWindow(in.Y, a.MaxHistory)
	// auto.arima answers even for 4 points, but below ten it can only
	// pick white noise around zero or a mean: leave such series to the
	// baselines.
	if len(y) < minAutoARIMAPoints {
		return nil, fmt.Errorf("auto_arima: %w: need %d points, have %d", ErrTooShort, minAutoARIMAPoints, len(y))
	}
	s := arima.DefaultAutoSettings()
	s.MaxP, s.MaxQ = orDefault(a.MaxP, 5), orDefault(a.MaxQ, 5)
	s.MaxSP, s.MaxSQ = orDefault(a.MaxSP, 2), orDefault(a.MaxSQ, 2)
	s.NonSeasonal = a.NonSeasonal
	if a.Exact {
		s.Approximation = arima.ApproxNever
	}
	res, err := arima.Auto(ctx, y, seasonOf(in, a.Season), s)
	if err != nil {
		return nil, fmt.Errorf("auto_arima: %w", mapARIMAError(err))
	}
	return &arimaFit{Model: res.Model, MaxHistory: a.MaxHistory}, nil
}

// ARIMA fits a seasonal ARIMA(P,D,Q)(SP,SD,SQ)m of a fixed order. When
// every order is zero it fits the "airline" model ARIMA(0,1,1)(0,1,1)m
// (ARIMA(0,1,1) without a season).
type ARIMA struct {
	P  int `json:"p,omitempty"`
	D  int `json:"d,omitempty"`
	Q  int `json:"q,omitempty"`
	SP int `json:"sp,omitempty"`
	SD int `json:"sd,omitempty"`
	SQ int `json:"sq,omitempty"`
	// Season overrides the input's season length when > 0.
	Season int `json:"season,omitempty"`
	// NoConstant drops the mean (d+D = 0) or drift (d+D = 1) that is
	// otherwise estimated, as auto.arima would.
	NoConstant bool `json:"no_constant,omitempty"`
	// MaxHistory is the number of most recent points fitted and
	// filtered on; 0 means 365, negative means all.
	MaxHistory int `json:"max_history,omitempty"`
}

// Fit implements Forecaster.
func (a ARIMA) Fit(ctx context.Context, in Input) (Fitted, error) {
	y := historyWindow(in.Y, a.MaxHistory)
	m := seasonOf(in, a.Season)
	o := arima.Order{P: a.P, D: a.D, Q: a.Q, SP: a.SP, SD: a.SD, SQ: a.SQ}
	if o == (arima.Order{}) {
		o = arima.Order{Q: 1, D: 1}
		if m > 1 {
			o.SQ, o.SD = 1, 1
		}
	}
	if o.SP+o.SD+o.SQ > 0 {
		if m < 2 {
			return nil, fmt.Errorf("arima: %w: seasonal order needs a season length >= 2", ErrUnsuitable)
		}
		o.Period = m
	}
	if isConstantSeries(y) {
		return nil, fmt.Errorf("arima: %w: constant series", ErrUnsuitable)
	}
	s := &arima.Settings{IncludeMean: !a.NoConstant, IncludeDrift: !a.NoConstant}
	mod, err := arima.Fit(ctx, y, o, s)
	if err != nil {
		return nil, fmt.Errorf("arima: %w", mapARIMAError(err))
	}
	return &arimaFit{Model: mod, MaxHistory: a.MaxHistory}, nil
}

func isConstantSeries(y []float64) bool {
	for _, v := range y {
		if v != y[0] {
			return false
		}
	}
	return true
}

// mapARIMAError wraps models/arima's data errors into this package's
// sentinels, keeping the original message.
func mapARIMAError(err error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, arima.ErrTooShort):
		return fmt.Errorf("%w: %v", ErrTooShort, err)
	case errors.Is(err, arima.ErrConstant), errors.Is(err, arima.ErrNoModel),
		errors.Is(err, arima.ErrNonStationary), errors.Is(err, arima.ErrFit):
		return fmt.Errorf("%w: %v", ErrUnsuitable, err)
	}
	return err
}

// arimaFit is a fitted ARIMA of either kind.
type arimaFit struct {
	Model      *arima.Model `json:"model"`
	MaxHistory int          `json:"max_history,omitempty"`
}

// Forecast implements Fitted. It re-runs the Kalman filter over the same
// window of in that the model was fitted on (the most recent MaxHistory
// points), so a longer history of the same series refreshes the state
// without re-estimating; the stored model is not modified.
func (f *arimaFit) Forecast(ctx context.Context, in Input, h int) ([]float64, error) {
	if f.Model == nil {
		return nil, fmt.Errorf("arima: %w: no model", ErrUnsuitable)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	y := historyWindow(in.Y, f.MaxHistory)
	m := *f.Model
	m.State = nil
	if err := m.Refilter(y); err != nil {
		return nil, fmt.Errorf("arima: %w", mapARIMAError(err))
	}
	return m.Forecast(h), nil
}
