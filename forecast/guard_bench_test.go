package forecast

import (
	"context"
	"testing"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

// BenchmarkGuardOverhead measures memguard's cost on a typical training
// job (the default tournament on 8 two-year daily series) against the same
// job unguarded, at the guard's default settings (guarded first, so
// that warming up is charged to the guard, not to the bare run):
//
//	go test -run '^$' -bench GuardOverhead -benchtime 5x ./forecast/
func BenchmarkGuardOverhead(b *testing.B) {
	ss := demoSales(b, demo.Options{Stores: 1, SKUs: 8})
	o := Options{Horizon: 28, Candidates: models.Standard().Defaults()}
	job := func(ctx context.Context) error {
		return Run(ctx, ss, o, func(*data.Series, *Outcome, error) error { return nil }, nil)
	}
	b.Run("guarded", func(b *testing.B) {
		g, err := memguard.New(memguard.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < b.N; i++ {
			if _, err := g.Run(context.Background(), "train", job); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bare", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := job(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
