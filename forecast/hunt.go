package forecast

import (
	"context"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/models"
)

// Exercise fits spec on the whole of s and forecasts horizon steps, as a
// tournament's final fit does, and drops the result. It is one run of a
// candidate alone: memguard's leak hunt (package jobs) calls it run after
// run to see whose retained memory grows. A panic in the model is
// returned as an error.
func Exercise(ctx context.Context, spec models.Spec, s *data.Series, horizon int) error {
	in := models.Input{Y: s.Values, Start: s.Start, Freq: s.Freq, Season: s.Freq.DefaultSeason(), Covariates: s.Covariates}
	_, _, err := labelledFit(ctx, spec, in, horizon, fitFinal, PhaseExercise)
	return err
}
