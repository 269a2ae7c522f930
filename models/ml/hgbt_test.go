package ml

import "testing"

// TestHGBTBinThresholdsGolden compares the bin thresholds of the real
// design's training rows with scikit-learn 1.2.1's _BinMapper (as fitted
// inside HistGradientBoostingRegressor; testdata/make_golden.py). They
// must agree to the bit, tolerance 0: a threshold off by an ulp can move
// a training value lying at it to the other bin (a midpoint percentile is
// often a data value itself), and the trees differ from there on.
func TestHGBTBinThresholdsGolden(t *testing.T) {
	g := loadGolden(t)
	d := loadDesign(t, g, "real")
	if len(g.HGBTThresholds) != d.cols {
		t.Fatalf("golden has thresholds for %d features, design has %d", len(g.HGBTThresholds), d.cols)
	}
	th, _ := binColumns(d.xTrain, d.nTrain, d.cols, 255)
	for f, want := range g.HGBTThresholds {
		got := th[f][:len(th[f])-1] // without the last bin's +Inf
		if len(got) != len(want) {
			t.Errorf("feature %d: %d thresholds, sklearn %d", f, len(got), len(want))
			continue
		}
		for b := range want {
			if got[b] != want[b] {
				t.Errorf("feature %d threshold %d = %.17g, sklearn %.17g", f, b, got[b], want[b])
			}
		}
	}
}
