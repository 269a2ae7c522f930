package ml

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

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

// hgbtPredTol is the relative tolerance of HGBT's test-row predictions
// against scikit-learn's. Both keep gradients and hessians in float32
// (scikit-learn's G_H_DTYPE) and sum them in float64, with the same bins,
// splits and losses, so the predictions agree to the last bits (measured
// 1.3e-15; with float64 gradients they had differed by 4e-9). The losses'
// and powers' predictions differ from each other by 15% or more on some
// row (checked below), so a fit with the wrong loss or power cannot pass.
const hgbtPredTol = 1e-12

// TestHGBTPredictionsGolden compares HGBT's predictions of the real
// design's test rows, default settings (100 iterations, 31 leaves), with
// scikit-learn 1.2.1's HistGradientBoostingRegressor(early_stopping=False)
// per row. scikit-learn has no "tweedie" loss string: the script trains
// with its HalfTweedieLoss(power) through a subclass that overrides
// _get_loss, and checks that the fitted model's loss is that one.
func TestHGBTPredictionsGolden(t *testing.T) {
	g := loadGolden(t)
	d := loadDesign(t, g, "real")
	cases := []struct {
		golden string // key in golden.json "hgbt_predictions_real"
		hb     HGBT
	}{
		{"squared_error", HGBT{}},
		{"poisson", HGBT{Loss: "poisson"}},
		{"tweedie_1.2", HGBT{Loss: "tweedie", TweediePower: 1.2}},
		{"tweedie_1.5", HGBT{Loss: "tweedie"}}, // the default power
		{"tweedie_1.8", HGBT{Loss: "tweedie", TweediePower: 1.8}},
	}
	// The check must be able to fail: every golden is far, beyond the
	// tolerance, from every other, so a swapped loss or power is caught.
	for i, a := range cases {
		for _, b := range cases[i+1:] {
			if dev := maxRelDev(g.HGBTPredictions[a.golden], g.HGBTPredictions[b.golden]); dev < 1000*hgbtPredTol {
				t.Fatalf("goldens %s and %s differ by at most %.2g: the test could not tell them apart", a.golden, b.golden, dev)
			}
		}
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			want, ok := g.HGBTPredictions[c.golden]
			if !ok || len(want) != len(d.yTest) {
				t.Fatalf("golden %s has %d predictions, want %d", c.golden, len(want), len(d.yTest))
			}
			m, err := c.hb.Fit(context.Background(), d.xTrain, d.cols, d.yTrain)
			if err != nil {
				t.Fatal(err)
			}
			got := m.PredictBatch(nil, d.xTest)
			bad := 0
			for i := range want {
				if !closeTo(got[i], want[i], hgbtPredTol) {
					if bad++; bad <= 5 {
						t.Errorf("row %d: %.10g, sklearn %.10g", i, got[i], want[i])
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d predictions off by more than %g relative (max %.3g)", bad, len(want), hgbtPredTol, maxRelDev(got, want))
			}
		})
	}
}

// maxRelDev is the largest |a/b - 1| over the rows.
func maxRelDev(a, b []float64) float64 {
	var m float64
	for i := range b {
		m = math.Max(m, math.Abs(a[i]/b[i]-1))
	}
	return m
}

// TestHGBTWideDesign: a design with more than 65,536 bins in all (300
// columns of 255 bins) takes the 4-byte histogram indexes, and fits the
// same trees as the 2-byte path would: the two instantiations of
// buildHist give identical histograms on the same rows.
func TestHGBTWideDesign(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	n, cols := 400, 300
	x := make([]float64, n*cols)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		for f := 0; f < cols; f++ {
			x[i*cols+f] = rng.NormFloat64()
		}
		y[i] = 3*x[i*cols] - 2*x[i*cols+7] + 0.1*rng.NormFloat64()
	}
	thresholds, xb := binColumns(x, n, cols, 255)
	offsets := make([]int, cols+1)
	for f, th := range thresholds {
		offsets[f+1] = offsets[f] + len(th)
	}
	if offsets[cols] <= math.MaxUint16+1 {
		t.Fatalf("only %d bins: the design does not need 4-byte indexes", offsets[cols])
	}
	// Both index widths on a design small enough for both: the first
	// 200 columns.
	sub := 200
	rows := make([]int32, n)
	for i := range rows {
		rows[i] = int32(n - 1 - i) // any order
	}
	grad := make([]float32, n)
	for i := range grad {
		grad[i] = float32(rng.NormFloat64())
	}
	xbSub := xb[:sub*n]
	h16 := make([]hbin, offsets[sub])
	h32 := make([]hbin, offsets[sub])
	buildHist(h16, rows, rowBins[uint16](xbSub, offsets[:sub+1], n, sub), sub, grad, grad)
	buildHist(h32, rows, rowBins[uint32](xbSub, offsets[:sub+1], n, sub), sub, grad, grad)
	for k := range h16 {
		if h16[k] != h32[k] {
			t.Fatalf("bin %d: %+v with 2-byte indexes, %+v with 4", k, h16[k], h32[k])
		}
	}
	m, err := HGBT{MaxIter: 30}.Fit(context.Background(), x, cols, y)
	if err != nil {
		t.Fatal(err)
	}
	var sse, sst, mean float64
	for _, v := range y {
		mean += v / float64(n)
	}
	pred := m.PredictBatch(nil, x)
	for i, v := range y {
		sse += (v - pred[i]) * (v - pred[i])
		sst += (v - mean) * (v - mean)
	}
	if r2 := 1 - sse/sst; !(r2 > 0.8) {
		t.Fatalf("training R² %v on a design the first and eighth columns explain", r2)
	}
}

// TestParseLoss: the empty name is the default loss, scikit-learn's names
// parse to themselves, anything else is an error (and HGBT.Fit panics on
// it, an invalid setting being a programmer error).
func TestParseLoss(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Loss
		ok   bool
	}{
		{"", LossSquaredError, true},
		{"squared_error", LossSquaredError, true},
		{"poisson", LossPoisson, true},
		{"tweedie", LossTweedie, true},
		{"absolute_error", "", false},
	} {
		got, err := ParseLoss(c.in)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("ParseLoss(%q) = %q, %v; want %q, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Fit with an unknown loss did not panic")
		}
	}()
	_, _ = HGBT{Loss: "absolute_error"}.Fit(context.Background(), []float64{1, 2, 3}, 1, []float64{1, 2, 3})
}
