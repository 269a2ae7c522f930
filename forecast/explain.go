package forecast

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/models"
)

// Explanation says why a stored forecast is what it is, from the models
// the tournament kept, loaded from their states (nothing is refitted):
// the members of the combination with their weights and backtest scores,
// per step the effect of each planned covariate against a baseline plan,
// the tree models' feature importances, and the seasonal profile.
type Explanation struct {
	Store    string `json:"store"`
	SKU      string `json:"sku"`
	LastDate string `json:"last_date"`
	Horizon  int    `json:"horizon"`
	Season   int    `json:"season"`
	// Models are the kept models, their weight the share of the
	// combination (the weights sum to 1).
	Models []ModelExplanation `json:"models"`
	// BaselinePlan is the plan the covariate effects are measured
	// against: each covariate a kept model reads, at its most frequent
	// value in the history (no promotion, the regular price).
	BaselinePlan []CovariateBaseline `json:"baseline_plan"`
	// Steps explain the combined forecast step by step.
	Steps []StepExplanation `json:"steps"`
	// Seasonal is the seasonal profile of the history, nil when the
	// series has no season or is too short for two seasons.
	Seasonal *SeasonalProfile `json:"seasonal_profile,omitempty"`
	// Notes say what the figures mean and what could not be explained.
	Notes []string `json:"notes"`
}

// ModelExplanation is one kept model.
type ModelExplanation struct {
	Name     string  `json:"name"`
	Family   string  `json:"family"`
	Weight   float64 `json:"weight"`
	Backtest Metrics `json:"backtest"`
	// Covariates are those the model reads; none means its forecast is
	// the same under any plan.
	Covariates []string `json:"covariates"`
	// Method is how Contributions were computed (models.Method*).
	Method string `json:"method,omitempty"`
	// Contributions are, per covariate, the model's direct effect of
	// the covariate at each step against the baseline plan.
	Contributions map[string][]float64 `json:"contributions,omitempty"`
	// Importances are a tree model's features by mean |TreeSHAP| (the
	// first maxImportances).
	Importances     []models.FeatureImportance `json:"importances,omitempty"`
	ImportanceScale string                     `json:"importance_scale,omitempty"`
	// Error says why the model could not be explained; its share of the
	// effects is then in each step's Carryover.
	Error string `json:"error,omitempty"`
}

// CovariateBaseline is a covariate's value in the baseline plan.
type CovariateBaseline struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// StepExplanation accounts for one step of the combined forecast:
// Value = BaselineValue + Σ Contributions + Carryover.
type StepExplanation struct {
	Date string `json:"date"`
	// Value is the combined forecast under the plan as stored now.
	Value float64 `json:"value"`
	// BaselineValue is the combined forecast under the baseline plan.
	BaselineValue float64 `json:"baseline_value"`
	// Contributions are the weighted direct effects of each covariate's
	// planned value at this step.
	Contributions map[string]float64 `json:"contributions"`
	// Carryover is the rest: the effect of earlier steps' covariates
	// carried through the lags of the recursive models, clipping at
	// zero, and the models that could not be explained.
	Carryover float64 `json:"carryover"`
}

// SeasonalProfile is the multiplicative seasonal index of each position
// in the season, from R's classical decomposition (models.SeasonalIndices)
// of the history: what the seasonally adjusted models divide out and
// multiply back.
type SeasonalProfile struct {
	Season int    `json:"season"`
	Method string `json:"method"`
	// Indices[p] belongs to the position of forecast step p+1, labelled
	// Labels[p] (the weekday for a daily weekly season).
	Indices []float64 `json:"indices"`
	Labels  []string  `json:"labels"`
}

// ErrHistoryChanged marks a forecast whose series no longer has the
// history it was trained on (sales deleted up to or past its last date),
// so its kept models cannot be re-run as they forecast.
var ErrHistoryChanged = errors.New("forecast: the stored history no longer reaches the forecast's last date")

// maxImportances is how many features a tree model's importances list.
const maxImportances = 15

// resultInput is the input the kept models of res forecast from: s's
// history up to res's last date (later sales are not the forecast's)
// with s's covariates as they are now, recorded and planned.
func resultInput(s *data.Series, res *Result) (models.Input, error) {
	last, err := time.Parse(s.Freq.Layout(), res.LastDate)
	if err != nil {
		return models.Input{}, fmt.Errorf("forecast of %s: last date %q: %w", s.Key, res.LastDate, err)
	}
	k, ok := s.Freq.Steps(s.Start, last)
	if !ok || last.Before(s.Start) || k >= len(s.Values) {
		return models.Input{}, fmt.Errorf("forecast of %s (last date %s): %w", s.Key, res.LastDate, ErrHistoryChanged)
	}
	if res.Horizon < 1 {
		return models.Input{}, fmt.Errorf("forecast of %s: horizon %d", s.Key, res.Horizon)
	}
	return models.Input{Y: s.Values[:k+1], Start: s.Start, Freq: s.Freq, Season: res.Season, Covariates: s.Covariates}, nil
}

// loadedModel is a kept model restored from its state.
type loadedModel struct {
	kept   Kept
	spec   models.Spec
	fitted models.Fitted
	covs   []string // the covariates it reads
}

// loadModel looks a kept model up in reg and restores it from its state.
func loadModel(k Kept, reg *models.Registry) (models.Spec, models.Fitted, error) {
	spec, ok := reg.Lookup(k.Name)
	if !ok {
		return models.Spec{}, nil, fmt.Errorf("model %q is no longer registered", k.Name)
	}
	f, err := spec.Load(k.State)
	if err != nil {
		return models.Spec{}, nil, fmt.Errorf("load %s: %w", k.Name, err)
	}
	return spec, f, nil
}

func loadKept(kept []Kept, reg *models.Registry) ([]loadedModel, error) {
	if len(kept) == 0 {
		return nil, fmt.Errorf("no kept models (the forecast is a fallback; run a training job)")
	}
	out := make([]loadedModel, len(kept))
	for i, k := range kept {
		spec, f, err := loadModel(k, reg)
		if err != nil {
			return nil, err
		}
		out[i] = loadedModel{kept: k, spec: spec, fitted: f}
		if ex, ok := f.(models.CovariateExplainer); ok {
			out[i].covs = ex.CovariatesUsed()
		}
	}
	return out, nil
}

// withPlan returns in with the values of plan (covariate → value per
// horizon step, NaN for "as planned") written over the horizon of copies
// of those covariates' columns.
func withPlan(in models.Input, h int, plan map[string][]float64) models.Input {
	n := len(in.Y)
	out := in
	out.Covariates = make(map[string][]float64, len(in.Covariates)+len(plan))
	for name, col := range in.Covariates {
		out.Covariates[name] = col
	}
	for name, vals := range plan {
		src := in.Covariates[name]
		col := make([]float64, max(len(src), n+h))
		copy(col, src)
		for i := len(src); i < len(col); i++ {
			col[i] = math.NaN()
		}
		for i, v := range vals {
			if !math.IsNaN(v) {
				col[n+i] = v
			}
		}
		out.Covariates[name] = col
	}
	return out
}

// Explain explains res, the stored forecast of s, from its kept models.
// s is the series as stored now; its history is cut at res's last date,
// and its covariates are those recorded and planned now, so a plan
// changed since the forecast is explained as it would forecast now (as a
// refresh would).
func Explain(ctx context.Context, s *data.Series, res *Result, kept []Kept, reg *models.Registry) (*Explanation, error) {
	in, err := resultInput(s, res)
	if err != nil {
		return nil, err
	}
	ms, err := loadKept(kept, reg)
	if err != nil {
		return nil, fmt.Errorf("explain %s: %w", s.Key, err)
	}
	h, n := res.Horizon, len(in.Y)
	ex := &Explanation{Store: res.Store, SKU: res.SKU, LastDate: res.LastDate, Horizon: h, Season: res.Season}
	baseline := baselinePlan(in, ms)
	basePlan := make(map[string][]float64, len(baseline))
	ex.BaselinePlan = make([]CovariateBaseline, 0, len(baseline)) // [] not null without covariates
	for name, v := range baseline {
		ex.BaselinePlan = append(ex.BaselinePlan, CovariateBaseline{Name: name, Value: v})
		basePlan[name] = slices.Repeat([]float64{v}, h)
	}
	sort.Slice(ex.BaselinePlan, func(i, j int) bool { return ex.BaselinePlan[i].Name < ex.BaselinePlan[j].Name })
	baseIn := withPlan(in, h, basePlan)

	var wsum float64
	for _, m := range ms {
		wsum += m.kept.Weight
	}
	value, base := make([]float64, h), make([]float64, h)
	contrib := make([]map[string]float64, h)
	for i := range contrib {
		contrib[i] = map[string]float64{}
	}
	for _, m := range ms {
		w := m.kept.Weight / wsum
		me, fc, fcBase, err := explainModel(ctx, m, in, baseIn, h, baseline)
		if err != nil {
			return nil, fmt.Errorf("explain %s: %s: %w", s.Key, m.kept.Name, err)
		}
		me.Weight = w
		me.Backtest = keptMetrics(res, m.kept.Name)
		for i := range h {
			value[i] += w * fc[i]
			base[i] += w * fcBase[i]
			for name, c := range me.Contributions {
				contrib[i][name] += w * c[i]
			}
		}
		ex.Models = append(ex.Models, me)
	}
	nonNeg := nonNegative(in.Y)
	for i := range h {
		v, b := value[i], base[i]
		if nonNeg {
			v, b = math.Max(v, 0), math.Max(b, 0)
		}
		st := StepExplanation{Date: s.Date(n + i).Format(s.Freq.Layout()), Value: v, BaselineValue: b,
			Contributions: contrib[i], Carryover: v - b}
		for _, c := range contrib[i] {
			st.Carryover -= c
		}
		// What is left of a subtraction of equal sums is rounding, not
		// an effect: say 0.
		if math.Abs(st.Carryover) < 1e-9*math.Max(1, math.Abs(v)) {
			st.Carryover = 0
		}
		ex.Steps = append(ex.Steps, st)
	}
	ex.Seasonal = seasonalProfile(in)
	ex.Notes = explainNotes(ex, ms)
	return ex, nil
}

// explainModel explains one kept model: its forecast under the plan, its
// forecast under the baseline plan and, when it reads covariates, its
// direct effects.
func explainModel(ctx context.Context, m loadedModel, in, baseIn models.Input, h int,
	baseline map[string]float64) (ModelExplanation, []float64, []float64, error) {
	me := ModelExplanation{Name: m.kept.Name, Family: m.spec.Family, Covariates: m.covs}
	if me.Covariates == nil {
		me.Covariates = []string{}
	}
	fc, err := m.fitted.Forecast(ctx, in, h)
	if err != nil {
		return me, nil, nil, err
	}
	fcBase := fc
	if len(m.covs) == 0 {
		return me, fc, fcBase, nil
	}
	if fcBase, err = m.fitted.Forecast(ctx, baseIn, h); err != nil {
		return me, nil, nil, err
	}
	eff, err := m.fitted.(models.CovariateExplainer).ExplainCovariates(ctx, in, h, baseline)
	if err != nil {
		if ctx.Err() != nil {
			return me, nil, nil, ctx.Err()
		}
		me.Error = err.Error()
		return me, fc, fcBase, nil
	}
	me.Method = eff.Method
	me.Contributions = make(map[string][]float64, len(eff.Covariates))
	for j, name := range eff.Covariates {
		col := make([]float64, h)
		for i := range col {
			col[i] = eff.Direct[i][j]
		}
		me.Contributions[name] = col
	}
	if len(eff.Importances) > maxImportances {
		eff.Importances = eff.Importances[:maxImportances]
	}
	me.Importances, me.ImportanceScale = eff.Importances, eff.ImportanceScale
	return me, fc, fcBase, nil
}

// keptMetrics returns the backtest scores res records for the kept model
// name.
func keptMetrics(res *Result, name string) Metrics {
	for _, k := range res.Models {
		if k.Name == name {
			return k.Backtest
		}
	}
	return Metrics{}
}

// baselinePlan is each covariate the models read at its most frequent
// finite value over the history (the smaller on a tie): the day without
// a promotion, the regular price.
func baselinePlan(in models.Input, ms []loadedModel) map[string]float64 {
	out := map[string]float64{}
	for _, m := range ms {
		for _, name := range m.covs {
			if _, done := out[name]; done {
				continue
			}
			counts := map[float64]int{}
			col := in.Covariates[name]
			for _, v := range col[:min(len(col), len(in.Y))] {
				if !math.IsNaN(v) && !math.IsInf(v, 0) {
					counts[v]++
				}
			}
			best, bestN := 0.0, 0
			for v, c := range counts {
				if c > bestN || (c == bestN && v < best) {
					best, bestN = v, c
				}
			}
			out[name] = best
		}
	}
	return out
}

var weekdays = [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// seasonalProfile is the seasonal indices of the history rotated to
// start at the first forecast step.
func seasonalProfile(in models.Input) *SeasonalProfile {
	m := in.Season
	idx, ok := models.SeasonalIndices(in.Y, m)
	if !ok {
		return nil
	}
	n := len(in.Y)
	p := &SeasonalProfile{Season: m, Method: "classical multiplicative decomposition (R's decompose), as SES, Theta and Naive2 adjust by",
		Indices: make([]float64, m), Labels: make([]string, m)}
	for k := range m {
		p.Indices[k] = idx[(n+k)%m]
		d := in.Date(n + k)
		switch {
		case in.Freq == data.Daily && m == 7:
			p.Labels[k] = weekdays[d.Weekday()]
		default:
			p.Labels[k] = d.Format(in.Freq.Layout())
		}
	}
	return p
}

func explainNotes(ex *Explanation, ms []loadedModel) []string {
	notes := []string{
		"value = baseline_value + Σ contributions + carryover at each step; contributions are the direct effects of each covariate's planned value at the step against the baseline plan, weighted by the combination",
		"carryover is what earlier steps' covariates add through the lags of the recursive models, and clipping at zero",
	}
	var none []string
	for _, m := range ms {
		if len(m.covs) == 0 {
			none = append(none, m.kept.Name)
		}
	}
	switch {
	case len(none) == len(ms):
		notes = append(notes, "no kept model reads covariates: the forecast is the same under any plan")
	case len(none) > 0:
		notes = append(notes, fmt.Sprintf("%v read no covariates: their forecasts are the same under any plan", none))
	}
	for _, m := range ex.Models {
		if m.Error != "" {
			notes = append(notes, fmt.Sprintf("%s could not be explained (%s): its effects are in carryover", m.Name, m.Error))
		}
	}
	return notes
}
