package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
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
		// The rules of real files: delimiters, index columns, text
		// columns, detected and ambiguous dates, the limits.
		"Unnamed: 0;date;store;sku;quantity;name\n0;19/02/2010;S1;A;-3;mug\n",
		",date\tstore\tsku\tquantity\n0\t02/19/2010 10:00\tS1\tA\t3\n",
		"date|store|sku|quantity\n20100219|\"S|1\"|A|3\n",
		"date,store,sku,quantity\n05-02-2010,S1,A,1\n06-02-2010,S1,A,1\n",
		"date,store,sku,quantity\n2024-01-01,S\u009b1,A,1e16\n",
		"date,store,sku,quantity,Quantity \n2024-01-01,S1,A,1,2\n",
		"date,store,sku\n2024-01-01,S1,A\n",
		// Issue 15's hostile files: dates at the ends of the calendar, an
		// hourly row in a daily series, more columns than MaxColumns.
		"date,store,sku,quantity\n0000-01-01,S1,A,1\n9999-12-31,S1,A,1\n2024-01-02 13:00,S1,A,1\n",
		"date,store,sku,quantity" + strings.Repeat(",c", MaxColumns) + "\n",
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
		`{"date":"2024-01-01","store":"S1","sku":"A","quantity":1}{"date":"2024-01-02","store":"S1","sku":"A","quantity":1}`,
		`{"date":"2024-01-01","store":"S\u009b1","sku":"A","quantity":1,"covariates":{"QUANTITY":1,"a\u0000":2}}`,
		`{"date":"0000-01-01","store":"S1","sku":"A","quantity":1}` + "\n" + `{"date":"9999-12-31","store":"S1","sku":"A","quantity":1e15}`,
		`{"date":"2024-01-01","store":"S1","sku":"A","quantity":1,"Quantity":2}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzParser(t, func(b []byte, fn func(data.Observation) error) error { return ParseNDJSON(bytes.NewReader(b), fn) }, in)
	})
}

// FuzzDateFormat: a compiled format never panics, and a date it accepts
// is a real day and time that the format writes back as the same date.
func FuzzDateFormat(f *testing.F) {
	for _, seed := range []struct{ format, value string }{
		{"%Y-%m-%d", "2024-02-29"}, {"%d/%m/%Y", "29/02/2024"}, {"%m/%d/%Y", "2/9/2024"}, {"%Y%m%d", "20240229"},
		{"%d-%m-%Y %H:%M:%S", "29-02-2024 23:59:59"}, {"%d.%m.%Y", "31.04.2024"}, {"%%%Y-%m-%d", "%2024-1-1"},
		{"%Y-%m-%d", "2024-02-29 10:00"}, {"%Y-%m-%d", "2024-02-29T10:00:61"}, {"%Y", "2024"}, {"%Q", ""},
	} {
		f.Add(seed.format, seed.value)
	}
	f.Fuzz(func(t *testing.T, format, value string) {
		formats := detectFormats
		if df, err := ParseDateFormat(format); err == nil {
			formats = append(formats[:len(formats):len(formats)], df)
		}
		for _, df := range formats {
			sec, ok := df.parse([]byte(value))
			if !ok {
				continue
			}
			tm := time.Unix(sec, 0).UTC()
			if tm.Year() < 0 || tm.Year() > 9999 {
				t.Fatalf("%s read %q as %v", df, value, tm)
			}
			again, ok := df.parse([]byte(strftime(df, tm)))
			if !ok || again != sec {
				t.Fatalf("%s read %q as %v, but not %q back", df, value, tm, strftime(df, tm))
			}
		}
		// Detection settles on a format that reads the value, or on none.
		d := newDateDetector()
		d.add([]byte(value), 1)
		if d.seen > 0 && !d.ambiguous() {
			if _, ok := d.format().parse(trimSpace([]byte(value))); !ok && d.alive != 1<<len(detectFormats)-1 {
				t.Fatalf("detected %s for %q, which it does not read", d.format(), value)
			}
		}
	})
}

// strftime writes tm as f does, with a time when f has no time fields but
// tm has one (detected formats take an optional time).
func strftime(f *DateFormat, tm time.Time) string {
	var b strings.Builder
	hasTime := false
	for _, tok := range f.toks {
		switch tok.field {
		case 0:
			b.WriteByte(tok.lit)
		case 'Y':
			fmt.Fprintf(&b, "%04d", tm.Year())
		case 'm':
			fmt.Fprintf(&b, "%02d", int(tm.Month()))
		case 'd':
			fmt.Fprintf(&b, "%02d", tm.Day())
		case 'H':
			hasTime = true
			fmt.Fprintf(&b, "%02d", tm.Hour())
		case 'M':
			fmt.Fprintf(&b, "%02d", tm.Minute())
		case 'S':
			fmt.Fprintf(&b, "%02d", tm.Second())
		}
	}
	if !hasTime && f.optTime && (tm.Hour() != 0 || tm.Minute() != 0 || tm.Second() != 0) {
		fmt.Fprintf(&b, " %02d:%02d:%02d", tm.Hour(), tm.Minute(), tm.Second())
	}
	return b.String()
}

// FuzzOptions: any options are refused with an error or read a file
// without breaking the invariants of an accepted row.
func FuzzOptions(f *testing.F) {
	f.Add("Store,Date,Weekly_Sales\n1,05/02/2010,3\n1,19/02/2010,-4\n", "Date", "Store", "", "Weekly_Sales", "", "TOTAL", "", "clip")
	f.Add("d;s;q\n20100205;1;3\n", "d", "s", "", "q", "", "A", "%Y%m%d", "refuse")
	f.Add("date,store,sku,quantity\n01/02/2010,S,A,1\n", "", "", "", "", "", "", "%m/%d/%Y", "")
	f.Add("date,sku,quantity\n2010-01-01,A,1\n", "", "", "", "", "S\u009b", "", "", "allow")
	f.Add("date,store,sku,quantity\n2010-01-01,S,A,1\n", "date", "date", "", "", "", "", "%", "x")
	f.Fuzz(func(t *testing.T, in, date, store, sku, qty, storeConst, skuConst, format, negative string) {
		o := &Options{Date: date, Store: store, SKU: sku, Quantity: qty, StoreConst: storeConst, SKUConst: skuConst,
			DateFormat: format, Negative: NegativePolicy(negative)}
		if o.Validate(true) != nil {
			return
		}
		fuzzParser(t, func(b []byte, fn func(data.Observation) error) error {
			_, err := ParseCSVWith(bytes.NewReader(b), o, fn)
			return err
		}, []byte(in))
	})
}
