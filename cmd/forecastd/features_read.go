package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/forecastd/forecastd/data/ingest"
)

// readUploadFile reads the sales CSV at path ("-" for stdin) through
// ingest, the service's own rules, so the command line accepts and
// refuses exactly what the API does. A large file is read by one reader
// per CPU (at most 4) at once.
func readUploadFile(ctx context.Context, path string, opts *ingest.Options) (*ingest.Upload, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer func() { _ = f.Close() }() // read-only
		r = f
	}
	up, err := ingest.ReadUploadWith(ctx, r, min(runtime.GOMAXPROCS(0), 4), opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if up.Rows == 0 {
		return nil, fmt.Errorf("%s: no rows after the header", path)
	}
	return up, nil
}

// uploadFlags registers on fs the flags that say how a sales file is laid
// out, the query parameters of POST /v1/sales under their flag names, and
// returns the options they fill; check them with Options.Validate once fs
// is parsed.
func uploadFlags(fs *flag.FlagSet) *ingest.Options {
	o := &ingest.Options{}
	layoutFlags(fs, layoutTargets{date: &o.Date, store: &o.Store, sku: &o.SKU, quantity: &o.Quantity,
		storeConst: &o.StoreConst, skuConst: &o.SKUConst, dateFormat: &o.DateFormat}, nil)
	fs.Func("negative", "negative quantities: allow (default), clip (to 0) or refuse", func(s string) error {
		p, err := ingest.ParseNegativePolicy(s)
		o.Negative = p
		return err
	})
	return o
}

// layoutTargets are where the layout flags of a command go.
type layoutTargets struct {
	date, store, sku, quantity, storeConst, skuConst, dateFormat *string
}

// layoutFlags registers the flags that name a sales file's columns and
// date format, the upload's query parameters of the same names, with one
// spelling and help for train, features and import; help replaces the
// help of the flags it names (import's wide layout reads other columns).
func layoutFlags(fs *flag.FlagSet, t layoutTargets, help map[string]string) {
	for _, f := range []struct {
		name string
		p    *string
		help string
	}{
		{"date", t.date, "the file's date column (default: date)"},
		{"store", t.store, "the file's store column (default: store)"},
		{"sku", t.sku, "the file's SKU column (default: sku)"},
		{"quantity", t.quantity, "the file's quantity column (default: quantity)"},
		{"store-const", t.storeConst, "the store of every row, for a file without a store column"},
		{"sku-const", t.skuConst, "the SKU of every row, for a file without a SKU column"},
		{"date-format", t.dateFormat, "strftime date format, e.g. %d/%m/%Y (default: detected)"},
	} {
		h := f.help
		if o, ok := help[f.name]; ok {
			h = o
		}
		fs.StringVar(f.p, f.name, "", h)
	}
}
