package ingest

import (
	"fmt"
	"io"
	"strings"

	"github.com/forecastd/forecastd/data"
)

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
// stops the parse and is returned as is. It is ParseCSVWith with default
// options.
func ParseCSV(r io.Reader, fn func(data.Observation) error) error {
	return withoutReport(ParseCSVWith(r, nil, fn))
}

// ParseCSVWith is ParseCSV for a file laid out as opts say (nil means
// defaults; see NewCSVReaderWith for what is detected). The report says
// how the file was read; it is complete when err is nil.
func ParseCSVWith(r io.Reader, opts *Options, fn func(data.Observation) error) (*Report, error) {
	return parseCSV(r, salesUpload, opts, fn)
}

// ParseCovariatesCSV streams a CSV of covariate values known in advance
// (header date,store,sku and one to MaxCovariates covariate columns, no
// quantity) with the contract of ParseCSV. Each row is passed as an
// Observation whose Quantity is zero and unused; an empty cell is a value
// not given, and a row may give none. Column names follow the sales
// upload's rules (trimmed, lower-cased), so a plan's promo column matches
// the sales upload's.
func ParseCovariatesCSV(r io.Reader, fn func(data.Observation) error) error {
	return withoutReport(ParseCovariatesCSVWith(r, nil, fn))
}

// ParseCovariatesCSVWith is ParseCovariatesCSV with options, as
// ParseCSVWith (opts.Quantity and opts.Negative do not apply).
func ParseCovariatesCSVWith(r io.Reader, opts *Options, fn func(data.Observation) error) (*Report, error) {
	return parseCSV(r, planUpload, opts, fn)
}

// withoutReport is the error of a parse whose report is not wanted.
func withoutReport(_ *Report, err error) error { return err }

func parseCSV(r io.Reader, kind uploadKind, opts *Options, fn func(data.Observation) error) (*Report, error) {
	rd, err := newCSVReader(r, kind, opts)
	if err != nil {
		return nil, err
	}
	for rd.Next() {
		if err := fn(rd.row.withAttributes(rd.row.observation(rd.cols.covNames), rd.cols.attrNames)); err != nil {
			return nil, releaseWith(rd.Close, err)
		}
	}
	rep := rd.Report()
	return &rep, rd.Err()
}
