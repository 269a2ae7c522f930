package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
)

// IngestCovariates writes the planned covariate values that parse
// produces (ParseCovariatesCSV or ParseCovariatesNDJSON), with the
// contract of Ingest: all or nothing, staged in a temporary table, and a
// value given twice for the same (store, sku, date, covariate) in one
// upload refuses the upload with both lines named. A stored value with
// the same key is replaced; values of other covariates are kept, so a
// price list and a promotion calendar can be uploaded separately. Rows
// may name series that have no sales yet: they wait for them.
func (s *Store) IngestCovariates(ctx context.Context, parse func(fn func(data.Observation) error) error) (IngestStats, error) {
	return s.ingestStaged(ctx, staging{
		what:    "ingest covariates",
		subject: ingest.PlanSubject,
		table:   "upload_plan",
		columns: `line BIGINT NOT NULL, store TEXT NOT NULL, sku TEXT NOT NULL, ts BIGINT NOT NULL,
		name TEXT NOT NULL, value DOUBLE PRECISION NOT NULL`,
		insert: `INSERT INTO upload_plan (line, store, sku, ts, name, value) VALUES `,
		cols:   6,
		stage: func(ctx context.Context, o data.Observation, ins *batchInsert) error {
			for _, name := range slices.Sorted(maps.Keys(o.Covariates)) {
				if err := ins.add(ctx, o.Line, o.Key.Store, o.Key.SKU, o.Date.Unix(), name, o.Covariates[name]); err != nil {
					return err
				}
			}
			return nil
		},
		duplicates: duplicatePlanValues,
		prepare:    preparePlan,
		check:      checkPlan,
		merge: `INSERT INTO planned_covariates (store, sku, ts, name, value)
		SELECT store, sku, ts, name, value FROM upload_plan WHERE true
		ON CONFLICT (store, sku, ts, name) DO UPDATE SET value = excluded.value`,
	}, parse)
}

// duplicatePlanValues reports a covariate given twice for the same key and
// date in the staged upload.
func duplicatePlanValues(ctx context.Context, q dbtx) (err error) {
	rs, err := q.QueryContext(ctx, `SELECT store, sku, ts, name, MIN(line), MAX(line) FROM upload_plan
		GROUP BY store, sku, ts, name HAVING COUNT(*) > 1 ORDER BY MAX(line), name LIMIT $1`, ingest.MaxRowErrors+1)
	if err != nil {
		return fmt.Errorf("data: ingest covariates: %w", err)
	}
	defer closeRows(rs, &err)
	pe := ingest.ParseError{Subject: ingest.PlanSubject}
	for rs.Next() {
		var st, sku, name string
		var ts, first, second int64
		if err := rs.Scan(&st, &sku, &ts, &name, &first, &second); err != nil {
			return fmt.Errorf("data: ingest covariates: %w", err)
		}
		if len(pe.Errors) == ingest.MaxRowErrors {
			pe.More = true
			break
		}
		pe.Errors = append(pe.Errors, ingest.RowError{Line: int(second), Column: name, Reason: fmt.Sprintf(
			"duplicate of line %d: store %q, sku %q, date %s appear twice in one upload",
			first, st, sku, time.Unix(ts, 0).UTC().Format(ingest.DateTimeLayout))})
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("data: ingest covariates: %w", err)
	}
	if len(pe.Errors) > 0 {
		return &pe
	}
	return nil
}

// CountPlannedCovariates returns the number of stored planned values.
func (s *Store) CountPlannedCovariates(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM planned_covariates`).Scan(&n); err != nil {
		return 0, fmt.Errorf("data: count planned covariates: %w", err)
	}
	return n, nil
}

// PlannedValue is one stored planned covariate value.
type PlannedValue struct {
	Name  string
	Date  time.Time
	Value float64
}

// PlanFilter selects the planned values of a series. The zero value
// selects them all.
type PlanFilter struct {
	// Name selects one covariate, as stored (names are trimmed and
	// lower-cased on upload); empty selects every covariate.
	Name string
	// From and Until bound the dates to [From, Until); a zero time leaves
	// that side open.
	From, Until time.Time
}

// where is the filter as SQL conditions on planned_covariates for the
// series k, with the arguments $1 to $5.
func (f PlanFilter) where(k data.Key) (string, []any) {
	from, until := DateRange{From: f.From, Until: f.Until}.bounds()
	return ` WHERE store = $1 AND sku = $2 AND ($3 = '' OR name = $3) AND ts >= $4 AND ts < $5`,
		[]any{k.Store, k.SKU, f.Name, from, until}
}

// querier is what a series' existence check needs: the pool or a
// transaction.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// knownSeries returns ErrNotFound, wrapped, when k has neither sales nor
// planned values: plans may wait for sales, so a series that has only a
// plan is known and its plan can be read and deleted.
func knownSeries(ctx context.Context, q querier, k data.Key) error {
	var n int
	err := q.QueryRowContext(ctx, `SELECT CASE WHEN EXISTS (SELECT 1 FROM sales WHERE store = $1 AND sku = $2)
		OR EXISTS (SELECT 1 FROM planned_covariates WHERE store = $1 AND sku = $2)
		OR EXISTS (SELECT 1 FROM series_attributes WHERE store = $1 AND sku = $2) THEN 1 ELSE 0 END`,
		k.Store, k.SKU).Scan(&n)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("series %s: no sales, planned covariates or attributes: %w", k, ErrNotFound)
	}
	return nil
}

// Plan streams the planned values of series k that f selects to fn,
// ordered by covariate name, then date. It returns ErrNotFound, without
// calling fn, when k has neither sales nor planned values; a known series
// with nothing planned calls fn never and returns nil. Rows stream from
// the database, so memory does not grow with the plan.
func (s *Store) Plan(ctx context.Context, k data.Key, f PlanFilter, fn func(PlannedValue) error) (err error) {
	w, args := f.where(k)
	rows, err := s.db.QueryContext(ctx, `SELECT name, ts, value FROM planned_covariates`+w+` ORDER BY name, ts`, args...)
	if err != nil {
		return fmt.Errorf("data: read plan of %s: %w", k, err)
	}
	defer closeRows(rows, &err)
	found := false
	for rows.Next() {
		var v PlannedValue
		var ts int64
		if err := rows.Scan(&v.Name, &ts, &v.Value); err != nil {
			return fmt.Errorf("data: read plan of %s: %w", k, err)
		}
		v.Date = time.Unix(ts, 0).UTC()
		found = true
		if err := fn(v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("data: read plan of %s: %w", k, err)
	}
	if found {
		return nil
	}
	// Nothing selected: tell an unknown series from an empty selection.
	// Outside a transaction, which on SQLite would take the write lock
	// (_txlock=immediate) for a read.
	if err := knownSeries(ctx, s.db, k); err != nil {
		if errors.Is(err, ErrNotFound) {
			return err
		}
		return fmt.Errorf("data: read plan of %s: %w", k, err)
	}
	return nil
}

// DeletePlan deletes the planned values of series k that f selects, in
// one transaction, and returns how many it deleted. It returns
// ErrNotFound when k has neither sales nor planned values. Published
// forecasts are not changed: the next job reads the plan as it is then.
func (s *Store) DeletePlan(ctx context.Context, k data.Key, f PlanFilter) (int64, error) {
	var n int64
	err := inTx(ctx, s.db, "delete plan of "+k.String(), func(tx *sql.Tx) error {
		if err := knownSeries(ctx, tx, k); err != nil {
			if errors.Is(err, ErrNotFound) {
				return err
			}
			return fmt.Errorf("data: delete plan of %s: %w", k, err)
		}
		w, args := f.where(k)
		res, err := tx.ExecContext(ctx, `DELETE FROM planned_covariates`+w, args...)
		if err != nil {
			return fmt.Errorf("data: delete plan of %s: %w", k, err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return fmt.Errorf("data: delete plan of %s: %w", k, err)
		}
		return nil
	})
	return n, err
}

// SeriesDeleted counts what DeleteSeries removed.
type SeriesDeleted struct {
	Sales             int64 `json:"sales"`
	PlannedCovariates int64 `json:"planned_covariates"`
	Forecasts         int64 `json:"forecasts"`
	// Vintages counts the kept vintages deleted, with their scores on
	// arrived actuals, so a deleted series leaves the accuracy ranking.
	Vintages int64 `json:"vintages"`
	// ScoredSteps counts the forecast steps that had been scored against
	// sales deleted by a date range. The series' judgement goes with
	// them, and the scorer judges it again on the sales that are left
	// (the deleted dates are queued as arrivals), so accuracy never rests
	// on sales that are no longer stored.
	ScoredSteps int64 `json:"scored_steps"`
	// Attributes counts the series attributes deleted.
	Attributes int64 `json:"attributes"`
}

// DeleteSeries removes series k in one transaction: with the zero
// DateRange its sales, planned covariates and published forecast (and
// results staged for it by running jobs, which would otherwise publish
// it again); with a range, only the sales dated in it and the scores of
// forecast steps on those dates, leaving the plan and the published
// forecast as they are. It returns ErrNotFound when k has neither sales
// nor planned values.
func (s *Store) DeleteSeries(ctx context.Context, k data.Key, r DateRange) (SeriesDeleted, error) {
	var d SeriesDeleted
	what := "delete series " + k.String()
	err := inTx(ctx, s.db, what, func(tx *sql.Tx) error {
		d = SeriesDeleted{}
		if err := knownSeries(ctx, tx, k); err != nil {
			if errors.Is(err, ErrNotFound) {
				return err
			}
			return fmt.Errorf("data: %s: %w", what, err)
		}
		del := func(n *int64, q string, args ...any) error {
			res, err := tx.ExecContext(ctx, q, args...)
			if err == nil {
				*n, err = res.RowsAffected()
			}
			if err != nil {
				return fmt.Errorf("data: %s: %w", what, err)
			}
			return nil
		}
		from, until := r.bounds()
		if err := del(&d.Sales, `DELETE FROM sales WHERE store = $1 AND sku = $2 AND ts >= $3 AND ts < $4`, k.Store, k.SKU, from, until); err != nil {
			return err
		}
		if !r.IsZero() {
			return unscoreRange(ctx, tx, k, from, until, del, &d.ScoredSteps)
		}
		if err := del(&d.PlannedCovariates, `DELETE FROM planned_covariates WHERE store = $1 AND sku = $2`, k.Store, k.SKU); err != nil {
			return err
		}
		if err := del(&d.Forecasts, `DELETE FROM results WHERE store = $1 AND sku = $2`, k.Store, k.SKU); err != nil {
			return err
		}
		var staged int64
		if err := del(&staged, `DELETE FROM staged_results WHERE store = $1 AND sku = $2`, k.Store, k.SKU); err != nil {
			return err
		}
		if err := del(&d.Vintages, `DELETE FROM vintages WHERE store = $1 AND sku = $2`, k.Store, k.SKU); err != nil {
			return err
		}
		if err := del(&d.Attributes, `DELETE FROM series_attributes WHERE store = $1 AND sku = $2`, k.Store, k.SKU); err != nil {
			return err
		}
		for _, table := range []string{"vintage_steps", "accuracy_arrivals", "series_accuracy", "drift_retrains"} {
			var n int64
			if err := del(&n, `DELETE FROM `+table+` WHERE store = $1 AND sku = $2`, k.Store, k.SKU); err != nil {
				return err
			}
		}
		return nil
	})
	return d, err
}

// unscoreRange deletes the scored steps of k dated in [from, until). When
// there were any, the series' judgement, which may rest on them, is
// deleted too, and every date k had scored is queued as an arrival: the
// scorer then scores all of k's vintages again on the sales left and
// judges the series anew on the newest it can (queueing only the deleted
// dates would rescore only the vintages covering them, and could judge
// the series on an older vintage than the one it was judged on).
func unscoreRange(ctx context.Context, tx *sql.Tx, k data.Key, from, until int64, del func(*int64, string, ...any) error, n *int64) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO accuracy_arrivals (store, sku, ts)
		SELECT DISTINCT store, sku, ts FROM vintage_steps WHERE store = $1 AND sku = $2
			AND EXISTS (SELECT 1 FROM vintage_steps WHERE store = $1 AND sku = $2 AND ts >= $3 AND ts < $4)
		ON CONFLICT (store, sku, ts) DO NOTHING`, k.Store, k.SKU, from, until); err != nil {
		return fmt.Errorf("data: delete series %s: requeue scored dates: %w", k, err)
	}
	if err := del(n, `DELETE FROM vintage_steps WHERE store = $1 AND sku = $2 AND ts >= $3 AND ts < $4`, k.Store, k.SKU, from, until); err != nil {
		return err
	}
	if *n == 0 {
		return nil
	}
	var judged int64
	return del(&judged, `DELETE FROM series_accuracy WHERE store = $1 AND sku = $2`, k.Store, k.SKU)
}

// DateRange selects dates, [From, Until); a zero time leaves
// that side open.
type DateRange struct {
	From, Until time.Time
}

// IsZero reports whether r selects every date.
func (r DateRange) IsZero() bool { return r.From.IsZero() && r.Until.IsZero() }

// bounds are r's bounds in Unix seconds.
func (r DateRange) bounds() (from, until int64) {
	from, until = math.MinInt64, math.MaxInt64
	if !r.From.IsZero() {
		from = r.From.Unix()
	}
	if !r.Until.IsZero() {
		until = r.Until.Unix()
	}
	return from, until
}
