package models

import (
	"context"
	"fmt"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/models/global"
	"github.com/forecastd/forecastd/models/ml"
)

// globalSpecs are the candidates that learn across the series of a job.
// They cannot be fitted on one series alone: forecast.Run trains their
// model once per backtest origin on every series of the job (Spec.Global)
// and hands each series' tournament a Forecaster bound to it
// (GlobalGBDT); a Tournament called on one series outside Run trains
// them on that series alone. Unbound (Exercise, a direct Fit), they
// decline.
func globalSpecs() []Spec {
	return []Spec{
		{Name: "global_gbdt", Family: "global", Global: true,
			Doc:  "histogram gradient-boosted trees (Poisson, 240 iterations, 63 leaves, at most 60,000 rows) trained once on every series of the job, on scaled lag, rolling, calendar, covariate and series-level features, recursive",
			New:  func() Forecaster { return &GlobalGBDT{} },
			Load: LoadJSON[GlobalFit]},
		{Name: "global_gbdt_direct", Family: "global", Global: true,
			Doc:  "global_gbdt forecasting every step directly from the origin, with the step and the target's calendar and covariates as features (one model for all steps)",
			New:  func() Forecaster { return &GlobalGBDT{Direct: true} },
			Load: LoadJSON[GlobalFit]},
		{Name: "global_gbdt_tweedie", Family: "global", Global: true,
			Doc:  "global_gbdt_direct with the Tweedie deviance (power 1.5): heavier-tailed counts",
			New:  func() Forecaster { return &GlobalGBDT{Direct: true, Loss: ml.LossTweedie} },
			Load: LoadJSON[GlobalFit]},
	}
}

// GlobalGBDT is the global_gbdt candidate. Model is the model trained on
// the job's series up to the fold's origin; nil (as the registry's New
// returns it) declines, since one series cannot train it.
type GlobalGBDT struct {
	// Direct selects the direct multi-step model (global.Settings.Direct).
	Direct bool
	// Loss is the booster's loss; "" means Poisson (global.Settings).
	Loss  ml.Loss
	Model *global.Model
	Key   data.Key
	// Unbound says why Model is nil inside a job (the pool could not be
	// trained at this origin); the decline reports it.
	Unbound string
}

// GlobalSettings returns the settings forecast.Run trains the pooled model
// with, for series of the season given, forecast h steps ahead.
func (g *GlobalGBDT) GlobalSettings(season, h int) global.Settings {
	return global.Settings{Season: season, Direct: g.Direct, Horizon: h, Trees: ml.HGBT{Loss: g.Loss}}
}

// Bind returns the candidate bound to m for the series k; with a nil m,
// one that declines, saying why.
func (g *GlobalGBDT) Bind(m *global.Model, k data.Key, why string) Forecaster {
	return &GlobalGBDT{Direct: g.Direct, Loss: g.Loss, Model: m, Key: k, Unbound: why}
}

// Fit implements Forecaster: it binds the pooled model to the series.
func (g *GlobalGBDT) Fit(_ context.Context, in Input) (Fitted, error) {
	if g.Model == nil {
		why := g.Unbound
		if why == "" {
			why = "trained across the series of a job, not on one series"
		}
		return nil, fmt.Errorf("global_gbdt: %w: %s", ErrUnsuitable, why)
	}
	if len(in.Y) == 0 {
		return nil, fmt.Errorf("global_gbdt: %w: no history", ErrTooShort)
	}
	return &GlobalFit{model: g.Model, key: g.Key}, nil
}

// GlobalFit is global_gbdt bound to one series. Its saved state is the
// last forecast it made (the pooled model is shared by the whole job and
// too large to store per series): Path from the step after Origin, the
// mean level the history had then, and the season.
//
// A refresh (Forecast of a restored GlobalFit on a longer history) has
// no pool to retrain with, so it reuses that path: it drops the steps
// the new history has already covered, rescales the rest by the ratio
// of the new recent level to the old one, and extends past the end of
// the path by repeating its last season. It is a stopgap until the next
// training job, which retrains the pool; the refresh keeps the kept
// models' weights as for every other member.
type GlobalFit struct {
	Origin string         `json:"origin"` // the date of the last point of the history, in Freq's layout
	Freq   data.Frequency `json:"freq"`
	Season int            `json:"season"`
	Level  float64        `json:"level"`
	Path   []float64      `json:"path"`

	model *global.Model
	key   data.Key
}

// levelWindow is how many recent seasons set the level a refresh
// rescales by.
const levelWindow = 4

// Forecast implements Fitted.
func (f *GlobalFit) Forecast(ctx context.Context, in Input, h int) ([]float64, error) {
	if len(in.Y) == 0 {
		return nil, fmt.Errorf("global_gbdt: %w: no history", ErrTooShort)
	}
	level := recentLevel(in.Y, in.Season)
	if f.model != nil {
		fc, err := f.model.Forecast(ctx, global.Series{Key: f.key, Y: in.Y, Start: in.Start, Freq: in.Freq, Covariates: in.Covariates}, h)
		if err != nil {
			return nil, fmt.Errorf("global_gbdt: %w: %w", ErrUnsuitable, err)
		}
		f.Origin = in.Date(len(in.Y) - 1).Format(in.Freq.Layout())
		f.Freq, f.Season, f.Level, f.Path = in.Freq, in.Season, level, fc
		return fc, nil
	}
	return f.refresh(in, h, level)
}

// refresh forecasts from the saved path, as the type's comment says.
func (f *GlobalFit) refresh(in Input, h int, level float64) ([]float64, error) {
	if len(f.Path) == 0 {
		return nil, fmt.Errorf("global_gbdt: %w: saved state has no forecast path", ErrUnsuitable)
	}
	origin, err := time.Parse(f.Freq.Layout(), f.Origin)
	if err != nil {
		return nil, fmt.Errorf("global_gbdt: saved origin %q: %w", f.Origin, err)
	}
	last := in.Date(len(in.Y) - 1)
	skip, ok := f.Freq.Steps(origin, last)
	if !ok || last.Before(origin) {
		return nil, fmt.Errorf("global_gbdt: %w: history ends %s, before or off the grid of the trained origin %s; retrain",
			ErrUnsuitable, last.Format(f.Freq.Layout()), f.Origin)
	}
	ratio := 1.0
	if f.Level > 0 && level > 0 {
		ratio = level / f.Level
	}
	m := min(max(f.Season, 1), len(f.Path))
	out := make([]float64, h)
	for i := range out {
		k := skip + i
		if k >= len(f.Path) {
			// Past the path: repeat its last season, in phase.
			k = len(f.Path) - m + (k-len(f.Path))%m
		}
		out[i] = f.Path[k] * ratio
	}
	return out, nil
}

// recentLevel is the mean absolute value of the last levelWindow seasons
// of y (at least 7 points).
func recentLevel(y []float64, season int) float64 {
	w := min(len(y), max(levelWindow*max(season, 1), 7))
	var s float64
	for _, v := range y[len(y)-w:] {
		if v < 0 {
			v = -v
		}
		s += v
	}
	return s / float64(w)
}
