package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/forecastd/forecastd/data"
)

// Forecast vintages (issue 19): every published forecast is kept, with
// its job, the served body (models, intervals) and its data cut-off,
// until a series has more than its retention of them. Sales that arrive
// for dates a vintage covered are noted in accuracy_arrivals by the
// upload's own transaction; the scorer (package jobs) drains them,
// writing the realized steps of each vintage (vintage_steps) and the
// series' latest judgement (series_accuracy), which the accuracy
// endpoints read without touching the vintages themselves.
var vintageMigrations = [...]string{
	// What a vintage needs beyond the result, staged with it.
	`ALTER TABLE staged_results ADD COLUMN cutoff BIGINT`,
	`ALTER TABLE staged_results ADD COLUMN first_ts BIGINT`,
	`ALTER TABLE staged_results ADD COLUMN last_ts BIGINT`,
	`ALTER TABLE staged_results ADD COLUMN scale DOUBLE PRECISION`,
	`ALTER TABLE staged_results ADD COLUMN backtest_wape DOUBLE PRECISION`,
	`CREATE TABLE vintages (
		store TEXT NOT NULL,
		sku TEXT NOT NULL,
		job_id TEXT NOT NULL,
		published_at BIGINT NOT NULL,
		cutoff BIGINT NOT NULL,
		first_ts BIGINT NOT NULL,
		last_ts BIGINT NOT NULL,
		scale DOUBLE PRECISION,
		backtest_wape DOUBLE PRECISION,
		body TEXT NOT NULL,
		PRIMARY KEY (store, sku, job_id)
	)`,
	`CREATE INDEX vintages_cutoff ON vintages (store, sku, cutoff)`,
	`CREATE TABLE vintage_steps (
		store TEXT NOT NULL,
		sku TEXT NOT NULL,
		job_id TEXT NOT NULL,
		step INTEGER NOT NULL,
		ts BIGINT NOT NULL,
		forecast DOUBLE PRECISION NOT NULL,
		lower80 DOUBLE PRECISION NOT NULL,
		upper80 DOUBLE PRECISION NOT NULL,
		lower95 DOUBLE PRECISION NOT NULL,
		upper95 DOUBLE PRECISION NOT NULL,
		actual DOUBLE PRECISION NOT NULL,
		PRIMARY KEY (store, sku, job_id, step)
	)`,
	`CREATE TABLE accuracy_arrivals (
		store TEXT NOT NULL,
		sku TEXT NOT NULL,
		ts BIGINT NOT NULL,
		PRIMARY KEY (store, sku, ts)
	)`,
	`CREATE TABLE series_accuracy (
		store TEXT NOT NULL,
		sku TEXT NOT NULL,
		job_id TEXT NOT NULL,
		cutoff BIGINT NOT NULL,
		steps INTEGER NOT NULL,
		covered80 INTEGER NOT NULL,
		wape DOUBLE PRECISION,
		mase DOUBLE PRECISION,
		bias DOUBLE PRECISION,
		coverage80 DOUBLE PRECISION,
		coverage95 DOUBLE PRECISION,
		pinball DOUBLE PRECISION,
		abs_error DOUBLE PRECISION NOT NULL,
		abs_actual DOUBLE PRECISION NOT NULL,
		backtest_wape DOUBLE PRECISION,
		wape_limit DOUBLE PRECISION,
		coverage_p DOUBLE PRECISION,
		judged INTEGER NOT NULL,
		drifting INTEGER NOT NULL,
		reasons TEXT NOT NULL DEFAULT '',
		updated_at BIGINT NOT NULL,
		PRIMARY KEY (store, sku)
	)`,
	// The retraining a drift queued, one per series and vintage judged.
	`CREATE TABLE drift_retrains (
		store TEXT NOT NULL,
		sku TEXT NOT NULL,
		vintage_job_id TEXT NOT NULL,
		job_id TEXT NOT NULL DEFAULT '',
		queued_at BIGINT NOT NULL,
		PRIMARY KEY (store, sku, vintage_job_id)
	)`,
}

// DefaultVintageRetention is how many vintages a series keeps unless
// KeepVintages says otherwise.
const DefaultVintageRetention = 20

// KeepVintages sets how many vintages each series keeps (the newest by
// publication); n < 1 means DefaultVintageRetention. Call it once, before
// jobs publish.
func (s *Store) KeepVintages(n int) { s.vintageKeep = n }

func (s *Store) vintageRetention() int {
	if s.vintageKeep < 1 {
		return DefaultVintageRetention
	}
	return s.vintageKeep
}

// VintageMeta is what a vintage keeps beside the served result: its data
// cut-off (the last sales date trained on), the first and last dates it
// forecasts, the MASE scale of its training history and the backtest
// WAPE its drift is judged against (NaN when it had no backtest).
type VintageMeta struct {
	Cutoff       time.Time
	First        time.Time
	Last         time.Time
	Scale        float64
	BacktestWAPE float64
}

// Vintage is a kept forecast.
type Vintage struct {
	Key         data.Key
	JobID       string
	PublishedAt time.Time
	VintageMeta
	// Body is the result record as it was served.
	Body []byte
}

// StageResultVintage is StageResult for a result that becomes a vintage
// when published.
func (s *Store) StageResultVintage(ctx context.Context, jobID string, k data.Key, body, models []byte, m VintageMeta) error {
	_, err := s.exec(ctx, "stage result "+k.String(), `INSERT INTO staged_results (job_id, store, sku, body, models, cutoff, first_ts, last_ts, scale, backtest_wape)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (job_id, store, sku) DO UPDATE SET body = excluded.body, models = excluded.models, cutoff = excluded.cutoff,
		first_ts = excluded.first_ts, last_ts = excluded.last_ts, scale = excluded.scale, backtest_wape = excluded.backtest_wape`,
		jobID, k.Store, k.SKU, string(body), string(models), m.Cutoff.Unix(), m.First.Unix(), m.Last.Unix(),
		nullNaN(m.Scale), nullNaN(m.BacktestWAPE))
	return err
}

// publishVintages keeps the staged results of job that carry a vintage
// and drops, for the same series, the vintages past the retention (with
// their scored steps), inside PublishResults' transaction.
func (s *Store) publishVintages(ctx context.Context, tx *sql.Tx, jobID string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO vintages (store, sku, job_id, published_at, cutoff, first_ts, last_ts, scale, backtest_wape, body)
		SELECT store, sku, job_id, $1, cutoff, first_ts, last_ts, scale, backtest_wape, body FROM staged_results
		WHERE job_id = $2 AND cutoff IS NOT NULL
		ON CONFLICT (store, sku, job_id) DO UPDATE SET published_at = excluded.published_at, body = excluded.body`,
		at.UnixMilli(), jobID); err != nil {
		return fmt.Errorf("data: publish vintages: %w", err)
	}
	// A vintage is past the retention when keep or more vintages of its
	// series were published after it.
	old := `EXISTS (SELECT 1 FROM staged_results r WHERE r.job_id = $1 AND r.store = v.store AND r.sku = v.sku)
		AND (SELECT COUNT(*) FROM vintages n WHERE n.store = v.store AND n.sku = v.sku
			AND (n.published_at > v.published_at OR (n.published_at = v.published_at AND n.job_id > v.job_id))) >= $2`
	if _, err := tx.ExecContext(ctx, `DELETE FROM vintage_steps WHERE EXISTS (SELECT 1 FROM vintages v
		WHERE v.store = vintage_steps.store AND v.sku = vintage_steps.sku AND v.job_id = vintage_steps.job_id AND `+old+`)`,
		jobID, s.vintageRetention()); err != nil {
		return fmt.Errorf("data: prune vintages: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM vintages WHERE EXISTS (SELECT 1 FROM vintages v
		WHERE v.store = vintages.store AND v.sku = vintages.sku AND v.job_id = vintages.job_id AND `+old+`)`,
		jobID, s.vintageRetention()); err != nil {
		return fmt.Errorf("data: prune vintages: %w", err)
	}
	return nil
}

// recordArrivals notes, in an upload's transaction, the uploaded sales
// dates within the span its series' kept vintages forecast: the scorer's
// work list (a date in a gap between vintages costs the scorer a look
// and nothing more). It goes from the upload's series to their vintages'
// span by index, then reads only the upload's rows inside that span (by
// the staging table's index), so a long history upload costs a lookup
// per series, not a probe per row. SQLite keeps CROSS JOIN's order.
const recordArrivals = `INSERT INTO accuracy_arrivals (store, sku, ts)
	SELECT u.store, u.sku, u.ts FROM
		(SELECT k.store, k.sku,
			(SELECT MIN(v.first_ts) FROM vintages v WHERE v.store = k.store AND v.sku = k.sku) AS lo,
			(SELECT MAX(v.last_ts) FROM vintages v WHERE v.store = k.store AND v.sku = k.sku) AS hi
		FROM (SELECT DISTINCT store, sku FROM upload_rows) k) r
	CROSS JOIN upload_rows u
	WHERE r.lo IS NOT NULL AND u.store = r.store AND u.sku = r.sku AND u.ts >= r.lo AND u.ts <= r.hi
	ON CONFLICT (store, sku, ts) DO NOTHING`

const vintageCols = `store, sku, job_id, published_at, cutoff, first_ts, last_ts, scale, backtest_wape`

func scanVintage(row interface{ Scan(...any) error }, body bool) (*Vintage, error) {
	var v Vintage
	var pub, cut, first, last int64
	var scale, bt sql.NullFloat64
	dst := []any{&v.Key.Store, &v.Key.SKU, &v.JobID, &pub, &cut, &first, &last, &scale, &bt}
	var b string
	if body {
		dst = append(dst, &b)
	}
	if err := row.Scan(dst...); err != nil {
		return nil, err
	}
	v.PublishedAt = time.UnixMilli(pub).UTC()
	v.Cutoff, v.First, v.Last = time.Unix(cut, 0).UTC(), time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
	v.Scale, v.BacktestWAPE = orNaN(scale), orNaN(bt)
	if body {
		v.Body = []byte(b)
	}
	return &v, nil
}

// VintageAsOf returns the latest vintage of k whose cut-off is on or
// before asOf (the newest published among equal cut-offs), or
// ErrNotFound.
func (s *Store) VintageAsOf(ctx context.Context, k data.Key, asOf time.Time) (*Vintage, error) {
	v, err := scanVintage(s.db.QueryRowContext(ctx, `SELECT `+vintageCols+`, body FROM vintages
		WHERE store = $1 AND sku = $2 AND cutoff <= $3 ORDER BY cutoff DESC, published_at DESC, job_id DESC LIMIT 1`,
		k.Store, k.SKU, asOf.Unix()), true)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("forecast of %s with a data cut-off on or before %s: %w", k, asOf.Format(time.DateOnly), ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("data: vintage as of: %w", err)
	}
	return v, nil
}

// Vintages returns the kept vintages of k, newest cut-off first, with
// their bodies when body is set (at most the retention of them).
func (s *Store) Vintages(ctx context.Context, k data.Key, body bool) (_ []*Vintage, err error) {
	cols := vintageCols
	if body {
		cols += ", body"
	}
	return queryList(ctx, s.db, "vintages", func(rows *sql.Rows) (*Vintage, error) { return scanVintage(rows, body) },
		`SELECT `+cols+` FROM vintages WHERE store = $1 AND sku = $2
		ORDER BY cutoff DESC, published_at DESC, job_id DESC`, k.Store, k.SKU)
}

// Arrival is a batch of sales dates of one series that kept vintages
// forecast and that have not been scored yet.
type Arrival struct {
	Key   data.Key
	Dates []time.Time
}

// PendingArrivals returns up to limit arrival dates, grouped by series
// in key order. A series is not split between calls: when the limit cuts
// one, it is left for the next call, unless it is the only one.
func (s *Store) PendingArrivals(ctx context.Context, limit int) (_ []Arrival, err error) {
	// One row past the limit tells whether the last series was cut.
	rows, err := s.db.QueryContext(ctx, `SELECT store, sku, ts FROM accuracy_arrivals ORDER BY store, sku, ts LIMIT $1`, limit+1)
	if err != nil {
		return nil, fmt.Errorf("data: pending arrivals: %w", err)
	}
	defer closeRows(rows, &err)
	var out []Arrival
	n := 0
	for rows.Next() {
		var k data.Key
		var ts int64
		if err := rows.Scan(&k.Store, &k.SKU, &ts); err != nil {
			return nil, fmt.Errorf("data: pending arrivals: %w", err)
		}
		if n++; n > limit {
			if last := len(out) - 1; out[last].Key == k && last > 0 {
				out = out[:last]
			}
			break
		}
		if len(out) == 0 || out[len(out)-1].Key != k {
			out = append(out, Arrival{Key: k})
		}
		a := &out[len(out)-1]
		a.Dates = append(a.Dates, time.Unix(ts, 0).UTC())
	}
	return out, rows.Err()
}

// VintagesCovering returns the vintages of k, with bodies, that forecast
// any date from from to to (inclusive).
func (s *Store) VintagesCovering(ctx context.Context, k data.Key, from, to time.Time) (_ []*Vintage, err error) {
	return queryList(ctx, s.db, "vintages covering", func(rows *sql.Rows) (*Vintage, error) { return scanVintage(rows, true) },
		`SELECT `+vintageCols+`, body FROM vintages
		WHERE store = $1 AND sku = $2 AND first_ts <= $3 AND last_ts >= $4 ORDER BY cutoff, published_at, job_id`,
		k.Store, k.SKU, to.Unix(), from.Unix())
}

// SalesBetween returns the stored quantities of k dated from from to to
// (inclusive), by date.
func (s *Store) SalesBetween(ctx context.Context, k data.Key, from, to time.Time) (_ map[time.Time]float64, err error) {
	rows, err := s.db.QueryContext(ctx, `SELECT ts, quantity FROM sales WHERE store = $1 AND sku = $2 AND ts >= $3 AND ts <= $4`,
		k.Store, k.SKU, from.Unix(), to.Unix())
	if err != nil {
		return nil, fmt.Errorf("data: sales between: %w", err)
	}
	defer closeRows(rows, &err)
	out := map[time.Time]float64{}
	for rows.Next() {
		var ts int64
		var q float64
		if err := rows.Scan(&ts, &q); err != nil {
			return nil, fmt.Errorf("data: sales between: %w", err)
		}
		out[time.Unix(ts, 0).UTC()] = q
	}
	return out, rows.Err()
}

// VintageStep is one realized step of a vintage: what it forecast for a
// date and the actual that arrived.
type VintageStep struct {
	Key     data.Key
	JobID   string
	Step    int // 1 is the first forecast date
	Date    time.Time
	Value   float64
	Lower80 float64
	Upper80 float64
	Lower95 float64
	Upper95 float64
	Actual  float64
}

// VintageSteps returns the realized steps of k's vintages, by vintage
// (job ID) in step order.
func (s *Store) VintageSteps(ctx context.Context, k data.Key) (_ map[string][]VintageStep, err error) {
	rows, err := s.db.QueryContext(ctx, `SELECT job_id, step, ts, forecast, lower80, upper80, lower95, upper95, actual
		FROM vintage_steps WHERE store = $1 AND sku = $2 ORDER BY job_id, step`, k.Store, k.SKU)
	if err != nil {
		return nil, fmt.Errorf("data: vintage steps: %w", err)
	}
	defer closeRows(rows, &err)
	out := map[string][]VintageStep{}
	for rows.Next() {
		st := VintageStep{Key: k}
		var ts int64
		if err := rows.Scan(&st.JobID, &st.Step, &ts, &st.Value, &st.Lower80, &st.Upper80, &st.Lower95, &st.Upper95, &st.Actual); err != nil {
			return nil, fmt.Errorf("data: vintage steps: %w", err)
		}
		st.Date = time.Unix(ts, 0).UTC()
		out[st.JobID] = append(out[st.JobID], st)
	}
	return out, rows.Err()
}

// SeriesAccuracy is a series' realized accuracy on the vintage it was
// last judged on, and the drift verdict.
type SeriesAccuracy struct {
	Key        data.Key
	JobID      string
	Cutoff     time.Time
	Steps      int
	Covered80  int
	WAPE       float64
	MASE       float64
	Bias       float64
	Coverage80 float64
	Coverage95 float64
	Pinball    float64
	AbsError   float64
	AbsActual  float64
	// BacktestWAPE is what the vintage's backtest promised, WAPELimit
	// the bound the realized WAPE was held to, CoverageP the binomial
	// p-value of the 80% coverage.
	BacktestWAPE float64
	WAPELimit    float64
	CoverageP    float64
	Judged       bool
	Drifting     bool
	Reasons      string
	UpdatedAt    time.Time
}

// ScoreBatch is what one round of scoring writes, in one transaction:
// the realized steps, the series' judgements and the arrivals consumed.
type ScoreBatch struct {
	Steps    []VintageStep
	Accuracy []SeriesAccuracy
	Done     []Arrival
}

// SaveScores writes b in one transaction.
func (s *Store) SaveScores(ctx context.Context, b ScoreBatch) error {
	return inTx(ctx, s.db, "save scores", func(tx *sql.Tx) error {
		if err := saveSteps(ctx, tx, b.Steps); err != nil {
			return err
		}
		for _, a := range b.Accuracy {
			if _, err := tx.ExecContext(ctx, `INSERT INTO series_accuracy (store, sku, job_id, cutoff, steps, covered80, wape, mase, bias,
				coverage80, coverage95, pinball, abs_error, abs_actual, backtest_wape, wape_limit, coverage_p, judged, drifting, reasons, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
				ON CONFLICT (store, sku) DO UPDATE SET job_id = excluded.job_id, cutoff = excluded.cutoff, steps = excluded.steps,
				covered80 = excluded.covered80, wape = excluded.wape, mase = excluded.mase, bias = excluded.bias,
				coverage80 = excluded.coverage80, coverage95 = excluded.coverage95, pinball = excluded.pinball,
				abs_error = excluded.abs_error, abs_actual = excluded.abs_actual, backtest_wape = excluded.backtest_wape,
				wape_limit = excluded.wape_limit, coverage_p = excluded.coverage_p, judged = excluded.judged,
				drifting = excluded.drifting, reasons = excluded.reasons, updated_at = excluded.updated_at`,
				a.Key.Store, a.Key.SKU, a.JobID, a.Cutoff.Unix(), a.Steps, a.Covered80, nullNaN(a.WAPE), nullNaN(a.MASE),
				nullNaN(a.Bias), nullNaN(a.Coverage80), nullNaN(a.Coverage95), nullNaN(a.Pinball), a.AbsError, a.AbsActual,
				nullNaN(a.BacktestWAPE), nullNaN(a.WAPELimit), nullNaN(a.CoverageP), boolInt(a.Judged), boolInt(a.Drifting),
				a.Reasons, a.UpdatedAt.UnixMilli()); err != nil {
				return fmt.Errorf("data: save scores: %w", err)
			}
		}
		for _, d := range b.Done {
			for _, t := range d.Dates {
				if _, err := tx.ExecContext(ctx, `DELETE FROM accuracy_arrivals WHERE store = $1 AND sku = $2 AND ts = $3`,
					d.Key.Store, d.Key.SKU, t.Unix()); err != nil {
					return fmt.Errorf("data: save scores: %w", err)
				}
			}
		}
		return nil
	})
}

// stepBatch is how many steps one statement upserts: a statement per
// step made scoring 500 series of 28 steps 14000 round trips.
const stepBatch = 100

// saveSteps upserts steps, stepBatch rows a statement. A batch holds a
// step once (a series' vintages are scored once per batch), as
// PostgreSQL's ON CONFLICT DO UPDATE requires.
func saveSteps(ctx context.Context, tx *sql.Tx, steps []VintageStep) error {
	const cols = 11
	var q strings.Builder
	args := make([]any, 0, stepBatch*cols)
	for lo := 0; lo < len(steps); lo += stepBatch {
		chunk := steps[lo:min(lo+stepBatch, len(steps))]
		q.Reset()
		args = args[:0]
		q.WriteString(`INSERT INTO vintage_steps (store, sku, job_id, step, ts, forecast, lower80, upper80, lower95, upper95, actual) VALUES `)
		for i, st := range chunk {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteByte('(')
			for c := range cols {
				if c > 0 {
					q.WriteByte(',')
				}
				fmt.Fprintf(&q, "$%d", i*cols+c+1)
			}
			q.WriteByte(')')
			args = append(args, st.Key.Store, st.Key.SKU, st.JobID, st.Step, st.Date.Unix(), st.Value, st.Lower80, st.Upper80,
				st.Lower95, st.Upper95, st.Actual)
		}
		q.WriteString(` ON CONFLICT (store, sku, job_id, step) DO UPDATE SET ts = excluded.ts, forecast = excluded.forecast,
			lower80 = excluded.lower80, upper80 = excluded.upper80, lower95 = excluded.lower95, upper95 = excluded.upper95, actual = excluded.actual`)
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("data: save scores: %w", err)
		}
	}
	return nil
}

const accuracyCols = `store, sku, job_id, cutoff, steps, covered80, wape, mase, bias, coverage80, coverage95, pinball,
	abs_error, abs_actual, backtest_wape, wape_limit, coverage_p, judged, drifting, reasons, updated_at`

func scanAccuracy(row interface{ Scan(...any) error }) (SeriesAccuracy, error) {
	var a SeriesAccuracy
	var cut, upd int64
	var judged, drifting int
	var f [10]sql.NullFloat64
	if err := row.Scan(&a.Key.Store, &a.Key.SKU, &a.JobID, &cut, &a.Steps, &a.Covered80, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5],
		&a.AbsError, &a.AbsActual, &f[6], &f[7], &f[8], &judged, &drifting, &a.Reasons, &upd); err != nil {
		return a, err
	}
	a.Cutoff, a.UpdatedAt = time.Unix(cut, 0).UTC(), time.UnixMilli(upd).UTC()
	a.WAPE, a.MASE, a.Bias, a.Coverage80, a.Coverage95, a.Pinball = orNaN(f[0]), orNaN(f[1]), orNaN(f[2]), orNaN(f[3]), orNaN(f[4]), orNaN(f[5])
	a.BacktestWAPE, a.WAPELimit, a.CoverageP = orNaN(f[6]), orNaN(f[7]), orNaN(f[8])
	a.Judged, a.Drifting = judged != 0, drifting != 0
	return a, nil
}

// GetSeriesAccuracy returns the judgement of k, or ErrNotFound when none
// of its vintages has been scored.
func (s *Store) GetSeriesAccuracy(ctx context.Context, k data.Key) (*SeriesAccuracy, error) {
	a, err := scanAccuracy(s.db.QueryRowContext(ctx, `SELECT `+accuracyCols+` FROM series_accuracy WHERE store = $1 AND sku = $2`, k.Store, k.SKU))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("accuracy of %s: %w", k, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("data: series accuracy: %w", err)
	}
	return &a, nil
}

// AccuracyFilter selects series of the accuracy ranking.
type AccuracyFilter struct {
	Store        string // "" for all
	DriftingOnly bool
}

func (f AccuracyFilter) where(first int) (string, []any) {
	return fmt.Sprintf(` WHERE ($%d = '' OR store = $%d) AND ($%d = 0 OR drifting = 1)`, first, first, first+1),
		[]any{f.Store, boolInt(f.DriftingOnly)}
}

// RankAccuracy returns up to limit series f selects, from offset, worst
// realized WAPE first (series without a WAPE last), then by key.
func (s *Store) RankAccuracy(ctx context.Context, f AccuracyFilter, offset, limit int) (_ []SeriesAccuracy, err error) {
	w, args := f.where(1)
	return queryList(ctx, s.db, "rank accuracy", func(rows *sql.Rows) (SeriesAccuracy, error) { return scanAccuracy(rows) },
		`SELECT `+accuracyCols+` FROM series_accuracy`+w+`
		ORDER BY CASE WHEN wape IS NULL THEN 1 ELSE 0 END, wape DESC, store, sku LIMIT $3 OFFSET $4`, append(args, limit, offset)...)
}

// AccuracyAggregate sums the realized accuracy of a group of series (a
// store, or all): WAPE is AbsError / AbsActual over their judged
// vintages' steps.
type AccuracyAggregate struct {
	Store     string // "" for the total
	Series    int
	Drifting  int
	Steps     int
	Covered80 int
	AbsError  float64
	AbsActual float64
}

// AggregateAccuracy returns the aggregate of each store f selects (worst
// WAPE first, at most limit) and the total over all of them.
func (s *Store) AggregateAccuracy(ctx context.Context, f AccuracyFilter, limit int) (_ []AccuracyAggregate, total AccuracyAggregate, err error) {
	w, args := f.where(1)
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(drifting), 0), COALESCE(SUM(steps), 0), COALESCE(SUM(covered80), 0),
		COALESCE(SUM(abs_error), 0), COALESCE(SUM(abs_actual), 0) FROM series_accuracy`+w, args...).
		Scan(&total.Series, &total.Drifting, &total.Steps, &total.Covered80, &total.AbsError, &total.AbsActual)
	if err != nil {
		return nil, total, fmt.Errorf("data: aggregate accuracy: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT store, COUNT(*), SUM(drifting), SUM(steps), SUM(covered80), SUM(abs_error), SUM(abs_actual)
		FROM series_accuracy`+w+` GROUP BY store
		ORDER BY CASE WHEN SUM(abs_actual) > 0 THEN SUM(abs_error) / SUM(abs_actual) ELSE -1 END DESC, store LIMIT $3`,
		append(args, limit)...)
	if err != nil {
		return nil, total, fmt.Errorf("data: aggregate accuracy: %w", err)
	}
	defer closeRows(rows, &err)
	var out []AccuracyAggregate
	for rows.Next() {
		var a AccuracyAggregate
		if err := rows.Scan(&a.Store, &a.Series, &a.Drifting, &a.Steps, &a.Covered80, &a.AbsError, &a.AbsActual); err != nil {
			return nil, total, fmt.Errorf("data: aggregate accuracy: %w", err)
		}
		out = append(out, a)
	}
	return out, total, rows.Err()
}

// CountDrifting counts the series whose latest judgement is drifting.
func (s *Store) CountDrifting(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM series_accuracy WHERE drifting = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("data: count drifting: %w", err)
	}
	return n, nil
}

// RetrainClaim is a series found drifting on a vintage: at most one
// retraining is queued per claim.
type RetrainClaim struct {
	Key          data.Key
	VintageJobID string
}

// ClaimRetrains records claims and returns those not recorded before:
// the series a drift retraining should now be queued for.
func (s *Store) ClaimRetrains(ctx context.Context, claims []RetrainClaim) ([]RetrainClaim, error) {
	var fresh []RetrainClaim
	err := inTx(ctx, s.db, "claim retrains", func(tx *sql.Tx) error {
		fresh = fresh[:0]
		now := time.Now().UnixMilli()
		for _, c := range claims {
			res, err := tx.ExecContext(ctx, `INSERT INTO drift_retrains (store, sku, vintage_job_id, queued_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (store, sku, vintage_job_id) DO NOTHING`, c.Key.Store, c.Key.SKU, c.VintageJobID, now)
			if err != nil {
				return fmt.Errorf("data: claim retrains: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("data: claim retrains: %w", err)
			} else if n == 1 {
				fresh = append(fresh, c)
			}
		}
		return nil
	})
	return fresh, err
}

// SettleRetrains records the job queued for claims, or, with jobID "",
// withdraws them (the job could not be queued: a later scoring retries).
func (s *Store) SettleRetrains(ctx context.Context, claims []RetrainClaim, jobID string) error {
	return inTx(ctx, s.db, "settle retrains", func(tx *sql.Tx) error {
		for _, c := range claims {
			q := `UPDATE drift_retrains SET job_id = $4 WHERE store = $1 AND sku = $2 AND vintage_job_id = $3`
			args := []any{c.Key.Store, c.Key.SKU, c.VintageJobID, jobID}
			if jobID == "" {
				q, args = `DELETE FROM drift_retrains WHERE store = $1 AND sku = $2 AND vintage_job_id = $3`, args[:3]
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("data: settle retrains: %w", err)
			}
		}
		return nil
	})
}

// nullNaN stores NaN as NULL: SQLite has no NaN.
func nullNaN(f float64) any {
	if math.IsNaN(f) {
		return nil
	}
	return f
}

func orNaN(f sql.NullFloat64) float64 {
	if !f.Valid {
		return math.NaN()
	}
	return f.Float64
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// StepCoverage is the realized accuracy of every kept vintage at one
// horizon step: how many actuals arrived, how many fell inside the 80%
// and 95% intervals, and the sums WAPE divides.
type StepCoverage struct {
	Step      int
	N         int
	In80      int
	In95      int
	AbsError  float64
	AbsActual float64
}

// CoverageByStep sums the scored steps of the kept vintages by horizon
// step (at most the longest horizon of rows), optionally of one store.
func (s *Store) CoverageByStep(ctx context.Context, store string) (_ []StepCoverage, err error) {
	return queryList(ctx, s.db, "coverage by step", func(rows *sql.Rows) (StepCoverage, error) {
		var c StepCoverage
		err := rows.Scan(&c.Step, &c.N, &c.In80, &c.In95, &c.AbsError, &c.AbsActual)
		return c, err
	}, `SELECT step, COUNT(*),
		SUM(CASE WHEN actual >= lower80 AND actual <= upper80 THEN 1 ELSE 0 END),
		SUM(CASE WHEN actual >= lower95 AND actual <= upper95 THEN 1 ELSE 0 END),
		SUM(ABS(actual - forecast)), SUM(ABS(actual))
		FROM vintage_steps WHERE ($1 = '' OR store = $1) GROUP BY step ORDER BY step`, store)
}
