package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/forecastd/forecastd/data"
)

// keyBounds is the SQL of f's key range (After, Through], its arguments
// appended to args. Row values, so that both engines seek the (store,
// sku, ts) index to the range rather than scan it.
func keyBounds(f SeriesFilter, args *[]any) []string {
	var where []string
	if f.After != nil {
		*args = append(*args, f.After.Store, f.After.SKU)
		n := len(*args)
		where = append(where, fmt.Sprintf("(store, sku) > ($%d, $%d)", n-1, n))
	}
	if f.Through != nil {
		*args = append(*args, f.Through.Store, f.Through.SKU)
		n := len(*args)
		where = append(where, fmt.Sprintf("(store, sku) <= ($%d, $%d)", n-1, n))
	}
	return where
}

// Staged is one series' result for StageResults: the records
// StageResult takes.
type Staged struct {
	Key          data.Key
	Body, Models []byte
	// Vintage, when set, is what the published result keeps as a
	// vintage (StageResultVintage); nil stages no vintage.
	Vintage *VintageMeta
}

// StageResults stages the results of several series of a job in one
// transaction, each as StageResult would: a streamed job writes a batch
// of results with one commit (one fsync on SQLite) instead of one per
// series.
func (s *Store) StageResults(ctx context.Context, jobID string, rows []Staged) error {
	if len(rows) == 0 {
		return nil
	}
	return inTx(ctx, s.db, "stage results", func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO staged_results (job_id, store, sku, body, models, cutoff, first_ts, last_ts, scale, backtest_wape)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (job_id, store, sku) DO UPDATE SET body = excluded.body, models = excluded.models, cutoff = excluded.cutoff,
		first_ts = excluded.first_ts, last_ts = excluded.last_ts, scale = excluded.scale, backtest_wape = excluded.backtest_wape`)
		if err != nil {
			return fmt.Errorf("data: stage results: %w", err)
		}
		defer func() { _ = st.Close() }() // closed with the transaction anyway
		for _, r := range rows {
			var cutoff, first, last, scale, bt any // NULL: no vintage
			if m := r.Vintage; m != nil {
				cutoff, first, last, scale, bt = m.Cutoff.Unix(), m.First.Unix(), m.Last.Unix(), nullNaN(m.Scale), nullNaN(m.BacktestWAPE)
			}
			if _, err := st.ExecContext(ctx, jobID, r.Key.Store, r.Key.SKU, string(r.Body), string(r.Models), cutoff, first, last, scale, bt); err != nil {
				return fmt.Errorf("data: stage result %s: %w", r.Key, err)
			}
		}
		return nil
	})
}

// ListKeys returns, in key order, up to limit keys of stored series
// after after (nil: from the first) that f's store and SKU lists select
// (f's own range is replaced). It seeks the sales index from after, so a
// job pages through its series in time proportional to the page, not to
// the table; a filter list longer than the SQL takes is applied while
// reading, reading on until the page is full.
func (s *Store) ListKeys(ctx context.Context, f SeriesFilter, after *data.Key, limit int) (_ []data.Key, err error) {
	f.After, f.Through = after, nil
	w, args := filterWhere(f)
	q := `SELECT DISTINCT store, sku FROM sales` + w + ` ORDER BY store, sku`
	if !longFilter(f) {
		args = append(args, limit)
		q += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("data: list keys: %w", err)
	}
	defer closeRows(rows, &err)
	var out []data.Key
	for len(out) < limit && rows.Next() {
		var k data.Key
		if err := rows.Scan(&k.Store, &k.SKU); err != nil {
			return nil, fmt.Errorf("data: list keys: %w", err)
		}
		if f.Match(k) {
			out = append(out, k)
		}
	}
	return out, rows.Err()
}

// longFilter reports whether part of f is applied by Match while reading
// rather than by SQL (a list too long for SQL, or Keys), so that a LIMIT
// in SQL would count rows Match then drops.
func longFilter(f SeriesFilter) bool {
	return len(f.Stores) > maxInList || len(f.SKUs) > maxInList || len(f.Keys) > 0
}
