package features

import (
	"fmt"
	"math"
)

// This file holds the rolling-window kernels. Every kernel follows pandas'
// Series.rolling(w, min_periods=minPeriods) without centring: dst[i] is the
// statistic of x[max(0, i-w+1) : i+1]. NaN values are skipped and do not
// count toward minPeriods; a window with fewer than minPeriods observations
// (or with none at all) gives NaN, except Sum and Zeros, which give 0 for an
// empty window when minPeriods is 0, as pandas does.
//
// Every kernel writes into dst, growing it only when its capacity is short,
// and returns it resliced to len(x). The kernels that need scratch space are
// methods of Roller, which keeps that space between calls, so a warm Roller
// allocates nothing.
//
// Accuracy. Sums, means and variances are not kept as a running total that
// values are added to and subtracted from: after a value of 1e12 leaves a
// window, such a total has lost every digit of the small values that remain
// (pandas' Kahan-compensated add/remove mitigates but does not cure this).
// Instead the series is cut into blocks of w values, and each window is the
// combination of a suffix of one block and a prefix of the next (van Herk
// and Gil-Werman's decomposition). Nothing is ever subtracted, so the error
// of a window statistic is that of summing the window's own values, the
// same as a from-scratch computation, at O(1) cost per value. Moments are
// combined with Chan, Golub and LeVeque's pairwise update, which is exact on
// constant windows (their variance is exactly 0, their mean the constant).

// Roller computes rolling-window statistics with reusable scratch space.
// The zero value is ready to use. A Roller must not be used by two
// goroutines at once. Its methods panic on a window below 1 or a
// minPeriods outside [0, w], which are programming errors; data problems
// (NaNs, empty input) are never errors. Infinite values are not sales:
// min, max and the order statistics handle them, but the sums and moments
// of windows that hold one are ±Inf or NaN (as in pandas, whose running
// totals stay NaN even after the infinity has left the window).
type Roller struct {
	sums   []sumAgg
	moms   []moments
	ext    []float64
	window []float64
}

func checkWindow(w, minPeriods int) {
	if w < 1 {
		panic(fmt.Sprintf("features: window %d must be >= 1", w))
	}
	if minPeriods < 0 || minPeriods > w {
		panic(fmt.Sprintf("features: min_periods %d must be in [0, %d]", minPeriods, w))
	}
}

// resize returns dst with length n, reallocating only when it is too small.
func resize(dst []float64, n int) []float64 {
	if cap(dst) < n {
		return make([]float64, n)
	}
	return dst[:n]
}

// sumAgg is the plain sum of the non-NaN values of a span and their count.
type sumAgg struct {
	n int
	s float64
}

// addSum is the one way two sums are combined; the kernel and Builder.Row
// both use it so that they round identically.
func addSum(a, b sumAgg) sumAgg { return sumAgg{a.n + b.n, a.s + b.s} }

func sumOf(v float64) sumAgg {
	if v != v {
		return sumAgg{}
	}
	return sumAgg{1, v}
}

func finishSum(a sumAgg, minPeriods int) float64 {
	if a.n < minPeriods || (a.n == 0 && minPeriods > 0) {
		return math.NaN()
	}
	return a.s
}

// sumWindow is the window [l, i] of x (l >= 0) combined exactly as the Sum
// kernel combines it, with blocks of w aligned to multiples of w.
func sumWindow(x []float64, l, i, w int) sumAgg {
	bs := i - i%w // start of i's block
	var p sumAgg
	for j := bs; j <= i; j++ {
		p = addSum(p, sumOf(x[j]))
	}
	if l >= bs {
		return p
	}
	var s sumAgg
	for j := bs - 1; j >= l; j-- {
		s = addSum(sumOf(x[j]), s)
	}
	return addSum(s, p)
}

// Sum writes the rolling sum of x over windows of w into dst.
func (r *Roller) Sum(dst, x []float64, w, minPeriods int) []float64 {
	checkWindow(w, minPeriods)
	n := len(x)
	dst = resize(dst, n)
	if cap(r.sums) < n {
		r.sums = make([]sumAgg, n)
	}
	suf := r.sums[:n]
	for bs := 0; bs < n; bs += w {
		var a sumAgg
		for j := min(bs+w, n) - 1; j >= bs; j-- {
			a = addSum(sumOf(x[j]), a)
			suf[j] = a
		}
	}
	for bs := 0; bs < n; bs += w {
		var p sumAgg
		be := min(bs+w, n)
		for i := bs; i < be; i++ {
			p = addSum(p, sumOf(x[i]))
			a := p
			// The window starts inside the previous block unless it is
			// the whole current block or is cut by the start of x.
			if l := i - w + 1; l > 0 && l != bs {
				a = addSum(suf[l], p)
			}
			dst[i] = finishSum(a, minPeriods)
		}
	}
	return dst
}

// moments are the count, mean and sum of squared deviations from the mean
// of the non-NaN values of a span.
type moments struct {
	n, mean, m2 float64
}

// combine merges two spans (Chan, Golub and LeVeque). It takes the
// difference of the means rather than a weighted average of them so that
// equal means combine to exactly that mean with no added m2.
func combine(a, b moments) moments {
	if a.n == 0 {
		return b
	}
	if b.n == 0 {
		return a
	}
	n := a.n + b.n
	d := b.mean - a.mean
	r := b.n / n // the one division
	return moments{
		n:    n,
		mean: a.mean + d*r,
		m2:   a.m2 + b.m2 + d*d*a.n*r,
	}
}

// addOne adds one value to a span: combine with a single value, written
// as Welford's update so that it costs one division, not two. A NaN is
// skipped. On a constant span d is 0, so the mean stays exact and m2 0.
func addOne(a moments, v float64) moments {
	if v != v {
		return a
	}
	n := a.n + 1
	d := v - a.mean
	mean := a.mean + d/n
	return moments{n: n, mean: mean, m2: a.m2 + d*(v-mean)}
}

// momentWindow is the window [l, i] of x combined exactly as the moment
// kernels combine it.
func momentWindow(x []float64, l, i, w int) moments {
	bs := i - i%w
	var p moments
	for j := bs; j <= i; j++ {
		p = addOne(p, x[j])
	}
	if l >= bs {
		return p
	}
	var s moments
	for j := bs - 1; j >= l; j-- {
		s = addOne(s, x[j])
	}
	return combine(s, p)
}

type momentKind int

const (
	kindMean momentKind = iota
	kindVar
	kindStd
)

func finishMoments(a moments, minPeriods int, kind momentKind) float64 {
	if a.n == 0 || a.n < float64(minPeriods) {
		return math.NaN()
	}
	switch kind {
	case kindMean:
		return a.mean
	}
	// ddof = 1, as pandas' default: one value has no sample variance.
	if a.n < 2 {
		return math.NaN()
	}
	v := max(a.m2, 0) / (a.n - 1)
	if kind == kindStd {
		return math.Sqrt(v)
	}
	return v
}

// Mean writes the rolling mean of x over windows of w into dst.
func (r *Roller) Mean(dst, x []float64, w, minPeriods int) []float64 {
	return r.rollMoments(dst, x, w, minPeriods, kindMean)
}

// Var writes the rolling sample variance (ddof 1) of x over windows of w
// into dst. A window with one observation has no sample variance: NaN.
func (r *Roller) Var(dst, x []float64, w, minPeriods int) []float64 {
	return r.rollMoments(dst, x, w, minPeriods, kindVar)
}

// Std writes the rolling sample standard deviation (ddof 1) of x over
// windows of w into dst.
func (r *Roller) Std(dst, x []float64, w, minPeriods int) []float64 {
	return r.rollMoments(dst, x, w, minPeriods, kindStd)
}

func (r *Roller) rollMoments(dst, x []float64, w, minPeriods int, kind momentKind) []float64 {
	checkWindow(w, minPeriods)
	dst = resize(dst, len(x))
	for i, a := range r.windowMoments(x, w) {
		dst[i] = finishMoments(a, minPeriods, kind)
	}
	return dst
}

// windowMoments returns the moments of every window of x, in the Roller's
// scratch space (valid until its next use), so that the Builder can finish
// a window's mean, std and var from one pass.
func (r *Roller) windowMoments(x []float64, w int) []moments {
	n := len(x)
	if cap(r.moms) < 2*n {
		r.moms = make([]moments, 2*n)
	}
	suf, out := r.moms[:n], r.moms[n:2*n]
	for bs := 0; bs < n; bs += w {
		var a moments
		for j := min(bs+w, n) - 1; j >= bs; j-- {
			a = addOne(a, x[j])
			suf[j] = a
		}
	}
	for bs := 0; bs < n; bs += w {
		var p moments
		be := min(bs+w, n)
		for i := bs; i < be; i++ {
			p = addOne(p, x[i])
			a := p
			if l := i - w + 1; l > 0 && l != bs {
				a = combine(suf[l], p)
			}
			out[i] = a
		}
	}
	return out
}

// Min writes the rolling minimum of x over windows of w into dst, in O(n)
// time whatever w is.
func (r *Roller) Min(dst, x []float64, w, minPeriods int) []float64 {
	return r.extreme(dst, x, w, minPeriods, false)
}

// Max writes the rolling maximum of x over windows of w into dst, in O(n)
// time whatever w is.
func (r *Roller) Max(dst, x []float64, w, minPeriods int) []float64 {
	return r.extreme(dst, x, w, minPeriods, true)
}

// extreme uses the same block decomposition as the sums rather than the
// usual monotonic deque (pandas' and bottleneck's algorithm): both are
// O(n), but the deque's pops depend on the data and its branches are
// mispredicted about half the time on sales series, while the block
// passes are branch-free min/max instructions, 4-6 times faster measured
// on w 7 and 28. Max is the min of the negated values. A NaN becomes the
// identity, +Inf, and a sliding count of observations decides between a
// value and NaN; since the identity is an infinity, a window of real
// infinities is still reported as such.
func (r *Roller) extreme(dst, x []float64, w, minPeriods int, isMax bool) []float64 {
	checkWindow(w, minPeriods)
	n := len(x)
	dst = resize(dst, n)
	if cap(r.ext) < n {
		r.ext = make([]float64, n)
	}
	suf := r.ext[:n]
	// Negating turns max into min, so one branch-free loop serves both.
	sign := 1.0
	if isMax {
		sign = -1
	}
	inf := math.Inf(1)
	for bs := 0; bs < n; bs += w {
		a := inf
		for j := min(bs+w, n) - 1; j >= bs; j-- {
			v := sign * x[j]
			if v != v {
				v = inf
			}
			a = min(a, v)
			suf[j] = a
		}
	}
	nobs := 0
	nan := math.NaN()
	for bs := 0; bs < n; bs += w {
		p := inf
		be := min(bs+w, n)
		for i := bs; i < be; i++ {
			v := sign * x[i]
			if v == v {
				nobs++
			} else {
				v = inf
			}
			if o := i - w; o >= 0 && x[o] == x[o] {
				nobs--
			}
			p = min(p, v)
			a := p
			if l := i - w + 1; l > 0 && l != bs {
				a = min(suf[l], p)
			}
			a *= sign
			if nobs == 0 || nobs < minPeriods {
				a = nan
			}
			dst[i] = a
		}
	}
	return dst
}

// rollStat writes the rolling statistic s of x over windows of w into
// dst, with the kernel of that name. An unknown s is a programming error
// (NewBuilder rejects it): it panics.
func (r *Roller) rollStat(dst, x []float64, s Stat, w, minPeriods int) []float64 {
	switch s {
	case Sum:
		return r.Sum(dst, x, w, minPeriods)
	case Mean:
		return r.Mean(dst, x, w, minPeriods)
	case Std:
		return r.Std(dst, x, w, minPeriods)
	case Var:
		return r.Var(dst, x, w, minPeriods)
	case Min:
		return r.Min(dst, x, w, minPeriods)
	case Max:
		return r.Max(dst, x, w, minPeriods)
	case Median:
		return r.Median(dst, x, w, minPeriods)
	case Zeros:
		return r.Zeros(dst, x, w, minPeriods)
	default:
		panic(fmt.Sprintf("features: unknown statistic %q", s))
	}
}

// Zeros writes the rolling count of values equal to zero of x over windows
// of w into dst; in pandas terms x.eq(0).where(x.notna()).rolling(w,
// min_periods).sum().
func (r *Roller) Zeros(dst, x []float64, w, minPeriods int) []float64 {
	checkWindow(w, minPeriods)
	dst = resize(dst, len(x))
	nobs, zeros := 0, 0
	for i, v := range x {
		if v == v {
			nobs++
			if v == 0 {
				zeros++
			}
		}
		if o := i - w; o >= 0 {
			if u := x[o]; u == u {
				nobs--
				if u == 0 {
					zeros--
				}
			}
		}
		if nobs < minPeriods || (nobs == 0 && minPeriods > 0) {
			dst[i] = math.NaN()
		} else {
			dst[i] = float64(zeros)
		}
	}
	return dst
}

// Median writes the rolling median of x over windows of w into dst. An even
// number of observations gives the mean of the middle two, as pandas does.
func (r *Roller) Median(dst, x []float64, w, minPeriods int) []float64 {
	dst = resize(dst, len(x))
	r.orderStats([][]float64{dst}, x, w, minPeriods, []float64{-1})
	return dst
}

// Quantile writes the rolling q-quantile (0 <= q <= 1) of x over windows of
// w into dst, interpolating linearly between order statistics as pandas'
// rolling(...).quantile(q, interpolation="linear") does.
func (r *Roller) Quantile(dst, x []float64, w, minPeriods int, q float64) []float64 {
	if !(q >= 0 && q <= 1) {
		panic(fmt.Sprintf("features: quantile %v not in [0, 1]", q))
	}
	dst = resize(dst, len(x))
	r.orderStats([][]float64{dst}, x, w, minPeriods, []float64{q})
	return dst
}

// orderStats writes into outs[k] (each at least len(x) long) the rolling
// qs[k]-quantile of x, the median where qs[k] is negative, keeping one
// sorted window for all of them: the Builder asks for a window's median
// and quantiles in one pass.
//
// The window's non-NaN values are kept sorted. A step that both drops and
// admits a value moves only the values between their two positions, so a
// slowly changing series costs far less than the O(w) worst case per
// step; binary search finds positions in O(log w).
func (r *Roller) orderStats(outs [][]float64, x []float64, w, minPeriods int, qs []float64) {
	checkWindow(w, minPeriods)
	// The window never holds more than w values, nor more than x has.
	if m := min(w, len(x)); cap(r.window) < m {
		r.window = make([]float64, m)
	}
	s := r.window[:0]
	for i, v := range x {
		out, outOK := 0.0, false
		if o := i - w; o >= 0 && x[o] == x[o] {
			out, outOK = x[o], true
		}
		in := v == v
		switch {
		case in && outOK:
			s = replaceSorted(s, out, v)
		case in:
			s = insertSorted(s, v)
		case outOK:
			s = removeSorted(s, out)
		}
		empty := len(s) == 0 || len(s) < minPeriods
		for k, q := range qs {
			switch {
			case empty:
				outs[k][i] = math.NaN()
			case q < 0:
				outs[k][i] = medianSorted(s)
			default:
				outs[k][i] = quantileSorted(s, q)
			}
		}
	}
	r.window = s[:0]
}

// searchFloat is the first index of s whose value is >= v; sort.Search
// would cost a closure call per probe.
func searchFloat(s []float64, v float64) int {
	lo, hi := 0, len(s)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s[m] < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func insertSorted(s []float64, v float64) []float64 {
	k := searchFloat(s, v)
	s = s[:len(s)+1]
	copy(s[k+1:], s[k:])
	s[k] = v
	return s
}

func removeSorted(s []float64, v float64) []float64 {
	k := searchFloat(s, v)
	copy(s[k:], s[k+1:])
	return s[:len(s)-1]
}

// replaceSorted removes old and inserts v, shifting only the values between
// their positions.
func replaceSorted(s []float64, old, v float64) []float64 {
	k := searchFloat(s, old)
	switch {
	case v > old:
		// The values in (k, j) are < v: they move one place left.
		j := k + 1 + searchFloat(s[k+1:], v)
		copy(s[k:j-1], s[k+1:j])
		s[j-1] = v
	case v < old:
		// The values in [j, k) are > v: they move one place right.
		j := searchAbove(s[:k], v)
		copy(s[j+1:k+1], s[j:k])
		s[j] = v
	default:
		s[k] = v
	}
	return s
}

// searchAbove is the first index of s whose value is > v.
func searchAbove(s []float64, v float64) int {
	lo, hi := 0, len(s)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s[m] <= v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func medianSorted(s []float64) float64 {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2] + s[n/2-1]) / 2
}

// quantileSorted follows pandas' roll_quantile with linear interpolation,
// including its exact arithmetic, so results agree to the last bit.
func quantileSorted(s []float64, q float64) float64 {
	n := len(s)
	if n == 1 {
		return s[0]
	}
	f := q * float64(n-1)
	k := int(f)
	if f == float64(k) {
		return s[k]
	}
	lo, hi := s[k], s[k+1]
	return lo + (hi-lo)*(f-float64(k))
}

// EWM selects an exponentially weighted mean, pandas'
// Series.ewm(alpha=Alpha, adjust=Adjust, ignore_na=IgnoreNA,
// min_periods=MinPeriods).mean().
type EWM struct {
	// Alpha is the smoothing factor, in (0, 1].
	Alpha float64
	// Adjust divides by the decaying sum of weights (pandas' default,
	// true); false uses the recursion m = (1-Alpha) m + Alpha x.
	Adjust bool
	// IgnoreNA false (pandas' default) lets a NaN age the older values
	// as a step would; true ignores NaNs entirely.
	IgnoreNA bool
	// MinPeriods is the number of observations needed for a value; below
	// 1 means 1, as in pandas.
	MinPeriods int
}

// ewmState is pandas' ewm recursion for one series, shared by EWM.Mean and
// Builder.Row so that both round identically.
type ewmState struct {
	started          bool
	weighted, oldWt  float64
	factor, newWt    float64
	ignoreNA, adjust bool
	nobs             int
}

func (e EWM) state() ewmState {
	if !(e.Alpha > 0 && e.Alpha <= 1) {
		panic(fmt.Sprintf("features: ewm alpha %v not in (0, 1]", e.Alpha))
	}
	// pandas turns alpha into a centre of mass and back; doing the same
	// keeps the last bit equal.
	com := (1 - e.Alpha) / e.Alpha
	alpha := 1 / (1 + com)
	st := ewmState{factor: 1 - alpha, newWt: alpha, ignoreNA: e.IgnoreNA, adjust: e.Adjust, oldWt: 1}
	if e.Adjust {
		st.newWt = 1
	}
	return st
}

func (st *ewmState) add(cur float64) float64 {
	obs := cur == cur
	if obs {
		st.nobs++
	}
	if !st.started {
		st.started = true
		st.weighted = cur
		return st.weighted
	}
	if st.weighted == st.weighted {
		if obs || !st.ignoreNA {
			st.oldWt *= st.factor
			if obs {
				// pandas skips the update when it would not change the
				// value, which keeps constant series exact.
				if st.weighted != cur {
					st.weighted = st.oldWt*st.weighted + st.newWt*cur
					st.weighted /= st.oldWt + st.newWt
				}
				if st.adjust {
					st.oldWt += st.newWt
				} else {
					st.oldWt = 1
				}
			}
		}
	} else if obs {
		st.weighted = cur
	}
	return st.weighted
}

// Mean writes the exponentially weighted mean of x into dst.
func (e EWM) Mean(dst, x []float64) []float64 {
	st := e.state()
	minp := max(e.MinPeriods, 1)
	dst = resize(dst, len(x))
	for i, v := range x {
		m := st.add(v)
		if st.nobs >= minp {
			dst[i] = m
		} else {
			dst[i] = math.NaN()
		}
	}
	return dst
}

// expandingState is pandas' add-only mean: a Kahan-compensated sum, the
// length of the run of equal values (a constant prefix gives exactly that
// constant) and the count of negative values (a mean of non-negative values
// is never negative).
type expandingState struct {
	nobs, neg, run int
	sum, comp      float64
	prev           float64
}

func (st *expandingState) add(v float64) {
	if v != v {
		return
	}
	st.nobs++
	y := v - st.comp
	t := st.sum + y
	st.comp = t - st.sum - y
	st.sum = t
	if math.Signbit(v) {
		st.neg++
	}
	if st.nobs > 1 && v == st.prev {
		st.run++
	} else {
		st.run = 1
	}
	st.prev = v
}

func (st *expandingState) mean(minPeriods int) float64 {
	if st.nobs == 0 || st.nobs < minPeriods {
		return math.NaN()
	}
	if st.run >= st.nobs {
		return st.prev
	}
	m := st.sum / float64(st.nobs)
	if (st.neg == 0 && m < 0) || (st.neg == st.nobs && m > 0) {
		return 0
	}
	return m
}

// ExpandingMean writes the mean of x[:i+1] into dst[i]; pandas'
// x.expanding(min_periods).mean().
func ExpandingMean(dst, x []float64, minPeriods int) []float64 {
	if minPeriods < 0 {
		panic(fmt.Sprintf("features: min_periods %d must be >= 0", minPeriods))
	}
	dst = resize(dst, len(x))
	var st expandingState
	for i, v := range x {
		st.add(v)
		dst[i] = st.mean(minPeriods)
	}
	return dst
}
