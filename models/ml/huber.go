package ml

import (
	"context"
	"fmt"
	"math"
)

// Huber is linear regression robust to outliers, as scikit-learn's
// HuberRegressor: it minimises over the coefficients w, the intercept b
// and the scale σ > 0 jointly
//
//	Σ_i [σ + H_ε((y_i - x_i·w - b)/σ)·σ] + Alpha·||w||²
//
// where H_ε(z) = z² for |z| ≤ ε and 2ε|z| - ε² beyond, so residuals
// larger than ε·σ count linearly. It uses L-BFGS on (w, b, log σ): the
// logarithm keeps σ positive without the bound scikit-learn's L-BFGS-B
// imposes, and the optimum is the same.
type Huber struct {
	// Epsilon is the residual (in units of σ) beyond which the loss is
	// linear; default 1.35 (95% efficiency under normal errors). Must be
	// >= 1 when set.
	Epsilon float64 `json:"epsilon,omitempty"`
	// Alpha is the L2 penalty on w; default 1e-4.
	Alpha float64 `json:"alpha,omitempty"`
	// MaxIter bounds the L-BFGS iterations; default 100.
	MaxIter int `json:"max_iter,omitempty"`
	// Tol stops L-BFGS when the largest gradient component falls below
	// it; default 1e-5.
	Tol float64 `json:"tol,omitempty"`
	// FTol stops L-BFGS when an iteration lowers the loss by less than
	// FTol relative to it; default 2.2e-9, scipy's L-BFGS-B default that
	// scikit-learn inherits. Negative disables the test (for fits to
	// the exact optimum).
	FTol float64 `json:"ftol,omitempty"`
}

// Fit estimates w, b and σ (returned in Linear.Scale).
func (hb Huber) Fit(ctx context.Context, x []float64, cols int, y []float64) (*Linear, error) {
	if (hb.Epsilon != 0 && hb.Epsilon < 1) || hb.Alpha < 0 || hb.MaxIter < 0 || hb.Tol < 0 {
		panic(fmt.Sprintf("ml: huber: invalid settings %+v", hb))
	}
	eps := orDefault(hb.Epsilon, 1.35)
	alpha := orDefault(hb.Alpha, 1e-4)
	maxIter := orDefault(hb.MaxIter, 100)
	tol := orDefault(hb.Tol, 1e-5)
	n, err := checkXY("huber", x, cols, y, 2)
	if err != nil {
		return nil, err
	}
	if err := ctxErr(ctx, "huber"); err != nil {
		return nil, err
	}
	// Optimise on standardised columns: raw features (lags in the tens,
	// day of week in units) make the problem so ill-conditioned that
	// L-BFGS crawls. With x' = (x - m)/s, w' = w·s and b' = b + w·m the
	// fit is the same, provided the penalty keeps its meaning:
	// Alpha·w² = (Alpha/s²)·w'².
	//
	// The target is standardised too, y' = (y - μ)/c: the optimisation
	// starts from b = 0 and σ = 1 as scikit-learn's does, which for sales
	// in the millions makes every residual an outlier, the loss linear in
	// b, and L-BFGS stop far from the optimum (MASE 21 on Walmart's
	// weekly store totals). The objective is equivariant: with w = c·w',
	// b = μ + c·b' and σ = c·σ' it is c times the standardised one with
	// the penalty Alpha·c·w'², so the optimum is the same.
	im := NewImputer(x, cols, true)
	xs := im.Transform(nil, x)
	ys, mu, c := standardise(y[:n])
	pen := make([]float64, cols)
	for j, s := range im.Scales {
		pen[j] = alpha * c / (s * s)
	}
	// fg evaluates the loss and its gradient at p = (w', b', log σ). It
	// allocates nothing: L-BFGS calls it hundreds of times.
	fg := func(grad, p []float64) float64 {
		w, b := p[:cols], p[cols]
		sigma := math.Exp(p[cols+1])
		clear(grad)
		var sq, outAbs, penalty float64
		nOut := 0
		for i := 0; i < n; i++ {
			xi := xs[i*cols : (i+1)*cols]
			r := ys[i] - b - dot(w, xi)
			var s float64
			if math.Abs(r) > eps*sigma {
				nOut++
				outAbs += math.Abs(r)
				s = -2 * eps * math.Copysign(1, r)
			} else {
				sq += r * r
				s = -2 / sigma * r
			}
			axpy(s, xi, grad[:cols])
			grad[cols] += s
		}
		for j, wj := range w {
			penalty += pen[j] * wj * wj
			grad[j] += 2 * pen[j] * wj
		}
		sqLoss := sq / sigma
		gs := float64(n) - float64(nOut)*eps*eps - sqLoss/sigma
		grad[cols+1] = gs * sigma // chain rule through σ = exp(log σ)
		return float64(n)*sigma + sqLoss + 2*eps*outAbs - sigma*float64(nOut)*eps*eps + penalty
	}
	p := make([]float64, cols+2) // w = 0, b = 0, σ = 1 as scikit-learn
	iters, err := lbfgs(ctx, fg, p, maxIter, tol, orDefault(hb.FTol, 2.220446049250313e-09))
	if err != nil {
		return nil, fmt.Errorf("huber: %w", err)
	}
	if !finiteSlice(p) {
		return nil, fmt.Errorf("huber: %w: non-finite solution", ErrNoConvergence)
	}
	m := &Linear{Coef: make([]float64, cols), Intercept: mu + c*p[cols], Scale: c * math.Exp(p[cols+1]), Iter: iters}
	for j := range m.Coef {
		m.Coef[j] = c * p[j] / im.Scales[j]
		m.Intercept -= m.Coef[j] * im.Means[j]
	}
	return m, nil
}

func finiteSlice(v []float64) bool {
	for _, x := range v {
		if !finite(x) {
			return false
		}
	}
	return true
}
