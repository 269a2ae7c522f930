package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/internal/pgtest"
)

// postgresURL is pgtest.URL: the test's server, or a skip outside CI.
func postgresURL(t *testing.T) string { return pgtest.URL(t) }

func openTestPostgres(t *testing.T) (*Store, string) {
	t.Helper()
	ctx := context.Background()
	u, drop, err := CreatePostgresDatabase(ctx, postgresURL(t), "forecastd_data")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	s, err := OpenPostgres(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, u
}

// TestPostgresStore runs every statement of the store on PostgreSQL and
// checks the same outcomes the SQLite tests check.
func TestPostgresStore(t *testing.T) {
	ctx := context.Background()
	s, u := openTestPostgres(t)

	// Migrations are idempotent and safe to run from several processes at once.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s2, err := OpenPostgres(ctx, u)
			if err == nil {
				err = s2.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent open: %v", err)
		}
	}

	obs := demo.Sales(demo.Options{Stores: 2, SKUs: 3, Days: 30})
	st, err := s.Ingest(ctx, data.Each(obs))
	if err != nil || st.Rows != 180 || st.Series != 6 {
		t.Fatalf("ingest = %+v, %v", st, err)
	}
	if n, err := s.CountSales(ctx); err != nil || n != 180 {
		t.Fatalf("count = %d, %v", n, err)
	}
	page, err := s.ListSeries(ctx, "", data.Key{Store: "S01", SKU: "SKU002"}, 2)
	if err != nil || len(page) != 2 || page[0].SKU != "SKU003" || page[1].Store != "S02" || page[0].Rows != 30 {
		t.Fatalf("list series = %+v, %v", page, err)
	}
	one, err := s.ListSeries(ctx, "S02", data.Key{}, 10)
	if err != nil || len(one) != 3 {
		t.Fatalf("list series of S02 = %+v, %v", one, err)
	}
	series, err := s.LoadSeries(ctx, SeriesFilter{Stores: []string{"S02"}, SKUs: []string{"SKU001"}})
	if err != nil || len(series) != 1 || len(series[0].Values) != 30 {
		t.Fatalf("load series = %+v, %v", series, err)
	}
	if got, want := series[0].Values[5], obs[3*30+5].Quantity; got != want {
		t.Fatalf("value = %v, want %v", got, want)
	}
	// Planned covariates: staged, checked for duplicates, upserted and
	// merged into the series by the same statements as on SQLite.
	plan := func(csv string) error {
		_, err := s.IngestCovariates(ctx, func(fn func(data.Observation) error) error {
			return ingest.ParseCovariatesCSV(strings.NewReader(csv), fn)
		})
		return err
	}
	if err := plan("date,store,sku,promo\n2026-11-01,S02,SKU001,1\n2026-11-03,S02,SKU001,0\n2026-11-01,S09,X,1\n"); err != nil {
		t.Fatal(err)
	}
	var pe *ingest.ParseError
	if err := plan("date,store,sku,promo\n2026-11-01,S02,SKU001,0\n2026-11-01,S02,SKU001,1\n"); !errors.As(err, &pe) || pe.Errors[0].Line != 3 {
		t.Fatalf("duplicate plan: %v", err)
	}
	if err := plan("date,store,sku,promo\n2026-11-03,S02,SKU001,1\n"); err != nil {
		t.Fatal(err)
	}
	series, err = s.LoadSeries(ctx, SeriesFilter{Stores: []string{"S02"}})
	if err != nil || len(series) != 3 || len(series[0].Values) != 30 {
		t.Fatalf("load series with plans = %+v, %v", series, err)
	}
	if promo := series[0].Covariates["promo"]; len(promo) != 33 || promo[30] != 1 || promo[31] == promo[31] || promo[32] != 1 {
		t.Fatalf("planned promo = %v, want 30 days of history then [1 NaN 1]", promo[min(30, len(promo)):])
	}
	if promo := series[1].Covariates["promo"]; len(promo) != 30 {
		t.Fatalf("unplanned series has %d promo values, want 30", len(promo))
	}

	j := &Job{ID: "j1", Kind: "train", Params: json.RawMessage(`{"horizon":7}`), RequestID: "r1"}
	var sawTx bool
	if err := s.CreateJob(ctx, j, func(tx *sql.Tx) (int64, error) { sawTx = tx != nil; return 42, nil }); err != nil || !sawTx {
		t.Fatalf("create job: %v", err)
	}
	if err := s.StartJob(ctx, "j1", 6); err != nil {
		t.Fatal(err)
	}
	if err := s.JobProgress(ctx, "j1", 3, 6); err != nil {
		t.Fatal(err)
	}
	k := data.Key{Store: "S01", SKU: "SKU001"}
	for i := 0; i < 2; i++ { // staging twice replaces
		if err := s.StageResult(ctx, "j1", k, []byte(`{"v":1}`), []byte(`[]`)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.GetResult(ctx, k); err == nil {
		t.Fatal("staged result visible before publish")
	}
	n, err := s.PublishResults(ctx, "j1", time.UnixMilli(1700000000000))
	if err != nil || n != 1 {
		t.Fatalf("publish = %d, %v", n, err)
	}
	r, err := s.GetResult(ctx, k)
	if err != nil || r.JobID != "j1" || string(r.Body) != `{"v":1}` || r.GeneratedAt.UnixMilli() != 1700000000000 {
		t.Fatalf("result = %+v, %v", r, err)
	}
	if err := s.FinishJob(ctx, "j1", JobSucceeded, "", json.RawMessage(`{"verdict":"clean"}`)); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetJob(ctx, "j1")
	if err != nil || got.State != JobSucceeded || got.RiverID != 42 || got.Progress != 0.5 || got.FinishedAt == nil || string(got.Memory) != `{"verdict":"clean"}` {
		t.Fatalf("job = %+v, %v", got, err)
	}
	// A cancelled job stays cancelled.
	if err := s.CreateJob(ctx, &Job{ID: "j2", Kind: "train", Params: json.RawMessage(`{}`)}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishJob(ctx, "j2", JobCancelled, "by request", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishJob(ctx, "j2", JobQueued, "interrupted", nil); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListJobs(ctx, "", "", 10)
	if err != nil || len(list) != 2 || list[0].ID != "j2" || list[0].State != JobCancelled {
		t.Fatalf("list jobs = %+v, %v", list, err)
	}
	if l2, err := s.ListJobs(ctx, JobSucceeded, "", 10); err != nil || len(l2) != 1 {
		t.Fatalf("list succeeded jobs = %+v, %v", l2, err)
	}
	nres := 0
	if err := s.ListResults(ctx, func(*Result) error { nres++; return nil }); err != nil || nres != 1 {
		t.Fatalf("list results = %d, %v", nres, err)
	}
}
