package ml

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

// TestErrors checks that every non-linear model reports data problems
// as errors (never a panic) and stops on a cancelled context.
func TestErrors(t *testing.T) {
	ctx := context.Background()
	g := loadGolden(t)
	d := loadDesign(t, g, "real")
	x, y := d.xTrain[:200*d.cols], d.yTrain[:200]
	cases := []struct {
		name string
		fit  func(ctx context.Context, x []float64, cols int, y []float64) (batchPredictor, error)
	}{
		{"knn", wrap(KNN{}.Fit)},
		{"cart", wrap(Tree{}.Fit)},
		{"random_forest", wrap(Forest{Trees: 5}.Fit)},
		{"extra_trees", wrap(ExtraTrees{Trees: 5}.Fit)},
		{"hgbt", wrap(HGBT{MaxIter: 5}.Fit)},
		{"hgbt_poisson", wrap(HGBT{MaxIter: 5, Loss: "poisson"}.Fit)},
		{"hgbt_tweedie", wrap(HGBT{MaxIter: 5, Loss: "tweedie"}.Fit)},
		{"mlp", wrap(MLP{MaxIter: 5}.Fit)},
		{"mlp_two_layers", wrap(MLP{Hidden: []int{16, 8}, MaxIter: 5}.Fit)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := c.fit(ctx, x[:d.cols], d.cols, y[:1]); !errors.Is(err, ErrTooFewRows) {
				t.Errorf("1 row: err = %v, want ErrTooFewRows", err)
			}
			xn := append([]float64(nil), x...)
			xn[17] = math.NaN()
			if _, err := c.fit(ctx, xn, d.cols, y); !errors.Is(err, ErrNonFinite) {
				t.Errorf("NaN feature: err = %v, want ErrNonFinite", err)
			}
			yn := append([]float64(nil), y...)
			yn[3] = math.Inf(-1)
			if _, err := c.fit(ctx, x, d.cols, yn); !errors.Is(err, ErrNonFinite) {
				t.Errorf("-Inf target: err = %v, want ErrNonFinite", err)
			}
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := c.fit(cctx, x, d.cols, y); !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled: err = %v, want context.Canceled", err)
			}
			m, err := c.fit(ctx, x, d.cols, y)
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range m.PredictBatch(nil, d.xTest[:50*d.cols]) {
				if !finite(p) {
					t.Fatalf("prediction %d = %v", i, p)
				}
			}
		})
	}
	neg := append([]float64(nil), y...)
	neg[0] = -1
	for _, loss := range []Loss{LossPoisson, LossTweedie} {
		if _, err := (HGBT{Loss: loss}).Fit(ctx, x, d.cols, neg); !errors.Is(err, ErrTarget) {
			t.Errorf("hgbt %s with a negative target: err = %v, want ErrTarget", loss, err)
		}
	}
}

// TestCancelMidFit cancels long fits while they run: each must return
// context.Canceled promptly rather than finish.
func TestCancelMidFit(t *testing.T) {
	g := loadGolden(t)
	d := loadDesign(t, g, "real")
	cases := []struct {
		name string
		fit  func(ctx context.Context, x []float64, cols int, y []float64) (batchPredictor, error)
	}{
		{"random_forest", wrap(Forest{Trees: 100000}.Fit)},
		{"extra_trees", wrap(ExtraTrees{Trees: 100000}.Fit)},
		{"hgbt", wrap(HGBT{MaxIter: 100000}.Fit)},
		{"mlp", wrap(MLP{MaxIter: 100000, NIterNoChange: 100000}.Fit)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			if _, err := c.fit(ctx, d.xTrain, d.cols, d.yTrain); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want context.DeadlineExceeded", err)
			}
		})
	}
}
