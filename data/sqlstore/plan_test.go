package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
)

func ingestPlan(t *testing.T, s *Store, csv string) (IngestStats, error) {
	t.Helper()
	return s.IngestCovariates(context.Background(), func(fn func(data.Observation) error) error {
		return ingest.ParseCovariatesCSV(strings.NewReader(csv), fn)
	})
}

func TestIngestCovariates(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	sales := "date,store,sku,quantity,promo\n2026-10-29,S1,A,3,0\n2026-10-30,S1,A,4,\n2026-10-31,S1,A,5,1\n2026-10-31,S1,B,1,0\n"
	if _, err := s.Ingest(ctx, func(fn func(data.Observation) error) error { return ingest.ParseCSV(strings.NewReader(sales), fn) }); err != nil {
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
		var pe *ingest.ParseError
		if _, err := ingestPlan(t, s, bad); !errors.As(err, &pe) {
			t.Fatalf("bad upload: err = %v, want *ParseError", err)
		}
	}
	var pe *ingest.ParseError
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
func readPlan(t *testing.T, s *Store, k data.Key, f PlanFilter) ([]string, error) {
	t.Helper()
	var got []string
	err := s.Plan(context.Background(), k, f, func(v PlannedValue) error {
		got = append(got, fmt.Sprintf("%s %s %g", v.Name, v.Date.Format(ingest.DateTimeLayout), v.Value))
		return nil
	})
	return got, err
}

func TestPlanReadDelete(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, b, z := data.Key{Store: "S1", SKU: "A"}, data.Key{Store: "S1", SKU: "B"}, data.Key{Store: "S9", SKU: "Z"}
		sales := "date,store,sku,quantity\n2026-10-31,S1,A,3\n2026-10-31,S1,B,1\n"
		if _, err := s.Ingest(ctx, func(fn func(data.Observation) error) error { return ingest.ParseCSV(strings.NewReader(sales), fn) }); err != nil {
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
			k    data.Key
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
		unknown := data.Key{Store: "S1", SKU: "nope"}
		if got, err := readPlan(t, s, unknown, PlanFilter{}); !errors.Is(err, ErrNotFound) || got != nil {
			t.Errorf("unknown series: %q, %v; want ErrNotFound", got, err)
		}
		if n, err := s.DeletePlan(ctx, unknown, PlanFilter{}); !errors.Is(err, ErrNotFound) || n != 0 {
			t.Errorf("delete on an unknown series: %d, %v; want ErrNotFound", n, err)
		}

		// Deletes count what they remove and leave the rest.
		deletes := []struct {
			name string
			k    data.Key
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

var nan = math.NaN()

// equalNaN is slices.Equal with NaN equal to NaN.
func equalNaN(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return x == y || (math.IsNaN(x) && math.IsNaN(y)) })
}
