package ml

import (
	"context"
	"encoding/json"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

var updateTreeSHAPCase = flag.Bool("update-treeshap-case", false,
	"rewrite testdata/treeshap_case.json (then run testdata/treeshap_reference.py)")

// treeshapCase is testdata/treeshap_case.json: small fitted models, rows
// to explain and a background, which testdata/treeshap_reference.py
// explains by brute force into treeshap_golden.json.
type treeshapCase struct {
	Tree       *TreeModel  `json:"tree"`
	Forest     *Ensemble   `json:"forest"`
	Boosted    *Boosted    `json:"boosted"`
	Rows       [][]float64 `json:"rows"`
	Background [][]float64 `json:"background"`
}

const shapCols = 5

func makeTreeSHAPCase(t *testing.T) treeshapCase {
	rng := rand.New(rand.NewPCG(7, 11))
	n := 300
	x := make([]float64, n*shapCols)
	y := make([]float64, n)
	for i := range n {
		r := x[i*shapCols : (i+1)*shapCols]
		for j := range r {
			r[j] = math.Round(rng.NormFloat64()*100) / 100
		}
		// Interactions, so the attribution is not just additive.
		y[i] = 3*r[0] + 2*r[1]*r[2] - r[3] + math.Max(r[4], 0) + 0.1*rng.NormFloat64()
	}
	ctx := context.Background()
	tree, err := Tree{MaxDepth: 4}.Fit(ctx, x, shapCols, y)
	if err != nil {
		t.Fatal(err)
	}
	forest, err := Forest{Trees: 4, MaxDepth: 4}.Fit(ctx, x, shapCols, y)
	if err != nil {
		t.Fatal(err)
	}
	boosted, err := HGBT{MaxIter: 8, MaxLeafNodes: 8}.Fit(ctx, x, shapCols, y)
	if err != nil {
		t.Fatal(err)
	}
	c := treeshapCase{Tree: tree, Forest: forest, Boosted: boosted}
	for i := range 4 {
		c.Rows = append(c.Rows, append([]float64(nil), x[i*shapCols:(i+1)*shapCols]...))
	}
	for i := 10; i < 16; i++ {
		c.Background = append(c.Background, append([]float64(nil), x[i*shapCols:(i+1)*shapCols]...))
	}
	return c
}

func TestTreeSHAPMatchesBruteForce(t *testing.T) {
	if *updateTreeSHAPCase {
		b, err := json.MarshalIndent(makeTreeSHAPCase(t), "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("testdata/treeshap_case.json", append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var c treeshapCase
	readJSON(t, "testdata/treeshap_case.json", &c)
	var g map[string]struct {
		Background [][]float64 `json:"background"`
		Single     [][]float64 `json:"single"`
	}
	readJSON(t, "testdata/treeshap_golden.json", &g)
	models := map[string]Shapper{"tree": c.Tree, "forest": c.Forest, "boosted": c.Boosted}
	var bg []float64
	for _, r := range c.Background {
		bg = append(bg, r...)
	}
	for name, m := range models {
		want, ok := g[name]
		if !ok || len(want.Background) != len(c.Rows) || len(want.Single) != len(c.Rows) {
			t.Fatalf("%s: golden has no values for every row", name)
		}
		for i, x := range c.Rows {
			got := SHAPBackground(m, nil, x, bg, shapCols)
			single := m.SHAP(nil, x, c.Background[0])
			for j := range shapCols {
				if math.Abs(got[j]-want.Background[i][j]) > 1e-9 {
					t.Errorf("%s row %d feature %d: background φ = %.12g, brute force %.12g", name, i, j, got[j], want.Background[i][j])
				}
				if math.Abs(single[j]-want.Single[i][j]) > 1e-9 {
					t.Errorf("%s row %d feature %d: single-reference φ = %.12g, brute force %.12g", name, i, j, single[j], want.Single[i][j])
				}
			}
		}
	}
}

// TestTreeSHAPEfficiency: the values sum to f(x) - f(ref), and a feature
// the trees never split on gets nothing, on models grown here (not the
// committed case).
func TestTreeSHAPEfficiency(t *testing.T) {
	c := makeTreeSHAPCase(t)
	raw := func(m *Boosted, x []float64) float64 {
		s := m.Baseline
		for _, tr := range m.Trees {
			s += tr.Predict(x)
		}
		return s
	}
	for i, x := range c.Rows {
		ref := c.Background[i]
		for name, pair := range map[string][2]float64{
			"tree":    {c.Tree.Predict(x), c.Tree.Predict(ref)},
			"forest":  {c.Forest.Predict(x), c.Forest.Predict(ref)},
			"boosted": {raw(c.Boosted, x), raw(c.Boosted, ref)},
		} {
			m := map[string]Shapper{"tree": c.Tree, "forest": c.Forest, "boosted": c.Boosted}[name]
			var sum float64
			for _, v := range m.SHAP(nil, x, ref) {
				sum += v
			}
			if d := pair[0] - pair[1]; math.Abs(sum-d) > 1e-9 {
				t.Errorf("%s row %d: Σφ = %g, f(x)-f(ref) = %g", name, i, sum, d)
			}
		}
		// Same row as reference: nothing to attribute.
		for j, v := range c.Forest.SHAP(nil, x, x) {
			if v != 0 {
				t.Errorf("forest row %d: φ[%d] = %g against itself", i, j, v)
			}
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (see testdata/treeshap_reference.py)", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
