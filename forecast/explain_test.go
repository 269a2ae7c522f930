package forecast

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/models"
)

// demoPlanned is S01/SKU001 of the demo data set as make run loads it
// (the default options), with its promotion plan (demo.Plan), trained by
// the default tournament with horizon 28.
func demoPlanned(t *testing.T) (*data.Series, *Outcome) {
	t.Helper()
	o := demo.Options{Stores: 1, SKUs: 1} // the first series of the default data set
	s := demoSales(t, o)[0]
	s.AddPlanned(demo.Plan(o))
	out, err := Tournament(context.Background(), s, Options{Horizon: 28, Candidates: models.Standard().Defaults()})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(out.Result.Covariates, "promo") {
		t.Fatalf("the tournament was not given the planned promo: covariates %v", out.Result.Covariates)
	}
	return s, out
}

// sameWeekdayMean is the mean forecast of the steps a whole number of
// weeks from step i that are not promo days: the forecast without the
// promotion's uplift, by the data's own weekly shape.
func sameWeekdayMean(vals []float64, promo func(int) bool, i int) float64 {
	var sum float64
	var k int
	for j := i % 7; j < len(vals); j += 7 {
		if j != i && !promo(j) {
			sum += vals[j]
			k++
		}
	}
	return sum / float64(k)
}

// TestExplainAttributesPromoUplift is issue 19's "explain attributes the
// promo-day uplift to the promo covariate" on the demo data: explained
// from the kept models' states, the steps reproduce the stored forecast;
// on each planned promo day the promo's contribution is the largest
// positive covariate contribution and accounts for most of the day's
// uplift over the same weekday's non-promo days.
func TestExplainAttributesPromoUplift(t *testing.T) {
	s, out := demoPlanned(t)
	ex, err := Explain(context.Background(), s, out.Result, out.Kept, models.Standard())
	if err != nil {
		t.Fatal(err)
	}
	n, h := len(s.Values), out.Result.Horizon
	if len(ex.Steps) != h {
		t.Fatalf("%d steps, want %d", len(ex.Steps), h)
	}
	vals := make([]float64, h)
	for i, st := range ex.Steps {
		if p := out.Result.Points[i]; math.Abs(st.Value-p.Value) > 1e-9*math.Max(1, p.Value) || st.Date != p.Date {
			t.Errorf("step %d: explained %s %.6f, served %s %.6f", i+1, st.Date, st.Value, p.Date, p.Value)
		}
		vals[i] = st.Value
	}
	promo := func(i int) bool { return s.Covariates["promo"][n+i] == 1 }
	var promoDays, readers int
	for _, m := range ex.Models {
		if slices.Contains(m.Covariates, "promo") {
			readers++
			if m.Method == "" || m.Error != "" {
				t.Errorf("%s reads promo but was not explained: %q", m.Name, m.Error)
			}
		}
	}
	if readers == 0 {
		t.Fatal("no kept model reads promo")
	}
	for i, st := range ex.Steps {
		if !promo(i) {
			continue
		}
		promoDays++
		c := st.Contributions["promo"]
		for name, v := range st.Contributions {
			if name != "promo" && v >= c {
				t.Errorf("%s: %s contributes %.2f, promo %.2f", st.Date, name, v, c)
			}
		}
		uplift := st.Value - sameWeekdayMean(vals, promo, i)
		t.Logf("%s: forecast %.2f, uplift over the weekday %.2f, promo contributes %.2f", st.Date, st.Value, uplift, c)
		if uplift <= 0 || c <= 0.5*uplift {
			t.Errorf("%s: promo contributes %.2f of an uplift of %.2f: want most of it", st.Date, c, uplift)
		}
	}
	if promoDays == 0 {
		t.Fatal("the demo plan has no promo day in the horizon")
	}
	if ex.Seasonal == nil || len(ex.Seasonal.Indices) != 7 || ex.Seasonal.Labels[0] != weekdays[s.Date(n).Weekday()] {
		t.Errorf("seasonal profile %+v, want 7 weekday indices starting at the first forecast day", ex.Seasonal)
	}
}

// TestScenarioMovesPromoPeak is issue 19's "moving a planned promo moves
// the scenario's peak with it" on the demo data: the baseline is the
// served forecast, the step with the largest uplift over its weekday
// moves with the promotion, and nothing else changes where the recursive
// models do not carry it.
func TestScenarioMovesPromoPeak(t *testing.T) {
	ctx := context.Background()
	s, out := demoPlanned(t)
	n, h := len(s.Values), out.Result.Horizon
	first := -1
	for i := range h {
		if s.Covariates["promo"][n+i] == 1 {
			first = i
			break
		}
	}
	if first < 0 || first+3 >= h {
		t.Fatalf("no planned promo early enough in the horizon to move (first at %d)", first)
	}
	to := first + 3
	if s.Covariates["promo"][n+to] == 1 {
		t.Fatalf("step %d is already a promo day", to)
	}
	changes := []PlanChange{{Date: s.Date(n + first), Name: "promo", Value: 0}, {Date: s.Date(n + to), Name: "promo", Value: 1}}
	sc, err := Scenario(ctx, s, out.Result, out.Kept, models.Standard(), changes)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range sc.Baseline {
		if q := out.Result.Points[i]; math.Abs(p.Value-q.Value) > 1e-9*math.Max(1, q.Value) || math.Abs(p.Upper-q.Upper) > 1e-6 {
			t.Errorf("baseline step %d: %+v, served %+v", i+1, p, q)
		}
	}
	peak := func(pts []Point, promo func(int) bool) int {
		vals := make([]float64, len(pts))
		for i, p := range pts {
			vals[i] = p.Value
		}
		best, at := math.Inf(-1), -1
		for i, v := range vals {
			if r := v / sameWeekdayMean(vals, promo, i); r > best {
				best, at = r, i
			}
		}
		return at
	}
	basePromo := func(i int) bool { return s.Covariates["promo"][n+i] == 1 }
	scenPromo := func(i int) bool { return i == to || (i != first && basePromo(i)) }
	if got := peak(sc.Baseline, basePromo); !basePromo(got) {
		t.Errorf("baseline peaks at step %d, not a promo day", got+1)
	}
	if got := peak(sc.Scenario, scenPromo); got != to {
		t.Errorf("scenario peaks at step %d, want the moved promo's step %d", got+1, to+1)
	}
	if b, a := sc.Baseline[to].Value, sc.Scenario[to].Value; a < 1.3*b {
		t.Errorf("moved-to day: %.2f under the scenario, %.2f before: want 30%% more", a, b)
	}
	if b, a := sc.Baseline[first].Value, sc.Scenario[first].Value; a > 0.85*b {
		t.Errorf("moved-from day: %.2f under the scenario, %.2f before: want it lower", a, b)
	}
	if !slices.Equal(sc.Changed, []string{"promo"}) {
		t.Errorf("changed %v", sc.Changed)
	}
	for i := range first {
		if sc.Scenario[i] != sc.Baseline[i] {
			t.Errorf("step %d, before any change, moved: %+v vs %+v", i+1, sc.Scenario[i], sc.Baseline[i])
		}
	}
}

// TestScenarioRefusesBadChanges: an unknown covariate, a date off the
// horizon, a non-finite value and a change given twice are ScenarioErrors
// naming the field; a scenario that changes nothing is the baseline.
func TestScenarioRefusesBadChanges(t *testing.T) {
	ctx := context.Background()
	s, out := demoPlanned(t)
	n, h := len(s.Values), out.Result.Horizon
	reg := models.Standard()
	for _, c := range []struct {
		changes []PlanChange
		field   string
	}{
		{[]PlanChange{{Date: s.Date(n), Name: "price", Value: 1}}, "name"},
		{[]PlanChange{{Date: s.Date(n - 1), Name: "promo", Value: 1}}, "date"},
		{[]PlanChange{{Date: s.Date(n + h), Name: "promo", Value: 1}}, "date"},
		{[]PlanChange{{Date: s.Date(n).Add(time.Hour), Name: "promo", Value: 1}}, "date"},
		{[]PlanChange{{Date: s.Date(n), Name: "promo", Value: math.Inf(1)}}, "value"},
		{[]PlanChange{{Date: s.Date(n), Name: "promo", Value: 1}, {Date: s.Date(n), Name: "promo", Value: 0}}, "date"},
	} {
		_, err := Scenario(ctx, s, out.Result, out.Kept, reg, c.changes)
		var se *ScenarioError
		if !errors.As(err, &se) || !errors.Is(err, ErrScenario) || se.Field != c.field {
			t.Errorf("%+v: error %v, want a ScenarioError on %s", c.changes, err, c.field)
		}
	}
	same, err := Scenario(ctx, s, out.Result, out.Kept, reg, []PlanChange{{Date: s.Date(n + 2), Name: "promo", Value: s.Covariates["promo"][n+2]}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(same.Baseline, same.Scenario) {
		t.Error("a scenario repeating the plan differs from the baseline")
	}
}

// TestScenarioWithoutCovariateModels: kept models that read no covariate
// forecast the same under any plan, and the scenario and the explanation
// say so.
func TestScenarioWithoutCovariateModels(t *testing.T) {
	ctx := context.Background()
	o := demo.Options{Stores: 1, SKUs: 1, Days: 200}
	s := demoSales(t, o)[0]
	s.AddPlanned(demo.Plan(o))
	out, err := Tournament(ctx, s, Options{Horizon: 14, TopK: 2, Candidates: specs(t, "seasonal_naive", "ses", "theta")})
	if err != nil {
		t.Fatal(err)
	}
	n := len(s.Values)
	sc, err := Scenario(ctx, s, out.Result, out.Kept, models.Standard(), []PlanChange{{Date: s.Date(n + 3), Name: "promo", Value: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sc.Baseline, sc.Scenario) {
		t.Error("models without covariates moved under a new plan")
	}
	const said = "no kept model reads covariates: the forecast is the same under any plan"
	if !slices.Contains(sc.Notes, said) {
		t.Errorf("scenario notes %q do not say %q", sc.Notes, said)
	}
	for _, m := range sc.Models {
		if m.Moved || len(m.Covariates) != 0 {
			t.Errorf("model %+v", m)
		}
	}
	ex, err := Explain(ctx, s, out.Result, out.Kept, models.Standard())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ex.Notes, said) {
		t.Errorf("explanation notes %q do not say %q", ex.Notes, said)
	}
	for _, st := range ex.Steps {
		if st.Value != st.BaselineValue || len(st.Contributions) != 0 {
			t.Errorf("step %+v: effects without a covariate model", st)
		}
	}
}

// BenchmarkExplainDemo measures Explain and Scenario on the first demo
// series trained by the default tournament (horizon 28): the cost of GET
// .../explain and POST .../scenarios past loading.
//
//	go test -run '^$' -bench ExplainDemo -benchtime 5x ./forecast/
func BenchmarkExplainDemo(b *testing.B) {
	ctx := context.Background()
	o := demo.Options{Stores: 1, SKUs: 1}
	s := demoSales(b, o)[0]
	s.AddPlanned(demo.Plan(o))
	out, err := Tournament(ctx, s, Options{Horizon: 28, Candidates: models.Standard().Defaults()})
	if err != nil {
		b.Fatal(err)
	}
	reg := models.Standard()
	n := len(s.Values)
	b.Run("explain", func(b *testing.B) {
		for b.Loop() {
			if _, err := Explain(ctx, s, out.Result, out.Kept, reg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("scenario", func(b *testing.B) {
		changes := []PlanChange{{Date: s.Date(n + 3), Name: "promo", Value: 1}}
		for b.Loop() {
			if _, err := Scenario(ctx, s, out.Result, out.Kept, reg, changes); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestScenarioPriceCut: on a demo series whose sales respond to a price
// covariate (elasticity -2, price cuts on a tenth of the weeks of the
// history, the regular price planned over the horizon), a week's price
// cut raises that week's scenario forecast and leaves the week before
// it; explained under the cut, the price's contribution on those days is
// positive, against the regular price as the baseline plan.
func TestScenarioPriceCut(t *testing.T) {
	ctx := context.Background()
	const h = 21
	s := demoSales(t, demo.Options{Stores: 1, SKUs: 1, Days: 500})[0]
	n := len(s.Values)
	price := make([]float64, n+h)
	for i := range price {
		price[i] = 3
		if i < n && (i/7)%10 == 3 {
			price[i] = 2.4
		}
		if i < n {
			s.Values[i] = math.Round(s.Values[i] * math.Pow(price[i]/3, -2))
		}
	}
	s.Covariates = map[string][]float64{"price": price}
	out, err := Tournament(ctx, s, Options{Horizon: h, TopK: 2, Candidates: specs(t, "ridge", "hgbt", "seasonal_naive")})
	if err != nil {
		t.Fatal(err)
	}
	var changes []PlanChange
	for i := 7; i < 14; i++ {
		changes = append(changes, PlanChange{Date: s.Date(n + i), Name: "price", Value: 2.4})
	}
	reg := models.Standard()
	sc, err := Scenario(ctx, s, out.Result, out.Kept, reg, changes)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 14 {
		b, a := sc.Baseline[i].Value, sc.Scenario[i].Value
		switch {
		case i < 7 && a != b:
			t.Errorf("step %d, before the cut: %.2f → %.2f", i+1, b, a)
		case i >= 7 && a < 1.2*b:
			t.Errorf("step %d, price cut: %.2f → %.2f, want 20%% more", i+1, b, a)
		}
	}
	cut := *s
	cut.Covariates = map[string][]float64{"price": slices.Clone(price)}
	for _, c := range changes {
		k, _ := s.Freq.Steps(s.Start, c.Date)
		cut.Covariates["price"][k] = c.Value
	}
	ex, err := Explain(ctx, &cut, out.Result, out.Kept, reg)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.BaselinePlan) != 1 || ex.BaselinePlan[0] != (CovariateBaseline{Name: "price", Value: 3}) {
		t.Fatalf("baseline plan %+v, want the regular price", ex.BaselinePlan)
	}
	for i := 7; i < 14; i++ {
		st := ex.Steps[i]
		if c := st.Contributions["price"]; c <= 0 || math.Abs(st.Value-sc.Scenario[i].Value) > 1e-9*st.Value {
			t.Errorf("%s: price contributes %.2f; explained %.4f, scenario %.4f", st.Date, c, st.Value, sc.Scenario[i].Value)
		}
	}
}
