package arima

import "math"

// stl decomposes y (season length np) into seasonal and trend parts with
// the non-robust STL of Cleveland et al. (1990), translating R's stl.f
// with the settings forecast::mstl uses for one season: s.window = 11,
// s.degree = 0, t.window = nextodd(ceiling(1.5 np / (1 - 1.5/11))),
// t.degree = 1, l.window = nextodd(np), l.degree = 1, jumps of
// ceiling(window/10), two inner iterations, no robustness iterations.
// The seasonal-strength test that chooses D needs it, and matching R's
// decomposition matches R's choice of D near the threshold.
func stl(y []float64, np int) (seasonal, trend []float64) {
	n := len(y)
	ns := 11
	nt := nextOdd(math.Ceil(1.5 * float64(np) / (1 - 1.5/float64(ns))))
	nl := nextOdd(float64(np))
	isdeg, itdeg, ildeg := 0, 1, 1
	nsjump := int(math.Ceil(float64(ns) / 10))
	ntjump := int(math.Ceil(float64(nt) / 10))
	nljump := int(math.Ceil(float64(nl) / 10))
	seasonal = make([]float64, n)
	trend = make([]float64, n)
	w1 := make([]float64, n+2*np)
	w2 := make([]float64, n+2*np)
	w3 := make([]float64, n+2*np)
	w4 := make([]float64, n+2*np)
	w5 := make([]float64, n+2*np)
	for it := 0; it < 2; it++ {
		for i := 0; i < n; i++ {
			w1[i] = y[i] - trend[i]
		}
		stlss(w1[:n], np, ns, isdeg, nsjump, w2, w3, w4, w5, seasonal)
		stlfts(w2[:n+2*np], np, w3, w1)
		stless(w3[:n], nl, ildeg, nljump, w1, w4)
		for i := 0; i < n; i++ {
			seasonal[i] = w2[np+i] - w1[i]
		}
		for i := 0; i < n; i++ {
			w1[i] = y[i] - seasonal[i]
		}
		stless(w1[:n], nt, itdeg, ntjump, trend, w3)
	}
	return seasonal, trend
}

func nextOdd(x float64) int {
	i := int(math.Round(x))
	if i%2 == 0 {
		i++
	}
	return i
}

// stless smooths y by loess with window length, degree ideg, evaluated
// every njump points and interpolated linearly between (stl.f's stless).
// ys receives the fit; w is scratch of len(y).
func stless(y []float64, length, ideg, njump int, ys, w []float64) {
	n := len(y)
	if n < 2 {
		ys[0] = y[0]
		return
	}
	newnj := min(njump, n-1)
	// Positions are 1-based as in the Fortran.
	est := func(xs int, nleft, nright int) {
		v, ok := stlest(y, length, ideg, float64(xs), nleft, nright, w)
		if ok {
			ys[xs-1] = v
		} else {
			ys[xs-1] = y[xs-1]
		}
	}
	if length >= n {
		for i := 1; i <= n; i += newnj {
			est(i, 1, n)
		}
	} else if newnj == 1 {
		nsh := (length + 1) / 2
		nleft, nright := 1, length
		for i := 1; i <= n; i++ {
			if i > nsh && nright != n {
				nleft++
				nright++
			}
			est(i, nleft, nright)
		}
	} else {
		nsh := (length + 1) / 2
		for i := 1; i <= n; i += newnj {
			var nleft, nright int
			switch {
			case i < nsh:
				nleft, nright = 1, length
			case i >= n-nsh+1:
				nleft, nright = n-length+1, n
			default:
				nleft, nright = i-nsh+1, length+i-nsh
			}
			est(i, nleft, nright)
		}
	}
	if newnj != 1 {
		for i := 1; i <= n-newnj; i += newnj {
			delta := (ys[i+newnj-1] - ys[i-1]) / float64(newnj)
			for j := i + 1; j <= i+newnj-1; j++ {
				ys[j-1] = ys[i-1] + delta*float64(j-i)
			}
		}
		k := ((n-1)/newnj)*newnj + 1
		if k != n {
			// stl.f reuses the window of the last estimate, which
			// ends at n.
			est(n, max(1, n-length+1), n)
			if k != n-1 {
				delta := (ys[n-1] - ys[k-1]) / float64(n-k)
				for j := k + 1; j <= n-1; j++ {
					ys[j-1] = ys[k-1] + delta*float64(j-k)
				}
			}
		}
	}
}

// stlest is the local (degree 0 or 1) tricube-weighted fit at xs from
// y[nleft-1 : nright] (stl.f's stlest).
func stlest(y []float64, length, ideg int, xs float64, nleft, nright int, w []float64) (float64, bool) {
	n := len(y)
	rng := float64(n) - 1
	h := math.Max(xs-float64(nleft), float64(nright)-xs)
	if length > n {
		h += float64((length - n) / 2)
	}
	h9, h1 := 0.999*h, 0.001*h
	a := 0.0
	for j := nleft; j <= nright; j++ {
		w[j-1] = 0
		r := math.Abs(float64(j) - xs)
		if r <= h9 {
			if r <= h1 {
				w[j-1] = 1
			} else {
				u := r / h
				u = 1 - u*u*u
				w[j-1] = u * u * u
			}
			a += w[j-1]
		}
	}
	if a <= 0 {
		return 0, false
	}
	for j := nleft; j <= nright; j++ {
		w[j-1] /= a
	}
	if h > 0 && ideg > 0 {
		a = 0
		for j := nleft; j <= nright; j++ {
			a += w[j-1] * float64(j)
		}
		b := xs - a
		c := 0.0
		for j := nleft; j <= nright; j++ {
			d := float64(j) - a
			c += w[j-1] * d * d
		}
		if math.Sqrt(c) > 0.001*rng {
			b /= c
			for j := nleft; j <= nright; j++ {
				w[j-1] *= b*(float64(j)-a) + 1
			}
		}
	}
	ys := 0.0
	for j := nleft; j <= nright; j++ {
		ys += w[j-1] * y[j-1]
	}
	return ys, true
}

// stlss smooths each cycle-subseries of y and extends it by one point at
// each end, writing the n+2np result into season (stl.f's stlss).
func stlss(y []float64, np, ns, isdeg, nsjump int, season, work1, work2, work3, work4 []float64) {
	n := len(y)
	for j := 1; j <= np; j++ {
		k := (n-j)/np + 1
		for i := 1; i <= k; i++ {
			work1[i-1] = y[(i-1)*np+j-1]
		}
		stless(work1[:k], ns, isdeg, nsjump, work2[1:k+1], work4)
		nright := min(ns, k)
		if v, ok := stlest(work1[:k], ns, isdeg, 0, 1, nright, work4); ok {
			work2[0] = v
		} else {
			work2[0] = work2[1]
		}
		nleft := max(1, k-ns+1)
		if v, ok := stlest(work1[:k], ns, isdeg, float64(k+1), nleft, k, work4); ok {
			work2[k+1] = v
		} else {
			work2[k+1] = work2[k]
		}
		for m := 1; m <= k+2; m++ {
			season[(m-1)*np+j-1] = work2[m-1]
		}
	}
	_ = work3
}

// stlfts is the low-pass filter: moving averages of lengths np, np and 3.
func stlfts(x []float64, np int, trend, work []float64) {
	n := len(x)
	stlma(x, np, trend)
	stlma(trend[:n-np+1], np, work)
	stlma(work[:n-2*np+2], 3, trend)
}

func stlma(x []float64, length int, ave []float64) {
	n := len(x)
	newn := n - length + 1
	flen := float64(length)
	v := 0.0
	for i := 0; i < length; i++ {
		v += x[i]
	}
	ave[0] = v / flen
	if newn > 1 {
		k, m := length, 0
		for j := 1; j < newn; j++ {
			v = v - x[m] + x[k]
			ave[j] = v / flen
			k++
			m++
		}
	}
}
