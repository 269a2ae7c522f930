package global

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/forecastd/forecastd/models/ml"
)

// TestPoolRowsSubsample: a pool offering more rows than PoolRows keeps
// about PoolRows of them, the same ones on every run, and each series
// keeps the same rows whatever else is in its pool (the draw hashes the
// series key, not its position); below the cap every row is kept.
func TestPoolRowsSubsample(t *testing.T) {
	ctx := context.Background()
	pool, _ := weeklyPool(40, 400, 1)
	all, allY, _, err := Design(ctx, pool, Settings{Season: 7, PoolRows: -1})
	if err != nil {
		t.Fatal(err)
	}
	uncapped, _, _, err := Design(ctx, pool, Settings{Season: 7, PoolRows: len(allY)})
	if err != nil {
		t.Fatal(err)
	}
	if !sameFloats(uncapped, all) {
		t.Errorf("a cap at the pool's %d rows changed the design", len(allY))
	}
	const budget = 3000
	st := Settings{Season: 7, PoolRows: budget}
	x1, y1, _, err := Design(ctx, pool, st)
	if err != nil {
		t.Fatal(err)
	}
	// The draw is binomial: 4 standard deviations around the cap.
	p := float64(budget) / float64(len(allY))
	if sd := math.Sqrt(float64(len(allY)) * p * (1 - p)); math.Abs(float64(len(y1)-budget)) > 4*sd {
		t.Errorf("kept %d of %d rows, want about %d", len(y1), len(allY), budget)
	}
	x2, y2, _, err := Design(ctx, pool, st)
	if err != nil {
		t.Fatal(err)
	}
	if !sameFloats(x1, x2) || !sameFloats(y1, y2) {
		t.Error("two draws of the same pool differ")
	}
	m, err := Train(ctx, pool, Settings{Season: 7, PoolRows: budget, Trees: ml.HGBT{MaxIter: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows != len(y1) {
		t.Errorf("Train fitted %d rows, Design laid out %d", m.Rows, len(y1))
	}
	// The pool in reverse order keeps the same rows, in another order.
	rev := slices.Clone(pool)
	slices.Reverse(rev)
	_, yr, _, err := Design(ctx, rev, st)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(yr)
	ys := slices.Clone(y1)
	slices.Sort(ys)
	if !slices.Equal(yr, ys) {
		t.Errorf("the pool reversed kept other rows (%d, against %d)", len(yr), len(ys))
	}
}

// sameFloats reports whether a and b are equal, NaN equal to NaN (an
// undefined feature).
func sameFloats(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) })
}
