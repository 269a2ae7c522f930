package models

import (
	"errors"
	"math"
	"testing"
)

// TestM4Score checks the M4 error measures on hand-computed cases (the
// definitions in the official "Benchmarks and Evaluation.R"). Tolerance
// 1e-12.
func TestM4Score(t *testing.T) {
	close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-12 }
	// 200·|2−4|/(2+4) = 66.67 at the second point, 0 at the first.
	if got := SMAPE([]float64{1, 2}, []float64{1, 4}); !close(got, 100.0/3) {
		t.Errorf("SMAPE = %v, want 33.333…", got)
	}
	if got := SMAPE([]float64{0, 0}, []float64{0, 0}); got != 0 {
		t.Errorf("SMAPE of zeros = %v, want 0", got)
	}
	// In-sample |x_t − x_{t−2}| = 2, 2, 4 → scale 8/3; mean |y−f| = 2.
	got, err := MASE([]float64{1, 5, 3, 7, 7}, []float64{3, 3}, []float64{1, 5}, 2)
	if err != nil || !close(got, 2/(8.0/3)) {
		t.Errorf("MASE = %v, %v, want 0.75", got, err)
	}
	if _, err := MASE([]float64{1, 2, 1, 2}, []float64{1}, []float64{1}, 2); !errors.Is(err, ErrUnsuitable) {
		t.Errorf("MASE on a series repeating with period m: %v, want ErrUnsuitable", err)
	}
	if _, err := MASE([]float64{1, 2}, []float64{1}, []float64{1}, 2); !errors.Is(err, ErrTooShort) {
		t.Errorf("MASE on a history of m points: %v, want ErrTooShort", err)
	}
	if got := OWA(18.383, 2.395, 18.383, 2.395); got != 1 {
		t.Errorf("OWA of Naive2 = %v, want 1", got)
	}
	// Official hourly SES: sMAPE 18.094, MASE 2.385 → OWA 0.990.
	if got := OWA(18.094, 2.385, 18.383, 2.395); math.Abs(got-0.990) > 5e-4 {
		t.Errorf("OWA of SES = %.4f, official 0.990", got)
	}
}
