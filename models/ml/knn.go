package ml

import (
	"context"
	"fmt"
	"math"
	"sync"
)

// KNN is k-nearest-neighbours regression with Euclidean distance, as
// scikit-learn's KNeighborsRegressor. Features should be on comparable
// scales (see Imputer).
//
// Small training sets (the few hundred rows of one series) are searched
// by brute force, a linear scan of contiguous memory that abandons a row
// once its partial distance passes the K-th best. Large ones (pooled
// designs) get a KD-tree, built on the first prediction; it returns the
// same neighbours as the scan, ties included (the earlier training row
// wins), so predictions do not depend on the search.
type KNN struct {
	// K is the number of neighbours; default 5.
	K int `json:"k,omitempty"`
	// Distance weights neighbours by inverse distance (scikit-learn's
	// weights="distance"); the default weighs them uniformly. A training
	// row at distance zero then takes all the weight.
	Distance bool `json:"distance,omitempty"`
}

// KNNModel is a fitted k-nearest-neighbours regressor: the training data.
type KNNModel struct {
	K        int       `json:"k"`
	Distance bool      `json:"distance,omitempty"`
	Cols     int       `json:"cols"`
	X        []float64 `json:"x"`
	Y        []float64 `json:"y"`

	once sync.Once
	kd   *kdTree
}

// kdMinRows is the training size from which Predict uses a KD-tree: below
// it, building the tree costs more than the scans it saves.
const kdMinRows = 4096

// Fit keeps the training data: x and y themselves, not copies, as
// scikit-learn keeps its arrays (copying a pooled 150,000-row design cost
// more than the rest of the fit). The caller must not modify them while
// the model is in use.
func (k KNN) Fit(ctx context.Context, x []float64, cols int, y []float64) (*KNNModel, error) {
	if k.K < 0 {
		panic("ml: KNN.K must be >= 0")
	}
	kk := orDefault(k.K, 5)
	if _, err := checkXY("knn", x, cols, y, kk); err != nil {
		return nil, err
	}
	if err := ctxErr(ctx, "knn"); err != nil {
		return nil, err
	}
	return &KNNModel{K: kk, Distance: k.Distance, Cols: cols, X: x, Y: y}, nil
}

// knnStack is the neighbour count up to which Predict keeps its
// candidates on the stack and allocates nothing.
const knnStack = 32

// neighbours holds the K best candidates so far, sorted by (distance,
// training row): the row order breaks ties as a scan in row order would.
type neighbours struct {
	k    int
	dist []float64
	idx  []int32
}

// worst is the distance a candidate must not exceed to enter.
func (nb *neighbours) worst() float64 {
	if len(nb.dist) < nb.k {
		return math.Inf(1)
	}
	return nb.dist[nb.k-1]
}

func (nb *neighbours) push(d float64, i int32) {
	if len(nb.dist) == nb.k {
		w, wi := nb.dist[nb.k-1], nb.idx[nb.k-1]
		if d > w || (d == w && i > wi) {
			return
		}
	} else {
		nb.dist, nb.idx = append(nb.dist, 0), append(nb.idx, 0)
	}
	p := len(nb.dist) - 1
	for p > 0 && (nb.dist[p-1] > d || (nb.dist[p-1] == d && nb.idx[p-1] > i)) {
		nb.dist[p], nb.idx[p] = nb.dist[p-1], nb.idx[p-1]
		p--
	}
	nb.dist[p], nb.idx[p] = d, i
}

// sqDist is the squared distance between row and x, or a partial sum
// greater than bound once it is clear the distance exceeds bound: most
// training rows are far, so this skips most of the arithmetic. The
// summation order is fixed, so a full distance is the same wherever it
// is computed.
func sqDist(row, x []float64, bound float64) float64 {
	x = x[:len(row)]
	var d float64
	j := 0
	for ; j+4 <= len(row); j += 4 {
		r, q := row[j:j+4:j+4], x[j:j+4:j+4]
		t0, t1, t2, t3 := r[0]-q[0], r[1]-q[1], r[2]-q[2], r[3]-q[3]
		d += t0*t0 + t1*t1 + t2*t2 + t3*t3
		if d > bound {
			return d
		}
	}
	for ; j < len(row); j++ {
		t := row[j] - x[j]
		d += t * t
	}
	return d
}

// Predict returns the (weighted) mean target of the K nearest training
// rows. Ties in distance go to the earlier training row.
func (m *KNNModel) Predict(x []float64) float64 {
	checkRow("KNNModel", x, m.Cols)
	var dBuf [knnStack]float64
	var iBuf [knnStack]int32
	nb := neighbours{k: m.K}
	if m.K <= knnStack {
		nb.dist, nb.idx = dBuf[:0], iBuf[:0]
	} else {
		nb.dist, nb.idx = make([]float64, 0, m.K), make([]int32, 0, m.K)
	}
	n := len(m.Y)
	if n >= kdMinRows {
		m.once.Do(func() { m.kd = buildKD(m.X, m.Cols, n) })
		m.kd.search(x, &nb, 0)
	} else {
		for i := 0; i < n; i++ {
			d := sqDist(m.X[i*m.Cols:(i+1)*m.Cols], x, nb.worst())
			nb.push(d, int32(i))
		}
	}
	return m.weighted(nb)
}

// weighted is the prediction from the neighbours found.
func (m *KNNModel) weighted(nb neighbours) float64 {
	if !m.Distance {
		var s float64
		for _, i := range nb.idx {
			s += m.Y[i]
		}
		return s / float64(len(nb.idx))
	}
	if nb.dist[0] == 0 {
		// Exact matches take all the weight, equally.
		var s float64
		c := 0
		for p, d := range nb.dist {
			if d == 0 {
				s += m.Y[nb.idx[p]]
				c++
			}
		}
		return s / float64(c)
	}
	var s, ws float64
	for p, d := range nb.dist {
		w := 1 / math.Sqrt(d)
		s += w * m.Y[nb.idx[p]]
		ws += w
	}
	return s / ws
}

// PredictBatch writes the predictions for the rows of x into dst (grown if
// short) and returns it.
func (m *KNNModel) PredictBatch(dst, x []float64) []float64 {
	return predictBatch(dst, x, m.Cols, m.Predict)
}

func (m *KNNModel) String() string { return fmt.Sprintf("KNNModel(k=%d, %d rows)", m.K, len(m.Y)) }

// kdTree is a KD-tree over the training rows, split at the median of the
// widest dimension, with the rows copied in tree order so that a leaf's
// rows are contiguous.
type kdTree struct {
	cols  int
	x     []float64 // rows in tree order
	orig  []int32   // training row of each tree-order row
	nodes []kdNode
}

type kdNode struct {
	dim         int32 // -1 for a leaf
	split       float64
	lo, hi      int32 // tree-order rows of a leaf
	left, right int32
}

const kdLeaf = 32

func buildKD(x []float64, cols, n int) *kdTree {
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	t := &kdTree{cols: cols}
	t.build(x, perm, 0, n)
	t.x = make([]float64, n*cols)
	t.orig = perm
	for p, i := range perm {
		copy(t.x[p*cols:(p+1)*cols], x[int(i)*cols:(int(i)+1)*cols])
	}
	return t
}

// build makes the node for perm[lo:hi] and returns its index.
func (t *kdTree) build(x []float64, perm []int32, lo, hi int) int32 {
	id := int32(len(t.nodes))
	t.nodes = append(t.nodes, kdNode{dim: -1, lo: int32(lo), hi: int32(hi), left: -1, right: -1})
	if hi-lo <= kdLeaf {
		return id
	}
	cols := t.cols
	best, spread := 0, -1.0
	for j := 0; j < cols; j++ {
		mn, mx := math.Inf(1), math.Inf(-1)
		for _, i := range perm[lo:hi] {
			v := x[int(i)*cols+j]
			if v < mn {
				mn = v
			}
			if v > mx {
				mx = v
			}
		}
		if mx-mn > spread {
			best, spread = j, mx-mn
		}
	}
	if spread <= 0 {
		return id // all rows identical: a leaf
	}
	mid := (lo + hi) / 2
	quickselect(x, cols, best, perm[lo:hi], mid-lo)
	split := x[int(perm[mid])*cols+best]
	l := t.build(x, perm, lo, mid)
	r := t.build(x, perm, mid, hi)
	t.nodes[id].dim, t.nodes[id].split, t.nodes[id].left, t.nodes[id].right = int32(best), split, l, r
	return id
}

// quickselect reorders perm so that perm[k] holds the row with the k-th
// smallest value of column dim, smaller-or-equal ones before it and
// greater-or-equal ones after.
func quickselect(x []float64, cols, dim int, perm []int32, k int) {
	val := func(p int) float64 { return x[int(perm[p])*cols+dim] }
	lo, hi := 0, len(perm)-1
	for lo < hi {
		// Median of three pivot, then Hoare partition.
		mid := lo + (hi-lo)/2
		a, b, c := val(lo), val(mid), val(hi)
		pivot := math.Max(math.Min(a, b), math.Min(math.Max(a, b), c))
		i, j := lo, hi
		for i <= j {
			for val(i) < pivot {
				i++
			}
			for val(j) > pivot {
				j--
			}
			if i <= j {
				perm[i], perm[j] = perm[j], perm[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return
		}
	}
}

// search visits node, nearer child first, and skips a far child whose
// splitting plane is farther than the K-th best distance.
func (t *kdTree) search(q []float64, nb *neighbours, node int32) {
	nd := &t.nodes[node]
	if nd.dim < 0 {
		for p := nd.lo; p < nd.hi; p++ {
			d := sqDist(t.x[int(p)*t.cols:(int(p)+1)*t.cols], q, nb.worst())
			nb.push(d, t.orig[p])
		}
		return
	}
	diff := q[nd.dim] - nd.split
	near, far := nd.left, nd.right
	if diff > 0 {
		near, far = far, near
	}
	t.search(q, nb, near)
	if diff*diff <= nb.worst() {
		t.search(q, nb, far)
	}
}
