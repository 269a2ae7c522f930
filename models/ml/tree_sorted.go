package ml

import (
	"context"
	"math"
)

// presorted holds, for one tree, every feature's sample positions in
// ascending order of that feature, with the values alongside. A node is
// a range [lo, hi) that is valid in every feature's arrays at once, so
// finding a split is a linear scan instead of a sort per node and
// feature; splitting a node partitions each feature's range stably,
// which keeps it sorted. This is the classic presorted CART (and
// scikit-learn's former presort option); per level it costs O(rows ×
// features) where sorting costs O(rows × log rows × features).
type presorted struct {
	rowOrder [][]int32   // per feature, the rows sorted by value; shared by all trees
	rowVal   [][]float64 // the values in that order
	ord      [][]int32   // per feature, positions (indices into idx) in order
	val      [][]float64
	yp       []float64 // target of each position
	left     []bool    // per position: goes left at the current split
	rstart   []int32   // counting sort of positions by row
	byRow    []int32
	tmpOrd   []int32
	tmpVal   []float64
}

// presort sorts the rows by each feature once; trees reuse the orders.
func (b *treeBuilder) presort() {
	n := len(b.y)
	ps := &presorted{rowOrder: make([][]int32, b.cols), rowVal: make([][]float64, b.cols)}
	for f := 0; f < b.cols; f++ {
		order := make([]int32, n)
		vals := make([]float64, n)
		for i := range order {
			order[i] = int32(i)
		}
		copy(vals, b.xt[f*n:(f+1)*n])
		sortPairs(vals, order)
		ps.rowOrder[f], ps.rowVal[f] = order, vals
	}
	ps.ord = make([][]int32, b.cols)
	ps.val = make([][]float64, b.cols)
	b.ps = ps
}

// buildSorted grows a CART tree on the positions of idx (rows, possibly
// repeated) with presorted features.
func (b *treeBuilder) buildSorted(ctx context.Context, name string, idx []int32) (*TreeModel, error) {
	if b.ps == nil {
		b.presort()
	}
	ps := b.ps
	n, m := len(b.y), len(idx)
	ps.yp = grow(ps.yp, m)
	ps.left = growBool(ps.left, m)
	ps.tmpOrd = growInt32(ps.tmpOrd, m)
	ps.tmpVal = grow(ps.tmpVal, m)
	// Counting sort of positions by row, so each feature's row order
	// expands into a position order in O(rows + positions).
	ps.rstart = growInt32(ps.rstart, n+1)
	clear(ps.rstart)
	for _, r := range idx {
		ps.rstart[r+1]++
	}
	for r := 0; r < n; r++ {
		ps.rstart[r+1] += ps.rstart[r]
	}
	ps.byRow = growInt32(ps.byRow, m)
	fill := ps.tmpOrd[:n]
	copy(fill, ps.rstart[:n])
	for pos, r := range idx {
		ps.byRow[fill[r]] = int32(pos)
		fill[r]++
		ps.yp[pos] = b.y[r]
	}
	for f := 0; f < b.cols; f++ {
		ps.ord[f] = growInt32(ps.ord[f], m)
		ps.val[f] = grow(ps.val[f], m)
		ord, val := ps.ord[f], ps.val[f]
		k := 0
		rv := ps.rowVal[f]
		for q, r := range ps.rowOrder[f] {
			v := rv[q]
			for _, pos := range ps.byRow[ps.rstart[r]:ps.rstart[r+1]] {
				ord[k], val[k] = pos, v
				k++
			}
		}
	}

	b.start(m)
	for steps := 0; len(b.stack) > 0; steps++ {
		t, err := b.pop(ctx, name, steps)
		if err != nil {
			return nil, err
		}
		var sum, sumSq float64
		for _, pos := range ps.ord[0][t.lo:t.hi] {
			v := ps.yp[pos]
			sum += v
			sumSq += v * v
		}
		cnt := t.hi - t.lo
		fn := float64(cnt)
		b.m.Value[t.node] = sum / fn
		impurity := sumSq/fn - (sum/fn)*(sum/fn)
		if t.depth >= b.p.maxDepth || cnt < b.p.minSplit || cnt < 2*b.p.minLeaf ||
			impurity <= 1e-12*math.Max(1, sumSq/fn) {
			continue
		}
		f, thr, ok := b.bestSplitSorted(t.lo, t.hi, sum)
		if !ok {
			continue
		}
		nl := 0
		for k, pos := range ps.ord[f][t.lo:t.hi] {
			l := ps.val[f][t.lo+k] <= thr
			ps.left[pos] = l
			if l {
				nl++
			}
		}
		for g := 0; g < b.cols; g++ {
			stablePartition(ps.ord[g][t.lo:t.hi], ps.val[g][t.lo:t.hi], ps.left, ps.tmpOrd, ps.tmpVal)
		}
		b.split(t, f, thr, nl)
	}
	return b.m, nil
}

// bestSplitSorted is bestSplit on presorted ranges: same feature draws,
// same criterion, same thresholds.
func (b *treeBuilder) bestSplitSorted(lo, hi int, sum float64) (feature int, threshold float64, ok bool) {
	ps := b.ps
	n := hi - lo
	minLeaf := b.p.minLeaf
	best := sum*sum/float64(n) + 1e-12*math.Abs(sum*sum/float64(n))
	visited := 0
	for k := 0; k < b.cols && visited < b.p.maxFeat; k++ {
		j := k + b.rng.IntN(b.cols-k)
		b.feats[k], b.feats[j] = b.feats[j], b.feats[k]
		f := b.feats[k]
		xf := ps.val[f][lo:hi]
		ord := ps.ord[f][lo:hi]
		if xf[n-1] <= xf[0]+featureThreshold {
			continue
		}
		visited++
		if pr, thr, found := scanSorted(xf, ord, ps.yp, sum, minLeaf, best); found {
			best, feature, threshold, ok = pr, f, thr, true
		}
	}
	return feature, threshold, ok
}

// stablePartition moves the positions flagged left to the front of ord
// (and val alongside), keeping the order within each side.
func stablePartition(ord []int32, val []float64, left []bool, tmpOrd []int32, tmpVal []float64) {
	w, r := 0, 0
	for k, pos := range ord {
		if left[pos] {
			ord[w], val[w] = pos, val[k]
			w++
		} else {
			tmpOrd[r], tmpVal[r] = pos, val[k]
			r++
		}
	}
	copy(ord[w:], tmpOrd[:r])
	copy(val[w:], tmpVal[:r])
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

func growInt32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

func growBool(s []bool, n int) []bool {
	if cap(s) < n {
		return make([]bool, n)
	}
	return s[:n]
}
