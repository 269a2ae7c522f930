package features

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
)

// randomSeries draws a sales-like series that exercises the kernels' edge
// cases: integer counts, plateaus, zero runs, NaN runs and positive reals.
func randomSeries(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := 0; i < n; {
		run := 1 + rng.IntN(12)
		kind := rng.IntN(6)
		v := float64(rng.IntN(10))
		for j := 0; j < run && i < n; j, i = j+1, i+1 {
			switch kind {
			case 0:
				x[i] = math.NaN()
			case 1:
				x[i] = 0
			case 2:
				x[i] = v // plateau
			case 3:
				x[i] = 100 * rng.Float64()
			default:
				x[i] = float64(rng.IntN(20))
			}
		}
	}
	return x
}

// sameBits reports whether a and b are equal, NaN equal to NaN.
func sameBits(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

// TestKernelsMatchOracle compares every kernel with the brute-force O(n*w)
// definitions of reference_test.go on seeded random series: order
// statistics and counts exactly, sums and moments within 1e-12 relative
// (they are summed in a different order), EWMs within 1e-10 relative (the
// oracle uses explicit weights, pandas' recursion compounds rounding).
func TestKernelsMatchOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 1))
	var r Roller
	var got []float64
	for _, n := range []int{0, 1, 2, 5, 50, 300} {
		for rep := 0; rep < 4; rep++ {
			x := randomSeries(rng, n)
			for _, w := range []int{1, 2, 3, 7, 28, 100, 400} {
				for _, minp := range []int{0, 1, (w + 1) / 2, w} {
					type kernel struct {
						name  string
						run   func() []float64
						ref   func(win []float64, minp int) float64
						exact bool
					}
					stat := func(s Stat) func([]float64, int) float64 {
						return func(win []float64, minp int) float64 { return windowStat(s, win, minp) }
					}
					quant := func(q float64) func([]float64, int) float64 {
						return func(win []float64, minp int) float64 { return refQuantile(win, minp, q) }
					}
					kernels := []kernel{
						{"sum", func() []float64 { return r.Sum(got, x, w, minp) }, stat(Sum), false},
						{"mean", func() []float64 { return r.Mean(got, x, w, minp) }, stat(Mean), false},
						{"var", func() []float64 { return r.Var(got, x, w, minp) }, stat(Var), false},
						{"std", func() []float64 { return r.Std(got, x, w, minp) }, stat(Std), false},
						{"min", func() []float64 { return r.Min(got, x, w, minp) }, stat(Min), true},
						{"max", func() []float64 { return r.Max(got, x, w, minp) }, stat(Max), true},
						{"median", func() []float64 { return r.Median(got, x, w, minp) }, stat(Median), true},
						{"zeros", func() []float64 { return r.Zeros(got, x, w, minp) }, stat(Zeros), true},
						{"q0.3", func() []float64 { return r.Quantile(got, x, w, minp, 0.3) }, quant(0.3), false},
						{"q1", func() []float64 { return r.Quantile(got, x, w, minp, 1) }, quant(1), true},
					}
					for _, k := range kernels {
						got = k.run()
						want := refRolling(x, w, minp, k.ref)
						for i := range want {
							ok := sameBits(got[i], want[i])
							if !k.exact {
								ok = closeRel(got[i], want[i], 1e-12)
							}
							if !ok {
								t.Fatalf("%s n=%d w=%d minp=%d: [%d] = %v, oracle %v\nx=%v", k.name, n, w, minp, i, got[i], want[i], x)
							}
						}
					}
				}
			}
			for _, minp := range []int{0, 1, 3} {
				got = ExpandingMean(got, x, minp)
				for i := range x {
					if want := windowStat(Mean, x[:i+1], minp); !closeRel(got[i], want, 1e-12) {
						t.Fatalf("expanding mean n=%d minp=%d: [%d] = %v, oracle %v", n, minp, i, got[i], want)
					}
				}
				for _, alpha := range []float64{0.05, 0.3, 1} {
					for _, adjust := range []bool{true, false} {
						for _, ign := range []bool{false, true} {
							e := EWM{Alpha: alpha, Adjust: adjust, IgnoreNA: ign, MinPeriods: minp}
							got = e.Mean(got, x)
							want := refEWM(e, x)
							for i := range want {
								if !closeRel(got[i], want[i], 1e-10) {
									t.Fatalf("%+v n=%d: [%d] = %v, oracle %v", e, n, i, got[i], want[i])
								}
							}
						}
					}
				}
			}
		}
	}
}

// allConfig is a configuration with every kind of column.
func allConfig() Config {
	return Config{
		Lags:       []int{1, 3, 7},
		Windows:    []int{1, 4, 7, 30},
		Stats:      []Stat{Min, Max, Mean, Std, Var, Sum, Median, Zeros},
		Quantiles:  []float64{0.1, 0.5, 0.95},
		EWMAlphas:  []float64{0.2, 1},
		Expanding:  true,
		YearAgo:    true,
		Calendar:   true,
		Covariates: []string{"promo", "holiday"},
	}
}

// TestBuilderMatchesOracle checks Matrix against refRow (the original
// builder) row by row within 1e-12 relative, Row against the last row of
// Matrix bit for bit, and any sub-range [from, to) of Matrix against the
// same rows of the full matrix bit for bit.
func TestBuilderMatchesOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	start := time.Date(2024, 2, 26, 0, 0, 0, 0, time.UTC)
	for _, fill := range []bool{false, true} {
		cfg := allConfig()
		cfg.FillNaN = fill
		b, err := NewBuilder(cfg)
		if err != nil {
			t.Fatal(err)
		}
		p := b.NumFeatures()
		for _, freq := range []data.Frequency{data.Daily, data.Weekly, data.Hourly} {
			for _, n := range []int{0, 1, 6, 40, 120} {
				y := randomSeries(rng, n)
				cov := map[string][]float64{"promo": randomSeries(rng, n+1)} // holiday absent
				m := b.MatrixCov(nil, y, cov, start, freq, 0, n+1)
				want := make([]float64, p)
				for tt := 0; tt <= n; tt++ {
					refRow(cfg, want, y[:tt], cov, freq.Add(start, tt), freq)
					for j := range want {
						if !closeRel(m[tt*p+j], want[j], 1e-12) {
							t.Fatalf("%s n=%d fill=%v row %d %s = %v, oracle %v", freq, n, fill, tt, b.Names()[j], m[tt*p+j], want[j])
						}
					}
				}
				row := b.RowCov(nil, y, cov, start, freq)
				for j := range row {
					if !sameBits(row[j], m[n*p+j]) {
						t.Fatalf("%s n=%d: Row %s = %v, last Matrix row %v", freq, n, b.Names()[j], row[j], m[n*p+j])
					}
				}
				for rep := 0; rep < 5 && n > 0; rep++ {
					from := rng.IntN(n + 1)
					to := from + rng.IntN(n+2-from)
					sub := b.MatrixCov(nil, y, cov, start, freq, from, to)
					for i := range sub {
						if !sameBits(sub[i], m[from*p+i]) {
							t.Fatalf("%s n=%d rows [%d,%d): value %d (%s) = %v, full matrix %v", freq, n, from, to, i, b.Names()[i%p], sub[i], m[from*p+i])
						}
					}
				}
			}
		}
	}
}

// TestNoLeakage changes every value at or after a fold origin o (to other
// values, NaN, huge spikes) and requires every training row (targets < o)
// to stay the same to the last bit, and the row of target o too, since it
// reads y[:o] only.
func TestNoLeakage(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 5))
	cfg := allConfig()
	b, err := NewBuilder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := b.NumFeatures()
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 500
	y := randomSeries(rng, n)
	cov := map[string][]float64{"promo": randomSeries(rng, n+1)}
	base := b.MatrixCov(nil, y, cov, start, data.Daily, 0, n+1)
	for _, o := range []int{1, 2, 29, 100, 364, 365, 499} {
		for rep := 0; rep < 3; rep++ {
			z := append([]float64(nil), y...)
			for i := o; i < n; i++ {
				switch rng.IntN(3) {
				case 0:
					z[i] = math.NaN()
				case 1:
					z[i] = 1e12 * rng.Float64()
				default:
					z[i] = -z[i]
				}
			}
			m := b.MatrixCov(nil, z, cov, start, data.Daily, 0, n+1)
			for i := 0; i < (o+1)*p; i++ {
				if !sameBits(m[i], base[i]) {
					t.Fatalf("origin %d: row %d column %s changed from %v to %v after changing y[%d:]", o, i/p, b.Names()[i%p], base[i], m[i], o)
				}
			}
		}
	}
}

// TestNewBuilderRejects checks that configuration errors are errors.
func TestNewBuilderRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"lag 0", Config{Lags: []int{0}}},
		{"window 0", Config{Windows: []int{0}, Stats: []Stat{Mean}}},
		{"unknown stat", Config{Windows: []int{3}, Stats: []Stat{"mode"}}},
		{"quantile > 1", Config{Windows: []int{3}, Quantiles: []float64{1.5}}},
		{"alpha 0", Config{EWMAlphas: []float64{0}}},
		{"duplicate", Config{Lags: []int{1, 1}}},
		{"covariate clash", Config{Lags: []int{1}, Covariates: []string{"lag_1"}}},
	} {
		if _, err := NewBuilder(tc.cfg); err == nil {
			t.Errorf("%s: NewBuilder accepted %+v", tc.name, tc.cfg)
		}
	}
}

func ExampleBuilder_Matrix() {
	b, err := NewBuilder(Config{Lags: []int{1}, Windows: []int{3}, Stats: []Stat{Mean, Max}})
	if err != nil {
		panic(err)
	}
	y := []float64{4, 0, 2, 6}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	m := b.Matrix(nil, y, start, data.Daily, 0, len(y)+1)
	fmt.Println(b.Names())
	for t := 0; t <= len(y); t++ {
		fmt.Println(m[t*3 : t*3+3])
	}
	// Output:
	// [lag_1 roll_mean_3 roll_max_3]
	// [NaN NaN NaN]
	// [4 4 4]
	// [0 2 4]
	// [2 2 4]
	// [6 2.6666666666666665 6]
}

// TestCalendarRows checks the stepped daily calendar against the time
// package over ten years that include leap days and ISO weeks 53, from
// several first rows and in a time zone with daylight saving time.
func TestCalendarRows(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.FixedZone("fixed", -5*3600)
	}
	for _, start := range []time.Time{
		time.Date(2015, 12, 25, 0, 0, 0, 0, time.UTC),
		time.Date(2019, 2, 27, 0, 0, 0, 0, ny),
	} {
		const n = 3700
		const p = 5
		dst := make([]float64, n*p)
		for _, from := range []int{0, 1, 6, 59, 400} {
			calendarRows(dst[1:], p, start, data.Daily, from, n)
			var want [4]float64
			for r := from; r < n; r++ {
				calendar(want[:], data.Daily.Add(start, r))
				got := dst[(r-from)*p+1 : (r-from)*p+5]
				for k := range want {
					if got[k] != want[k] {
						t.Fatalf("start %v from %d: row %d (%v) calendar %v, want %v", start, from, r, data.Daily.Add(start, r), got, want)
					}
				}
			}
		}
	}
}

// TestAppendSeriesAndDense checks that AppendSeries stacks the same rows
// as separate MatrixCov calls and that Dense shares its storage.
func TestAppendSeriesAndDense(t *testing.T) {
	series := demoSeries(rand.New(rand.NewPCG(9, 9)), 3)
	b, err := NewBuilder(leakConfig())
	if err != nil {
		t.Fatal(err)
	}
	p := b.NumFeatures()
	var all, want []float64
	for _, s := range series {
		all = b.AppendSeries(all, s, 10, s.Len()+1)
		want = append(want, b.MatrixCov(nil, s.Values, s.Covariates, s.Start, s.Freq, 10, s.Len()+1)...)
	}
	if len(all) != len(want) {
		t.Fatalf("AppendSeries made %d values, want %d", len(all), len(want))
	}
	for i := range want {
		if !sameBits(all[i], want[i]) {
			t.Fatalf("value %d (%s) = %v, want %v", i, b.Names()[i%p], all[i], want[i])
		}
	}
	d := Dense(all, p)
	if r, c := d.Dims(); r != len(all)/p || c != p {
		t.Fatalf("Dense is %dx%d, want %dx%d", r, c, len(all)/p, p)
	}
	all[p+2] = 42
	if d.At(1, 2) != 42 {
		t.Error("Dense copied the matrix instead of sharing it")
	}
	if Dense(nil, p) != nil {
		t.Error("Dense of an empty matrix is not nil")
	}
}

// The outputs are pandas' (x.rolling(3, min_periods=...).min() etc.).
func ExampleRoller() {
	x := []float64{3, 1, math.NaN(), 4, 1, 5}
	var r Roller
	fmt.Println(r.Min(nil, x, 3, 1))
	fmt.Println(r.Mean(nil, x, 3, 2))
	fmt.Println(r.Median(nil, x, 3, 1))
	// Output:
	// [3 1 1 1 1 1]
	// [NaN 2 2 2.5 2.5 3.3333333333333335]
	// [3 2 2 2.5 2.5 4]
}

// pandas: pd.Series([1, 2, np.nan, 4]).ewm(alpha=0.5).mean(); the NaN
// ages the older values, so 4 weighs 1, 2 a quarter and 1 an eighth.
func ExampleEWM_Mean() {
	e := EWM{Alpha: 0.5, Adjust: true}
	fmt.Println(e.Mean(nil, []float64{1, 2, math.NaN(), 4}))
	// Output:
	// [1 1.6666666666666667 1.6666666666666667 3.3636363636363638]
}

// FuzzRoller checks every rolling kernel against the oracle on series
// decoded from the fuzzer's bytes: NaNs, zeros, small counts and values
// around 1e12 (finite values only: the kernels do not promise pandas'
// handling of infinities). `go test` runs the seeds; `go test -fuzz
// FuzzRoller ./features` explores. Tolerance: exact for order statistics
// and counts, 1e-9 relative for sums and moments (the oracle sums naively).
func FuzzRoller(f *testing.F) {
	f.Add([]byte{1, 2, 3, 0, 0, 16, 17, 200, 5}, uint8(3), uint8(1))
	f.Add([]byte{0, 0, 0, 0, 255, 1, 1, 1, 1, 1}, uint8(2), uint8(0))
	f.Add([]byte{7, 7, 7, 7, 7, 7, 7}, uint8(5), uint8(5))
	f.Add([]byte{160, 3, 4, 161, 2, 2, 0, 9, 9, 9, 9, 162, 1}, uint8(4), uint8(2))
	var r Roller
	var got []float64
	f.Fuzz(func(t *testing.T, raw []byte, wb, mb uint8) {
		if len(raw) > 2000 {
			return
		}
		x := make([]float64, len(raw))
		for i, c := range raw {
			switch {
			case c%16 == 0:
				x[i] = math.NaN()
			case c%16 == 1:
				x[i] = 0
			default:
				x[i] = float64(c % 16)
			}
			if c >= 160 {
				x[i] *= 1e12
			}
		}
		w := 1 + int(wb)%40
		minp := int(mb) % (w + 1)
		check := func(name string, got []float64, ref func([]float64, int) float64, tol float64) {
			want := refRolling(x, w, minp, ref)
			for i := range want {
				ok := sameBits(got[i], want[i]) || (tol > 0 && closeRel(got[i], want[i], tol))
				if !ok {
					t.Fatalf("%s w=%d minp=%d: [%d] = %v, oracle %v; x=%v", name, w, minp, i, got[i], want[i], x)
				}
			}
		}
		stat := func(s Stat) func([]float64, int) float64 {
			return func(win []float64, minp int) float64 { return windowStat(s, win, minp) }
		}
		got = r.Sum(got, x, w, minp)
		check("sum", got, stat(Sum), 1e-9)
		got = r.Mean(got, x, w, minp)
		check("mean", got, stat(Mean), 1e-9)
		got = r.Var(got, x, w, minp)
		check("var", got, stat(Var), 1e-9)
		got = r.Min(got, x, w, minp)
		check("min", got, stat(Min), 0)
		got = r.Max(got, x, w, minp)
		check("max", got, stat(Max), 0)
		got = r.Median(got, x, w, minp)
		check("median", got, stat(Median), 1e-15)
		got = r.Zeros(got, x, w, minp)
		check("zeros", got, stat(Zeros), 0)
		got = r.Quantile(got, x, w, minp, 0.7)
		check("q0.7", got, func(win []float64, minp int) float64 { return refQuantile(win, minp, 0.7) }, 1e-12)
	})
}
