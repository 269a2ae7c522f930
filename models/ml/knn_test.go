package ml

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// TestKNNGolden compares predictions with scikit-learn 1.2.1's
// KNeighborsRegressor(n_neighbors=5) on the synthetic design (continuous
// features, so no ties in distance: the neighbours are the same).
// Tolerance 1e-9 relative: only the summation order differs.
func TestKNNGolden(t *testing.T) {
	g := loadGolden(t)
	d := loadDesign(t, g, "synth")
	for _, c := range []struct {
		name     string
		distance bool
	}{{"uniform", false}, {"distance", true}} {
		t.Run(c.name, func(t *testing.T) {
			m, err := KNN{Distance: c.distance}.Fit(context.Background(), d.xTrain, d.cols, d.yTrain)
			if err != nil {
				t.Fatal(err)
			}
			got := m.PredictBatch(nil, d.xTest)
			want := g.KNN[c.name]
			if len(want) != len(got) {
				t.Fatalf("golden has %d predictions, want %d", len(want), len(got))
			}
			for i := range want {
				if !closeTo(got[i], want[i], 1e-9) {
					t.Errorf("prediction %d = %.12g, want %.12g", i, got[i], want[i])
				}
			}
		})
	}
}

// TestKNNTreeMatchesScan checks that the KD-tree used for large training
// sets finds exactly the neighbours of a full scan, including ties:
// features are small integers, so many distances are equal.
func TestKNNTreeMatchesScan(t *testing.T) {
	const n, cols = 6000, 5
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, n*cols)
	y := make([]float64, n)
	for i := range x {
		x[i] = float64(rng.IntN(6))
	}
	for i := range y {
		y[i] = rng.NormFloat64()
	}
	for _, distance := range []bool{false, true} {
		m, err := KNN{K: 7, Distance: distance}.Fit(context.Background(), x, cols, y)
		if err != nil {
			t.Fatal(err)
		}
		q := make([]float64, cols)
		for trial := 0; trial < 200; trial++ {
			for j := range q {
				q[j] = float64(rng.IntN(7)) - 0.5*float64(trial%2)
			}
			got := m.Predict(q)
			// Reference: scan every row in order.
			nb := neighbours{k: m.K}
			for i := 0; i < n; i++ {
				nb.push(sqDist(x[i*cols:(i+1)*cols], q, math.Inf(1)), int32(i))
			}
			var want float64
			if !distance {
				for _, i := range nb.idx {
					want += y[i]
				}
				want /= float64(m.K)
			} else {
				want = m.weighted(nb)
			}
			if got != want {
				t.Fatalf("distance=%v query %v: tree %v, scan %v", distance, q, got, want)
			}
		}
	}
}

// TestKNNConcurrentPredict predicts from several goroutines at once on a
// model large enough to build its KD-tree lazily: the tree is built once
// (run with -race to check).
func TestKNNConcurrentPredict(t *testing.T) {
	const n, cols = kdMinRows + 100, 3
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, n*cols)
	y := make([]float64, n)
	for i := range x {
		x[i] = rng.Float64()
	}
	for i := range y {
		y[i] = rng.Float64()
	}
	m, err := KNN{}.Fit(context.Background(), x, cols, y)
	if err != nil {
		t.Fatal(err)
	}
	q := []float64{0.5, 0.5, 0.5}
	want := make(chan float64, 8)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want <- m.Predict(q)
		}()
	}
	wg.Wait()
	close(want)
	first := <-want
	for p := range want {
		if p != first {
			t.Fatalf("concurrent predictions differ: %v vs %v", p, first)
		}
	}
}
