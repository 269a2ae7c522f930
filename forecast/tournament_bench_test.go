package forecast

import (
	"context"
	"testing"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/models"
)

// BenchmarkTournament measures one default tournament (the registry's
// default candidates, 3 folds, horizon 28) on one two-year daily demo
// series, the unit of work a training job repeats per series. It is the
// cost a refactoring of Tournament must not move:
//
//	go test -run '^$' -bench Tournament -benchtime 3x ./forecast/
func BenchmarkTournament(b *testing.B) {
	ss, err := ingest.Assemble(demo.Sales(demo.Options{Stores: 1, SKUs: 1}), data.Daily)
	if err != nil {
		b.Fatal(err)
	}
	o := Options{Horizon: 28, Candidates: models.Standard().Defaults()}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Tournament(ctx, ss[0], o); err != nil {
			b.Fatal(err)
		}
	}
}
