package forecast

import (
	"context"
	"testing"

	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/models"
)

// BenchmarkTournamentLong is the default tournament (h=28, 3 folds) on
// four five-year daily demo series, the length of the store/item data,
// one series after another. Its CPU profile carries the model, fit and
// phase labels of every fit, so it says where the time goes per
// candidate:
//
//	go test -run '^$' -bench TournamentLong -benchtime 2x -cpuprofile /tmp/t.prof ./forecast/
//	go tool pprof -tags /tmp/t.prof
func BenchmarkTournamentLong(b *testing.B) {
	ss := demoSales(b, demo.Options{Stores: 1, SKUs: 4, Days: 1826})
	for _, racing := range []Racing{RacingOff, RacingExact} {
		o := Options{Horizon: 28, Racing: racing, Candidates: models.Standard().Defaults()}
		b.Run(string(racing), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				for _, s := range ss {
					if _, err := Tournament(context.Background(), s, o); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
