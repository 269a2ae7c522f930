package ml

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Poisson is a generalised linear model with Poisson deviance and log
// link, as scikit-learn's PoissonRegressor: it minimises
//
//	1/(2n)·Σ_i deviance(y_i, exp(b + x_i·w)) + ½·Alpha·||w||²
//
// (the intercept b unpenalised) by Newton's method with a backtracking
// line search; the objective is convex, so this reaches scikit-learn's
// optimum in a handful of Cholesky solves. Targets must be non-negative
// with a positive mean.
type Poisson struct {
	// Alpha is the L2 penalty; default 1 (scikit-learn's). Use a small
	// value such as 1e-4 for nearly unpenalised fits.
	Alpha float64 `json:"alpha,omitempty"`
	// MaxIter bounds the Newton iterations; default 100.
	MaxIter int `json:"max_iter,omitempty"`
	// Tol stops the iterations when the largest gradient component is
	// below it; default 1e-4.
	Tol float64 `json:"tol,omitempty"`
}

// Fit estimates the coefficients; predictions are exp(b + x·w).
func (ps Poisson) Fit(ctx context.Context, x []float64, cols int, y []float64) (*Linear, error) {
	if ps.Alpha < 0 || ps.MaxIter < 0 || ps.Tol < 0 {
		panic(fmt.Sprintf("ml: poisson: invalid settings %+v", ps))
	}
	alpha := orDefault(ps.Alpha, 1)
	maxIter := orDefault(ps.MaxIter, 100)
	tol := orDefault(ps.Tol, 1e-4)
	n, err := checkXY("poisson", x, cols, y, 2)
	if err != nil {
		return nil, err
	}
	var ysum float64
	for i, v := range y {
		if v < 0 {
			return nil, fmt.Errorf("poisson: %w: y[%d] = %v < 0", ErrTarget, i, v)
		}
		ysum += v
	}
	if ysum <= 0 {
		return nil, fmt.Errorf("poisson: %w: all targets are zero", ErrTarget)
	}
	d := cols + 1 // parameters: b, then w
	beta := make([]float64, d)
	beta[0] = math.Log(ysum / float64(n))
	grad := make([]float64, d)
	hess := make([]float64, d*d)
	step := make([]float64, d)
	trial := make([]float64, d)
	row := make([]float64, d)
	row[0] = 1
	inv := 1 / float64(n)
	// objective returns the mean half deviance (up to a constant) plus
	// the penalty, the form scikit-learn's HalfPoissonLoss uses.
	objective := func(bt []float64) float64 {
		var s float64
		for i := 0; i < n; i++ {
			eta := bt[0] + dot(bt[1:], x[i*cols:(i+1)*cols])
			s += math.Exp(eta) - y[i]*eta
		}
		return s*inv + 0.5*alpha*dot(bt[1:], bt[1:])
	}
	f := objective(beta)
	iter := 0
	for ; iter < maxIter; iter++ {
		if err := ctxErr(ctx, "poisson"); err != nil {
			return nil, err
		}
		clear(grad)
		clear(hess)
		for i := 0; i < n; i++ {
			copy(row[1:], x[i*cols:(i+1)*cols])
			mu := math.Exp(dot(beta, row))
			axpy((mu-y[i])*inv, row, grad)
			c := mu * inv
			for a := 0; a < d; a++ {
				ra := c * row[a]
				h := hess[a*d : a*d+d]
				for b := a; b < d; b++ {
					h[b] += ra * row[b]
				}
			}
		}
		for j := 1; j < d; j++ {
			grad[j] += alpha * beta[j]
			hess[j*d+j] += alpha
		}
		if maxAbs(grad) < tol {
			break
		}
		for a := 0; a < d; a++ {
			for b := 0; b < a; b++ {
				hess[a*d+b] = hess[b*d+a]
			}
		}
		var ch mat.Cholesky
		if !ch.Factorize(mat.NewSymDense(d, hess)) {
			return nil, fmt.Errorf("poisson: %w: Hessian not positive definite", ErrNoConvergence)
		}
		sv := mat.NewVecDense(d, step)
		if err := ch.SolveVecTo(sv, mat.NewVecDense(d, grad)); err != nil {
			return nil, fmt.Errorf("poisson: %w: %v", ErrNoConvergence, err)
		}
		slope := -dot(grad, step)
		t := 1.0
		accepted := false
		for ls := 0; ls < 50; ls++ {
			for j := range trial {
				trial[j] = beta[j] - t*step[j]
			}
			ft := objective(trial)
			if finite(ft) && ft <= f+1e-4*t*slope {
				copy(beta, trial)
				f = ft
				accepted = true
				break
			}
			t /= 2
		}
		if !accepted {
			// No decrease is possible: beta is optimal to rounding.
			break
		}
	}
	return &Linear{Coef: append([]float64(nil), beta[1:]...), Intercept: beta[0], Link: LinkLog, Iter: iter}, nil
}
