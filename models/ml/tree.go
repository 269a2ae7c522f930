package ml

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// Tree is a CART regression tree with squared-error splits, as
// scikit-learn's DecisionTreeRegressor (best splitter).
type Tree struct {
	// MaxDepth bounds the depth; default 0 means unlimited (scikit-learn's
	// None): grow until leaves are pure or too small to split.
	MaxDepth int `json:"max_depth,omitempty"`
	// MinSamplesSplit is the fewest rows a node needs to be split;
	// default 2.
	MinSamplesSplit int `json:"min_samples_split,omitempty"`
	// MinSamplesLeaf is the fewest rows each child must keep; default 1.
	MinSamplesLeaf int `json:"min_samples_leaf,omitempty"`
	// MaxFeatures is the share of features, in (0, 1], drawn at random
	// and searched at each split; default 1 (all, in random order).
	MaxFeatures float64 `json:"max_features,omitempty"`
	// Seed seeds the feature order, which decides between equally good
	// splits.
	Seed uint64 `json:"seed,omitempty"`
}

// TreeModel is a fitted regression tree, stored as parallel arrays of
// nodes (node 0 is the root). A node with Feature -1 is a leaf.
type TreeModel struct {
	Cols      int       `json:"cols"`
	Feature   []int32   `json:"feature"`
	Threshold []float64 `json:"threshold"`
	Left      []int32   `json:"left"`
	Right     []int32   `json:"right"`
	Value     []float64 `json:"value"`

	packOnce sync.Once
	pack     *packedTree
}

// Predict walks the tree: x[Feature] <= Threshold goes left.
func (m *TreeModel) Predict(x []float64) float64 {
	checkRow("TreeModel", x, m.Cols)
	return m.leaf(x)
}

// leaf walks the tree (see packedTree); NaN features go right.
func (m *TreeModel) leaf(x []float64) float64 { return m.packed().leaf(x) }

// PredictBatch writes the predictions for the rows of x into dst (grown if
// short) and returns it.
func (m *TreeModel) PredictBatch(dst, x []float64) []float64 {
	return sumTrees(dst, x, m.Cols, []*TreeModel{m}, 0)
}

// NumNodes is the number of nodes, leaves included.
func (m *TreeModel) NumNodes() int { return len(m.Feature) }

// addLeaf appends a leaf of value 0, for a grower to split or fill in,
// and returns its index.
func (m *TreeModel) addLeaf() int32 {
	m.Feature = append(m.Feature, -1)
	m.Threshold = append(m.Threshold, 0)
	m.Left = append(m.Left, -1)
	m.Right = append(m.Right, -1)
	m.Value = append(m.Value, 0)
	return int32(len(m.Feature) - 1)
}

// Fit grows the tree on all rows.
func (t Tree) Fit(ctx context.Context, x []float64, cols int, y []float64) (*TreeModel, error) {
	n, err := checkXY("cart", x, cols, y, 2)
	if err != nil {
		return nil, err
	}
	b := newTreeBuilder(t.params(cols), x, cols, y, rand.New(rand.NewPCG(t.Seed, 0x9e3779b97f4a7c15)))
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i)
	}
	return b.build(ctx, "cart", idx)
}

type treeParams struct {
	maxDepth, minSplit, minLeaf, maxFeat int
	extra                                bool
}

func (t Tree) params(cols int) treeParams {
	if t.MaxDepth < 0 || t.MinSamplesSplit < 0 || t.MinSamplesLeaf < 0 || t.MaxFeatures < 0 || t.MaxFeatures > 1 {
		panic(fmt.Sprintf("ml: tree: invalid settings %+v", t))
	}
	p := treeParams{
		maxDepth: t.MaxDepth,
		minSplit: max(orDefault(t.MinSamplesSplit, 2), 2),
		minLeaf:  orDefault(t.MinSamplesLeaf, 1),
		maxFeat:  cols,
	}
	if p.maxDepth == 0 {
		p.maxDepth = math.MaxInt32
	}
	if t.MaxFeatures > 0 {
		p.maxFeat = max(1, int(t.MaxFeatures*float64(cols)))
	}
	return p
}

// featureThreshold is scikit-learn's FEATURE_THRESHOLD: values closer
// than this are treated as equal, so no split falls between them.
const featureThreshold = 1e-7

// treeBuilder grows one tree. Its scratch buffers are reused across the
// trees of a forest, so growing allocates only the node arrays.
type treeBuilder struct {
	p     treeParams
	x     []float64
	cols  int
	y     []float64
	rng   *rand.Rand
	xf    []float64 // feature values of the node's rows
	yr    []float64 // targets of the node's rows (extra trees)
	feats []int
	m     *TreeModel
	stack []treeTask
	ps    *presorted // CART only, built on first use
	// xt is x column-major: a node's values of one feature are then read
	// from one column (a few hundred KB even for 150,000 rows) instead of
	// strided across the whole matrix, which on large designs turned
	// every read into a cache miss.
	xt []float64
}

type treeTask struct {
	lo, hi, depth int
	node          int32
}

func newTreeBuilder(p treeParams, x []float64, cols int, y []float64, rng *rand.Rand) *treeBuilder {
	n := len(y)
	b := &treeBuilder{p: p, x: x, cols: cols, y: y, rng: rng,
		xf: make([]float64, n), yr: make([]float64, n), feats: make([]int, cols), xt: make([]float64, n*cols)}
	for i := 0; i < n; i++ {
		for j, v := range x[i*cols : (i+1)*cols] {
			b.xt[j*n+i] = v
		}
	}
	for j := range b.feats {
		b.feats[j] = j
	}
	return b
}

func (b *treeBuilder) addNode() int32 { return b.m.addLeaf() }

// start begins a new tree whose root covers tasks' rows [0, n).
func (b *treeBuilder) start(n int) {
	b.m = &TreeModel{Cols: b.cols}
	b.stack = append(b.stack[:0], treeTask{0, n, 0, b.addNode()})
}

// split makes task t's node split on feature f at thr, its first nl
// rows going left, and pushes the two children (left on top, so that the
// tree grows depth first, left first).
func (b *treeBuilder) split(t treeTask, f int, thr float64, nl int) {
	left, right := b.addNode(), b.addNode()
	b.m.Feature[t.node], b.m.Threshold[t.node] = int32(f), thr
	b.m.Left[t.node], b.m.Right[t.node] = left, right
	b.stack = append(b.stack,
		treeTask{t.lo + nl, t.hi, t.depth + 1, right},
		treeTask{t.lo, t.lo + nl, t.depth + 1, left})
}

// pop takes the next node to grow off the stack, checking ctx every
// ctxEvery steps.
func (b *treeBuilder) pop(ctx context.Context, name string, steps int) (treeTask, error) {
	if steps%ctxEvery == 0 {
		if err := ctxErr(ctx, name); err != nil {
			return treeTask{}, err
		}
	}
	t := b.stack[len(b.stack)-1]
	b.stack = b.stack[:len(b.stack)-1]
	return t, nil
}

// build grows a tree on the rows idx (which may repeat rows: a bootstrap
// sample), depth first. It reorders idx.
func (b *treeBuilder) build(ctx context.Context, name string, idx []int32) (*TreeModel, error) {
	if !b.p.extra {
		return b.buildSorted(ctx, name, idx)
	}
	b.start(len(idx))
	for steps := 0; len(b.stack) > 0; steps++ {
		t, err := b.pop(ctx, name, steps)
		if err != nil {
			return nil, err
		}
		rows := idx[t.lo:t.hi]
		var sum, sumSq float64
		for _, i := range rows {
			v := b.y[i]
			sum += v
			sumSq += v * v
		}
		n := float64(len(rows))
		b.m.Value[t.node] = sum / n
		impurity := sumSq/n - (sum/n)*(sum/n)
		if t.depth >= b.p.maxDepth || len(rows) < b.p.minSplit || len(rows) < 2*b.p.minLeaf ||
			impurity <= 1e-12*math.Max(1, sumSq/n) {
			continue
		}
		f, thr, ok := b.bestSplit(rows, sum)
		if !ok {
			continue
		}
		// Partition rows: <= thr to the front.
		col := b.xt[f*len(b.y) : (f+1)*len(b.y)]
		l, r := 0, len(rows)-1
		for l <= r {
			if col[rows[l]] <= thr {
				l++
			} else {
				rows[l], rows[r] = rows[r], rows[l]
				r--
			}
		}
		b.split(t, f, thr, l)
	}
	return b.m, nil
}

// bestSplit searches up to maxFeat non-constant features, drawn in random
// order, for the split that most reduces the squared error; it maximises
// the proxy sum_L²/n_L + sum_R²/n_R, as scikit-learn's MSE criterion does.
func (b *treeBuilder) bestSplit(rows []int32, sum float64) (feature int, threshold float64, ok bool) {
	n := len(rows)
	minLeaf := b.p.minLeaf
	best := sum*sum/float64(n) + 1e-12*math.Abs(sum*sum/float64(n))
	xf := b.xf[:n]
	// Extra trees scan the node's targets once per candidate feature:
	// gather them in node order once, so those scans are sequential.
	var yr []float64
	if b.p.extra {
		yr = b.yr[:n]
		for p, i := range rows {
			yr[p] = b.y[i]
		}
	}
	visited := 0
	for k := 0; k < b.cols && visited < b.p.maxFeat; k++ {
		// Partial Fisher-Yates: draw the next feature without replacement.
		j := k + b.rng.IntN(b.cols-k)
		b.feats[k], b.feats[j] = b.feats[j], b.feats[k]
		f := b.feats[k]
		// Plain comparisons: math.Min and math.Max handle NaN and -0,
		// which cannot occur here, at several times the cost.
		lo, hi := math.Inf(1), math.Inf(-1)
		col := b.xt[f*len(b.y) : (f+1)*len(b.y)]
		for p, i := range rows {
			v := col[i]
			xf[p] = v
			if v < lo {
				lo = v
			}
			if v > hi {
				hi = v
			}
		}
		if hi <= lo+featureThreshold {
			continue // constant here: does not count towards maxFeat
		}
		visited++
		if b.p.extra {
			// Extremely randomised: one uniform threshold per feature.
			thr := lo + b.rng.Float64()*(hi-lo)
			if thr >= hi {
				thr = lo
			}
			// Branch-free: which side a row falls is a coin toss the
			// predictor loses half the time. The mask keeps y or makes
			// it +0, and adding +0 leaves the sum exactly as the
			// branch would.
			var sl float64
			nl := 0
			yr := yr[:len(xf)]
			for p, v := range xf {
				var mask uint64
				if v <= thr {
					mask = ^uint64(0)
				}
				sl += math.Float64frombits(math.Float64bits(yr[p]) & mask)
				nl += int(mask & 1)
			}
			if nl < minLeaf || n-nl < minLeaf {
				continue
			}
			sr := sum - sl
			if pr := sl*sl/float64(nl) + sr*sr/float64(n-nl); pr > best {
				best, feature, threshold, ok = pr, f, thr, true
			}
			continue
		}
		sortPairs(xf, rows)
		if pr, thr, found := scanSorted(xf, rows, b.y, sum, minLeaf, best); found {
			best, feature, threshold, ok = pr, f, thr, true
		}
	}
	return feature, threshold, ok
}

// scanSorted finds the best squared-error split of one feature whose
// values xf are sorted, y[idx[p]] being the target at position p: the
// proxy sl²/nl + sr²/nr that beats best, with its threshold halfway
// between neighbours (as sklearn), and found false when none beats it.
// Both the per-node sort and the presorted builder scan this way.
func scanSorted(xf []float64, idx []int32, y []float64, sum float64, minLeaf int, best float64) (proxy, threshold float64, found bool) {
	n := len(xf)
	var sl float64
	for p := 0; p < n-1; p++ {
		sl += y[idx[p]]
		nl := p + 1
		if xf[p+1] <= xf[p]+featureThreshold || nl < minLeaf {
			continue
		}
		if n-nl < minLeaf {
			break
		}
		sr := sum - sl
		if pr := sl*sl/float64(nl) + sr*sr/float64(n-nl); pr > best {
			thr := xf[p]/2 + xf[p+1]/2
			if thr >= xf[p+1] || math.IsInf(thr, 0) {
				thr = xf[p]
			}
			best, proxy, threshold, found = pr, pr, thr, true
		}
	}
	return proxy, threshold, found
}

// sortPairs sorts v ascending, applying the same permutation to idx: a
// three-way quicksort (feature columns are full of ties: lags of integer
// sales, calendar fields) with insertion sort for short runs.
func sortPairs(v []float64, idx []int32) {
	for len(v) > 16 {
		// Median of three as pivot.
		a, b, c := v[0], v[len(v)/2], v[len(v)-1]
		pivot := math.Max(math.Min(a, b), math.Min(math.Max(a, b), c))
		lt, i, gt := 0, 0, len(v)
		for i < gt {
			switch {
			case v[i] < pivot:
				v[lt], v[i] = v[i], v[lt]
				idx[lt], idx[i] = idx[i], idx[lt]
				lt++
				i++
			case v[i] > pivot:
				gt--
				v[gt], v[i] = v[i], v[gt]
				idx[gt], idx[i] = idx[i], idx[gt]
			default:
				i++
			}
		}
		// Recurse into the smaller side, loop on the larger: O(log n) stack.
		if lt < len(v)-gt {
			sortPairs(v[:lt], idx[:lt])
			v, idx = v[gt:], idx[gt:]
		} else {
			sortPairs(v[gt:], idx[gt:])
			v, idx = v[:lt], idx[:lt]
		}
	}
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j] < v[j-1]; j-- {
			v[j], v[j-1] = v[j-1], v[j]
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
}
