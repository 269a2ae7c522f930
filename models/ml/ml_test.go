package ml

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestAllFinite plants a NaN or an infinity at every position of slices
// of every length up to 70, starting on and off a 16-byte boundary, so
// that it lands in each part of the SIMD sum (the alignment step, the
// 16-wide loop, the 8-, 4-, 2- and 1-value tails), including the last
// value.
func TestAllFinite(t *testing.T) {
	buf := make([]float64, 71)
	for _, off := range []int{0, 1} {
		for n := 0; n+off <= len(buf); n++ {
			v := buf[off : off+n]
			for i := range v {
				v[i] = float64(i%7) - 3.5
			}
			if !allFinite(v) {
				t.Fatalf("offset %d, length %d: finite values reported non-finite", off, n)
			}
			for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
				for pos := range v {
					old := v[pos]
					v[pos] = bad
					if allFinite(v) {
						t.Errorf("offset %d, length %d: %v at %d not found", off, n, bad, pos)
					}
					v[pos] = old
				}
			}
		}
	}
}

// TestCheckXYNonFinite checks that checkXY rejects a NaN or an infinity
// anywhere in x or y (including the last value) and names the offending
// element.
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
