package forecast

import (
	"context"
	"runtime/pprof"
	"strconv"

	"github.com/forecastd/forecastd/models"
)

// Profile label keys put on every fit, with runtime/pprof, so that a
// memory budget trip or a leaked goroutine names the model, the fit and
// the phase that was running. They are the keys memguard reads
// (memguard.LabelModel, LabelFit, LabelPhase); forecast does not import
// memguard, which would pull net/http into the training package, so the
// values are repeated here and a test in package jobs holds them equal.
const (
	LabelModel = "model"
	LabelFit   = "fit"
	LabelPhase = "phase"
)

// Phases of a tournament named by the LabelPhase label.
const (
	PhaseBacktest = "backtest" // a fold of the rolling-origin backtest
	PhaseRefit    = "refit"    // the final fit on the whole history
	PhaseRefresh  = "refresh"  // a kept model's forecast from new data
	PhaseExercise = "exercise" // one run of a candidate alone (the hunt)
)

// fitFinal is the LabelFit value of a fit on the whole history.
const fitFinal = "final"

// foldLabel is the LabelFit value of backtest fold i.
func foldLabel(i int) string { return strconv.Itoa(i) }

// labelledFit is fitForecastFull run under pprof.Do with spec's name, the
// fit and the phase as labels; goroutines the model starts inherit them.
// The labels cost one context and one label set per fit.
func labelledFit(ctx context.Context, spec models.Spec, in models.Input, h int, fit, phase string) (f models.Fitted, fc []float64, err error) {
	pprof.Do(ctx, pprof.Labels(LabelModel, spec.Name, LabelFit, fit, LabelPhase, phase), func(ctx context.Context) {
		f, fc, err = fitForecastFull(ctx, spec, in, h)
	})
	return f, fc, err
}
