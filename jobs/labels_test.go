package jobs

import (
	"testing"

	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/memguard"
)

// forecast labels its fits with runtime/pprof under keys of its own (it
// must not import memguard, which pulls in net/http); they must be the
// keys memguard reads, or a budget trip would no longer name the model.
func TestForecastLabelKeysAreMemguards(t *testing.T) {
	for _, c := range []struct{ forecast, memguard string }{
		{forecast.LabelModel, memguard.LabelModel},
		{forecast.LabelFit, memguard.LabelFit},
		{forecast.LabelPhase, memguard.LabelPhase},
	} {
		if c.forecast != c.memguard {
			t.Errorf("forecast label key %q, memguard reads %q", c.forecast, c.memguard)
		}
	}
}
