package arima_test

import (
	"context"
	"fmt"

	"github.com/forecastd/forecastd/models/arima"
)

// lh is R's datasets::lh, luteinizing hormone in blood samples every ten
// minutes (Diggle 1990).
var lh = []float64{
	2.4, 2.4, 2.4, 2.2, 2.1, 1.5, 2.3, 2.3, 2.5, 2.0, 1.9, 1.7, 2.2, 1.8, 3.2, 3.2,
	2.7, 2.2, 2.2, 1.9, 1.9, 1.8, 2.7, 3.0, 2.3, 2.0, 2.0, 2.9, 2.9, 2.7, 2.7, 2.3,
	2.6, 2.4, 1.8, 1.7, 1.5, 1.4, 2.1, 3.3, 3.5, 3.5, 3.1, 2.6, 2.1, 3.4, 3.0, 2.9,
}

// The numbers agree with R's arima(lh, order = c(1, 0, 0)): ar1 0.5739,
// intercept 2.4133, log likelihood -29.38, forecasts 2.6926, 2.5736,
// 2.5053.
func ExampleFit() {
	m, err := arima.Fit(context.Background(), lh, arima.Order{P: 1}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("ar1 %.4f, mean %.4f, loglik %.2f\n", m.Coef[0], m.Mean, m.LogLik)
	fmt.Printf("forecasts %.4f\n", m.Forecast(3))
	// Output:
	// ar1 0.5739, mean 2.4133, loglik -29.38
	// forecasts [2.6926 2.5736 2.5053]
}

// auto.arima(lh) in R chooses ARIMA(1,0,0) with non-zero mean.
func ExampleAuto() {
	res, err := arima.Auto(context.Background(), lh, 1, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Model.Order, "mean:", res.Model.HasMean)
	// Output:
	// ARIMA(1,0,0) mean: true
}
