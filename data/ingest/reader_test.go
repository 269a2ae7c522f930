package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
)

func TestParseDate(t *testing.T) {
	cases := []struct {
		in   string
		want time.Time // zero when refused
	}{
		{"2024-01-01", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2024-02-29T13:04:05", time.Date(2024, 2, 29, 13, 4, 5, 0, time.UTC)},
		{"2024-02-29 13:04:05", time.Date(2024, 2, 29, 13, 4, 5, 0, time.UTC)},
		{"1969-12-31T23:59:59", time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"0000-01-01", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"9999-12-31 23:59:59", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"2000-02-29", time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"1900-02-29", time.Time{}},
		{"2023-02-29", time.Time{}},
		{"2024-04-31", time.Time{}},
		{"2024-13-01", time.Time{}},
		{"2024-00-10", time.Time{}},
		{"2024-01-00", time.Time{}},
		{"2024-01-01T24:00:00", time.Time{}},
		{"2024-01-01T23:60:00", time.Time{}},
		{"2024-01-01T23:00:60", time.Time{}},
		{"2024-01-01X00:00:00", time.Time{}},
		{"2024-01-01T00:00:00Z", time.Time{}},
		{"2024-01-01T00:00:00.5", time.Time{}},
		{"2024/01/01", time.Time{}},
		{"24-01-01", time.Time{}},
		{"2024-1-01", time.Time{}},
		{" 2024-01-01", time.Time{}},
		{"+024-01-01", time.Time{}},
		{"", time.Time{}},
	}
	for _, c := range cases {
		got, err := ParseDate(c.in)
		if c.want.IsZero() {
			if err == nil || !strings.Contains(err.Error(), "YYYY-MM-DD HH:MM:SS") {
				t.Errorf("ParseDate(%q) = %v, %v; want the error listing the three forms", c.in, got, err)
			}
			continue
		}
		if err != nil || !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

// TestParseDateAgreesWithTime: every day of four centuries, at a time of
// day, parses as time.Parse reads it.
func TestParseDateAgreesWithTime(t *testing.T) {
	for d := time.Date(1899, 12, 1, 7, 8, 9, 0, time.UTC); d.Year() < 2301; d = d.AddDate(0, 0, 1) {
		for _, layout := range []string{DateLayout, DateTimeLayout, DateSpaceLayout} {
			s := d.Format(layout)
			want, err := time.Parse(layout, s)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseDate(s)
			if err != nil || !got.Equal(want) {
				t.Fatalf("ParseDate(%q) = %v, %v; want %v", s, got, err, want)
			}
		}
	}
}

// salesCSV makes an upload of skus series of days days with a covariate,
// in date order (so every row changes series).
func salesCSV(skus, days int) string {
	var b strings.Builder
	b.WriteString("date,store,sku,quantity,promo\n")
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	for d := range days {
		for k := range skus {
			promo := ""
			if (d+k)%5 == 0 {
				promo = "1"
			}
			fmt.Fprintf(&b, "%s,S%d,SKU%03d,%d,%s\n", start.AddDate(0, 0, d).Format(DateLayout), k%3, k, (d*7+k)%23, promo)
		}
	}
	return b.String()
}

// TestReadUploadMatchesParseCSV: the columnar reader, in one piece or in
// parallel sections, gives the series that ParseCSV and Assemble give,
// and the same refusal.
func TestReadUploadMatchesParseCSV(t *testing.T) {
	good := salesCSV(7, 60)
	bad := strings.Replace(good, ",S1,SKU004,", ",S1,SKU\x01004,", 1)
	bad = strings.Replace(bad, "2023-02-01,S2,SKU005,", "2023-02-30,S2,SKU005,", 1)
	for _, c := range []struct{ name, body string }{{"good", good}, {"bad", bad}, {"blank line first", "\r\n" + good}} {
		t.Run(c.name, func(t *testing.T) {
			var obs []data.Observation
			perr := ParseCSV(strings.NewReader(c.body), func(o data.Observation) error {
				obs = append(obs, o)
				return nil
			})
			if (c.name == "bad") != (perr != nil) {
				t.Fatalf("ParseCSV error %v", perr)
			}
			path := filepath.Join(t.TempDir(), "sales.csv")
			if err := os.WriteFile(path, []byte(c.body), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, parts := range []int{1, 3} {
				f, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = f.Close() }() // read-only
				var up *Upload
				if parts == 1 {
					up, err = ReadUpload(context.Background(), f, 1)
				} else {
					// Files this small are read in one piece; cut this one.
					up, err = readFileParts(context.Background(), f, int64(len(c.body)), parts, nil)
				}
				if perr != nil {
					if err == nil || err.Error() != perr.Error() {
						t.Fatalf("%d parts: error %v, ParseCSV's %v", parts, err, perr)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				want, err := Assemble(obs, data.Daily)
				if err != nil {
					t.Fatal(err)
				}
				if up.Rows != len(obs) || len(up.Series) != len(want) {
					t.Fatalf("%d parts: %d rows of %d series, want %d of %d", parts, up.Rows, len(up.Series), len(obs), len(want))
				}
				for i, c := range up.Series {
					got, err := c.Series(data.Daily, up.Covariates)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got.Values, want[i].Values) || !got.Start.Equal(want[i].Start) || got.Key != want[i].Key ||
						!sameNaN(got.Covariates["promo"], want[i].Covariates["promo"]) {
						t.Fatalf("%d parts: series %d = %+v, want %+v", parts, i, got, want[i])
					}
				}
			}
		})
	}
}

func sameNaN(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && (a[i] == a[i] || b[i] == b[i]) {
			return false
		}
	}
	return true
}

func TestGridRefusals(t *testing.T) {
	day := int64(86400)
	cases := []struct {
		name  string
		dates []int64
		freq  data.Frequency
		want  string
	}{
		{"second row", []int64{0, day, day}, data.Daily, "line 3: S/A: second row for 1970-01-02 (the first is on line 2)"},
		{"off grid", []int64{0, day + 3600}, data.Daily, "line 2: S/A: date 1970-01-02 is not on the daily grid starting 1970-01-01"},
		{"off weekly grid", []int64{0, 8 * day}, data.Weekly, "is not on the weekly grid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			col := NewColumns(data.Key{Store: "S", SKU: "A"}, 0)
			for i, d := range c.dates {
				col.Append(&Row{Line: i + 1, Date: d})
			}
			_, _, _, err := col.Grid(c.freq, nil, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
	// Assemble applies the same rule.
	d := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err := Assemble([]data.Observation{{Date: d, Key: data.Key{Store: "S", SKU: "A"}}, {Date: d, Key: data.Key{Store: "S", SKU: "A"}}}, data.Daily)
	if err == nil || !strings.Contains(err.Error(), "second row") {
		t.Fatalf("Assemble of a date given twice: %v", err)
	}
}

// TestCSVReaderIOError: a body that fails is not the data's fault: the
// error is returned as is, not as a *ParseError.
func TestCSVReaderIOError(t *testing.T) {
	boom := errors.New("boom")
	rd, err := NewCSVReader(&failAfter{s: "date,store,sku,quantity\n2024-01-01,S,A,1\n", err: boom})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rd.Next() {
		n++
	}
	if n != 1 || !errors.Is(rd.Err(), boom) {
		t.Fatalf("%d rows, error %v", n, rd.Err())
	}
}

type failAfter struct {
	s   string
	err error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.s == "" {
		return 0, f.err
	}
	n := copy(p, f.s)
	f.s = f.s[n:]
	return n, nil
}
