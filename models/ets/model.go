package ets

import (
	"fmt"
	"math"
)

// Model is a fitted form: the parameters and the initial state, enough to
// re-run the recursion over any history of the series that starts where
// the estimation history started, and to forecast from its end.
type Model struct {
	Form Form
	// M is the season length the form uses (1 without a season).
	M      int
	Params Params
	// Init is the full initial state l, [b], s_0..s_{m-1} (s_0 the most
	// recent seasonal state), in R's layout.
	Init []float64
	// Sigma2 is R's innovation variance estimate, which the forecast mean
	// of multiplicative-season models depends on.
	Sigma2 float64
}

// Validate checks that the state fits the form and season length, so
// that a model restored from storage cannot index out of range.
func (md *Model) Validate() error {
	m := md.M
	if md.Form.Season == None {
		m = 1
	}
	if m < 1 || len(md.Init) != nStates(md.Form, m) {
		return fmt.Errorf("ets: fitted state has %d values, %s with season %d needs %d", len(md.Init), md.Form, m, nStates(md.Form, m))
	}
	return nil
}

// Forecast re-runs the recursion over y from the initial state (so a
// longer history refreshes the state without re-estimation) and returns h
// forecasts from its end: R's forecast.ets means, which for
// multiplicative error and season differ from the recursion's point
// forecasts after one season.
func (md *Model) Forecast(y []float64, h int) ([]float64, error) {
	if err := md.Validate(); err != nil {
		return nil, err
	}
	if h < 0 {
		return nil, fmt.Errorf("ets: negative horizon %d", h)
	}
	if len(y) < 1 {
		return nil, fmt.Errorf("%w: empty history", ErrTooShort)
	}
	form, m, p := md.Form, md.M, md.Params
	if form.Season == None {
		m = 1
	}
	if !form.Damped {
		p.Phi = 1
	}
	final := make([]float64, len(md.Init))
	ring := make([]float64, m)
	if _, ok := filter(form, m, p, md.Init, y, ring, final); !ok {
		return nil, fmt.Errorf("%w: %s state became invalid", ErrUnsuitable, form)
	}
	out := make([]float64, h)
	if form.Error == Mul && form.Season == Mul && form.Trend != Mul {
		class3Mean(out, form, m, p, md.Sigma2, final, make([]float64, 2*m))
	} else if !forecastState(out, form, m, p.Phi, final) {
		return nil, fmt.Errorf("%w: %s forecast became invalid", ErrUnsuitable, form)
	}
	for _, v := range out {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: %s forecast not finite", ErrUnsuitable, form)
		}
	}
	return out, nil
}
