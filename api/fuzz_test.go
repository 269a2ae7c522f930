package api

import (
	"testing"

	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/models"
)

// FuzzJobRequest feeds arbitrary bodies to the job request decoder: it
// must never panic, and whatever it accepts must be within the limits.
func FuzzJobRequest(f *testing.F) {
	for _, seed := range []string{
		`{"horizon": 28}`,
		`{"horizon": 28, "top_k": 5, "backtest_windows": 3, "stores": ["S01"], "skus": ["SKU001"]}`,
		`{"horizon": 7, "kind": "refresh", "models": ["naive", "ridge"], "metric": "wape", "combine": "median"}`,
		`{"horizon": -1}`, `{"horizon": 1e9}`, `{"horizon": "7"}`, `{"horizon": 7, "x": 1}`, `{"horizon": 7}{}`,
		`null`, `[]`, ``, `{"horizon": 7, "models": []}`, `{"horizon": 7, "step": 0, "season": 100000}`,
	} {
		f.Add([]byte(seed))
	}
	reg := models.Standard()
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := jobs.DecodeParams(body, reg)
		if err != nil {
			return
		}
		if p.Horizon < 1 || p.Horizon > forecast.MaxHorizon || p.TopK < 1 || p.TopK > forecast.MaxTopK ||
			p.BacktestWindows < 1 || p.BacktestWindows > forecast.MaxWindows {
			t.Fatalf("accepted out-of-range params %+v", p)
		}
		if p.Kind != jobs.KindTrain && p.Kind != jobs.KindRefresh {
			t.Fatalf("accepted kind %q", p.Kind)
		}
		if _, err := reg.Select(p.Models); err != nil {
			t.Fatalf("accepted unknown models %v", p.Models)
		}
	})
}
