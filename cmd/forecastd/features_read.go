package main

import (
	"context"
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
func readUploadFile(ctx context.Context, path string) (*ingest.Upload, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer func() { _ = f.Close() }() // read-only
		r = f
	}
	up, err := ingest.ReadUpload(ctx, r, min(runtime.GOMAXPROCS(0), 4))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if up.Rows == 0 {
		return nil, fmt.Errorf("%s: no rows after the header", path)
	}
	return up, nil
}
