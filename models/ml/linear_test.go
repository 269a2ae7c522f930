package ml

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"testing"
)

type linearFitter interface {
	Fit(ctx context.Context, x []float64, cols int, y []float64) (*Linear, error)
}

// TestLinearGolden checks coefficients and intercepts against
// scikit-learn 1.2.1 (testdata/make_golden.py: LinearRegression, Ridge,
// Lasso and ElasticNet with tol 1e-12, HuberRegressor with tol 1e-12,
// PoissonRegressor with the newton-cholesky solver and tol 1e-12) on the
// training rows of testdata/real.csv (store 1 item 1 lag features) and
// testdata/synth.csv (make_regression with outliers).
// Tolerance: 1e-6, absolute below 1 and relative above.
func TestLinearGolden(t *testing.T) {
	g := loadGolden(t)
	tight := 1e-12
	cases := []struct {
		golden string
		model  linearFitter
	}{
		{"ols", OLS{}},
		{"ridge", Ridge{}},
		{"ridge10", Ridge{Alpha: 10}},
		{"lasso", Lasso{Alpha: 0.1, Tol: tight, MaxIter: 1_000_000}},
		{"enet", ElasticNet{Alpha: 0.1, L1Ratio: 0.5, Tol: tight, MaxIter: 1_000_000}},
		{"huber", Huber{Tol: 1e-5, FTol: -1, MaxIter: 20_000}},
	}
	for _, data := range []string{"real", "synth"} {
		d := loadDesign(t, g, data)
		for _, c := range cases {
			name := c.golden + "_" + data
			t.Run(name, func(t *testing.T) {
				checkLinear(t, g, name, c.model, d, 1e-6)
			})
		}
	}
	d := loadDesign(t, g, "real")
	for _, a := range []float64{1, 0.01} {
		name := fmt.Sprintf("poisson_%g_real", a)
		t.Run(name, func(t *testing.T) {
			checkLinear(t, g, name, Poisson{Alpha: a, Tol: 1e-10}, d, 1e-6)
		})
	}
}

func checkLinear(t *testing.T, g golden, name string, m linearFitter, d design, tol float64) {
	t.Helper()
	want, ok := g.Linear[name]
	if !ok {
		t.Fatalf("no golden %s", name)
	}
	got, err := m.Fit(context.Background(), d.xTrain, d.cols, d.yTrain)
	if err != nil {
		t.Fatal(err)
	}
	for j, w := range want.Coef {
		if !closeTo(got.Coef[j], w, tol) {
			t.Errorf("coef[%d] = %.10g, want %.10g", j, got.Coef[j], w)
		}
	}
	if !closeTo(got.Intercept, want.Intercept, tol) {
		t.Errorf("intercept = %.10g, want %.10g", got.Intercept, want.Intercept)
	}
	if want.Scale != 0 && !closeTo(got.Scale, want.Scale, tol) {
		t.Errorf("scale = %.10g, want %.10g", got.Scale, want.Scale)
	}
	t.Logf("%s: %d iterations", name, got.Iter)
}

func TestLinearErrors(t *testing.T) {
	ctx := context.Background()
	x := []float64{1, 2, 3, 4, 5, 6}
	y := []float64{1, 2, 3}
	nan := []float64{1, math.NaN(), 3}
	neg := []float64{1, -2, 3}
	for _, c := range []struct {
		name string
		m    linearFitter
	}{
		{"ols", OLS{}}, {"ridge", Ridge{}}, {"lasso", Lasso{}}, {"enet", ElasticNet{}},
		{"huber", Huber{}}, {"poisson", Poisson{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := c.m.Fit(ctx, x[:2], 2, y[:1]); !errors.Is(err, ErrTooFewRows) {
				t.Errorf("1 row: err = %v, want ErrTooFewRows", err)
			}
			if _, err := c.m.Fit(ctx, x, 2, nan); !errors.Is(err, ErrNonFinite) {
				t.Errorf("NaN target: err = %v, want ErrNonFinite", err)
			}
			xi := append([]float64(nil), x...)
			xi[3] = math.Inf(1)
			if _, err := c.m.Fit(ctx, xi, 2, y); !errors.Is(err, ErrNonFinite) {
				t.Errorf("Inf feature: err = %v, want ErrNonFinite", err)
			}
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := c.m.Fit(cctx, x, 2, y); !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled: err = %v, want context.Canceled", err)
			}
		})
	}
	if _, err := (Poisson{}).Fit(ctx, x, 2, neg); !errors.Is(err, ErrTarget) {
		t.Errorf("poisson with negative y: err = %v, want ErrTarget", err)
	}
}

func TestLinearJSON(t *testing.T) {
	g := loadGolden(t)
	d := loadDesign(t, g, "real")
	m, err := Poisson{Alpha: 0.01}.Fit(context.Background(), d.xTrain, d.cols, d.yTrain)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Linear
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	p1 := m.PredictBatch(nil, d.xTest)
	p2 := back.PredictBatch(nil, d.xTest)
	for i := range p1 {
		if p1[i] != p2[i] {
			t.Fatalf("prediction %d after JSON: %v, want %v", i, p2[i], p1[i])
		}
	}
}

// TestOLSRankDeficient checks the SVD fallback: with a duplicated column
// the minimum-norm solution splits the coefficient evenly, as
// scikit-learn's LinearRegression (scipy lstsq) does: y = 1 + 2·x gives
// coef [1, 1]. Tolerance 1e-9.
func TestOLSRankDeficient(t *testing.T) {
	var x, y []float64
	for i := 0; i < 20; i++ {
		v := float64(i*i%7) + 0.5*float64(i)
		x = append(x, v, v)
		y = append(y, 1+2*v)
	}
	m, err := OLS{}.Fit(context.Background(), x, 2, y)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(m.Coef[0]-1) > 1e-9 || math.Abs(m.Coef[1]-1) > 1e-9 || math.Abs(m.Intercept-1) > 1e-9 {
		t.Errorf("coef %v intercept %v, want [1 1] and 1", m.Coef, m.Intercept)
	}
}

// TestOLSDegenerateGolden checks both fallbacks of OLS against
// scikit-learn 1.2.1's LinearRegression (scipy lstsq) on the synthetic
// training rows plus one column (testdata/make_golden.py):
// collinear_x.csv adds x0 + x1 (rank deficient: the minimum-norm
// solution, reached through gramPinv), illcond_x.csv adds
// x0 + 1e-6·noise (full rank, condition ~1e6 of X, ~1e12 of XᵀX: the
// QR/SVD path). Tolerance 1e-6, absolute below 1 and relative above.
func TestOLSDegenerateGolden(t *testing.T) {
	g := loadGolden(t)
	d := loadDesign(t, g, "synth")
	for _, name := range []string{"collinear", "illcond"} {
		t.Run(name, func(t *testing.T) {
			recs := readCSV(t, name+"_x")
			var x []float64
			for _, r := range recs {
				for _, s := range r {
					v, err := strconv.ParseFloat(s, 64)
					if err != nil {
						t.Fatal(err)
					}
					x = append(x, v)
				}
			}
			dd := design{cols: d.cols + 1, xTrain: x, yTrain: d.yTrain}
			checkLinear(t, g, "ols_"+name, OLS{}, dd, 1e-6)
		})
	}
}
