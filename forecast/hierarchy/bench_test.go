package hierarchy

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/forecastd/forecastd/data"
)

// BenchmarkReconcile reconciles a store/item-sized grid (10 stores x 50
// SKUs: 500 series and 61 aggregates, 90 steps, 270 residual rows) and a
// smaller one, by each method.
func BenchmarkReconcile(b *testing.B) {
	for _, size := range []struct{ stores, skus int }{{3, 10}, {10, 50}} {
		var keys []data.Key
		for s := 0; s < size.stores; s++ {
			for k := 0; k < size.skus; k++ {
				keys = append(keys, data.Key{Store: fmt.Sprint("S", s), SKU: fmt.Sprint("K", k)})
			}
		}
		h, err := New(keys, nil)
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(3, 4))
		n, steps := h.Len(), 90
		in := Input{Base: newRows(n, steps), Radius80: newRows(n, steps), Radius95: newRows(n, steps), NonNegative: true,
			Residuals: mat.NewDense(270, n, nil)}
		for i := 0; i < n; i++ {
			w := float64(len(h.Members(i)))
			for t := 0; t < steps; t++ {
				in.Base[i][t] = 20*w + rng.NormFloat64()*w
				in.Radius80[i][t], in.Radius95[i][t] = 3*w, 5*w
			}
			for r := 0; r < 270; r++ {
				in.Residuals.Set(r, i, rng.NormFloat64()*w)
			}
		}
		for _, m := range Methods[1:] {
			b.Run(fmt.Sprintf("%dx%d/%s", size.stores, size.skus, m), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Reconcile(context.Background(), h, m, in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
