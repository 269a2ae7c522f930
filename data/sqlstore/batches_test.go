package sqlstore

import (
	"context"
	"strings"
	"testing"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
)

// TestLoadSeriesKeyRange loads the batches a streamed job reads: the
// series in (After, Through], with the store and SKU filters still
// applied, sales and plans alike.
func TestLoadSeriesKeyRange(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	var b strings.Builder
	b.WriteString("date,store,sku,quantity\n")
	keys := []data.Key{{Store: "S1", SKU: "A"}, {Store: "S1", SKU: "B"}, {Store: "S1", SKU: "C"}, {Store: "S2", SKU: "A"}, {Store: "S2", SKU: "B"}}
	for _, k := range keys {
		for _, d := range []string{"2024-01-01", "2024-01-02", "2024-01-03"} {
			b.WriteString(d + "," + k.Store + "," + k.SKU + ",1\n")
		}
	}
	if _, err := s.Ingest(ctx, func(fn func(data.Observation) error) error {
		return ingest.ParseCSV(strings.NewReader(b.String()), fn)
	}); err != nil {
		t.Fatal(err)
	}
	got := func(f SeriesFilter) string {
		t.Helper()
		series, bad, err := s.LoadSeriesExcluding(ctx, f)
		if err != nil || len(bad) > 0 {
			t.Fatal(err, bad)
		}
		var names []string
		for _, ser := range series {
			names = append(names, ser.Key.String())
		}
		return strings.Join(names, " ")
	}
	for _, c := range []struct {
		name string
		f    SeriesFilter
		want string
	}{
		{"after only", SeriesFilter{After: &keys[1]}, "S1/C S2/A S2/B"},
		{"through only", SeriesFilter{Through: &keys[1]}, "S1/A S1/B"},
		{"across stores", SeriesFilter{After: &keys[1], Through: &keys[3]}, "S1/C S2/A"},
		{"with a sku filter", SeriesFilter{SKUs: []string{"A"}, After: &keys[0], Through: &keys[4]}, "S2/A"},
		{"empty range", SeriesFilter{After: &keys[2], Through: &keys[2]}, ""},
	} {
		if g := got(c.f); g != c.want {
			t.Errorf("%s: loaded %q, want %q", c.name, g, c.want)
		}
	}
}

// TestListKeysPagesAKeysFilter pages through a filter of named series
// (a retraining on drift) that lie past the first page of all series:
// the page must fill with matching keys, not stop at the first rows SQL
// returned.
func TestListKeysPagesAKeysFilter(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	var b strings.Builder
	b.WriteString("date,store,sku,quantity\n")
	for _, sku := range []string{"A", "B", "C", "D", "E", "F"} {
		b.WriteString("2024-01-01,S1," + sku + ",1\n")
	}
	if _, err := s.Ingest(ctx, func(fn func(data.Observation) error) error {
		return ingest.ParseCSV(strings.NewReader(b.String()), fn)
	}); err != nil {
		t.Fatal(err)
	}
	f := SeriesFilter{Keys: []data.Key{{Store: "S1", SKU: "D"}, {Store: "S1", SKU: "F"}}}
	page, err := s.ListKeys(ctx, f, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].SKU != "D" || page[1].SKU != "F" {
		t.Fatalf("page of 2 with keys D and F: got %v", page)
	}
}
