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
	"time"

	"github.com/forecastd/forecastd/data"
)

// ndjsonRow is one line of an NDJSON upload. Quantity is a pointer so a
// missing field is told apart from zero.
type ndjsonRow struct {
	Date       string             `json:"date"`
	Store      json.RawMessage    `json:"store"`
	SKU        json.RawMessage    `json:"sku"`
	Quantity   *float64           `json:"quantity"`
	Covariates map[string]float64 `json:"covariates,omitempty"`
	// Attributes are the series' attributes (sales uploads), by name:
	// constant per series, so a row may give them or leave them out.
	Attributes map[string]string `json:"attributes,omitempty"`
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
		return s, checkKeyID(name, s)
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&n); err == nil {
		if _, err := n.Int64(); err == nil {
			return n.String(), checkKeyID(name, n.String())
		}
	}
	return "", fmt.Errorf("%s is not a string or integer", raw)
}

// ParseNDJSON streams newline-delimited JSON objects with the fields
// date, store, sku, quantity (and optional covariates), with the same
// all-or-nothing contract as ParseCSV.
func ParseNDJSON(r io.Reader, fn func(data.Observation) error) error {
	return withoutReport(ParseNDJSONWith(r, nil, fn))
}

// ParseNDJSONWith is ParseNDJSON with options (nil means defaults). An
// object has no columns to map, so opts.Date, Store, SKU and Quantity
// must be empty; StoreConst and SKUConst stand for a field the objects
// leave out, DateFormat replaces the ISO dates, and Negative applies.
func ParseNDJSONWith(r io.Reader, opts *Options, fn func(data.Observation) error) (*Report, error) {
	return parseNDJSON(r, salesUpload, opts, fn)
}

// ParseCovariatesNDJSON streams newline-delimited JSON objects with the
// fields date, store, sku and covariates (an object of at least one
// name-value pair, no quantity), with the contract of
// ParseCovariatesCSV. Names are kept as written, as in ParseNDJSON. At
// most MaxCovariates distinct names may appear in one upload.
func ParseCovariatesNDJSON(r io.Reader, fn func(data.Observation) error) error {
	return withoutReport(ParseCovariatesNDJSONWith(r, nil, fn))
}

// ParseCovariatesNDJSONWith is ParseCovariatesNDJSON with options, as
// ParseNDJSONWith.
func ParseCovariatesNDJSONWith(r io.Reader, opts *Options, fn func(data.Observation) error) (*Report, error) {
	return parseNDJSON(r, planUpload, opts, fn)
}

// errNDJSONMapping refuses a column mapping for NDJSON.
var errNDJSONMapping = errors.New("ingest: options: date, store, sku and quantity name CSV columns; NDJSON objects use the field names date, store, sku, quantity")

// ndjsonParser is the state of one NDJSON upload.
type ndjsonParser struct {
	kind  uploadKind
	opts  *compiled
	c     collector
	rep   Report
	names map[string]bool // distinct covariate names, bounded by MaxCovariates
	// attrs holds the attributes given so far, to refuse a second value.
	attrs     *attributeSet
	attrNames map[string]bool
}

func parseNDJSON(r io.Reader, kind uploadKind, o *Options, fn func(data.Observation) error) (*Report, error) {
	opts, err := o.compile(kind == salesUpload)
	if err != nil {
		return nil, fmt.Errorf("ingest: options: %w", err)
	}
	if len(opts.named) > 0 {
		return nil, errNDJSONMapping
	}
	p := &ndjsonParser{kind: kind, opts: opts, c: collector{pe: ParseError{Subject: kind.subject()}}, names: map[string]bool{}}
	if opts.format != nil {
		p.rep.DateFormat = opts.format.String()
	}
	err = eachJSONLine(r, &p.c, func(line int, b []byte) (bool, error) {
		o, ok := p.row(b, line)
		return p.c.emit(o, ok, line, fn)
	})
	if err != nil {
		return nil, err
	}
	return &p.rep, p.c.err()
}

// eachJSONLine calls each with every non-blank line of r, trimmed (a
// byte-order mark dropped from the first), and its number, until each
// stops it or fails. A line over MaxLineBytes is recorded in c; a body
// with no line and nothing recorded in c is a ParseError of c's subject.
// A read failure is returned as it is: the body failed (too large, cut
// off), not the data. Both NDJSON parsers, of sales and of attributes,
// read through it.
func eachJSONLine(r io.Reader, c *collector, each func(line int, b []byte) (stop bool, err error)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLineBytes)
	line, rows := 0, 0
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
		stop, err := each(line, b)
		if err != nil {
			return err
		}
		if stop {
			break
		}
	}
	if err := sc.Err(); err != nil {
		if !errors.Is(err, bufio.ErrTooLong) {
			return err
		}
		c.add(line+1, "", fmt.Errorf("line longer than %d bytes (limit MaxLineBytes)", MaxLineBytes))
	}
	if rows == 0 && len(c.pe.Errors) == 0 {
		return &ParseError{Errors: []RowError{{Line: 1, Reason: "empty body: want one JSON object per line"}}, Subject: c.pe.Subject}
	}
	return nil
}

// row reads the object on line, and reports whether it is good.
func (p *ndjsonParser) row(b []byte, line int) (data.Observation, bool) {
	var o data.Observation
	ok := true
	bad := func(col string, e error) {
		ok = false
		p.c.add(line, col, e)
	}
	var row ndjsonRow
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&row); err != nil {
		bad("", fmt.Errorf("invalid JSON object: %v", err))
		return o, false
	}
	if dec.InputOffset() != int64(len(b)) {
		// A second value on the line would be dropped without a word.
		bad("", errors.New("more than one JSON value on the line: want one object per line"))
		return o, false
	}
	p.date(&o, row.Date, bad)
	var e error
	if o.Key.Store, e = p.key("store", row.Store, p.opts.storeConst); e != nil {
		bad("store", e)
	}
	if o.Key.SKU, e = p.key("sku", row.SKU, p.opts.skuConst); e != nil {
		bad("sku", e)
	}
	p.quantity(&o, &row, bad)
	o.Covariates = p.covariates(row.Covariates, bad)
	if len(row.Attributes) > 0 && ok {
		o.Attributes = p.attributes(o.Key, row.Attributes, line, bad)
	}
	return o, ok
}

// attributes checks the attributes a sales row gives for its series and
// returns those the series did not have yet (nil for none): a value that
// differs from an earlier line's is refused, naming that line.
func (p *ndjsonParser) attributes(k data.Key, in map[string]string, line int, bad func(string, error)) map[string]string {
	if p.kind != salesUpload {
		bad("attributes", errors.New("apply to sales uploads (POST /v1/series/attributes sets them alone)"))
		return nil
	}
	if p.attrs == nil {
		p.attrs, p.attrNames = newAttributeSet(), map[string]bool{}
	}
	var out map[string]string
	for _, name := range sortedStrings(in) {
		n, v := strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(in[name])
		if err := CheckAttributeName(n); err != nil {
			bad("attributes", err)
			continue
		}
		if p.attrNames[n] = true; len(p.attrNames) > MaxAttributes {
			bad("attributes", fmt.Errorf("more than %d attribute names (limit MaxAttributes)", MaxAttributes))
			continue
		}
		if v == "" {
			continue
		}
		if err := checkAttributeValue(n, v); err != nil {
			bad(n, err)
			continue
		}
		isNew, err := p.attrs.add(data.Attribute{Key: k, Name: n, Value: v, Line: line})
		if err != nil {
			bad(n, err)
			continue
		}
		if isNew {
			if out == nil {
				out = map[string]string{}
			}
			out[n] = v
		}
	}
	return out
}

func sortedStrings(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (p *ndjsonParser) date(o *data.Observation, s string, bad func(string, error)) {
	if f := p.opts.format; f != nil {
		sec, good := f.parse(trimSpace([]byte(s)))
		if !good {
			bad("date", f.dateErr([]byte(s)))
			return
		}
		if err := dateInRange(sec); err != nil {
			bad("date", err)
			return
		}
		o.Date = time.Unix(sec, 0).UTC()
		return
	}
	t, e := ParseDate(s)
	if e == nil {
		e = dateInRange(t.Unix())
	}
	if e != nil {
		bad("date", e)
		return
	}
	o.Date = t
}

// key reads identifier field name, or the constant that stands for it.
func (p *ndjsonParser) key(name string, raw json.RawMessage, constant string) (string, error) {
	if constant == "" {
		return idFromJSON(name, raw)
	}
	if len(raw) > 0 {
		return "", fmt.Errorf("given with %s_const: a key comes from the object or the constant, not both", name)
	}
	return constant, nil
}

func (p *ndjsonParser) quantity(o *data.Observation, row *ndjsonRow, bad func(string, error)) {
	switch {
	case p.kind == planUpload:
		if row.Quantity != nil {
			bad("quantity", errNoQuantity)
		}
		if len(row.Covariates) == 0 {
			bad("covariates", errors.New("missing: a covariate row needs at least one value"))
		}
	case row.Quantity == nil:
		bad("quantity", errors.New("missing"))
	default:
		q, err := *row.Quantity, checkMagnitude(*row.Quantity)
		if err == nil {
			q, err = applyNegative(p.opts.negative, q, &p.rep)
		}
		if err != nil {
			bad("quantity", err)
		}
		o.Quantity = q
	}
}

// covariates checks the covariates of a row. Names are matched as CSV
// headers are: trimmed and lower-cased, so that "Promo" in NDJSON and
// "promo" in a CSV are one covariate.
func (p *ndjsonParser) covariates(in map[string]float64, bad func(string, error)) map[string]float64 {
	if len(in) == 0 {
		return nil
	}
	cov := make(map[string]float64, len(in))
	for k, v := range in {
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
		} else if err := checkMagnitude(v); err != nil {
			bad(k, err)
		}
	}
	checkPlanNames(cov, p.names, bad)
	return cov
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
				bad(k, fmt.Errorf("more than %d distinct covariate names in one upload (limit MaxCovariates)", MaxCovariates))
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
