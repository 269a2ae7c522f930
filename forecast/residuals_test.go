package forecast

import (
	"context"
	"math"
	"testing"
)

// The outcome's residuals are the combination's backtest errors: one
// fold each, dated by the fold's last training day, and their mean
// absolute value is the combination's backtest MAE.
func TestOutcomeResiduals(t *testing.T) {
	s := demoSeries(t, 1)[0]
	o := Options{Horizon: 14, TopK: 2, Windows: 3, Candidates: specs(t, "naive", "seasonal_naive")}
	out, err := Tournament(context.Background(), s, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Residuals) != out.Result.Backtest.FoldsRun || len(out.Residuals) != 3 {
		t.Fatalf("%d folds of residuals, backtest ran %d", len(out.Residuals), out.Result.Backtest.FoldsRun)
	}
	var sum float64
	var n int
	for i, f := range out.Residuals {
		if len(f.Errors) != 14 {
			t.Fatalf("fold %d: %d errors, want 14", i, len(f.Errors))
		}
		for _, e := range f.Errors {
			sum += math.Abs(e)
			n++
		}
	}
	// The last fold tests the final 14 points.
	if want := s.Date(len(s.Values) - 15).Format("2006-01-02"); out.Residuals[2].Origin != want {
		t.Errorf("last fold origin %s, want %s", out.Residuals[2].Origin, want)
	}
	if mae := sum / float64(n); math.Abs(mae-out.Result.Combination.MAE) > 1e-9 {
		t.Errorf("residual MAE %g, combination MAE %g", mae, out.Result.Combination.MAE)
	}
}
