package forecast

import (
	"context"
	"slices"
	"testing"

	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

// parked is where the leaky test model parks its buffers: the shape of
// the original pandas rolling min/max leak, a package-level cache that
// only grows.
var parked [][]float64

type leakyModel struct{}

type leakyFit struct{ Last float64 }

func (leakyModel) Fit(_ context.Context, in models.Input) (models.Fitted, error) {
	buf := make([]float64, 32<<10) // 256 KiB a fit, never released
	copy(buf, in.Y)
	parked = append(parked, buf)
	return &leakyFit{Last: in.Y[len(in.Y)-1]}, nil
}

func (f *leakyFit) Forecast(_ context.Context, _ models.Input, h int) ([]float64, error) {
	out := make([]float64, h)
	for i := range out {
		out[i] = f.Last
	}
	return out, nil
}

func TestHuntQuarantinesLeakyModel(t *testing.T) {
	leaky := models.Spec{Name: "leaky", Family: "test", New: func() models.Forecaster { return leakyModel{} },
		Load: models.LoadJSON[leakyFit]}
	reg, err := models.NewRegistry(append(specs(t, "naive", "seasonal_naive", "ses"), leaky)...)
	if err != nil {
		t.Fatal(err)
	}
	g, err := memguard.New(memguard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := demoSeries(t, 1)[0]
	res, err := HuntLeaks(context.Background(), g, reg.All(), s, 14, 8)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Candidates {
		t.Logf("%-15s culprit=%v slope=%.0f B/run: %s", c.Name, c.Culprit, c.SlopeBytesPerRun, c.Reason)
	}
	if !slices.Equal(res.Culprits, []string{"leaky"}) {
		t.Fatalf("culprits = %v, want [leaky]", res.Culprits)
	}
	var named bool
	for _, c := range res.Candidates {
		if c.Name == "leaky" {
			for _, site := range c.TopGrowth {
				named = named || site.Function == "github.com/forecastd/forecastd/forecast.leakyModel.Fit"
			}
		}
	}
	if !named {
		t.Errorf("no growth site names leakyModel.Fit")
	}
	if !g.IsQuarantined("leaky") || g.IsQuarantined("naive") {
		t.Fatalf("quarantine = %v", g.Quarantined())
	}
	// The next tournament runs without the quarantined model.
	var cands []models.Spec
	for _, sp := range reg.All() {
		if !g.IsQuarantined(sp.Name) {
			cands = append(cands, sp)
		}
	}
	out, err := Tournament(context.Background(), s, Options{Horizon: 14, Candidates: cands})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range out.Result.Leaderboard {
		if e.Name == "leaky" {
			t.Fatal("quarantined model ran in the next tournament")
		}
	}
	parked = nil
}
