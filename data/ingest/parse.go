package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/forecastd/forecastd/data"
)

// MaxRowErrors is how many row errors a parse collects before it stops
// reading: enough to show a pattern, few enough to read.
const MaxRowErrors = 10

// RowError is a problem with one line of an upload.
type RowError struct {
	Line   int    `json:"line"`
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
}

func (e RowError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Column, e.Reason)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// ParseError lists the first problems of a rejected upload.
type ParseError struct {
	Errors []RowError
	// More is true when parsing stopped after MaxRowErrors errors.
	More bool
	// Subject names what was uploaded, for messages: "sales data" when
	// empty, "covariate data" for planned covariates.
	Subject string
}

// What is the subject of the upload, as Error writes it.
func (e *ParseError) What() string {
	if e.Subject == "" {
		return "sales data"
	}
	return e.Subject
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("invalid " + e.What() + ": ")
	for i, r := range e.Errors {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(r.Error())
	}
	if e.More {
		b.WriteString("; and more")
	}
	return b.String()
}

// Date layouts accepted in uploads.
const (
	DateLayout     = "2006-01-02"
	DateTimeLayout = "2006-01-02T15:04:05"
)

// ParseDate accepts YYYY-MM-DD and YYYY-MM-DDTHH:MM:SS (UTC).
func ParseDate(s string) (time.Time, error) {
	layout := DateLayout
	if len(s) > len(DateLayout) {
		layout = DateTimeLayout
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS", s)
	}
	return t, nil
}

// maxIDLen bounds store and SKU identifiers.
const maxIDLen = 128

func checkID(name, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("%s is empty", name)
	case len(v) > maxIDLen:
		return fmt.Errorf("%s is longer than %d bytes", name, maxIDLen)
	case !utf8.ValidString(v):
		return fmt.Errorf("%s is not valid UTF-8", name)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%s contains a control character", name)
		}
	}
	return nil
}

func parseQuantity(s string) (float64, error) {
	q, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if math.IsNaN(q) || math.IsInf(q, 0) {
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	if q < 0 {
		// Returns are netted into sales before upload; a negative
		// quantity is almost always a sign or unit mix-up.
		return 0, fmt.Errorf("%v is negative (net returns into sales before uploading)", q)
	}
	return q, nil
}

// collector gathers row errors up to MaxRowErrors.
type collector struct{ pe ParseError }

// uploadKind is what an upload carries.
type uploadKind int

const (
	// salesUpload rows carry a quantity and optional covariates.
	salesUpload uploadKind = iota
	// planUpload rows carry covariate values known in advance and no
	// quantity: a promotion calendar, a price list.
	planUpload
)

// PlanSubject is ParseError.Subject for an upload of planned covariates.
const PlanSubject = "covariate data"

func (k uploadKind) subject() string {
	if k == planUpload {
		return PlanSubject
	}
	return ""
}

// MaxCovariates bounds the distinct covariate names of one covariate
// upload: each becomes a feature column of every regression candidate
// that trains on the series, so a wide upload is almost certainly a
// mistake (a transposed file) and would multiply the training cost.
const MaxCovariates = 64

// errNoQuantity is the reason given when a covariate upload names a
// quantity: mixing the two would let a plan overwrite sales.
var errNoQuantity = errors.New("a covariate upload carries no quantity (upload sales separately)")

// CheckCovariateName applies the identifier rules to a covariate name and
// keeps the names that the key columns use for themselves out. Uploads
// apply it to every name; the API applies it to a name in a query.
func CheckCovariateName(name string) error {
	switch name {
	case "date", "store", "sku", "quantity":
		return fmt.Errorf("covariate name %q is reserved", name)
	}
	return checkID("covariate name", name)
}

func (c *collector) add(line int, col string, err error) bool {
	if len(c.pe.Errors) >= MaxRowErrors {
		c.pe.More = true
		return false
	}
	c.pe.Errors = append(c.pe.Errors, RowError{Line: line, Column: col, Reason: err.Error()})
	return true
}

// emit hands a row that parsed cleanly (ok) to fn, unless the upload
// already has an error: then nothing more is passed on, because the upload
// will be refused whole. stop is true once MaxRowErrors are collected.
func (c *collector) emit(o data.Observation, ok bool, line int, fn func(data.Observation) error) (stop bool, err error) {
	if len(c.pe.Errors) >= MaxRowErrors {
		c.pe.More = true
		return true, nil
	}
	if !ok || len(c.pe.Errors) > 0 {
		return false, nil
	}
	o.Line = line
	return false, fn(o)
}

func (c *collector) err() error {
	if len(c.pe.Errors) == 0 {
		return nil
	}
	pe := c.pe
	return &pe
}

// ParseCSV streams a sales CSV (header date,store,sku,quantity in any
// order, extra numeric columns kept as covariates) and calls fn for each
// valid row. It keeps reading after a bad row, so it can report the first
// MaxRowErrors problems with their line numbers, but it stops calling fn
// after the first problem: a caller that writes rows inside a transaction
// rolls back when ParseCSV returns a *ParseError. An error returned by fn
// stops the parse and is returned as is.
func ParseCSV(r io.Reader, fn func(data.Observation) error) error {
	return parseCSV(r, salesUpload, fn)
}

// ParseCovariatesCSV streams a CSV of covariate values known in advance
// (header date,store,sku and one to MaxCovariates covariate columns, no
// quantity) with the contract of ParseCSV. Each row is passed as an
// Observation whose Quantity is zero and unused; an empty cell is a value
// not given, and a row may give none. Column names follow the sales
// upload's rules (trimmed, lower-cased), so a plan's promo column matches
// the sales upload's.
func ParseCovariatesCSV(r io.Reader, fn func(data.Observation) error) error {
	return parseCSV(r, planUpload, fn)
}

func parseCSV(r io.Reader, kind uploadKind, fn func(data.Observation) error) error {
	headerErr := func(re RowError) error {
		return &ParseError{Errors: []RowError{re}, Subject: kind.subject()}
	}
	want := "date,store,sku,quantity"
	if kind == planUpload {
		want = "date,store,sku and covariate columns"
	}
	br := bufio.NewReaderSize(r, 64<<10)
	// Excel writes a UTF-8 byte-order mark; it is not part of the header.
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return headerErr(RowError{Line: 1, Reason: "empty body: want a header " + want})
	}
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return err
		}
		return headerErr(RowError{Line: 1, Reason: csvReason(err)})
	}
	cols := map[string]int{}
	var covNames []string
	var covIdx []int
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := cols[h]; dup {
			return headerErr(RowError{Line: 1, Column: h, Reason: "duplicate column"})
		}
		cols[h] = i
		switch h {
		case "date", "store", "sku":
		case "quantity":
			if kind == planUpload {
				return headerErr(RowError{Line: 1, Column: h, Reason: errNoQuantity.Error()})
			}
		default:
			if h == "" {
				return headerErr(RowError{Line: 1, Reason: fmt.Sprintf("column %d has no name", i+1)})
			}
			if kind == planUpload {
				if err := CheckCovariateName(h); err != nil {
					return headerErr(RowError{Line: 1, Column: h, Reason: err.Error()})
				}
			}
			covNames = append(covNames, h)
			covIdx = append(covIdx, i)
		}
	}
	need := []string{"date", "store", "sku", "quantity"}
	if kind == planUpload {
		need = need[:3]
	}
	for _, n := range need {
		if _, ok := cols[n]; !ok {
			return headerErr(RowError{Line: 1, Column: n, Reason: fmt.Sprintf("missing column %q (header must name %s)", n, want)})
		}
	}
	if kind == planUpload {
		switch {
		case len(covNames) == 0:
			return headerErr(RowError{Line: 1, Reason: "no covariate column: want date,store,sku and at least one covariate (e.g. promo)"})
		case len(covNames) > MaxCovariates:
			return headerErr(RowError{Line: 1, Reason: fmt.Sprintf("%d covariate columns, at most %d", len(covNames), MaxCovariates)})
		}
	}
	iDate, iStore, iSKU := cols["date"], cols["store"], cols["sku"]
	iQty, hasQty := cols["quantity"]
	c := collector{pe: ParseError{Subject: kind.subject()}}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return err // the body failed (too large, cut off), not the data
			}
			line := pe.StartLine
			if !c.add(line, "", errors.New(csvReason(err))) {
				break
			}
			if errors.As(err, &pe) && pe.Err == csv.ErrFieldCount {
				continue
			}
			// Other CSV errors (bare quotes) leave the reader
			// mid-record; later lines cannot be trusted.
			break
		}
		// FieldPos is only defined for a record that was read.
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			if !c.add(line, "", fmt.Errorf("has %d fields, header has %d", len(rec), len(header))) {
				break
			}
			continue
		}
		var o data.Observation
		ok := true
		bad := func(col string, e error) {
			ok = false
			c.add(line, col, e)
		}
		if t, e := ParseDate(strings.TrimSpace(rec[iDate])); e != nil {
			bad("date", e)
		} else {
			o.Date = t
		}
		o.Key.Store = strings.TrimSpace(rec[iStore])
		if e := checkID("store", o.Key.Store); e != nil {
			bad("store", e)
		}
		o.Key.SKU = strings.TrimSpace(rec[iSKU])
		if e := checkID("sku", o.Key.SKU); e != nil {
			bad("sku", e)
		}
		if hasQty {
			if q, e := parseQuantity(rec[iQty]); e != nil {
				bad("quantity", e)
			} else {
				o.Quantity = q
			}
		}
		for j, ci := range covIdx {
			s := strings.TrimSpace(rec[ci])
			if s == "" {
				continue // a missing covariate value is allowed
			}
			v, e := strconv.ParseFloat(s, 64)
			if e != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				bad(covNames[j], fmt.Errorf("%q is not a finite number", s))
				continue
			}
			if o.Covariates == nil {
				o.Covariates = make(map[string]float64, len(covIdx))
			}
			o.Covariates[covNames[j]] = v
		}
		stop, err := c.emit(o, ok, line, fn)
		if err != nil {
			return err
		}
		if stop {
			break
		}
	}
	return c.err()
}

func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// ndjsonRow is one line of an NDJSON upload. Quantity is a pointer so a
// missing field is told apart from zero.
type ndjsonRow struct {
	Date       string             `json:"date"`
	Store      json.RawMessage    `json:"store"`
	SKU        json.RawMessage    `json:"sku"`
	Quantity   *float64           `json:"quantity"`
	Covariates map[string]float64 `json:"covariates,omitempty"`
}

// idFromJSON accepts a string or an integer identifier.
func idFromJSON(raw json.RawMessage) (string, error) {
	if len(raw) == 0 {
		return "", errors.New("missing")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return strings.TrimSpace(s), nil
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&n); err == nil {
		if _, err := n.Int64(); err == nil {
			return n.String(), nil
		}
	}
	return "", fmt.Errorf("%s is not a string or integer", raw)
}

// MaxLineBytes bounds one NDJSON line.
const MaxLineBytes = 1 << 20

// ParseNDJSON streams newline-delimited JSON objects with the fields
// date, store, sku, quantity (and optional covariates), with the same
// all-or-nothing contract as ParseCSV.
func ParseNDJSON(r io.Reader, fn func(data.Observation) error) error {
	return parseNDJSON(r, salesUpload, fn)
}

// ParseCovariatesNDJSON streams newline-delimited JSON objects with the
// fields date, store, sku and covariates (an object of at least one
// name-value pair, no quantity), with the contract of
// ParseCovariatesCSV. Names are kept as written, as in ParseNDJSON. At
// most MaxCovariates distinct names may appear in one upload.
func ParseCovariatesNDJSON(r io.Reader, fn func(data.Observation) error) error {
	return parseNDJSON(r, planUpload, fn)
}

func parseNDJSON(r io.Reader, kind uploadKind, fn func(data.Observation) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLineBytes)
	c := collector{pe: ParseError{Subject: kind.subject()}}
	// The distinct covariate names seen so far (plan uploads), bounded
	// by MaxCovariates.
	names := map[string]bool{}
	line := 0
	rows := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF})
		}
		if len(b) == 0 {
			continue
		}
		rows++
		var row ndjsonRow
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&row); err != nil {
			if !c.add(line, "", fmt.Errorf("invalid JSON object: %v", err)) {
				break
			}
			continue
		}
		var o data.Observation
		ok := true
		bad := func(col string, e error) {
			ok = false
			c.add(line, col, e)
		}
		if t, e := ParseDate(row.Date); e != nil {
			bad("date", e)
		} else {
			o.Date = t
		}
		if s, e := idFromJSON(row.Store); e != nil {
			bad("store", e)
		} else if e := checkID("store", s); e != nil {
			bad("store", e)
		} else {
			o.Key.Store = s
		}
		if s, e := idFromJSON(row.SKU); e != nil {
			bad("sku", e)
		} else if e := checkID("sku", s); e != nil {
			bad("sku", e)
		} else {
			o.Key.SKU = s
		}
		switch {
		case kind == planUpload:
			if row.Quantity != nil {
				bad("quantity", errNoQuantity)
			}
			if len(row.Covariates) == 0 {
				bad("covariates", errors.New("missing: a covariate row needs at least one value"))
			}
		case row.Quantity == nil:
			bad("quantity", errors.New("missing"))
		case *row.Quantity < 0:
			bad("quantity", fmt.Errorf("%v is negative (net returns into sales before uploading)", *row.Quantity))
		default:
			o.Quantity = *row.Quantity
		}
		// Names are matched as CSV headers are: trimmed and lower-cased,
		// so that "Promo" in NDJSON and "promo" in a CSV are one
		// covariate.
		var cov map[string]float64
		if len(row.Covariates) > 0 {
			cov = make(map[string]float64, len(row.Covariates))
		}
		for k, v := range row.Covariates {
			name := strings.ToLower(strings.TrimSpace(k))
			if name == "" {
				bad("covariates", errors.New("a covariate has no name"))
			}
			if _, dup := cov[name]; dup {
				bad(k, fmt.Errorf("covariate %q given twice (names are not case-sensitive)", name))
			}
			cov[name] = v
			if math.IsNaN(v) || math.IsInf(v, 0) {
				bad(k, errors.New("not a finite number"))
			}
		}
		row.Covariates = cov
		if kind == planUpload {
			checkPlanNames(row.Covariates, names, bad)
		}
		o.Covariates = row.Covariates
		stop, err := c.emit(o, ok, line, fn)
		if err != nil {
			return err
		}
		if stop {
			break
		}
	}
	if err := sc.Err(); err != nil {
		if !errors.Is(err, bufio.ErrTooLong) {
			return err // the body failed (too large, cut off), not the data
		}
		c.add(line+1, "", fmt.Errorf("line longer than %d bytes", MaxLineBytes))
	}
	if rows == 0 && len(c.pe.Errors) == 0 {
		return &ParseError{Errors: []RowError{{Line: 1, Reason: "empty body: want one JSON object per line"}}, Subject: kind.subject()}
	}
	return c.err()
}

// checkPlanNames checks the covariate names of a plan row, in sorted order
// so that the errors are listed the same way on every run, and adds new
// ones to names, refusing any past MaxCovariates.
func checkPlanNames(cov map[string]float64, names map[string]bool, bad func(string, error)) {
	for _, k := range sortedKeys(cov) {
		if err := CheckCovariateName(k); err != nil {
			bad(k, err)
			continue
		}
		if !names[k] {
			if len(names) == MaxCovariates {
				bad(k, fmt.Errorf("more than %d distinct covariate names in one upload", MaxCovariates))
				continue
			}
			names[k] = true
		}
	}
}

// sortedKeys returns m's keys in order.
func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
