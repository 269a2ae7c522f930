package ingest

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/forecastd/forecastd/data"
)

func TestParseAttributes(t *testing.T) {
	csv := "store,sku,Dept,cat\nCA_1,A,FOODS_1,FOODS\nCA_1,B,HOBBIES_1,\nCA_1,A,FOODS_1,FOODS\n"
	got, err := ParseAttributesCSV(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	a, b := data.Key{Store: "CA_1", SKU: "A"}, data.Key{Store: "CA_1", SKU: "B"}
	want := []data.Attribute{{Key: a, Name: "cat", Value: "FOODS", Line: 2}, {Key: a, Name: "dept", Value: "FOODS_1", Line: 2},
		{Key: b, Name: "dept", Value: "HOBBIES_1", Line: 3}}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("attribute %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	nd := `{"store":"CA_1","sku":"A","dept":"FOODS_1"}` + "\n" + `{"store":"CA_1","sku":1,"dept":"X","cat":"Y"}` + "\n"
	got, err = ParseAttributesNDJSON(strings.NewReader(nd))
	if err != nil || len(got) != 3 {
		t.Fatalf("NDJSON: %+v, %v; want 3 attributes", got, err)
	}
	for _, c := range []struct{ name, body, line, col, reason string }{
		{"csv conflict", "store,sku,dept\nS,A,X\nS,A,Y\n", "3", "dept", "on line 2"},
		{"csv no attribute", "store,sku\nS,A\n", "1", "", "no attribute column"},
		{"csv reserved key", "store,sku,dept\n_S,A,X\n", "2", "store", "reserved"},
		{"csv name with =", "store,sku,a=b\nS,A,X\n", "1", "a=b", "contains ="},
		{"ndjson conflict", `{"store":"S","sku":"A","dept":"X"}` + "\n" + `{"store":"S","sku":"A","dept":"Y"}`, "2", "dept", "on line 1"},
		{"ndjson number", `{"store":"S","sku":"A","dept":3}`, "1", "dept", "not a string"},
	} {
		var err error
		if strings.HasPrefix(c.name, "csv") {
			_, err = ParseAttributesCSV(strings.NewReader(c.body))
		} else {
			_, err = ParseAttributesNDJSON(strings.NewReader(c.body))
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("%s: err = %v, want a ParseError", c.name, err)
		}
		e := pe.Errors[0]
		if itoa(e.Line) != c.line || e.Column != c.col || !strings.Contains(e.Reason, c.reason) || pe.What() != AttributeSubject {
			t.Errorf("%s: %+v (%s), want line %s column %q reason ~%q", c.name, e, pe.What(), c.line, c.col, c.reason)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestSalesAttributeColumns: a sales upload reads M5's id columns and
// the declared ones as attributes, hands them on with a series' first
// row only, and refuses a series whose value changes, naming both lines.
func TestSalesAttributeColumns(t *testing.T) {
	csv := "date,store,sku,quantity,dept_id,brand,colour\n2024-01-01,S,A,1,D1,B1,red\n2024-01-02,S,A,2,D1,B1,red\n2024-01-01,S,B,1,D2,,blue\n"
	var obs []data.Observation
	rep, err := ParseCSVWith(strings.NewReader(csv), &Options{Attributes: []string{"Brand"}}, func(o data.Observation) error {
		obs = append(obs, o)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rep.Attributes, ",") != "dept_id,brand" || strings.Join(rep.IgnoredColumns, ",") != "colour" {
		t.Fatalf("report = %+v, want attributes dept_id,brand and colour ignored", rep)
	}
	if len(obs) != 3 || obs[0].Attributes["dept_id"] != "D1" || obs[0].Attributes["brand"] != "B1" || obs[1].Attributes != nil ||
		len(obs[2].Attributes) != 1 || obs[2].Attributes["dept_id"] != "D2" {
		t.Fatalf("observations' attributes = %v %v %v", obs[0].Attributes, obs[1].Attributes, obs[2].Attributes)
	}
	// An empty cell gives nothing and conflicts with nothing; a value
	// first given on a later row is handed on with that row.
	later := "date,store,sku,quantity,cat_id,state_id\n2024-01-01,S,A,1,,\n2024-01-02,S,A,2,C1,\n2024-01-03,S,A,2,,CA\n2024-01-04,S,A,2,C1,CA\n"
	obs = obs[:0]
	if _, err := ParseCSVWith(strings.NewReader(later), nil, func(o data.Observation) error { obs = append(obs, o); return nil }); err != nil {
		t.Fatal(err)
	}
	if obs[0].Attributes != nil || obs[1].Attributes["cat_id"] != "C1" || obs[2].Attributes["state_id"] != "CA" || obs[3].Attributes != nil {
		t.Fatalf("later values: %v %v %v %v", obs[0].Attributes, obs[1].Attributes, obs[2].Attributes, obs[3].Attributes)
	}
	bad := "date,store,sku,quantity,cat_id\n2024-01-01,S,A,1,C1\n2024-01-02,S,A,2,C2\n"
	_, err = ParseCSVWith(strings.NewReader(bad), nil, func(data.Observation) error { return nil })
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Errors[0].Line != 3 || pe.Errors[0].Column != "cat_id" || !strings.Contains(pe.Errors[0].Reason, "line 2") {
		t.Fatalf("conflict: err = %v, want line 3, cat_id, naming line 2", err)
	}
	_, err = ParseCSVWith(strings.NewReader(csv), &Options{Attributes: []string{"size"}}, func(data.Observation) error { return nil })
	if !errors.As(err, &pe) || pe.Errors[0].Column != "size" {
		t.Fatalf("missing declared column: err = %v, want an error on size", err)
	}
	if err := (&Options{Attributes: []string{"dept"}}).Validate(false); err == nil {
		t.Fatal("attributes on a covariate upload: want an error")
	}
}

// TestNDJSONSalesAttributes: an NDJSON sales row may carry its series'
// attributes; they are handed on once, and a second value is refused
// naming the first line.
func TestNDJSONSalesAttributes(t *testing.T) {
	body := `{"date":"2024-01-01","store":"S","sku":"A","quantity":1,"attributes":{"Dept":"D1"}}
{"date":"2024-01-02","store":"S","sku":"A","quantity":2,"attributes":{"dept":"D1","cat":"C"}}
{"date":"2024-01-03","store":"S","sku":"A","quantity":2}
`
	var obs []data.Observation
	if _, err := ParseNDJSONWith(strings.NewReader(body), nil, func(o data.Observation) error { obs = append(obs, o); return nil }); err != nil {
		t.Fatal(err)
	}
	if obs[0].Attributes["dept"] != "D1" || len(obs[1].Attributes) != 1 || obs[1].Attributes["cat"] != "C" || obs[2].Attributes != nil {
		t.Fatalf("attributes %v %v %v", obs[0].Attributes, obs[1].Attributes, obs[2].Attributes)
	}
	bad := body + `{"date":"2024-01-04","store":"S","sku":"A","quantity":2,"attributes":{"dept":"D2"}}` + "\n"
	_, err := ParseNDJSONWith(strings.NewReader(bad), nil, func(data.Observation) error { return nil })
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Errors[0].Line != 4 || pe.Errors[0].Column != "dept" || !strings.Contains(pe.Errors[0].Reason, "on line 1") {
		t.Fatalf("conflict: err = %v, want line 4, dept, naming line 1", err)
	}
	plan := `{"date":"2024-01-04","store":"S","sku":"A","covariates":{"promo":1},"attributes":{"dept":"D2"}}`
	if _, err := ParseCovariatesNDJSONWith(strings.NewReader(plan), nil, func(data.Observation) error { return nil }); !errors.As(err, &pe) || pe.Errors[0].Column != "attributes" {
		t.Fatalf("attributes in a plan: err = %v", err)
	}
}
