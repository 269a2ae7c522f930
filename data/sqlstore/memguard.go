package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Quarantined is a model memguard's quarantine keeps out of tournaments:
// a quarantine row.
type Quarantined struct {
	Model  string
	Reason string
	Since  time.Time
}

// Quarantine records (or updates the reason of) a quarantined model. A
// model quarantined again keeps its original time, as memguard does.
func (s *Store) Quarantine(ctx context.Context, q Quarantined) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO quarantine (model, reason, since) VALUES ($1, $2, $3)
		ON CONFLICT (model) DO UPDATE SET reason = excluded.reason`, q.Model, q.Reason, q.Since.UnixMilli())
	if err != nil {
		return fmt.Errorf("data: quarantine %s: %w", q.Model, err)
	}
	return nil
}

// Unquarantine deletes the quarantine row of model and reports whether
// there was one.
func (s *Store) Unquarantine(ctx context.Context, model string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM quarantine WHERE model = $1`, model)
	if err != nil {
		return false, fmt.Errorf("data: unquarantine %s: %w", model, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("data: unquarantine %s: %w", model, err)
	}
	return n > 0, nil
}

// QuarantineList returns the quarantined models by name.
func (s *Store) QuarantineList(ctx context.Context) (_ []Quarantined, err error) {
	return queryList(ctx, s.db, "quarantine list", func(rows *sql.Rows) (Quarantined, error) {
		var q Quarantined
		var since int64
		err := rows.Scan(&q.Model, &q.Reason, &since)
		q.Since = time.UnixMilli(since).UTC()
		return q, err
	}, `SELECT model, reason, since FROM quarantine ORDER BY model`)
}

// Hunt is a stored leak hunt: its summary columns and Body, the encoded
// memguard.HuntResult (a jobs/record record). Lists leave Body empty.
type Hunt struct {
	ID       string
	Kind     string
	ReportID string
	Started  time.Time
	Duration time.Duration
	Culprits []string
	Shared   int
	Body     []byte
}

const huntCols = `id, kind, report_id, started_at, duration_ms, culprits, shared`

// SaveHunt stores a hunt.
func (s *Store) SaveHunt(ctx context.Context, h Hunt) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO hunts (`+huntCols+`, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		h.ID, h.Kind, h.ReportID, h.Started.UnixMilli(), h.Duration.Milliseconds(), strings.Join(h.Culprits, ","), h.Shared, string(h.Body))
	if err != nil {
		return fmt.Errorf("data: save hunt %s: %w", h.ID, err)
	}
	return nil
}

func scanHunt(sc interface{ Scan(...any) error }, body *string) (*Hunt, error) {
	var h Hunt
	var started, ms int64
	var culprits string
	dst := []any{&h.ID, &h.Kind, &h.ReportID, &started, &ms, &culprits, &h.Shared}
	if body != nil {
		dst = append(dst, body)
	}
	if err := sc.Scan(dst...); err != nil {
		return nil, err
	}
	h.Started, h.Duration = time.UnixMilli(started).UTC(), time.Duration(ms)*time.Millisecond
	if culprits != "" {
		h.Culprits = strings.Split(culprits, ",")
	}
	return &h, nil
}

// GetHunt returns one hunt with its body, or an error wrapping
// ErrNotFound.
func (s *Store) GetHunt(ctx context.Context, id string) (*Hunt, error) {
	var body string
	h, err := scanHunt(s.db.QueryRowContext(ctx, `SELECT `+huntCols+`, body FROM hunts WHERE id = $1`, id), &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("hunt %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("data: get hunt: %w", err)
	}
	h.Body = []byte(body)
	return h, nil
}

// ListHunts returns up to limit hunts started before the cursor (a hunt
// ID; empty for the newest), newest first, without their bodies.
func (s *Store) ListHunts(ctx context.Context, before string, limit int) (_ []*Hunt, err error) {
	beforeTS, beforeID, err := pageFrom(before, func() (time.Time, error) {
		h, err := s.GetHunt(ctx, before)
		if err != nil {
			return time.Time{}, err
		}
		return h.Started, nil
	})
	if err != nil {
		return nil, err
	}
	return queryList(ctx, s.db, "list hunts", func(rows *sql.Rows) (*Hunt, error) { return scanHunt(rows, nil) },
		`SELECT `+huntCols+` FROM hunts
		WHERE started_at < $1 OR (started_at = $1 AND id < $2)
		ORDER BY started_at DESC, id DESC LIMIT $3`, beforeTS, beforeID, limit)
}
