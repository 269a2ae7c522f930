package ml

import (
	"math"
	"testing"
)

// TestImputer checks the statistics by hand: column 0 has mean 2 over its
// finite values {1, 3, 2}; column 1 is all NaN (imputed with 0, scale 1);
// column 2 is constant (scale 1). Expected values are worked by hand, as
// SimpleImputer(strategy="mean") followed by StandardScaler would give.
func TestImputer(t *testing.T) {
	nan := math.NaN()
	x := []float64{
		1, nan, 5,
		3, nan, 5,
		nan, nan, 5,
		2, nan, 5,
	}
	im := NewImputer(x, 3, false)
	got := im.Transform(nil, []float64{nan, nan, math.Inf(1)})
	want := []float64{2, 0, 5}
	for j := range want {
		if got[j] != want[j] {
			t.Errorf("imputed[%d] = %v, want %v", j, got[j], want[j])
		}
	}
	st := NewImputer(x, 3, true)
	// The NaN row counts as a sample at the mean: std = sqrt(2/4).
	row := st.Transform(nil, []float64{3, 7, 5})
	want = []float64{1 / math.Sqrt(0.5), 7, 0}
	for j := range want {
		if math.Abs(row[j]-want[j]) > 1e-15 {
			t.Errorf("standardised[%d] = %v, want %v", j, row[j], want[j])
		}
	}
	// In place, as the forecaster uses it.
	r := []float64{nan, nan, nan}
	st.Transform(r, r)
	for j, v := range r {
		if v != 0 {
			t.Errorf("standardised imputed[%d] = %v, want 0", j, v)
		}
	}
}
