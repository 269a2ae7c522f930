package ingest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/forecastd/forecastd/data"
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
			var got []data.Observation
			err := parse(strings.NewReader(c.body), func(o data.Observation) error { got = append(got, o); return nil })
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
	var o data.Observation
	if err := ParseCovariatesCSV(strings.NewReader("Date,Store,SKU, Promo \n2026-11-01,S1,A,1\n"), func(r data.Observation) error { o = r; return nil }); err != nil {
		t.Fatal(err)
	}
	if o.Covariates["promo"] != 1 || o.Line != 2 {
		t.Fatalf("row = %+v", o)
	}
	// NDJSON names too, for plans and sales alike, so that a CSV "promo"
	// and an NDJSON "Promo" are one covariate; a name given twice in two
	// cases, or an empty one, is refused.
	for _, c := range []struct {
		parse func(io.Reader, func(data.Observation) error) error
		qty   string
	}{{ParseCovariatesNDJSON, ""}, {ParseNDJSON, `"quantity":3,`}} {
		parse, qty := c.parse, c.qty
		o = data.Observation{}
		line := `{"date":"2026-11-01","store":"S1","sku":"A",` + qty + `"covariates":{" Promo ":1}}` + "\n"
		if err := parse(strings.NewReader(line), func(r data.Observation) error { o = r; return nil }); err != nil {
			t.Fatal(err)
		}
		if len(o.Covariates) != 1 || o.Covariates["promo"] != 1 {
			t.Fatalf("NDJSON row = %+v", o)
		}
		for _, cov := range []string{`{"Promo":1,"promo":0}`, `{"":1}`} {
			line := `{"date":"2026-11-01","store":"S1","sku":"A",` + qty + `"covariates":` + cov + "}\n"
			err := parse(strings.NewReader(line), func(data.Observation) error { return nil })
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("covariates %s: err = %v, want a ParseError", cov, err)
			}
		}
	}
}

// checkPlanRow asserts what every accepted covariate row must meet on top
// of checkObservation: no quantity, and names the store would accept.
func checkPlanRow(t *testing.T, fn func(data.Observation) error) func(data.Observation) error {
	return func(o data.Observation) error {
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
		"Unnamed: 0;Date;Store;SKU;Promo\n0;13/11/2026;S1;A;1\n",
		"date\tstore\tsku\tQuantity\tp\u0085\n20261101\tS1\tA\t1\t2\n",
		"date,store,sku,promo\n11/01/2026,S1,A,yes\n11/02/2026,S1,A,1e300\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzParser(t, func(b []byte, fn func(data.Observation) error) error {
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
		`{"date":"2026-11-01","store":"S1","sku":"A","covariates":{"Quantity":1}}{"date":"2026-11-02"}`,
		`{"date":"2026-11-01","store":"S1","sku":"A","covariates":{"promo\u009b":1e300}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzParser(t, func(b []byte, fn func(data.Observation) error) error {
			return ParseCovariatesNDJSON(bytes.NewReader(b), checkPlanRow(t, fn))
		}, in)
	})
}
