package forecast

import (
	"context"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

// HuntLeaks is the original team's "comment out the models one by one",
// done by memguard: each candidate alone fits and forecasts the sample
// series runs times under the guard with precise heap profiling; the ones
// whose retained memory grows run after run, or that leave goroutines
// behind, are named with their allocation sites and quarantined (left out
// of tournaments until re-enabled through the API).
func HuntLeaks(ctx context.Context, g *memguard.Guard, specs []models.Spec, sample *data.Series, horizon, runs int) (*memguard.HuntResult, error) {
	in := models.Input{Y: sample.Values, Start: sample.Start, Freq: sample.Freq, Season: sample.Freq.DefaultSeason(), Covariates: sample.Covariates}
	cands := make(map[string]func(context.Context) error, len(specs))
	for _, spec := range specs {
		cands[spec.Name] = func(ctx context.Context) error {
			ctx = memguard.WithLabels(ctx, "model", spec.Name)
			_, _, err := fitForecastFull(ctx, spec, in, horizon)
			return err
		}
	}
	return g.Hunt(ctx, cands, runs)
}
