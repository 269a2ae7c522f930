package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/forecastd/forecastd/data"
)

// Series attributes (issue 18): constant properties of a series (an
// M5-style dept or category, a store's state), one row per series and
// name, by which reconciliation groups series into more levels. They may
// arrive before the sales, like a plan, and leave with the series.
var attributeMigrations = [...]string{
	`CREATE TABLE series_attributes (
		store TEXT NOT NULL,
		sku TEXT NOT NULL,
		name TEXT NOT NULL,
		value TEXT NOT NULL,
		PRIMARY KEY (store, sku, name)
	)`,
}

// upsertAttributes is the statement that writes attribute rows: a new
// value of an attribute replaces the stored one.
const (
	upsertAttributes       = `INSERT INTO series_attributes (store, sku, name, value) VALUES `
	upsertAttributesSuffix = ` ON CONFLICT (store, sku, name) DO UPDATE SET value = excluded.value`
)

// AttributeStats summarises an upload of attributes.
type AttributeStats struct {
	Attributes int `json:"attributes"`
	Series     int `json:"series"`
}

// SetAttributes stores attrs in one transaction, all or nothing: a value
// replaces the stored value of the same series and name, and the
// series' other attributes stay. attrs must not give one series and name
// twice (the parsers refuse that).
func (s *Store) SetAttributes(ctx context.Context, attrs []data.Attribute) (AttributeStats, error) {
	release, err := s.uploadTurn(ctx)
	if err != nil {
		return AttributeStats{}, fmt.Errorf("data: set attributes: %w", err)
	}
	defer release()
	err = inTx(ctx, s.db, "set attributes", func(tx *sql.Tx) error {
		return writeAttributes(ctx, tx, attrs)
	})
	if err != nil {
		return AttributeStats{}, err
	}
	series := map[data.Key]bool{}
	for _, a := range attrs {
		series[a.Key] = true
	}
	return AttributeStats{Attributes: len(attrs), Series: len(series)}, nil
}

func writeAttributes(ctx context.Context, tx *sql.Tx, attrs []data.Attribute) error {
	ins := newBatchInsert(tx, upsertAttributes, 4)
	ins.suffix = upsertAttributesSuffix
	for _, a := range attrs {
		if err := ins.add(ctx, a.Key.Store, a.Key.SKU, a.Name, a.Value); err != nil {
			return fmt.Errorf("data: set attributes: %w", err)
		}
	}
	if err := ins.flush(ctx); err != nil {
		return fmt.Errorf("data: set attributes: %w", err)
	}
	return nil
}

// SeriesAttributes returns the attributes of series k by name (empty,
// not nil, when it has none), or ErrNotFound when k has no sales, plan
// or attributes.
func (s *Store) SeriesAttributes(ctx context.Context, k data.Key) (_ map[string]string, err error) {
	if err := knownSeries(ctx, s.db, k); err != nil {
		return nil, err
	}
	rs, err := s.db.QueryContext(ctx, `SELECT name, value FROM series_attributes WHERE store = $1 AND sku = $2 ORDER BY name`, k.Store, k.SKU)
	if err != nil {
		return nil, fmt.Errorf("data: attributes of %s: %w", k, err)
	}
	defer closeRows(rs, &err)
	out := map[string]string{}
	for rs.Next() {
		var n, v string
		if err := rs.Scan(&n, &v); err != nil {
			return nil, fmt.Errorf("data: attributes of %s: %w", k, err)
		}
		out[n] = v
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("data: attributes of %s: %w", k, err)
	}
	return out, nil
}

// AttributesOf returns the attributes of the series keys (those that
// have any), by key and name: what a reconciled job groups its series
// by. It reads the table in one pass, which holds a row per series and
// name.
func (s *Store) AttributesOf(ctx context.Context, keys []data.Key) (_ map[data.Key]map[string]string, err error) {
	want := make(map[data.Key]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	rs, err := s.db.QueryContext(ctx, `SELECT store, sku, name, value FROM series_attributes`)
	if err != nil {
		return nil, fmt.Errorf("data: attributes: %w", err)
	}
	defer closeRows(rs, &err)
	out := map[data.Key]map[string]string{}
	for rs.Next() {
		var k data.Key
		var n, v string
		if err := rs.Scan(&k.Store, &k.SKU, &n, &v); err != nil {
			return nil, fmt.Errorf("data: attributes: %w", err)
		}
		if !want[k] {
			continue
		}
		if out[k] == nil {
			out[k] = map[string]string{}
		}
		out[k][n] = v
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("data: attributes: %w", err)
	}
	return out, nil
}
