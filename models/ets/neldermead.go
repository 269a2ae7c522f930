package ets

import (
	"context"
	"fmt"
	"math"
)

// Nelder–Mead's coefficients as forecast's etsNelderMead passes them to
// R's nmmin, and nmmin's stand-in for a non-finite value.
const (
	nmReflect  = 1.0
	nmContract = 0.5
	nmExpand   = 2.0
	nmBig      = 1.0e35
)

// simplex is nmmin's matrix P: n+1 rows (the coordinates, then the
// function value in row n) by n+2 columns (the n+1 vertices, then the
// centroid or a trial point in column n+1), column-major as R's P[i][j].
// Vertices are numbered from 1, as in R.
type simplex struct {
	n, n1 int
	p     []float64
}

// at returns the element in row i of column j (both from 0).
func (s *simplex) at(i, j int) *float64 { return &s.p[j*s.n1+i] }

// newSimplex is nmmin's starting simplex around b, whose function value
// is f: vertex 1 is b and vertex j+1 moves coordinate j by a tenth of the
// largest |b_i| (0.1 if b is 0), ten times further while that does not
// change it. size is the sum of the steps taken.
func newSimplex(b []float64, f float64) (s *simplex, size float64) {
	n := len(b)
	s = &simplex{n: n, n1: n + 1, p: make([]float64, (n+1)*(n+2))}
	*s.at(n, 0) = f
	for i := 0; i < n; i++ {
		*s.at(i, 0) = b[i]
	}
	step := 0.0
	for i := 0; i < n; i++ {
		if 0.1*math.Abs(b[i]) > step {
			step = 0.1 * math.Abs(b[i])
		}
	}
	if step == 0 {
		step = 0.1
	}
	for j := 2; j <= n+1; j++ {
		for i := 0; i < n; i++ {
			*s.at(i, j-1) = b[i]
		}
		trystep := step
		for *s.at(j-2, j-1) == b[j-2] {
			*s.at(j-2, j-1) = b[j-2] + trystep
			trystep *= 10
		}
		size += trystep
	}
	return s, size
}

// extremes returns the vertices with the lowest (L) and highest (H)
// values, scanning from the current lowest L as nmmin does so that ties
// resolve as in R.
func (s *simplex) extremes(L int) (newL, H int, VL, VH float64) {
	VL = *s.at(s.n, L-1)
	VH = VL
	H = L
	for j := 1; j <= s.n1; j++ {
		if j != L {
			fj := *s.at(s.n, j-1)
			if fj < VL {
				L = j
				VL = fj
			}
			if fj > VH {
				H = j
				VH = fj
			}
		}
	}
	return L, H, VL, VH
}

// centroid stores the centroid of every vertex but H in the last column.
func (s *simplex) centroid(H int) {
	C := s.n + 2
	for i := 0; i < s.n; i++ {
		temp := -*s.at(i, H-1)
		for j := 0; j < s.n1; j++ {
			temp += *s.at(i, j)
		}
		*s.at(i, C-1) = temp / float64(s.n)
	}
}

// replace stores x with value f as vertex H.
func (s *simplex) replace(H int, x []float64, f float64) {
	for i := 0; i < s.n; i++ {
		*s.at(i, H-1) = x[i]
	}
	*s.at(s.n, H-1) = f
}

// shrink moves every vertex halfway towards vertex L and returns the new
// size (the sum of the distances to L); the values need recomputing.
func (s *simplex) shrink(L int) (size float64) {
	for j := 0; j < s.n1; j++ {
		if j+1 != L {
			for i := 0; i < s.n; i++ {
				*s.at(i, j) = nmContract*(*s.at(i, j)-*s.at(i, L-1)) + *s.at(i, L-1)
				size += math.Abs(*s.at(i, j) - *s.at(i, L-1))
			}
		}
	}
	return size
}

// nelderMead is R's nmmin (src/appl/optim.c) with abstol = -Inf,
// reltol = sqrt(machine epsilon), reflection 1, contraction 0.5 and
// expansion 2, as forecast's etsNelderMead calls it: the same simplex
// construction, moves and stopping rule, so it follows R's path. It stops
// early with ctx.Err() when ctx is cancelled.
//
// fn(x, limit) may return any value >= limit when f(x) >= limit: each
// trial point is only compared with one threshold (the worst vertex for a
// reflection, the reflection for an expansion, the replaced vertex for a
// contraction) and stored only when below it, so the search takes exactly
// R's path while bad trial points are abandoned part-way.
//
// giveUp, when not nil, is asked after each iteration with the
// evaluations so far and the best value found; when it says so the search
// stops with errAbandoned (see Settings.Abandon). nil follows R to the end.
func nelderMead(ctx context.Context, fn func(x []float64, limit float64) float64, x0 []float64, maxit int,
	giveUp func(evals int, fbest float64) bool) (x []float64, fmin float64, evals int, err error) {
	reltol := math.Sqrt(0x1p-52) // sqrt(.Machine$double.eps)
	n := len(x0)
	bvec := append([]float64(nil), x0...)
	inf := math.Inf(1)
	f := fn(bvec, inf)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, 0, 1, fmt.Errorf("%w: objective not finite at the starting values", ErrUnsuitable)
	}
	funcount := 1
	convtol := reltol * (math.Abs(f) + reltol)
	n1 := n + 1
	C := n + 2
	sx, oldsize := newSimplex(bvec, f)
	at := sx.at
	L := 1
	calcvert := true
	eval := func(limit float64) float64 {
		v := fn(bvec, limit)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = nmBig
		}
		funcount++
		return v
	}
	for iter := 1; ; iter++ {
		if iter%32 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, 0, funcount, err
			}
		}
		if calcvert {
			for j := 0; j < n1; j++ {
				if j+1 != L {
					for i := 0; i < n; i++ {
						bvec[i] = *at(i, j)
					}
					*at(n1-1, j) = eval(inf)
				}
			}
			calcvert = false
			if err := ctx.Err(); err != nil {
				return nil, 0, funcount, err
			}
		}
		var H int
		var VL, VH float64
		L, H, VL, VH = sx.extremes(L)
		if VH <= VL+convtol {
			break
		}
		if giveUp != nil && giveUp(funcount, VL) {
			return nil, VL, funcount, errAbandoned
		}
		sx.centroid(H)
		for i := 0; i < n; i++ {
			bvec[i] = (1+nmReflect)*(*at(i, C-1)) - nmReflect*(*at(i, H-1))
		}
		f = eval(VH)
		VR := f
		if VR < VL {
			// Expansion: try twice as far; keep the better of the two.
			*at(n1-1, C-1) = f
			for i := 0; i < n; i++ {
				f = nmExpand*bvec[i] + (1-nmExpand)*(*at(i, C-1))
				*at(i, C-1) = bvec[i]
				bvec[i] = f
			}
			f = eval(VR)
			if f < VR {
				sx.replace(H, bvec, f)
			} else {
				for i := 0; i < n; i++ {
					*at(i, H-1) = *at(i, C-1)
				}
				*at(n1-1, H-1) = VR
			}
		} else {
			if VR < VH {
				sx.replace(H, bvec, VR)
			}
			// Contraction towards the centroid, or else a shrink.
			for i := 0; i < n; i++ {
				bvec[i] = (1-nmContract)*(*at(i, H-1)) + nmContract*(*at(i, C-1))
			}
			f = eval(*at(n1-1, H-1))
			if f < *at(n1-1, H-1) {
				sx.replace(H, bvec, f)
			} else if VR >= VH {
				calcvert = true
				size := sx.shrink(L)
				if size < oldsize {
					oldsize = size
				} else {
					break // polytope size not decreased in shrink
				}
			}
		}
		if funcount > maxit {
			break
		}
	}
	x = make([]float64, n)
	for i := range x {
		x[i] = *at(i, L-1)
	}
	return x, *at(n1-1, L-1), funcount, nil
}
