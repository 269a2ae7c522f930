package arima

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// This file holds the linear algebra of regression with ARIMA errors:
// the least-squares starting values and the SVD rotation stats::arima
// applies to two or more regression columns.

// lmTol is the tolerance of R's lm (dqrdc2) below which a column, after
// removing its projection on the earlier ones, counts as dependent.
const lmTol = 1e-7

// leastSquares regresses y on the columns of x without an intercept
// (R's lm(y ~ x - 1)). It returns the coefficients, their standard
// errors, the residuals and the rank: R's lm pivots dependent columns out
// and leaves their coefficients NA; here rank < len(x) means that beta
// is not usable. The columns are orthogonalised by modified Gram-Schmidt
// with R's relative tolerance.
func leastSquares(y []float64, x [][]float64) (beta, se, resid []float64, rank int) {
	n, k := len(y), len(x)
	q := make([][]float64, k)
	r := make([]float64, k*k) // upper triangular, row-major
	for j, col := range x {
		v := append([]float64(nil), col...)
		norm0 := math.Sqrt(dot(v, v))
		for i := 0; i < j; i++ {
			if q[i] == nil {
				continue
			}
			c := dot(q[i], v)
			r[i*k+j] = c
			for l := range v {
				v[l] -= c * q[i][l]
			}
		}
		norm := math.Sqrt(dot(v, v))
		if norm0 == 0 || norm < lmTol*norm0 {
			continue
		}
		for l := range v {
			v[l] /= norm
		}
		q[j], r[j*k+j] = v, norm
		rank++
	}
	if rank < k {
		return nil, nil, nil, rank
	}
	// beta = R^-1 Q'y; Rinv for the standard errors.
	qty := make([]float64, k)
	for j := range qty {
		qty[j] = dot(q[j], y)
	}
	beta = make([]float64, k)
	for i := k - 1; i >= 0; i-- {
		s := qty[i]
		for j := i + 1; j < k; j++ {
			s -= r[i*k+j] * beta[j]
		}
		beta[i] = s / r[i*k+i]
	}
	rinv := make([]float64, k*k)
	for c := 0; c < k; c++ {
		for i := k - 1; i >= 0; i-- {
			s := 0.0
			if i == c {
				s = 1
			}
			for j := i + 1; j < k; j++ {
				s -= r[i*k+j] * rinv[j*k+c]
			}
			rinv[i*k+c] = s / r[i*k+i]
		}
	}
	resid = append([]float64(nil), y...)
	for j, col := range x {
		for l := range resid {
			resid[l] -= beta[j] * col[l]
		}
	}
	se = make([]float64, k)
	if n > k {
		s2 := dot(resid, resid) / float64(n-k)
		for i := 0; i < k; i++ {
			v := 0.0
			for c := 0; c < k; c++ {
				v += rinv[i*k+c] * rinv[i*k+c]
			}
			se[i] = math.Sqrt(s2 * v)
		}
	}
	return beta, se, resid, k
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// diffRegressionMulti is diffRegression for two or more columns: R's
// lm(dx ~ dxreg - 1) on the differenced series, or on the series itself
// when there are too few differenced points or every differenced column
// is zero (rank 0). A rank between 0 and k leaves R with NA starting
// values and a failed fit; here it is ErrSingular.
func diffRegressionMulti(y []float64, xreg [][]float64, o Order) (beta, se []float64, err error) {
	k := len(xreg)
	dy := difference(y, o)
	rank := 0
	if len(dy) > k {
		dx := make([][]float64, k)
		for j, col := range xreg {
			dx[j] = difference(col, o)
		}
		beta, se, _, rank = leastSquares(dy, dx)
	}
	if rank == 0 {
		beta, se, _, rank = leastSquares(y, xreg)
	}
	if rank < k {
		return nil, nil, fmt.Errorf("%w: rank %d of %d columns", ErrSingular, rank, k)
	}
	return beta, se, nil
}

// rotateXReg is stats::arima's conditioning step for two or more
// regression columns: with X = U D V' (svd(xreg)), the fit regresses on
// X V, whose columns are orthogonal, and the coefficients are rotated
// back by V at the end. It returns the rotated columns and V (k x k,
// row-major).
func rotateXReg(xreg [][]float64) ([][]float64, []float64, error) {
	n, k := len(xreg[0]), len(xreg)
	x := columnsDense(xreg)
	var svd mat.SVD
	if !svd.Factorize(x, mat.SVDThin) {
		return nil, nil, fmt.Errorf("%w: SVD of the regressors failed", ErrSingular)
	}
	var vm mat.Dense
	svd.VTo(&vm)
	v := make([]float64, k*k)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			v[i*k+j] = vm.At(i, j)
		}
	}
	out := make([][]float64, k)
	for j := range out {
		col := make([]float64, n)
		for l, src := range xreg {
			if c := v[l*k+j]; c != 0 {
				for i, s := range src {
					col[i] += c * s
				}
			}
		}
		out[j] = col
	}
	return out, v, nil
}

// rotateCoef returns V b (back to the original columns) or, with
// transpose, V' b (into the rotated ones).
func rotateCoef(v, b []float64, transpose bool) []float64 {
	k := len(b)
	out := make([]float64, k)
	for i := 0; i < k; i++ {
		s := 0.0
		for j := 0; j < k; j++ {
			if transpose {
				s += v[j*k+i] * b[j]
			} else {
				s += v[i*k+j] * b[j]
			}
		}
		out[i] = s
	}
	return out
}

// rotateVar returns A cov A' for A = diag(I_narma, V), R's rotation of
// var.coef back to the original regression columns.
func rotateVar(v, cov []float64, narma int) []float64 {
	n := 0
	for n*n < len(cov) {
		n++
	}
	k := n - narma
	a := mat.NewDense(n, n, nil)
	for i := 0; i < narma; i++ {
		a.Set(i, i, 1)
	}
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			a.Set(narma+i, narma+j, v[i*k+j])
		}
	}
	c := mat.NewDense(n, n, append([]float64(nil), cov...))
	var t1, out mat.Dense
	t1.Mul(c, a.T())
	out.Mul(a, &t1)
	return out.RawMatrix().Data
}

// singularValues returns the singular values of the columns x.
func singularValues(x [][]float64) ([]float64, bool) {
	var svd mat.SVD
	if !svd.Factorize(columnsDense(x), mat.SVDNone) {
		return nil, false
	}
	return svd.Values(nil), true
}

// columnsDense is the n x k matrix whose columns are cols.
func columnsDense(cols [][]float64) *mat.Dense {
	n, k := len(cols[0]), len(cols)
	m := mat.NewDense(n, k, nil)
	for j, col := range cols {
		for i, v := range col {
			m.Set(i, j, v)
		}
	}
	return m
}
