package ml

import (
	"fmt"
	"math"
)

// TreeSHAP: exact interventional Shapley values of the tree models
// (Lundberg et al. 2020, "From local explanations to global understanding
// with explainable AI for trees", the "interventional" algorithm).
//
// For a row x and a reference row r, the game over the features is
// v(S) = f(x_S, r_rest): the prediction with the features in S taken from
// x and the others from r. Its Shapley values φ sum to f(x) - f(r). With
// a background set of references, the values are averaged over them, and
// sum to f(x) minus the mean prediction on the background.
//
// Why interventional and not the path-dependent TreeSHAP of the shap
// package's default: the path-dependent form needs each node's training
// cover, which the fitted trees do not keep (their state predates this
// and is persisted); the interventional form needs only the trees and a
// reference, and for forecastd the reference is the point of the
// explanation: "this forecast against the same day under the baseline
// plan" is a single reference row.
//
// One tree is a sum over its leaves. Along the path to a leaf, each
// feature either lets both x and r through (neutral), only x (in A), only
// r (in B), or neither (the leaf is unreachable for every S and is
// pruned). The leaf adds its value to v(S) exactly when A ⊆ S and S ∩ B
// = ∅, a game whose Shapley values are closed-form:
// value·(|A|-1)!|B|!/(|A|+|B|)! for each feature of A and
// -value·|A|!(|B|-1)!/(|A|+|B|)! for each of B. A walk visits only
// the leaves reachable by x or r, so one row costs at most the tree's
// leaves, and usually far fewer.

// SHAP adds to phi (grown to m.Cols if short) the interventional Shapley
// values of the tree's prediction at x against the reference ref, and
// returns it. Its values sum to Predict(x) - Predict(ref).
func (m *TreeModel) SHAP(phi, x, ref []float64) []float64 {
	checkRow("TreeModel.SHAP", x, m.Cols)
	checkRow("TreeModel.SHAP", ref, m.Cols)
	phi = growPhi(phi, m.Cols)
	w := newShapWalk(m.Cols)
	w.tree(m, x, ref, phi, 1)
	return phi
}

// SHAP adds to phi the interventional Shapley values of the forest's
// prediction (the mean of its trees) at x against ref, and returns it.
func (e *Ensemble) SHAP(phi, x, ref []float64) []float64 {
	if len(e.Trees) == 0 {
		panic("ml: Ensemble.SHAP: no trees")
	}
	cols := e.Trees[0].Cols
	checkRow("Ensemble.SHAP", x, cols)
	checkRow("Ensemble.SHAP", ref, cols)
	phi = growPhi(phi, cols)
	w := newShapWalk(cols)
	scale := 1 / float64(len(e.Trees))
	for _, t := range e.Trees {
		w.tree(t, x, ref, phi, scale)
	}
	return phi
}

// SHAP adds to phi the interventional Shapley values of the boosted raw
// score (Baseline + Σ trees) at x against ref, and returns it. For the
// log-link losses that score is the log of the prediction, so the values
// are additive on the log scale: multiplicative on the prediction.
func (m *Boosted) SHAP(phi, x, ref []float64) []float64 {
	checkRow("Boosted.SHAP", x, m.Cols)
	checkRow("Boosted.SHAP", ref, m.Cols)
	phi = growPhi(phi, m.Cols)
	w := newShapWalk(m.Cols)
	for _, t := range m.Trees {
		w.tree(t, x, ref, phi, 1)
	}
	return phi
}

// Shapper is a model TreeSHAP explains: *TreeModel, *Ensemble, *Boosted.
type Shapper interface {
	SHAP(phi, x, ref []float64) []float64
}

// SHAPBackground adds to phi the interventional Shapley values of m at x
// averaged over the reference rows of background (row-major, cols
// wide), as shap's TreeExplainer with feature_perturbation
// "interventional" computes them, and returns it.
func SHAPBackground(m Shapper, phi, x, background []float64, cols int) []float64 {
	if cols < 1 || len(background) == 0 || len(background)%cols != 0 {
		panic(fmt.Sprintf("ml: SHAPBackground: %d background values are not rows of %d columns", len(background), cols))
	}
	phi = growPhi(phi, cols)
	n := len(background) / cols
	one := make([]float64, cols)
	for i := 0; i < n; i++ {
		clear(one)
		m.SHAP(one, x, background[i*cols:(i+1)*cols])
		for j, v := range one {
			phi[j] += v / float64(n)
		}
	}
	return phi
}

func growPhi(phi []float64, cols int) []float64 {
	if len(phi) < cols {
		phi = append(phi, make([]float64, cols-len(phi))...)
	}
	return phi
}

// shapWalk holds, along the current path, the state of each feature
// split on: whether x (xOK) and r (rOK) satisfy all its conditions so far.
type shapWalk struct {
	xOK, rOK []bool
	depth    []int32 // how many splits on the path use the feature
	path     []int32 // the distinct features on the path, in order
	fact     []float64
}

func newShapWalk(cols int) *shapWalk {
	w := &shapWalk{xOK: make([]bool, cols), rOK: make([]bool, cols), depth: make([]int32, cols)}
	for i := range w.xOK {
		w.xOK[i], w.rOK[i] = true, true
	}
	return w
}

// factorial returns n! from a table grown on demand (n is at most the
// number of distinct features on a path).
func (w *shapWalk) factorial(n int) float64 {
	for len(w.fact) <= n {
		k := len(w.fact)
		if k == 0 {
			w.fact = append(w.fact, 1)
			continue
		}
		w.fact = append(w.fact, w.fact[k-1]*float64(k))
	}
	return w.fact[n]
}

func (w *shapWalk) tree(t *TreeModel, x, r, phi []float64, scale float64) {
	if len(t.Feature) == 0 {
		panic("ml: TreeModel.SHAP: empty tree")
	}
	w.node(t, 0, x, r, phi, scale)
}

// goesLeft is the walk's rule (packedTree.leaf): x <= threshold goes
// left, NaN goes right.
func goesLeft(v, thr float64) bool { return v <= thr }

func (w *shapWalk) node(t *TreeModel, i int32, x, r, phi []float64, scale float64) {
	f := t.Feature[i]
	if f < 0 {
		w.leaf(t.Value[i]*scale, phi)
		return
	}
	thr := t.Threshold[i]
	xl, rl := goesLeft(x[f], thr), goesLeft(r[f], thr)
	px, pr := w.xOK[f], w.rOK[f]
	if w.depth[f] == 0 {
		w.path = append(w.path, f)
	}
	w.depth[f]++
	for _, left := range [2]bool{true, false} {
		nx, nr := px && xl == left, pr && rl == left
		if !nx && !nr {
			continue
		}
		w.xOK[f], w.rOK[f] = nx, nr
		child := t.Right[i]
		if left {
			child = t.Left[i]
		}
		w.node(t, child, x, r, phi, scale)
	}
	w.xOK[f], w.rOK[f] = px, pr
	w.depth[f]--
	if w.depth[f] == 0 {
		w.path = w.path[:len(w.path)-1]
	}
}

// leaf adds the closed-form Shapley values of one leaf's game.
func (w *shapWalk) leaf(v float64, phi []float64) {
	if v == 0 || math.IsNaN(v) {
		return
	}
	var a, b int
	for _, f := range w.path {
		switch {
		case w.xOK[f] && !w.rOK[f]:
			a++
		case !w.xOK[f] && w.rOK[f]:
			b++
		}
	}
	if a == 0 && b == 0 {
		return
	}
	den := w.factorial(a + b)
	var wa, wb float64
	if a > 0 {
		wa = v * w.factorial(a-1) * w.factorial(b) / den
	}
	if b > 0 {
		wb = v * w.factorial(a) * w.factorial(b-1) / den
	}
	for _, f := range w.path {
		switch {
		case w.xOK[f] && !w.rOK[f]:
			phi[f] += wa
		case !w.xOK[f] && w.rOK[f]:
			phi[f] -= wb
		}
	}
}
