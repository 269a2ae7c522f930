package data

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseCovariates(t *testing.T) {
	wide := "date,store,sku"
	for i := 0; i <= MaxCovariates; i++ {
		wide += ",c" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
	}
	var manyNames strings.Builder
	for i := 0; i <= MaxCovariates; i++ {
		manyNames.WriteString(`{"date":"2026-11-01","store":"S1","sku":"A","covariates":{"c` + strings.Repeat("x", i) + `":1}}` + "\n")
	}
	cases := []struct {
		name, format, body string
		rows               int    // rows passed on when the upload is good
		line               int    // line of the first error, 0 when good
		reason             string // in the first error's reason
	}{
		{"csv plan", "csv", "date,store,sku,promo,price\n2026-11-01,S1,A,1,2.5\n2026-11-02,S1,A,,2.5\n2026-11-03,S1,A,,\n", 3, 0, ""},
		{"csv names lower-cased", "csv", "Date,Store,SKU, Promo \n2026-11-01,S1,A,1\n", 1, 0, ""},
		{"csv quantity refused", "csv", "date,store,sku,quantity,promo\n2026-11-01,S1,A,3,1\n", 0, 1, "no quantity"},
		{"csv no covariate", "csv", "date,store,sku\n2026-11-01,S1,A\n", 0, 1, "no covariate column"},
		{"csv missing sku", "csv", "date,store,promo\n2026-11-01,S1,1\n", 0, 1, `missing column "sku"`},
		{"csv too many covariates", "csv", wide + "\n", 0, 1, "at most 64"},
		{"csv control character in name", "csv", "date,store,sku,pro\x01mo\n2026-11-01,S1,A,1\n", 0, 1, "control character"},
		{"csv NaN value", "csv", "date,store,sku,promo\n2026-11-01,S1,A,1\n2026-11-02,S1,A,NaN\n", 0, 3, "finite"},
		{"csv bad date", "csv", "date,store,sku,promo\n2026-11-31,S1,A,1\n", 0, 2, "date"},
		{"csv empty", "csv", "", 0, 1, "empty body"},
		{"ndjson plan", "ndjson", `{"date":"2026-11-01","store":"S1","sku":7,"covariates":{"promo":1,"price":2.5}}` + "\n\n", 1, 0, ""},
		{"ndjson quantity refused", "ndjson", `{"date":"2026-11-01","store":"S1","sku":"A","quantity":3,"covariates":{"promo":1}}`, 0, 1, "no quantity"},
		{"ndjson no covariates", "ndjson", `{"date":"2026-11-01","store":"S1","sku":"A"}`, 0, 1, "at least one value"},
		{"ndjson reserved name", "ndjson", `{"date":"2026-11-01","store":"S1","sku":"A","covariates":{"store":1}}`, 0, 1, "reserved"},
		{"ndjson string value", "ndjson", `{"date":"2026-11-01","store":"S1","sku":"A","covariates":{"promo":"yes"}}`, 0, 1, "invalid JSON"},
		{"ndjson too many names", "ndjson", manyNames.String(), 0, MaxCovariates + 1, "distinct covariate names"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parse := ParseCovariatesCSV
			if c.format == "ndjson" {
				parse = ParseCovariatesNDJSON
			}
			var got []Observation
			err := parse(strings.NewReader(c.body), func(o Observation) error { got = append(got, o); return nil })
			if c.line == 0 {
				if err != nil || len(got) != c.rows {
					t.Fatalf("%d rows, err %v; want %d rows", len(got), err, c.rows)
				}
				for _, o := range got {
					if o.Quantity != 0 || o.Key.Store != "S1" {
						t.Fatalf("row %+v", o)
					}
				}
				return
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *ParseError", err)
			}
			if pe.Errors[0].Line != c.line || !strings.Contains(pe.Errors[0].Reason, c.reason) {
				t.Fatalf("first error %+v, want line %d with %q", pe.Errors[0], c.line, c.reason)
			}
			if !strings.HasPrefix(pe.Error(), "invalid covariate data: ") {
				t.Fatalf("message %q does not name covariate data", pe.Error())
			}
		})
	}
	// The plan's column names match the sales upload's: both lower-cased.
	var o Observation
	if err := ParseCovariatesCSV(strings.NewReader("Date,Store,SKU, Promo \n2026-11-01,S1,A,1\n"), func(r Observation) error { o = r; return nil }); err != nil {
		t.Fatal(err)
	}
	if o.Covariates["promo"] != 1 || o.Line != 2 {
		t.Fatalf("row = %+v", o)
	}
	// NDJSON names too, for plans and sales alike, so that a CSV "promo"
	// and an NDJSON "Promo" are one covariate; a name given twice in two
	// cases, or an empty one, is refused.
	for _, c := range []struct {
		parse func(io.Reader, func(Observation) error) error
		qty   string
	}{{ParseCovariatesNDJSON, ""}, {ParseNDJSON, `"quantity":3,`}} {
		parse, qty := c.parse, c.qty
		o = Observation{}
		line := `{"date":"2026-11-01","store":"S1","sku":"A",` + qty + `"covariates":{" Promo ":1}}` + "\n"
		if err := parse(strings.NewReader(line), func(r Observation) error { o = r; return nil }); err != nil {
			t.Fatal(err)
		}
		if len(o.Covariates) != 1 || o.Covariates["promo"] != 1 {
			t.Fatalf("NDJSON row = %+v", o)
		}
		for _, cov := range []string{`{"Promo":1,"promo":0}`, `{"":1}`} {
			line := `{"date":"2026-11-01","store":"S1","sku":"A",` + qty + `"covariates":` + cov + "}\n"
			err := parse(strings.NewReader(line), func(Observation) error { return nil })
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("covariates %s: err = %v, want a ParseError", cov, err)
			}
		}
	}
}

func ingestPlan(t *testing.T, s *Store, csv string) (IngestStats, error) {
	t.Helper()
	return s.IngestCovariates(context.Background(), func(fn func(Observation) error) error {
		return ParseCovariatesCSV(strings.NewReader(csv), fn)
	})
}

func TestIngestCovariates(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	sales := "date,store,sku,quantity,promo\n2026-10-29,S1,A,3,0\n2026-10-30,S1,A,4,\n2026-10-31,S1,A,5,1\n2026-10-31,S1,B,1,0\n"
	if _, err := s.Ingest(ctx, func(fn func(Observation) error) error { return ParseCSV(strings.NewReader(sales), fn) }); err != nil {
		t.Fatal(err)
	}
	st, err := ingestPlan(t, s, "date,store,sku,promo,price\n"+
		"2026-10-29,S1,A,1,\n"+ // the sale recorded promo 0: the sale wins
		"2026-10-30,S1,A,1,\n"+ // the sale has no promo: the plan fills it
		"2026-11-01,S1,A,1,9.5\n"+
		"2026-11-03,S1,A,0,9.5\n"+
		"2026-11-02,S9,Z,1,\n") // no sales yet: stored, not loaded
	if err != nil || st.Rows != 5 || st.Series != 2 {
		t.Fatalf("ingest = %+v, %v", st, err)
	}
	if n, _ := s.CountPlannedCovariates(ctx); n != 7 {
		t.Fatalf("%d planned values stored, want 7", n)
	}
	// A second upload of prices alone keeps the planned promotions.
	if _, err := ingestPlan(t, s, "date,store,sku,price\n2026-11-01,S1,A,8.5\n"); err != nil {
		t.Fatal(err)
	}
	// Refused uploads store nothing: a duplicate, and a bad row after
	// good ones.
	for _, bad := range []string{
		"date,store,sku,promo\n2026-11-05,S1,A,1\n2026-11-05,S1,A,0\n",
		"date,store,sku,promo\n2026-11-05,S1,A,1\n2026-11-06,S1,A,x\n",
	} {
		var pe *ParseError
		if _, err := ingestPlan(t, s, bad); !errors.As(err, &pe) {
			t.Fatalf("bad upload: err = %v, want *ParseError", err)
		}
	}
	var pe *ParseError
	_, err = ingestPlan(t, s, "date,store,sku,promo\n2026-11-05,S1,A,1\n2026-11-05,S1,A,0\n")
	if !errors.As(err, &pe) || pe.Errors[0].Line != 3 || pe.Errors[0].Column != "promo" || !strings.Contains(pe.Errors[0].Reason, "line 2") {
		t.Fatalf("duplicate: %v", err)
	}
	if n, _ := s.CountPlannedCovariates(ctx); n != 7 {
		t.Fatalf("%d planned values after refused uploads, want 7", n)
	}

	series, err := s.LoadSeries(ctx, SeriesFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 2 {
		t.Fatalf("%d series, want 2 (plans alone make no series)", len(series))
	}
	a := series[0]
	if !equalNaN(a.Values, []float64{3, 4, 5}) {
		t.Fatalf("values = %v: plans must not change them", a.Values)
	}
	if got, want := a.Covariates["promo"], []float64{0, 1, 1, 1, nan, 0}; !equalNaN(got, want) {
		t.Errorf("promo = %v, want %v", got, want)
	}
	if got, want := a.Covariates["price"], []float64{nan, nan, nan, 8.5, nan, 9.5}; !equalNaN(got, want) {
		t.Errorf("price = %v, want %v", got, want)
	}
	if b := series[1]; len(b.Covariates["promo"]) != 1 || b.Covariates["price"] != nil {
		t.Errorf("series B covariates = %v, want its sales' own", b.Covariates)
	}
	// The filter applies to plans too.
	only, err := s.LoadSeries(ctx, SeriesFilter{SKUs: []string{"B"}})
	if err != nil || len(only) != 1 || only[0].Key.SKU != "B" || len(only[0].Covariates["promo"]) != 1 {
		t.Fatalf("filtered load = %+v, %v", only, err)
	}
}

func TestAddPlanned(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &Series{Key: Key{"S", "A"}, Freq: Hourly, Start: start, Values: []float64{1, 2}}
	at := func(h int, m int) time.Time {
		return start.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	s.AddPlanned([]Observation{
		{Date: at(3, 0), Covariates: map[string]float64{"promo": 1}},
		{Date: at(4, 30), Covariates: map[string]float64{"promo": 1}},             // off the grid
		{Date: at(-1, 0), Covariates: map[string]float64{"promo": 1}},             // before the start
		{Date: at(2+MaxPlanSteps, 0), Covariates: map[string]float64{"promo": 1}}, // too far ahead
		{Date: at(1+MaxPlanSteps, 0), Covariates: map[string]float64{"price": 2}}, // the last step kept
		{Date: at(0, 0), Covariates: map[string]float64{"promo": math.Inf(1)}},    // not a value
		{Date: at(1, 0), Covariates: map[string]float64{"holiday": math.NaN()}},   // not a value
	})
	if got, want := s.Covariates["promo"], []float64{nan, nan, nan, 1}; !equalNaN(got, want) {
		t.Errorf("promo = %v, want %v", got, want)
	}
	if got := s.Covariates["price"]; len(got) != 2+MaxPlanSteps || got[1+MaxPlanSteps] != 2 {
		t.Errorf("price has %d values, want %d ending in 2", len(got), 2+MaxPlanSteps)
	}
	if _, ok := s.Covariates["holiday"]; ok || !equalNaN(s.Values, []float64{1, 2}) {
		t.Errorf("covariates %v, values %v", s.Covariates, s.Values)
	}
}

func TestDemoPlan(t *testing.T) {
	o := DemoOptions{Stores: 2, SKUs: 3, Days: 60}
	plan := DemoPlan(o)
	if len(plan) != 2*3*35 {
		t.Fatalf("%d plan rows, want %d", len(plan), 2*3*35)
	}
	end := time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	promos := 0
	for i, p := range plan {
		if want := end.AddDate(0, 0, i%35+1); !p.Date.Equal(want) {
			t.Fatalf("row %d dated %s, want %s", i, p.Date, want)
		}
		promos += int(p.Covariates["promo"])
	}
	if promos == 0 || promos > len(plan)/5 {
		t.Errorf("%d promotions planned in %d days", promos, len(plan))
	}
	if again := DemoPlan(o); again[17].Covariates["promo"] != plan[17].Covariates["promo"] {
		t.Fatal("DemoPlan is not deterministic")
	}
}

func equalNaN(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

// checkPlanRow asserts what every accepted covariate row must meet on top
// of checkObservation: no quantity, and names the store would accept.
func checkPlanRow(t *testing.T, fn func(Observation) error) func(Observation) error {
	return func(o Observation) error {
		if o.Quantity != 0 || len(o.Covariates) > MaxCovariates {
			t.Fatalf("accepted plan row %+v", o)
		}
		for k := range o.Covariates {
			if err := CheckCovariateName(k); err != nil {
				t.Fatalf("accepted covariate name %q: %v", k, err)
			}
		}
		return fn(o)
	}
}

func FuzzParseCovariatesCSV(f *testing.F) {
	for _, seed := range []string{
		"date,store,sku,promo\n2026-11-01,S1,A,1\n",
		"date,store,sku,promo,price\n2026-11-01,S1,A,,2.5\n",
		"date,store,sku,quantity\n2026-11-01,S1,A,1\n",
		"date,store,sku,store\n2026-11-01,S1,A,1\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzParser(t, func(b []byte, fn func(Observation) error) error {
			return ParseCovariatesCSV(bytes.NewReader(b), checkPlanRow(t, fn))
		}, in)
	})
}

func FuzzParseCovariatesNDJSON(f *testing.F) {
	for _, seed := range []string{
		`{"date":"2026-11-01","store":"S1","sku":"A","covariates":{"promo":1}}` + "\n",
		`{"date":"2026-11-01","store":"S1","sku":"A","quantity":1,"covariates":{"promo":1}}`,
		`{"date":"2026-11-01","store":"S1","sku":"A","covariates":{}}`,
		`{"date":"2026-11-01","store":"S1","sku":"A","covariates":{"\u0001":1}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzParser(t, func(b []byte, fn func(Observation) error) error {
			return ParseCovariatesNDJSON(bytes.NewReader(b), checkPlanRow(t, fn))
		}, in)
	})
}

// eachStore runs test on an SQLite store and on a PostgreSQL one (skipped
// outside CI when FORECASTD_TEST_DATABASE_URL is unset, see postgresURL):
// the statements must mean the same on both.
func eachStore(t *testing.T, test func(t *testing.T, s *Store)) {
	t.Run("sqlite", func(t *testing.T) { test(t, openTestStore(t)) })
	t.Run("postgres", func(t *testing.T) {
		s, _ := openTestPostgres(t)
		test(t, s)
	})
}

// readPlan collects Plan's values as "name date value" lines.
func readPlan(t *testing.T, s *Store, k Key, f PlanFilter) ([]string, error) {
	t.Helper()
	var got []string
	err := s.Plan(context.Background(), k, f, func(v PlannedValue) error {
		got = append(got, fmt.Sprintf("%s %s %g", v.Name, v.Date.Format(DateTimeLayout), v.Value))
		return nil
	})
	return got, err
}

func TestPlanReadDelete(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, b, z := Key{"S1", "A"}, Key{"S1", "B"}, Key{"S9", "Z"}
		sales := "date,store,sku,quantity\n2026-10-31,S1,A,3\n2026-10-31,S1,B,1\n"
		if _, err := s.Ingest(ctx, func(fn func(Observation) error) error { return ParseCSV(strings.NewReader(sales), fn) }); err != nil {
			t.Fatal(err)
		}
		// Uploaded out of date order, with a second covariate and a
		// second series, so the order and the key filter are checked.
		if _, err := ingestPlan(t, s, "date,store,sku,promo,price\n"+
			"2026-11-03,S1,A,0,4.5\n2026-11-01,S1,A,1,\n2026-11-02,S1,A,,3.99\n2026-11-02,S1,B,1,\n2026-11-05,S9,Z,1,\n"); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			k    Key
			f    PlanFilter
			want []string
		}{
			{"all, by name then date", a, PlanFilter{}, []string{
				"price 2026-11-02T00:00:00 3.99", "price 2026-11-03T00:00:00 4.5",
				"promo 2026-11-01T00:00:00 1", "promo 2026-11-03T00:00:00 0"}},
			{"one covariate", a, PlanFilter{Name: "promo"}, []string{"promo 2026-11-01T00:00:00 1", "promo 2026-11-03T00:00:00 0"}},
			{"from inclusive, until exclusive", a, PlanFilter{From: day(2), Until: day(3)}, []string{"price 2026-11-02T00:00:00 3.99"}},
			{"name and dates", a, PlanFilter{Name: "promo", From: day(2)}, []string{"promo 2026-11-03T00:00:00 0"}},
			{"nothing selected", a, PlanFilter{Name: "holiday"}, nil},
			{"known series without a plan selected", b, PlanFilter{Until: day(2)}, nil},
			{"plan without sales", z, PlanFilter{}, []string{"promo 2026-11-05T00:00:00 1"}},
		}
		for _, c := range cases {
			got, err := readPlan(t, s, c.k, c.f)
			if err != nil || !slices.Equal(got, c.want) {
				t.Errorf("%s: plan = %q, %v; want %q", c.name, got, err, c.want)
			}
		}
		unknown := Key{"S1", "nope"}
		if got, err := readPlan(t, s, unknown, PlanFilter{}); !errors.Is(err, ErrNotFound) || got != nil {
			t.Errorf("unknown series: %q, %v; want ErrNotFound", got, err)
		}
		if n, err := s.DeletePlan(ctx, unknown, PlanFilter{}); !errors.Is(err, ErrNotFound) || n != 0 {
			t.Errorf("delete on an unknown series: %d, %v; want ErrNotFound", n, err)
		}

		// Deletes count what they remove and leave the rest.
		deletes := []struct {
			name string
			k    Key
			f    PlanFilter
			n    int64
			left []string // the plan of k afterwards
		}{
			{"nothing matched", a, PlanFilter{From: day(20)}, 0, nil},
			{"one date of one covariate", a, PlanFilter{Name: "price", From: day(3), Until: day(4)}, 1, []string{
				"price 2026-11-02T00:00:00 3.99", "promo 2026-11-01T00:00:00 1", "promo 2026-11-03T00:00:00 0"}},
			{"one covariate", a, PlanFilter{Name: "promo"}, 2, []string{"price 2026-11-02T00:00:00 3.99"}},
			{"all of a series", a, PlanFilter{}, 1, nil},
			{"a plan without sales", z, PlanFilter{}, 1, nil},
		}
		for _, d := range deletes {
			n, err := s.DeletePlan(ctx, d.k, d.f)
			if err != nil || n != d.n {
				t.Fatalf("delete %s: %d, %v; want %d", d.name, n, err, d.n)
			}
			if d.left == nil && n == 0 {
				continue
			}
			if got, err := readPlan(t, s, d.k, PlanFilter{}); !slices.Equal(got, d.left) {
				t.Errorf("after delete %s: plan = %q, %v; want %q", d.name, got, err, d.left)
			}
		}
		// Series A keeps its sales, so it is still known, with an empty
		// plan; Z had only a plan, so it is gone. B's plan is untouched.
		if got, err := readPlan(t, s, a, PlanFilter{}); err != nil || got != nil {
			t.Errorf("emptied series: %q, %v", got, err)
		}
		if _, err := readPlan(t, s, z, PlanFilter{}); !errors.Is(err, ErrNotFound) {
			t.Errorf("series whose only plan was deleted: err = %v, want ErrNotFound", err)
		}
		if n, _ := s.CountPlannedCovariates(ctx); n != 1 {
			t.Errorf("%d planned values left, want B's 1", n)
		}
	})
}
