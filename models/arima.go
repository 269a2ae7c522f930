package models

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/forecastd/forecastd/models/arima"
)

// arimaSpecs wraps models/arima: AutoARIMA in the default tournament and
// a fixed-order ARIMA for users who know their series.
func arimaSpecs() []Spec {
	return []Spec{
		{Name: "auto_arima", Family: "arima",
			Doc: "seasonal ARIMA chosen by forecast::auto.arima's stepwise AICc search, with planned covariates as regressors",
			New: func() Forecaster { return AutoARIMA{} }, Load: LoadJSON[arimaFit], Default: true},
		{Name: "arima", Family: "arima",
			Doc: "seasonal ARIMA of a fixed order, estimated by CSS-ML, with planned covariates as regressors",
			New: func() Forecaster { return ARIMA{} }, Load: LoadJSON[arimaFit], Default: false, MinSeasons: 2},
	}
}

// defaultARIMAHistory is the default MaxHistory: a year of daily data.
// On 30 Kaggle store/item series with a 28-day holdout (bench/models_arima
// README, "History"), fitting the last 365 days instead of 730 gave a
// mean MASE of 1.350 instead of 1.365 (better on 14 of the 30) at about
// half the CPU (0.15 s instead of 0.27 s a series), which is what lets
// AutoARIMA fit in the tournament's budget.
const defaultARIMAHistory = 365

// minAutoARIMAPoints is the shortest history AutoARIMA fits.
const minAutoARIMAPoints = 10

// AutoARIMA selects and fits a seasonal ARIMA model per series as R's
// forecast::auto.arima does with its defaults (KPSS tests for d, the
// seasonal-strength test for D, stepwise AICc search over p, q, P, Q).
// Covariates are used as ARIMA's are (see ARIMA): as regressors in every
// candidate of the search, as auto.arima(y, xreg = X). A fit of 730 days
// costs 0.02-0.35 s of CPU (bench/models_arima), against 0.33-20 s for
// R's auto.arima on the same days.
type AutoARIMA struct {
	// MaxP and MaxQ bound the non-seasonal orders; 0 means 5, negative
	// means 0.
	MaxP int `json:"max_p,omitempty"`
	MaxQ int `json:"max_q,omitempty"`
	// MaxSP and MaxSQ bound the seasonal orders; 0 means 2, negative
	// means 0.
	MaxSP int `json:"max_sp,omitempty"`
	MaxSQ int `json:"max_sq,omitempty"`
	// NonSeasonal ignores the input's season length.
	NonSeasonal bool `json:"non_seasonal,omitempty"`
	// Season overrides the input's season length when > 0.
	Season int `json:"season,omitempty"`
	// Exact ranks candidates by exact likelihood even on long series
	// (R's approximation = FALSE); slower, rarely different.
	Exact bool `json:"exact,omitempty"`
	// MaxHistory is the number of most recent points fitted and
	// filtered on; 0 means 365, negative means all.
	MaxHistory int `json:"max_history,omitempty"`
}

func orDefault(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

func historyWindow(y []float64, maxHistory int) []float64 {
	n := orDefault(maxHistory, defaultARIMAHistory)
	if maxHistory < 0 || n >= len(y) {
		return y
	}
	return y[len(y)-n:]
}

func seasonOf(in Input, override int) int {
	if override > 0 {
		return override
	}
	return max(in.Season, 1)
}

// Fit implements Forecaster.
func (a AutoARIMA) Fit(ctx context.Context, in Input) (Fitted, error) {
	y := historyWindow(in.Y, a.MaxHistory)
	// auto.arima answers even for 4 points, but below ten it can only
	// pick white noise around zero or a mean: leave such series to the
	// baselines.
	if len(y) < minAutoARIMAPoints {
		return nil, fmt.Errorf("auto_arima: %w: need %d points, have %d", ErrTooShort, minAutoARIMAPoints, len(y))
	}
	s := arima.DefaultAutoSettings()
	s.MaxP, s.MaxQ = orDefault(a.MaxP, 5), orDefault(a.MaxQ, 5)
	s.MaxSP, s.MaxSQ = orDefault(a.MaxSP, 2), orDefault(a.MaxSQ, 2)
	s.NonSeasonal = a.NonSeasonal
	if a.Exact {
		s.Approximation = arima.ApproxNever
	}
	m := seasonOf(in, a.Season)
	if cov := arimaCovariates(in, len(y)); cov != nil {
		res, err := arima.AutoXReg(ctx, y, cov.train, m, s)
		if err == nil {
			return &arimaFit{Model: res.Model, MaxHistory: a.MaxHistory, Covariates: cov.names, CovariateMeans: cov.means}, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// Collinear covariates or a failed search: fit without them.
	}
	res, err := arima.Auto(ctx, y, m, s)
	if err != nil {
		return nil, fmt.Errorf("auto_arima: %w", mapARIMAError(err))
	}
	return &arimaFit{Model: res.Model, MaxHistory: a.MaxHistory}, nil
}

// arimaCovs is the regressors of an ARIMA fit: the names of the
// covariates used, their columns over the fitted window and their means
// there.
type arimaCovs struct {
	names []string
	means []float64
	train [][]float64
}

// arimaCovariates selects the covariates an ARIMA fit on the last w
// points of in.Y regresses on: those that vary over that window, sorted
// by name, as the regression candidates choose theirs. A value missing
// in the window takes the covariate's mean there. It returns nil when no
// covariate varies.
func arimaCovariates(in Input, w int) *arimaCovs {
	n := len(in.Y)
	names := learnableCovariates(in.Covariates, n-w, n)
	if len(names) == 0 {
		return nil
	}
	c := &arimaCovs{names: names}
	for _, name := range names {
		col := in.Covariates[name]
		sum, cnt := 0.0, 0
		for _, v := range col[n-w : min(n, len(col))] {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				sum += v
				cnt++
			}
		}
		mean := sum / float64(cnt)
		c.means = append(c.means, mean)
		c.train = append(c.train, covariateWindow(col, n-w, n, mean))
	}
	return c
}

// covariateWindow returns col[from:to], with fill where a value is
// missing (NaN, infinite or past the end of col).
func covariateWindow(col []float64, from, to int, fill float64) []float64 {
	out := make([]float64, to-from)
	for i := range out {
		v := math.NaN()
		if from+i < len(col) {
			v = col[from+i]
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = fill
		}
		out[i] = v
	}
	return out
}

// ARIMA fits a seasonal ARIMA(P,D,Q)(SP,SD,SQ)m of a fixed order. When
// every order is zero it fits the "airline" model ARIMA(0,1,1)(0,1,1)m
// (ARIMA(0,1,1) without a season).
//
// Covariates: every covariate of the input that varies over the fitted
// window (the last MaxHistory points) becomes a regressor, sorted by
// name, and the model is a regression on them with ARIMA errors (R's
// Arima(y, order, seasonal, xreg = X)); the fitted state records their
// names and window means. The forecast for step i reads each covariate
// at index len(Y)+i, so the caller passes only covariates whose future is
// known, as for the regression candidates; a value missing there, or in
// the history the forecast refilters on, is taken as the covariate's
// training mean: the forecast of a day whose promotion status is unknown
// is that of an average day. When the regression is singular (say two
// covariates that are equal over the window, or one that duplicates the
// mean) or the fit with covariates fails, the model is fitted without
// them, as it was before covariates were used.
type ARIMA struct {
	P  int `json:"p,omitempty"`
	D  int `json:"d,omitempty"`
	Q  int `json:"q,omitempty"`
	SP int `json:"sp,omitempty"`
	SD int `json:"sd,omitempty"`
	SQ int `json:"sq,omitempty"`
	// Season overrides the input's season length when > 0.
	Season int `json:"season,omitempty"`
	// NoConstant drops the mean (d+D = 0) or drift (d+D = 1) that is
	// otherwise estimated, as auto.arima would.
	NoConstant bool `json:"no_constant,omitempty"`
	// MaxHistory is the number of most recent points fitted and
	// filtered on; 0 means 365, negative means all.
	MaxHistory int `json:"max_history,omitempty"`
}

// Fit implements Forecaster.
func (a ARIMA) Fit(ctx context.Context, in Input) (Fitted, error) {
	y := historyWindow(in.Y, a.MaxHistory)
	m := seasonOf(in, a.Season)
	o := arima.Order{P: a.P, D: a.D, Q: a.Q, SP: a.SP, SD: a.SD, SQ: a.SQ}
	if o == (arima.Order{}) {
		o = arima.Order{Q: 1, D: 1}
		if m > 1 {
			o.SQ, o.SD = 1, 1
		}
	}
	if o.SP+o.SD+o.SQ > 0 {
		if m < 2 {
			return nil, fmt.Errorf("arima: %w: seasonal order needs a season length >= 2", ErrUnsuitable)
		}
		o.Period = m
	}
	if isConstantSeries(y) {
		return nil, fmt.Errorf("arima: %w: constant series", ErrUnsuitable)
	}
	s := &arima.Settings{IncludeMean: !a.NoConstant, IncludeDrift: !a.NoConstant}
	if cov := arimaCovariates(in, len(y)); cov != nil {
		mod, err := arima.FitXReg(ctx, y, cov.train, o, s)
		if err == nil {
			return &arimaFit{Model: mod, MaxHistory: a.MaxHistory, Covariates: cov.names, CovariateMeans: cov.means}, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// Singular regressors or a failed fit: fit without them.
	}
	mod, err := arima.Fit(ctx, y, o, s)
	if err != nil {
		return nil, fmt.Errorf("arima: %w", mapARIMAError(err))
	}
	return &arimaFit{Model: mod, MaxHistory: a.MaxHistory}, nil
}

func isConstantSeries(y []float64) bool {
	for _, v := range y {
		if v != y[0] {
			return false
		}
	}
	return true
}

// mapARIMAError wraps models/arima's data errors into this package's
// sentinels, keeping the original message.
func mapARIMAError(err error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, arima.ErrTooShort):
		return fmt.Errorf("%w: %v", ErrTooShort, err)
	case errors.Is(err, arima.ErrConstant), errors.Is(err, arima.ErrNoModel),
		errors.Is(err, arima.ErrNonStationary), errors.Is(err, arima.ErrFit),
		errors.Is(err, arima.ErrSingular):
		return fmt.Errorf("%w: %v", ErrUnsuitable, err)
	}
	return err
}

// arimaFit is a fitted ARIMA of either kind. Covariates names the
// regressors of Model (Model.XReg's order) and CovariateMeans their means
// over the fitted window, which stand in for missing values; states saved
// before ARIMA used covariates have none and forecast as they did.
type arimaFit struct {
	Model          *arima.Model `json:"model"`
	MaxHistory     int          `json:"max_history,omitempty"`
	Covariates     []string     `json:"covariates,omitempty"`
	CovariateMeans []float64    `json:"covariate_means,omitempty"`
}

// Forecast implements Fitted. It re-runs the Kalman filter over the same
// window of in that the model was fitted on (the most recent MaxHistory
// points), so a longer history of the same series refreshes the state
// without re-estimating; the stored model is not modified.
func (f *arimaFit) Forecast(ctx context.Context, in Input, h int) ([]float64, error) {
	if f.Model == nil {
		return nil, fmt.Errorf("arima: %w: no model", ErrUnsuitable)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	y := historyWindow(in.Y, f.MaxHistory)
	m := *f.Model
	m.State = nil
	if len(f.Covariates) != len(m.XReg) || len(f.CovariateMeans) != len(m.XReg) {
		return nil, fmt.Errorf("arima: %w: state has %d covariates for %d regression coefficients", ErrUnsuitable, len(f.Covariates), len(m.XReg))
	}
	n, from := len(in.Y), len(in.Y)-len(y)
	hist := make([][]float64, len(f.Covariates))
	future := make([][]float64, len(f.Covariates))
	for j, name := range f.Covariates {
		col := in.Covariates[name]
		hist[j] = covariateWindow(col, from, n, f.CovariateMeans[j])
		future[j] = covariateWindow(col, n, n+h, f.CovariateMeans[j])
	}
	if err := m.RefilterXReg(y, hist); err != nil {
		return nil, fmt.Errorf("arima: %w", mapARIMAError(err))
	}
	return m.ForecastXReg(h, future), nil
}
