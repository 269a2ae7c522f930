package ingest

import (
	"fmt"
	"strings"
)

// Options say how to read an upload whose layout is not forecastd's own:
// which columns hold the keys, constants for a key the file lacks, the
// date format and what to do with negative quantities. The zero value
// (or nil) reads today's layout: header date,store,sku,quantity, dates
// detected, negatives allowed.
type Options struct {
	// Date, Store, SKU and Quantity name the file's columns for each
	// key (matched case-insensitively, after trimming); empty means the
	// column of the key's own name. Only CSV uploads have columns to
	// name.
	Date, Store, SKU, Quantity string
	// StoreConst and SKUConst give the store or SKU of every row of a
	// file without that column (a file of one store, or of store totals).
	StoreConst, SKUConst string
	// DateFormat is a strftime format (see ParseDateFormat), e.g.
	// "%d/%m/%Y". Empty means detect: ISO dates, DD/MM/YYYY, MM/DD/YYYY,
	// DD-MM-YYYY, MM-DD-YYYY, DD.MM.YYYY, YYYY/MM/DD and YYYYMMDD, each
	// with or without a time of day, told apart by the file's dates.
	DateFormat string
	// Negative is what happens to a negative quantity.
	Negative NegativePolicy
	// Attributes names the CSV columns read as series attributes (an
	// M5-style dept or category): text, constant per series, stored
	// beside the series rather than per date. A sales upload also reads
	// the columns of M5Attributes so without being told.
	Attributes []string
	// TempDir is where a CSV body is spooled when its date format can
	// only be told from the whole column; "" is os.TempDir().
	TempDir string
}

// NegativePolicy is what an upload does with negative quantities: weeks
// where returns exceed sales are real in department-level data.
type NegativePolicy string

// The negative policies. The empty policy is NegativeAllow.
const (
	// NegativeAllow keeps negative quantities (counted in Report).
	NegativeAllow NegativePolicy = "allow"
	// NegativeClip stores a negative quantity as 0 (counted in Report).
	NegativeClip NegativePolicy = "clip"
	// NegativeRefuse refuses a file with a negative quantity.
	NegativeRefuse NegativePolicy = "refuse"
)

// ParseNegativePolicy reads a policy by name; "" is NegativeAllow.
func ParseNegativePolicy(s string) (NegativePolicy, error) {
	switch p := NegativePolicy(strings.ToLower(strings.TrimSpace(s))); p {
	case "":
		return NegativeAllow, nil
	case NegativeAllow, NegativeClip, NegativeRefuse:
		return p, nil
	}
	return "", fmt.Errorf("negative %q: want allow, clip or refuse", s)
}

// Validate checks the options for an upload of sales (sales true) or of
// planned covariates, and compiles the date format.
func (o *Options) Validate(sales bool) error {
	_, err := o.compile(sales)
	return err
}

// compiled are the options in the form the readers use.
type compiled struct {
	date, store, sku, qty string // lower-cased column names
	storeConst, skuConst  string
	format                *DateFormat // nil: detect
	negative              NegativePolicy
	tempDir               string
	// named is true when the client named a column.
	named map[string]bool
	// attrs are the declared attribute columns, lower-cased.
	attrs []string
}

func (o *Options) compile(sales bool) (*compiled, error) {
	if o == nil {
		o = &Options{}
	}
	c := &compiled{date: "date", store: "store", sku: "sku", qty: "quantity", tempDir: o.TempDir, named: map[string]bool{}}
	for _, m := range []struct {
		param string
		v     string
		dst   *string
	}{{"date", o.Date, &c.date}, {"store", o.Store, &c.store}, {"sku", o.SKU, &c.sku}, {"quantity", o.Quantity, &c.qty}} {
		v := strings.ToLower(strings.TrimSpace(m.v))
		if v == "" {
			continue
		}
		if err := checkID(m.param+" column name", v); err != nil {
			return nil, fmt.Errorf("%s: %w", m.param, err)
		}
		*m.dst, c.named[m.param] = v, true
	}
	if !sales && c.named["quantity"] {
		return nil, fmt.Errorf("quantity: %w", errNoQuantity)
	}
	for _, k := range []struct {
		param, v, col string
		dst           *string
	}{{"store_const", o.StoreConst, "store", &c.storeConst}, {"sku_const", o.SKUConst, "sku", &c.skuConst}} {
		if k.v == "" {
			continue
		}
		v := strings.TrimSpace(k.v)
		if err := checkKeyID(k.param, v); err != nil {
			return nil, err
		}
		if c.named[k.col] {
			return nil, fmt.Errorf("%s and %s both given: a key comes from a column or a constant, not both", k.col, k.param)
		}
		*k.dst = v
	}
	if o.DateFormat != "" {
		f, err := ParseDateFormat(o.DateFormat)
		if err != nil {
			return nil, err
		}
		c.format = f
	}
	var err error
	if c.negative, err = ParseNegativePolicy(string(o.Negative)); err != nil {
		return nil, err
	}
	if c.attrs, err = compileAttributes(o.Attributes, sales); err != nil {
		return nil, err
	}
	seen := map[string]string{}
	for _, k := range []struct{ param, col string }{{"date", c.date}, {"store", c.store}, {"sku", c.sku}, {"quantity", c.qty}} {
		if !c.named[k.param] {
			continue
		}
		if p, dup := seen[k.col]; dup {
			return nil, fmt.Errorf("%s and %s name the same column %q", p, k.param, k.col)
		}
		seen[k.col] = k.param
	}
	return c, nil
}

// Report says how an upload was read, beside the rows it gave: what a
// client needs to see that the file was understood.
type Report struct {
	// Delimiter is the CSV field delimiter detected from the header.
	Delimiter string `json:"delimiter,omitempty"`
	// DateFormat is the strftime format the dates were read with.
	DateFormat string `json:"date_format,omitempty"`
	// Covariates are the covariate names, in column order (CSV).
	Covariates []string `json:"covariates,omitempty"`
	// Attributes are the CSV columns read as series attributes.
	Attributes []string `json:"attributes,omitempty"`
	// IgnoredColumns are the CSV columns not read: an unnamed index
	// column (a pandas dump) and text columns not mapped to a key.
	IgnoredColumns []string `json:"ignored_columns,omitempty"`
	// NegativeRows counts the rows with a negative quantity, and
	// ClippedRows those of them stored as 0 (NegativeClip).
	NegativeRows int `json:"negative_rows"`
	ClippedRows  int `json:"clipped_rows"`
}

// compileAttributes checks the declared attribute columns.
func compileAttributes(names []string, sales bool) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	if !sales {
		return nil, fmt.Errorf("attributes: apply to sales uploads (POST /v1/series/attributes sets them alone)")
	}
	if len(names) > MaxAttributes {
		return nil, fmt.Errorf("attributes: %d columns, at most %d (limit MaxAttributes)", len(names), MaxAttributes)
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if err := CheckAttributeName(n); err != nil {
			return nil, fmt.Errorf("attributes: %w", err)
		}
		out = append(out, n)
	}
	return out, nil
}
