package forecast

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/models"
)

// PlanChange sets one covariate's planned value at one date of the
// horizon, in a what-if scenario.
type PlanChange struct {
	Date  time.Time
	Name  string
	Value float64
}

// ErrScenario marks a scenario the caller got wrong (an unknown
// covariate, a date off the horizon, a non-finite value); the
// *ScenarioError says which change and why.
var ErrScenario = errors.New("forecast: bad scenario")

// ScenarioError is a bad change of a scenario.
type ScenarioError struct {
	// Index is the change's position in the list given to Scenario.
	Index int
	// Field is "date", "name" or "value".
	Field  string
	Reason string
}

func (e *ScenarioError) Error() string {
	return fmt.Sprintf("change %d: %s: %s", e.Index, e.Field, e.Reason)
}

// Unwrap makes a ScenarioError an ErrScenario.
func (e *ScenarioError) Unwrap() error { return ErrScenario }

// ScenarioResult is the forecast of a series under an alternative plan
// next to the forecast under the stored plan, both from the kept models
// with their weights and with the stored intervals' widths.
type ScenarioResult struct {
	Store    string  `json:"store"`
	SKU      string  `json:"sku"`
	LastDate string  `json:"last_date"`
	Horizon  int     `json:"horizon"`
	Baseline []Point `json:"baseline"`
	Scenario []Point `json:"scenario"`
	// Models are the kept models and whether the scenario moved their
	// forecast: a model that reads no covariate forecasts the same under
	// any plan.
	Models []ScenarioModel `json:"models"`
	// Changed names the covariates the scenario changed.
	Changed []string `json:"changed_covariates"`
	Notes   []string `json:"notes"`
}

// ScenarioModel is a kept model in a scenario.
type ScenarioModel struct {
	Name       string   `json:"name"`
	Weight     float64  `json:"weight"`
	Covariates []string `json:"covariates"`
	// Moved is set when the scenario changed the model's forecast.
	Moved bool `json:"moved"`
}

// ScenarioCovariates are the covariates a scenario may change for res:
// those the forecast was given (Result.Covariates) and those a kept
// model reads, sorted.
func ScenarioCovariates(res *Result, kept []Kept, reg *models.Registry) ([]string, error) {
	ms, err := loadKept(kept, reg)
	if err != nil {
		return nil, err
	}
	return scenarioCovariates(res, ms), nil
}

func scenarioCovariates(res *Result, ms []loadedModel) []string {
	out := slices.Clone(res.Covariates)
	for _, m := range ms {
		out = append(out, m.covs...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Scenario forecasts s under its stored plan changed by changes, with
// the models res kept, and stores nothing. s is the series as stored
// now; its history is cut at res's last date. A change must name a
// covariate of the forecast (ScenarioCovariates), fall on a date of the
// horizon and be finite, or Scenario returns a *ScenarioError.
func Scenario(ctx context.Context, s *data.Series, res *Result, kept []Kept, reg *models.Registry, changes []PlanChange) (*ScenarioResult, error) {
	in, err := resultInput(s, res)
	if err != nil {
		return nil, err
	}
	ms, err := loadKept(kept, reg)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", s.Key, err)
	}
	h := res.Horizon
	known := scenarioCovariates(res, ms)
	plan, err := scenarioPlan(in, h, known, changes)
	if err != nil {
		return nil, err
	}
	alt := withPlan(in, h, plan)
	out := &ScenarioResult{Store: res.Store, SKU: res.SKU, LastDate: res.LastDate, Horizon: h, Changed: []string{}}
	for name := range plan {
		out.Changed = append(out.Changed, name)
	}
	slices.Sort(out.Changed)
	var wsum float64
	for _, m := range ms {
		wsum += m.kept.Weight
	}
	base, scen := make([]float64, h), make([]float64, h)
	var readers []string
	for _, m := range ms {
		w := m.kept.Weight / wsum
		fb, err := m.fitted.Forecast(ctx, in, h)
		if err != nil {
			return nil, fmt.Errorf("scenario %s: %s: %w", s.Key, m.kept.Name, err)
		}
		fs := fb
		if len(m.covs) > 0 {
			readers = append(readers, m.kept.Name)
			if fs, err = m.fitted.Forecast(ctx, alt, h); err != nil {
				return nil, fmt.Errorf("scenario %s: %s: %w", s.Key, m.kept.Name, err)
			}
		}
		for i := range h {
			base[i] += w * fb[i]
			scen[i] += w * fs[i]
		}
		covs := m.covs
		if covs == nil {
			covs = []string{}
		}
		out.Models = append(out.Models, ScenarioModel{Name: m.kept.Name, Weight: w, Covariates: covs, Moved: !slices.Equal(fb, fs)})
	}
	var q80, q95 float64
	if len(res.Points) > 0 {
		p0 := res.Points[0]
		q80, q95 = p0.Upper-p0.Value, p0.Upper95-p0.Value
	}
	hist := &data.Series{Key: s.Key, Freq: s.Freq, Start: s.Start, Values: in.Y}
	nonNeg := nonNegative(in.Y)
	out.Baseline = makePoints(hist, base, q80, q95, nonNeg)
	out.Scenario = makePoints(hist, scen, q80, q95, nonNeg)
	out.Notes = []string{"baseline is the forecast under the plan as stored now, scenario under that plan with the changes; " +
		"both combine the kept models with their weights, and carry the stored forecast's interval widths; nothing is stored"}
	switch {
	case len(readers) == 0:
		out.Notes = append(out.Notes, "no kept model reads covariates: the forecast is the same under any plan")
	case len(readers) < len(ms):
		out.Notes = append(out.Notes, fmt.Sprintf("only %s read covariates; the other kept models forecast the same under any plan",
			strings.Join(readers, ", ")))
	}
	return out, nil
}

// scenarioPlan checks changes and returns them as per-covariate values
// over the horizon (NaN where unchanged).
func scenarioPlan(in models.Input, h int, known []string, changes []PlanChange) (map[string][]float64, error) {
	n := len(in.Y)
	first, last := in.Date(n), in.Date(n+h-1)
	layout := in.Freq.Layout()
	plan := map[string][]float64{}
	for i, c := range changes {
		if !slices.Contains(known, c.Name) {
			reason := fmt.Sprintf("unknown covariate %q: this forecast's covariates are %s", c.Name, strings.Join(known, ", "))
			if len(known) == 0 {
				reason = fmt.Sprintf("unknown covariate %q: this forecast uses no covariates", c.Name)
			}
			return nil, &ScenarioError{Index: i, Field: "name", Reason: reason}
		}
		if math.IsNaN(c.Value) || math.IsInf(c.Value, 0) {
			return nil, &ScenarioError{Index: i, Field: "value", Reason: fmt.Sprintf("%v is not a finite number", c.Value)}
		}
		k, onGrid := in.Freq.Steps(in.Start, c.Date)
		step := k - n
		if c.Date.Before(first) || c.Date.After(last) || !onGrid || step < 0 || step >= h {
			return nil, &ScenarioError{Index: i, Field: "date", Reason: fmt.Sprintf("%s is off the horizon (%s to %s)",
				c.Date.Format(layout), first.Format(layout), last.Format(layout))}
		}
		col := plan[c.Name]
		if col == nil {
			col = slices.Repeat([]float64{math.NaN()}, h)
			plan[c.Name] = col
		}
		if !math.IsNaN(col[step]) {
			return nil, &ScenarioError{Index: i, Field: "date", Reason: fmt.Sprintf("%s given twice for %s", c.Name, c.Date.Format(layout))}
		}
		col[step] = c.Value
	}
	return plan, nil
}
