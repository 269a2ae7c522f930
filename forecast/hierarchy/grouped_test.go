package hierarchy

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/forecastd/forecastd/data"
)

type groupedGolden struct {
	Series []struct {
		Store      string            `json:"store"`
		SKU        string            `json:"sku"`
		Attributes map[string]string `json:"attributes"`
	} `json:"series"`
	Keys       []data.Key             `json:"keys"`
	S          [][]float64            `json:"S"`
	Base       [][]float64            `json:"base"`
	Residuals  [][]float64            `json:"residuals"`
	G          map[string][][]float64 `json:"G"`
	Reconciled map[string][][]float64 `json:"reconciled"`
}

// TestGroupedGolden checks NewGrouped's nodes (M5's grouped levels: total,
// store, SKU, attribute value, store x value; store x state left out as
// the store itself) and MinT over them against make_golden_grouped.py,
// an independent numpy implementation; tolerance 1e-9. Every method's
// reconciled nodes are the sums of its reconciled bottom to 1e-6.
func TestGroupedGolden(t *testing.T) {
	b, err := os.ReadFile("testdata/golden_grouped.json")
	if err != nil {
		t.Fatal(err)
	}
	var g groupedGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	keys := make([]data.Key, len(g.Series))
	attrs := SeriesAttributes{}
	for i, s := range g.Series {
		keys[i] = data.Key{Store: s.Store, SKU: s.SKU}
		attrs[keys[i]] = s.Attributes
	}
	h, err := NewGrouped(keys, attrs)
	if err != nil {
		t.Fatal(err)
	}
	if h.Len() != len(g.Keys) {
		t.Fatalf("%d nodes, want %d", h.Len(), len(g.Keys))
	}
	for i, k := range g.Keys {
		if h.Nodes[i].Key != k {
			t.Fatalf("node %d = %s, want %s", i, h.Nodes[i].Key, k)
		}
	}
	near(t, "S", h.S(), dense(g.S), 0)
	res := dense(g.Residuals)
	for name, want := range g.G {
		got, err := G(h, Method(name), res)
		if err != nil {
			t.Fatal(err)
		}
		near(t, "G "+name, got, dense(want), 1e-9)
		out, err := Reconcile(context.Background(), h, Method(name), Input{Base: g.Base, Residuals: res})
		if err != nil {
			t.Fatal(err)
		}
		near(t, "reconciled "+name, dense(out.Points), dense(g.Reconciled[name]), 1e-9)
	}
	for _, m := range Methods[1:] {
		out, err := Reconcile(context.Background(), h, m, Input{Base: g.Base, Residuals: res, NonNegative: true})
		if err != nil {
			t.Fatal(err)
		}
		checkCoherent(t, h, string(m), out.Points)
	}
}

// checkCoherent fails unless every node of points sums its bottom
// series' values to 1e-6.
func checkCoherent(t *testing.T, h *Hierarchy, what string, points [][]float64) {
	t.Helper()
	b := make([]float64, h.Bottom())
	for step := range points[0] {
		for j := range b {
			b[j] = points[h.Aggregates()+j][step]
		}
		sums := h.Sum(nil, b)
		for i, s := range sums {
			if math.Abs(points[i][step]-s) > 1e-6 {
				t.Fatalf("%s: node %s step %d = %.9g, its members sum to %.9g", what, h.Nodes[i].Key, step, points[i][step], s)
			}
		}
	}
}
