package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
	_ "modernc.org/sqlite" // the embedded default: pure Go, no cgo
)

// ErrNotFound is returned when a job or series result does not exist.
var ErrNotFound = errors.New("data: not found")

// Store keeps sales, jobs and published forecasts in SQL. The embedded
// default is one SQLite file; queries use $N placeholders and standard
// upserts so the same statements run on PostgreSQL.
type Store struct {
	db *sql.DB
	// uploads holds a token per upload being staged
	// (MaxConcurrentUploads).
	uploads chan struct{}
	// vintageKeep is how many forecast vintages a series keeps
	// (KeepVintages); 0 means DefaultVintageRetention.
	vintageKeep int
}

func newStore(db *sql.DB) *Store {
	return &Store{db: db, uploads: make(chan struct{}, MaxConcurrentUploads)}
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
	// concurrent under WAL without piling up writers on the lock. It is
	// twice MaxConcurrentUploads, so uploads staging their bodies leave
	// connections to jobs and readers.
	db.SetMaxOpenConns(2 * MaxConcurrentUploads)
	s := newStore(db)
	if err := s.migrate(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
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
	// Covariate values known in advance (IngestCovariates), one row per
	// value rather than a JSON object per date like sales.covariates:
	// a promotion calendar and a price list come from different teams,
	// and uploading one must not erase the other.
	`CREATE TABLE planned_covariates (
		store TEXT NOT NULL,
		sku TEXT NOT NULL,
		ts BIGINT NOT NULL,
		name TEXT NOT NULL,
		value DOUBLE PRECISION NOT NULL,
		PRIMARY KEY (store, sku, ts, name)
	)`,
	// What a job did with each series (trained, excluded, failed), an
	// encoded record like memory and phases.
	`ALTER TABLE jobs ADD COLUMN summary TEXT`,
	// memguard's quarantine and hunts (memguard.go): what the leak guard
	// decided must survive a restart.
	`CREATE TABLE quarantine (
		model TEXT PRIMARY KEY,
		reason TEXT NOT NULL,
		since BIGINT NOT NULL
	)`,
	`CREATE TABLE hunts (
		id TEXT PRIMARY KEY,
		kind TEXT NOT NULL,
		report_id TEXT NOT NULL DEFAULT '',
		started_at BIGINT NOT NULL,
		duration_ms BIGINT NOT NULL,
		culprits TEXT NOT NULL DEFAULT '',
		shared INTEGER NOT NULL DEFAULT 0,
		body TEXT NOT NULL
	)`,
	`CREATE INDEX hunts_started ON hunts (started_at)`,
	// Forecast vintages and their realized accuracy (vintage.go).
	vintageMigrations[0], vintageMigrations[1], vintageMigrations[2], vintageMigrations[3],
	vintageMigrations[4], vintageMigrations[5], vintageMigrations[6], vintageMigrations[7],
	vintageMigrations[8], vintageMigrations[9], vintageMigrations[10],
	// Series attributes (attributes.go).
	attributeMigrations[0],
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
		err := inTx(ctx, s.db, fmt.Sprintf("migrate to %d", v), func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
				return fmt.Errorf("data: migrate to %d: %w", v, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, v, time.Now().Unix()); err != nil {
				return fmt.Errorf("data: migrate to %d: %w", v, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// IngestStats summarises an upload.
type IngestStats struct {
	Rows   int `json:"rows"`
	Series int `json:"series"`
}

// Ingest writes the observations that parse produces, all or nothing:
// the rows are staged in a temporary table outside any transaction,
// checked for keys that appear twice in the same upload (an error naming
// both lines: which of the two is right cannot be guessed), and, if parse
// returned nil, checked against what is stored and merged into sales in
// one short transaction. The checks refuse what could never be assembled
// (see limits.go): a date outside the date limits, a row off its series'
// grid (a time of day in a daily series), a series spanning more points
// than its frequency allows, or one with more than MaxSeriesCovariates
// covariates; each named by line. Rows with the same (store, sku, date)
// as a stored row replace it. Memory stays bounded whatever the upload's
// size: the database does the bookkeeping.
func (s *Store) Ingest(ctx context.Context, parse func(fn func(data.Observation) error) error) (IngestStats, error) {
	// Attributes given with the sales (ingest.Options.Attributes) come
	// with the rows that first give them and are written in the merge's
	// transaction, once per series and name.
	type attrKey struct {
		k    data.Key
		name string
	}
	attrs := map[attrKey]data.Attribute{}
	return s.ingestStaged(ctx, staging{
		what:  "ingest",
		table: "upload_rows",
		columns: `line BIGINT NOT NULL, store TEXT NOT NULL, sku TEXT NOT NULL, ts BIGINT NOT NULL,
		quantity DOUBLE PRECISION NOT NULL, covariates TEXT`,
		insert: `INSERT INTO upload_rows (line, store, sku, ts, quantity, covariates) VALUES `,
		cols:   6,
		stage: func(ctx context.Context, o data.Observation, ins *batchInsert) error {
			for n, v := range o.Attributes {
				attrs[attrKey{o.Key, n}] = data.Attribute{Key: o.Key, Name: n, Value: v, Line: o.Line}
			}
			var cov any
			if len(o.Covariates) > 0 {
				b, err := json.Marshal(o.Covariates)
				if err != nil {
					return err
				}
				cov = string(b)
			}
			return ins.add(ctx, o.Line, o.Key.Store, o.Key.SKU, o.Date.Unix(), o.Quantity, cov)
		},
		duplicates: duplicateRows,
		prepare:    prepareSales,
		check:      checkSales,
		merge: `INSERT INTO sales (store, sku, ts, quantity, covariates)
		SELECT store, sku, ts, quantity, covariates FROM upload_rows WHERE true
		ON CONFLICT (store, sku, ts) DO UPDATE SET quantity = excluded.quantity, covariates = excluded.covariates`,
		after: []string{recordArrivals},
		afterTx: func(ctx context.Context, tx *sql.Tx) error {
			return writeAttributes(ctx, tx, slices.Collect(maps.Values(attrs)))
		},
	}, parse)
}

// dbtx is what the staging steps run on: a connection or a transaction.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// staging describes an all-or-nothing upload: rows go to a temporary
// table, are checked for keys given twice and against what is stored,
// and are merged into the stored table in one transaction.
type staging struct {
	what    string // for errors: "data: <what>: ..."
	subject string // ingest.ParseError.Subject
	table   string // the temporary table
	columns string // its column definitions
	insert  string // INSERT INTO table (cols) VALUES
	cols    int
	// stage adds the rows of one observation.
	stage func(ctx context.Context, o data.Observation, ins *batchInsert) error
	// duplicates reports keys the upload gives twice.
	duplicates func(ctx context.Context, q dbtx) error
	// prepare reads what check needs of the staged rows alone, before
	// the merge transaction; check reports staged rows that the stored
	// data would make unassemblable, inside it.
	prepare func(ctx context.Context, q dbtx) (map[data.Key]*uploadSeries, error)
	check   func(ctx context.Context, tx dbtx, series map[data.Key]*uploadSeries) error
	// merge upserts the staged rows into the stored table.
	merge string
	// after runs in the merge's transaction once it is done (the sales
	// arrivals that forecast vintages await, vintage.go).
	after []string
	// afterTx, when set, runs last in the merge's transaction.
	afterTx func(ctx context.Context, tx *sql.Tx) error
}

// ingestStaged runs an upload as st describes, on one connection, which
// the temporary table belongs to. Only the check and merge hold the
// write lock: parsing and staging the body, however slow the client,
// block no other writer.
func (s *Store) ingestStaged(ctx context.Context, st staging, parse func(fn func(data.Observation) error) error) (_ IngestStats, err error) {
	fail := func(err error) (IngestStats, error) {
		return IngestStats{}, fmt.Errorf("data: %s: %w", st.what, err)
	}
	release, err := s.uploadTurn(ctx)
	if err != nil {
		return fail(err)
	}
	defer release()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fail(err)
	}
	defer func() {
		if cerr := conn.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("data: %s: %w", st.what, cerr))
		}
	}()
	// A temporary table lives as long as its connection, so an earlier
	// upload on a pooled connection may have left one: empty it. Writing
	// it takes no lock on the stored tables.
	if _, err := conn.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS `+st.table+` (`+st.columns+`)`); err != nil {
		return fail(err)
	}
	if _, err := conn.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS `+st.table+`_key ON `+st.table+` (store, sku, ts)`); err != nil {
		return fail(err)
	}
	if _, err := conn.ExecContext(ctx, `DELETE FROM `+st.table); err != nil {
		return fail(err)
	}
	// Empty it afterwards too: a large upload's rows should not wait in
	// the pool for the next upload on this connection.
	defer func() {
		if _, derr := conn.ExecContext(context.WithoutCancel(ctx), `DELETE FROM `+st.table); derr != nil {
			err = errors.Join(err, fmt.Errorf("data: %s: %w", st.what, derr))
		}
	}()
	ins := newBatchInsert(conn, st.insert, st.cols)
	rows := 0
	err = parse(func(o data.Observation) error {
		rows++
		if err := st.stage(ctx, o, ins); err != nil {
			return err
		}
		return ctx.Err()
	})
	if err != nil {
		return IngestStats{}, err
	}
	if err := ins.flush(ctx); err != nil {
		return IngestStats{}, err
	}
	if err := st.duplicates(ctx, conn); err != nil {
		return IngestStats{}, err
	}
	if err := checkDates(ctx, conn, st); err != nil {
		return IngestStats{}, err
	}
	touched, err := st.prepare(ctx, conn)
	if err != nil {
		return fail(err)
	}
	err = inTx(ctx, conn, st.what, func(tx *sql.Tx) error {
		if err := st.check(ctx, tx, touched); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, st.merge); err != nil {
			return fmt.Errorf("data: %s: %w", st.what, err)
		}
		for _, q := range st.after {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("data: %s: %w", st.what, err)
			}
		}
		if st.afterTx != nil {
			return st.afterTx(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return IngestStats{}, err
	}
	return IngestStats{Rows: rows, Series: len(touched)}, nil
}

// batchInsert stages rows with multi-row INSERT statements: one statement
// per row would make a large upload a round trip per row on PostgreSQL.
type batchInsert struct {
	db     dbtx
	prefix string // INSERT INTO t (cols) VALUES
	suffix string // after the rows (ON CONFLICT ...); "" for none
	cols   int
	buf    []any
}

// batchRows keeps a statement's parameters well under SQLite's limit.
const batchRows = 150

func newBatchInsert(db dbtx, prefix string, cols int) *batchInsert {
	return &batchInsert{db: db, prefix: prefix, cols: cols, buf: make([]any, 0, batchRows*cols)}
}

// add stages one row of b.cols values, writing a full batch.
func (b *batchInsert) add(ctx context.Context, vals ...any) error {
	if len(vals) != b.cols {
		panic(fmt.Sprintf("data: batchInsert: %d values for %d columns", len(vals), b.cols))
	}
	b.buf = append(b.buf, vals...)
	if len(b.buf) == cap(b.buf) {
		return b.flush(ctx)
	}
	return nil
}

// flush writes the staged rows.
func (b *batchInsert) flush(ctx context.Context) error {
	if len(b.buf) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(b.prefix)
	for i := 0; i < len(b.buf)/b.cols; i++ {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteByte('(')
		for c := 0; c < b.cols; c++ {
			if c > 0 {
				q.WriteByte(',')
			}
			fmt.Fprintf(&q, "$%d", i*b.cols+c+1)
		}
		q.WriteByte(')')
	}
	q.WriteString(b.suffix)
	if _, err := b.db.ExecContext(ctx, q.String(), b.buf...); err != nil {
		return fmt.Errorf("data: ingest: %w", err)
	}
	b.buf = b.buf[:0]
	return nil
}

// duplicateRows reports keys that occur twice in the staged upload.
func duplicateRows(ctx context.Context, q dbtx) (err error) {
	rs, err := q.QueryContext(ctx, `SELECT store, sku, ts, MIN(line), MAX(line) FROM upload_rows
		GROUP BY store, sku, ts HAVING COUNT(*) > 1 ORDER BY MAX(line) LIMIT $1`, ingest.MaxRowErrors+1)
	if err != nil {
		return fmt.Errorf("data: ingest: %w", err)
	}
	defer closeRows(rs, &err)
	var pe ingest.ParseError
	for rs.Next() {
		var st, sku string
		var ts, first, second int64
		if err := rs.Scan(&st, &sku, &ts, &first, &second); err != nil {
			return fmt.Errorf("data: ingest: %w", err)
		}
		if len(pe.Errors) == ingest.MaxRowErrors {
			pe.More = true
			break
		}
		pe.Errors = append(pe.Errors, ingest.RowError{Line: int(second), Reason: fmt.Sprintf(
			"duplicate of line %d: store %q, sku %q, date %s appear twice in one upload",
			first, st, sku, time.Unix(ts, 0).UTC().Format(ingest.DateTimeLayout))})
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
func (s *Store) ListSeries(ctx context.Context, store string, after data.Key, limit int) (_ []SeriesInfo, err error) {
	q := `SELECT store, sku, COUNT(*), MIN(ts), MAX(ts) FROM sales
		WHERE (store > $1 OR (store = $1 AND sku > $2)) AND ($3 = '' OR store = $3)
		GROUP BY store, sku ORDER BY store, sku LIMIT $4`
	return queryList(ctx, s.db, "list series", func(rows *sql.Rows) (SeriesInfo, error) {
		var si SeriesInfo
		var lo, hi int64
		err := rows.Scan(&si.Store, &si.SKU, &si.Rows, &lo, &hi)
		si.FirstDate, si.LastDate = time.Unix(lo, 0).UTC(), time.Unix(hi, 0).UTC()
		return si, err
	}, q, after.Store, after.SKU, store, limit)
}

// SeriesFilter selects series; empty lists mean all.
type SeriesFilter struct {
	Stores []string
	SKUs   []string
	// Keys, when set, selects only these series (a retraining on drift).
	Keys []data.Key
	// After and Through, when set, bound the keys to (After, Through] in
	// the database's (store, sku) order, as ListSeries pages them: one
	// batch of a job streamed in key order. The database applies them, in
	// its collation; Match does not.
	After, Through *data.Key
}

// Match reports whether f selects series k.
func (f SeriesFilter) Match(k data.Key) bool {
	return (len(f.Stores) == 0 || contains(f.Stores, k.Store)) && (len(f.SKUs) == 0 || contains(f.SKUs, k.SKU)) &&
		(len(f.Keys) == 0 || slices.Contains(f.Keys, k))
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

// filterWhere is the WHERE clause (with its leading space, or empty) that
// pushes short store and SKU filters into SQL, so a job over a few series
// does not read the whole table, and its arguments.
func filterWhere(f SeriesFilter) (string, []any) {
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
	where = append(where, keyBounds(f, &args)...)
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// filterQuery selects the sales rows of the series f selects.
func filterQuery(f SeriesFilter) (string, []any) {
	w, args := filterWhere(f)
	return `SELECT store, sku, ts, quantity, covariates FROM sales` + w + ` ORDER BY store, sku, ts`, args
}

// LoadObservations streams the stored rows of the series that f selects,
// ordered by store, SKU and date, to fn.
func (s *Store) LoadObservations(ctx context.Context, f SeriesFilter, fn func(data.Observation) error) (err error) {
	q, args := filterQuery(f)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("data: load sales: %w", err)
	}
	defer closeRows(rows, &err)
	for rows.Next() {
		var o data.Observation
		var ts int64
		var cov sql.NullString
		if err := rows.Scan(&o.Key.Store, &o.Key.SKU, &ts, &o.Quantity, &cov); err != nil {
			return fmt.Errorf("data: load sales: %w", err)
		}
		if !f.Match(o.Key) {
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

// LoadSeries loads the series f selects as regular series, with their
// planned covariates merged in (Series.AddPlanned): covariate columns may
// run past the last sale. The frequency of each is inferred from its
// sales dates (a one-point series is daily); plans for a series with no
// sales are not loaded. When a selected series cannot be assembled it
// returns an *UnassemblableError (errors.Is ErrUnassemblable) naming the
// first; LoadSeriesExcluding loads the others.
func (s *Store) LoadSeries(ctx context.Context, f SeriesFilter) ([]*data.Series, error) {
	series, bad, err := s.LoadSeriesExcluding(ctx, f)
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return nil, bad[0]
	}
	return series, nil
}

// LoadSeriesExcluding loads the series f selects as LoadSeries does,
// leaving out those that cannot be assembled (dates out of range, no
// common spacing, rows off the grid, a span or covariate count past the
// limits), which it returns in key order with the reason: one bad series
// must not keep a job from the others. A series is checked before it is
// assembled, so a bad one costs no more memory than its rows.
func (s *Store) LoadSeriesExcluding(ctx context.Context, f SeriesFilter) (_ []*data.Series, _ []*UnassemblableError, err error) {
	// One query, so the sales (src 0) and the plans (src 1) of a series
	// arrive together and stream. Both branches are ordered by the same
	// key columns under the same collation, so a key's rows are adjacent
	// whatever the collation; ordering by the primary keys' columns lets
	// the database merge the two index scans without sorting.
	w, args := filterWhere(f)
	q := `SELECT store, sku, 0 AS src, ts, quantity, covariates, '' AS name FROM sales` + w +
		` UNION ALL SELECT store, sku, 1, ts, value, NULL, name FROM planned_covariates` + w +
		` ORDER BY store, sku, ts`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("data: load series: %w", err)
	}
	defer closeRows(rows, &err)
	var out []*data.Series
	var bad []*UnassemblableError
	var a assembler
	flush := func() {
		ser, err := a.assemble()
		switch {
		case err != nil:
			bad = append(bad, &UnassemblableError{Key: a.key, Reason: err.Error()})
		case ser != nil:
			out = append(out, ser)
		}
	}
	first := true
	for rows.Next() {
		var k data.Key
		var src, ts int64
		var v float64
		var cov sql.NullString
		var name string
		if err := rows.Scan(&k.Store, &k.SKU, &src, &ts, &v, &cov, &name); err != nil {
			return nil, nil, fmt.Errorf("data: load series: %w", err)
		}
		if !f.Match(k) {
			continue
		}
		if first || k != a.key {
			if !first {
				flush()
			}
			a.reset(k)
			first = false
		}
		if src == 1 {
			a.addPlan(ts, name, v)
			continue
		}
		if err := a.addSale(ts, v, cov); err != nil {
			return nil, nil, fmt.Errorf("data: load series: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("data: load series: %w", err)
	}
	if !first {
		flush()
	}
	return out, bad, nil
}

// assembler gathers the rows of one series as LoadSeriesExcluding reads
// them and makes the series, or says why it cannot. Once a row breaks a
// limit the rest are not kept.
type assembler struct {
	key   data.Key
	obs   []data.Observation
	plans []planned
	names map[string]struct{}
	bad   error
}

type planned struct {
	date  time.Time
	name  string
	value float64
}

// reset starts series k, keeping the buffers.
func (a *assembler) reset(k data.Key) {
	a.key, a.obs, a.plans, a.bad = k, a.obs[:0], a.plans[:0], nil
	clear(a.names)
}

// name counts a covariate name, failing the series past the limit.
func (a *assembler) name(n string) {
	if a.names == nil {
		a.names = map[string]struct{}{}
	}
	a.names[n] = struct{}{}
	if len(a.names) > MaxSeriesCovariates && a.bad == nil {
		a.bad = errTooManyCovariates
	}
}

func (a *assembler) addSale(ts int64, q float64, cov sql.NullString) error {
	if a.bad != nil {
		return nil
	}
	if err := checkDate(ts); err != nil {
		a.bad = err
		return nil
	}
	o := data.Observation{Key: a.key, Date: time.Unix(ts, 0).UTC(), Quantity: q}
	if cov.Valid && cov.String != "" {
		if err := json.Unmarshal([]byte(cov.String), &o.Covariates); err != nil {
			return fmt.Errorf("covariates of %s at %s: %w", a.key, o.Date, err)
		}
		for n := range o.Covariates {
			a.name(n)
		}
	}
	a.obs = append(a.obs, o)
	return nil
}

func (a *assembler) addPlan(ts int64, name string, v float64) {
	if a.bad != nil {
		return
	}
	a.name(name)
	a.plans = append(a.plans, planned{time.Unix(ts, 0).UTC(), name, v})
}

// assemble makes the series, nil when it has no sales, or returns why it
// cannot be made. The span is checked before anything is allocated for it.
func (a *assembler) assemble() (*data.Series, error) {
	if a.bad != nil {
		return nil, a.bad
	}
	if len(a.obs) == 0 {
		return nil, nil
	}
	freq := data.Daily
	if len(a.obs) > 1 {
		dates := make([]time.Time, len(a.obs))
		for i, o := range a.obs {
			dates[i] = o.Date
		}
		fr, err := data.InferFrequency(dates)
		if err != nil {
			return nil, err
		}
		freq = fr
		if err := checkSpan(freq, dates[0].Unix(), dates[len(dates)-1].Unix()); err != nil {
			return nil, err
		}
		// Named here, as uploads name it, rather than by Assemble, which
		// judges every date by the first, stray or not.
		on := onGrid(freq, dates)
		for i, d := range dates {
			if !on(i) {
				return nil, fmt.Errorf("%s is not on the %s grid of the series' other dates", formatTS(d.Unix()), freq)
			}
		}
	}
	ss, err := ingest.Assemble(a.obs, freq)
	if err != nil {
		return nil, err
	}
	for _, p := range a.plans {
		ss[0].SetPlanned(p.date, p.name, p.value)
	}
	return ss[0], nil
}
