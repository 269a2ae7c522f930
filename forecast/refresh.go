package forecast

import (
	"context"
	"fmt"
	"runtime/pprof"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/models"
)

// Refresh re-predicts a series from its latest history with the models a
// tournament kept, without re-running the tournament: each kept model is
// loaded from its state and forecasts from s (models re-run their filters
// or features over the new history with the fitted parameters). The
// combination weights and interval radii of prev are kept.
//
// The models get s's covariates with their plans as loaded now: a kept
// regression reads the covariates its state names, by date, so a plan
// uploaded or changed since the tournament moves the forecast. A
// covariate whose plan no longer covers the horizon is imputed by the
// model (see models.Regression); retraining re-decides which covariates
// are known.
func Refresh(ctx context.Context, s *data.Series, prev *Result, kept []Kept, reg *models.Registry) (*Outcome, error) {
	if len(kept) == 0 {
		return nil, fmt.Errorf("forecast: refresh %s: no kept models (the last result was a fallback; run a training job)", s.Key)
	}
	if len(prev.Points) == 0 {
		return nil, fmt.Errorf("forecast: refresh %s: previous result has no points", s.Key)
	}
	in := models.Input{Y: s.Values, Start: s.Start, Freq: s.Freq, Season: prev.Season, Covariates: s.Covariates}
	point, err := combineKept(ctx, in, kept, reg, prev.Horizon)
	if err != nil {
		return nil, fmt.Errorf("forecast: refresh %s: %w", s.Key, err)
	}
	p0 := prev.Points[0]
	res := *prev
	res.LastDate = s.End().Format(s.Freq.Layout())
	// Not reconciled with the others until a job reconciles it again.
	res.Reconciled = ""
	res.Points = makePoints(s, point, p0.Upper-p0.Value, p0.Upper95-p0.Value, nonNegative(s.Values))
	out := &Outcome{Result: &res, Kept: kept, Class: res.Class}
	if res.Backtest != nil {
		out.Reason = res.Backtest.Reason
	}
	return out, nil
}

// combineKept loads each kept model from its state, forecasts h steps
// from in, and returns the weighted mean of the forecasts.
func combineKept(ctx context.Context, in models.Input, kept []Kept, reg *models.Registry, h int) ([]float64, error) {
	point := make([]float64, h)
	var wsum float64
	for _, k := range kept {
		_, f, err := loadModel(k, reg)
		if err != nil {
			return nil, err
		}
		var fc []float64
		pprof.Do(ctx, pprof.Labels(LabelModel, k.Name, LabelFit, fitFinal, LabelPhase, PhaseRefresh), func(ctx context.Context) {
			fc, err = f.Forecast(ctx, in, h)
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k.Name, err)
		}
		for i := range point {
			point[i] += k.Weight * fc[i]
		}
		wsum += k.Weight
	}
	for i := range point {
		point[i] /= wsum
	}
	return point, nil
}
