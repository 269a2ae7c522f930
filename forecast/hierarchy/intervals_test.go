package hierarchy

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/forecastd/forecastd/data"
)

// TestTopDownCoverage: top_down's intervals, from the reconciled backtest
// errors, cover a holdout as they claim. 2 stores x 4 SKUs with series
// errors of different scales and a shock common to all; the backtest is
// 300 error rows, the holdout 4,000 fresh draws. Every node's 80% and
// 95% intervals must cover within 0.05 of their level; the rule before
// (the total's radius scaled by the series' share) covered 33% to 82%
// of a series' holdout at 80% here (the same simulation in numpy).
func TestTopDownCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 3))
	var keys []data.Key
	for _, s := range []string{"s1", "s2"} {
		for _, k := range []string{"a", "b", "c", "d"} {
			keys = append(keys, data.Key{Store: s, SKU: k})
		}
	}
	h, err := New(keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, n := h.Bottom(), h.Len()
	level := make([]float64, m)
	sd := make([]float64, m)
	for j := range level {
		level[j] = 20 + 10*float64(j)
		sd[j] = 2 + float64(j%4)*1.5
	}
	draw := func(e []float64) {
		common := rng.NormFloat64() * 2
		for j := range e {
			e[j] = sd[j]*rng.NormFloat64() + common
		}
	}
	const rows, holdout = 300, 4000
	res := mat.NewDense(rows, n, nil)
	eb := make([]float64, m)
	for r := 0; r < rows; r++ {
		draw(eb)
		res.SetRow(r, h.Sum(nil, eb))
	}
	base := newRows(n, 1)
	for i, v := range h.Sum(nil, level) {
		base[i][0] = v
	}
	// Base radii are what the tournaments would give; top_down replaces them.
	r80, r95 := newRows(n, 1), newRows(n, 1)
	out, err := Reconcile(context.Background(), h, TopDown, Input{Base: base, Residuals: res, Radius80: r80, Radius95: r95})
	if err != nil {
		t.Fatal(err)
	}
	in80, in95 := make([]int, n), make([]int, n)
	y := make([]float64, m)
	for d := 0; d < holdout; d++ {
		draw(eb)
		for j := range y {
			y[j] = level[j] + eb[j]
		}
		for i, v := range h.Sum(nil, y) {
			dev := math.Abs(v - out.Points[i][0])
			if dev <= out.Radius80[i][0] {
				in80[i]++
			}
			if dev <= out.Radius95[i][0] {
				in95[i]++
			}
		}
	}
	for i := 0; i < n; i++ {
		c80, c95 := float64(in80[i])/holdout, float64(in95[i])/holdout
		if math.Abs(c80-0.8) > 0.05 || math.Abs(c95-0.95) > 0.05 {
			t.Errorf("node %s: coverage %.3f (80%%), %.3f (95%%)", h.Nodes[i].Key, c80, c95)
		}
	}
}
