package models

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/forecastd/forecastd/features"
	"github.com/forecastd/forecastd/models/ml"
)

// CovariateEffects is how a fitted model's forecast depends on the
// covariates it reads, step by step, against a baseline plan (one value
// per covariate: no promotion, the regular price).
type CovariateEffects struct {
	// Covariates are the covariates the model reads, in its order.
	Covariates []string
	// Method says how Direct was computed: MethodCoefficients,
	// MethodTreeSHAP, MethodShapley or MethodShapleyForecasts.
	Method string
	// Forecast is the model's forecast, as Forecast gives it.
	Forecast []float64
	// Direct[i][j] is the effect on step i of covariate j's planned value
	// at that step against its baseline value, with the step's other
	// inputs as they are (for the recursive regressions, the lags of the
	// earlier steps' forecasts, which carry the earlier steps' covariates
	// and are not attributed here). Per step, the values sum to the
	// prediction minus the prediction with every covariate at its
	// baseline.
	Direct [][]float64
	// Importances are, for the tree models, each feature's mean absolute
	// TreeSHAP value over the forecast rows against a background of the
	// training rows, largest first; ImportanceScale says on which scale
	// ("prediction", or "log prediction" for a log-link boosting).
	Importances     []FeatureImportance
	ImportanceScale string
}

// How CovariateEffects.Direct was computed.
const (
	// MethodCoefficients: coefficient × (value - baseline) of a linear
	// model with identity link, exact.
	MethodCoefficients = "coefficients"
	// MethodTreeSHAP: interventional TreeSHAP (ml.Shapper) of the step's
	// row against the same row with the covariates at their baseline,
	// exact.
	MethodTreeSHAP = "treeshap"
	// MethodShapley: exact Shapley values over the covariates of the
	// step's prediction, by evaluating the 2^k mixes of planned and
	// baseline values (log links, kNN, the MLP).
	MethodShapley = "shapley"
	// MethodShapleyForecasts: exact Shapley values over the covariates of
	// the whole forecast, by forecasting the 2^k mixes of plans (ARIMA
	// with regressors, whose forecast is not a row-wise prediction).
	MethodShapleyForecasts = "shapley_forecasts"
)

// FeatureImportance is one feature's share of a tree model's attributions.
type FeatureImportance struct {
	Feature     string  `json:"feature"`
	MeanAbsSHAP float64 `json:"mean_abs_shap"`
	// Share is MeanAbsSHAP over the sum of all features'.
	Share float64 `json:"share"`
}

// CovariateExplainer is a fitted model that reads covariates and can
// attribute its forecast to them.
type CovariateExplainer interface {
	Fitted
	// CovariatesUsed names the covariates the forecast reads; none means
	// the forecast is the same under any plan.
	CovariatesUsed() []string
	// ExplainCovariates forecasts h steps from in as Forecast does and
	// attributes each step to the covariates against baseline, which must
	// hold a finite value for every covariate used.
	ExplainCovariates(ctx context.Context, in Input, h int, baseline map[string]float64) (*CovariateEffects, error)
}

// MaxShapleyCovariates bounds the covariates the enumerating methods
// attribute: they cost 2^k predictions (or forecasts) a step.
const MaxShapleyCovariates = 10

// importanceBackground is how many training rows, evenly spaced, the
// tree models' importances average the references over.
const importanceBackground = 48

// SeasonalIndices returns the m multiplicative seasonal indices of y, as
// the decomposition the seasonally adjusted models (SES, Theta, Naive2)
// use: R's decompose(y, "multiplicative"); index i belongs to the
// positions t ≡ i (mod m) counted from y[0]. ok is false when y is too
// short (under two seasons) or the indices are not usable.
func SeasonalIndices(y []float64, m int) (indices []float64, ok bool) {
	return decompMultiplicative(y, m)
}

// CovariatesUsed implements CovariateExplainer.
func (f *regressionFit[P]) CovariatesUsed() []string { return slices.Clone(f.Features.Covariates) }

// ExplainCovariates implements CovariateExplainer.
func (f *regressionFit[P]) ExplainCovariates(ctx context.Context, in Input, h int, baseline map[string]float64) (*CovariateEffects, error) {
	return f.explain(ctx, in, h, baseline, "")
}

// explain is ExplainCovariates with the method forced (tests compare the
// exact methods with the enumeration), or chosen by the model when "".
func (f *regressionFit[P]) explain(ctx context.Context, in Input, h int, baseline map[string]float64, method string) (*CovariateEffects, error) {
	b, err := features.NewBuilder(f.Features)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	names := b.Names()
	covs := f.Features.Covariates
	cols := make([]int, len(covs))
	base := make([]float64, len(covs)) // in the transformed space of the rows
	for j, c := range covs {
		// Covariate columns come after the lag, window and calendar
		// columns, so the last column of that name is the covariate's.
		cols[j] = slices.Index(names, c)
		for k := len(names) - 1; k >= 0; k-- {
			if names[k] == c {
				cols[j] = k
				break
			}
		}
		v, ok := baseline[c]
		if cols[j] < 0 || !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s: no baseline value for covariate %q", f.Name, c)
		}
		t := f.Imputer.Transform(nil, oneHot(len(names), cols[j], v))
		base[j] = t[cols[j]]
	}
	eff := &CovariateEffects{Covariates: slices.Clone(covs), Direct: make([][]float64, h)}
	var model any = f.Model
	lin, _ := model.(*ml.Linear)
	shap, isShap := model.(ml.Shapper)
	boosted, _ := model.(*ml.Boosted)
	logScale := boosted != nil && boosted.Log
	switch {
	case method != "":
		eff.Method = method
	case lin != nil && lin.Link == ml.LinkIdentity:
		eff.Method = MethodCoefficients
	case isShap && !logScale:
		eff.Method = MethodTreeSHAP
	default:
		eff.Method = MethodShapley
		if len(covs) > MaxShapleyCovariates {
			return nil, fmt.Errorf("%s: %d covariates, more than the %d exact Shapley values are computed for", f.Name, len(covs), MaxShapleyCovariates)
		}
	}
	ref := make([]float64, len(names))
	phi := make([]float64, len(names))
	var rows []float64
	visit := func(i int, row []float64, _ float64) {
		d := make([]float64, len(covs))
		switch eff.Method {
		case MethodCoefficients:
			for j, c := range cols {
				d[j] = lin.Coef[c] * (row[c] - base[j])
			}
		case MethodTreeSHAP:
			copy(ref, row)
			for j, c := range cols {
				ref[c] = base[j]
			}
			clear(phi)
			shap.SHAP(phi, row, ref)
			for j, c := range cols {
				d[j] = phi[c]
			}
		default:
			d = exactShapley(len(covs), func(mask uint) float64 {
				copy(ref, row)
				for j, c := range cols {
					if mask&(1<<j) == 0 {
						ref[c] = base[j]
					}
				}
				return f.Model.Predict(ref)
			})
		}
		eff.Direct[i] = d
		if isShap {
			rows = append(rows, row...)
		}
	}
	if eff.Forecast, err = f.forecast(ctx, in, h, visit); err != nil {
		return nil, err
	}
	if isShap {
		eff.ImportanceScale = "prediction"
		if logScale {
			eff.ImportanceScale = "log prediction"
		}
		eff.Importances = f.importances(b, shap, in, rows)
	}
	return eff, nil
}

// importances averages |TreeSHAP| over the forecast rows, each against a
// background of up to importanceBackground training rows rebuilt from
// in (the last two years, as the fit trains on).
func (f *regressionFit[P]) importances(b *features.Builder, m ml.Shapper, in Input, rows []float64) []FeatureImportance {
	cols := b.NumFeatures()
	n := len(in.Y)
	from := 1
	if len(f.Features.Lags) > 0 {
		from = max(from, slices.Max(f.Features.Lags))
	}
	from = max(from, n-730)
	if n-from < 1 || len(rows) == 0 {
		return nil
	}
	step := max(1, (n-from)/importanceBackground)
	var bg []float64
	for t := n - 1; t >= from && len(bg) < importanceBackground*cols; t -= step {
		bg = append(bg, b.MatrixCov(nil, in.Y, in.Covariates, in.Start, in.Freq, t, t+1)...)
	}
	bg = f.Imputer.Transform(bg, bg)
	sum := make([]float64, cols)
	phi := make([]float64, cols)
	nr := len(rows) / cols
	for i := range nr {
		clear(phi)
		ml.SHAPBackground(m, phi, rows[i*cols:(i+1)*cols], bg, cols)
		for j, v := range phi {
			sum[j] += math.Abs(v) / float64(nr)
		}
	}
	var total float64
	for _, v := range sum {
		total += v
	}
	out := make([]FeatureImportance, cols)
	for j, name := range b.Names() {
		out[j] = FeatureImportance{Feature: name, MeanAbsSHAP: sum[j]}
		if total > 0 {
			out[j].Share = sum[j] / total
		}
	}
	slices.SortStableFunc(out, func(a, b FeatureImportance) int {
		switch {
		case a.MeanAbsSHAP > b.MeanAbsSHAP:
			return -1
		case a.MeanAbsSHAP < b.MeanAbsSHAP:
			return 1
		}
		return 0
	})
	return out
}

func oneHot(n, j int, v float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = math.NaN() // imputed, then ignored
	}
	x[j] = v
	return x
}

// CovariatesUsed implements CovariateExplainer.
func (f *arimaFit) CovariatesUsed() []string { return slices.Clone(f.Covariates) }

// ExplainCovariates implements CovariateExplainer: the regression part
// of a regression with ARIMA errors acts on the forecast as a whole, so
// the attribution is over whole forecasts (MethodShapleyForecasts). The
// error process's forecast does not depend on future covariates, so for
// one covariate this is coefficient × (value - baseline).
func (f *arimaFit) ExplainCovariates(ctx context.Context, in Input, h int, baseline map[string]float64) (*CovariateEffects, error) {
	return explainByForecasts(ctx, f, f.Covariates, in, h, baseline)
}

// explainByForecasts attributes a forecast to its covariates by exact
// Shapley values over the 2^k forecasts made with each mix of planned
// and baseline values over the horizon.
func explainByForecasts(ctx context.Context, f Fitted, covs []string, in Input, h int, baseline map[string]float64) (*CovariateEffects, error) {
	k := len(covs)
	if k > MaxShapleyCovariates {
		return nil, fmt.Errorf("%d covariates, more than the %d exact Shapley values are computed for", k, MaxShapleyCovariates)
	}
	n := len(in.Y)
	fcs := make([][]float64, 1<<k)
	for mask := range fcs {
		mix := in
		mix.Covariates = make(map[string][]float64, len(in.Covariates))
		for name, col := range in.Covariates {
			mix.Covariates[name] = col
		}
		for j, c := range covs {
			if mask&(1<<j) != 0 {
				continue
			}
			v, ok := baseline[c]
			if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("no baseline value for covariate %q", c)
			}
			col := make([]float64, max(len(in.Covariates[c]), n+h))
			copy(col, in.Covariates[c])
			for i := n; i < n+h; i++ {
				col[i] = v
			}
			mix.Covariates[c] = col
		}
		fc, err := f.Forecast(ctx, mix, h)
		if err != nil {
			return nil, err
		}
		fcs[mask] = fc
	}
	eff := &CovariateEffects{Covariates: slices.Clone(covs), Method: MethodShapleyForecasts,
		Forecast: fcs[len(fcs)-1], Direct: make([][]float64, h)}
	for i := range h {
		eff.Direct[i] = exactShapley(k, func(mask uint) float64 { return fcs[mask][i] })
	}
	return eff, nil
}

// exactShapley returns the Shapley values of the k-player game v, whose
// coalitions are bit masks, by the definition: φ_j = Σ over S without j
// of |S|!(k-|S|-1)!/k! · (v(S ∪ j) - v(S)).
func exactShapley(k int, v func(mask uint) float64) []float64 {
	vals := make([]float64, 1<<k)
	for m := range vals {
		vals[m] = v(uint(m))
	}
	fact := make([]float64, k+1)
	fact[0] = 1
	for i := 1; i <= k; i++ {
		fact[i] = fact[i-1] * float64(i)
	}
	phi := make([]float64, k)
	for m := range vals {
		s := popcount(uint(m))
		for j := range k {
			if m&(1<<j) != 0 {
				continue
			}
			w := fact[s] * fact[k-s-1] / fact[k]
			phi[j] += w * (vals[m|1<<j] - vals[m])
		}
	}
	return phi
}

func popcount(m uint) int {
	n := 0
	for ; m != 0; m &= m - 1 {
		n++
	}
	return n
}
