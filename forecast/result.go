package forecast

import (
	"encoding/json"
	"math"
	"strings"

	"github.com/forecastd/forecastd/data"
)

// Point is one forecast step with its 80% and 95% intervals.
type Point struct {
	Date    string  `json:"date"`
	Value   float64 `json:"value"`
	Lower   float64 `json:"lower"`
	Upper   float64 `json:"upper"`
	Lower95 float64 `json:"lower_95"`
	Upper95 float64 `json:"upper_95"`
}

// KeptModel is a member of the combination.
type KeptModel struct {
	Name     string  `json:"name"`
	Weight   float64 `json:"weight"`
	Backtest Metrics `json:"backtest"`
}

// Entry is a candidate's line on the leaderboard.
type Entry struct {
	Name     string  `json:"name"`
	Family   string  `json:"family"`
	Rank     int     `json:"rank,omitempty"` // 1 is best; 0 when the candidate failed
	Kept     bool    `json:"kept"`
	Backtest Metrics `json:"backtest"`
	Folds    int     `json:"folds"`
	// Error says why the candidate has no rank: a failure, or, when it
	// starts "declined: ", the reason the candidate does not apply to
	// this series (negative values for a count model, a season too long
	// for its form, too short a history), which is no failure.
	Error string `json:"error,omitempty"`
	// Declined is set when the candidate declined the series.
	Declined bool    `json:"declined,omitempty"`
	Seconds  float64 `json:"seconds"`
	// Stopped says where and why the race (Options.Racing) stopped the
	// candidate: after how many folds, on which bound. Its Folds are
	// the folds it ran, its Backtest is over those, and it ranks after
	// every candidate that ran all folds. Empty when it was not stopped.
	Stopped string `json:"stopped,omitempty"`
}

// Result is the outcome of a tournament on one series, as served.
type Result struct {
	Store       string         `json:"store"`
	SKU         string         `json:"sku"`
	Freq        data.Frequency `json:"freq"`
	Season      int            `json:"season"`
	Horizon     int            `json:"horizon"`
	LastDate    string         `json:"last_date"`
	Points      []Point        `json:"points"`
	Models      []KeptModel    `json:"models"`
	Leaderboard []Entry        `json:"leaderboard"`
	// Combination is the backtest accuracy of the combined forecast.
	Combination Metrics `json:"combination"`
	// Coverage80 and Coverage95 are the empirical coverages of the
	// intervals on the backtest folds, each fold scored with intervals
	// calibrated on the other folds; NaN (null) with a single fold.
	Coverage80 float64 `json:"coverage_80"`
	Coverage95 float64 `json:"coverage_95"`
	// Covariates are the covariates the candidates were given: those
	// whose values are known over the whole horizon (planned), sorted.
	Covariates []string `json:"covariates,omitempty"`
	// CovariatesDropped are the covariates of the history the candidates
	// were not given, because their plan does not cover the horizon.
	CovariatesDropped []DroppedCovariate `json:"covariates_dropped,omitempty"`
	// Fallback says why the tournament was skipped, when it was.
	Fallback string `json:"fallback,omitempty"`
	// Class is how completely the tournament ran (full, reduced or
	// fallback), and Backtest how the candidates were validated; both
	// are absent from results stored before they existed.
	Class    Class     `json:"class,omitempty"`
	Backtest *Backtest `json:"backtest,omitempty"`
	// Metric and Combine are the ranking metric and the combination
	// the tournament ran with.
	Metric  Metric      `json:"metric"`
	Combine Combination `json:"combine"`
	// Reconciled names the hierarchical reconciliation that made this
	// forecast coherent with the others of its job (bottom_up, mint_shrink...;
	// package forecast/hierarchy); empty when none ran.
	Reconciled string `json:"reconciled,omitempty"`
}

// Kept is a fitted member of the combination, serialised by its model.
type Kept struct {
	Name   string          `json:"name"`
	Weight float64         `json:"weight"`
	State  json.RawMessage `json:"state"`
}

// Outcome is what a tournament produces for one series.
type Outcome struct {
	Result *Result
	Kept   []Kept
	// Class is how completely the tournament ran, as Result.Class;
	// Reason says why it is not ClassFull ("" when it is).
	Class  Class
	Reason string
	// CovariatesDropped are the covariates of the history this
	// tournament left out, as Result.CovariatesDropped; nil for a
	// refresh, which does not choose covariates.
	CovariatesDropped []DroppedCovariate
	// Residuals are the combination's backtest errors, fold by fold
	// (nil for a fallback or a refresh). Hierarchical reconciliation
	// estimates the error covariance of a job's series from them; they
	// are not stored.
	Residuals []FoldErrors
}

// FoldErrors are a combination's errors (actual - forecast) on one
// backtest fold; Origin is the date of the fold's last training point, so
// that the folds of series ending on the same date line up.
type FoldErrors struct {
	Origin string
	Errors []float64
}

// DroppedCovariate is a covariate of a series' history that the
// candidates were not given, and why: its values are not planned over
// the whole horizon, so a model trained on it would lack it when it
// forecasts.
type DroppedCovariate struct {
	Name   string `json:"name"`
	Reason string `json:"reason"` // "no plan for 12 of 28 steps"
}

// String is the covariate and the reason, "promo: no plan for 12 of 28 steps".
func (d DroppedCovariate) String() string { return d.Name + ": " + d.Reason }

// DroppedText joins what dropped says into one line, for a warning.
func DroppedText(dropped []DroppedCovariate) string {
	parts := make([]string, len(dropped))
	for i, d := range dropped {
		parts[i] = d.String()
	}
	return strings.Join(parts, "; ")
}

// Class classifies the outcome of one series, for the summary of a job.
type Class string

// The classes of outcome, from the best to the worst.
const (
	// ClassFull: the tournament ran as asked, every fold at the full
	// horizon with every candidate (some may have declined the series).
	ClassFull Class = "full"
	// ClassReduced: the history was too short for the backtest asked,
	// so it ran fewer folds, a shorter validation horizon or fewer
	// candidates (Result.Backtest says which and why).
	ClassReduced Class = "reduced"
	// ClassFallback: no backtest could run, or no candidate fitted, and
	// the forecast is the flat mean of the last season.
	ClassFallback Class = "fallback"
	// ClassColdStart: the history was too short for a backtest, and the
	// forecast comes from a global model trained on the job's other
	// series (its level from this series' points, its shape from the
	// pool), with the fallback's intervals.
	ClassColdStart Class = "cold_start"
	// ClassFailed: the tournament returned an error, and the series has
	// no forecast.
	ClassFailed Class = "failed"
)

// Classify returns the class of a series' outcome and the reason it is
// not full, from what Run hands its sink: a non-nil err is ClassFailed.
func Classify(out *Outcome, err error) (Class, string) {
	switch {
	case err != nil:
		return ClassFailed, err.Error()
	case out == nil:
		return ClassFailed, "no outcome"
	case out.Class == "":
		// An outcome made outside Tournament (Refresh of an old result).
		return ClassFull, ""
	}
	return out.Class, out.Reason
}

// Backtest says how a tournament validated its candidates, against what
// was asked: the history decides how many folds fit, and how long a
// validation horizon, before the tournament settles for fewer
// candidates (see planBacktest).
type Backtest struct {
	// FoldsAsked and FoldsRun are the folds asked for (backtest_windows)
	// and the folds the history fitted.
	FoldsAsked int `json:"folds_asked"`
	FoldsRun   int `json:"folds_run"`
	// Horizon is the forecast horizon; ValidationHorizon the steps each
	// fold scored (Horizon unless the history was too short for it).
	Horizon           int `json:"horizon"`
	ValidationHorizon int `json:"validation_horizon"`
	// MinTrain is the shortest history a fold trained on.
	MinTrain int `json:"min_train"`
	// Dropped names the candidates left out because they need more
	// seasons of history than the folds train on.
	Dropped []string `json:"dropped,omitempty"`
	// Reason says why the backtest differs from what was asked; empty
	// when it does not.
	Reason string `json:"reason,omitempty"`
}

// MarshalJSON writes non-finite coverage as null.
func (r *Result) MarshalJSON() ([]byte, error) {
	type plain Result
	aux := struct {
		*plain
		Coverage80 *float64 `json:"coverage_80"`
		Coverage95 *float64 `json:"coverage_95"`
	}{plain: (*plain)(r)}
	if !math.IsNaN(r.Coverage80) && !math.IsInf(r.Coverage80, 0) {
		aux.Coverage80 = &r.Coverage80
	}
	if !math.IsNaN(r.Coverage95) && !math.IsInf(r.Coverage95, 0) {
		aux.Coverage95 = &r.Coverage95
	}
	return json.Marshal(aux)
}
