package ml

import (
	"context"
	"errors"
	"fmt"

	"gonum.org/v1/gonum/floats"
)

// Errors caused by the data. Mismatched lengths are programmer errors and
// panic with an "ml:" prefix instead.
var (
	// ErrTooFewRows means there are fewer rows than the model needs.
	ErrTooFewRows = errors.New("ml: too few rows")
	// ErrNonFinite means x or y holds a NaN or an infinity.
	ErrNonFinite = errors.New("ml: non-finite value")
	// ErrTarget means y is outside the model's domain (for example a
	// negative count for a Poisson model).
	ErrTarget = errors.New("ml: target outside the model's domain")
	// ErrNoConvergence means an iterative solver failed outright (not
	// merely stopped at its iteration limit, which is not an error).
	ErrNoConvergence = errors.New("ml: solver failed")
)

// ctxEvery is how many inner iterations run between checks of ctx.Err:
// often enough to stop within milliseconds, rarely enough to cost nothing.
const ctxEvery = 64

// checkXY validates the shapes (panicking on a programmer error) and the
// values (returning an error), and returns the number of rows.
func checkXY(name string, x []float64, cols int, y []float64, minRows int) (int, error) {
	if cols < 1 {
		panic(fmt.Sprintf("ml: %s: cols = %d, must be >= 1", name, cols))
	}
	n := len(y)
	if len(x) != n*cols {
		panic(fmt.Sprintf("ml: %s: len(x) = %d, want len(y)*cols = %d*%d", name, len(x), n, cols))
	}
	if n < minRows {
		return 0, fmt.Errorf("%s: %w: have %d, need %d", name, ErrTooFewRows, n, minRows)
	}
	// The exact per-value scan runs only when the fast check (allFinite)
	// says there may be a non-finite value, so that the error can name it.
	if !allFinite(x) {
		for i, v := range x {
			if !finite(v) {
				return 0, fmt.Errorf("%s: %w: x[%d, %d] = %v", name, ErrNonFinite, i/cols, i%cols, v)
			}
		}
	}
	if !allFinite(y) {
		for i, v := range y {
			if !finite(v) {
				return 0, fmt.Errorf("%s: %w: y[%d] = %v", name, ErrNonFinite, i, v)
			}
		}
	}
	return n, nil
}

// allFinite reports whether every value of v is finite, or false when it
// cannot tell, which the caller must then settle with an exact scan.
//
// A sum of finite values can only be finite or overflow to ±Inf (or NaN
// when both signs overflow); a NaN or ±Inf value always makes it NaN or
// ±Inf. So a finite sum proves all values finite, and a non-finite one
// means either a non-finite value or an overflow, which only values near
// 1e308 cause. This is scikit-learn's own first pass (np.sum in
// _assert_all_finite). It is the whole of KNN.Fit and runs over every
// design matrix, so it should run at the speed of reading the values:
// gonum's Sum is SIMD assembly on amd64 (two values per add). Over the
// 150,000 × 20 benchmark design it takes about 0.8x the CPU time of the
// best scalar Go loop (one add per value into eight accumulators) and
// 2/3 that of summing v·0 into four, which needs no overflow caveat but
// costs a multiply per value too.
func allFinite(v []float64) bool {
	s := floats.Sum(v)
	return s-s == 0 // NaN for ±Inf and NaN
}

// ctxErr returns ctx.Err() wrapped with the model name, or nil.
func ctxErr(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// predictBatch applies predict to each row of x (row-major, cols wide)
// and writes the results into dst, grown if short.
func predictBatch(dst, x []float64, cols int, predict func([]float64) float64) []float64 {
	dst = batchDst(dst, x, cols)
	for i := range dst {
		dst[i] = predict(x[i*cols : (i+1)*cols])
	}
	return dst
}

// batchDst checks that x holds whole rows of cols values and returns dst
// resized (grown if short) to one slot a row.
func batchDst(dst, x []float64, cols int) []float64 {
	if cols < 1 || len(x)%cols != 0 {
		panic(fmt.Sprintf("ml: PredictBatch: len(x) = %d is not a multiple of %d columns", len(x), cols))
	}
	n := len(x) / cols
	if cap(dst) < n {
		dst = make([]float64, n)
	}
	return dst[:n]
}

func checkRow(name string, row []float64, cols int) {
	if len(row) != cols {
		panic(fmt.Sprintf("ml: %s.Predict: row has %d values, model has %d features", name, len(row), cols))
	}
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
