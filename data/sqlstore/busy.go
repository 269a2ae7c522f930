package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrBusy marks a write that could not get the database's write lock (or,
// on PostgreSQL, lost a serialization conflict) after the store's
// retries: the request may be retried later. The API answers 503 with
// Retry-After.
var ErrBusy = errors.New("data: database busy")

// Retrying contention. SQLite waits busy_timeout (10 s) for the write lock
// on each attempt; the store tries a write up to busyAttempts times,
// sleeping from busyBackoff doubling between attempts, before it gives up
// with ErrBusy. A job's writes (staging a result, progress, publishing)
// go through the same retries, so an upload never fails a running job.
const (
	busyAttempts = 5
	busyBackoff  = 50 * time.Millisecond
)

// MaxConcurrentUploads bounds the uploads a Store stages at once. Each
// holds a pooled connection while it reads its body; the bound leaves the
// rest of the pool to jobs and readers. Further uploads wait their turn,
// up to UploadWait, then fail with ErrBusy.
const MaxConcurrentUploads = 4

// UploadWait is how long an upload waits for one of the
// MaxConcurrentUploads turns before it gives up with ErrBusy.
const UploadWait = time.Minute

// uploadTurn waits for an upload's turn and returns the function that
// gives it back.
func (s *Store) uploadTurn(ctx context.Context) (release func(), err error) {
	t := time.NewTimer(UploadWait)
	defer t.Stop()
	select {
	case s.uploads <- struct{}{}:
		return func() { <-s.uploads }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, fmt.Errorf("%w: %d uploads in progress for %v", ErrBusy, MaxConcurrentUploads, UploadWait)
	}
}

// isBusy reports whether err is lock contention that a retry may clear:
// SQLITE_BUSY or SQLITE_LOCKED (any extended code), or a PostgreSQL
// serialization failure, deadlock or lock timeout.
func isBusy(err error) bool {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		switch coded.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return true
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01", "55P03":
			return true
		}
	}
	return false
}

// retry runs fn until it succeeds, fails with something other than
// contention, or has been tried busyAttempts times; then the error wraps
// ErrBusy too.
func retry(ctx context.Context, fn func() error) error {
	wait := busyBackoff
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !isBusy(err) {
			return err
		}
		if attempt == busyAttempts {
			return fmt.Errorf("%w after %d attempts: %w", ErrBusy, attempt, err)
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// inTx runs fn in a transaction of db (the pool or a connection) and
// commits it, retrying the whole transaction on contention. what prefixes
// errors ("data: <what>: ...") other than those fn returns itself as
// they are (a *ingest.ParseError, ErrNotFound).
func inTx(ctx context.Context, db interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}, what string, fn func(tx *sql.Tx) error) error {
	return retry(ctx, func() (err error) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("data: %s: %w", what, err)
		}
		defer rollback(tx, &err)
		if err := fn(tx); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("data: %s commit: %w", what, err)
		}
		return nil
	})
}

// exec runs one statement on the pool, retrying on contention.
func (s *Store) exec(ctx context.Context, what, q string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := retry(ctx, func() error {
		var err error
		res, err = s.db.ExecContext(ctx, q, args...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", what, err)
	}
	return res, nil
}
