package jobs

import (
	"context"
	"slices"
	"testing"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/internal/leaktest"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

func testSeries(t *testing.T) *data.Series {
	t.Helper()
	ss, err := ingest.Assemble(demo.Sales(demo.Options{Stores: 1, SKUs: 1, Days: 400}), data.Daily)
	if err != nil {
		t.Fatal(err)
	}
	return ss[0]
}

func testSpecs(t *testing.T, names ...string) []models.Spec {
	t.Helper()
	sp, err := models.Standard().Select(names)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func TestHuntLeaksQuarantinesLeakyModel(t *testing.T) {
	var cache leaktest.Cache
	defer cache.Release()
	leaky := cache.Spec("leaky")
	reg, err := models.NewRegistry(append(testSpecs(t, "naive", "seasonal_naive", "ses"), leaky)...)
	if err != nil {
		t.Fatal(err)
	}
	g, err := memguard.New(memguard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := testSeries(t)
	res, err := huntLeaks(context.Background(), g, reg.All(), s, 14, 8)
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
	out, err := forecast.Tournament(context.Background(), s, forecast.Options{Horizon: 14, Candidates: cands})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range out.Result.Leaderboard {
		if e.Name == "leaky" {
			t.Fatal("quarantined model ran in the next tournament")
		}
	}
}
