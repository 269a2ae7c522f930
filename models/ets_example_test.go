package models_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/forecastd/forecastd/models"
)

// Fit exponential smoothing to a weekly-seasonal daily series and forecast
// the next week, first with automatic form selection, then with additive
// Holt–Winters as a tournament would (by registry name).
func ExampleETS() {
	week := []float64{12, 10, 11, 13, 18, 24, 20}
	y := make([]float64, 0, 140)
	for i := 0; i < 140; i++ {
		y = append(y, week[i%7]+0.05*float64(i)+float64(i%3)*0.4)
	}
	in := models.Input{Y: y, Season: 7}
	ctx := context.Background()

	fit, err := models.ETS{}.Fit(ctx, in)
	if err != nil {
		fmt.Println(err)
		return
	}
	fc, _ := fit.Forecast(ctx, in, 7)
	// The fitted model prints as R's method string plus its parameters.
	fmt.Println(strings.Fields(fmt.Sprint(fit))[0])
	fmt.Printf("%.1f\n", fc)

	spec, _ := models.Standard().Lookup("holt_winters_add")
	hw, err := spec.New().Fit(ctx, in)
	if err != nil {
		fmt.Println(err)
		return
	}
	fc, _ = hw.Forecast(ctx, in, 7)
	fmt.Printf("%.1f\n", fc)
	// Output:
	// ETS(A,A,A)
	// [19.4 17.5 18.6 20.5 25.6 31.6 27.6]
	// [19.4 17.5 18.6 20.5 25.6 31.6 27.6]
}
