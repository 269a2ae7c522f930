package arima

import (
	"context"
	"testing"
)

// BenchmarkAuto times Auto on a 365-day store/item series (m = 7) and a
// 504-hour M4 series (m = 24) from testdata/golden.json.
//
//	go test -run '^$' -bench Auto -benchtime 10x ./models/arima
func BenchmarkAuto(b *testing.B) {
	g := loadGolden(b)
	for _, c := range []struct{ name, series string }{
		{"daily365_m7", "store1_item1"},
		{"daily365_m7_b", "store3_item17"},
		{"hourly504_m24", "m4_H10"},
		{"hourly504_m24_b", "m4_H1"},
	} {
		s := g.series(b, c.series)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := Auto(context.Background(), s.y, s.m, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLikelihood times one evaluation of the ML objective and of
// the CSS objective (the optimisers' inner loops), which must not
// allocate; _css is the factored kernel the search uses, _css_expanded
// the multiplied-out recursion it replaced.
func BenchmarkLikelihood(b *testing.B) {
	g := loadGolden(b)
	for _, c := range []struct {
		name   string
		series string
		o      Order
		par    []float64
	}{
		{"daily_(2,1,2)(0,0,2)7", "store1_item1", Order{P: 2, D: 1, Q: 2, SQ: 2, Period: 7}, []float64{0.1, 0.05, -0.9, 0.01, 0.1, 0.05}},
		{"hourly_(1,0,4)(2,1,0)24", "m4_H1", Order{P: 1, Q: 4, SP: 2, SD: 1, Period: 24}, []float64{0.86, 0.44, 0.38, 0.12, 0.06, -0.6, -0.26}},
	} {
		s := g.series(b, c.series)
		ft := newFitter(s.y, c.o, nil, 1e6)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				ft.mlObjective(c.par, false)
			}
		})
		b.Run(c.name+"_css", func(b *testing.B) {
			ft.ncond = c.o.D + c.o.SD*c.o.ns() + c.o.P + c.o.ns()*c.o.SP
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				ft.cssObjective(c.par)
			}
		})
		b.Run(c.name+"_css_expanded", func(b *testing.B) {
			fa := ft.fa
			ft.fa = nil
			defer func() { ft.fa = fa }()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				ft.cssObjective(c.par)
			}
		})
	}
}
