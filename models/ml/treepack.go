package ml

import (
	"fmt"
	"math"
)

// packedTree is a TreeModel laid out for prediction, built from the
// exported arrays on first use (it is not serialised).
//
// The exported form keeps five parallel arrays, so one step of a walk
// touches up to five cache lines and ends in a data-dependent branch
// that mispredicts about half the time. Here a node is 16 bytes (four to
// a cache line), nodes are numbered breadth first with the two children
// of a node side by side, and a step is branch-free: i = left + (x > t).
// Every walk takes exactly depth steps: a leaf points at itself (its
// threshold is NaN, so the comparison always says "right", and its left
// is its own index minus one), so the loop has no exit test to
// mispredict either. NaN features go right, as in TreeModel.leaf.
type packedTree struct {
	nodes []packedNode
	value []float64 // by packed index; meaningful at leaves
	depth int
}

type packedNode struct {
	thr  float64
	feat int32
	left int32 // index of the left child; the right child is left+1
}

// packed returns the prediction layout, building it once.
func (m *TreeModel) packed() *packedTree {
	m.packOnce.Do(func() { m.pack = packTree(m) })
	return m.pack
}

func packTree(m *TreeModel) *packedTree {
	n := len(m.Feature)
	if n == 0 || len(m.Threshold) != n || len(m.Left) != n || len(m.Right) != n || len(m.Value) != n {
		panic(fmt.Sprintf("ml: TreeModel: inconsistent node arrays (%d features, %d thresholds, %d left, %d right, %d values)",
			n, len(m.Threshold), len(m.Left), len(m.Right), len(m.Value)))
	}
	p := &packedTree{nodes: make([]packedNode, n), value: make([]float64, n)}
	// Breadth-first: queue[k] is the original index of packed node k;
	// depth[k] its depth.
	queue := make([]int32, 1, n)
	depth := make([]int, 1, n)
	for k := 0; k < len(queue); k++ {
		o := queue[k]
		p.value[k] = m.Value[o]
		f := m.Feature[o]
		if f < 0 {
			p.nodes[k] = packedNode{thr: math.NaN(), feat: 0, left: int32(k) - 1}
			p.depth = max(p.depth, depth[k])
			continue
		}
		if len(queue)+2 > n {
			panic("ml: TreeModel: children beyond the node arrays")
		}
		p.nodes[k] = packedNode{thr: m.Threshold[o], feat: f, left: int32(len(queue))}
		queue = append(queue, m.Left[o], m.Right[o])
		depth = append(depth, depth[k]+1, depth[k]+1)
	}
	if len(queue) != n {
		panic(fmt.Sprintf("ml: TreeModel: %d of %d nodes reachable from the root", len(queue), n))
	}
	return p
}

// leaf returns the value of the leaf x falls in. A leaf is the one node
// whose left index is below its own (children come after their parent
// in breadth-first order), which ends the walk: one well-predicted exit
// test a step, and a walk as long as its path rather than the depth.
func (p *packedTree) leaf(x []float64) float64 {
	nodes := p.nodes
	i := int32(0)
	for {
		nd := nodes[i]
		if nd.left < i {
			return p.value[i]
		}
		var right int32
		if !(x[nd.feat] <= nd.thr) {
			right = 1
		}
		i = nd.left + right
	}
}

// add4 adds the leaf values of four rows to s: four independent walks in
// lockstep, so that one row's load latency overlaps the others'. A walk
// that reaches its leaf stays there (see packedTree); the loop ends when
// no index moved, so unbalanced trees (HGBT grows leaf-wise, 15-20 deep
// with 31 leaves) cost the four paths' longest, not the tree's depth.
func (p *packedTree) add4(s *[4]float64, x0, x1, x2, x3 []float64) {
	nodes := p.nodes
	var i0, i1, i2, i3 int32
	for d := p.depth; d > 0; d-- {
		n0, n1, n2, n3 := nodes[i0], nodes[i1], nodes[i2], nodes[i3]
		var r0, r1, r2, r3 int32
		if !(x0[n0.feat] <= n0.thr) {
			r0 = 1
		}
		if !(x1[n1.feat] <= n1.thr) {
			r1 = 1
		}
		if !(x2[n2.feat] <= n2.thr) {
			r2 = 1
		}
		if !(x3[n3.feat] <= n3.thr) {
			r3 = 1
		}
		j0, j1, j2, j3 := n0.left+r0, n1.left+r1, n2.left+r2, n3.left+r3
		moved := (j0 ^ i0) | (j1 ^ i1) | (j2 ^ i2) | (j3 ^ i3)
		i0, i1, i2, i3 = j0, j1, j2, j3
		if moved == 0 {
			break
		}
	}
	v := p.value
	s[0] += v[i0]
	s[1] += v[i1]
	s[2] += v[i2]
	s[3] += v[i3]
}

// sumTrees writes into dst, for each row of x, init plus the leaf values
// of the trees added in order (so each row's sum is exactly the one the
// per-row Predict computes). Trees are the outer loop in blocks of rows
// small enough to stay in cache, so that a tree's nodes stay in cache
// across the rows instead of being evicted by the other trees.
func sumTrees(dst, x []float64, cols int, trees []*TreeModel, init float64) []float64 {
	dst = batchDst(dst, x, cols)
	n := len(dst)
	for i := range dst {
		dst[i] = init
	}
	for k, t := range trees {
		if t.Cols != cols {
			panic(fmt.Sprintf("ml: PredictBatch: tree %d has %d features, rows have %d", k, t.Cols, cols))
		}
	}
	const block = 256
	for lo := 0; lo < n; lo += block {
		hi := min(lo+block, n)
		for _, t := range trees {
			p := t.packed()
			r := lo
			for ; r+4 <= hi; r += 4 {
				s := (*[4]float64)(dst[r : r+4])
				p.add4(s, x[r*cols:(r+1)*cols], x[(r+1)*cols:(r+2)*cols], x[(r+2)*cols:(r+3)*cols], x[(r+3)*cols:(r+4)*cols])
			}
			for ; r < hi; r++ {
				dst[r] += p.leaf(x[r*cols : (r+1)*cols])
			}
		}
	}
	return dst
}
