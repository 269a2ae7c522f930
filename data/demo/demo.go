package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/forecastd/forecastd/data"
)

// Options sizes the demo data set. Zero fields take the defaults.
type Options struct {
	Seed   uint64 // default 42
	Stores int    // default 3
	SKUs   int    // per store, default 24
	Days   int    // default 730 (two years)
	// End is the last date; default 2026-10-31 so the data does not
	// depend on the day it is generated.
	End time.Time
	// PromoLift, when > 0, is every SKU's promotion lift (a promo day
	// sells 1+PromoLift times as much); default a lift drawn per SKU
	// from [0.3, 1). Tests set it to make the promotion effect strong;
	// the sales drawn after a series' first promotion then differ from
	// the default data set's.
	PromoLift float64
	// PlanDays is how many days after End Plan plans promotions
	// for; default 35: the default horizon of 28 days with a week to
	// spare, so a refresh during the next week still has its plan.
	PlanDays int
}

func (o Options) withDefaults() Options {
	if o.Seed == 0 {
		o.Seed = 42
	}
	if o.Stores <= 0 {
		o.Stores = 3
	}
	if o.SKUs <= 0 {
		o.SKUs = 24
	}
	if o.Days <= 0 {
		o.Days = 730
	}
	if o.End.IsZero() {
		o.End = time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	}
	if o.PlanDays <= 0 {
		o.PlanDays = 35
	}
	return o
}

// demoPromoRate is the share of days with a promotion, in the history and
// in the plan alike.
const demoPromoRate = 0.05

// Demo generates deterministic daily sales with the shapes retail data has:
// weekly and yearly seasonality, trend, promotions (the "promo" covariate)
// and slow movers with many zero days. The same options always give the
// same rows, in (store, sku, date) order.
func Sales(opts Options) []data.Observation {
	o := opts.withDefaults()
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	start := o.End.AddDate(0, 0, -(o.Days - 1))
	out := make([]data.Observation, 0, o.Stores*o.SKUs*o.Days)
	for s := 1; s <= o.Stores; s++ {
		storeScale := 0.7 + 0.6*rng.Float64()
		for k := 1; k <= o.SKUs; k++ {
			key := data.Key{Store: fmt.Sprintf("S%02d", s), SKU: fmt.Sprintf("SKU%03d", k)}
			// Every fourth SKU is a slow mover: a low Poisson rate gives
			// long runs of zero days, as intermittent demand does.
			slow := k%4 == 0
			base := storeScale * (5 + 45*rng.Float64())
			if slow {
				base = 0.15 + 0.5*rng.Float64()
			}
			trend := (rng.Float64() - 0.3) * 0.4 / 365 // relative change per day
			weekAmp := 0.15 + 0.35*rng.Float64()
			yearAmp := 0.1 + 0.3*rng.Float64()
			yearPhase := 2 * math.Pi * rng.Float64()
			promoLift := 0.3 + 0.7*rng.Float64()
			if o.PromoLift > 0 {
				promoLift = o.PromoLift
			}
			for d := 0; d < o.Days; d++ {
				date := start.AddDate(0, 0, d)
				wd := float64(date.Weekday())
				// Weekends sell more: a smooth weekly shape peaking Saturday.
				week := 1 + weekAmp*math.Cos(2*math.Pi*(wd-6)/7)
				year := 1 + yearAmp*math.Sin(2*math.Pi*float64(date.YearDay())/365.25+yearPhase)
				promo := 0.0
				if rng.Float64() < demoPromoRate {
					promo = 1
				}
				lambda := base * week * year * (1 + trend*float64(d)) * (1 + promoLift*promo)
				if lambda < 0 {
					lambda = 0
				}
				out = append(out, data.Observation{
					Date:       date,
					Key:        key,
					Quantity:   float64(poisson(rng, lambda)),
					Covariates: map[string]float64{"promo": promo},
				})
			}
		}
	}
	return out
}

// Plan is the promotion calendar of the series Demo makes with the same
// options, for the PlanDays after End: one row per series and day with the
// planned "promo" flag, as IngestCovariates takes them. It draws from its
// own stream, so Demo's rows do not depend on it, and plans promotions at
// the rate the history had them.
func Plan(opts Options) []data.Observation {
	o := opts.withDefaults()
	rng := rand.New(rand.NewPCG(o.Seed, 0x91a4))
	out := make([]data.Observation, 0, o.Stores*o.SKUs*o.PlanDays)
	for s := 1; s <= o.Stores; s++ {
		for k := 1; k <= o.SKUs; k++ {
			key := data.Key{Store: fmt.Sprintf("S%02d", s), SKU: fmt.Sprintf("SKU%03d", k)}
			for d := 1; d <= o.PlanDays; d++ {
				promo := 0.0
				if rng.Float64() < demoPromoRate {
					promo = 1
				}
				out = append(out, data.Observation{Date: o.End.AddDate(0, 0, d), Key: key,
					Covariates: map[string]float64{"promo": promo}})
			}
		}
	}
	return out
}

// poisson draws from Poisson(lambda): Knuth's method for small rates, a
// rounded normal approximation for large ones (the demo needs the shape,
// not exact tails).
func poisson(rng *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		v := math.Round(lambda + math.Sqrt(lambda)*rng.NormFloat64())
		if v < 0 {
			return 0
		}
		return int(v)
	}
	l := math.Exp(-lambda)
	k, p := 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
