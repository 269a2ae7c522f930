package arima

import (
	"encoding/json"
	"os"
	"testing"
)

// goldenSeriesData is one series as the golden scripts write it: the
// fitting history, its season length, the horizon and the held-out test
// points.
type goldenSeriesData struct {
	Name string    `json:"name"`
	Y    []float64 `json:"y"`
	M    int       `json:"m"`
	H    int       `json:"h"`
	Test []float64 `json:"test"`
}

// goldenFixed is R's Arima fit of a given order, as make_golden.R and
// make_golden_xreg.R write it.
type goldenFixed struct {
	Series       string    `json:"series"`
	Order        []int     `json:"order"`
	Seasonal     []int     `json:"seasonal"`
	IncludeMean  bool      `json:"include_mean"`
	IncludeDrift bool      `json:"include_drift"`
	CoefNames    []string  `json:"coef_names"`
	Coef         []float64 `json:"coef"`
	Sigma2       float64   `json:"sigma2"`
	LogLik       float64   `json:"loglik"`
	AICc         float64   `json:"aicc"`
	Forecast     []float64 `json:"forecast"`
}

// goldenAuto is R's auto.arima choice, as both scripts write it.
type goldenAuto struct {
	Series    string    `json:"series"`
	Order     []int     `json:"order"` // p d q P D Q
	Constant  bool      `json:"constant"`
	CoefNames []string  `json:"coef_names"`
	Coef      []float64 `json:"coef"`
	AICc      float64   `json:"aicc"`
	Forecast  []float64 `json:"forecast"`
}

// golden is testdata/golden.json, written by testdata/make_golden.R with
// R 4.2.2 and forecast 8.20.
type golden struct {
	RVersion        string             `json:"r_version"`
	ForecastVersion string             `json:"forecast_version"`
	Series          []goldenSeriesData `json:"series"`
	Fixed           []struct {
		goldenFixed
		AIC float64 `json:"aic"`
	} `json:"fixed"`
	Auto []struct {
		goldenAuto
		LogLik  float64 `json:"loglik"`
		MASE    float64 `json:"mase"`
		Seconds float64 `json:"seconds"`
	} `json:"auto"`
}

func loadGolden(t testing.TB) *golden {
	return readGolden[golden](t, "testdata/golden.json", "testdata/make_golden.R")
}

// readGolden decodes a golden JSON file written by script.
func readGolden[T any](t testing.TB, path, script string) *T {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file missing (run %s): %v", script, err)
	}
	var g T
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &g
}

// goldenOrder is the Order of R's arimaorder (p, d, q) and seasonal
// (P, D, Q), with period m when there is a seasonal part.
func goldenOrder(order, seasonal []int, m int) Order {
	o := Order{P: order[0], D: order[1], Q: order[2], SP: seasonal[0], SD: seasonal[1], SQ: seasonal[2]}
	if o.SP+o.SD+o.SQ > 0 {
		o.Period = m
	}
	return o
}

// roundTrip returns m after encoding/json.
func roundTrip(t testing.TB, m *Model) *Model {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var m2 Model
	if err := json.Unmarshal(b, &m2); err != nil {
		t.Fatal(err)
	}
	return &m2
}

type goldenSeries struct {
	y, test []float64
	m, h    int
}

func (g *golden) series(t testing.TB, name string) goldenSeries {
	t.Helper()
	for _, s := range g.Series {
		if s.Name == name {
			return goldenSeries{s.Y, s.Test, s.M, s.H}
		}
	}
	t.Fatalf("series %q not in golden", name)
	return goldenSeries{}
}
