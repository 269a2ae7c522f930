package accuracy

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

type goldenCase struct {
	Name                                                string
	Season                                              int
	Train, Forecast, Lower80, Upper80, Lower95, Upper95 []float64
	Actual                                              []float64
	Scale                                               float64
	WAPE                                                *float64
	MASE, Bias, Coverage80, Coverage95, Pinball         float64
	Covered80                                           int
	BinomP                                              float64 `json:"binom_p"`
}

// Values calculated by numpy and scipy.stats.binom in testdata/golden.py.
func readGolden(t *testing.T) (cases []goldenCase, cdf []struct {
	K, N int
	P    float64
	CDF  float64
}) {
	t.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Cases    []goldenCase
		BinomCDF []struct {
			K, N int
			P    float64
			CDF  float64
		} `json:"binom_cdf"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) == 0 || len(g.BinomCDF) == 0 {
		t.Fatal("golden.json holds no cases")
	}
	return g.Cases, g.BinomCDF
}

func near(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}

func TestScoreMatchesNumpy(t *testing.T) {
	const tol = 1e-12
	cases, _ := readGolden(t)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			steps := make([]Step, len(c.Actual))
			for i := range steps {
				steps[i] = Step{Forecast: c.Forecast[i], Lower80: c.Lower80[i], Upper80: c.Upper80[i],
					Lower95: c.Lower95[i], Upper95: c.Upper95[i], Actual: c.Actual[i]}
			}
			scale := NaiveScale(c.Train, c.Season)
			if !near(scale, c.Scale, tol) {
				t.Errorf("scale %v, numpy %v", scale, c.Scale)
			}
			s := Score(steps, scale)
			want := math.NaN()
			if c.WAPE != nil {
				want = *c.WAPE
			}
			for _, m := range []struct {
				name      string
				got, want float64
			}{{"wape", s.WAPE, want}, {"mase", s.MASE, c.MASE}, {"bias", s.Bias, c.Bias},
				{"coverage80", s.Coverage80, c.Coverage80}, {"coverage95", s.Coverage95, c.Coverage95},
				{"pinball", s.Pinball, c.Pinball}} {
				if !near(m.got, m.want, tol) {
					t.Errorf("%s = %v, numpy %v", m.name, m.got, m.want)
				}
			}
			if s.Covered80 != c.Covered80 || s.N != len(c.Actual) {
				t.Errorf("covered80 %d of %d, numpy %d of %d", s.Covered80, s.N, c.Covered80, len(c.Actual))
			}
			if p := BinomialCDF(s.Covered80, s.N, 0.8); !near(p, c.BinomP, 1e-9) {
				t.Errorf("binomial p %v, scipy %v", p, c.BinomP)
			}
		})
	}
}

func TestBinomialCDFMatchesScipy(t *testing.T) {
	_, cdf := readGolden(t)
	for _, c := range cdf {
		if got := BinomialCDF(c.K, c.N, c.P); !near(got, c.CDF, 1e-9) {
			t.Errorf("BinomialCDF(%d, %d, %g) = %v, scipy %v", c.K, c.N, c.P, got, c.CDF)
		}
	}
}

func TestJudge(t *testing.T) {
	cases, _ := readGolden(t)
	byName := map[string]goldenCase{}
	for _, c := range cases {
		byName[c.Name] = c
	}
	score := func(name string) Scores {
		c := byName[name]
		steps := make([]Step, len(c.Actual))
		for i := range steps {
			steps[i] = Step{Forecast: c.Forecast[i], Lower80: c.Lower80[i], Upper80: c.Upper80[i],
				Lower95: c.Lower95[i], Upper95: c.Upper95[i], Actual: c.Actual[i]}
		}
		return Score(steps, c.Scale)
	}
	for _, tc := range []struct {
		name     string
		s        Scores
		bt       float64
		judged   bool
		drifting bool
		reasons  int
	}{
		{"calibrated", score("calibrated"), 0.25, true, false, 0},
		{"doubled", score("doubled"), 0.25, true, true, 2},
		{"doubled without backtest", score("doubled"), math.NaN(), true, true, 1},
		{"too few steps", Scores{N: 3, WAPE: 9}, 0.1, false, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Rule{}.Judge(tc.s, tc.bt)
			if v.Judged != tc.judged || v.Drifting != tc.drifting || len(v.Reasons) != tc.reasons {
				t.Errorf("verdict %+v on %+v: want judged %v drifting %v with %d reasons", v, tc.s, tc.judged, tc.drifting, tc.reasons)
			}
		})
	}
}

func BenchmarkScore(b *testing.B) {
	steps := make([]Step, 28)
	for i := range steps {
		steps[i] = Step{Forecast: 10, Lower80: 8, Upper80: 12, Lower95: 6, Upper95: 14, Actual: float64(i % 15)}
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = Score(steps, 2)
	}
}
