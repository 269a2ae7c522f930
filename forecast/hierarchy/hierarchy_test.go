package hierarchy

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/forecastd/forecastd/data"
)

type goldenCase struct {
	Points   [][]float64 `json:"points"`
	Radius80 [][]float64 `json:"radius_80"`
	Radius95 [][]float64 `json:"radius_95"`
}

type golden struct {
	Bottom       []data.Key             `json:"bottom"`
	Attributes   Attributes             `json:"attributes"`
	S            [][]float64            `json:"S"`
	Base         [][]float64            `json:"base"`
	BaseNegative [][]float64            `json:"base_negative"`
	Residuals    [][]float64            `json:"residuals"`
	Radius80     [][]float64            `json:"radius_80"`
	Radius95     [][]float64            `json:"radius_95"`
	Lambda       float64                `json:"lambda"`
	Sigma        [][]float64            `json:"sigma"`
	G            map[string][][]float64 `json:"G"`
	Reconciled   map[string]goldenCase  `json:"reconciled"`
	NonNegative  map[string]goldenCase  `json:"reconciled_nonnegative"`
}

func loadGolden(t *testing.T) *golden {
	t.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return &g
}

func dense(rows [][]float64) *mat.Dense {
	m := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		m.SetRow(i, r)
	}
	return m
}

func near(t *testing.T, what string, got, want mat.Matrix, tol float64) {
	t.Helper()
	r, c := want.Dims()
	if gr, gc := got.Dims(); gr != r || gc != c {
		t.Fatalf("%s: dims %dx%d, want %dx%d", what, gr, gc, r, c)
	}
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if g, w := got.At(i, j), want.At(i, j); math.Abs(g-w) > tol*math.Max(1, math.Abs(w)) {
				t.Fatalf("%s[%d,%d] = %.15g, want %.15g", what, i, j, g, w)
			}
		}
	}
}

// Values from testdata/make_golden.py, an independent numpy implementation
// of the formulas (R's hts is not installable here); tolerance 1e-9.
func TestGolden(t *testing.T) {
	g := loadGolden(t)
	h, err := New(g.Bottom, g.Attributes)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "S", h.S(), dense(g.S), 0)
	res := dense(g.Residuals)
	sigma, lambda := ShrinkCovariance(res)
	if math.Abs(lambda-g.Lambda) > 1e-9 {
		t.Fatalf("lambda = %.15g, want %.15g", lambda, g.Lambda)
	}
	near(t, "sigma", sigma, dense(g.Sigma), 1e-9)
	for name, want := range g.G {
		got, err := G(h, Method(name), res)
		if err != nil {
			t.Fatal(err)
		}
		near(t, "G "+name, got, dense(want), 1e-9)
	}
	for _, c := range []struct {
		name    string
		base    [][]float64
		nonNeg  bool
		want    map[string]goldenCase
		clipped bool
	}{
		{"plain", g.Base, false, g.Reconciled, false},
		{"nonnegative", g.BaseNegative, true, g.NonNegative, true},
	} {
		for _, m := range Methods[1:] {
			t.Run(c.name+"/"+string(m), func(t *testing.T) {
				out, err := Reconcile(context.Background(), h, m, Input{Base: c.base, Residuals: res,
					Radius80: g.Radius80, Radius95: g.Radius95, NonNegative: c.nonNeg})
				if err != nil {
					t.Fatal(err)
				}
				w := c.want[string(m)]
				near(t, "points", dense(out.Points), dense(w.Points), 1e-9)
				near(t, "radius_80", dense(out.Radius80), dense(w.Radius80), 1e-9)
				near(t, "radius_95", dense(out.Radius95), dense(w.Radius95), 1e-9)
				if !c.nonNeg && out.Clipped != 0 {
					t.Fatalf("clipped %d without NonNegative", out.Clipped)
				}
			})
		}
	}
	// The negative case must actually clip something for some method,
	// or it tests nothing.
	clipped := 0
	for _, m := range Methods[1:] {
		out, err := Reconcile(context.Background(), h, m, Input{Base: g.BaseNegative, Residuals: res, NonNegative: true})
		if err != nil {
			t.Fatal(err)
		}
		clipped += out.Clipped
	}
	if clipped == 0 {
		t.Fatal("the non-negative golden case clips nothing")
	}
}

// Every method's reconciled aggregates are the sums of its reconciled
// bottom forecasts, on random hierarchies.
func TestCoherence(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 5; trial++ {
		var keys []data.Key
		stores, skus := 2+rng.IntN(4), 2+rng.IntN(6)
		for s := 0; s < stores; s++ {
			for k := 0; k < skus; k++ {
				if rng.Float64() < 0.8 {
					keys = append(keys, data.Key{Store: string(rune('A' + s)), SKU: string(rune('a' + k))})
				}
			}
		}
		if len(keys) < 2 {
			continue
		}
		attrs := Attributes{"dept": {}}
		for k := 0; k < skus; k++ {
			attrs["dept"][string(rune('a'+k))] = string(rune('X' + k%2))
		}
		h, err := New(keys, attrs)
		if err != nil {
			t.Fatal(err)
		}
		n, steps := h.Len(), 3
		base := newRows(n, steps)
		for i := range base {
			for j := range base[i] {
				base[i][j] = 10*float64(len(h.Members(i))) + rng.NormFloat64()*5 - 3
			}
		}
		res := mat.NewDense(30, n, nil)
		for r := 0; r < 30; r++ {
			for c := 0; c < n; c++ {
				res.Set(r, c, rng.NormFloat64()*float64(len(h.Members(c))))
			}
		}
		for _, m := range Methods[1:] {
			for _, nonNeg := range []bool{false, true} {
				out, err := Reconcile(context.Background(), h, m, Input{Base: base, Residuals: res, NonNegative: nonNeg})
				if err != nil {
					t.Fatalf("%s: %v", m, err)
				}
				b := make([]float64, h.Bottom())
				for step := 0; step < steps; step++ {
					for j := range b {
						b[j] = out.Points[h.Aggregates()+j][step]
						if nonNeg && b[j] < 0 {
							t.Fatalf("%s: negative bottom %g", m, b[j])
						}
					}
					sum := h.Sum(nil, b)
					for i := 0; i < h.Aggregates(); i++ {
						if d := math.Abs(sum[i] - out.Points[i][step]); d > 1e-9 {
							t.Fatalf("%s nonneg=%v: node %v is %g, its bottom sums to %g", m, nonNeg, h.Nodes[i], out.Points[i][step], sum[i])
						}
					}
				}
			}
		}
	}
}

func TestNewRefuses(t *testing.T) {
	for _, c := range []struct {
		name string
		keys []data.Key
	}{
		{"empty", nil},
		{"reserved store", []data.Key{{Store: "_total", SKU: "a"}}},
		{"reserved sku", []data.Key{{Store: "s", SKU: "_x"}}},
		{"duplicate", []data.Key{{Store: "s", SKU: "a"}, {Store: "s", SKU: "a"}}},
	} {
		if _, err := New(c.keys, nil); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

func TestParseMethod(t *testing.T) {
	for _, m := range Methods {
		if got, err := ParseMethod(string(m)); err != nil || got != m {
			t.Errorf("ParseMethod(%q) = %q, %v", m, got, err)
		}
	}
	if m, err := ParseMethod(""); err != nil || m != None {
		t.Errorf(`ParseMethod("") = %q, %v`, m, err)
	}
	if _, err := ParseMethod("mint"); err == nil {
		t.Error("ParseMethod(mint): no error")
	}
}

func TestShrinkNeedsResiduals(t *testing.T) {
	h, err := New([]data.Key{{Store: "s", SKU: "a"}, {Store: "s", SKU: "b"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := newRows(h.Len(), 2)
	if _, err := Reconcile(context.Background(), h, MinTShrink, Input{Base: base}); err == nil {
		t.Fatal("mint_shrink without residuals: no error")
	}
}

func TestAggregateSeries(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }
	bottom := []*data.Series{
		{Key: data.Key{Store: "s1", SKU: "a"}, Freq: data.Daily, Start: day(1), Values: []float64{1, 2, 3, 4}},
		{Key: data.Key{Store: "s1", SKU: "b"}, Freq: data.Daily, Start: day(3), Values: []float64{10, 20}},
		{Key: data.Key{Store: "s2", SKU: "a"}, Freq: data.Daily, Start: day(2), Values: []float64{100, 200, 300}},
	}
	keys := []data.Key{bottom[0].Key, bottom[1].Key, bottom[2].Key}
	h, err := New(keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	aggs, err := AggregateSeries(h, bottom)
	if err != nil {
		t.Fatal(err)
	}
	want := map[data.Key][]float64{
		{Store: Total, SKU: Total}: {1, 102, 213, 324},
		{Store: "s1", SKU: Total}:  {1, 2, 13, 24},
		{Store: "s2", SKU: Total}:  {0, 100, 200, 300},
		{Store: Total, SKU: "a"}:   {1, 102, 203, 304},
		{Store: Total, SKU: "b"}:   {0, 0, 10, 20},
	}
	if len(aggs) != len(want) {
		t.Fatalf("%d aggregates, want %d", len(aggs), len(want))
	}
	for _, s := range aggs {
		if !s.Start.Equal(day(1)) || fmt.Sprint(s.Values) != fmt.Sprint(want[s.Key]) {
			t.Errorf("%s from %s: %v, want %v", s.Key, s.Start, s.Values, want[s.Key])
		}
	}
	bottom[1].Values = bottom[1].Values[:1]
	if _, err := AggregateSeries(h, bottom); err == nil || !strings.Contains(err.Error(), "same dates") {
		t.Fatalf("series ending on different dates: %v", err)
	}
}

func TestMaxBottom(t *testing.T) {
	keys := make([]data.Key, MaxBottom+1)
	for i := range keys {
		keys[i] = data.Key{Store: "s", SKU: fmt.Sprint(i)}
	}
	h, err := New(keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := newRows(h.Len(), 1)
	if _, err := Reconcile(context.Background(), h, BottomUp, Input{Base: base}); err == nil || !strings.Contains(err.Error(), "at most 2000") {
		t.Fatalf("error %v", err)
	}
}
