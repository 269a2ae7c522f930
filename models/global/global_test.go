package global

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/features"
	"github.com/forecastd/forecastd/models/ml"
)

// designGolden is testdata/design_golden.json, written by
// testdata/make_design_golden.py (pandas 1.5, numpy 1.24).
type designGolden struct {
	Settings struct {
		Lags        []int    `json:"lags"`
		Windows     []int    `json:"windows"`
		Stats       []string `json:"stats"`
		Season      int      `json:"season"`
		MaxRows     int      `json:"max_rows"`
		ScaleWindow int      `json:"scale_window"`
		Horizon     int      `json:"horizon"`
	}
	Pool []struct {
		Store, SKU, Start string
		Y                 []float64
	}
	Recursive, Direct struct {
		Columns map[string][]*float64
		Y       []float64
	}
}

// TestDesignMatchesPandas holds Design's rows, both layouts, to the
// independent pandas computation in testdata within 1e-9 (relative, or
// absolute near zero); undefined values (NaN) must agree too.
func TestDesignMatchesPandas(t *testing.T) {
	raw, err := os.ReadFile("testdata/design_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g designGolden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	var pool []Series
	for _, p := range g.Pool {
		start, err := time.Parse("2006-01-02", p.Start)
		if err != nil {
			t.Fatal(err)
		}
		pool = append(pool, Series{Key: data.Key{Store: p.Store, SKU: p.SKU}, Y: p.Y, Start: start, Freq: data.Daily})
	}
	cfg := features.Config{Lags: g.Settings.Lags, Windows: g.Settings.Windows, Calendar: true}
	for _, s := range g.Settings.Stats {
		cfg.Stats = append(cfg.Stats, features.Stat(s))
	}
	for _, tc := range []struct {
		name   string
		direct bool
		want   map[string][]*float64
		y      []float64
	}{
		{"recursive", false, g.Recursive.Columns, g.Recursive.Y},
		{"direct", true, g.Direct.Columns, g.Direct.Y},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := Settings{Season: g.Settings.Season, Features: &cfg, MaxRows: g.Settings.MaxRows,
				ScaleWindow: g.Settings.ScaleWindow, Direct: tc.direct, Horizon: g.Settings.Horizon}
			x, y, names, err := Design(context.Background(), pool, st)
			if err != nil {
				t.Fatal(err)
			}
			if len(y) != len(tc.y) || len(names) != len(tc.want) {
				t.Fatalf("%d rows x %d columns, want %d x %d (%v)", len(y), len(names), len(tc.y), len(tc.want), names)
			}
			for i := range y {
				if !close(y[i], tc.y[i]) {
					t.Errorf("y[%d] = %v, want %v", i, y[i], tc.y[i])
				}
			}
			for j, name := range names {
				col, ok := tc.want[name]
				if !ok {
					t.Fatalf("column %s is not in the golden file", name)
				}
				for i, w := range col {
					got := x[i*len(names)+j]
					if (w == nil) != math.IsNaN(got) || (w != nil && !close(got, *w)) {
						t.Fatalf("%s row %d = %v, want %v", name, i, got, deref(w))
					}
				}
			}
		})
	}
}

func close(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func deref(p *float64) any {
	if p == nil {
		return "NaN"
	}
	return *p
}

// weeklyPool is n seeded Poisson series sharing one weekly profile at
// levels 2..40, days long, with the next h days of each held out.
func weeklyPool(n, days, h int) (pool []Series, future [][]float64) {
	rng := rand.New(rand.NewPCG(1, 2))
	profile := []float64{0.6, 0.8, 1.0, 1.0, 1.1, 1.5, 1.9}
	start := time.Date(2022, 1, 3, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		level := 2 + 38*float64(i)/float64(max(n-1, 1))
		y := make([]float64, days+h)
		for t := range y {
			y[t] = poisson(rng, level*profile[t%7])
		}
		pool = append(pool, Series{Key: data.Key{Store: "s", SKU: string(rune('a' + i))}, Y: y[:days], Start: start, Freq: data.Daily})
		future = append(future, y[days:])
	}
	return pool, future
}

// poisson draws by inversion; the means here are small.
func poisson(rng *rand.Rand, lambda float64) float64 {
	l, k, p := math.Exp(-lambda), 0.0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// TestForecastLearnsSharedShape: on a pool sharing one weekly profile,
// both layouts forecast every series, short ones included (padded with
// their own weeks), better than the mean of its last two weeks.
func TestForecastLearnsSharedShape(t *testing.T) {
	const h = 14
	pool, future := weeklyPool(12, 200, h)
	ctx := context.Background()
	for _, direct := range []bool{false, true} {
		m, err := Train(ctx, pool, Settings{Season: 7, Direct: direct, Horizon: h, Trees: ml.HGBT{MaxIter: 60}})
		if err != nil {
			t.Fatal(err)
		}
		var eModel, eMean, total float64
		for i, s := range pool {
			if i%2 == 1 {
				s.Y = s.Y[len(s.Y)-14:] // cold start: two weeks only
				s.Start = s.Start.AddDate(0, 0, 200-14)
			}
			fc, err := m.Forecast(ctx, s, h)
			if err != nil {
				t.Fatal(err)
			}
			var mean float64
			for _, v := range s.Y[len(s.Y)-14:] {
				mean += v / 14
			}
			for j, a := range future[i] {
				if fc[j] < 0 || math.IsNaN(fc[j]) {
					t.Fatalf("series %d step %d: forecast %v", i, j, fc[j])
				}
				eModel += math.Abs(a - fc[j])
				eMean += math.Abs(a - mean)
				total += a
			}
		}
		t.Logf("direct=%v: WAPE %.3f, mean of the last two weeks %.3f", direct, eModel/total, eMean/total)
		if eModel > 0.8*eMean {
			t.Errorf("direct=%v: WAPE %.3f not 20%% better than the two-week mean's %.3f", direct, eModel/total, eMean/total)
		}
	}
}

// TestErrors: data faults are errors naming the series, a cancelled
// context stops training.
func TestErrors(t *testing.T) {
	pool, _ := weeklyPool(3, 60, 1)
	ctx := context.Background()
	st := Settings{Season: 7}
	bad := append([]Series(nil), pool...)
	bad[1].Y = append([]float64{math.NaN()}, bad[1].Y[1:]...)
	if _, err := Train(ctx, bad, st); !errors.Is(err, ErrSeries) {
		t.Errorf("NaN value: %v, want ErrSeries", err)
	}
	short := []Series{{Key: data.Key{Store: "s", SKU: "x"}, Y: []float64{1, 2, 3}, Start: pool[0].Start, Freq: data.Daily}}
	if _, err := Train(ctx, short, st); !errors.Is(err, ErrTooFewRows) {
		t.Errorf("three points: %v, want ErrTooFewRows", err)
	}
	m, err := Train(ctx, pool, Settings{Season: 7, Trees: ml.HGBT{MaxIter: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Forecast(ctx, Series{Key: data.Key{Store: "s", SKU: "e"}, Start: pool[0].Start, Freq: data.Daily}, 3); !errors.Is(err, ErrSeries) {
		t.Errorf("empty series: %v, want ErrSeries", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Train(cancelled, pool, st); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
}
