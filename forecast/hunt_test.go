package forecast

import (
	"context"
	"slices"
	"testing"

	"github.com/forecastd/forecastd/internal/leaktest"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

func TestHuntQuarantinesLeakyModel(t *testing.T) {
	var cache leaktest.Cache
	defer cache.Release()
	leaky := cache.Spec("leaky")
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
				named = named || site.Function == "github.com/forecastd/forecastd/internal/leaktest.model.Fit"
			}
		}
	}
	if !named {
		t.Errorf("no growth site names leaktest.model.Fit")
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
}
