package models

import (
	"context"
	"errors"
	"fmt"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/models/window"
)

// windowSpecs are the global candidates of models/window: a pooled
// linear model on level-scaled windows, a learner of a different kind
// from global_gbdt's trees.
func windowSpecs() []Spec {
	return []Spec{
		{Name: "global_window_ridge", Family: "global", Global: true,
			Doc:  "pooled ridge regression (global AR) trained once on windows of every series of the job, each scaled by its recent level: log(1+y), centred and scaled per window; a year of days or three weeks of hours in, every step of the horizon out directly",
			New:  func() Forecaster { return &WindowRidge{} },
			Load: LoadJSON[WindowFit]},
	}
}

// WindowRidge is the global_window_ridge candidate. forecast.Run trains
// its pooled model (TrainPooled) once per backtest origin on the job's
// series and binds it to each series (BindPooled); Model nil, as the
// registry's New returns it, declines.
type WindowRidge struct {
	Model *window.Model
	Key   data.Key
	// Unbound says why Model is nil inside a job.
	Unbound string
}

// TrainPooled trains the pooled ridge on the histories ys (cut at one
// origin) of series of the season given, for h steps ahead.
func (w *WindowRidge) TrainPooled(ctx context.Context, ys [][]float64, season, h int) (any, error) {
	m, err := window.Train(ctx, ys, window.ForPool(ys, season, h))
	if err != nil {
		return nil, fmt.Errorf("global_window_ridge: %w", err)
	}
	return m, nil
}

// BindPooled returns the candidate bound to m (a *window.Model from
// TrainPooled) for series k; with a nil m, one that declines saying why.
func (w *WindowRidge) BindPooled(m any, k data.Key, why string) Forecaster {
	wm, _ := m.(*window.Model)
	return &WindowRidge{Model: wm, Key: k, Unbound: why}
}

// Fit implements Forecaster: it binds the pooled model to the series.
func (w *WindowRidge) Fit(_ context.Context, in Input) (Fitted, error) {
	if w.Model == nil {
		why := w.Unbound
		if why == "" {
			why = "trained across the series of a job, not on one series"
		}
		return nil, fmt.Errorf("global_window_ridge: %w: %s", ErrUnsuitable, why)
	}
	if len(in.Y) < w.Model.Settings.Lags {
		return nil, fmt.Errorf("global_window_ridge: %w: %d points, the input window is %d", ErrTooShort, len(in.Y), w.Model.Settings.Lags)
	}
	return &WindowFit{model: w.Model}, nil
}

// WindowFit is global_window_ridge bound to one series. As GlobalFit, its
// saved state is the last forecast path and the level then (the pooled
// coefficients are the job's, not the series'), and a refresh, which has
// no pool to retrain, reuses that path rescaled to the new level
// (GlobalFit's refresh) until the next training job.
type WindowFit struct {
	GlobalFit
	model *window.Model
}

// Forecast implements Fitted.
func (f *WindowFit) Forecast(ctx context.Context, in Input, h int) ([]float64, error) {
	if f.model == nil {
		return f.GlobalFit.Forecast(ctx, in, h)
	}
	fc, err := f.model.Forecast(in.Y, h)
	if errors.Is(err, window.ErrTooShort) {
		return nil, fmt.Errorf("global_window_ridge: %w: %w", ErrTooShort, err)
	}
	if err != nil {
		return nil, fmt.Errorf("global_window_ridge: %w", err)
	}
	f.Origin = in.Date(len(in.Y) - 1).Format(in.Freq.Layout())
	f.Freq, f.Season, f.Level, f.Path = in.Freq, in.Season, recentLevel(in.Y, in.Season), fc
	return fc, nil
}
