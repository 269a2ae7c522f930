package hierarchy

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// Method is a reconciliation method.
type Method string

// The methods; package doc says what each does.
const (
	None       Method = "none"
	BottomUp   Method = "bottom_up"
	TopDown    Method = "top_down"
	MinTOLS    Method = "mint_ols"
	MinTWLS    Method = "mint_wls"
	MinTShrink Method = "mint_shrink"
)

// Methods lists every method, None first.
var Methods = []Method{None, BottomUp, TopDown, MinTOLS, MinTWLS, MinTShrink}

// ParseMethod reads a method's name; "" is None.
func ParseMethod(s string) (Method, error) {
	if s == "" {
		return None, nil
	}
	for _, m := range Methods {
		if string(m) == s {
			return m, nil
		}
	}
	names := make([]string, len(Methods))
	for i, m := range Methods {
		names[i] = string(m)
	}
	return "", fmt.Errorf("reconcile %q: want one of %s", s, strings.Join(names, ", "))
}

// Input is what Reconcile reconciles. Every slice is indexed by node, in
// the order of Hierarchy.Nodes, then by forecast step.
type Input struct {
	// Base holds each node's base forecast; every node has the same
	// number of steps.
	Base [][]float64
	// Residuals holds aligned backtest errors (actual - forecast), one
	// row per sample (a fold's step), one column per node. mint_shrink
	// needs at least two rows; the intervals of every method use it
	// when present. Nil when there are none.
	Residuals *mat.Dense
	// Radius80 and Radius95 are the base half-widths of the 80% and 95%
	// intervals; nil when there are none.
	Radius80, Radius95 [][]float64
	// NonNegative clips reconciled bottom forecasts at zero and sums the
	// aggregates again (counts).
	NonNegative bool
}

// Output is the reconciled forecast, indexed as Input.
type Output struct {
	Method             Method
	Points             [][]float64
	Radius80, Radius95 [][]float64
	// Lambda is the shrinkage intensity of the error covariance (NaN
	// without residuals).
	Lambda float64
	// Clipped counts the bottom values (series x step) set to zero.
	Clipped int
}

// MaxBottom bounds the bottom series Reconcile takes: the projections
// form dense nodes x nodes matrices (about 35 MB each at 2,000 series),
// which is what keeps a job's memory bounded.
const MaxBottom = 2000

// Reconcile makes in.Base coherent on h by method m. A method that needs
// what in lacks (mint_shrink without two rows of residuals) is an error;
// the caller decides what to fall back to.
func Reconcile(ctx context.Context, h *Hierarchy, m Method, in Input) (*Output, error) {
	n := h.Len()
	if len(in.Base) != n {
		panic(fmt.Sprintf("hierarchy: Reconcile: %d base forecasts for %d nodes", len(in.Base), n))
	}
	steps := len(in.Base[0])
	for i, b := range in.Base {
		if len(b) != steps {
			return nil, fmt.Errorf("hierarchy: node %d has %d steps, node 0 has %d", i, len(b), steps)
		}
	}
	if in.Residuals != nil {
		if _, c := in.Residuals.Dims(); c != n {
			panic(fmt.Sprintf("hierarchy: Reconcile: residuals have %d columns for %d nodes", c, n))
		}
	}
	if h.nBottom > MaxBottom && m != None {
		return nil, fmt.Errorf("hierarchy: %d bottom series, at most %d can be reconciled", h.nBottom, MaxBottom)
	}
	out := &Output{Method: m, Lambda: math.NaN()}
	var sigma *mat.SymDense
	if in.Residuals != nil {
		if r, _ := in.Residuals.Dims(); r >= 2 {
			sigma, out.Lambda = ShrinkCovariance(in.Residuals)
			floorDiagonal(sigma)
		}
	}
	var (
		g   *mat.Dense // bottom x node; nil for None and TopDown
		err error
	)
	switch m {
	case None:
		out.Points = copyRows(in.Base)
		out.Radius80, out.Radius95 = copyRows(in.Radius80), copyRows(in.Radius95)
		return out, nil
	case TopDown:
		return topDown(h, in, out), nil
	case BottomUp:
		g = bottomUpG(h)
	case MinTOLS, MinTWLS:
		w := make([]float64, n)
		for i := range w {
			w[i] = 1
			if m == MinTWLS {
				w[i] = float64(len(h.members[i]))
			}
		}
		g, err = mintDiagonal(h, w)
	case MinTShrink:
		if sigma == nil {
			return nil, fmt.Errorf("hierarchy: mint_shrink needs at least two rows of residuals")
		}
		g, err = mintFull(h, sigma)
	default:
		return nil, fmt.Errorf("hierarchy: unknown method %q", m)
	}
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	project(h, g, in, out)
	reconciledRadii(h, g, in, out)
	return out, nil
}

// G returns the bottom-level combination matrix of a projection method
// (bottom_up, mint_ols, mint_wls, mint_shrink): the reconciled bottom
// forecasts are G times the base forecasts of all nodes. mint_shrink
// needs residuals (T x nodes, T >= 2).
func G(h *Hierarchy, m Method, residuals *mat.Dense) (*mat.Dense, error) {
	switch m {
	case BottomUp:
		return bottomUpG(h), nil
	case MinTOLS, MinTWLS:
		w := make([]float64, h.Len())
		for i := range w {
			w[i] = 1
			if m == MinTWLS {
				w[i] = float64(len(h.members[i]))
			}
		}
		return mintDiagonal(h, w)
	case MinTShrink:
		if residuals == nil {
			return nil, fmt.Errorf("hierarchy: mint_shrink needs residuals")
		}
		if r, _ := residuals.Dims(); r < 2 {
			return nil, fmt.Errorf("hierarchy: mint_shrink needs at least two rows of residuals")
		}
		sigma, _ := ShrinkCovariance(residuals)
		floorDiagonal(sigma)
		return mintFull(h, sigma)
	}
	return nil, fmt.Errorf("hierarchy: %s has no fixed G", m)
}

func bottomUpG(h *Hierarchy) *mat.Dense {
	g := mat.NewDense(h.nBottom, h.Len(), nil)
	off := h.Aggregates()
	for j := 0; j < h.nBottom; j++ {
		g.Set(j, off+j, 1)
	}
	return g
}

// mintDiagonal is G = (S' W^-1 S)^-1 S' W^-1 for W = diag(w).
func mintDiagonal(h *Hierarchy, w []float64) (*mat.Dense, error) {
	m, n := h.nBottom, h.Len()
	p := mat.NewDense(m, n, nil) // S' W^-1
	for i, mem := range h.members {
		for _, j := range mem {
			p.Set(j, i, 1/w[i])
		}
	}
	return solveG(h.S(), p, m)
}

// mintFull is G = (S' W^-1 S)^-1 S' W^-1 for a full, positive definite W.
func mintFull(h *Hierarchy, w *mat.SymDense) (*mat.Dense, error) {
	var ch mat.Cholesky
	if !ch.Factorize(w) {
		return nil, fmt.Errorf("hierarchy: error covariance is not positive definite")
	}
	s := h.S()
	var x mat.Dense // W^-1 S, n x m
	if err := ch.SolveTo(&x, s); err != nil {
		return nil, fmt.Errorf("hierarchy: solve W^-1 S: %w", err)
	}
	var p mat.Dense
	p.CloneFrom(x.T()) // S' W^-1 (W symmetric)
	return solveG(s, &p, h.nBottom)
}

// solveG returns (P S)^-1 P for P = S' W^-1 (m x n).
func solveG(s *mat.Dense, p *mat.Dense, m int) (*mat.Dense, error) {
	a := mat.NewSymDense(m, nil)
	var ps mat.Dense
	ps.Mul(p, s)
	for i := 0; i < m; i++ {
		for j := i; j < m; j++ {
			a.SetSym(i, j, (ps.At(i, j)+ps.At(j, i))/2)
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(a) {
		return nil, fmt.Errorf("hierarchy: S' W^-1 S is not positive definite")
	}
	var g mat.Dense
	if err := ch.SolveTo(&g, p); err != nil {
		return nil, fmt.Errorf("hierarchy: solve for G: %w", err)
	}
	return &g, nil
}

// project fills out.Points with S G base, step by step, clipping the
// bottom at zero for counts.
func project(h *Hierarchy, g *mat.Dense, in Input, out *Output) {
	n, steps := h.Len(), len(in.Base[0])
	out.Points = newRows(n, steps)
	yhat := make([]float64, n)
	b := make([]float64, h.nBottom)
	bv := mat.NewVecDense(h.nBottom, b)
	yv := mat.NewVecDense(n, yhat)
	col := make([]float64, n)
	for t := 0; t < steps; t++ {
		for i := range yhat {
			yhat[i] = in.Base[i][t]
		}
		bv.MulVec(g, yv)
		out.Clipped += clip(b, in.NonNegative)
		h.Sum(col, b)
		for i, v := range col {
			out.Points[i][t] = v
		}
	}
}

func clip(b []float64, nonNeg bool) int {
	if !nonNeg {
		return 0
	}
	k := 0
	for j, v := range b {
		if v < 0 {
			b[j] = 0
			k++
		}
	}
	return k
}

// topDown splits the total's base forecast down the tree total -> store
// -> store x SKU by the base forecasts' proportions at each step
// (Athanasopoulos et al. 2009, forecast proportions). Negative base
// forecasts count as zero in the proportions; a parent whose children
// forecast nothing in total splits equally among them. Intervals:
// topDownRadii.
func topDown(h *Hierarchy, in Input, out *Output) *Output {
	n, steps, off := h.Len(), len(in.Base[0]), h.Aggregates()
	out.Points = newRows(n, steps)
	childSum := make([]float64, n)
	p := make([]float64, h.nBottom)
	b := make([]float64, h.nBottom)
	col := make([]float64, n)
	nChildren := make([]int, n)
	for j := 0; j < h.nBottom; j++ {
		nChildren[h.parent[off+j]]++
	}
	for i := 1; i < off; i++ {
		if h.parent[i] == 0 {
			nChildren[0]++
		}
	}
	var rr *radii
	if in.Radius80 != nil {
		out.Radius80, out.Radius95 = copyRows(in.Radius80), copyRows(in.Radius95)
		rr = newRadii(h, in.Residuals)
	}
	for t := 0; t < steps; t++ {
		clear(childSum)
		for i := 1; i < n; i++ {
			if par := h.parent[i]; par >= 0 {
				childSum[par] += max(in.Base[i][t], 0)
			}
		}
		share := func(i int) float64 {
			par := h.parent[i]
			if childSum[par] <= 0 {
				return 1 / float64(nChildren[par])
			}
			return max(in.Base[i][t], 0) / childSum[par]
		}
		for j := 0; j < h.nBottom; j++ {
			leaf := off + j
			p[j] = share(leaf) * share(h.parent[leaf])
		}
		total := in.Base[0][t]
		for j := range p {
			b[j] = p[j] * total
		}
		out.Clipped += clip(b, in.NonNegative)
		h.Sum(col, b)
		for i, v := range col {
			out.Points[i][t] = v
		}
		if rr != nil {
			rr.topDown(p, t, out)
		}
	}
	return out
}

// radii computes top_down's intervals from reconciled samples of the
// backtest errors. With proportions p (summing to one), top_down's bottom
// error is y_b - p y^_total = (y_b - p y_total) + p e_total. The actuals
// are coherent (y_total = 1'y_b), and where p are the base's own shares
// (b^ = p 1'b^), y_b - p y_total = e_b - p 1'e_b, so a row e of base
// errors becomes the bottom errors e_b + p (e_total - 1'e_b): the series'
// own error (what it sold beyond its share) plus its share of the
// total's. This is exact for one level of proportions and leaves out the
// disagreement of the store and SKU shares for two; the earlier rule,
// the total's radius scaled by the share, left out the series' own error
// and was too narrow (bench/hierarchy/RESULTS.md). Each node's radii are
// the split-conformal quantiles of its reconciled errors, at every step.
type radii struct {
	h        *Hierarchy
	res      *mat.Dense // nil: keep the base radii
	eb, node []float64
	cols     [][]float64
}

func newRadii(h *Hierarchy, res *mat.Dense) *radii {
	rr := &radii{h: h}
	if res == nil {
		return rr
	}
	rows, _ := res.Dims()
	if rows < 2 {
		return rr
	}
	rr.res = res
	rr.eb, rr.node = make([]float64, h.nBottom), make([]float64, h.Len())
	rr.cols = newRows(h.Len(), rows)
	return rr
}

func (rr *radii) topDown(p []float64, t int, out *Output) {
	if rr.res == nil {
		return
	}
	h := rr.h
	rows, _ := rr.res.Dims()
	off := h.Aggregates()
	for r := 0; r < rows; r++ {
		e := rr.res.RawRowView(r)
		var sum float64
		for j := range rr.eb {
			rr.eb[j] = e[off+j]
			sum += e[off+j]
		}
		gap := e[0] - sum
		for j := range rr.eb {
			rr.eb[j] += p[j] * gap
		}
		h.Sum(rr.node, rr.eb)
		for i, v := range rr.node {
			rr.cols[i][r] = v
		}
	}
	for i := range rr.cols {
		out.Radius80[i][t] = conformalQuantile(rr.cols[i], 0.8)
		out.Radius95[i][t] = conformalQuantile(rr.cols[i], 0.95)
	}
}

// reconciledRadii sets the radii of a projection method (bottom_up, MinT)
// to the split-conformal radii of the reconciled backtest errors: G S = I
// for these methods and the actuals are coherent, so a row e of base
// errors becomes S G e once reconciled, and each node's radius is the
// conformal quantile of its column, as the tournament's own radius is of
// its base errors (with no reconciliation the two agree). Without at
// least two rows of residuals the base radii are kept.
func reconciledRadii(h *Hierarchy, g *mat.Dense, in Input, out *Output) {
	if in.Radius80 == nil {
		return
	}
	out.Radius80, out.Radius95 = copyRows(in.Radius80), copyRows(in.Radius95)
	if in.Residuals == nil {
		return
	}
	rows, n := in.Residuals.Dims()
	if rows < 2 {
		return
	}
	var eb mat.Dense // reconciled bottom errors, rows x bottom
	eb.Mul(in.Residuals, g.T())
	cols := newRows(n, rows)
	col := make([]float64, n)
	for r := 0; r < rows; r++ {
		h.Sum(col, eb.RawRowView(r))
		for i, v := range col {
			cols[i][r] = v
		}
	}
	for i := 0; i < n; i++ {
		r80, r95 := conformalQuantile(cols[i], 0.8), conformalQuantile(cols[i], 0.95)
		for t := range out.Radius80[i] {
			out.Radius80[i][t], out.Radius95[i][t] = r80, r95
		}
	}
}

// conformalQuantile is the split-conformal radius for coverage level: the
// ceil((n+1) level)-th smallest absolute error (the largest when n is too
// small for the level), the rule of the tournament's intervals
// (forecast/intervals.go). It sorts abs in place after taking absolute
// values.
func conformalQuantile(errs []float64, level float64) float64 {
	for i, e := range errs {
		errs[i] = math.Abs(e)
	}
	sort.Float64s(errs)
	k := int(math.Ceil(float64(len(errs)+1)*level)) - 1
	return errs[min(k, len(errs)-1)]
}

// floorDiagonal raises a zero variance (a node forecast without error,
// such as a series of zeros) to a millionth of the mean variance, so that
// the covariance stays invertible; such a node then keeps its forecast.
func floorDiagonal(s *mat.SymDense) {
	n := s.SymmetricDim()
	var mean float64
	for i := 0; i < n; i++ {
		mean += s.At(i, i)
	}
	mean /= float64(n)
	floor := 1e-6 * mean
	if floor <= 0 {
		floor = 1e-12
	}
	for i := 0; i < n; i++ {
		if s.At(i, i) < floor {
			s.SetSym(i, i, floor)
		}
	}
}

// ShrinkCovariance is the Schäfer-Strimmer shrinkage of the covariance
// of res (T samples x n series) towards its diagonal, as R's hts::MinT
// computes it (shrink.estim): the covariance is the uncentred crossprod
// (res) / T, the intensity lambda = sum_{i!=j} Var(r_ij) / sum_{i!=j}
// r_ij^2 on the standardised errors, clamped to [0, 1], and the result
// lambda diag + (1 - lambda) covariance. A series with zero variance has
// zero correlation with the others.
func ShrinkCovariance(res *mat.Dense) (*mat.SymDense, float64) {
	t, n := res.Dims()
	cov := mat.NewSymDense(n, nil)
	cov.SymOuterK(1/float64(t), res.T())
	sd := make([]float64, n)
	for i := range sd {
		sd[i] = math.Sqrt(cov.At(i, i))
	}
	xs := mat.NewDense(t, n, nil)
	x2 := mat.NewDense(t, n, nil)
	for r := 0; r < t; r++ {
		for c := 0; c < n; c++ {
			var v float64
			if sd[c] > 0 {
				v = res.At(r, c) / sd[c]
			}
			xs.Set(r, c, v)
			x2.Set(r, c, v*v)
		}
	}
	var cp, cp2 mat.SymDense
	cp.SymOuterK(1, xs.T())
	cp2.SymOuterK(1, x2.T())
	tf := float64(t)
	var num, den float64
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i == j {
				continue
			}
			v := (cp2.At(i, j) - cp.At(i, j)*cp.At(i, j)/tf) / (tf * (tf - 1))
			num += v
			r := cp.At(i, j) / tf // the correlation: xs has unit uncentred variance
			den += r * r
		}
	}
	lambda := 0.0
	if den > 0 {
		lambda = math.Max(math.Min(num/den, 1), 0)
	} else {
		lambda = 1
	}
	out := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			v := (1 - lambda) * cov.At(i, j)
			if i == j {
				v = cov.At(i, i)
			}
			out.SetSym(i, j, v)
		}
	}
	return out, lambda
}

func newRows(n, steps int) [][]float64 {
	buf := make([]float64, n*steps)
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = buf[i*steps : (i+1)*steps : (i+1)*steps]
	}
	return rows
}

func copyRows(src [][]float64) [][]float64 {
	if src == nil {
		return nil
	}
	out := make([][]float64, len(src))
	for i, r := range src {
		out[i] = append([]float64(nil), r...)
	}
	return out
}
