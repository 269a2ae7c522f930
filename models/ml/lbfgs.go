package ml

import (
	"context"
	"math"
)

// lbfgs minimises a smooth function by limited-memory BFGS with a
// backtracking (Armijo) line search. It is small and allocation-free per
// iteration; gonum's optimize package would serve, but it drags in
// stat/distmv and with it golang.org/x/tools, which this module does not
// require.
//
// fg returns f(p) and writes ∇f(p) into grad. The run stops when the
// largest gradient component is below gtol, after maxIter iterations, or
// when the line search cannot decrease f (the point is then optimal to
// machine precision), or, as scipy's L-BFGS-B, when an iteration lowers f
// by less than ftol relative to |f| (ftol <= 0 disables this). It returns
// the number of iterations.
func lbfgs(ctx context.Context, fg func(grad, p []float64) float64, p []float64, maxIter int, gtol, ftol float64) (int, error) {
	const m = 10
	d := len(p)
	g := make([]float64, d)
	gNew := make([]float64, d)
	pNew := make([]float64, d)
	dir := make([]float64, d)
	s := make([][]float64, m)
	yv := make([][]float64, m)
	rho := make([]float64, m)
	alphas := make([]float64, m)
	for k := range s {
		s[k] = make([]float64, d)
		yv[k] = make([]float64, d)
	}
	f := fg(g, p)
	stored, head := 0, 0
	iter := 0
	for ; iter < maxIter; iter++ {
		if err := ctx.Err(); err != nil {
			return iter, err
		}
		if maxAbs(g) < gtol || !finite(f) {
			break
		}
		// Two-loop recursion: dir = -H·g.
		for i := range dir {
			dir[i] = -g[i]
		}
		for k := 0; k < stored; k++ {
			j := (head - 1 - k + m) % m
			alphas[j] = rho[j] * dot(s[j], dir)
			axpy(-alphas[j], yv[j], dir)
		}
		if stored > 0 {
			j := (head - 1 + m) % m
			scale(dot(s[j], yv[j])/dot(yv[j], yv[j]), dir)
		} else {
			scale(1/math.Max(1, norm2(g)), dir)
		}
		for k := stored - 1; k >= 0; k-- {
			j := (head - 1 - k + m) % m
			beta := rho[j] * dot(yv[j], dir)
			axpy(alphas[j]-beta, s[j], dir)
		}
		slope := dot(g, dir)
		if slope >= 0 {
			// Not a descent direction (curvature information gone stale):
			// restart from steepest descent.
			stored = 0
			for i := range dir {
				dir[i] = -g[i]
			}
			scale(1/math.Max(1, norm2(g)), dir)
			slope = dot(g, dir)
		}
		step := 1.0
		var fNew float64
		ok := false
		for ls := 0; ls < 60; ls++ {
			for i := range p {
				pNew[i] = p[i] + step*dir[i]
			}
			fNew = fg(gNew, pNew)
			if finite(fNew) && fNew <= f+1e-4*step*slope {
				ok = true
				break
			}
			step /= 2
		}
		if !ok {
			break
		}
		sj, yj := s[head], yv[head]
		var sy float64
		for i := range p {
			sj[i] = pNew[i] - p[i]
			yj[i] = gNew[i] - g[i]
			sy += sj[i] * yj[i]
		}
		if sy > 1e-12*norm2(sj)*norm2(yj) {
			rho[head] = 1 / sy
			head = (head + 1) % m
			stored = min(stored+1, m)
		}
		copy(p, pNew)
		copy(g, gNew)
		fOld := f
		f = fNew
		// Even with ftol disabled, a decrease at the level of rounding
		// means the point is optimal to machine precision.
		if (fOld - f) <= math.Max(ftol, 4*2.220446049250313e-16)*math.Max(math.Max(math.Abs(fOld), math.Abs(f)), 1) {
			iter++
			break
		}
	}
	return iter, nil
}

func maxAbs(v []float64) float64 {
	var m float64
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

func norm2(v []float64) float64 { return math.Sqrt(dot(v, v)) }

func scale(a float64, v []float64) {
	for i := range v {
		v[i] *= a
	}
}
