package ml

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
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
	// Work on the Gram matrix G = XcᵀXc and q = Xcᵀyc, as scikit-learn's
	// enet_coordinate_descent_gram (its precompute=True path): a
	// coordinate step then costs O(cols) instead of O(rows), and the
	// feature matrices here have hundreds of rows per column.
	xm, ym := columnMeans(x, cols, nil), mean(y)
	gram := make([]float64, cols*cols)
	q := make([]float64, cols)
	centredGram(gram, q, x, cols, xm, y, ym, n)
	var yNorm2 float64
	for _, v := range y {
		yNorm2 += (v - ym) * (v - ym)
	}
	// scikit-learn's cd_fast works on the objective multiplied by n.
	l1 := alpha * ratio * float64(n)
	l2 := alpha * (1 - ratio) * float64(n)
	w := make([]float64, cols)
	h := make([]float64, cols) // G·w
	gapTol := tol * yNorm2
	iter := 0
	for iter = 0; iter < maxIter; iter++ {
		if iter%ctxEvery == 0 {
			if err := ctxErr(ctx, name); err != nil {
				return nil, err
			}
		}
		var wMax, dwMax float64
		for j := 0; j < cols; j++ {
			gjj := gram[j*cols+j]
			if gjj == 0 {
				continue
			}
			gj := gram[j*cols : (j+1)*cols]
			wj := w[j]
			if wj != 0 {
				axpy(-wj, gj, h)
			}
			tmp := q[j] - h[j]
			nw := math.Copysign(math.Max(math.Abs(tmp)-l1, 0), tmp) / (gjj + l2)
			w[j] = nw
			if nw != 0 {
				axpy(nw, gj, h)
			}
			dwMax = math.Max(dwMax, math.Abs(nw-wj))
			wMax = math.Max(wMax, math.Abs(nw))
		}
		if wMax == 0 || dwMax/wMax < tol || iter == maxIter-1 {
			if gramDualityGap(q, h, w, yNorm2, l1, l2) < gapTol {
				iter++
				break
			}
		}
	}
	lin := newLinear(w, xm, ym)
	lin.Iter = iter
	return lin, nil
}

// gramDualityGap is scikit-learn's duality gap of the elastic net
// (scaled by n) computed from q = Xᵀy and h = XᵀX·w only.
func gramDualityGap(q, h, w []float64, yNorm2, l1, l2 float64) float64 {
	var dualNorm, qw, wh, l1Norm float64
	for j := range w {
		dualNorm = math.Max(dualNorm, math.Abs(q[j]-h[j]-l2*w[j]))
		qw += q[j] * w[j]
		wh += w[j] * h[j]
		l1Norm += math.Abs(w[j])
	}
	rNorm2 := yNorm2 + wh - 2*qw
	wNorm2 := dot(w, w)
	c := 1.0
	gap := rNorm2
	if dualNorm > l1 {
		c = l1 / dualNorm
		gap = 0.5 * (rNorm2 + rNorm2*c*c)
	}
	return gap + l1*l1Norm - c*yNorm2 + c*qw + 0.5*l2*(1+c*c)*wNorm2
}

// dot returns a·b with four accumulators (more instruction-level
// parallelism than one running sum).
func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		as, bs := a[i:i+4:i+4], b[i:i+4:i+4]
		s0 += as[0] * bs[0]
		s1 += as[1] * bs[1]
		s2 += as[2] * bs[2]
		s3 += as[3] * bs[3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy sets y += a·x with gonum's SSE2 kernel (floats.AddScaled): two
// values an instruction, a multiply then an add each, so the results are
// bit for bit those of the plain loop, which the compiler does not
// vectorise. It took the MLP's prediction on 1,000 rows from 355 to
// 258 µs.
func axpy(a float64, x, y []float64) {
	floats.AddScaled(y[:len(x)], a, x)
}
