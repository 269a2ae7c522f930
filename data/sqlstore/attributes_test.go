package sqlstore

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
)

// TestAttributes: attributes uploaded with the sales (M5's dept_id and
// cat_id read without being told) and alone are stored, replaced by name,
// read back per series and for a job's keys, refused whole on a conflict,
// and deleted with the series, on both databases.
func TestAttributes(t *testing.T) { eachStore(t, checkAttributes) }

func checkAttributes(t *testing.T, s *Store) {
	ctx := context.Background()
	a, b := data.Key{Store: "CA_1", SKU: "A"}, data.Key{Store: "CA_1", SKU: "B"}
	sales := "date,store,sku,quantity,dept_id,cat_id\n2024-01-01,CA_1,A,3,FOODS_1,FOODS\n2024-01-02,CA_1,A,4,FOODS_1,FOODS\n2024-01-01,CA_1,B,1,HOBBIES_1,HOBBIES\n"
	if _, err := s.Ingest(ctx, csvUpload(sales, false)); err != nil {
		t.Fatal(err)
	}
	got, err := s.SeriesAttributes(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"dept_id": "FOODS_1", "cat_id": "FOODS"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("attributes of A = %v, want %v", got, want)
	}
	// A conflict within a sales upload refuses it whole: no sale of
	// line 2 is stored, no attribute changes.
	bad := "date,store,sku,quantity,dept_id\n2024-01-03,CA_1,B,9,HOBBIES_2\n2024-01-04,CA_1,B,9,HOBBIES_1\n"
	_, err = s.Ingest(ctx, csvUpload(bad, false))
	var pe *ingest.ParseError
	if !errors.As(err, &pe) || pe.Errors[0].Line != 3 || pe.Errors[0].Column != "dept_id" || !strings.Contains(pe.Errors[0].Reason, "line 2") {
		t.Fatalf("conflicting upload: err = %v, want a ParseError on line 3, dept_id, naming line 2", err)
	}
	if n, _ := s.CountSales(ctx); n != 3 {
		t.Fatalf("sales = %d after a refused upload, want 3", n)
	}
	st, err := s.SetAttributes(ctx, []data.Attribute{{Key: b, Name: "dept_id", Value: "HOBBIES_2"}, {Key: b, Name: "state_id", Value: "CA"},
		{Key: data.Key{Store: "TX_1", SKU: "C"}, Name: "state_id", Value: "TX"}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Attributes != 3 || st.Series != 2 {
		t.Fatalf("stats = %+v, want 3 attributes of 2 series", st)
	}
	all, err := s.AttributesOf(ctx, []data.Key{a, b})
	if err != nil {
		t.Fatal(err)
	}
	want := map[data.Key]map[string]string{
		a: {"dept_id": "FOODS_1", "cat_id": "FOODS"},
		b: {"dept_id": "HOBBIES_2", "cat_id": "HOBBIES", "state_id": "CA"},
	}
	if !reflect.DeepEqual(all, want) {
		t.Fatalf("AttributesOf = %v, want %v (TX_1/C not asked for)", all, want)
	}
	// A series with attributes only is known; deleting it deletes them.
	c := data.Key{Store: "TX_1", SKU: "C"}
	d, err := s.DeleteSeries(ctx, c, DateRange{})
	if err != nil || d.Attributes != 1 {
		t.Fatalf("delete C = %+v, %v; want 1 attribute deleted", d, err)
	}
	d, err = s.DeleteSeries(ctx, b, DateRange{})
	if err != nil || d.Attributes != 3 || d.Sales != 1 {
		t.Fatalf("delete B = %+v, %v; want 1 sale and 3 attributes", d, err)
	}
	if _, err := s.SeriesAttributes(ctx, b); !errors.Is(err, ErrNotFound) {
		t.Fatalf("attributes of a deleted series: err = %v, want ErrNotFound", err)
	}
}
