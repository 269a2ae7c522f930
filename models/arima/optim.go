package arima

import (
	"context"
	"errors"
	"math"
)

// errGradient mirrors optim's "non-finite finite-difference value":
// R's arima fails, and auto.arima skips the model.
var errGradient = errors.New("arima: non-finite finite-difference gradient")

// bfgs minimises fn from x (updated in place) with the variable-metric
// method of R's optim(method = "BFGS") (Nash's vmmin), with optim's
// central-difference gradient (ndeps 1e-3 on the scaled parameters) and
// parameter scaling. Using R's own algorithm, rather than a generic
// quasi-Newton from gonum/optimize, makes the fits land where R's land:
// the likelihood surfaces of ARMA models are flat enough that different
// optimisers stop at visibly different coefficients.
//
// It returns the minimum, whether the iteration limit was hit (optim's
// convergence code 1) and an error when ctx ends or the gradient is not
// finite.
type bfgs struct {
	maxit   int
	reltol  float64
	scale   []float64
	g, t, x []float64
	c, xs   []float64
	b       []float64 // lower triangle of the inverse Hessian, n x n
	par     []float64 // scratch for fn's argument in unscaled units
}

func newBFGS(n int, scale []float64) *bfgs {
	return &bfgs{
		maxit: 100, reltol: 1.490116119384765625e-8, scale: scale,
		g: make([]float64, n), t: make([]float64, n), x: make([]float64, n),
		c: make([]float64, n), xs: make([]float64, n), b: make([]float64, n*n),
		par: make([]float64, n),
	}
}

func (o *bfgs) eval(fn func([]float64) float64, xs []float64) float64 {
	for i, v := range xs {
		o.par[i] = v * o.scale[i]
	}
	return fn(o.par)
}

func (o *bfgs) grad(fn func([]float64) float64, xs []float64) error {
	const eps = 1e-3
	for i := range xs {
		orig := xs[i]
		xs[i] = orig + eps
		v1 := o.eval(fn, xs)
		xs[i] = orig - eps
		v2 := o.eval(fn, xs)
		xs[i] = orig
		o.g[i] = (v1 - v2) / (2 * eps)
		if math.IsNaN(o.g[i]) || math.IsInf(o.g[i], 0) {
			return errGradient
		}
	}
	return nil
}

// minimize runs vmmin on fn starting from par (unscaled), leaving the
// result in par.
func (o *bfgs) minimize(ctx context.Context, fn func([]float64) float64, par []float64) (fmin float64, maxedOut bool, err error) {
	const (
		stepredn = 0.2
		acctol   = 0.0001
		reltest  = 10.0
	)
	n := len(par)
	b := o.xs
	for i := range par {
		b[i] = par[i] / o.scale[i]
	}
	defer func() {
		for i := range par {
			par[i] = b[i] * o.scale[i]
		}
	}()
	if o.maxit <= 0 {
		return o.eval(fn, b), false, nil
	}
	f := o.eval(fn, b)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return f, false, errors.New("arima: initial value in 'vmmin' is not finite")
	}
	fmin = f
	funcount, gradcount := 1, 1
	if err := o.grad(fn, b); err != nil {
		return fmin, false, err
	}
	iter := 1
	ilast := gradcount
	B, X, c, t, g := o.b, o.x, o.c, o.t, o.g
	count := 0
	for {
		if err := ctx.Err(); err != nil {
			return fmin, false, err
		}
		if ilast == gradcount {
			for i := 0; i < n; i++ {
				for j := 0; j < i; j++ {
					B[i*n+j] = 0
				}
				B[i*n+i] = 1
			}
		}
		for i := 0; i < n; i++ {
			X[i] = b[i]
			c[i] = g[i]
		}
		gradproj := 0.0
		for i := 0; i < n; i++ {
			s := 0.0
			for j := 0; j <= i; j++ {
				s -= B[i*n+j] * g[j]
			}
			for j := i + 1; j < n; j++ {
				s -= B[j*n+i] * g[j]
			}
			t[i] = s
			gradproj += s * g[i]
		}
		if gradproj < 0 {
			steplength := 1.0
			accpoint := false
			for {
				count = 0
				for i := 0; i < n; i++ {
					b[i] = X[i] + steplength*t[i]
					if reltest+X[i] == reltest+b[i] {
						count++
					}
				}
				if count < n {
					f = o.eval(fn, b)
					funcount++
					accpoint = !math.IsNaN(f) && !math.IsInf(f, 0) && f <= fmin+gradproj*steplength*acctol
					if !accpoint {
						steplength *= stepredn
					}
				}
				if count == n || accpoint {
					break
				}
			}
			enough := f > math.Inf(-1) && math.Abs(f-fmin) > o.reltol*(math.Abs(fmin)+o.reltol)
			if !enough {
				count = n
				fmin = f
			}
			if count < n {
				fmin = f
				if err := o.grad(fn, b); err != nil {
					return fmin, false, err
				}
				gradcount++
				iter++
				D1 := 0.0
				for i := 0; i < n; i++ {
					t[i] *= steplength
					c[i] = g[i] - c[i]
					D1 += t[i] * c[i]
				}
				if D1 > 0 {
					D2 := 0.0
					for i := 0; i < n; i++ {
						s := 0.0
						for j := 0; j <= i; j++ {
							s += B[i*n+j] * c[j]
						}
						for j := i + 1; j < n; j++ {
							s += B[j*n+i] * c[j]
						}
						X[i] = s
						D2 += s * c[i]
					}
					D2 = 1 + D2/D1
					for i := 0; i < n; i++ {
						for j := 0; j <= i; j++ {
							B[i*n+j] += (D2*t[i]*t[j] - X[i]*t[j] - t[i]*X[j]) / D1
						}
					}
				} else {
					ilast = gradcount
				}
			} else if ilast < gradcount {
				count = 0
				ilast = gradcount
			}
		} else {
			count = 0
			if ilast == gradcount {
				count = n
			} else {
				ilast = gradcount
			}
		}
		if iter >= o.maxit {
			break
		}
		if gradcount-ilast > 2*n {
			ilast = gradcount
		}
		if count == n && ilast == gradcount {
			break
		}
	}
	_ = funcount
	return fmin, iter >= o.maxit, nil
}

// hessian returns the n x n (row-major) Hessian of fn at par by central
// differences of the numerical gradient, as R's optimhess does (steps of
// 1e-3 in the scaled parameters), symmetrised.
func (o *bfgs) hessian(fn func([]float64) float64, par []float64) ([]float64, error) {
	const ndeps = 1e-3
	n := len(par)
	h := make([]float64, n*n)
	dpar := make([]float64, n)
	for i := range par {
		dpar[i] = par[i] / o.scale[i]
	}
	df1 := make([]float64, n)
	for i := 0; i < n; i++ {
		eps := ndeps / o.scale[i]
		dpar[i] += eps
		if err := o.grad(fn, dpar); err != nil {
			return nil, err
		}
		copy(df1, o.g)
		dpar[i] -= 2 * eps
		if err := o.grad(fn, dpar); err != nil {
			return nil, err
		}
		for j := 0; j < n; j++ {
			h[i*n+j] = (df1[j] - o.g[j]) / (2 * eps * o.scale[i] * o.scale[j])
		}
		dpar[i] += eps
	}
	for i := 0; i < n; i++ {
		for j := 0; j < i; j++ {
			v := 0.5 * (h[i*n+j] + h[j*n+i])
			h[i*n+j], h[j*n+i] = v, v
		}
	}
	return h, nil
}
