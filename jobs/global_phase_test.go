package jobs_test

import (
	"testing"

	"github.com/forecastd/forecastd/data/sqlstore"
)

// TestJobPhasesGlobal: a train job with a global candidate records what
// its pools cost in its phases (the job JSON's phases.global); one
// without records none.
func TestJobPhasesGlobal(t *testing.T) {
	jr := directRunner(t)
	outcomeData(t, jr.store)
	j := jr.run(t, `{"horizon": 14, "top_k": 2, "models": ["seasonal_naive", "global_gbdt"], "stores": ["S01", "S02"]}`)
	if j.State != sqlstore.JobSucceeded || j.Phases == nil {
		t.Fatalf("job %s %q, phases %+v", j.State, j.Error, j.Phases)
	}
	g := j.Phases.Global
	if g == nil || g.Series != j.Summary.Trained || g.Models < 2 || g.Rows <= 0 || g.CPUSeconds <= 0 || g.Seconds <= 0 {
		t.Fatalf("phases.global %+v for %d trained series", g, j.Summary.Trained)
	}
	j = jr.run(t, `{"horizon": 14, "top_k": 2, "models": ["seasonal_naive", "ses"], "stores": ["S01"]}`)
	if j.State != sqlstore.JobSucceeded || j.Phases == nil || j.Phases.Global != nil {
		t.Fatalf("job without a global candidate: %s, phases %+v", j.State, j.Phases)
	}
}
