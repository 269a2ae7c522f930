package ml

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
)

// walk is the plain traversal of the exported node arrays, the reference
// for the packed layout.
func walk(m *TreeModel, x []float64) float64 {
	i := int32(0)
	for {
		f := m.Feature[i]
		if f < 0 {
			return m.Value[i]
		}
		if x[f] <= m.Threshold[i] {
			i = m.Left[i]
		} else {
			i = m.Right[i]
		}
	}
}

// TestPackedTree: the packed, branch-free walk lands in the same leaf as
// the plain walk on trees of every kind the package grows (CART, random
// forest, extra trees, HGBT), for test rows, rows with NaN features and
// rows sitting exactly on thresholds; and PredictBatch (trees outer, four
// rows in lockstep, with a remainder) gives exactly Predict's sums.
func TestPackedTree(t *testing.T) {
	g := loadGolden(t)
	d := loadDesign(t, g, "real")
	ctx := context.Background()
	var trees []*TreeModel
	cart, err := Tree{MaxDepth: 12}.Fit(ctx, d.xTrain, d.cols, d.yTrain)
	if err != nil {
		t.Fatal(err)
	}
	trees = append(trees, cart)
	forest, err := Forest{Trees: 5, MaxDepth: 8}.Fit(ctx, d.xTrain, d.cols, d.yTrain)
	if err != nil {
		t.Fatal(err)
	}
	trees = append(trees, forest.Trees...)
	extra, err := ExtraTrees{Trees: 5}.Fit(ctx, d.xTrain, d.cols, d.yTrain)
	if err != nil {
		t.Fatal(err)
	}
	trees = append(trees, extra.Trees...)
	boost, err := HGBT{MaxIter: 20, Loss: "poisson"}.Fit(ctx, d.xTrain, d.cols, d.yTrain)
	if err != nil {
		t.Fatal(err)
	}
	trees = append(trees, boost.Trees...)

	rows := append([]float64(nil), d.xTest...)
	rng := rand.New(rand.NewPCG(3, 4))
	extraRows := make([]float64, 0, 200*d.cols)
	for r := 0; r < 200; r++ {
		row := append([]float64(nil), d.xTrain[(r%d.nTrain)*d.cols:(r%d.nTrain+1)*d.cols]...)
		for c := range row {
			switch rng.IntN(4) {
			case 0:
				row[c] = math.NaN()
			case 1:
				// A threshold of a random tree: exactly on the split.
				tm := trees[rng.IntN(len(trees))]
				row[c] = tm.Threshold[rng.IntN(len(tm.Threshold))]
			}
		}
		extraRows = append(extraRows, row...)
	}
	rows = append(rows, extraRows...)
	n := len(rows) / d.cols
	internal := 0
	for k, tm := range trees {
		for _, f := range tm.Feature {
			if f >= 0 {
				internal++
			}
		}
		for r := 0; r < n; r++ {
			x := rows[r*d.cols : (r+1)*d.cols]
			if got, want := tm.leaf(x), walk(tm, x); got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Fatalf("tree %d row %d: packed %v, plain %v", k, r, got, want)
			}
		}
	}
	if internal < 100 {
		t.Fatalf("only %d internal nodes: the trees are too small to test anything", internal)
	}
	for _, m := range []interface {
		Predict([]float64) float64
		PredictBatch(dst, x []float64) []float64
	}{cart, forest, extra, boost} {
		for _, rowsN := range []int{1, 3, 4, 7, n} {
			batch := m.PredictBatch(nil, rows[:rowsN*d.cols])
			for r := 0; r < rowsN; r++ {
				if want := m.Predict(rows[r*d.cols : (r+1)*d.cols]); batch[r] != want {
					t.Fatalf("%T, %d rows: row %d batch %v, predict %v", m, rowsN, r, batch[r], want)
				}
			}
		}
	}
	// A model loaded from JSON builds its own layout and agrees.
	b, err := json.Marshal(boost)
	if err != nil {
		t.Fatal(err)
	}
	var loaded Boosted
	if err := json.Unmarshal(b, &loaded); err != nil {
		t.Fatal(err)
	}
	for r := 0; r < n; r++ {
		x := rows[r*d.cols : (r+1)*d.cols]
		if got, want := loaded.Predict(x), boost.Predict(x); got != want {
			t.Fatalf("loaded row %d: %v, fitted %v", r, got, want)
		}
	}
}

// TestPackedTreeMalformed: node arrays that do not form a tree are
// refused with a panic naming the problem, not walked out of bounds.
func TestPackedTreeMalformed(t *testing.T) {
	for name, m := range map[string]*TreeModel{
		"short arrays": {Cols: 1, Feature: []int32{0, -1, -1}, Threshold: []float64{0}, Left: []int32{1}, Right: []int32{2}, Value: []float64{0, 1, 2}},
		"unreachable":  {Cols: 1, Feature: []int32{-1, -1}, Threshold: []float64{0, 0}, Left: []int32{0, 0}, Right: []int32{0, 0}, Value: []float64{1, 2}},
		"cycle":        {Cols: 1, Feature: []int32{0, 0, -1}, Threshold: []float64{0, 0, 0}, Left: []int32{1, 1, 0}, Right: []int32{2, 2, 0}, Value: []float64{0, 0, 0}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			m.Predict([]float64{0})
		})
	}
}
