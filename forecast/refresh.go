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
// combination of prev (its Combine: the weighted mean, or the median step
// by step), its weights and its interval radii are kept.
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
	point, err := combineKept(ctx, in, kept, reg, prev.Horizon, prev.Combine)
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
// from in, and combines the forecasts as the tournament did: the median
// step by step for CombineMedian, else the weighted mean (a result
// stored before Combine was recorded has none and was a weighted mean).
func combineKept(ctx context.Context, in models.Input, kept []Kept, reg *models.Registry, h int, how Combination) ([]float64, error) {
	runs := make([]*candidateRun, 0, len(kept))
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
		runs = append(runs, &candidateRun{weight: k.Weight, final: fc})
		wsum += k.Weight
	}
	final := func(cr *candidateRun) []float64 { return cr.final }
	if how == CombineMedian {
		return medianForecast(runs, final, h), nil
	}
	// The stored weights sum to 1 up to rounding; dividing by their sum
	// keeps a refresh equal to the tournament's own combination.
	point := weightedForecast(runs, final, h)
	for i := range point {
		point[i] /= wsum
	}
	return point, nil
}
