package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"
)

// Planned covariates are covariate values known before the sales they
// explain: a promotion calendar, a price list, store opening hours. They
// are uploaded apart from sales (IngestCovariates), usually for dates
// after the last sale, and LoadSeries merges them into Series.Covariates:
// a forecast may use a covariate only where its future is known, so the
// columns run past the history with the planned values.
//
// They live in their own table, one row per (store, sku, date, name),
// rather than as sales rows without a quantity: a sales row is a fact
// about demand (no row means zero sold), a plan is not, and keeping them
// apart leaves every count, date range and series length of the sales
// untouched by plans.

// MaxPlanSteps bounds how far past a series' last sale LoadSeries extends
// its covariate columns with planned values: the longest horizon a job
// may ask for (forecast.MaxHorizon). Values further ahead stay stored and
// come into range as sales arrive; without the bound one far-future date
// would make every column of the series that long.
const MaxPlanSteps = 1000

// IngestCovariates writes the planned covariate values that parse
// produces (ParseCovariatesCSV or ParseCovariatesNDJSON), with the
// contract of Ingest: all or nothing, staged in a temporary table, and a
// value given twice for the same (store, sku, date, covariate) in one
// upload refuses the upload with both lines named. A stored value with
// the same key is replaced; values of other covariates are kept, so a
// price list and a promotion calendar can be uploaded separately. Rows
// may name series that have no sales yet: they wait for them.
func (s *Store) IngestCovariates(ctx context.Context, parse func(fn func(Observation) error) error) (IngestStats, error) {
	return s.ingestStaged(ctx, staging{
		what:  "ingest covariates",
		table: "upload_plan",
		columns: `line BIGINT NOT NULL, store TEXT NOT NULL, sku TEXT NOT NULL, ts BIGINT NOT NULL,
		name TEXT NOT NULL, value DOUBLE PRECISION NOT NULL`,
		insert: `INSERT INTO upload_plan (line, store, sku, ts, name, value) VALUES `,
		cols:   6,
		stage: func(ctx context.Context, o Observation, ins *batchInsert) error {
			for _, name := range sortedKeys(o.Covariates) {
				if err := ins.add(ctx, o.Line, o.Key.Store, o.Key.SKU, o.Date.Unix(), name, o.Covariates[name]); err != nil {
					return err
				}
			}
			return nil
		},
		duplicates: duplicatePlanValues,
		merge: `INSERT INTO planned_covariates (store, sku, ts, name, value)
		SELECT store, sku, ts, name, value FROM upload_plan WHERE true
		ON CONFLICT (store, sku, ts, name) DO UPDATE SET value = excluded.value`,
	}, parse)
}

// duplicatePlanValues reports a covariate given twice for the same key and
// date in the staged upload.
func duplicatePlanValues(ctx context.Context, tx *sql.Tx) error {
	rs, err := tx.QueryContext(ctx, `SELECT store, sku, ts, name, MIN(line), MAX(line) FROM upload_plan
		GROUP BY store, sku, ts, name HAVING COUNT(*) > 1 ORDER BY MAX(line), name LIMIT $1`, MaxRowErrors+1)
	if err != nil {
		return fmt.Errorf("data: ingest covariates: %w", err)
	}
	defer rs.Close()
	pe := ParseError{Subject: planUpload.subject()}
	for rs.Next() {
		var st, sku, name string
		var ts, first, second int64
		if err := rs.Scan(&st, &sku, &ts, &name, &first, &second); err != nil {
			return fmt.Errorf("data: ingest covariates: %w", err)
		}
		if len(pe.Errors) == MaxRowErrors {
			pe.More = true
			break
		}
		pe.Errors = append(pe.Errors, RowError{Line: int(second), Column: name, Reason: fmt.Sprintf(
			"duplicate of line %d: store %q, sku %q, date %s appear twice in one upload",
			first, st, sku, time.Unix(ts, 0).UTC().Format(DateTimeLayout))})
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
func (f PlanFilter) where(k Key) (string, []any) {
	from, until := int64(math.MinInt64), int64(math.MaxInt64)
	if !f.From.IsZero() {
		from = f.From.Unix()
	}
	if !f.Until.IsZero() {
		until = f.Until.Unix()
	}
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
func knownSeries(ctx context.Context, q querier, k Key) error {
	var n int
	err := q.QueryRowContext(ctx, `SELECT CASE WHEN EXISTS (SELECT 1 FROM sales WHERE store = $1 AND sku = $2)
		OR EXISTS (SELECT 1 FROM planned_covariates WHERE store = $1 AND sku = $2) THEN 1 ELSE 0 END`,
		k.Store, k.SKU).Scan(&n)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("series %s: no sales and no planned covariates: %w", k, ErrNotFound)
	}
	return nil
}

// Plan streams the planned values of series k that f selects to fn,
// ordered by covariate name, then date. It returns ErrNotFound, without
// calling fn, when k has neither sales nor planned values; a known series
// with nothing planned calls fn never and returns nil. Rows stream from
// the database, so memory does not grow with the plan.
func (s *Store) Plan(ctx context.Context, k Key, f PlanFilter, fn func(PlannedValue) error) error {
	w, args := f.where(k)
	rows, err := s.db.QueryContext(ctx, `SELECT name, ts, value FROM planned_covariates`+w+` ORDER BY name, ts`, args...)
	if err != nil {
		return fmt.Errorf("data: read plan of %s: %w", k, err)
	}
	defer rows.Close()
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
func (s *Store) DeletePlan(ctx context.Context, k Key, f PlanFilter) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("data: delete plan of %s: %w", k, err)
	}
	defer tx.Rollback()
	if err := knownSeries(ctx, tx, k); err != nil {
		if errors.Is(err, ErrNotFound) {
			return 0, err
		}
		return 0, fmt.Errorf("data: delete plan of %s: %w", k, err)
	}
	w, args := f.where(k)
	res, err := tx.ExecContext(ctx, `DELETE FROM planned_covariates`+w, args...)
	if err != nil {
		return 0, fmt.Errorf("data: delete plan of %s: %w", k, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("data: delete plan of %s: %w", k, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("data: delete plan of %s commit: %w", k, err)
	}
	return n, nil
}

// AddPlanned merges planned covariate values (Observations whose
// Quantity is ignored, as the covariate parsers make them) into s's
// covariate columns, leaving Values as they are:
//
//   - after the last point, a column is extended to the last planned
//     date (at most MaxPlanSteps past it), NaN where nothing is planned;
//   - within the history, a plan fills a value the sales rows lack (a
//     promotion calendar uploaded once, sales exported without it), but
//     a value recorded with the sale wins: it is what happened;
//   - dates before the first point, or off the series' grid (13:30 on
//     an hourly series), are ignored: they name no step.
func (s *Series) AddPlanned(plan []Observation) {
	for _, o := range plan {
		for name, v := range o.Covariates {
			s.setPlanned(o.Date, name, v)
		}
	}
}

func (s *Series) setPlanned(date time.Time, name string, v float64) {
	if date.Before(s.Start) || math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	i, ok := s.Freq.Steps(s.Start, date)
	n := len(s.Values)
	if !ok || i < 0 || i >= n+MaxPlanSteps {
		return
	}
	col, have := s.Covariates[name]
	if !have {
		col = make([]float64, n, max(n, i+1))
		for j := range col {
			col[j] = nan
		}
	}
	if i < n && !math.IsNaN(col[i]) {
		return
	}
	for len(col) <= i {
		col = append(col, nan)
	}
	col[i] = v
	if s.Covariates == nil {
		s.Covariates = map[string][]float64{}
	}
	s.Covariates[name] = col
}
