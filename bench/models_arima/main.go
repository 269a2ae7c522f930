// Command models_arima times forecastd's AutoARIMA (models/arima.Auto)
// on the series peer.R wrote, next to R's forecast::auto.arima timings
// and choices, and prints one line per series and the totals.
//
//	go run ./bench/models_arima [-history N] SERIES.json
//
// -history N fits on the last N points of each series only (the holdout
// and the MASE scale stay those of the series), to weigh AutoARIMA's
// MaxHistory. run.sh runs peer.R and this together.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/forecastd/forecastd/internal/cputime"
	"github.com/forecastd/forecastd/models/arima"
)

type series struct {
	Name     string    `json:"name"`
	M        int       `json:"m"`
	Y        []float64 `json:"y"`
	Test     []float64 `json:"test"`
	ROrder   string    `json:"r_order"`
	RSeconds float64   `json:"r_seconds"`
	RCPU     float64   `json:"r_cpu"`
	RMASE    float64   `json:"r_mase"`
	// RForecastCPU is the CPU seconds of R's forecast(fit, h) alone.
	RForecastCPU float64 `json:"r_forecast_cpu"`
}

func mase(y, test, f []float64, m int) float64 {
	scale := 0.0
	for i := m; i < len(y); i++ {
		scale += math.Abs(y[i] - y[i-m])
	}
	scale /= float64(len(y) - m)
	e := 0.0
	for i := range test {
		e += math.Abs(test[i] - f[i])
	}
	return e / float64(len(test)) / scale
}

// forecastReps is how many forecasts are timed per fitted model.
const forecastReps = 200

func run() error {
	history := flag.Int("history", 0, "fit on the last `N` points only (0: all)")
	flag.Parse()
	if flag.NArg() != 1 {
		return fmt.Errorf("usage: models_arima [-history N] SERIES.json")
	}
	b, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		return err
	}
	var ss []series
	if err := json.Unmarshal(b, &ss); err != nil {
		return err
	}
	ctx := context.Background()
	fmt.Printf("%-16s %-5s %-30s %8s %8s | %-40s %8s %8s | %7s %7s | %8s %8s\n",
		"series", "n", "Go order", "wall s", "cpu s", "R order", "wall s", "cpu s", "MASE go", "MASE R",
		"Go fc ms", "R fc ms")
	var gw, gc, rw, rc float64
	for _, s := range ss {
		y := s.Y
		if *history > 0 && *history < len(y) {
			y = y[len(y)-*history:]
		}
		c0, t0 := cputime.Process(), time.Now()
		res, err := arima.Auto(ctx, y, s.M, nil)
		wall, cpu := time.Since(t0).Seconds(), (cputime.Process() - c0).Seconds()
		if err != nil {
			fmt.Printf("%-16s error: %v\n", s.Name, err)
			continue
		}
		m := res.Model
		name := m.Order.String()
		switch {
		case m.HasMean:
			name += " mean"
		case m.HasDrift:
			name += " drift"
		}
		// The forecast alone, from the fitted model, over forecastReps
		// calls (one takes microseconds).
		var fc []float64
		c1 := cputime.Process()
		for r := 0; r < forecastReps; r++ {
			fc = m.Forecast(len(s.Test))
		}
		fcCPU := (cputime.Process() - c1).Seconds() / forecastReps
		fmt.Printf("%-16s %-5d %-30s %8.3f %8.3f | %-40s %8.2f %8.2f | %7.3f %7.3f | %8.4f %8.3f\n",
			s.Name, len(y), name, wall, cpu, s.ROrder, s.RSeconds, s.RCPU, mase(s.Y, s.Test, fc, s.M), s.RMASE,
			fcCPU*1e3, s.RForecastCPU*1e3)
		gw, gc, rw, rc = gw+wall, gc+cpu, rw+s.RSeconds, rc+s.RCPU
	}
	fmt.Printf("total: Go %.2fs wall %.2fs cpu, R %.2fs wall %.2fs cpu; speed-up %.1fx wall, %.1fx cpu\n",
		gw, gc, rw, rc, rw/gw, rc/gc)
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
