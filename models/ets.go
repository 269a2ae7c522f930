package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/forecastd/forecastd/models/ets"
)

// etsSpecs lists the exponential smoothing candidates in the
// state-space ETS framework (SES itself is registered by theta.go as "ses").
//
// holt, damped_holt and the Holt–Winters models minimise the one-step MSE,
// as R's holt() and hw() do; auto_ets maximises the likelihood and picks a
// form by AICc, as R's ets() does.
func etsSpecs() []Spec {
	return []Spec{
		{Name: "auto_ets", Family: "exponential smoothing",
			Doc: "ETS with error, trend and season chosen by AICc, as R's forecast::ets(), on the last 730 points",
			New: func() Forecaster { return ETS{MaxHistory: etsDefaultHistory, Abandon: etsAbandon} }, Load: LoadJSON[etsFit], Default: true},
		{Name: "holt", Family: "exponential smoothing",
			Doc: "Holt's linear trend, ETS(A,A,N) by MSE as R's holt()",
			New: func() Forecaster { return ETS{Model: "AAN", Criterion: "mse"} }, Load: LoadJSON[etsFit], Default: true},
		{Name: "damped_holt", Family: "exponential smoothing",
			Doc: "damped trend, ETS(A,Ad,N) by MSE as R's holt(damped=TRUE)",
			New: func() Forecaster { return ETS{Model: "AAdN", Criterion: "mse"} }, Load: LoadJSON[etsFit], Default: true},
		{Name: "holt_winters_add", Family: "exponential smoothing",
			Doc: "additive Holt–Winters, ETS(A,A,A) by MSE as R's hw(), on the last 730 points",
			New: func() Forecaster { return ETS{Model: "AAA", Criterion: "mse", MaxHistory: etsDefaultHistory} }, Load: LoadJSON[etsFit], Default: true, MinSeasons: 2},
		// Multiplicative seasonality needs positive data, which intermittent
		// retail series often are not, and auto_ets already considers MAM
		// when it fits: so it is not in the default tournament.
		{Name: "holt_winters_mul", Family: "exponential smoothing",
			Doc: "multiplicative Holt–Winters, ETS(M,A,M) by MSE as R's hw(seasonal=\"multiplicative\")",
			New: func() Forecaster { return ETS{Model: "MAM", Criterion: "mse"} }, Load: LoadJSON[etsFit], Default: false, MinSeasons: 2},
	}
}

// ETS is exponential smoothing in the innovations state-space framework of
// Hyndman, Koehler, Ord and Snyder (2008), estimated by package ets as R's
// forecast::ets (version 8.20) does: R's starting values, R's parameter
// region (the usual bounds intersected with the admissible region) and R's
// Nelder–Mead, maximum likelihood over the smoothing parameters and
// initial states.
//
// The zero value is automatic selection ("ZZZ") by AICc over the 15 forms
// R's ets considers by default (no multiplicative trend; multiplicative
// error or season only for positive data; no season when the season is 1,
// longer than 24 or not shorter than the series).
type ETS struct {
	// Model is the form as in R's ets(model=): error (A, M, Z), trend (N,
	// A, Ad for damped, Z) and season (N, A, M, Z), e.g. "AAdA" or "MAM".
	// Z components are chosen by AICc; a Z trend tries N, A and Ad.
	// "" means "ZZZ".
	Model string `json:"model,omitempty"`
	// Criterion is what estimation minimises: "lik" (the default, -2 log
	// likelihood as ets()) or "mse" (one-step in-sample MSE as holt() and
	// hw()); see ets.ParseCriterion. Selection between forms always uses
	// AICc.
	Criterion string `json:"criterion,omitempty"`
	// Season overrides the input's season length when > 0.
	Season int `json:"season,omitempty"`
	// MaxIter limits objective evaluations per form; 0 means R's 2000.
	MaxIter int `json:"max_iter,omitempty"`
	// AdditiveOnly restricts the selection to additive error, trend and
	// season (R's additive.only): 6 forms instead of 15, about 4 times
	// faster (0.04 s instead of 0.16 s CPU on a 1,826-day series). Series
	// with zeros or negative values get only these forms anyway.
	AdditiveOnly bool `json:"additive_only,omitempty"`
	// MaxHistory, when > 0, fits on the most recent MaxHistory points
	// only: the estimation cost grows with the history, and a few years
	// of daily data say as much about a level, trend and weekly season as
	// five. The fitted initial state belongs to the first of those
	// points; forecasts re-run the recursion from that date.
	MaxHistory int `json:"max_history,omitempty"`
	// Abandon, when > 0, gives up on a form whose AICc is still worse
	// than the best form's by more than Abandon after 100 Nelder–Mead
	// evaluations per parameter (ets.Settings.Abandon); auto_ets sets
	// etsAbandon. 0 fits every form to the end, as R does.
	Abandon float64 `json:"abandon,omitempty"`
}

// etsAbandon is auto_ets's Abandon: 10 AICc units, the difference past
// which the worse form has essentially no support, and more than twice
// the most a hopeless form gained past the checkpoint on M5-shaped series.
const etsAbandon = 10

// etsDefaultHistory caps auto_ets's and holt_winters_add's estimation
// window in the tournament: two years of daily data. On a 1,826-day
// series it cuts the fit's cost by more than half; the model is tested
// against R on full histories.
const etsDefaultHistory = 730

// etsFit is a fitted ETS model: the form, the parameters and the initial
// state, enough to re-run the recursion on any history of the series.
type etsFit struct {
	// Model is R's short form name, e.g. "MAdM".
	Model  string  `json:"model"`
	Season int     `json:"season"`
	Alpha  float64 `json:"alpha"`
	Beta   float64 `json:"beta"`
	Gamma  float64 `json:"gamma"`
	Phi    float64 `json:"phi"`
	// Init is the initial state l, [b], s_0..s_{m-1} (s_0 the most recent).
	Init []float64 `json:"init"`
	// LogLik is R's loglik (-0.5 lik, without constants); AICc and MSE
	// describe the fit on the estimation history of N points.
	LogLik float64 `json:"loglik"`
	AICc   float64 `json:"aicc"`
	MSE    float64 `json:"mse"`
	N      int     `json:"n"`
	// Start is the date the initial state belongs to when the model was
	// fitted on a recent window of the history (ETS.MaxHistory); zero
	// means the start of the history.
	Start time.Time `json:"start,omitzero"`
	// Sigma2 is the innovation variance, which the forecast mean of
	// multiplicative-season models depends on.
	Sigma2 float64 `json:"sigma2"`
}

// String describes the fitted model as R prints it, e.g.
// "ETS(M,Ad,M) alpha=0.3 beta=0.01 gamma=0.0001 phi=0.98 AICc=1400.64".
func (f *etsFit) String() string {
	form, err := ets.ParseForm(f.Model)
	if err != nil {
		return "ETS(" + f.Model + ")"
	}
	s := fmt.Sprintf("%s alpha=%.4g", form.Method(), f.Alpha)
	if form.Trend != ets.None {
		s += fmt.Sprintf(" beta=%.4g", f.Beta)
	}
	if form.Season != ets.None {
		s += fmt.Sprintf(" gamma=%.4g", f.Gamma)
	}
	if form.Damped {
		s += fmt.Sprintf(" phi=%.4g", f.Phi)
	}
	return s + fmt.Sprintf(" AICc=%.2f", f.AICc)
}

// Fit implements Forecaster: it fits on the last MaxHistory points, with
// the settings parsed here, at the edge, and leaves estimation and the
// choice of form to package ets.
func (e ETS) Fit(ctx context.Context, in Input) (Fitted, error) {
	crit, err := ets.ParseCriterion(e.Criterion)
	if err != nil {
		return nil, err
	}
	var start time.Time
	if e.MaxHistory > 0 && len(in.Y) > e.MaxHistory {
		off := len(in.Y) - e.MaxHistory
		start = in.Date(off)
		in.Y = in.Y[off:]
	}
	m := e.Season
	if m <= 0 {
		m = in.Season
	}
	s := &ets.Settings{Model: e.Model, Criterion: crit, MaxIter: e.MaxIter, AdditiveOnly: e.AdditiveOnly, Abandon: e.Abandon}
	est, err := ets.Fit(ctx, in.Y, m, s)
	if err != nil {
		return nil, mapETSError(err)
	}
	return &etsFit{
		Model: est.Form.String(), Season: est.M,
		Alpha: est.Params.Alpha, Beta: est.Params.Beta, Gamma: est.Params.Gamma, Phi: est.Params.Phi,
		Init:   est.Init,
		LogLik: -0.5 * est.Lik, AICc: est.AICc, MSE: est.MSE, N: len(in.Y), Sigma2: est.Sigma2,
		Start: start,
	}, nil
}

// etsError is an error of package ets seen as one of this package's: it
// keeps ets' message and matches both ets' sentinel and ours.
type etsError struct {
	err      error
	sentinel error
}

func (e etsError) Error() string   { return e.err.Error() }
func (e etsError) Unwrap() []error { return []error{e.err, e.sentinel} }

// mapETSError makes errors wrapping ets.ErrTooShort or ets.ErrUnsuitable
// also match ErrTooShort or ErrUnsuitable.
func mapETSError(err error) error {
	switch {
	case errors.Is(err, ets.ErrTooShort):
		return etsError{err, ErrTooShort}
	case errors.Is(err, ets.ErrUnsuitable):
		return etsError{err, ErrUnsuitable}
	}
	return err
}

// Forecast implements Fitted: it re-runs the recursion over in.Y from the
// fitted initial state (so a longer history refreshes the state without
// re-estimation) and extrapolates h steps.
func (f *etsFit) Forecast(ctx context.Context, in Input, h int) ([]float64, error) {
	form, err := ets.ParseForm(f.Model)
	if err != nil {
		return nil, err
	}
	md := &ets.Model{Form: form, M: f.Season, Init: f.Init, Sigma2: f.Sigma2,
		Params: ets.Params{Alpha: f.Alpha, Beta: f.Beta, Gamma: f.Gamma, Phi: f.Phi}}
	// md.Forecast validates the state and the horizon.
	y := in.Y
	if !f.Start.IsZero() && !in.Start.Equal(f.Start) {
		// Fitted on a recent window: run from the date the initial state
		// belongs to, so the seasonal phase stays right on a refresh.
		// An input without a calendar (zero Start, no Freq) counts in
		// days both here and in Fit, so its window is found too.
		off, ok := in.Freq.Steps(in.Start, f.Start)
		if !ok || f.Start.Before(in.Start) || off >= len(y) {
			return nil, fmt.Errorf("ets: %w: history starting %s does not cover the fitted start %s", ErrUnsuitable, in.Start.Format(time.RFC3339), f.Start.Format(time.RFC3339))
		}
		y = y[off:]
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out, err := md.Forecast(y, h)
	if err != nil {
		return nil, mapETSError(err)
	}
	return out, nil
}
