package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
)

// m5Sample is a small M5-shaped set read back through the sales reader:
// what the generator writes must be what forecastd imports.
func m5Sample(t *testing.T, o M5Options) ([]data.Observation, M5Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := WriteM5(context.Background(), &buf, o)
	if err != nil {
		t.Fatal(err)
	}
	var obs []data.Observation
	if err := ingest.ParseCSV(&buf, func(ob data.Observation) error {
		obs = append(obs, ob)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if int64(len(obs)) != st.Rows {
		t.Fatalf("read %d rows, stats say %d", len(obs), st.Rows)
	}
	return obs, st
}

func TestM5Shape(t *testing.T) {
	o := M5Options{Stores: 4, SKUs: 50, Days: 730, Seed: 7}
	obs, st := m5Sample(t, o)
	if st.Series != 200 {
		t.Fatalf("%d series, want 200", st.Series)
	}
	// Intermittent: M5's share of zero days is about 0.6 once launches
	// are left out; the generator must be in that range, not a smooth
	// Poisson with a handful of zeros nor an all-zero set.
	zeros := float64(st.Zeros) / float64(st.Rows)
	t.Logf("zero share %.3f, launched %d", zeros, st.Launched)
	if zeros < 0.35 || zeros > 0.8 {
		t.Errorf("share of zero days %.3f, want in [0.35, 0.8]", zeros)
	}
	end := time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	first := end.AddDate(0, 0, -(o.Days - 1))
	starts := map[data.Key]time.Time{}
	rows := map[data.Key]int{}
	var byWeekday [7]float64
	var byMonth [13]float64
	var daysMonth [13]int
	var promoSales, promoDays, plainSales, plainDays float64
	for _, ob := range obs {
		if _, ok := starts[ob.Key]; !ok {
			starts[ob.Key] = ob.Date
		}
		rows[ob.Key]++
		byWeekday[ob.Date.Weekday()] += ob.Quantity
		byMonth[ob.Date.Month()] += ob.Quantity
		daysMonth[ob.Date.Month()]++
		if ob.Date.Month() == time.December && ob.Date.Day() == 25 && ob.Quantity != 0 {
			t.Fatalf("%s sold %v on 25 December (stores are closed)", ob.Key, ob.Quantity)
		}
		if _, ok := ob.Covariates["price"]; !ok {
			t.Fatalf("row %s %s has no price", ob.Key, ob.Date)
		}
		if ob.Covariates["promo"] == 1 {
			promoSales += ob.Quantity
			promoDays++
		} else {
			plainSales += ob.Quantity
			plainDays++
		}
	}
	// Launches: some series start mid-history, and every series has a
	// row for each day from its first to the end (no gaps).
	launched := 0
	for k, s := range starts {
		if s.After(first) {
			launched++
			if s.After(end.AddDate(0, 0, -o.Days/4)) {
				t.Errorf("%s launched %s, in the last quarter of the history", k, s.Format("2006-01-02"))
			}
		}
		if want := int(end.Sub(s).Hours()/24) + 1; rows[k] != want {
			t.Errorf("%s has %d rows from %s, want %d", k, rows[k], s.Format("2006-01-02"), want)
		}
	}
	if launched != int(st.Launched) || launched < 30 || launched > 100 {
		t.Errorf("%d series launched mid-history (stats %d), want about 30%% of 200", launched, st.Launched)
	}
	// Weekly seasonality: weekends sell more than midweek.
	if r := byWeekday[time.Saturday] / byWeekday[time.Tuesday]; r < 1.15 {
		t.Errorf("Saturday/Tuesday sales ratio %.3f, want a weekly pattern (>= 1.15)", r)
	}
	// Promotions lift sales.
	if lift := (promoSales / promoDays) / (plainSales / plainDays); lift < 1.2 {
		t.Errorf("promo-day sales are %.2fx plain days, want a lift >= 1.2", lift)
	}
	if share := promoDays / (promoDays + plainDays); share < 0.01 || share > 0.1 {
		t.Errorf("share of promo days %.3f, want in [0.01, 0.1]", share)
	}
}

// TestM5YearlySeasonality checks one series of many years: its monthly
// means follow its drawn yearly cycle, so the yearly pattern is there to
// be found and is not noise.
func TestM5YearlySeasonality(t *testing.T) {
	o := M5Options{Stores: 1, SKUs: 30, Days: 1941, Seed: 3}
	obs, _ := m5Sample(t, o)
	o = o.withDefaults()
	// Correlate each series' monthly mean with its drawn cycle; the
	// average correlation must be clearly positive.
	type acc struct{ sum, n [12]float64 }
	per := map[data.Key]*acc{}
	for _, ob := range obs {
		a := per[ob.Key]
		if a == nil {
			a = &acc{}
			per[ob.Key] = a
		}
		a.sum[ob.Date.Month()-1] += ob.Quantity
		a.n[ob.Date.Month()-1]++
	}
	var corrSum float64
	n := 0
	for k := 0; k < o.SKUs; k++ {
		store, sku := M5Key(0, k)
		m, _ := drawSeries(o, 0, k)
		a := per[data.Key{Store: store, SKU: sku}]
		if m.base < 2 || a == nil { // slow movers: monthly means are noise
			continue
		}
		var xs, ys []float64
		for mo := 0; mo < 12; mo++ {
			if a.n[mo] == 0 {
				continue
			}
			mid := time.Date(2025, time.Month(mo+1), 15, 0, 0, 0, 0, time.UTC)
			xs = append(xs, math.Sin(2*math.Pi*float64(mid.YearDay())/365.25+m.yearPhase))
			ys = append(ys, a.sum[mo]/a.n[mo])
		}
		corrSum += corr(xs, ys)
		n++
	}
	if n < 3 {
		t.Fatalf("only %d series sell enough to judge", n)
	}
	if c := corrSum / float64(n); c < 0.5 {
		t.Errorf("monthly means correlate %.2f with the yearly cycle on average over %d series, want >= 0.5", c, n)
	}
}

func corr(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var sxy, sxx, syy float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
	}
	return sxy / math.Sqrt(sxx*syy)
}

func TestM5Deterministic(t *testing.T) {
	sum := func(o M5Options) [32]byte {
		h := sha256.New()
		if _, err := WriteM5(context.Background(), h, o); err != nil {
			t.Fatal(err)
		}
		var out [32]byte
		copy(out[:], h.Sum(nil))
		return out
	}
	o := M5Options{Stores: 2, SKUs: 20, Days: 200, Seed: 11}
	if a, b := sum(o), sum(o); a != b {
		t.Fatal("the same options wrote different bytes")
	}
	o2 := o
	o2.Seed = 12
	if sum(o) == sum(o2) {
		t.Fatal("seeds 11 and 12 wrote the same bytes")
	}
	// A series depends only on its own position: the first store's rows
	// are the same whether one store or two are written.
	var one, two bytes.Buffer
	if _, err := WriteM5(context.Background(), &one, M5Options{Stores: 1, SKUs: 20, Days: 200, Seed: 11}); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteM5(context.Background(), &two, o); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(two.Bytes(), one.Bytes()) {
		t.Fatal("store 1's rows change with the number of stores")
	}
}

// TestM5Streams writes a set larger than the writer's buffer and checks
// the generator's own allocations stay small: rows go out as they are
// made, the set is never held.
func TestM5Streams(t *testing.T) {
	o := M5Options{Stores: 2, SKUs: 100, Days: 1000, Seed: 5}
	var n countWriter
	allocs := testing.AllocsPerRun(1, func() {
		if _, err := WriteM5(context.Background(), &n, o); err != nil {
			t.Fatal(err)
		}
	})
	if n < 1<<20 {
		t.Fatalf("wrote %d bytes, want a set of several MB", n)
	}
	// Per series: its key strings, its generator; per day: nothing.
	if allocs > float64(o.Stores*o.SKUs*20+o.Days*4+100) {
		t.Errorf("%.0f allocations for %d rows: rows are not streamed", allocs, o.Stores*o.SKUs*o.Days)
	}
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

var _ io.Writer = (*countWriter)(nil)

// TestGammaMoments checks the gamma sampler's mean and variance (both
// equal the shape for Gamma(shape, 1)), below and above shape 1.
func TestGammaMoments(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, shape := range []float64{0.5, 2.5} {
		const n = 200000
		var s, s2 float64
		for i := 0; i < n; i++ {
			x := gamma(rng, shape)
			s += x
			s2 += x * x
		}
		mean := s / n
		v := s2/n - mean*mean
		if math.Abs(mean-shape) > 0.02*shape || math.Abs(v-shape) > 0.05*shape {
			t.Errorf("Gamma(%v): mean %.4f var %.4f, want both %v", shape, mean, v, shape)
		}
	}
}
