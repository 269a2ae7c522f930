// Command models_ets times forecastd's ETS candidates on the series of
// models/ets/testdata/bench_series.json the way bench/models_ets/peer_r.R
// times R's: fit on all but the last 2m points, forecast them, score by
// MAE. It prints one JSON line per (series, method) with process CPU
// seconds and wall seconds, for run.sh to put beside R's.
//
//	go run ./bench/models_ets models/ets/testdata/bench_series.json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/forecastd/forecastd/internal/cputime"
	"github.com/forecastd/forecastd/models"
)

type series struct {
	Name string    `json:"name"`
	M    int       `json:"m"`
	Y    []float64 `json:"y"`
}

type record struct {
	Impl   string  `json:"impl"`
	Series string  `json:"series"`
	N      int     `json:"n"`
	Method string  `json:"method"`
	CPU    float64 `json:"cpu"`
	Wall   float64 `json:"wall"`
	// FitCPU and ForecastCPU split CPU: the fit, and one forecast of the
	// held-out 2m points from the fitted model (timed over forecastReps
	// calls, being far shorter than a fit).
	FitCPU      float64 `json:"fit_cpu"`
	ForecastCPU float64 `json:"forecast_cpu"`
	Model       string  `json:"model"`
	MAE         float64 `json:"mae"`
}

func main() {
	methods := flag.String("methods", "auto_ets,holt,damped_holt,holt_winters_add,holt_winters_mul", "comma-separated model names")
	reps := flag.Int("reps", 3, "repetitions per fit (the time reported is the mean)")
	history := flag.Int("history", 0, "auto_ets fits the last `N` points (0: the whole history, as R's ets() does; the tournament's auto_ets uses 730)")
	flag.Parse()
	path := "models/ets/testdata/bench_series.json"
	if flag.NArg() > 0 {
		path = flag.Arg(0)
	}
	if err := run(path, strings.Split(*methods, ","), *reps, *history); err != nil {
		fmt.Fprintln(os.Stderr, "models_ets:", err)
		os.Exit(1)
	}
}

// forecastReps is how many forecasts are timed per fitted model: one
// takes tens of microseconds, below getrusage's resolution.
const forecastReps = 200

func run(path string, methods []string, reps, history int) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var d struct {
		Series []series `json:"series"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return err
	}
	reg := models.Standard()
	ctx := context.Background()
	enc := json.NewEncoder(os.Stdout)
	for _, s := range d.Series {
		h := 2 * s.M
		n := len(s.Y) - h
		in := models.Input{Y: s.Y[:n], Season: s.M}
		for _, name := range methods {
			spec, ok := reg.Lookup(name)
			if !ok {
				return fmt.Errorf("unknown model %q", name)
			}
			rec := record{Impl: "Go", Series: s.Name, N: n, Method: name}
			// The registry's auto_ets caps its history for the
			// tournament's budget; R's ets() sees the whole history, so
			// the comparison does too unless -history says otherwise.
			newModel := spec.New
			if name == "auto_ets" {
				newModel = func() models.Forecaster { return models.ETS{MaxHistory: history} }
			}
			c0, w0 := cputime.Process().Seconds(), time.Now()
			var fc []float64
			var fitted models.Fitted
			for r := 0; r < reps && err == nil; r++ {
				fitted, err = newModel().Fit(ctx, in)
			}
			rec.FitCPU = (cputime.Process().Seconds() - c0) / float64(reps)
			wall := time.Since(w0).Seconds() / float64(reps)
			if err == nil {
				c1, w1 := cputime.Process().Seconds(), time.Now()
				for r := 0; r < forecastReps && err == nil; r++ {
					fc, err = fitted.Forecast(ctx, in, h)
				}
				rec.ForecastCPU = (cputime.Process().Seconds() - c1) / forecastReps
				wall += time.Since(w1).Seconds() / forecastReps
			}
			rec.CPU = rec.FitCPU + rec.ForecastCPU
			rec.Wall = wall
			if err != nil {
				rec.Model = "error: " + err.Error()
				err = nil
			} else {
				// The fitted form is not part of the Fitted interface;
				// read it from the serialised model.
				var m struct {
					Model string `json:"model"`
				}
				if raw, err := json.Marshal(fitted); err == nil && json.Unmarshal(raw, &m) == nil {
					rec.Model = m.Model
				}
				for i, v := range s.Y[n:] {
					rec.MAE += math.Abs(fc[i]-v) / float64(h)
				}
			}
			if err := enc.Encode(rec); err != nil {
				return err
			}
		}
	}
	return nil
}
