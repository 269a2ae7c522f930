package models_test

import (
	"context"
	"fmt"

	"github.com/forecastd/forecastd/models"
)

// The M4 benchmark Theta on the first two years of AirPassengers: too short
// (fewer than three seasons) for the seasonality test, so no adjustment;
// the forecast continues half the trend slope from the smoothed level.
// R's official Theta.classic gives 140.48, 140.97, 141.45.
func ExampleTheta() {
	y := []float64{112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118,
		115, 126, 141, 135, 125, 149, 170, 170, 158, 133, 114, 140}
	in := models.Input{Y: y, Season: 12}
	ctx := context.Background()
	fit, err := models.Theta{}.Fit(ctx, in)
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := fit.Forecast(ctx, in, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("seasonal: %v\n", models.SeasonalityTest(y, 12))
	fmt.Printf("%.1f\n", f)
	// Output:
	// seasonal: false
	// [140.5 141.0 141.5]
}
