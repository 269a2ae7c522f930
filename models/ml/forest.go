package ml

import (
	"context"
	"fmt"
	"math/rand/v2"
)

// Forest is a random forest of CART trees, each grown on a bootstrap
// sample, as scikit-learn's RandomForestRegressor.
type Forest struct {
	// Trees is the number of trees; default 100.
	Trees int `json:"trees,omitempty"`
	// MaxDepth bounds each tree's depth; default unlimited.
	MaxDepth int `json:"max_depth,omitempty"`
	// MinSamplesSplit and MinSamplesLeaf are as for Tree; defaults 2, 1.
	MinSamplesSplit int `json:"min_samples_split,omitempty"`
	MinSamplesLeaf  int `json:"min_samples_leaf,omitempty"`
	// MaxFeatures is the share of features searched per split, in (0, 1];
	// default 1 (scikit-learn 1.2's default for regression).
	MaxFeatures float64 `json:"max_features,omitempty"`
	// MaxSamples is the bootstrap sample size as a share of the rows, in
	// (0, 1]; default 1.
	MaxSamples float64 `json:"max_samples,omitempty"`
	// Seed seeds the bootstrap samples and feature draws.
	Seed uint64 `json:"seed,omitempty"`
}

// ExtraTrees is an ensemble of extremely randomised trees (one random
// threshold per candidate feature, best of those), each grown on all the
// rows, as scikit-learn's ExtraTreesRegressor.
type ExtraTrees struct {
	// Trees is the number of trees; default 100.
	Trees int `json:"trees,omitempty"`
	// MaxDepth bounds each tree's depth; default unlimited.
	MaxDepth int `json:"max_depth,omitempty"`
	// MinSamplesSplit and MinSamplesLeaf are as for Tree; defaults 2, 1.
	MinSamplesSplit int `json:"min_samples_split,omitempty"`
	MinSamplesLeaf  int `json:"min_samples_leaf,omitempty"`
	// MaxFeatures is the share of features tried per split, in (0, 1];
	// default 1.
	MaxFeatures float64 `json:"max_features,omitempty"`
	// Seed seeds the thresholds and feature draws.
	Seed uint64 `json:"seed,omitempty"`
}

// Ensemble is a fitted forest: the mean of its trees' predictions.
type Ensemble struct {
	Trees []*TreeModel `json:"trees"`
}

// Predict returns the mean prediction of the trees.
func (e *Ensemble) Predict(x []float64) float64 {
	if len(e.Trees) == 0 {
		panic("ml: Ensemble.Predict: no trees")
	}
	checkRow("Ensemble", x, e.Trees[0].Cols)
	var s float64
	for _, t := range e.Trees {
		s += t.leaf(x)
	}
	return s / float64(len(e.Trees))
}

// PredictBatch writes the predictions for the rows of x into dst (grown if
// short) and returns it.
func (e *Ensemble) PredictBatch(dst, x []float64) []float64 {
	if len(e.Trees) == 0 {
		panic("ml: Ensemble.PredictBatch: no trees")
	}
	dst = sumTrees(dst, x, e.Trees[0].Cols, e.Trees, 0)
	for i := range dst {
		dst[i] /= float64(len(e.Trees))
	}
	return dst
}

// Fit grows the forest.
func (f Forest) Fit(ctx context.Context, x []float64, cols int, y []float64) (*Ensemble, error) {
	if f.Trees < 0 || f.MaxSamples < 0 || f.MaxSamples > 1 {
		panic(fmt.Sprintf("ml: forest: invalid settings %+v", f))
	}
	t := Tree{MaxDepth: f.MaxDepth, MinSamplesSplit: f.MinSamplesSplit, MinSamplesLeaf: f.MinSamplesLeaf,
		MaxFeatures: f.MaxFeatures}
	return growEnsemble(ctx, "random_forest", t.params(cols), orDefault(f.Trees, 100),
		orDefault(f.MaxSamples, 1), f.Seed, x, cols, y)
}

// Fit grows the ensemble.
func (f ExtraTrees) Fit(ctx context.Context, x []float64, cols int, y []float64) (*Ensemble, error) {
	if f.Trees < 0 {
		panic(fmt.Sprintf("ml: extra trees: invalid settings %+v", f))
	}
	t := Tree{MaxDepth: f.MaxDepth, MinSamplesSplit: f.MinSamplesSplit, MinSamplesLeaf: f.MinSamplesLeaf,
		MaxFeatures: f.MaxFeatures}
	p := t.params(cols)
	p.extra = true
	return growEnsemble(ctx, "extra_trees", p, orDefault(f.Trees, 100), 0, f.Seed, x, cols, y)
}

// growEnsemble grows trees one after another from a single seeded
// source; bootstrap > 0 draws that share of the rows with replacement
// for each tree, 0 uses every row once.
func growEnsemble(ctx context.Context, name string, p treeParams, trees int, bootstrap float64,
	seed uint64, x []float64, cols int, y []float64) (*Ensemble, error) {
	n, err := checkXY(name, x, cols, y, 2)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	b := newTreeBuilder(p, x, cols, y, rng)
	m := n
	if bootstrap > 0 {
		m = max(1, int(bootstrap*float64(n)))
	}
	idx := make([]int32, m)
	e := &Ensemble{Trees: make([]*TreeModel, 0, trees)}
	for k := 0; k < trees; k++ {
		if err := ctxErr(ctx, name); err != nil {
			return nil, err
		}
		for i := range idx {
			if bootstrap > 0 {
				idx[i] = int32(rng.IntN(n))
			} else {
				idx[i] = int32(i)
			}
		}
		t, err := b.build(ctx, name, idx)
		if err != nil {
			return nil, err
		}
		e.Trees = append(e.Trees, t)
	}
	return e, nil
}
