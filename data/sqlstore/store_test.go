package sqlstore

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/ingest"
)

func openTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestIngestAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	good := "date,store,sku,quantity,promo\n2024-01-01,S1,A,3,1\n2024-01-02,S1,A,4,\n2024-01-01,S1,B,0,0\n"
	st, err := s.Ingest(ctx, func(fn func(data.Observation) error) error { return ingest.ParseCSV(strings.NewReader(good), fn) })
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != 3 || st.Series != 2 {
		t.Fatalf("stats = %+v, want 3 rows 2 series", st)
	}
	bad := "date,store,sku,quantity\n2024-01-03,S1,A,5\n2024-02-30,S1,A,1\n2024-01-04,S1,A,abc\n"
	_, err = s.Ingest(ctx, func(fn func(data.Observation) error) error { return ingest.ParseCSV(strings.NewReader(bad), fn) })
	var pe *ingest.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *ParseError", err)
	}
	if len(pe.Errors) != 2 || pe.Errors[0].Line != 3 || pe.Errors[1].Line != 4 {
		t.Fatalf("errors = %+v, want lines 3 and 4", pe.Errors)
	}
	n, err := s.CountSales(ctx)
	if err != nil || n != 3 {
		t.Fatalf("count = %d, %v; want 3 (nothing from the bad upload)", n, err)
	}
	before, err := s.LoadSeries(ctx, SeriesFilter{SKUs: []string{"A"}})
	if err != nil {
		t.Fatal(err)
	}
	if c := before[0].Covariates["promo"]; len(c) != 2 || c[0] != 1 || c[1] == c[1] {
		t.Fatalf("promo = %v, want [1 NaN]", c)
	}
	// Upsert: the same key replaces the row, covariates included.
	if _, err := s.Ingest(ctx, func(fn func(data.Observation) error) error {
		return ingest.ParseCSV(strings.NewReader("date,store,sku,quantity\n2024-01-01,S1,A,9\n"), fn)
	}); err != nil {
		t.Fatal(err)
	}
	series, err := s.LoadSeries(ctx, SeriesFilter{Stores: []string{"S1"}, SKUs: []string{"A"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 1 || len(series[0].Values) != 2 || series[0].Values[0] != 9 || series[0].Values[1] != 4 {
		t.Fatalf("series = %+v", series)
	}
}

func TestListSeriesPaging(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	obs := demo.Sales(demo.Options{Stores: 2, SKUs: 3, Days: 10})
	if _, err := s.Ingest(ctx, data.Each(obs)); err != nil {
		t.Fatal(err)
	}
	var got []string
	after := data.Key{}
	for {
		page, err := s.ListSeries(ctx, "", after, 4)
		if err != nil {
			t.Fatal(err)
		}
		for _, si := range page {
			got = append(got, si.Store+"/"+si.SKU)
			if si.Rows != 10 {
				t.Errorf("%s/%s rows = %d", si.Store, si.SKU, si.Rows)
			}
		}
		if len(page) < 4 {
			break
		}
		after = data.Key{Store: page[len(page)-1].Store, SKU: page[len(page)-1].SKU}
	}
	if len(got) != 6 || got[0] != "S01/SKU001" || got[5] != "S02/SKU003" {
		t.Fatalf("paged series = %v", got)
	}
	only, err := s.ListSeries(ctx, "S02", data.Key{}, 100)
	if err != nil || len(only) != 3 {
		t.Fatalf("store filter: %d, %v", len(only), err)
	}
}

func TestPublishIsAtomic(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	k := data.Key{Store: "S1", SKU: "A"}
	if err := s.StageResult(ctx, "j1", k, []byte(`{"v":1}`), []byte(`[]`)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetResult(ctx, k); !errors.Is(err, ErrNotFound) {
		t.Fatalf("staged result visible before publish: %v", err)
	}
	if n, err := s.PublishResults(ctx, "j1", time.Now()); err != nil || n != 1 {
		t.Fatalf("publish = %d, %v", n, err)
	}
	r, err := s.GetResult(ctx, k)
	if err != nil || string(r.Body) != `{"v":1}` || r.JobID != "j1" {
		t.Fatalf("result = %+v, %v", r, err)
	}
}

func TestIngestRejectsDuplicateKeys(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	dup := "date,store,sku,quantity\n2024-01-01,S1,A,3\n2024-01-02,S1,A,4\n2024-01-01,S1,A,5\n"
	_, err := s.Ingest(ctx, func(fn func(data.Observation) error) error { return ingest.ParseCSV(strings.NewReader(dup), fn) })
	var pe *ingest.ParseError
	if !errors.As(err, &pe) || len(pe.Errors) != 1 || pe.Errors[0].Line != 4 || !strings.Contains(pe.Errors[0].Reason, "line 2") {
		t.Fatalf("err = %v", err)
	}
	if n, _ := s.CountSales(ctx); n != 0 {
		t.Fatalf("%d rows stored from a rejected upload", n)
	}
	// The same connection is reused: a later good upload is not confused
	// by the earlier staged rows.
	st, err := s.Ingest(ctx, func(fn func(data.Observation) error) error {
		return ingest.ParseCSV(strings.NewReader("date,store,sku,quantity\n2024-01-01,S1,A,3\n"), fn)
	})
	if err != nil || st.Rows != 1 || st.Series != 1 {
		t.Fatalf("after rejection: %+v, %v", st, err)
	}
}

func TestStartJobKeepsCancelled(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	j := &Job{ID: "j1", Kind: "train", Params: []byte(`{}`)}
	if err := s.CreateJob(ctx, j, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishJob(ctx, "j1", JobCancelled, "cancelled by request", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.StartJob(ctx, "j1", 3); !errors.Is(err, ErrJobCancelled) {
		t.Fatalf("StartJob on a cancelled job: %v", err)
	}
	got, _ := s.GetJob(ctx, "j1")
	if got.State != JobCancelled {
		t.Fatalf("state = %s", got.State)
	}
}
