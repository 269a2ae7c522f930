package forecast

import (
	"encoding/json"
	"math"

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
	Error    string  `json:"error,omitempty"`
	Seconds  float64 `json:"seconds"`
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
	// Fallback says why the tournament was skipped, when it was.
	Fallback string `json:"fallback,omitempty"`
	// Metric and Combine are the ranking metric and the combination
	// the tournament ran with.
	Metric  Metric      `json:"metric"`
	Combine Combination `json:"combine"`
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
