package ingest

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/forecastd/forecastd/data"
)

// AttributeSubject is ParseError.Subject for an upload of series
// attributes.
const AttributeSubject = "attribute data"

// M5Attributes are the text columns a sales upload reads as attributes
// without being told: M5's layout (dept_id, cat_id, state_id beside
// item_id and store_id).
var M5Attributes = []string{"dept_id", "cat_id", "state_id"}

// MaxAttributes bounds the attribute names of one upload: each becomes a
// level of every reconciled hierarchy, so a wide upload is a mistake.
const MaxAttributes = 16

// CheckAttributeName applies the identifier rules to an attribute name:
// those of a covariate name, and no "=" (an aggregate's key is
// "_name=value").
func CheckAttributeName(name string) error {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "date", "store", "sku", "quantity":
		return fmt.Errorf("attribute name %q is reserved", name)
	}
	if strings.Contains(name, "=") {
		return fmt.Errorf("attribute name %q contains =", name)
	}
	return checkID("attribute name", name)
}

// checkAttributeValue applies the identifier rules to an attribute's
// value (it names an aggregate, as a SKU names a series).
func checkAttributeValue(name, v string) error {
	return checkID("value of "+name, v)
}

// attributeSet keeps the attributes of an upload by series and name, and
// refuses a second, different value for a series' attribute, naming both
// lines: attributes are constant per series.
type attributeSet struct {
	byKey map[data.Key]map[string]data.Attribute
	n     int
}

func newAttributeSet() *attributeSet {
	return &attributeSet{byKey: map[data.Key]map[string]data.Attribute{}}
}

// add records a; it returns an error when the series already has another
// value of a.Name, and reports whether a is new.
func (s *attributeSet) add(a data.Attribute) (bool, error) {
	m := s.byKey[a.Key]
	if m == nil {
		m = map[string]data.Attribute{}
		s.byKey[a.Key] = m
	}
	if old, ok := m[a.Name]; ok {
		if old.Value != a.Value {
			return false, fmt.Errorf("series %s: %s is %q here and %q on line %d: an attribute is constant per series",
				a.Key, a.Name, a.Value, old.Value, old.Line)
		}
		return false, nil
	}
	m[a.Name] = a
	s.n++
	return true, nil
}

// list returns the attributes by key, then name.
func (s *attributeSet) list() []data.Attribute {
	out := make([]data.Attribute, 0, s.n)
	for _, m := range s.byKey {
		for _, a := range m {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key != out[j].Key {
			return out[i].Key.Less(out[j].Key)
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// ParseAttributesCSV reads a CSV of series attributes: a header with
// store, sku and one to MaxAttributes attribute columns (names trimmed
// and lower-cased), one row per series; an empty cell gives no value. It
// returns every attribute, or a *ParseError naming the first problems
// (bad identifiers, a series given two values of one attribute): the
// upload is all or nothing.
func ParseAttributesCSV(r io.Reader) ([]data.Attribute, error) {
	br := bufio.NewReader(r)
	skipBOM(br)
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = 0
	cr.ReuseRecord = true
	c := collector{pe: ParseError{Subject: AttributeSubject}}
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &ParseError{Errors: []RowError{{Line: 1, Reason: "empty body: want a header store,sku and attribute columns"}}, Subject: AttributeSubject}
	}
	if err != nil {
		return nil, csvReadError(err, &c)
	}
	store, sku := -1, -1
	names := make([]string, len(header))
	var attrs []int
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		names[i] = h
		switch h {
		case "store":
			store = i
		case "sku":
			sku = i
		default:
			if IsIndexColumn(i, h) {
				continue
			}
			if err := CheckAttributeName(h); err != nil {
				c.add(1, h, err)
				continue
			}
			attrs = append(attrs, i)
		}
	}
	switch {
	case store < 0 || sku < 0:
		c.add(1, "", fmt.Errorf("header must name store, sku and attribute columns; it has %s", strings.Join(names, ",")))
	case len(attrs) == 0:
		c.add(1, "", errors.New("no attribute column: want store,sku and at least one attribute (e.g. dept)"))
	case len(attrs) > MaxAttributes:
		c.add(1, "", fmt.Errorf("%d attribute columns, at most %d (limit MaxAttributes)", len(attrs), MaxAttributes))
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	set := newAttributeSet()
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, csvReadError(err, &c)
		}
		k, ok := data.Key{Store: strings.TrimSpace(rec[store]), SKU: strings.TrimSpace(rec[sku])}, true
		if err := checkKeyID("store", k.Store); err != nil {
			c.add(line, "store", err)
			ok = false
		}
		if err := checkKeyID("sku", k.SKU); err != nil {
			c.add(line, "sku", err)
			ok = false
		}
		for _, i := range attrs {
			v := strings.TrimSpace(rec[i])
			if v == "" || !ok {
				continue
			}
			if err := addAttribute(set, data.Attribute{Key: k, Name: names[i], Value: v, Line: line}); err != nil {
				c.add(line, names[i], err)
			}
		}
		if c.pe.More || len(c.pe.Errors) >= MaxRowErrors {
			break
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return set.list(), nil
}

func addAttribute(set *attributeSet, a data.Attribute) error {
	if err := checkAttributeValue(a.Name, a.Value); err != nil {
		return err
	}
	_, err := set.add(a)
	return err
}

// csvReadError is the error of a CSV that encoding/csv could not read: a
// malformed record is the data's fault (a *ParseError), anything else the
// body's.
func csvReadError(err error, c *collector) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		c.add(pe.StartLine, "", pe.Err)
		return c.err()
	}
	return err
}

// ParseAttributesNDJSON reads newline-delimited JSON objects of series
// attributes: store, sku (strings or integers) and every other field an
// attribute whose value is a string, e.g.
// {"store":"CA_1","sku":"FOODS_1_001","dept":"FOODS_1","cat":"FOODS"},
// with the contract of ParseAttributesCSV.
func ParseAttributesNDJSON(r io.Reader) ([]data.Attribute, error) {
	c := collector{pe: ParseError{Subject: AttributeSubject}}
	set := newAttributeSet()
	names := map[string]bool{}
	err := eachJSONLine(r, &c, func(line int, b []byte) (bool, error) {
		attributesLine(&c, set, names, line, b)
		return c.pe.More, nil
	})
	if err != nil {
		return nil, err
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return set.list(), nil
}

// attributesLine reads the object on line of an attributes NDJSON body
// into set, recording its errors in c; names collects the attribute
// names seen, to bound them.
func attributesLine(c *collector, set *attributeSet, names map[string]bool, line int, b []byte) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		c.add(line, "", fmt.Errorf("not a JSON object: %v", err))
		return
	}
	var k data.Key
	var err error
	ok := true
	if k.Store, err = idFromJSON("store", obj["store"]); err != nil {
		c.add(line, "store", err)
		ok = false
	}
	if k.SKU, err = idFromJSON("sku", obj["sku"]); err != nil {
		c.add(line, "sku", err)
		ok = false
	}
	if len(obj) <= 2 && ok {
		c.add(line, "", errors.New("no attribute: want store, sku and at least one attribute field (e.g. \"dept\")"))
	}
	for _, name := range sortedRaw(obj) {
		if name == "store" || name == "sku" || !ok {
			continue
		}
		var v string
		if err := json.Unmarshal(obj[name], &v); err != nil {
			c.add(line, name, fmt.Errorf("%s is not a string", obj[name]))
			continue
		}
		lname := strings.ToLower(strings.TrimSpace(name))
		if err := CheckAttributeName(lname); err != nil {
			c.add(line, name, err)
			continue
		}
		if names[lname] = true; len(names) > MaxAttributes {
			c.add(line, name, fmt.Errorf("more than %d attribute names (limit MaxAttributes)", MaxAttributes))
			continue
		}
		if err := addAttribute(set, data.Attribute{Key: k, Name: lname, Value: strings.TrimSpace(v), Line: line}); err != nil {
			c.add(line, name, err)
		}
	}
}

func sortedRaw(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
