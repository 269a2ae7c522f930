package data

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("invalid sales data: ")
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
func (c *collector) emit(o Observation, ok bool, line int, fn func(Observation) error) (stop bool, err error) {
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
func ParseCSV(r io.Reader, fn func(Observation) error) error {
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
		return &ParseError{Errors: []RowError{{Line: 1, Reason: "empty body: want a header date,store,sku,quantity"}}}
	}
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return err
		}
		return &ParseError{Errors: []RowError{{Line: 1, Reason: csvReason(err)}}}
	}
	cols := map[string]int{}
	var covNames []string
	var covIdx []int
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := cols[h]; dup {
			return &ParseError{Errors: []RowError{{Line: 1, Column: h, Reason: "duplicate column"}}}
		}
		cols[h] = i
		switch h {
		case "date", "store", "sku", "quantity":
		default:
			if h == "" {
				return &ParseError{Errors: []RowError{{Line: 1, Reason: fmt.Sprintf("column %d has no name", i+1)}}}
			}
			covNames = append(covNames, h)
			covIdx = append(covIdx, i)
		}
	}
	for _, need := range []string{"date", "store", "sku", "quantity"} {
		if _, ok := cols[need]; !ok {
			return &ParseError{Errors: []RowError{{Line: 1, Column: need, Reason: fmt.Sprintf("missing column %q (header must name date,store,sku,quantity)", need)}}}
		}
	}
	iDate, iStore, iSKU, iQty := cols["date"], cols["store"], cols["sku"], cols["quantity"]
	var c collector
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
		var o Observation
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
		if q, e := parseQuantity(rec[iQty]); e != nil {
			bad("quantity", e)
		} else {
			o.Quantity = q
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
func ParseNDJSON(r io.Reader, fn func(Observation) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLineBytes)
	var c collector
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
		var o Observation
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
		case row.Quantity == nil:
			bad("quantity", errors.New("missing"))
		case *row.Quantity < 0:
			bad("quantity", fmt.Errorf("%v is negative (net returns into sales before uploading)", *row.Quantity))
		default:
			o.Quantity = *row.Quantity
		}
		for k, v := range row.Covariates {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				bad(k, errors.New("not a finite number"))
			}
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
		return &ParseError{Errors: []RowError{{Line: 1, Reason: "empty body: want one JSON object per line"}}}
	}
	return c.err()
}
