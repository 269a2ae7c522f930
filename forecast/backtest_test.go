package forecast

import (
	"slices"
	"strings"
	"testing"
)

// TestPlanBacktest walks the steps of planBacktest on weekly histories
// (season 52, two seasons of training by default) for a horizon of 28
// and 3 folds asked.
func TestPlanBacktest(t *testing.T) {
	o := Options{Horizon: 28, Candidates: specs(t, "seasonal_naive", "holt_winters_add", "ridge")}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		n                  int
		class              Class
		foldsRun, v, train int
		dropped            []string
		reason             string
	}{
		{n: 104 + 3*28, class: ClassFull, foldsRun: 3, v: 28, train: 104},
		{n: 143, class: ClassReduced, foldsRun: 1, v: 28, train: 104, reason: "fits 1 of 3 folds"},
		{n: 131, class: ClassReduced, foldsRun: 1, v: 27, train: 104, reason: "validated 27 steps"},
		// 110 points: 6 steps after two seasons, under a quarter of the
		// horizon; one season of training validates the full horizon.
		{n: 110, class: ClassReduced, foldsRun: 2, v: 28, train: 52, dropped: []string{"holt_winters_add"}, reason: "left out"},
		{n: 55, class: ClassFallback, foldsRun: 0, v: 0, train: 104, reason: "too short"},
	}
	for _, c := range cases {
		p := planBacktest(c.n, o, 52, 104)
		b := p.info
		if p.class != c.class || len(p.folds) != c.foldsRun || b.FoldsRun != c.foldsRun || p.v != c.v || b.ValidationHorizon != c.v ||
			b.MinTrain != c.train || b.FoldsAsked != 3 || b.Horizon != 28 || !slices.Equal(b.Dropped, c.dropped) ||
			!strings.Contains(b.Reason, c.reason) || (c.reason == "") != (b.Reason == "") {
			t.Errorf("n %d: class %s, %d folds, v %d, %+v", c.n, p.class, len(p.folds), p.v, b)
		}
		if len(p.candidates)+len(p.dropped) != 3 && c.class != ClassFallback {
			t.Errorf("n %d: %d candidates, %d dropped", c.n, len(p.candidates), len(p.dropped))
		}
		for _, f := range p.folds {
			if f.end < c.train || f.end+p.v > c.n {
				t.Errorf("n %d: fold ending %d out of range", c.n, f.end)
			}
		}
	}
	// A min_train set by the caller is kept: no reduced set.
	o.MinTrain = 104
	if p := planBacktest(110, o, 52, 104); p.class != ClassFallback {
		t.Errorf("explicit min_train: class %s, %+v", p.class, p.info)
	}
}
