package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// migrationLock is the PostgreSQL advisory lock key that serialises
// migrations when several processes (API, workers) start at once; without
// it two of them may both try to create the same table.
const migrationLock = 0x666f7265636173 // "forecas"

// OpenPostgres opens the PostgreSQL database at url (postgres://...) and
// runs the migrations under an advisory lock. The Store is the same type as
// the embedded one: its statements use $N placeholders and standard upserts.
//
// The pool is database/sql over pgx (jackc/pgx/v5/stdlib) rather than a
// pgxpool, so that a job row and its River job are inserted in one *sql.Tx
// (see package jobs).
func OpenPostgres(ctx context.Context, url string) (*Store, error) {
	if _, err := pgx.ParseConfig(url); err != nil {
		return nil, fmt.Errorf("data: postgres url: %w", err)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("data: open postgres: %w", err)
	}
	// Each worker holds a few connections: its series workers stage results
	// concurrently, River polls and completes jobs. Bounded so that K
	// workers stay well under the server's max_connections (100 by default).
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(4)
	s := newStore(db)
	if err := s.migrateLocked(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return s, nil
}

// migrateLocked runs the migrations while holding a session advisory lock
// on a dedicated connection; the migrations themselves run on the pool.
func (s *Store) migrateLocked(ctx context.Context) (err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("data: migrate: %w", err)
	}
	defer func() { err = errors.Join(err, conn.Close()) }()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("data: migrate: lock: %w", err)
	}
	defer func() {
		if _, uerr := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLock)); uerr != nil {
			err = errors.Join(err, fmt.Errorf("data: migrate: unlock: %w", uerr))
		}
	}()
	return s.migrate(ctx)
}

// CreatePostgresDatabase creates a new, empty database next to the one
// adminURL names (its user needs CREATEDB) and returns its URL and a
// function that drops it. Tests and benchmarks use it so that each run has
// its own tables.
func CreatePostgresDatabase(ctx context.Context, adminURL, prefix string) (string, func(context.Context) error, error) {
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("data: postgres url: %w", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := strings.ToLower(prefix) + "_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("data: open postgres: %w", err)
	}
	// CREATE DATABASE takes no parameters; the name is ours and quoted.
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+ident); err != nil {
		return "", nil, errors.Join(fmt.Errorf("data: create database %s: %w", name, err), admin.Close())
	}
	u.Path = "/" + name
	drop := func(ctx context.Context) error {
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+ident+` WITH (FORCE)`); err != nil {
			return errors.Join(fmt.Errorf("data: drop database %s: %w", name, err), admin.Close())
		}
		return admin.Close()
	}
	return u.String(), drop, nil
}
