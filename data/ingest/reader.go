package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/forecastd/forecastd/data"
)

// Row is one accepted row of a CSV upload, as CSVReader.Row returns it.
type Row struct {
	// Line is the row's line in the upload (its first line, when a
	// quoted field spans several).
	Line int
	// Date is in Unix seconds, UTC.
	Date int64
	// Key holds the row's identifiers. They are shared between the rows
	// that name the same store or SKU, and safe to keep.
	Key data.Key
	// Quantity is zero in a covariate upload.
	Quantity float64
	// Covariates holds the value of each of CSVReader.Covariates, NaN
	// where the row gives none. The slice is reused by the next row.
	Covariates []float64
}

// Time is the row's date as a time.Time in UTC.
func (r *Row) Time() time.Time { return time.Unix(r.Date, 0).UTC() }

// observation is the row as ParseCSV hands it on: covariates in a map,
// without the ones not given.
func (r *Row) observation(names []string) data.Observation {
	o := data.Observation{Date: r.Time(), Key: r.Key, Quantity: r.Quantity, Line: r.Line}
	for j, v := range r.Covariates {
		if math.IsNaN(v) {
			continue
		}
		if o.Covariates == nil {
			o.Covariates = make(map[string]float64, len(r.Covariates))
		}
		o.Covariates[names[j]] = v
	}
	return o
}

// csvColumns is where the columns of a CSV upload are, as its header
// names them.
type csvColumns struct {
	kind                  uploadKind
	fields                int
	date, store, sku, qty int // qty is -1 in a covariate upload
	covNames              []string
	covIdx                []int
}

// maxInterned bounds the identifiers a CSVReader keeps to share between
// rows; past it, each row's identifiers are new strings.
const maxInterned = 1 << 16

// CSVReader streams the rows of a CSV upload (header date,store,sku,
// quantity in any order, extra numeric columns kept as covariates). It is
// the one reader of CSV uploads: ParseCSV is built on it, and a reader
// that keeps rows in columns uses it directly, reading a row without
// allocating.
//
// Next skips bad rows, collecting their errors (up to MaxRowErrors) into
// the *ParseError that Err returns, and after the first bad row it hands
// out no more rows, since the upload will be refused whole:
//
//	rd, err := ingest.NewCSVReader(r)
//	...
//	for rd.Next() {
//		row := rd.Row()
//		...
//	}
//	if err := rd.Err(); err != nil {
//		...
//	}
type CSVReader struct {
	cols     csvColumns
	sc       *csvScanner
	lineBase int // lines of the upload before sc's first
	c        collector
	row      Row
	ids      map[string]string
	err      error // reading failed: not the data's fault
	done     bool
}

// NewCSVReader reads the header of a sales CSV from r and returns a
// reader of its rows. A header that names the wrong columns is refused
// with a *ParseError.
func NewCSVReader(r io.Reader) (*CSVReader, error) {
	return newCSVReader(r, salesUpload)
}

func newCSVReader(r io.Reader, kind uploadKind) (*CSVReader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	// Excel writes a UTF-8 byte-order mark; it is not part of the header.
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	sc := newCSVScanner(br)
	cols, err := readHeader(sc, kind)
	if err != nil {
		return nil, err
	}
	return newRowReader(cols, sc, 0), nil
}

func newRowReader(cols csvColumns, sc *csvScanner, lineBase int) *CSVReader {
	return &CSVReader{
		cols:     cols,
		sc:       sc,
		lineBase: lineBase,
		c:        collector{pe: ParseError{Subject: cols.kind.subject()}},
		row:      Row{Covariates: make([]float64, len(cols.covIdx))},
		ids:      map[string]string{},
	}
}

// Section returns a reader of body, a run of whole rows of the same
// upload that starts after its first lines lines (the header included),
// so that errors name the line of the whole upload. Readers of sections
// can run at once, each on its own goroutine.
func (r *CSVReader) Section(body io.Reader, lines int) *CSVReader {
	return newRowReader(r.cols, newCSVScanner(bufio.NewReaderSize(body, 1<<20)), lines)
}

// Covariates returns the names of the covariate columns, in the order of
// Row.Covariates. The caller must not change it.
func (r *CSVReader) Covariates() []string { return r.cols.covNames }

// Row returns the row read by the last call to Next. It is valid until
// the next call.
func (r *CSVReader) Row() *Row { return &r.row }

// Err returns the *ParseError of the rows refused so far, or the error
// that stopped the reading, or nil.
func (r *CSVReader) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.c.err()
}

// Next reads the next good row, and reports whether there is one.
func (r *CSVReader) Next() bool {
	for !r.done {
		err := r.sc.scan()
		if err != nil {
			r.done = true
			var pe *csv.ParseError
			switch {
			case err == io.EOF:
			case errors.As(err, &pe):
				// A malformed quote leaves the reader mid-record;
				// later lines cannot be trusted.
				r.c.add(r.lineBase+pe.StartLine, "", pe.Err)
			default:
				r.err = err // the body failed (too large, cut off), not the data
			}
			return false
		}
		line := r.lineBase + r.sc.recLine
		if n := r.sc.fields(); n != r.cols.fields {
			if !r.c.add(line, "", fmt.Errorf("has %d fields, header has %d", n, r.cols.fields)) {
				r.done = true
			}
			continue
		}
		ok := r.parseRow(line)
		if len(r.c.pe.Errors) >= MaxRowErrors {
			r.c.pe.More = true
			r.done = true
			return false
		}
		if ok && len(r.c.pe.Errors) == 0 {
			return true
		}
	}
	return false
}

// parseRow parses the fields of the record just read into r.row, and
// reports whether they are all good.
func (r *CSVReader) parseRow(line int) bool {
	ok := true
	bad := func(col string, err error) {
		ok = false
		r.c.add(line, col, err)
	}
	row, c := &r.row, &r.cols
	row.Line = line
	d := trimSpace(r.sc.field(c.date))
	if sec, good := parseUnix(d); good {
		row.Date = sec
	} else {
		bad("date", dateError(string(d)))
	}
	var err error
	if row.Key.Store, err = r.id("store", row.Key.Store, r.sc.field(c.store)); err != nil {
		bad("store", err)
	}
	if row.Key.SKU, err = r.id("sku", row.Key.SKU, r.sc.field(c.sku)); err != nil {
		bad("sku", err)
	}
	if c.qty >= 0 {
		if row.Quantity, err = parseQuantity(r.sc.field(c.qty)); err != nil {
			bad("quantity", err)
		}
	}
	for j, i := range c.covIdx {
		if row.Covariates[j], err = parseCovariate(r.sc.field(i)); err != nil {
			bad(c.covNames[j], err)
		}
	}
	return ok
}

// id returns the identifier in field b (trimmed) as a string, checked:
// last when it is the same, else a string shared with earlier rows, else
// a new one.
func (r *CSVReader) id(name, last string, b []byte) (string, error) {
	b = trimSpace(b)
	if string(b) == last && last != "" {
		return last, nil
	}
	if s, ok := r.ids[string(b)]; ok {
		return s, nil
	}
	s := string(b)
	if err := checkID(name, s); err != nil {
		return "", err
	}
	if len(r.ids) < maxInterned {
		r.ids[s] = s
	}
	return s, nil
}

// readHeader reads the header record and finds the columns of an upload
// of kind in it.
func readHeader(sc *csvScanner, kind uploadKind) (csvColumns, error) {
	headerErr := func(re RowError) (csvColumns, error) {
		return csvColumns{}, &ParseError{Errors: []RowError{re}, Subject: kind.subject()}
	}
	want := "date,store,sku,quantity"
	if kind == planUpload {
		want = "date,store,sku and covariate columns"
	}
	err := sc.scan()
	if err == io.EOF {
		return headerErr(RowError{Line: 1, Reason: "empty body: want a header " + want})
	}
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return csvColumns{}, err
		}
		return headerErr(RowError{Line: 1, Reason: pe.Err.Error()})
	}
	header := make([]string, sc.fields())
	for i := range header {
		header[i] = strings.ToLower(strings.TrimSpace(string(sc.field(i))))
	}
	cols, re := columnsOf(header, kind)
	if re != nil {
		if re.Reason == "" {
			re.Reason = fmt.Sprintf("missing column %q (header must name %s)", re.Column, want)
		}
		return headerErr(*re)
	}
	return cols, nil
}

// columnsOf is the one rule for which columns of a header hold what:
// date, store, sku and (in a sales upload) quantity, in any order, and
// every other column a covariate. A missing column is reported with an
// empty Reason, for the caller to fill in.
func columnsOf(header []string, kind uploadKind) (csvColumns, *RowError) {
	c := csvColumns{kind: kind, fields: len(header), date: -1, store: -1, sku: -1, qty: -1}
	seen := make(map[string]bool, len(header))
	for i, h := range header {
		if seen[h] {
			return c, &RowError{Line: 1, Column: h, Reason: "duplicate column"}
		}
		seen[h] = true
		switch h {
		case "date":
			c.date = i
		case "store":
			c.store = i
		case "sku":
			c.sku = i
		case "quantity":
			if kind == planUpload {
				return c, &RowError{Line: 1, Column: h, Reason: errNoQuantity.Error()}
			}
			c.qty = i
		default:
			if h == "" {
				return c, &RowError{Line: 1, Reason: fmt.Sprintf("column %d has no name", i+1)}
			}
			if kind == planUpload {
				if err := CheckCovariateName(h); err != nil {
					return c, &RowError{Line: 1, Column: h, Reason: err.Error()}
				}
			}
			c.covNames = append(c.covNames, h)
			c.covIdx = append(c.covIdx, i)
		}
	}
	need := []struct {
		name string
		i    int
	}{{"date", c.date}, {"store", c.store}, {"sku", c.sku}, {"quantity", c.qty}}
	if kind == planUpload {
		need = need[:3]
	}
	for _, n := range need {
		if n.i < 0 {
			return c, &RowError{Line: 1, Column: n.name}
		}
	}
	if kind == planUpload {
		switch {
		case len(c.covNames) == 0:
			return c, &RowError{Line: 1, Reason: "no covariate column: want date,store,sku and at least one covariate (e.g. promo)"}
		case len(c.covNames) > MaxCovariates:
			return c, &RowError{Line: 1, Reason: fmt.Sprintf("%d covariate columns, at most %d", len(c.covNames), MaxCovariates)}
		}
	}
	return c, nil
}
