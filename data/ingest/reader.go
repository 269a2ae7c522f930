package ingest

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
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
	// Attributes holds the series' value of each attribute column as
	// its rows so far gave them ("" for none yet), and newAttrs is true on
	// a row that gave a value the series did not have: ParseCSV hands
	// the attributes on with that row.
	Attributes []string
	newAttrs   bool
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

// withAttributes adds the row's attributes to o on the first row of a
// series that gives them.
func (r *Row) withAttributes(o data.Observation, names []string) data.Observation {
	if !r.newAttrs {
		return o
	}
	for j, v := range r.Attributes {
		if v == "" {
			continue
		}
		if o.Attributes == nil {
			o.Attributes = make(map[string]string, len(names))
		}
		o.Attributes[names[j]] = v
	}
	return o
}

// csvColumns is where the columns of a CSV upload are, as its header
// names them and the options map them, and how they are read.
type csvColumns struct {
	kind                  uploadKind
	fields                int
	comma                 byte
	date, store, sku, qty int // qty is -1 in a covariate upload; store and sku -1 for a constant
	storeConst, skuConst  string
	dateName              string // the date column's header, for messages
	covNames              []string
	covIdx                []int
	ignored               []string
	attrNames             []string
	attrIdx               []int
	format                *DateFormat // nil until decided
	negative              NegativePolicy
}

// maxInterned bounds the identifiers a CSVReader keeps to share between
// rows; past it, each row's identifiers are new strings.
const maxInterned = 1 << 16

// CSVReader streams the rows of a CSV upload (header date,store,sku,
// quantity in any order, or the columns Options name; extra numeric
// columns kept as covariates). It is the one reader of CSV uploads:
// ParseCSV is built on it, and a reader that keeps rows in columns uses
// it directly, reading a row without allocating.
//
// Next skips bad rows, collecting their errors (up to MaxRowErrors) into
// the *ParseError that Err returns, and after the first bad row it hands
// out no more rows, since the upload will be refused whole:
//
//	rd, err := ingest.NewCSVReader(r)
//	...
//	defer rd.Close()
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
	// attrs holds each series' attributes as first given, to refuse a
	// second value (attributes are constant per series).
	attrs map[data.Key]attrFirst
	err   error // reading failed: not the data's fault
	done  bool
	rep   Report
	// release removes a spooled body; nil when there is none.
	release func() error
}

// NewCSVReader reads the header of a sales CSV from r and returns a
// reader of its rows, with default Options.
func NewCSVReader(r io.Reader) (*CSVReader, error) {
	return newCSVReader(r, salesUpload, nil)
}

// NewCSVReaderWith is NewCSVReader with options (nil means defaults). The
// delimiter (comma, semicolon, tab or bar) is detected from the header,
// and the date format, unless opts names one, from the dates: those of
// the first 128 KiB or so when they settle it, else those of the whole
// column, read in a first pass (r is read twice when it is an
// io.Seeker, else spooled to a temporary file that Close removes). A
// header that names the wrong columns, or dates that no day above 12
// tells apart, are refused with a *ParseError; bad options with a plain
// error.
func NewCSVReaderWith(r io.Reader, opts *Options) (*CSVReader, error) {
	return newCSVReader(r, salesUpload, opts)
}

func newRowReader(cols csvColumns, sc *csvScanner, lineBase int) *CSVReader {
	return &CSVReader{
		cols:     cols,
		sc:       sc,
		lineBase: lineBase,
		c:        collector{pe: ParseError{Subject: cols.kind.subject()}},
		row:      Row{Covariates: make([]float64, len(cols.covIdx)), Key: data.Key{Store: cols.storeConst, SKU: cols.skuConst}},
		ids:      map[string]string{},
		rep:      cols.report(),
	}
}

// report is the part of a Report the columns decide.
func (c *csvColumns) report() Report {
	r := Report{Delimiter: string(c.comma), Covariates: c.covNames, IgnoredColumns: c.ignored, Attributes: c.attrNames}
	if c.format != nil {
		r.DateFormat = c.format.String()
	}
	return r
}

// Section returns a reader of body, a run of whole rows of the same
// upload that starts after its first lines lines (the header included),
// so that errors name the line of the whole upload. Readers of sections
// can run at once, each on its own goroutine.
func (r *CSVReader) Section(body io.Reader, lines int) *CSVReader {
	return newRowReader(r.cols, newCSVScanner(bufio.NewReaderSize(body, MaxLineBytes), r.cols.comma), lines)
}

// Report returns how the upload is read, with the negative quantities
// counted so far.
func (r *CSVReader) Report() Report { return r.rep }

// Close releases what the reader holds: the spooled body, if any. Next
// releases it too at the end of the rows.
func (r *CSVReader) Close() error {
	if r.release == nil {
		return nil
	}
	err := r.release()
	r.release = nil
	return err
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
	if r.next() {
		return true
	}
	if err := r.Close(); err != nil && r.err == nil {
		r.err = err
	}
	return false
}

func (r *CSVReader) next() bool {
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
	if sec, good := c.format.parse(d); !good {
		bad("date", c.format.dateErr(d))
	} else if err := dateInRange(sec); err != nil {
		bad("date", err)
	} else {
		row.Date = sec
	}
	var err error
	if c.store >= 0 {
		if row.Key.Store, err = r.id("store", row.Key.Store, r.sc.field(c.store)); err != nil {
			bad("store", err)
		}
	}
	if c.sku >= 0 {
		if row.Key.SKU, err = r.id("sku", row.Key.SKU, r.sc.field(c.sku)); err != nil {
			bad("sku", err)
		}
	}
	if c.qty >= 0 {
		if row.Quantity, err = parseQuantity(r.sc.field(c.qty)); err == nil {
			row.Quantity, err = applyNegative(c.negative, row.Quantity, &r.rep)
		}
		if err != nil {
			bad("quantity", err)
		}
	}
	for j, i := range c.covIdx {
		if row.Covariates[j], err = parseCovariate(r.sc.field(i)); err != nil {
			bad(c.covNames[j], err)
		}
	}
	if len(c.attrIdx) > 0 && ok {
		r.readAttributes(line, bad)
	}
	return ok
}

// attrFirst is a series' attributes as its first row gave them.
type attrFirst struct {
	values []string
	line   int
}

// readAttributes reads the attribute columns of the row just read, and
// refuses a value that differs from the one an earlier row of the series
// gave, naming that row's line.
func (r *CSVReader) readAttributes(line int, bad func(string, error)) {
	row, c := &r.row, &r.cols
	if r.attrs == nil {
		r.attrs = map[data.Key]attrFirst{}
	}
	first, seen := r.attrs[row.Key]
	if !seen {
		first = attrFirst{values: make([]string, len(c.attrIdx)), line: line}
		r.attrs[row.Key] = first
	}
	// An empty cell gives no value; a value the series did not have yet
	// is handed on with this row. The comparisons do not allocate: a
	// series' later rows cost a lookup.
	row.newAttrs = false
	for j, i := range c.attrIdx {
		b, w := trimSpace(r.sc.field(i)), first.values[j]
		switch {
		case len(b) == 0 || string(b) == w:
		case w == "":
			v := string(b)
			if err := checkAttributeValue(c.attrNames[j], v); err != nil {
				bad(c.attrNames[j], err)
				continue
			}
			first.values[j], row.newAttrs = v, true
		default:
			bad(c.attrNames[j], fmt.Errorf("series %s has %s %q here and %q on line %d: an attribute is constant per series",
				row.Key, c.attrNames[j], b, w, first.line))
		}
	}
	row.Attributes = first.values
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
	if err := checkKeyID(name, s); err != nil {
		return "", err
	}
	if len(r.ids) < maxInterned {
		r.ids[s] = s
	}
	return s, nil
}

// readHeader reads the header record and finds the columns of an upload
// of kind in it, as opts map them.
func readHeader(sc *csvScanner, kind uploadKind, opts *compiled) (csvColumns, error) {
	headerErr := func(res ...RowError) (csvColumns, error) {
		return csvColumns{}, &ParseError{Errors: res, Subject: kind.subject()}
	}
	err := sc.scan()
	if err == io.EOF {
		return headerErr(RowError{Line: 1, Reason: "empty body: want a header " + kind.want()})
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
	cols, res := columnsOf(header, kind, opts)
	if len(res) > 0 {
		return headerErr(res...)
	}
	cols.comma = sc.comma
	return cols, nil
}

// want is the header an upload of kind wants, for messages.
func (k uploadKind) want() string {
	if k == planUpload {
		return "date,store,sku and covariate columns"
	}
	return "date,store,sku,quantity"
}

// IsIndexColumn reports whether header cell h (lower-cased and trimmed),
// column i, is the unnamed index column a pandas dump starts with: an
// upload ignores it.
func IsIndexColumn(i int, h string) bool {
	if i == 0 && h == "" {
		return true
	}
	n, ok := strings.CutPrefix(h, "unnamed: ")
	return ok && n != "" && strings.Trim(n, "0123456789") == ""
}

// columnsOf is the one rule for which columns of a header hold what: the
// key columns (by their names, or as opts map them), in any order; an
// unnamed index column ignored; every other column a covariate. It
// returns every problem of the header at once.
func columnsOf(header []string, kind uploadKind, opts *compiled) (csvColumns, []RowError) {
	c := csvColumns{kind: kind, fields: len(header), date: -1, store: -1, sku: -1, qty: -1,
		storeConst: opts.storeConst, skuConst: opts.skuConst, format: opts.format, negative: opts.negative}
	var res []RowError
	add := func(col, reason string) {
		if len(res) < MaxRowErrors {
			res = append(res, RowError{Line: 1, Column: col, Reason: reason})
		}
	}
	seen := make(map[string]bool, len(header))
	for i, h := range header {
		if seen[h] {
			add(h, "duplicate column")
			continue
		}
		seen[h] = true
		switch h {
		case opts.date:
			c.date, c.dateName = i, h
		case opts.store:
			c.store = i
		case opts.sku:
			c.sku = i
		case opts.qty:
			if kind == planUpload {
				add(h, errNoQuantity.Error())
				continue
			}
			c.qty = i
		default:
			if IsIndexColumn(i, h) {
				c.ignored = append(c.ignored, h)
				continue
			}
			if h == "" {
				add("", fmt.Sprintf("column %d has no name", i+1))
				continue
			}
			if kind == salesUpload && (slices.Contains(opts.attrs, h) || slices.Contains(M5Attributes, h)) {
				c.attrNames, c.attrIdx = append(c.attrNames, h), append(c.attrIdx, i)
				continue
			}
			if err := CheckCovariateName(h); err != nil {
				add(h, err.Error())
				continue
			}
			c.covNames = append(c.covNames, h)
			c.covIdx = append(c.covIdx, i)
		}
	}
	if c.store >= 0 && opts.storeConst != "" {
		add(opts.store, "store_const given but the file has a store column: drop one")
	}
	if c.sku >= 0 && opts.skuConst != "" {
		add(opts.sku, "sku_const given but the file has a sku column: drop one")
	}
	for _, a := range opts.attrs {
		if !slices.Contains(c.attrNames, a) {
			add(a, fmt.Sprintf("attribute column %q (named by attributes=) is not in the header", a))
		}
	}
	if re := missingColumns(&c, kind, opts, header); re != nil {
		add(re.Column, re.Reason)
	}
	return c, res
}

// missingColumns names, in one error, every key column the header lacks
// and the option that would map it.
func missingColumns(c *csvColumns, kind uploadKind, opts *compiled, header []string) *RowError {
	type key struct {
		param, col string
		i          int
		constant   string
	}
	keys := []key{{"date", opts.date, c.date, ""}, {"store", opts.store, c.store, opts.storeConst},
		{"sku", opts.sku, c.sku, opts.skuConst}, {"quantity", opts.qty, c.qty, ""}}
	if kind == planUpload {
		keys = keys[:3]
	}
	var miss []string
	var col string
	for _, k := range keys {
		if k.i >= 0 || k.constant != "" {
			continue
		}
		col = k.param
		fix := k.param + "=COLUMN"
		if k.param == "store" || k.param == "sku" {
			fix += " or " + k.param + "_const=VALUE"
		}
		if opts.named[k.param] {
			miss = append(miss, fmt.Sprintf("%q (named by %s=)", k.col, k.param))
			continue
		}
		miss = append(miss, fmt.Sprintf("%q (map it with %s)", k.col, fix))
	}
	if len(miss) == 0 {
		return nil
	}
	has := header
	if len(has) > 20 {
		has = append(slices.Clip(has[:20]), "...")
	}
	what := "column "
	if len(miss) > 1 {
		what, col = "columns ", ""
	}
	return &RowError{Line: 1, Column: col, Reason: fmt.Sprintf("missing %s%s; the header has %s (header must name %s)",
		what, strings.Join(miss, ", "), strings.Join(has, ","), kind.want())}
}

// checkCovariates applies the limits on covariate columns, once the
// text columns are set aside.
func (c *csvColumns) checkCovariates() *RowError {
	switch {
	case c.kind == planUpload && len(c.covNames) == 0:
		return &RowError{Line: 1, Reason: "no covariate column: want date,store,sku and at least one covariate (e.g. promo)"}
	case len(c.covNames) > MaxCovariates:
		return &RowError{Line: 1, Reason: fmt.Sprintf("%d covariate columns, at most %d (limit MaxCovariates)", len(c.covNames), MaxCovariates)}
	}
	return nil
}
