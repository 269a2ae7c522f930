package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/internal/app"
)

// importCommand is `forecastd import` as its flags set it up: files sent
// to a running server, as they are (long layout, the server applies the
// mapping) or reshaped on the way (wide layout, with a calendar and a
// price table joined in as covariates).
type importCommand struct {
	server, token string
	layout        string // long, wide or auto
	mapping       mapping
	calendarPath  string
	pricesPath    string
	dryRun        bool
	files         []string
	client        *http.Client
	stdout        io.Writer
	stderr        io.Writer
	// every is how often progress is reported.
	every time.Duration
}

// runImport implements `forecastd import`.
func runImport(ctx context.Context, args []string, env app.Lookup, stdout, stderr io.Writer) error {
	c, err := parseImportFlags(args, env, stdout, stderr)
	if err != nil {
		return err
	}
	for _, path := range c.files {
		if err := c.importFile(ctx, path); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

func parseImportFlags(args []string, env app.Lookup, stdout, stderr io.Writer) (*importCommand, error) {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: forecastd import [flags] FILE...\n\nSends sales files to a running forecastd server.\n\n")
		fs.PrintDefaults()
	}
	c := &importCommand{stdout: stdout, stderr: stderr, client: &http.Client{}, every: time.Second}
	b := app.Bind(fs, app.ImportCommand, env)
	m := &c.mapping
	fs.StringVar(&c.layout, "layout", "auto", "long (one row per store, SKU and date), wide (one row per series, one column per period: dates or M5's d_1..d_N) or auto")
	layoutFlags(fs, layoutTargets{date: &m.date, store: &m.store, sku: &m.sku, quantity: &m.quantity,
		storeConst: &m.storeConst, skuConst: &m.skuConst, dateFormat: &m.dateFormat}, map[string]string{
		"date":     "name of the date column (long layout; default date)",
		"store":    "name of the store column (default store; wide: store_id, then store)",
		"sku":      "name of the SKU column (default sku; wide: item_id, then sku)",
		"quantity": "name of the quantity column (long layout; default quantity)",
	})
	fs.StringVar(&m.negative, "negative", "", "negative quantities: allow, clip or refuse (default: the server's)")
	fs.StringVar(&c.calendarPath, "calendar", "", "calendar CSV (M5 layout: date, d, wm_yr_wk, events, snap_<state>): maps d_N to dates; events and SNAP become covariates")
	fs.StringVar(&c.pricesPath, "prices", "", "price table (store, SKU, date or wm_yr_wk, sell_price; any delimiter, an unnamed index column ignored) joined as covariate sell_price")
	fs.BoolVar(&c.dryRun, "dry-run", false, "print what would be sent (layout, mapping, date format, counts, first problems) and send nothing")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	cfg, err := b.Config()
	if err != nil {
		return nil, configError{err}
	}
	c.server, c.token = cfg.ServerURL, cfg.Token
	c.files = fs.Args()
	if err := c.check(); err != nil {
		return nil, configError{err}
	}
	return c, nil
}

// check refuses flags that cannot work together before any file is read.
func (c *importCommand) check() error {
	var errs []error
	if len(c.files) == 0 {
		errs = append(errs, errors.New("no FILE given"))
	}
	switch c.layout {
	case "auto", "long", "wide":
	default:
		errs = append(errs, fmt.Errorf("-layout %q: want long, wide or auto", c.layout))
	}
	if _, err := ingest.ParseNegativePolicy(c.mapping.negative); err != nil {
		errs = append(errs, fmt.Errorf("-%w", err)) // "-negative ...": the flag's name
	}
	if c.mapping.dateFormat != "" {
		if _, err := ingest.ParseDateFormat(c.mapping.dateFormat); err != nil {
			errs = append(errs, fmt.Errorf("-date-format %q: %w", c.mapping.dateFormat, err))
		}
	}
	if c.mapping.store != "" && c.mapping.storeConst != "" {
		errs = append(errs, errors.New("give -store or -store-const, not both"))
	}
	if c.mapping.sku != "" && c.mapping.skuConst != "" {
		errs = append(errs, errors.New("give -sku or -sku-const, not both"))
	}
	return errors.Join(errs...)
}

// importFile sends (or, with -dry-run, describes) one file.
func (c *importCommand) importFile(ctx context.Context, path string) error {
	layout := c.layout
	if layout == "auto" {
		var err error
		if layout, err = detectLayout(path, c.mapping.dateFormat); err != nil {
			return err
		}
	}
	if layout == "long" {
		if c.calendarPath != "" || c.pricesPath != "" {
			return errors.New("-calendar and -prices join covariates into a wide file (-layout wide); a long file carries its covariates as columns")
		}
		return c.importLong(ctx, path)
	}
	return c.importWide(ctx, path)
}

// mapping is how a file's columns map onto forecastd's: the flags the
// server also takes as query parameters of an upload.
type mapping struct {
	date, store, sku, quantity string
	storeConst, skuConst       string
	dateFormat                 string
	negative                   string
}

// query is the mapping as the upload's query parameters; the names of
// columns only when the server reads the file as it is (keys).
func (m mapping) query(keys bool) url.Values {
	q := url.Values{}
	set := func(name, v string) {
		if v != "" {
			q.Set(name, v)
		}
	}
	if keys {
		set("date", m.date)
		set("store", m.store)
		set("sku", m.sku)
		set("quantity", m.quantity)
		set("store_const", m.storeConst)
		set("sku_const", m.skuConst)
		set("date_format", m.dateFormat)
	}
	set("negative", m.negative)
	return q
}

// describe is the mapping as the dry run prints it.
func (m mapping) describe(cols map[string]string) string {
	var parts []string
	for _, role := range []string{"date", "store", "sku", "quantity", "state"} {
		if v, ok := cols[role]; ok {
			parts = append(parts, role+"="+v)
		}
	}
	if m.negative != "" {
		parts = append(parts, "negative="+m.negative)
	}
	return strings.Join(parts, " ")
}
