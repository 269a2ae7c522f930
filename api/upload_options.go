package api

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/jobs"
)

// Query parameters of POST /v1/sales and /v1/covariates that say how the
// file is laid out (ingest.Options): the column mapping, constants for a
// key the file lacks, the date format and the negative policy. The
// `forecastd` flags of the same names (dashes for underscores) set the
// same options.
const (
	paramDate       = "date"
	paramStore      = "store"
	paramSKU        = "sku"
	paramQuantity   = "quantity"
	paramStoreConst = "store_const"
	paramSKUConst   = "sku_const"
	paramDateFormat = "date_format"
	paramNegative   = "negative"
	// paramAttributes lists text columns read as series attributes.
	paramAttributes = "attributes"
)

// uploadOptions reads the layout parameters of an upload of sales (sales
// true) or covariates, or answers 400 naming the parameter at fault.
func uploadOptions(c *gin.Context, sales bool) (*ingest.Options, bool) {
	q := c.Request.URL.Query()
	o := &ingest.Options{
		Date: q.Get(paramDate), Store: q.Get(paramStore), SKU: q.Get(paramSKU), Quantity: q.Get(paramQuantity),
		StoreConst: q.Get(paramStoreConst), SKUConst: q.Get(paramSKUConst), DateFormat: q.Get(paramDateFormat),
		Negative: ingest.NegativePolicy(q.Get(paramNegative)),
	}
	if q.Has(paramAttributes) {
		o.Attributes = strings.Split(q.Get(paramAttributes), ",")
	}
	if !sales && q.Has(paramNegative) {
		problem(c, http.StatusBadRequest, "negative: applies to sales uploads (a covariate upload has no quantity)")
		return nil, false
	}
	if ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); ct != "text/csv" {
		for _, p := range []string{paramDate, paramStore, paramSKU, paramQuantity, paramAttributes} {
			if q.Has(p) {
				problem(c, http.StatusBadRequest, p+": names a CSV column; NDJSON objects use the field names date, store, sku, quantity")
				return nil, false
			}
		}
	}
	if err := o.Validate(sales); err != nil {
		problem(c, http.StatusBadRequest, err.Error())
		return nil, false
	}
	return o, true
}

// uploadParsers are the parsers of one upload, set up by its query
// parameters, and the report of the one that ran.
type uploadParsers struct {
	csv, ndjson func(io.Reader, func(data.Observation) error) error
	report      ingest.Report
}

// newUploadParsers returns the parsers of an upload of sales (sales true)
// or covariates, or answers 400 when its parameters are bad. A body whose
// dates need a second pass is spooled under dataDir when it is a
// directory (the system's temporary directory is often in memory).
func newUploadParsers(c *gin.Context, sales bool, dataDir string) (*uploadParsers, bool) {
	o, ok := uploadOptions(c, sales)
	if !ok {
		return nil, false
	}
	if fi, err := os.Stat(dataDir); err == nil && fi.IsDir() {
		o.TempDir = dataDir
	}
	csvParse, ndjsonParse := ingest.ParseCSVWith, ingest.ParseNDJSONWith
	if !sales {
		csvParse, ndjsonParse = ingest.ParseCovariatesCSVWith, ingest.ParseCovariatesNDJSONWith
	}
	p := &uploadParsers{}
	keep := func(parse func(io.Reader, *ingest.Options, func(data.Observation) error) (*ingest.Report, error)) func(io.Reader, func(data.Observation) error) error {
		return func(r io.Reader, fn func(data.Observation) error) error {
			rep, err := parse(r, o, fn)
			if rep != nil {
				p.report = *rep
			}
			return err
		}
	}
	p.csv, p.ndjson = keep(csvParse), keep(ndjsonParse)
	return p, true
}

// uploadResult is the answer to an upload: what was stored and how the
// file was read.
type uploadResult struct {
	sqlstore.IngestStats
	ingest.Report
	// Accuracy is what scoring the kept forecasts on the uploaded sales
	// did (sales uploads only).
	Accuracy *jobs.ScoreReport `json:"accuracy,omitempty"`
}

// csvHeaderHint is the header an upload wants, for the 415 message.
func csvHeaderHint(sales bool) string {
	if sales {
		return "date,store,sku,quantity (or name the columns: " + strings.Join([]string{paramDate, paramStore, paramSKU, paramQuantity}, "=, ") + "=)"
	}
	return fmt.Sprintf("date,store,sku and covariate columns (e.g. promo; or name the columns: %s=, %s=, %s=)", paramDate, paramStore, paramSKU)
}
