package forecast

import (
	"context"
	"math"
	"testing"

	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/models"
)

// TestRefreshKeepsTheCombination: refreshing a result on the very history
// it was trained on reproduces its point forecast, for each combination.
// The median case fails if refresh falls back to a weighted mean: with
// three kept models of different shapes, the median and the mean differ.
func TestRefreshKeepsTheCombination(t *testing.T) {
	ctx := context.Background()
	const h = 14
	s := planned(t, demo.Options{Seed: 11, Stores: 1, SKUs: 1, Days: 400 + h}, h)[0]
	for _, how := range []Combination{CombineMedian, CombineMean, CombineInverse} {
		t.Run(string(how), func(t *testing.T) {
			out, err := Tournament(ctx, s, Options{Horizon: h, TopK: 3, Combine: how,
				Candidates: specs(t, "naive", "seasonal_naive", "ses")})
			if err != nil {
				t.Fatal(err)
			}
			if out.Result.Combine != how || len(out.Kept) != 3 {
				t.Fatalf("combine %q with %d kept, want %q with 3", out.Result.Combine, len(out.Kept), how)
			}
			ref, err := Refresh(ctx, s, out.Result, out.Kept, models.Standard())
			if err != nil {
				t.Fatal(err)
			}
			var mean float64
			for i, p := range out.Result.Points {
				if d := math.Abs(ref.Result.Points[i].Value - p.Value); d > 1e-9*math.Max(1, math.Abs(p.Value)) {
					t.Fatalf("step %d: refresh %.6f, tournament %.6f", i, ref.Result.Points[i].Value, p.Value)
				}
				mean += p.Value
			}
			if mean == 0 {
				t.Fatal("all-zero forecast: the test cannot tell the combinations apart")
			}
		})
	}
}
