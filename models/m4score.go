package models

import (
	"fmt"
	"math"
)

// SMAPE returns the symmetric mean absolute percentage error of forecasts f
// against actuals y as the M4 competition defines it: the mean over points
// of 200·|y−f|/(|y|+|f|). A point where both are zero counts as zero error
// (the M4 data never has one). It panics if the lengths differ.
func SMAPE(y, f []float64) float64 {
	if len(y) != len(f) {
		panic("models: SMAPE length mismatch")
	}
	var s float64
	for i := range y {
		d := math.Abs(y[i]) + math.Abs(f[i])
		if d > 0 {
			s += 200 * math.Abs(y[i]-f[i]) / d
		}
	}
	return s / float64(len(y))
}

// MASE returns the mean absolute scaled error of forecasts f against
// actuals y, scaled by the in-sample mean absolute seasonal difference
// mean(|x_t − x_{t−m}|) of the history x, as the M4 competition defines it
// (m = 1 for non-seasonal data). The error is an error, not a panic, when
// the history is no longer than m or the scale is zero (a series that
// repeats exactly every m steps), because both come from the data; it
// panics if y and f differ in length.
func MASE(x, y, f []float64, m int) (float64, error) {
	if len(y) != len(f) {
		panic("models: MASE length mismatch")
	}
	if m < 1 {
		m = 1
	}
	if len(x) <= m {
		return 0, fmt.Errorf("models: MASE: %w: need more than %d history points", ErrTooShort, m)
	}
	var scale float64
	for t := m; t < len(x); t++ {
		scale += math.Abs(x[t] - x[t-m])
	}
	scale /= float64(len(x) - m)
	if scale == 0 || math.IsNaN(scale) {
		return 0, fmt.Errorf("models: MASE: %w: zero in-sample seasonal difference", ErrUnsuitable)
	}
	var s float64
	for i := range y {
		s += math.Abs(y[i] - f[i])
	}
	return s / float64(len(y)) / scale, nil
}

// OWA returns the M4 overall weighted average of a method's aggregate sMAPE
// and MASE relative to those of Naive2: (sMAPE/sMAPE₂ + MASE/MASE₂)/2.
func OWA(smape, mase, naive2SMAPE, naive2MASE float64) float64 {
	return (smape/naive2SMAPE + mase/naive2MASE) / 2
}
