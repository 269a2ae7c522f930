package ml

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// Loss is the loss HGBT minimises, by scikit-learn's name.
type Loss string

// The losses HGBT knows.
const (
	// LossSquaredError is the squared error (identity link), the default.
	LossSquaredError Loss = "squared_error"
	// LossPoisson is the Poisson deviance with a log link; targets must
	// be non-negative with a positive sum.
	LossPoisson Loss = "poisson"
	// LossTweedie is the Tweedie deviance with a log link and variance
	// power HGBT.TweediePower; targets as for LossPoisson.
	LossTweedie Loss = "tweedie"
)

// ParseLoss returns the loss named s, "" meaning LossSquaredError, or
// an error for a name HGBT does not know.
func ParseLoss(s string) (Loss, error) {
	switch l := Loss(s); l {
	case "":
		return LossSquaredError, nil
	case LossSquaredError, LossPoisson, LossTweedie:
		return l, nil
	}
	return "", fmt.Errorf("ml: hgbt: unknown loss %q", s)
}

// logLink reports whether the loss predicts through exp.
func (l Loss) logLink() bool { return l != LossSquaredError }

// HGBT is histogram-based gradient boosting of regression trees, as
// scikit-learn's HistGradientBoostingRegressor: features are binned into
// at most MaxBins quantile bins once, then each iteration grows one tree
// best-first on gradient/hessian histograms of the bins.
//
// Unlike scikit-learn, early stopping is never used (scikit-learn turns
// it on above 10,000 rows): the tournament's backtests already choose
// between candidates, and a fixed number of iterations keeps fits
// reproducible and comparable across series. Inputs must be finite (use
// an Imputer; scikit-learn would route NaN to a learnt side).
type HGBT struct {
	// Loss is the loss minimised; "" means LossSquaredError.
	Loss Loss `json:"loss,omitempty"`
	// TweediePower is the Tweedie variance power p in (1, 2) for the
	// "tweedie" loss; default 1.5.
	TweediePower float64 `json:"tweedie_power,omitempty"`
	// LearningRate shrinks each tree's contribution; default 0.1.
	LearningRate float64 `json:"learning_rate,omitempty"`
	// MaxIter is the number of boosting iterations (trees); default 100.
	MaxIter int `json:"max_iter,omitempty"`
	// MaxLeafNodes bounds the leaves of each tree; default 31.
	MaxLeafNodes int `json:"max_leaf_nodes,omitempty"`
	// MaxDepth bounds each tree's depth; default unlimited.
	MaxDepth int `json:"max_depth,omitempty"`
	// MinSamplesLeaf is the fewest rows per leaf; default 20.
	MinSamplesLeaf int `json:"min_samples_leaf,omitempty"`
	// L2 is the L2 penalty on leaf values; default 0.
	L2 float64 `json:"l2,omitempty"`
	// MaxBins is the number of bins per feature, at most 255; default 255.
	MaxBins int `json:"max_bins,omitempty"`
}

// Boosted is a fitted gradient-boosted ensemble. Predict returns
// Baseline + Σ trees, passed through exp for the log-link losses.
type Boosted struct {
	Baseline float64      `json:"baseline"`
	Log      bool         `json:"log,omitempty"`
	Trees    []*TreeModel `json:"trees"`
	Cols     int          `json:"cols"`
}

// Predict returns the prediction for one row.
func (m *Boosted) Predict(x []float64) float64 {
	checkRow("Boosted", x, m.Cols)
	s := m.Baseline
	for _, t := range m.Trees {
		s += t.leaf(x)
	}
	if m.Log {
		return math.Exp(s)
	}
	return s
}

// PredictBatch writes the predictions for the rows of x into dst (grown if
// short) and returns it.
func (m *Boosted) PredictBatch(dst, x []float64) []float64 {
	dst = sumTrees(dst, x, m.Cols, m.Trees, m.Baseline)
	if m.Log {
		for i, v := range dst {
			dst[i] = math.Exp(v)
		}
	}
	return dst
}

// hbin is one histogram bin: sums of gradients and hessians, and a count.
type hbin struct {
	g, h float64
	n    int32
}

// hnode is a node being grown.
type hnode struct {
	lo, hi   int // range of the grower's sample index array
	depth    int
	g, h     float64
	hist     []hbin // cols × nbins, nil once released
	id       int32  // index in the TreeModel
	split    bool   // best split found
	gain     float64
	feature  int
	bin      uint8
	gl, hl   float64
	nl       int
	finished bool
}

// hgbtSettings are HGBT's settings with the defaults filled in and
// checked.
type hgbtSettings struct {
	loss                       Loss
	power, lr, l2              float64
	iters, maxLeaves, maxDepth int
	minLeaf, maxBins           int
}

// settings fills in the defaults; invalid settings are a programmer error
// and panic, as elsewhere in this package.
func (hb HGBT) settings() hgbtSettings {
	if hb.LearningRate < 0 || hb.MaxIter < 0 || hb.MaxLeafNodes < 0 || hb.MaxLeafNodes == 1 ||
		hb.MinSamplesLeaf < 0 || hb.L2 < 0 || hb.MaxBins < 0 || hb.MaxBins > 255 || hb.MaxDepth < 0 {
		panic(fmt.Sprintf("ml: hgbt: invalid settings %+v", hb))
	}
	loss, err := ParseLoss(string(hb.Loss))
	if err != nil {
		panic(err.Error())
	}
	st := hgbtSettings{
		loss:      loss,
		power:     orDefault(hb.TweediePower, 1.5),
		lr:        orDefault(hb.LearningRate, 0.1),
		l2:        hb.L2,
		iters:     orDefault(hb.MaxIter, 100),
		maxLeaves: orDefault(hb.MaxLeafNodes, 31),
		maxDepth:  hb.MaxDepth,
		minLeaf:   orDefault(hb.MinSamplesLeaf, 20),
		maxBins:   orDefault(hb.MaxBins, 255),
	}
	if loss == LossTweedie && (st.power <= 1 || st.power >= 2) {
		panic("ml: hgbt: TweediePower must be in (1, 2)")
	}
	if st.maxDepth == 0 {
		st.maxDepth = math.MaxInt32
	}
	return st
}

// Fit boosts MaxIter trees.
func (hb HGBT) Fit(ctx context.Context, x []float64, cols int, y []float64) (*Boosted, error) {
	st := hb.settings()
	n, err := checkXY("hgbt", x, cols, y, 2)
	if err != nil {
		return nil, err
	}
	m, err := newBoosted(y, n, cols, st.loss)
	if err != nil {
		return nil, err
	}
	if err := ctxErr(ctx, "hgbt"); err != nil {
		return nil, err
	}
	g := newGrower(x, n, cols, &st)
	raw := make([]float64, n)
	for i := range raw {
		raw[i] = m.Baseline
	}
	for it := 0; it < st.iters; it++ {
		if err := ctxErr(ctx, "hgbt"); err != nil {
			return nil, err
		}
		g.gradients(y, raw)
		m.Trees = append(m.Trees, g.grow(raw))
	}
	return m, nil
}

// newBoosted returns the ensemble before its first tree: the baseline is
// the mean target, or its log for the log-link losses, which need
// non-negative targets with a positive sum.
func newBoosted(y []float64, n, cols int, loss Loss) (*Boosted, error) {
	logLink := loss.logLink()
	var ysum float64
	for i, v := range y {
		if logLink && v < 0 {
			return nil, fmt.Errorf("hgbt: %w: y[%d] = %v < 0 with %s loss", ErrTarget, i, v, loss)
		}
		ysum += v
	}
	m := &Boosted{Cols: cols, Log: logLink, Baseline: ysum / float64(n)}
	if logLink {
		if ysum <= 0 {
			return nil, fmt.Errorf("hgbt: %w: all targets are zero", ErrTarget)
		}
		m.Baseline = math.Log(m.Baseline)
	}
	return m, nil
}

// grower holds what growing the trees of one fit shares: the binned
// design, the gradients and hessians, the sample index and the pools of
// histograms and nodes, reused from tree to tree.
type grower struct {
	st         *hgbtSettings
	n, cols    int
	thresholds [][]float64
	xb         []uint8 // bins, column-major
	offsets    []int   // each feature's first bin in a histogram
	totalBins  int
	// The bins row-major for the histograms, as indexes into the whole
	// histogram: the feature's offset is added once here rather than on
	// each of the hundreds of millions of updates (about 18% of a Poisson
	// fit on 150,000 rows). Two bytes an index unless a very wide design
	// has more than 65,536 bins in all; one of the two is nil.
	xbr16 []uint16
	xbr32 []uint32
	// Gradients and hessians are stored in float32, as scikit-learn
	// stores them (G_H_DTYPE), and summed in float64: the same rounding
	// as there, and half the memory the histogram loops gather from.
	grad, hess []float32
	idx        []int32
	// Histogram pool: at most 2 per leaf are alive at once.
	pool    [][]hbin
	nodes   []*hnode
	nodeBuf []hnode
	t       *TreeModel // the tree being grown
}

func newGrower(x []float64, n, cols int, st *hgbtSettings) *grower {
	g := &grower{st: st, n: n, cols: cols}
	g.thresholds, g.xb = binColumns(x, n, cols, st.maxBins)
	// Histograms hold only the bins each feature has (calendar fields
	// and lags of small counts have far fewer than 255), which cuts both
	// building and scanning them.
	g.offsets = make([]int, cols+1)
	for f, th := range g.thresholds {
		g.offsets[f+1] = g.offsets[f] + len(th)
	}
	g.totalBins = g.offsets[cols]
	if g.totalBins <= math.MaxUint16+1 {
		g.xbr16 = rowBins[uint16](g.xb, g.offsets, n, cols)
	} else {
		g.xbr32 = rowBins[uint32](g.xb, g.offsets, n, cols)
	}
	g.grad = make([]float32, n)
	g.hess = make([]float32, n)
	if st.loss == LossSquaredError {
		for i := range g.hess {
			g.hess[i] = 1
		}
	}
	g.idx = make([]int32, n)
	g.nodes = make([]*hnode, 0, 2*st.maxLeaves)
	g.nodeBuf = make([]hnode, 0, 2*st.maxLeaves)
	return g
}

// histogram fills hist from the given rows; hs nil means unit hessians.
func (g *grower) histogram(hist []hbin, rows []int32, hs []float32) {
	if g.xbr16 != nil {
		buildHist(hist, rows, g.xbr16, g.cols, g.grad, hs)
	} else {
		buildHist(hist, rows, g.xbr32, g.cols, g.grad, hs)
	}
}

func (g *grower) getHist() []hbin {
	if k := len(g.pool); k > 0 {
		h := g.pool[k-1]
		g.pool = g.pool[:k-1]
		return h
	}
	return make([]hbin, g.totalBins)
}

func (g *grower) putHist(h []hbin) { g.pool = append(g.pool, h) }

// gradients computes the gradients and hessians of the half losses
// scikit-learn uses at the raw predictions.
func (g *grower) gradients(y, raw []float64) {
	grad, hess, power := g.grad, g.hess, g.st.power
	switch g.st.loss {
	case LossSquaredError:
		// The hessians stay 1 (set before the first iteration).
		for i, v := range y {
			grad[i] = float32(raw[i] - v)
		}
	case LossPoisson:
		for i, v := range y {
			mu := math.Exp(raw[i])
			grad[i], hess[i] = float32(mu-v), float32(mu)
		}
	case LossTweedie:
		for i, v := range y {
			a := math.Exp((1 - power) * raw[i])
			b := math.Exp((2 - power) * raw[i])
			grad[i] = float32(-v*a + b)
			hess[i] = float32(-v*(1-power)*a + (2-power)*b)
		}
	}
}

// newNode adds a node over idx[lo:hi] to the tree being grown.
func (g *grower) newNode(lo, hi, depth int) *hnode {
	g.nodeBuf = append(g.nodeBuf, hnode{lo: lo, hi: hi, depth: depth, id: g.t.addLeaf()})
	nd := &g.nodeBuf[len(g.nodeBuf)-1]
	g.nodes = append(g.nodes, nd)
	return nd
}

// grow grows one tree best-first on the current gradients, sets its
// leaf values and adds them to raw.
func (g *grower) grow(raw []float64) *TreeModel {
	st := g.st
	for i := range g.idx {
		g.idx[i] = int32(i)
	}
	g.t = &TreeModel{Cols: g.cols}
	g.nodes, g.nodeBuf = g.nodes[:0], g.nodeBuf[:0]
	hs := g.hess
	if st.loss == LossSquaredError {
		hs = nil
	}
	root := g.newNode(0, g.n, 0)
	root.hist = g.getHist()
	g.histogram(root.hist, g.idx, hs)
	for _, i := range g.idx {
		root.g += float64(g.grad[i])
		root.h += float64(g.hess[i])
	}
	findSplit(root, g.offsets, st.minLeaf, st.l2, st.maxDepth)
	for leaves := 1; leaves < st.maxLeaves; leaves++ {
		// Best-first: split the open leaf with the largest gain.
		var best *hnode
		for _, nd := range g.nodes {
			if !nd.finished && nd.split && (best == nil || nd.gain > best.gain) {
				best = nd
			}
		}
		if best == nil {
			break
		}
		g.split(best, hs)
	}
	// Leaf values, shrunk, and the raw predictions they move.
	t := g.t
	for _, nd := range g.nodes {
		if nd.hist != nil {
			g.putHist(nd.hist)
			nd.hist = nil
		}
		if t.Feature[nd.id] >= 0 {
			continue
		}
		v := -st.lr * nd.g / (nd.h + st.l2 + 1e-15)
		t.Value[nd.id] = v
		for _, i := range g.idx[nd.lo:nd.hi] {
			raw[i] += v
		}
	}
	return t
}

// split splits node best at its best split: it partitions the node's
// rows, adds the two children, builds the smaller child's histogram and
// derives the larger's from the parent's, and finds the children's best
// splits.
func (g *grower) split(best *hnode, hs []float32) {
	st, t := g.st, g.t
	best.finished = true
	f := best.feature
	col := g.xb[f*g.n : (f+1)*g.n]
	rows := g.idx[best.lo:best.hi]
	l, r := 0, len(rows)-1
	for l <= r {
		if col[rows[l]] <= best.bin {
			l++
		} else {
			rows[l], rows[r] = rows[r], rows[l]
			r--
		}
	}
	left := g.newNode(best.lo, best.lo+l, best.depth+1)
	right := g.newNode(best.lo+l, best.hi, best.depth+1)
	left.g, left.h = best.gl, best.hl
	right.g, right.h = best.g-best.gl, best.h-best.hl
	t.Feature[best.id] = int32(f)
	t.Threshold[best.id] = g.thresholds[f][best.bin]
	t.Left[best.id], t.Right[best.id] = left.id, right.id
	// Histogram subtraction: build the smaller child, derive the larger
	// from its parent.
	small, large := left, right
	if small.hi-small.lo > large.hi-large.lo {
		small, large = large, small
	}
	small.hist = g.getHist()
	g.histogram(small.hist, g.idx[small.lo:small.hi], hs)
	large.hist = best.hist
	best.hist = nil
	for k := range large.hist {
		l, sm := &large.hist[k], &small.hist[k]
		l.n -= sm.n
		// A bin the node has no rows in gets exactly zero sums, not the
		// rounding residue of the subtraction: see keepIfNonEmpty.
		keep := keepIfNonEmpty(l.n)
		l.g = math.Float64frombits(math.Float64bits(l.g-sm.g) & keep)
		l.h = math.Float64frombits(math.Float64bits(l.h-sm.h) & keep)
	}
	findSplit(left, g.offsets, st.minLeaf, st.l2, st.maxDepth)
	findSplit(right, g.offsets, st.minLeaf, st.l2, st.maxDepth)
}

// keepIfNonEmpty is all ones for a bin with rows, zero for an empty one:
// a mask that zeroes an empty bin's gradient and hessian sums without a
// branch (a node's empty bins follow no pattern the CPU could predict).
//
// The zeros matter for the splits. Between two training values a node
// has, every empty bin is an equally good split of its rows; with exact
// zeros the scan keeps the first, as scikit-learn's does (its gradients
// are float32, which float64 sums hold exactly in practice, so its
// subtracted empty bins come out zero). The residues of float64
// gradients (about 1e-17) let rounding pick a later bin instead: the
// same partition of the training rows, but a different threshold, which
// moved test predictions of the Tweedie (power 1.8) golden by 0.3%.
func keepIfNonEmpty(n int32) uint64 {
	var m uint64
	if n != 0 {
		m = ^uint64(0)
	}
	return m
}

// findSplit finds the node's best split over all features and bins: the
// largest gain G_L²/(H_L+λ) + G_R²/(H_R+λ) - G²/(H+λ) with at least
// minLeaf rows and a hessian sum of 1e-3 on each side, as
// scikit-learn's splitter (min_gain_to_split 0).
func findSplit(nd *hnode, offsets []int, minLeaf int, l2 float64, maxDepth int) {
	const minHess = 1e-3
	cols := len(offsets) - 1
	nd.split = false
	count := nd.hi - nd.lo
	if nd.depth >= maxDepth || count < 2*minLeaf || nd.h < 2*minHess {
		return
	}
	parent := nd.g * nd.g / (nd.h + l2)
	best := 0.0
	for f := 0; f < cols; f++ {
		hist := nd.hist[offsets[f]:offsets[f+1]]
		var gl, hl float64
		nl := 0
		for b := 0; b < len(hist)-1; b++ {
			gl += hist[b].g
			hl += hist[b].h
			nl += int(hist[b].n)
			if nl < minLeaf || hl < minHess {
				continue
			}
			nr := count - nl
			if nr < minLeaf {
				break
			}
			hr := nd.h - hl
			if hr < minHess {
				break
			}
			gr := nd.g - gl
			gain := gl*gl/(hl+l2) + gr*gr/(hr+l2) - parent
			if gain > best {
				best = gain
				nd.split, nd.gain, nd.feature, nd.bin = true, gain, f, uint8(b)
				nd.gl, nd.hl, nd.nl = gl, hl, nl
			}
		}
	}
}

// rowBins lays the column-major bins xb out row by row as indexes into
// the whole histogram (offsets[f] + bin).
func rowBins[T uint16 | uint32](xb []uint8, offsets []int, n, cols int) []T {
	xbr := make([]T, n*cols)
	for f := 0; f < cols; f++ {
		off := T(offsets[f])
		for i, b := range xb[f*n : (f+1)*n] {
			xbr[i*cols+f] = off + T(b)
		}
	}
	return xbr
}

// buildHist sums gradients, hessians and counts per (feature, bin) over
// rows.
//
// With hess nil (the squared error, whose hessians are all 1) the hessian
// sums are the counts, filled in after the loop: the hot loop then reads
// one array fewer, as scikit-learn's hessians_are_constant path.
func buildHist[T uint16 | uint32](hist []hbin, rows []int32, xbr []T, cols int, grad, hess []float32) {
	clear(hist)
	// Row-major bins: one row's bins for every feature sit in one cache
	// line, so a node whose rows are scattered costs one miss per row
	// rather than one per row and feature; and consecutive updates go to
	// different features' bins, so they do not wait on each other.
	if hess == nil {
		for _, i := range rows {
			g := float64(grad[i])
			for _, k := range xbr[int(i)*cols : (int(i)+1)*cols] {
				b := &hist[k]
				b.g += g
				b.n++
			}
		}
		for k := range hist {
			hist[k].h = float64(hist[k].n)
		}
		return
	}
	for _, i := range rows {
		g, h := float64(grad[i]), float64(hess[i])
		for _, k := range xbr[int(i)*cols : (int(i)+1)*cols] {
			b := &hist[k]
			b.g += g
			b.h += h
			b.n++
		}
	}
}

// binColumns finds each column's bin thresholds as scikit-learn's
// _find_binning_thresholds (midpoints of distinct values when there are at
// most maxBins, else midpoint percentiles) and returns them with the
// binned data, column-major. Bin b holds thresholds[b-1] < x <=
// thresholds[b]; the last bin has threshold +Inf.
//
// The thresholds are computed with numpy's arithmetic, to the last bit,
// so that every value falls in the bin it falls in in scikit-learn: a
// threshold off by an ulp can move a value lying at it (a midpoint
// percentile is often a data value itself), and the trees differ from
// there on. Computing the percentile's index as k/maxBins·(n-1), for
// one, gave exactly 433 where numpy's rounding gives 433.00000000000006,
// hence a data value instead of a midpoint: a threshold of
// testdata/real.csv 7 ulps off. Duplicate percentile thresholds are
// dropped (scikit-learn keeps them as empty bins, which cannot change a
// split), and there is no 200,000-row subsample.
func binColumns(x []float64, n, cols, maxBins int) ([][]float64, []uint8) {
	thresholds := make([][]float64, cols)
	xb := make([]uint8, n*cols)
	col := make([]float64, n)
	keys, tk := make([]uint64, n), make([]uint64, n)
	var padded [256]float64
	// np.linspace(0, 100, maxBins+1)[1:-1] / 100: k·(100/maxBins), then
	// divided by 100, rounded at each step as numpy rounds them.
	step := 100 / float64(maxBins)
	for f := 0; f < cols; f++ {
		for i := 0; i < n; i++ {
			col[i] = x[i*cols+f]
		}
		sortFloats(col, keys, tk)
		distinct := slices.Compact(slices.Clone(col))
		var th []float64
		if len(distinct) <= maxBins {
			th = make([]float64, 0, len(distinct))
			for k := 0; k+1 < len(distinct); k++ {
				// (a[:-1] + a[1:]) * 0.5, unless the sum overflows.
				a, b := distinct[k], distinct[k+1]
				m := (a + b) * 0.5
				if math.IsInf(m, 0) {
					m = a/2 + b/2
				}
				th = append(th, m)
			}
		} else {
			th = make([]float64, 0, maxBins)
			for k := 1; k < maxBins; k++ {
				// np.percentile(col, k·100/maxBins, method="midpoint"):
				// the virtual index (n-1)·q, and the mean of the values
				// either side of it (numpy's _lerp at 0.5), or the value
				// itself when it is a whole number.
				q := float64(k) * step / 100
				pos := float64(n-1) * q
				lo := math.Floor(pos)
				a := col[int(lo)]
				if lo == pos {
					th = append(th, a)
					continue
				}
				b := col[int(lo)+1]
				th = append(th, b-(b-a)*0.5)
			}
			th = slices.Compact(th)
		}
		th = append(th, math.Inf(1))
		thresholds[f] = th
		copy(padded[:], th)
		for k := len(th); k < len(padded); k++ {
			padded[k] = math.Inf(1)
		}
		for i := 0; i < n; i++ {
			xb[f*n+i] = binOf(&padded, x[i*cols+f]) // first threshold >= x
		}
	}
	return thresholds, xb
}
