package ml_test

import (
	"context"
	"fmt"

	"github.com/forecastd/forecastd/models/ml"
)

func ExampleRidge() {
	// y = 1 + 2·x₀ - x₁ exactly; the default penalty (alpha 1) shrinks
	// the coefficients towards zero. scikit-learn's Ridge() gives the same
	// (coef [1.39285714 -0.60714286], intercept 1.17857143).
	x := []float64{
		0, 0,
		1, 0,
		0, 1,
		1, 1,
		2, 1,
		1, 2,
	}
	y := []float64{1, 3, 0, 2, 4, 1}
	m, err := ml.Ridge{}.Fit(context.Background(), x, 2, y)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("coef %.3f intercept %.3f\n", m.Coef, m.Intercept)
	fmt.Printf("predict(3, 0) = %.3f\n", m.Predict([]float64{3, 0}))
	// Output:
	// coef [1.393 -0.607] intercept 1.179
	// predict(3, 0) = 5.357
}
