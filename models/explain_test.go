package models

import (
	"context"
	"math"
	"slices"
	"testing"
)

// TestExplainCovariates: on promoInput (a promo doubles the day's sales),
// every covariate-reading candidate explains the forecast it makes; the
// exact methods (coefficients, TreeSHAP) agree with the Shapley
// enumeration (itself checked in TestExactShapley); and the promo's effect on
// planned promo days is positive and the largest.
func TestExplainCovariates(t *testing.T) {
	ctx := context.Background()
	in := promoInput(t)
	n, h := len(in.Y), 28
	baseline := map[string]float64{"promo": 0, "price": 2}
	for _, name := range []string{"ridge", "huber", "poisson_glm", "random_forest", "hgbt", "hgbt_poisson", "cart", "arima"} {
		t.Run(name, func(t *testing.T) {
			spec, ok := Standard().Lookup(name)
			if !ok {
				t.Fatalf("no model %s", name)
			}
			f, err := spec.New().Fit(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			ex, ok := f.(CovariateExplainer)
			if !ok {
				t.Fatalf("%T does not explain covariates", f)
			}
			if got := ex.CovariatesUsed(); !slices.Contains(got, "promo") {
				t.Fatalf("uses %v, want promo among them", got)
			}
			eff, err := ex.ExplainCovariates(ctx, in, h, baseline)
			if err != nil {
				t.Fatal(err)
			}
			fc, err := f.Forecast(ctx, in, h)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(eff.Forecast, fc) {
				t.Fatalf("explained forecast %v differs from the forecast %v", eff.Forecast, fc)
			}
			pj := slices.Index(eff.Covariates, "promo")
			var promoDays int
			for i := range h {
				d := eff.Direct[i]
				if in.Covariates["promo"][n+i] != 1 {
					continue
				}
				promoDays++
				for j, v := range d {
					if j != pj && v >= d[pj] {
						t.Errorf("step %d: %s contributes %g, promo only %g", i+1, eff.Covariates[j], v, d[pj])
					}
				}
				if d[pj] <= 0 {
					t.Errorf("step %d (promo day): promo contributes %g", i+1, d[pj])
				}
			}
			if promoDays == 0 {
				t.Fatal("no promo day planned in the horizon")
			}
			rf, isReg := f.(interface {
				explainCheck(ctx context.Context, in Input, h int, baseline map[string]float64) ([][]float64, [][]float64, error)
			})
			if !isReg {
				return
			}
			got, enum, err := rf.explainCheck(ctx, in, h, baseline)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				for j := range got[i] {
					if math.Abs(got[i][j]-enum[i][j]) > 1e-9*math.Max(1, math.Abs(enum[i][j])) {
						t.Errorf("step %d %s: %s gives %g, enumeration %g", i+1, eff.Covariates[j], eff.Method, got[i][j], enum[i][j])
					}
				}
			}
			if eff.Method == MethodTreeSHAP && len(eff.Importances) == 0 {
				t.Error("a tree model with no importances")
			}
		})
	}
}

// TestExactShapley: the glove game (player 0 holds a left glove, 1 and 2
// a right one; a pair is worth 1) has Shapley values 2/3, 1/6, 1/6, and
// an additive game's values are its terms.
func TestExactShapley(t *testing.T) {
	glove := exactShapley(3, func(m uint) float64 {
		if m&1 != 0 && m&6 != 0 {
			return 1
		}
		return 0
	})
	for j, want := range []float64{2.0 / 3, 1.0 / 6, 1.0 / 6} {
		if math.Abs(glove[j]-want) > 1e-12 {
			t.Errorf("glove φ[%d] = %g, want %g", j, glove[j], want)
		}
	}
	terms := []float64{3, -1, 0.5, 7}
	add := exactShapley(4, func(m uint) float64 {
		s := 10.0
		for j, v := range terms {
			if m&(1<<j) != 0 {
				s += v
			}
		}
		return s
	})
	for j, want := range terms {
		if math.Abs(add[j]-want) > 1e-12 {
			t.Errorf("additive φ[%d] = %g, want %g", j, add[j], want)
		}
	}
}
