package ingest

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
)

// parsed is what a parse of an upload gave: its rows, report and error.
type parsed struct {
	rows []data.Observation
	rep  *Report
	err  error
}

func parseWith(t *testing.T, format string, r io.Reader, opts *Options) parsed {
	t.Helper()
	var p parsed
	fn := func(o data.Observation) error { p.rows = append(p.rows, o); return nil }
	switch format {
	case "csv":
		p.rep, p.err = ParseCSVWith(r, opts, fn)
	case "plan":
		p.rep, p.err = ParseCovariatesCSVWith(r, opts, fn)
	case "ndjson":
		p.rep, p.err = ParseNDJSONWith(r, opts, fn)
	default:
		t.Fatalf("format %q", format)
	}
	return p
}

// ok reports whether the parse was accepted, failing t unless it was
// refused with want in the error when want is given, or accepted when not.
func (p parsed) ok(t *testing.T, want string) bool {
	t.Helper()
	switch {
	case want == "" && p.err != nil:
		t.Fatal(p.err)
	case want != "" && (p.err == nil || !strings.Contains(p.err.Error(), want)):
		t.Fatalf("error %v, want %q", p.err, want)
	}
	return want == ""
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// TestLayouts: files laid out as real exports are, read with the options
// that describe them, or refused with every problem named.
func TestLayouts(t *testing.T) {
	cases := []struct {
		name, format, body string
		opts               *Options
		// When good: the rows, and the first row's key, date and
		// quantity; the report's covariates and ignored columns.
		rows       int
		key        data.Key
		date       time.Time
		qty        float64
		covariates string // joined by commas
		ignored    string
		dateFormat string
		delimiter  string
		// When refused: the reason (or error) contains want.
		want string
	}{
		{name: "today's layout", format: "csv", body: "date,store,sku,quantity\n2024-01-02,S1,A,3\n",
			rows: 1, key: data.Key{Store: "S1", SKU: "A"}, date: day(2024, 1, 2), qty: 3, dateFormat: "%Y-%m-%d", delimiter: ","},
		{name: "mapped columns, any case", format: "csv", body: "Store,Date,Weekly_Sales,Holiday_Flag\n1,19/02/2010,1643690.9,0\n",
			opts: &Options{Store: "store", Date: "DATE", Quantity: "weekly_sales", SKUConst: "TOTAL"},
			rows: 1, key: data.Key{Store: "1", SKU: "TOTAL"}, date: day(2010, 2, 19), qty: 1643690.9, covariates: "holiday_flag", dateFormat: "%d/%m/%Y", delimiter: ","},
		{name: "store constant", format: "csv", body: "date,sku,quantity\n2024-01-02,A,3\n", opts: &Options{StoreConst: " S9 "},
			rows: 1, key: data.Key{Store: "S9", SKU: "A"}, date: day(2024, 1, 2), qty: 3, dateFormat: "%Y-%m-%d", delimiter: ","},
		{name: "semicolon", format: "csv", body: "date;store;sku;quantity;price\n2024-01-02;S1;A;3;1.5\n",
			rows: 1, key: data.Key{Store: "S1", SKU: "A"}, date: day(2024, 1, 2), qty: 3, covariates: "price", dateFormat: "%Y-%m-%d", delimiter: ";"},
		{name: "tab", format: "csv", body: "date\tstore\tsku\tquantity\n2024-01-02\tS 1\tA\t3\n",
			rows: 1, key: data.Key{Store: "S 1", SKU: "A"}, date: day(2024, 1, 2), qty: 3, dateFormat: "%Y-%m-%d", delimiter: "\t"},
		{name: "bar", format: "csv", body: "date|store|sku|quantity\n2024-01-02|\"S|1\"|A|3\n",
			rows: 1, key: data.Key{Store: "S|1", SKU: "A"}, date: day(2024, 1, 2), qty: 3, dateFormat: "%Y-%m-%d", delimiter: "|"},
		{name: "pandas index column, empty", format: "csv", body: ",date,store,sku,quantity\n0,2024-01-02,S1,A,3\n",
			rows: 1, key: data.Key{Store: "S1", SKU: "A"}, date: day(2024, 1, 2), qty: 3, ignored: "", dateFormat: "%Y-%m-%d", delimiter: ","},
		{name: "pandas index column, unnamed", format: "csv", body: "Unnamed: 0\tdate\tstore\tsku\tquantity\n0\t2024-01-02\tS1\tA\t3\n",
			rows: 1, key: data.Key{Store: "S1", SKU: "A"}, date: day(2024, 1, 2), qty: 3, ignored: "unnamed: 0", dateFormat: "%Y-%m-%d", delimiter: "\t"},
		{name: "text column ignored", format: "csv", body: "date,store,sku,quantity,name,promo\n2024-01-02,S1,A,3,Blue mug,1\n2024-01-03,S1,A,4,,0\n",
			rows: 2, key: data.Key{Store: "S1", SKU: "A"}, date: day(2024, 1, 2), qty: 3, covariates: "promo", ignored: "name", dateFormat: "%Y-%m-%d", delimiter: ","},
		{name: "DD-MM-YYYY", format: "csv", body: "date,store,sku,quantity\n05-02-2010,S1,A,1\n19-02-2010,S1,A,2\n",
			rows: 2, key: data.Key{Store: "S1", SKU: "A"}, date: day(2010, 2, 5), qty: 1, dateFormat: "%d-%m-%Y", delimiter: ","},
		{name: "MM/DD/YYYY with a time", format: "csv", body: "date,store,sku,quantity\n02/05/2010 13:00,S1,A,1\n02/19/2010 14:30:10,S1,A,2\n",
			rows: 2, key: data.Key{Store: "S1", SKU: "A"}, date: time.Date(2010, 2, 5, 13, 0, 0, 0, time.UTC), qty: 1, dateFormat: "%m/%d/%Y", delimiter: ","},
		{name: "unpadded M/D/YYYY", format: "csv", body: "date,store,sku,quantity\n2/5/2010,S1,A,1\n2/19/2010,S1,A,2\n",
			rows: 2, key: data.Key{Store: "S1", SKU: "A"}, date: day(2010, 2, 5), qty: 1, dateFormat: "%m/%d/%Y", delimiter: ","},
		{name: "YYYYMMDD", format: "csv", body: "date,store,sku,quantity\n20100205,S1,A,1\n",
			rows: 1, key: data.Key{Store: "S1", SKU: "A"}, date: day(2010, 2, 5), qty: 1, dateFormat: "%Y%m%d", delimiter: ","},
		{name: "ISO with a T", format: "csv", body: "date,store,sku,quantity\n2010-02-05T01:02:03,S1,A,1\n",
			rows: 1, key: data.Key{Store: "S1", SKU: "A"}, date: time.Date(2010, 2, 5, 1, 2, 3, 0, time.UTC), qty: 1, dateFormat: "%Y-%m-%d", delimiter: ","},
		{name: "ambiguous dates refused", format: "csv", body: "date,store,sku,quantity\n05/02/2010,S1,A,1\n12/02/2010,S1,A,2\n",
			want: "date_format"},
		{name: "ambiguous dates named", format: "csv", body: "date,store,sku,quantity\n05/02/2010,S1,A,1\n12/02/2010,S1,A,2\n",
			opts: &Options{DateFormat: "%d/%m/%Y"}, rows: 2, key: data.Key{Store: "S1", SKU: "A"}, date: day(2010, 2, 5), qty: 1, dateFormat: "%d/%m/%Y", delimiter: ","},
		{name: "named format is exact", format: "csv", body: "date,store,sku,quantity\n2010-02-05,S1,A,1\n",
			opts: &Options{DateFormat: "%d/%m/%Y"}, want: `date "2010-02-05" is not %d/%m/%Y`},
		{name: "every missing column at once", format: "csv", body: "Store,Date,Weekly_Sales\n1,05/02/2010,3\n",
			want: `missing columns "sku" (map it with sku=COLUMN or sku_const=VALUE), "quantity" (map it with quantity=COLUMN); the header has store,date,weekly_sales`},
		{name: "mapped column missing", format: "csv", body: "date,store,sku,qty\n2024-01-02,S1,A,1\n", opts: &Options{Quantity: "units"},
			want: `missing column "units" (named by quantity=)`},
		{name: "constant and column", format: "csv", body: "date,store,sku,quantity\n2024-01-02,S1,A,1\n", opts: &Options{SKUConst: "T"},
			want: "sku_const given but the file has a sku column"},
		{name: "mapping and constant", format: "csv", body: "date,store,sku,quantity\n", opts: &Options{SKU: "sku", SKUConst: "T"},
			want: "sku and sku_const both given"},
		{name: "bad date format", format: "csv", body: "date,store,sku,quantity\n", opts: &Options{DateFormat: "%d/%b/%Y"},
			want: "%b is not supported"},
		{name: "bad policy", format: "csv", body: "date,store,sku,quantity\n", opts: &Options{Negative: "drop"},
			want: "want allow, clip or refuse"},
		{name: "plan text column is a bad value", format: "plan", body: "date,store,sku,promo\n2024-01-02,S1,A,yes\n",
			want: `"yes" is not a finite number`},
		{name: "plan mapped", format: "plan", body: "Day;Shop;promo\n02.01.2024;S1;1\n13.01.2024;S1;0\n",
			opts: &Options{Date: "day", Store: "shop", SKUConst: "A"}, rows: 2, key: data.Key{Store: "S1", SKU: "A"}, date: day(2024, 1, 2),
			covariates: "promo", dateFormat: "%d.%m.%Y", delimiter: ";"},
		{name: "ndjson constants and format", format: "ndjson", body: `{"date":"19/02/2010","store":"S1","quantity":-2}`,
			opts: &Options{SKUConst: "TOTAL", DateFormat: "%d/%m/%Y"}, rows: 1, key: data.Key{Store: "S1", SKU: "TOTAL"}, date: day(2010, 2, 19), qty: -2,
			dateFormat: "%d/%m/%Y"},
		{name: "ndjson key and constant", format: "ndjson", body: `{"date":"2010-02-19","store":"S1","sku":"A","quantity":2}`,
			opts: &Options{SKUConst: "TOTAL"}, want: "given with sku_const"},
		{name: "ndjson mapping refused", format: "ndjson", body: `{"date":"2010-02-19","store":"S1","sku":"A","quantity":2}`,
			opts: &Options{Date: "day"}, want: "NDJSON objects use the field names"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := parseWith(t, c.format, strings.NewReader(c.body), c.opts)
			if !p.ok(t, c.want) {
				return
			}
			if len(p.rows) != c.rows {
				t.Fatalf("%d rows, want %d", len(p.rows), c.rows)
			}
			if o := p.rows[0]; o.Key != c.key || !o.Date.Equal(c.date) || o.Quantity != c.qty {
				t.Errorf("first row %v %v %v, want %v %v %v", o.Key, o.Date, o.Quantity, c.key, c.date, c.qty)
			}
			got := []string{strings.Join(p.rep.Covariates, ","), strings.Join(p.rep.IgnoredColumns, ","), p.rep.DateFormat, p.rep.Delimiter}
			want := []string{c.covariates, c.ignored, c.dateFormat, c.delimiter}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("report covariates|ignored|format|delimiter = %q, want %q", got, want)
			}
		})
	}
}

// TestNegativePolicy: negative quantities are kept, clipped or refused,
// and counted, in CSV and NDJSON alike.
func TestNegativePolicy(t *testing.T) {
	csvBody := "date,store,sku,quantity\n2024-01-01,S1,A,-3\n2024-01-02,S1,A,2\n2024-01-03,S1,A,-0.5\n"
	ndjsonBody := `{"date":"2024-01-01","store":"S1","sku":"A","quantity":-3}
{"date":"2024-01-02","store":"S1","sku":"A","quantity":2}
{"date":"2024-01-03","store":"S1","sku":"A","quantity":-0.5}
`
	cases := []struct {
		policy            NegativePolicy
		sum               float64 // of the quantities passed on
		negative, clipped int
		want              string // in the refusal
	}{
		{"", -1.5, 2, 0, ""},
		{NegativeAllow, -1.5, 2, 0, ""},
		{NegativeClip, 2, 2, 2, ""},
		{NegativeRefuse, 0, 0, 0, "quantity: -3 is negative"},
	}
	for _, format := range []string{"csv", "ndjson"} {
		for _, c := range cases {
			t.Run(format+"/"+string(c.policy), func(t *testing.T) {
				body := csvBody
				if format == "ndjson" {
					body = ndjsonBody
				}
				p := parseWith(t, format, strings.NewReader(body), &Options{Negative: c.policy})
				if !p.ok(t, c.want) {
					return
				}
				sum := 0.0
				for _, o := range p.rows {
					sum += o.Quantity
				}
				if sum != c.sum || p.rep.NegativeRows != c.negative || p.rep.ClippedRows != c.clipped {
					t.Fatalf("sum %v, %d negative, %d clipped; want %v, %d, %d", sum, p.rep.NegativeRows, p.rep.ClippedRows, c.sum, c.negative, c.clipped)
				}
			})
		}
	}
}

// TestUploadLimits: every limit of issue 15 that a file's content
// reaches is refused with the limit named.
func TestUploadLimits(t *testing.T) {
	wide := "date,store,sku,quantity" + strings.Repeat(",c", MaxColumns-3)
	for i := range MaxColumns - 3 {
		wide = strings.Replace(wide, ",c,", fmt.Sprintf(",c%d,", i), 1)
	}
	manyCovs := "date,store,sku,quantity"
	for i := range MaxCovariates + 1 {
		manyCovs += fmt.Sprintf(",c%d", i)
	}
	cases := []struct {
		name, format, body string
		want               string
	}{
		{"too many columns", "csv", wide + "\n", "more than 256 fields (limit MaxColumns)"},
		{"too many covariates in sales", "csv", manyCovs + "\n", "at most 64 (limit MaxCovariates)"},
		{"absurd quantity", "csv", "date,store,sku,quantity\n2024-01-01,S1,A,1e16\n", "limit MaxMagnitude"},
		{"absurd covariate", "csv", "date,store,sku,quantity,price\n2024-01-01,S1,A,1,-1e308\n", "limit MaxMagnitude"},
		{"absurd NDJSON quantity", "ndjson", `{"date":"2024-01-01","store":"S1","sku":"A","quantity":1e308}`, "limit MaxMagnitude"},
		{"C1 control in store", "csv", "date,store,sku,quantity\n2024-01-01,S\u009b1,A,1\n", "store contains a control character"},
		{"C1 control in NDJSON sku", "ndjson", `{"date":"2024-01-01","store":"S1","sku":"A\u0085B","quantity":1}`, "sku contains a control character"},
		{"C1 control in covariate name", "csv", "date,store,sku,quantity,pro\u0090mo\n2024-01-01,S1,A,1,1\n", "covariate name contains a control character"},
		{"covariate named Quantity", "plan", "date,store,sku,Quantity \n2024-01-01,S1,A,1\n", "no quantity"},
		{"sales covariate named Quantity", "ndjson", `{"date":"2024-01-01","store":"S1","sku":"A","quantity":1,"covariates":{" QUANTITY":1}}`, "reserved"},
		{"NUL in covariate name", "ndjson", `{"date":"2024-01-01","store":"S1","sku":"A","quantity":1,"covariates":{"pro\u0000mo":1}}`, "control character"},
		{"two objects on a line", "ndjson", `{"date":"2024-01-01","store":"S1","sku":"A","quantity":1}{"date":"2024-01-02","store":"S1","sku":"A","quantity":1}` + "\n", "line 1: more than one JSON value"},
		{"a value after the object", "ndjson", `{"date":"2024-01-01","store":"S1","sku":"A","quantity":1} 7`, "more than one JSON value"},
		{"long CSV line", "csv", "date,store,sku,quantity\n2024-01-01,S1," + strings.Repeat("x", MaxLineBytes) + ",1\n", "line 2: line longer than 1048576 bytes (limit MaxLineBytes)"},
		{"long quoted record", "csv", "date,store,sku,quantity\n2024-01-01,S1,\"" + strings.Repeat("x\n", MaxLineBytes/2+1) + "\",1\n", "limit MaxLineBytes"},
		{"long header", "csv", strings.Repeat("x", MaxLineBytes+1) + "\n", "line 1: header longer than"},
		{"long header within the line limit", "csv", strings.Repeat("x", sniffBytes+1) + "\n", "limit MaxColumns"},
		{"long NDJSON line", "ndjson", strings.Repeat(" ", MaxLineBytes+1) + "\n", "limit MaxLineBytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := parseWith(t, c.format, strings.NewReader(c.body), nil)
			var pe *ParseError
			if !errors.As(p.err, &pe) || !strings.Contains(p.err.Error(), c.want) {
				t.Fatalf("error %v, want a *ParseError with %q", p.err, c.want)
			}
		})
	}
}

// endless is an io.Reader of a header and then one line that never ends:
// what a hostile client streams.
type endless struct {
	header []byte
	read   int64
}

func (e *endless) Read(p []byte) (int, error) {
	n := copy(p, e.header)
	e.header = e.header[n:]
	for i := n; i < len(p); i++ {
		p[i] = 'x'
	}
	e.read += int64(len(p))
	return len(p), nil
}

// TestLongLineBoundedMemory: a 200 MB line is refused after the first
// MaxLineBytes (a header after the first sniffBytes), having allocated a few MiB and read little more than the
// limit (encoding/csv would buffer the whole record).
func TestLongLineBoundedMemory(t *testing.T) {
	for _, c := range []struct{ name, header, want string }{
		{"in the header", "", "header longer than"},
		{"in a row", "date,store,sku,quantity\n2024-01-01,S1,", "limit MaxLineBytes"},
		{"in a quoted field", "date,store,sku,quantity\n2024-01-01,S1,\"", "limit MaxLineBytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := &endless{header: []byte(c.header)}
			r := io.LimitReader(src, 200<<20)
			var before, after runtimeMem
			before.read()
			p := parseWith(t, "csv", r, nil)
			after.read()
			if p.err == nil || !strings.Contains(p.err.Error(), c.want) {
				t.Fatalf("error %v, want %q", p.err, c.want)
			}
			if alloc := after.total - before.total; alloc > 16<<20 {
				t.Errorf("allocated %d MiB for a refused line, want under 16", alloc>>20)
			}
			if src.read > 4*MaxLineBytes {
				t.Errorf("read %d MiB of the line, want about %d", src.read>>20, MaxLineBytes>>20)
			}
		})
	}
}

// TestDetectionBeyondPrefix: when the first sniffBytes leave the date
// format open, the whole column decides, from a seekable body read twice
// or from a spooled copy; a column open to the end is refused.
func TestDetectionBeyondPrefix(t *testing.T) {
	body := func(decided bool) string {
		var b strings.Builder
		b.WriteString("date,store,sku,quantity\n")
		for i := 0; b.Len() < 2*MaxLineBytes; i++ {
			fmt.Fprintf(&b, "%02d/%02d/2010,S%d,A,1\n", 1+i%12, 1+i%12, i)
		}
		if decided {
			b.WriteString("13/01/2010,S,A,7\n")
		}
		return b.String()
	}
	for _, c := range []struct {
		name     string
		decided  bool
		seekable bool
		want     string // error; "" for %d/%m/%Y
	}{
		{"seekable", true, true, ""},
		{"spooled", true, false, ""},
		{"ambiguous to the end, seekable", false, true, "date_format"},
		{"ambiguous to the end, spooled", false, false, "date_format"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			var r io.Reader = strings.NewReader(body(c.decided))
			if !c.seekable {
				r = struct{ io.Reader }{r}
			}
			p := parseWith(t, "csv", r, &Options{TempDir: dir})
			if c.want != "" {
				var pe *ParseError
				if !errors.As(p.err, &pe) || !strings.Contains(p.err.Error(), c.want) || pe.Errors[0].Line != 2 {
					t.Fatalf("error %v, want %q on line 2", p.err, c.want)
				}
			} else if p.err != nil || p.rep.DateFormat != "%d/%m/%Y" || p.rows[len(p.rows)-1].Date != day(2010, 1, 13) {
				t.Fatalf("error %v, format %v", p.err, p.rep)
			}
			if left, err := os.ReadDir(dir); err != nil || len(left) != 0 {
				t.Errorf("spool left %v (%v)", left, err)
			}
		})
	}
}

func TestParseDateFormat(t *testing.T) {
	cases := []struct {
		format, value string
		want          time.Time // zero when refused
	}{
		{"%Y-%m-%d", "2024-02-29", day(2024, 2, 29)},
		{"%d/%m/%Y", "29/02/2024", day(2024, 2, 29)},
		{"%d/%m/%Y", "1/2/2024", day(2024, 2, 1)},
		{"%d/%m/%Y", "29/02/2023", time.Time{}},
		{"%d/%m/%Y", "29/02/2024 10:00", time.Time{}}, // a named format is exact
		{"%Y%m%d", "20240229", day(2024, 2, 29)},
		{"%Y%m%d", "2024229", time.Time{}},
		{"%d.%m.%Y %H:%M", "29.02.2024 23:59", time.Date(2024, 2, 29, 23, 59, 0, 0, time.UTC)},
		{"%d.%m.%Y %H:%M", "29.02.2024 24:00", time.Time{}},
		{"%Y-%m-%dT%H:%M:%S", "2024-02-29T01:02:03", time.Date(2024, 2, 29, 1, 2, 3, 0, time.UTC)},
		{"%%%Y-%m-%d", "%2024-02-29", day(2024, 2, 29)},
	}
	for _, c := range cases {
		t.Run(c.format+" "+c.value, func(t *testing.T) {
			f, err := ParseDateFormat(c.format)
			if err != nil {
				t.Fatal(err)
			}
			sec, ok := f.parse([]byte(c.value))
			if ok != !c.want.IsZero() || (ok && sec != c.want.Unix()) {
				t.Fatalf("parse = %v, %v; want %v", time.Unix(sec, 0).UTC(), ok, c.want)
			}
		})
	}
	for _, bad := range []string{"", "%Y-%m", "%Y-%m-%d-%d", "%Y-%m-%", "%Y-%m-%dé", "%Y-%m-%d %I", "%Y-%m-%d" + strings.Repeat(" ", MaxDateFormatBytes)} {
		if _, err := ParseDateFormat(bad); err == nil {
			t.Errorf("ParseDateFormat(%q) accepted", bad)
		}
	}
}

// runtimeMem is the heap allocated so far.
type runtimeMem struct{ total uint64 }

func TestMagnitudeLimitIsFinite(t *testing.T) {
	if math.IsInf(MaxMagnitude, 0) || MaxMagnitude < 1e12 {
		t.Fatal("MaxMagnitude must leave room for real sales and be finite")
	}
}

func (m *runtimeMem) read() {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	m.total = ms.TotalAlloc
}
