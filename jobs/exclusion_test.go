package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

// badSeries are stored series that cannot be assembled, as rows stored
// before uploads refused them (written past the upload checks), and the
// reason each must be excluded for.
var badSeries = []struct {
	sku    string
	rows   []string // ts values; covariates given by covs
	covs   int      // covariates on the first row
	reason string
}{
	{"YEARS", []string{"0000-01-01", "9999-12-31"}, 0, "outside 1900-01-01 to 2200-01-01"},
	{"MIXED", []string{"2026-01-01", "2026-01-02", "2026-01-03", "2026-01-03T05:00:00", "2026-01-04"}, 0, "not on the daily grid"},
	{"SPAN", []string{"1901-01-01", "1901-01-02", "2150-01-01"}, 0, "more than the limit of 36525"},
	{"WIDE", []string{"2026-01-01", "2026-01-02", "2026-01-03"}, sqlstore.MaxSeriesCovariates + 1, "covariates, the limit per series"},
}

// storeBadSeries writes badSeries for store st straight into sales.
func storeBadSeries(t *testing.T, s *sqlstore.Store, st string) {
	t.Helper()
	for _, b := range badSeries {
		for i, d := range b.rows {
			var tm time.Time
			var err error
			if len(d) == 10 {
				tm, err = time.Parse("2006-01-02", d)
			} else {
				tm, err = time.Parse("2006-01-02T15:04:05", d)
			}
			if err != nil {
				t.Fatal(err)
			}
			var cov any
			if i == 0 && b.covs > 0 {
				parts := make([]string, b.covs)
				for c := range parts {
					parts[c] = `"c` + string(rune('a'+c/26)) + string(rune('a'+c%26)) + `":1`
				}
				cov = "{" + strings.Join(parts, ",") + "}"
			}
			if _, err := s.DB().Exec(`INSERT INTO sales (store, sku, ts, quantity, covariates) VALUES ($1, $2, $3, $4, $5)`,
				st, b.sku, tm.Unix(), 1.0, cov); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// checkSummary fails unless j succeeded, trained good series and
// excluded every bad series of badSeries, naming each and why.
func checkSummary(t *testing.T, j *jobs.Job, good int) {
	t.Helper()
	s := j.Summary
	if j.State != sqlstore.JobSucceeded || s == nil {
		t.Fatalf("job = %+v", j)
	}
	if s.SeriesTotal != good+len(badSeries) || s.Trained != good || s.Excluded != len(badSeries) || s.Failed != 0 {
		t.Errorf("summary = %+v", s)
	}
	if !strings.Contains(j.Error, "excluded") {
		t.Errorf("job error %q does not mention the excluded series", j.Error)
	}
	for _, b := range badSeries {
		found := false
		for _, w := range s.Warnings {
			if strings.HasSuffix(w.Series, "/"+b.sku) && w.Kind == jobs.WarnExcluded && strings.Contains(w.Reason, b.reason) {
				found = true
			}
		}
		if !found {
			t.Errorf("no warning for %s with %q in %+v", b.sku, b.reason, s.Warnings)
		}
	}
}

// TestBadSeriesExcluded: a job over good series and series that cannot
// be assembled succeeds for the good ones and lists the others, each
// with its reason, in its summary; loading one bad series says which.
func TestBadSeriesExcluded(t *testing.T) {
	ctx := context.Background()
	store, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { check(t, store.Close) })
	if _, err := store.Ingest(ctx, each(demo.Sales(demo.Options{Stores: 1, SKUs: 2, Days: 60}))); err != nil {
		t.Fatal(err)
	}
	storeBadSeries(t, store, "S01")
	guard, err := memguard.New(memguard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &jobs.Runner{Store: store, Registry: models.Standard(), Guard: guard, Workers: 1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := store.CreateJob(ctx, &sqlstore.Job{ID: "j", Kind: "train", Params: []byte(fastJob)}, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Execute(ctx, "j"); err != nil {
		t.Fatal(err)
	}
	row, err := store.GetJob(ctx, "j")
	if err != nil {
		t.Fatal(err)
	}
	j, err := jobs.DecodeJob(row)
	if err != nil {
		t.Fatal(err)
	}
	checkSummary(t, j, 2)

	_, err = store.LoadSeries(ctx, sqlstore.SeriesFilter{SKUs: []string{"YEARS"}})
	var ue *sqlstore.UnassemblableError
	if !errors.As(err, &ue) || ue.Key != (data.Key{Store: "S01", SKU: "YEARS"}) {
		t.Fatalf("load YEARS: %v, want an UnassemblableError", err)
	}
}

// TestBadSeriesExcludedFanOut is TestBadSeriesExcluded through the
// fan-out, on SQLite and PostgreSQL: partitions exclude their bad series
// and the parent merges the summaries.
func TestBadSeriesExcludedFanOut(t *testing.T) {
	on := true
	t.Run("sqlite", func(t *testing.T) {
		testBadSeriesFanOut(t, startServer(t, jobs.Backend{FanOut: &on, PartitionSize: 2}, 1))
	})
	t.Run("postgres", func(t *testing.T) {
		testBadSeriesFanOut(t, startServer(t, jobs.Backend{DatabaseURL: newDatabase(t), PartitionSize: 2}, 1))
	})
}

func testBadSeriesFanOut(t *testing.T, s *server) {
	s.ingest(demo.Options{Stores: 1, SKUs: 3, Days: 60})
	storeBadSeries(t, s.Store(), "S01")
	id := s.postJob(fastJob)
	row := s.waitJob(id, time.Minute, nil)
	j, err := jobs.DecodeJob(row)
	if err != nil {
		t.Fatal(err)
	}
	checkSummary(t, j, 3)
}

// guardedLoads is a store that records whether each series load ran
// inside a memguard run (the guard labels its run's context).
type guardedLoads struct {
	*sqlstore.Store
	loads, guarded int
}

func (g *guardedLoads) LoadSeriesExcluding(ctx context.Context, f sqlstore.SeriesFilter) ([]*data.Series, []*sqlstore.UnassemblableError, error) {
	g.loads++
	if _, ok := pprof.Label(ctx, memguard.LabelRun); ok {
		g.guarded++
	}
	return g.Store.LoadSeriesExcluding(ctx, f)
}

// TestLoadRunsInsideGuard: a job loads and assembles its series inside
// the guard's run, so the memory budget and the report count them.
func TestLoadRunsInsideGuard(t *testing.T) {
	ctx := context.Background()
	store, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { check(t, store.Close) })
	if _, err := store.Ingest(ctx, each(demo.Sales(demo.Options{Stores: 1, SKUs: 1, Days: 60}))); err != nil {
		t.Fatal(err)
	}
	guard, err := memguard.New(memguard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := &guardedLoads{Store: store}
	r := &jobs.Runner{Store: g, Registry: models.Standard(), Guard: guard, Workers: 1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := store.CreateJob(ctx, &sqlstore.Job{ID: "j", Kind: "train", Params: []byte(fastJob)}, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Execute(ctx, "j"); err != nil {
		t.Fatal(err)
	}
	if g.loads != 1 || g.guarded != 1 {
		t.Fatalf("%d loads, %d inside the guard's run; want 1 and 1", g.loads, g.guarded)
	}
}
