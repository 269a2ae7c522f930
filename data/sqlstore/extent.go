package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/forecastd/forecastd/data"
)

// Extent is what loading one series would materialise, read from the
// store's indexes without loading it: a reader checks it against its
// budget first.
type Extent struct {
	// Rows is the number of sales rows; Planned the planned values.
	Rows, Planned int64
	// First and Last are the dates of the first and last sale.
	First, Last time.Time
	// MinStep is the smallest gap between two sales (zero with one sale):
	// the series' frequency is no finer.
	MinStep time.Duration
	// Covariates bounds the covariates of the assembled series from
	// above: the most names one sale records, plus the planned names.
	Covariates int64
}

// Points bounds the values the assembled series holds: every step of
// the finest frequency MinStep allows (hourly at the finest) from First
// to Last, times the quantity and each covariate, plus the planned
// values.
func (e Extent) Points() int64 {
	if e.Rows == 0 {
		return e.Planned
	}
	// In seconds: a span of centuries overflows a time.Duration.
	step := int64(max(e.MinStep, time.Hour) / time.Second)
	steps := (e.Last.Unix()-e.First.Unix())/step + 1
	return steps*(1+e.Covariates) + e.Planned
}

// SeriesExtent returns the extent of the series k (a zero Extent when it
// has no sales and no plan).
func (s *Store) SeriesExtent(ctx context.Context, k data.Key) (Extent, error) {
	var e Extent
	var lo, hi, step, names int64
	// The covariates column holds a JSON object per sale: its colons
	// bound the number of names from above (a colon inside a name only
	// overcounts), which is what a budget needs.
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MIN(ts), 0), COALESCE(MAX(ts), 0),
		COALESCE(MAX(LENGTH(covariates) - LENGTH(REPLACE(covariates, ':', ''))), 0)
		FROM sales WHERE store = $1 AND sku = $2`, k.Store, k.SKU).Scan(&e.Rows, &lo, &hi, &names)
	if err != nil {
		return e, fmt.Errorf("data: extent of %s: %w", k, err)
	}
	if e.Rows > 1 {
		err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MIN(d), 0) FROM
			(SELECT ts - LAG(ts) OVER (ORDER BY ts) AS d FROM sales WHERE store = $1 AND sku = $2) gaps`,
			k.Store, k.SKU).Scan(&step)
		if err != nil {
			return e, fmt.Errorf("data: extent of %s: %w", k, err)
		}
	}
	var planned int64
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT name) FROM planned_covariates
		WHERE store = $1 AND sku = $2`, k.Store, k.SKU).Scan(&e.Planned, &planned)
	if err != nil {
		return e, fmt.Errorf("data: extent of %s: %w", k, err)
	}
	e.First, e.Last = time.Unix(lo, 0).UTC(), time.Unix(hi, 0).UTC()
	e.MinStep = time.Duration(step) * time.Second
	e.Covariates = names + planned
	return e, nil
}
