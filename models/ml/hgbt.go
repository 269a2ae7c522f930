package ml

import (
	"context"
	"fmt"
	"math"
	"slices"
)

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
	// Loss is "squared_error" (default), "poisson" (log link; targets
	// must be non-negative with a positive sum) or "tweedie" (log link
	// with TweediePower).
	Loss string `json:"loss,omitempty"`
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

// Fit boosts MaxIter trees.
func (hb HGBT) Fit(ctx context.Context, x []float64, cols int, y []float64) (*Boosted, error) {
	if hb.LearningRate < 0 || hb.MaxIter < 0 || hb.MaxLeafNodes < 0 || hb.MaxLeafNodes == 1 ||
		hb.MinSamplesLeaf < 0 || hb.L2 < 0 || hb.MaxBins < 0 || hb.MaxBins > 255 || hb.MaxDepth < 0 {
		panic(fmt.Sprintf("ml: hgbt: invalid settings %+v", hb))
	}
	loss := orDefault(hb.Loss, "squared_error")
	power := orDefault(hb.TweediePower, 1.5)
	switch loss {
	case "squared_error", "poisson":
	case "tweedie":
		if power <= 1 || power >= 2 {
			panic("ml: hgbt: TweediePower must be in (1, 2)")
		}
	default:
		panic(fmt.Sprintf("ml: hgbt: unknown loss %q", loss))
	}
	lr := orDefault(hb.LearningRate, 0.1)
	iters := orDefault(hb.MaxIter, 100)
	maxLeaves := orDefault(hb.MaxLeafNodes, 31)
	maxDepth := hb.MaxDepth
	if maxDepth == 0 {
		maxDepth = math.MaxInt32
	}
	minLeaf := orDefault(hb.MinSamplesLeaf, 20)
	maxBins := orDefault(hb.MaxBins, 255)
	n, err := checkXY("hgbt", x, cols, y, 2)
	if err != nil {
		return nil, err
	}
	logLink := loss != "squared_error"
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
	if err := ctxErr(ctx, "hgbt"); err != nil {
		return nil, err
	}

	thresholds, xb := binColumns(x, n, cols, maxBins)
	// Histograms hold only the bins each feature has (calendar fields
	// and lags of small counts have far fewer than 255), which cuts both
	// building and scanning them.
	offsets := make([]int, cols+1)
	for f, th := range thresholds {
		offsets[f+1] = offsets[f] + len(th)
	}
	totalBins := offsets[cols]
	// The bins row-major for the histograms, as indexes into the whole
	// histogram: the feature's offset is added once here rather than on
	// each of the hundreds of millions of updates (about 18% of a Poisson
	// fit on 150,000 rows). Two bytes an index unless a very wide design
	// has more than 65,536 bins in all.
	var xbr16 []uint16
	var xbr32 []uint32
	if totalBins <= math.MaxUint16+1 {
		xbr16 = rowBins[uint16](xb, offsets, n, cols)
	} else {
		xbr32 = rowBins[uint32](xb, offsets, n, cols)
	}
	histogram := func(hist []hbin, rows []int32, gs, hs []float32) {
		if xbr16 != nil {
			buildHist(hist, rows, xbr16, cols, gs, hs)
		} else {
			buildHist(hist, rows, xbr32, cols, gs, hs)
		}
	}
	raw := make([]float64, n)
	for i := range raw {
		raw[i] = m.Baseline
	}
	// Gradients and hessians are stored in float32, as scikit-learn
	// stores them (G_H_DTYPE), and summed in float64: the same rounding
	// as there, and half the memory the histogram loops gather from.
	grad := make([]float32, n)
	hess := make([]float32, n)
	if loss == "squared_error" {
		for i := range hess {
			hess[i] = 1
		}
	}
	idx := make([]int32, n)
	// Histogram pool: at most 2 per leaf are alive at once.
	var pool [][]hbin
	getHist := func() []hbin {
		if k := len(pool); k > 0 {
			h := pool[k-1]
			pool = pool[:k-1]
			return h
		}
		return make([]hbin, totalBins)
	}
	putHist := func(h []hbin) { pool = append(pool, h) }
	nodes := make([]*hnode, 0, 2*maxLeaves)
	nodeBuf := make([]hnode, 0, 2*maxLeaves)
	for it := 0; it < iters; it++ {
		if err := ctxErr(ctx, "hgbt"); err != nil {
			return nil, err
		}
		// Gradients and hessians of the half losses scikit-learn uses.
		switch loss {
		case "squared_error":
			// The hessians stay 1 (set before the first iteration).
			for i, v := range y {
				grad[i] = float32(raw[i] - v)
			}
		case "poisson":
			for i, v := range y {
				mu := math.Exp(raw[i])
				grad[i], hess[i] = float32(mu-v), float32(mu)
			}
		case "tweedie":
			for i, v := range y {
				a := math.Exp((1 - power) * raw[i])
				b := math.Exp((2 - power) * raw[i])
				grad[i] = float32(-v*a + b)
				hess[i] = float32(-v*(1-power)*a + (2-power)*b)
			}
		}
		for i := range idx {
			idx[i] = int32(i)
		}
		t := &TreeModel{Cols: cols}
		addNode := func() int32 {
			t.Feature = append(t.Feature, -1)
			t.Threshold = append(t.Threshold, 0)
			t.Left = append(t.Left, -1)
			t.Right = append(t.Right, -1)
			t.Value = append(t.Value, 0)
			return int32(len(t.Feature) - 1)
		}
		nodes, nodeBuf = nodes[:0], nodeBuf[:0]
		newNode := func(lo, hi, depth int) *hnode {
			nodeBuf = append(nodeBuf, hnode{lo: lo, hi: hi, depth: depth, id: addNode()})
			nd := &nodeBuf[len(nodeBuf)-1]
			nodes = append(nodes, nd)
			return nd
		}
		root := newNode(0, n, 0)
		root.hist = getHist()
		hs := hess
		if loss == "squared_error" {
			hs = nil
		}
		histogram(root.hist, idx, grad, hs)
		for _, i := range idx {
			root.g += float64(grad[i])
			root.h += float64(hess[i])
		}
		findSplit(root, offsets, minLeaf, hb.L2, maxDepth)
		leaves := 1
		for leaves < maxLeaves {
			// Best-first: split the open leaf with the largest gain.
			var best *hnode
			for _, nd := range nodes {
				if !nd.finished && nd.split && (best == nil || nd.gain > best.gain) {
					best = nd
				}
			}
			if best == nil {
				break
			}
			best.finished = true
			f := best.feature
			col := xb[f*n : (f+1)*n]
			rows := idx[best.lo:best.hi]
			l, r := 0, len(rows)-1
			for l <= r {
				if col[rows[l]] <= best.bin {
					l++
				} else {
					rows[l], rows[r] = rows[r], rows[l]
					r--
				}
			}
			left := newNode(best.lo, best.lo+l, best.depth+1)
			right := newNode(best.lo+l, best.hi, best.depth+1)
			left.g, left.h = best.gl, best.hl
			right.g, right.h = best.g-best.gl, best.h-best.hl
			t.Feature[best.id] = int32(f)
			t.Threshold[best.id] = thresholds[f][best.bin]
			t.Left[best.id], t.Right[best.id] = left.id, right.id
			// Histogram subtraction: build the smaller child, derive
			// the larger from its parent.
			small, large := left, right
			if small.hi-small.lo > large.hi-large.lo {
				small, large = large, small
			}
			small.hist = getHist()
			histogram(small.hist, idx[small.lo:small.hi], grad, hs)
			large.hist = best.hist
			best.hist = nil
			for k := range large.hist {
				l, sm := &large.hist[k], &small.hist[k]
				l.n -= sm.n
				// A bin the node has no rows in gets exactly zero sums,
				// not the rounding residue of the subtraction: see
				// keepIfNonEmpty.
				keep := keepIfNonEmpty(l.n)
				l.g = math.Float64frombits(math.Float64bits(l.g-sm.g) & keep)
				l.h = math.Float64frombits(math.Float64bits(l.h-sm.h) & keep)
			}
			leaves++
			findSplit(left, offsets, minLeaf, hb.L2, maxDepth)
			findSplit(right, offsets, minLeaf, hb.L2, maxDepth)
		}
		// Leaf values, shrunk, and the raw predictions they move.
		for _, nd := range nodes {
			if nd.hist != nil {
				putHist(nd.hist)
				nd.hist = nil
			}
			if t.Feature[nd.id] >= 0 {
				continue
			}
			v := -lr * nd.g / (nd.h + hb.L2 + 1e-15)
			t.Value[nd.id] = v
			for _, i := range idx[nd.lo:nd.hi] {
				raw[i] += v
			}
		}
		m.Trees = append(m.Trees, t)
	}
	return m, nil
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
