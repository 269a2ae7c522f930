package ml

import (
	"context"
	"testing"
)

// TestKNNGolden compares predictions with scikit-learn 1.2.1's
// KNeighborsRegressor(n_neighbors=5) on the synthetic design (continuous
// features, so no ties in distance: the neighbours are the same).
// Tolerance 1e-9 relative: only the summation order differs.
func TestKNNGolden(t *testing.T) {
	g := loadGolden(t)
	d := loadDesign(t, g, "synth")
	for _, c := range []struct {
		name     string
		distance bool
	}{{"uniform", false}, {"distance", true}} {
		t.Run(c.name, func(t *testing.T) {
			m, err := KNN{Distance: c.distance}.Fit(context.Background(), d.xTrain, d.cols, d.yTrain)
			if err != nil {
				t.Fatal(err)
			}
			got := m.PredictBatch(nil, d.xTest)
			want := g.KNN[c.name]
			if len(want) != len(got) {
				t.Fatalf("golden has %d predictions, want %d", len(want), len(got))
			}
			for i := range want {
				if !closeTo(got[i], want[i], 1e-9) {
					t.Errorf("prediction %d = %.12g, want %.12g", i, got[i], want[i])
				}
			}
		})
	}
}
