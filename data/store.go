package data

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the embedded default: pure Go, no cgo
)

// ErrNotFound is returned when a job or series result does not exist.
var ErrNotFound = errors.New("data: not found")

// Store keeps sales, jobs and published forecasts in SQL. The embedded
// default is one SQLite file; queries use $N placeholders and standard
// upserts so the same statements run on PostgreSQL.
type Store struct {
	db *sql.DB
}

// OpenSQLite opens (creating if needed) the SQLite database at path and
// runs the migrations. WAL mode lets readers (the API) proceed while a
// training job writes; busy_timeout makes concurrent writers wait rather
// than fail.
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("data: create data dir: %w", err)
	}
	db, err := sql.Open("sqlite", SQLiteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("data: open %s: %w", path, err)
	}
	// SQLite serialises writers anyway; a small pool keeps readers
	// concurrent under WAL without piling up writers on the lock.
	db.SetMaxOpenConns(4)
	s := &Store{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// SQLiteDSN is the modernc.org/sqlite DSN forecastd uses for path.
func SQLiteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// DB exposes the pool (the job queue shares the database).
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

var migrations = []string{
	`CREATE TABLE sales (
		store TEXT NOT NULL,
		sku TEXT NOT NULL,
		ts BIGINT NOT NULL,
		quantity DOUBLE PRECISION NOT NULL,
		covariates TEXT,
		PRIMARY KEY (store, sku, ts)
	)`,
	`CREATE TABLE jobs (
		id TEXT PRIMARY KEY,
		kind TEXT NOT NULL,
		state TEXT NOT NULL,
		params TEXT NOT NULL,
		progress DOUBLE PRECISION NOT NULL DEFAULT 0,
		series_total INTEGER NOT NULL DEFAULT 0,
		series_done INTEGER NOT NULL DEFAULT 0,
		created_at BIGINT NOT NULL,
		started_at BIGINT,
		finished_at BIGINT,
		error TEXT NOT NULL DEFAULT '',
		memory TEXT,
		request_id TEXT NOT NULL DEFAULT '',
		river_id BIGINT NOT NULL DEFAULT 0
	)`,
	`CREATE INDEX jobs_created ON jobs (created_at)`,
	`CREATE TABLE staged_results (
		job_id TEXT NOT NULL,
		store TEXT NOT NULL,
		sku TEXT NOT NULL,
		body TEXT NOT NULL,
		models TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (job_id, store, sku)
	)`,
	`CREATE TABLE results (
		store TEXT NOT NULL,
		sku TEXT NOT NULL,
		job_id TEXT NOT NULL,
		generated_at BIGINT NOT NULL,
		body TEXT NOT NULL,
		models TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (store, sku)
	)`,
	`ALTER TABLE jobs ADD COLUMN phases TEXT`,
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("data: migrate: %w", err)
	}
	var have int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("data: migrate: %w", err)
	}
	for v := have + 1; v <= len(migrations); v++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("data: migrate to %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			tx.Rollback()
			return fmt.Errorf("data: migrate to %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, v, time.Now().Unix()); err != nil {
			tx.Rollback()
			return fmt.Errorf("data: migrate to %d: %w", v, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("data: migrate to %d: %w", v, err)
		}
	}
	return nil
}

// IngestStats summarises an upload.
type IngestStats struct {
	Rows   int `json:"rows"`
	Series int `json:"series"`
}

// Ingest writes the observations that parse produces, all or nothing: the
// rows are staged in a temporary table inside one transaction, checked for
// keys that appear twice in the same upload (an error naming both lines:
// which of the two is right cannot be guessed), and merged into sales only
// if parse returned nil. Rows with the same (store, sku, date) as a stored
// row replace it. Memory stays bounded whatever the upload's size: the
// database does the bookkeeping.
func (s *Store) Ingest(ctx context.Context, parse func(fn func(Observation) error) error) (IngestStats, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return IngestStats{}, fmt.Errorf("data: ingest: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return IngestStats{}, fmt.Errorf("data: ingest: %w", err)
	}
	defer tx.Rollback()
	// A temporary table lives as long as its connection, so an earlier
	// upload on a pooled connection may have left one: empty it.
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS upload_rows (
		line BIGINT NOT NULL, store TEXT NOT NULL, sku TEXT NOT NULL, ts BIGINT NOT NULL,
		quantity DOUBLE PRECISION NOT NULL, covariates TEXT)`); err != nil {
		return IngestStats{}, fmt.Errorf("data: ingest: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM upload_rows`); err != nil {
		return IngestStats{}, fmt.Errorf("data: ingest: %w", err)
	}
	const cols = 6
	const batch = 150 // parameters per statement stay well under SQLite's limit
	buf := make([]any, 0, batch*cols)
	rows := 0
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		var q strings.Builder
		q.WriteString(`INSERT INTO upload_rows (line, store, sku, ts, quantity, covariates) VALUES `)
		for i := 0; i < len(buf)/cols; i++ {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteByte('(')
			for c := 0; c < cols; c++ {
				if c > 0 {
					q.WriteByte(',')
				}
				fmt.Fprintf(&q, "$%d", i*cols+c+1)
			}
			q.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, q.String(), buf...); err != nil {
			return fmt.Errorf("data: ingest: %w", err)
		}
		buf = buf[:0]
		return nil
	}
	err = parse(func(o Observation) error {
		var cov any
		if len(o.Covariates) > 0 {
			b, err := json.Marshal(o.Covariates)
			if err != nil {
				return err
			}
			cov = string(b)
		}
		buf = append(buf, o.Line, o.Key.Store, o.Key.SKU, o.Date.Unix(), o.Quantity, cov)
		rows++
		if len(buf) == cap(buf) {
			if err := flush(); err != nil {
				return err
			}
		}
		return ctx.Err()
	})
	if err != nil {
		return IngestStats{}, err
	}
	if err := flush(); err != nil {
		return IngestStats{}, err
	}
	if err := duplicateRows(ctx, tx); err != nil {
		return IngestStats{}, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sales (store, sku, ts, quantity, covariates)
		SELECT store, sku, ts, quantity, covariates FROM upload_rows WHERE true
		ON CONFLICT (store, sku, ts) DO UPDATE SET quantity = excluded.quantity, covariates = excluded.covariates`); err != nil {
		return IngestStats{}, fmt.Errorf("data: ingest: %w", err)
	}
	var series int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT DISTINCT store, sku FROM upload_rows) k`).Scan(&series); err != nil {
		return IngestStats{}, fmt.Errorf("data: ingest: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM upload_rows`); err != nil {
		return IngestStats{}, fmt.Errorf("data: ingest: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return IngestStats{}, fmt.Errorf("data: ingest commit: %w", err)
	}
	return IngestStats{Rows: rows, Series: series}, nil
}

// duplicateRows reports keys that occur twice in the staged upload.
func duplicateRows(ctx context.Context, tx *sql.Tx) error {
	rs, err := tx.QueryContext(ctx, `SELECT store, sku, ts, MIN(line), MAX(line) FROM upload_rows
		GROUP BY store, sku, ts HAVING COUNT(*) > 1 ORDER BY MAX(line) LIMIT $1`, MaxRowErrors+1)
	if err != nil {
		return fmt.Errorf("data: ingest: %w", err)
	}
	defer rs.Close()
	var pe ParseError
	for rs.Next() {
		var st, sku string
		var ts, first, second int64
		if err := rs.Scan(&st, &sku, &ts, &first, &second); err != nil {
			return fmt.Errorf("data: ingest: %w", err)
		}
		if len(pe.Errors) == MaxRowErrors {
			pe.More = true
			break
		}
		pe.Errors = append(pe.Errors, RowError{Line: int(second), Reason: fmt.Sprintf(
			"duplicate of line %d: store %q, sku %q, date %s appear twice in one upload",
			first, st, sku, time.Unix(ts, 0).UTC().Format(DateTimeLayout))})
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("data: ingest: %w", err)
	}
	if len(pe.Errors) > 0 {
		return &pe
	}
	return nil
}

// CountSales returns the number of stored sales rows.
func (s *Store) CountSales(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sales`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("data: count sales: %w", err)
	}
	return n, nil
}

// SeriesInfo describes a stored series.
type SeriesInfo struct {
	Store     string    `json:"store"`
	SKU       string    `json:"sku"`
	Rows      int       `json:"rows"`
	FirstDate time.Time `json:"first_date"`
	LastDate  time.Time `json:"last_date"`
}

// ListSeries returns up to limit series after the key after (exclusive),
// optionally only those of one store, ordered by store and SKU.
func (s *Store) ListSeries(ctx context.Context, store string, after Key, limit int) ([]SeriesInfo, error) {
	q := `SELECT store, sku, COUNT(*), MIN(ts), MAX(ts) FROM sales
		WHERE (store > $1 OR (store = $1 AND sku > $2)) AND ($3 = '' OR store = $3)
		GROUP BY store, sku ORDER BY store, sku LIMIT $4`
	rows, err := s.db.QueryContext(ctx, q, after.Store, after.SKU, store, limit)
	if err != nil {
		return nil, fmt.Errorf("data: list series: %w", err)
	}
	defer rows.Close()
	var out []SeriesInfo
	for rows.Next() {
		var si SeriesInfo
		var lo, hi int64
		if err := rows.Scan(&si.Store, &si.SKU, &si.Rows, &lo, &hi); err != nil {
			return nil, fmt.Errorf("data: list series: %w", err)
		}
		si.FirstDate, si.LastDate = time.Unix(lo, 0).UTC(), time.Unix(hi, 0).UTC()
		out = append(out, si)
	}
	return out, rows.Err()
}

// SeriesFilter selects series; empty lists mean all.
type SeriesFilter struct {
	Stores []string
	SKUs   []string
}

func (f SeriesFilter) match(k Key) bool {
	return (len(f.Stores) == 0 || contains(f.Stores, k.Store)) && (len(f.SKUs) == 0 || contains(f.SKUs, k.SKU))
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// maxInList bounds the identifiers put in an SQL IN list; longer filters
// are applied while reading.
const maxInList = 500

// filterQuery selects sales rows, pushing short store and SKU filters
// into SQL so a job over a few series does not read the whole table.
func filterQuery(f SeriesFilter) (string, []any) {
	var where []string
	var args []any
	in := func(col string, vals []string) {
		if len(vals) == 0 || len(vals) > maxInList {
			return
		}
		ph := make([]string, len(vals))
		for i, v := range vals {
			args = append(args, v)
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		where = append(where, col+" IN ("+strings.Join(ph, ",")+")")
	}
	in("store", f.Stores)
	in("sku", f.SKUs)
	q := `SELECT store, sku, ts, quantity, covariates FROM sales`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q + ` ORDER BY store, sku, ts`, args
}

// LoadObservations streams the stored rows of the series that f selects,
// ordered by store, SKU and date, to fn.
func (s *Store) LoadObservations(ctx context.Context, f SeriesFilter, fn func(Observation) error) error {
	q, args := filterQuery(f)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("data: load sales: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var o Observation
		var ts int64
		var cov sql.NullString
		if err := rows.Scan(&o.Key.Store, &o.Key.SKU, &ts, &o.Quantity, &cov); err != nil {
			return fmt.Errorf("data: load sales: %w", err)
		}
		if !f.match(o.Key) {
			continue
		}
		o.Date = time.Unix(ts, 0).UTC()
		if cov.Valid && cov.String != "" {
			if err := json.Unmarshal([]byte(cov.String), &o.Covariates); err != nil {
				return fmt.Errorf("data: load sales: covariates of %s at %s: %w", o.Key, o.Date, err)
			}
		}
		if err := fn(o); err != nil {
			return err
		}
	}
	return rows.Err()
}

// LoadSeries loads the series f selects as regular series. The frequency
// of each is inferred from its dates (a one-point series is daily).
func (s *Store) LoadSeries(ctx context.Context, f SeriesFilter) ([]*Series, error) {
	var out []*Series
	var cur []Observation
	flush := func() error {
		if len(cur) == 0 {
			return nil
		}
		freq := Daily
		if len(cur) > 1 {
			dates := make([]time.Time, len(cur))
			for i, o := range cur {
				dates[i] = o.Date
			}
			fr, err := InferFrequency(dates)
			if err != nil {
				return fmt.Errorf("data: series %s: %w", cur[0].Key, err)
			}
			freq = fr
		}
		ss, err := Assemble(cur, freq)
		if err != nil {
			return err
		}
		out = append(out, ss...)
		cur = cur[:0]
		return nil
	}
	err := s.LoadObservations(ctx, f, func(o Observation) error {
		if len(cur) > 0 && cur[0].Key != o.Key {
			if err := flush(); err != nil {
				return err
			}
		}
		cur = append(cur, o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}
