package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
)

// csvUpload is an upload of csv through the sales or covariate parser.
func csvUpload(csv string, plan bool) func(fn func(data.Observation) error) error {
	parse := ingest.ParseCSV
	if plan {
		parse = ingest.ParseCovariatesCSV
	}
	return func(fn func(data.Observation) error) error { return parse(strings.NewReader(csv), fn) }
}

// covHeader is a CSV header with n covariates named prefix0...
func covRows(header, row, prefix string, n int) string {
	var h, r strings.Builder
	h.WriteString(header)
	r.WriteString(row)
	for i := range n {
		fmt.Fprintf(&h, ",%s%d", prefix, i)
		r.WriteString(",1")
	}
	return h.String() + "\n" + r.String() + "\n"
}

// TestIngestRefusesUnassemblable: uploads that would make a series
// unassemblable, alone or with what is stored, are refused whole with
// the line at fault, and nothing of them is stored.
func TestIngestRefusesUnassemblable(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	base := "date,store,sku,quantity\n2026-01-01,S,D,1\n2026-01-02,S,D,2\n2026-01-03,S,D,3\n"
	if _, err := s.Ingest(ctx, csvUpload(base, false)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ingest(ctx, csvUpload(covRows("date,store,sku,quantity", "2026-01-04,S,D,1", "sale", 40), false)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		csv    string
		plan   bool
		line   int
		reason string
	}{
		{"year 0000", "date,store,sku,quantity\n2026-01-05,S,D,1\n0000-01-01,S,X,1\n", false, 3, "outside 1900-01-01 to 2200-01-01"},
		{"year 9999", "date,store,sku,quantity\n9999-12-31,S,X,1\n", false, 2, "outside 1900-01-01 to 2200-01-01"},
		{"plan in 2300", "date,store,sku,promo\n2300-01-01,S,D,1\n", true, 2, "outside 1900-01-01 to 2200-01-01"},
		{"hour in a daily series", "date,store,sku,quantity\n2026-01-05,S,D,1\n2026-01-05T05:00:00,S,D,1\n", false, 3, "not on the daily grid of series S/D"},
		{"stray first row", "date,store,sku,quantity\n2025-12-31T05:00:00,S,D,1\n", false, 2, "2025-12-31T05:00:00 is not on the daily grid"},
		{"new series mixing", "date,store,sku,quantity\n2026-01-01,S,N,1\n2026-01-02,S,N,1\n2026-01-03,S,N,1\n2026-01-02T12:00:00,S,N,1\n", false, 5, "not on the daily grid of series S/N"},
		{"a century and more of days", "date,store,sku,quantity\n1901-01-01,S,L,1\n1901-01-02,S,L,1\n2150-01-01,S,L,1\n", false, 2, "more than the limit of 36525"},
		{"six years of hours", "date,store,sku,quantity\n2020-01-01T00:00:00,S,H,1\n2020-01-01T01:00:00,S,H,1\n2026-01-01T01:00:00,S,H,1\n", false, 2, "more than the limit of 43830"},
		{"covariates across uploads", covRows("date,store,sku", "2026-02-01,S,D", "plan", 30), true, 2, "series S/D would have more than 64 covariates, the limit per series"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, err := s.CountSales(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var stats IngestStats
			if tc.plan {
				stats, err = s.IngestCovariates(ctx, csvUpload(tc.csv, true))
			} else {
				stats, err = s.Ingest(ctx, csvUpload(tc.csv, false))
			}
			var pe *ingest.ParseError
			if !errors.As(err, &pe) || len(pe.Errors) == 0 {
				t.Fatalf("upload = %+v, %v; want a ParseError", stats, err)
			}
			if pe.Errors[0].Line != tc.line || !strings.Contains(pe.Errors[0].Reason, tc.reason) {
				t.Errorf("errors = %+v, want line %d: %q", pe.Errors, tc.line, tc.reason)
			}
			after, err := s.CountSales(ctx)
			if err != nil || after != before {
				t.Errorf("sales %d -> %d (%v): a refused upload stored rows", before, after, err)
			}
		})
	}
	// What passes the checks can be loaded.
	if _, err := s.IngestCovariates(ctx, csvUpload(covRows("date,store,sku", "2026-02-01,S,D", "plan", 24), true)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ingest(ctx, csvUpload("date,store,sku,quantity\n2026-01-05,S,D,1\n2026-01-06,S,D,1\n", false)); err != nil {
		t.Fatal(err)
	}
	series, err := s.LoadSeries(ctx, SeriesFilter{})
	if err != nil || len(series) != 1 || series[0].Len() != 6 || len(series[0].Covariates) != 64 {
		t.Fatalf("load = %d series, %v", len(series), err)
	}
}

// TestDeleteSeries deletes a date range of sales, then the whole series
// with its plan and forecast, in one transaction each.
func TestDeleteSeries(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	if _, err := s.Ingest(ctx, csvUpload("date,store,sku,quantity\n2026-01-01,S,A,1\n2026-01-02,S,A,2\n2026-01-03,S,A,3\n2026-01-01,S,B,1\n", false)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.IngestCovariates(ctx, csvUpload("date,store,sku,promo\n2026-01-04,S,A,1\n2026-01-05,S,A,0\n", true)); err != nil {
		t.Fatal(err)
	}
	a := data.Key{Store: "S", SKU: "A"}
	if err := s.StageResult(ctx, "j", a, []byte(`{}`), []byte(`[]`)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PublishResults(ctx, "j", time.Now()); err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }
	got, err := s.DeleteSeries(ctx, a, DateRange{From: day(2), Until: day(3)})
	if err != nil || got != (SeriesDeleted{Sales: 1}) {
		t.Fatalf("range delete = %+v, %v", got, err)
	}
	if _, err := s.GetResult(ctx, a); err != nil {
		t.Fatalf("a range delete removed the forecast: %v", err)
	}
	got, err = s.DeleteSeries(ctx, a, DateRange{})
	if err != nil || got != (SeriesDeleted{Sales: 2, PlannedCovariates: 2, Forecasts: 1}) {
		t.Fatalf("delete = %+v, %v", got, err)
	}
	if _, err := s.GetResult(ctx, a); !errors.Is(err, ErrNotFound) {
		t.Fatalf("forecast after delete: %v", err)
	}
	if _, err := s.DeleteSeries(ctx, a, DateRange{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	if n, err := s.CountSales(ctx); err != nil || n != 1 {
		t.Fatalf("sales left = %d, %v; want S/B's 1", n, err)
	}
}
