package ingest

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/forecastd/forecastd/data"
)

// checkObservation asserts the invariants every accepted row must meet,
// whatever the input.
func checkObservation(t *testing.T, o data.Observation) {
	t.Helper()
	if math.IsNaN(o.Quantity) || math.IsInf(o.Quantity, 0) || math.Abs(o.Quantity) > MaxMagnitude {
		t.Fatalf("accepted quantity %v", o.Quantity)
	}
	for _, id := range []string{o.Key.Store, o.Key.SKU} {
		if id == "" || len(id) > MaxIDBytes || !utf8.ValidString(id) {
			t.Fatalf("accepted identifier %q", id)
		}
	}
	if o.Date.IsZero() || o.Line < 1 {
		t.Fatalf("accepted row without date or line: %+v", o)
	}
	for k, v := range o.Covariates {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > MaxMagnitude {
			t.Fatalf("accepted covariate %s = %v", k, v)
		}
		if CheckCovariateName(k) != nil {
			t.Fatalf("accepted covariate name %q", k)
		}
	}
}

func fuzzParser(t *testing.T, parse func([]byte, func(data.Observation) error) error, in []byte) {
	n := 0
	err := parse(in, func(o data.Observation) error {
		checkObservation(t, o)
		n++
		return nil
	})
	var pe *ParseError
	if err != nil {
		if !errors.As(err, &pe) {
			t.Fatalf("error %v is not a *ParseError", err)
		}
		if len(pe.Errors) == 0 || len(pe.Errors) > MaxRowErrors {
			t.Fatalf("ParseError with %d errors", len(pe.Errors))
		}
		for _, re := range pe.Errors {
			if re.Line < 1 || re.Reason == "" {
				t.Fatalf("row error without line or reason: %+v", re)
			}
		}
	}
}

func FuzzParseCSV(f *testing.F) {
	for _, seed := range []string{
		"date,store,sku,quantity\n2024-01-01,S1,A,3\n",
		"date,store,sku,quantity,promo\n2024-01-01,S1,A,3,1\n2024-01-02,S1,A,4,\n",
		"\xef\xbb\xbfdate,store,sku,quantity\r\n\"2024-01-01\",\"S,1\",A,3\r\n",
		"date,store,sku,quantity\n2024-01-01T13:00:00,S1,A,NaN\n",
		"date,store,sku,quantity\n2024-01-01 13:00:00,S1,A,1\n\n2024-01-01,S1,\"A\n\"\"B\",2\n",
		"quantity,sku,store,date\n1,A,S1,2024-01-01\n",
		"date,store,sku,quantity\n2024-01-01,S1,A\n",
		"date,store,sku,quantity\n2024-13-01,S1,A,-1\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzParser(t, func(b []byte, fn func(data.Observation) error) error { return ParseCSV(bytes.NewReader(b), fn) }, in)
	})
}

func FuzzParseNDJSON(f *testing.F) {
	for _, seed := range []string{
		`{"date":"2024-01-01","store":"S1","sku":"A","quantity":3}` + "\n",
		`{"date":"2024-01-01","store":1,"sku":2,"quantity":3,"covariates":{"promo":1}}` + "\n\n",
		`{"date":"2024-01-01","store":"S1","sku":"A","quantity":-3}`,
		`{"date":"2024-01-01","store":"S1","sku":"A"}`,
		`{"date":"2024-01-01","store":"S1","sku":"A","quantity":1e999}`,
		`[1,2,3]`,
		"\xef\xbb\xbf{}",
		strings.Repeat("{", 100),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzParser(t, func(b []byte, fn func(data.Observation) error) error { return ParseNDJSON(bytes.NewReader(b), fn) }, in)
	})
}
