package demo

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
)

// M5Options sizes an M5-shaped data set: Stores × SKUs daily series of
// up to Days days ending on End. Zero fields take the defaults (10
// stores, 100 SKUs, 1,941 days as the M5 grid has, seed 42, End
// 2026-10-31).
type M5Options struct {
	Stores, SKUs, Days int
	Seed               uint64
	End                time.Time
}

func (o M5Options) withDefaults() M5Options {
	if o.Stores <= 0 {
		o.Stores = 10
	}
	if o.SKUs <= 0 {
		o.SKUs = 100
	}
	if o.Days <= 0 {
		o.Days = 1941
	}
	if o.Seed == 0 {
		o.Seed = 42
	}
	if o.End.IsZero() {
		o.End = time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	}
	return o
}

// M5Stats counts what WriteM5 wrote.
type M5Stats struct {
	Series, Rows, Zeros int64
	// Launched counts the series whose first row is after the first day
	// (a product launched mid-history).
	Launched int64
}

// M5Key is the store and SKU names of series (store s, sku k), both
// counted from 0, as WriteM5 writes them.
func M5Key(s, k int) (store, sku string) {
	return fmt.Sprintf("ST%03d", s+1), fmt.Sprintf("%s_%05d", m5Dept[k%len(m5Dept)], k+1)
}

// m5Dept names the departments SKUs cycle through, M5's three categories.
var m5Dept = [...]string{"FOODS", "HOUSEHOLD", "HOBBIES"}

// m5Series is the drawn shape of one series.
type m5Series struct {
	launch     int     // first day with a row
	base       float64 // daily rate before seasonality and covariates
	dispersion float64 // gamma shape of the daily rate: small = lumpy
	weekAmp    float64
	yearAmp    float64
	yearPhase  float64
	trend      float64 // relative change per day
	price      float64 // regular price
	elasticity float64 // rate multiplies by (price/regular)^-elasticity
	promoLift  float64
}

// drawSeries draws series (s, k)'s shape from its own stream, so a
// series does not depend on the number of stores or SKUs around it.
func drawSeries(o M5Options, s, k int) (m5Series, *rand.Rand) {
	rng := rand.New(rand.NewPCG(o.Seed, uint64(s)<<32|uint64(k)))
	var m m5Series
	// About a third of the products launch during the history, never in
	// its last quarter so that every series has some history to train.
	if rng.Float64() < 0.3 {
		m.launch = 1 + rng.IntN(max(1, o.Days*3/4))
	}
	// Rates are log-normal: most items sell less than one unit a day (M5's
	// intermittent majority), a few sell dozens.
	m.base = math.Exp(-0.4 + 1.3*rng.NormFloat64())
	m.dispersion = 0.5 + 2.5*rng.Float64()
	m.weekAmp = 0.1 + 0.4*rng.Float64()
	m.yearAmp = 0.05 + 0.3*rng.Float64()
	m.yearPhase = 2 * math.Pi * rng.Float64()
	m.trend = (rng.Float64() - 0.4) * 0.3 / 365
	m.price = math.Round((0.5+20*rng.Float64()*rng.Float64())*100) / 100
	m.elasticity = 1 + 2*rng.Float64()
	m.promoLift = 0.2 + 0.8*rng.Float64()
	return m, rng
}

// WriteM5 writes an M5-shaped synthetic data set to w as a long sales CSV
// (date,store,sku,quantity,price,promo), the format `forecastd train` and
// POST /v1/sales read, grouped by series and in date order. Sales are
// intermittent counts (a gamma-mixed Poisson, so lumpier than Poisson),
// some products launch mid-history (no rows before their launch), demand
// has weekly (weekend) and yearly seasonality and a trend, stores close
// on 25 December, and two covariates move it: price (temporary price
// cuts of 10-40% for one to four weeks, demand following the price with
// a per-item elasticity) and promo (a 0/1 flag on ~4% of days, in runs).
// Rows are generated and written one at a time, so memory does not grow
// with the size; the same options always give the same bytes.
func WriteM5(ctx context.Context, w io.Writer, opts M5Options) (M5Stats, error) {
	o := opts.withDefaults()
	bw := bufio.NewWriterSize(w, 1<<16)
	var st M5Stats
	if _, err := bw.WriteString("date,store,sku,quantity,price,promo\n"); err != nil {
		return st, fmt.Errorf("demo: write: %w", err)
	}
	start := o.End.AddDate(0, 0, -(o.Days - 1))
	// Dates are formatted once: every series shares the calendar.
	dates := make([]string, o.Days)
	weekday := make([]float64, o.Days)
	yearFrac := make([]float64, o.Days)
	closed := make([]bool, o.Days)
	for d := range dates {
		t := start.AddDate(0, 0, d)
		dates[d] = t.Format("2006-01-02")
		weekday[d] = float64(t.Weekday())
		yearFrac[d] = float64(t.YearDay()) / 365.25
		closed[d] = t.Month() == time.December && t.Day() == 25
	}
	line := make([]byte, 0, 96)
	for s := 0; s < o.Stores; s++ {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		for k := 0; k < o.SKUs; k++ {
			store, sku := M5Key(s, k)
			m, rng := drawSeries(o, s, k)
			st.Series++
			if m.launch > 0 {
				st.Launched++
			}
			var cutLeft, promoLeft int
			cutFactor := 1.0
			for d := m.launch; d < o.Days; d++ {
				// Price cuts and promotions come in runs of days.
				if cutLeft == 0 && rng.Float64() < 0.006 {
					cutLeft = 7 * (1 + rng.IntN(4))
					cutFactor = 1 - (0.1 + 0.3*rng.Float64())
				}
				if promoLeft == 0 && rng.Float64() < 0.01 {
					promoLeft = 2 + rng.IntN(5)
				}
				price, promo := m.price, 0
				if cutLeft > 0 {
					price = math.Round(m.price*cutFactor*100) / 100
					cutLeft--
				}
				if promoLeft > 0 {
					promo = 1
					promoLeft--
				}
				q := 0
				if !closed[d] {
					week := 1 + m.weekAmp*math.Cos(2*math.Pi*(weekday[d]-6)/7)
					year := 1 + m.yearAmp*math.Sin(2*math.Pi*yearFrac[d]+m.yearPhase)
					lambda := m.base * week * year * max(0.05, 1+m.trend*float64(d-m.launch)) *
						math.Pow(price/m.price, -m.elasticity) * (1 + m.promoLift*float64(promo))
					q = poisson(rng, lambda*gamma(rng, m.dispersion)/m.dispersion)
				}
				if q == 0 {
					st.Zeros++
				}
				st.Rows++
				line = append(line[:0], dates[d]...)
				line = append(line, ',')
				line = append(line, store...)
				line = append(line, ',')
				line = append(line, sku...)
				line = append(line, ',')
				line = strconv.AppendInt(line, int64(q), 10)
				line = append(line, ',')
				line = strconv.AppendFloat(line, price, 'f', 2, 64)
				line = append(line, ',', byte('0'+promo), '\n')
				if _, err := bw.Write(line); err != nil {
					return st, fmt.Errorf("demo: write: %w", err)
				}
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return st, fmt.Errorf("demo: write: %w", err)
	}
	return st, nil
}

// gamma draws from Gamma(shape, 1) (Marsaglia and Tsang; for shape < 1
// boosted by a uniform power).
func gamma(rng *rand.Rand, shape float64) float64 {
	if shape < 1 {
		return gamma(rng, shape+1) * math.Pow(rng.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// M5Series returns the series WriteM5 writes for opts, assembled as an
// upload is (daily, covariates by name), for tests and benchmarks that
// train them in memory. Memory grows with the size, unlike WriteM5's.
func M5Series(ctx context.Context, opts M5Options) ([]*data.Series, error) {
	var buf bytes.Buffer
	if _, err := WriteM5(ctx, &buf, opts); err != nil {
		return nil, err
	}
	var obs []data.Observation
	if err := ingest.ParseCSV(&buf, func(o data.Observation) error { obs = append(obs, o); return nil }); err != nil {
		return nil, fmt.Errorf("demo: M5 series: %w", err)
	}
	return ingest.Assemble(obs, data.Daily)
}
