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
	fs.StringVar(&o.Date, "date", "", "the file's date column (default: date)")
	fs.StringVar(&o.Store, "store", "", "the file's store column (default: store)")
	fs.StringVar(&o.SKU, "sku", "", "the file's SKU column (default: sku)")
	fs.StringVar(&o.Quantity, "quantity", "", "the file's quantity column (default: quantity)")
	fs.StringVar(&o.StoreConst, "store-const", "", "the store of every row, for a file without a store column")
	fs.StringVar(&o.SKUConst, "sku-const", "", "the SKU of every row, for a file without a SKU column")
	fs.StringVar(&o.DateFormat, "date-format", "", "strftime date format, e.g. %d/%m/%Y (default: detected)")
	fs.Func("negative", "negative quantities: allow (default), clip (to 0) or refuse", func(s string) error {
		p, err := ingest.ParseNegativePolicy(s)
		o.Negative = p
		return err
	})
	return o
}
