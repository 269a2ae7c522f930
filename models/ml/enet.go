package ml

import (
	"context"
	"fmt"
	"math"
)

// ElasticNet is linear regression with combined L1 and L2 penalties, as
// scikit-learn's ElasticNet. It minimises
//
//	1/(2n)·||y - Xw - b||² + Alpha·L1Ratio·||w||₁ + ½·Alpha·(1-L1Ratio)·||w||²
//
// with the intercept b unpenalised (the data are centred), by cyclic
// coordinate descent stopped by scikit-learn's duality-gap rule.
type ElasticNet struct {
	// Alpha is the overall penalty strength; default 1.
	Alpha float64 `json:"alpha,omitempty"`
	// L1Ratio is the L1 share of the penalty, in (0, 1]; default 0.5.
	// (Zero means the default: for a pure L2 penalty use Ridge.)
	L1Ratio float64 `json:"l1_ratio,omitempty"`
	// MaxIter bounds the coordinate-descent sweeps; default 1000.
	MaxIter int `json:"max_iter,omitempty"`
	// Tol is the convergence tolerance: sweeps stop when the largest
	// coefficient change relative to the largest coefficient is below Tol
	// and the duality gap is below Tol·||y||²; default 1e-4.
	Tol float64 `json:"tol,omitempty"`
}

// Lasso is ElasticNet with L1Ratio 1, as scikit-learn's Lasso.
type Lasso struct {
	// Alpha is the penalty strength; default 1.
	Alpha float64 `json:"alpha,omitempty"`
	// MaxIter bounds the coordinate-descent sweeps; default 1000.
	MaxIter int `json:"max_iter,omitempty"`
	// Tol is the convergence tolerance (see ElasticNet.Tol); default 1e-4.
	Tol float64 `json:"tol,omitempty"`
}

// Fit implements the lasso as an elastic net with L1Ratio 1.
func (l Lasso) Fit(ctx context.Context, x []float64, cols int, y []float64) (*Linear, error) {
	return ElasticNet{Alpha: l.Alpha, L1Ratio: 1, MaxIter: l.MaxIter, Tol: l.Tol}.fit(ctx, "lasso", x, cols, y)
}

// Fit estimates the coefficients.
func (e ElasticNet) Fit(ctx context.Context, x []float64, cols int, y []float64) (*Linear, error) {
	return e.fit(ctx, "elastic_net", x, cols, y)
}

func (e ElasticNet) fit(ctx context.Context, name string, x []float64, cols int, y []float64) (*Linear, error) {
	if e.Alpha < 0 || e.L1Ratio < 0 || e.L1Ratio > 1 || e.MaxIter < 0 || e.Tol < 0 {
		panic(fmt.Sprintf("ml: %s: invalid settings %+v", name, e))
	}
	alpha := orDefault(e.Alpha, 1)
	ratio := orDefault(e.L1Ratio, 0.5)
	maxIter := orDefault(e.MaxIter, 1000)
	tol := orDefault(e.Tol, 1e-4)
	n, err := checkXY(name, x, cols, y, 2)
	if err != nil {
		return nil, err
	}
	if err := ctxErr(ctx, name); err != nil {
		return nil, err
	}
	// Centre, and store column-major: each coordinate step reads one
	// column, so contiguous columns keep the inner loops streaming.
	xm, ym := columnMeans(x, cols, nil), mean(y)
	xc := make([]float64, n*cols)
	for i := 0; i < n; i++ {
		for j := 0; j < cols; j++ {
			xc[j*n+i] = x[i*cols+j] - xm[j]
		}
	}
	yc := make([]float64, n)
	for i, v := range y {
		yc[i] = v - ym
	}
	norms := make([]float64, cols)
	for j := range norms {
		norms[j] = dot(xc[j*n:(j+1)*n], xc[j*n:(j+1)*n])
	}
	// scikit-learn's cd_fast works on the objective multiplied by n.
	l1 := alpha * ratio * float64(n)
	l2 := alpha * (1 - ratio) * float64(n)
	w := make([]float64, cols)
	r := append([]float64(nil), yc...)
	gapTol := tol * dot(yc, yc)
	iter := 0
	for iter = 0; iter < maxIter; iter++ {
		if iter%ctxEvery == 0 {
			if err := ctxErr(ctx, name); err != nil {
				return nil, err
			}
		}
		var wMax, dwMax float64
		for j := 0; j < cols; j++ {
			if norms[j] == 0 {
				continue
			}
			col := xc[j*n : (j+1)*n]
			wj := w[j]
			if wj != 0 {
				axpy(wj, col, r)
			}
			tmp := dot(col, r)
			nw := math.Copysign(math.Max(math.Abs(tmp)-l1, 0), tmp) / (norms[j] + l2)
			w[j] = nw
			if nw != 0 {
				axpy(-nw, col, r)
			}
			dwMax = math.Max(dwMax, math.Abs(nw-wj))
			wMax = math.Max(wMax, math.Abs(nw))
		}
		if wMax == 0 || dwMax/wMax < tol || iter == maxIter-1 {
			if dualityGap(xc, n, cols, r, yc, w, l1, l2) < gapTol {
				iter++
				break
			}
		}
	}
	lin := newLinear(w, xm, ym)
	lin.Iter = iter
	return lin, nil
}

// dualityGap is cd_fast's gap for the elastic-net objective scaled by n.
func dualityGap(xc []float64, n, cols int, r, y, w []float64, l1, l2 float64) float64 {
	var dualNorm float64
	for j := 0; j < cols; j++ {
		v := dot(xc[j*n:(j+1)*n], r) - l2*w[j]
		dualNorm = math.Max(dualNorm, math.Abs(v))
	}
	rNorm2 := dot(r, r)
	wNorm2 := dot(w, w)
	c := 1.0
	gap := rNorm2
	if dualNorm > l1 {
		c = l1 / dualNorm
		gap = 0.5 * (rNorm2 + rNorm2*c*c)
	}
	var l1Norm float64
	for _, v := range w {
		l1Norm += math.Abs(v)
	}
	return gap + l1*l1Norm - c*dot(r, y) + 0.5*l2*(1+c*c)*wNorm2
}

func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1 float64
	i := 0
	for ; i+1 < len(a); i += 2 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
	}
	if i < len(a) {
		s0 += a[i] * b[i]
	}
	return s0 + s1
}

// axpy sets y += a·x.
func axpy(a float64, x, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += a * v
	}
}
