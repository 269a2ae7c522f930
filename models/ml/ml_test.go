package ml

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestCheckXYNonFinite plants a NaN or an infinity at positions that
// exercise each part of allFinite (an accumulator of the unrolled loop,
// the remainder loop, the very last value) and checks that checkXY
// rejects it and names the offending element, for every caller's sake.
func TestCheckXYNonFinite(t *testing.T) {
	const cols = 3
	for _, rows := range []int{2, 3, 11, 1000} {
		n := rows * cols // 6, 9, 33, 3000: with and without a remainder after the 8-wide loop
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			for _, pos := range []int{0, 1, 7, 8, n / 2, n - 9, n - 8, n - 2, n - 1} {
				if pos < 0 || pos >= n {
					continue
				}
				x, y := finiteXY(rows, cols)
				x[pos] = bad
				_, err := checkXY("test", x, cols, y, 2)
				want := fmt.Sprintf("x[%d, %d] = %v", pos/cols, pos%cols, bad)
				if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), want) {
					t.Errorf("%d rows, x[%d] = %v: err = %v, want ErrNonFinite naming %q", rows, pos, bad, err, want)
				}
			}
			for _, pos := range []int{0, rows / 2, rows - 1} {
				x, y := finiteXY(rows, cols)
				y[pos] = bad
				_, err := checkXY("test", x, cols, y, 2)
				want := fmt.Sprintf("y[%d] = %v", pos, bad)
				if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), want) {
					t.Errorf("%d rows, y[%d] = %v: err = %v, want ErrNonFinite naming %q", rows, pos, bad, err, want)
				}
			}
		}
	}
}

// TestCheckXYLargeFinite checks that finite values whose sum overflows
// (allFinite cannot tell them from an infinity) are still accepted.
func TestCheckXYLargeFinite(t *testing.T) {
	for _, big := range []float64{math.MaxFloat64, -math.MaxFloat64} {
		x, y := finiteXY(40, 2)
		for i := range x {
			x[i] = big
		}
		y[0], y[1] = math.MaxFloat64, -math.MaxFloat64
		y[2], y[3] = math.MaxFloat64, math.MaxFloat64
		if allFinite(x) {
			t.Fatalf("sum of %d × %v is finite: the test no longer covers the exact scan", len(x), big)
		}
		if n, err := checkXY("test", x, 2, y, 2); err != nil || n != 40 {
			t.Errorf("all %v: n, err = %d, %v; want 40, nil", big, n, err)
		}
	}
}

func finiteXY(rows, cols int) (x, y []float64) {
	x = make([]float64, rows*cols)
	y = make([]float64, rows)
	for i := range x {
		x[i] = float64(i%7) - 3.5
	}
	for i := range y {
		y[i] = float64(i)
	}
	return x, y
}
