package forecast

import (
	"context"
	"math"
	"testing"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/models"
)

// BenchmarkDemoPromoPlan measures what a promotion plan buys the default
// tournament on demo data as make run generates it (promotion lifts drawn
// from 0.3 to 1 per SKU): 24 series of 730 days, the next 28 held out, one
// tournament given the held-out promo flags as the plan and one given no
// covariates. It reports the combined forecast's MAE on the held-out promo
// days and on the other days, pooled over the series. The figures are
// deterministic; run it once:
//
//	go test -run '^$' -bench DemoPromoPlan -benchtime 1x ./forecast/
func BenchmarkDemoPromoPlan(b *testing.B) {
	ctx := context.Background()
	const h = 28
	all, err := ingest.Assemble(demo.Sales(demo.Options{Stores: 1, SKUs: 24, Days: 730 + h}), data.Daily)
	if err != nil {
		b.Fatal(err)
	}
	o := Options{Horizon: h, Candidates: models.Standard().Defaults()}
	var with, without [2]float64 // absolute errors on promo days, other days
	var days [2]int
	for b.Loop() {
		with, without, days = [2]float64{}, [2]float64{}, [2]int{}
		for _, s := range all {
			n := len(s.Values) - h
			plan := *s
			plan.Values = s.Values[:n]
			bare := plan
			bare.Covariates = nil
			a, err := Tournament(ctx, &plan, o)
			if err != nil {
				b.Fatal(err)
			}
			c, err := Tournament(ctx, &bare, o)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < h; i++ {
				k := 1
				if s.Covariates["promo"][n+i] == 1 {
					k = 0
				}
				actual := s.Values[n+i]
				with[k] += math.Abs(a.Result.Points[i].Value - actual)
				without[k] += math.Abs(c.Result.Points[i].Value - actual)
				days[k]++
			}
		}
	}
	b.ReportMetric(with[0]/float64(days[0]), "promo-MAE-planned")
	b.ReportMetric(without[0]/float64(days[0]), "promo-MAE-unplanned")
	b.ReportMetric(with[1]/float64(days[1]), "other-MAE-planned")
	b.ReportMetric(without[1]/float64(days[1]), "other-MAE-unplanned")
	b.ReportMetric(float64(days[0]), "promo-days")
}
