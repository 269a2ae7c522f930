package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

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
	rd, err := newCSVReader(r, kind)
	if err != nil {
		return err
	}
	for rd.Next() {
		if err := fn(rd.row.observation(rd.cols.covNames)); err != nil {
			return err
		}
	}
	return rd.Err()
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

// idFromJSON accepts a string or an integer identifier, named name, that
// meets the identifier rules.
func idFromJSON(name string, raw json.RawMessage) (string, error) {
	if len(raw) == 0 {
		return "", errors.New("missing")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		s = strings.TrimSpace(s)
		return s, checkID(name, s)
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&n); err == nil {
		if _, err := n.Int64(); err == nil {
			return n.String(), checkID(name, n.String())
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
		var e error
		if o.Key.Store, e = idFromJSON("store", row.Store); e != nil {
			bad("store", e)
		}
		if o.Key.SKU, e = idFromJSON("sku", row.SKU); e != nil {
			bad("sku", e)
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
		default:
			if err := checkQuantity(*row.Quantity); err != nil {
				bad("quantity", err)
			}
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
