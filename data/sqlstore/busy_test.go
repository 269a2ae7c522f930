package sqlstore

import (
	"context"
	"errors"
	"testing"
)

// codeError is an error with a SQLite result code.
type codeError int

func (e codeError) Error() string { return "code" }
func (e codeError) Code() int     { return int(e) }

// TestRetry: contention is retried, then reported as ErrBusy; other
// errors are returned at once.
func TestRetry(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		err      error
		failures int // attempts that fail before one succeeds
		calls    int
		busy     bool
	}{
		{"busy then ok", codeError(5), 2, 3, false},
		{"locked (extended code) then ok", codeError(6 | 1<<8), 1, 2, false},
		{"always busy", codeError(5), 100, busyAttempts, true},
		{"not contention", errors.New("disk I/O"), 100, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := retry(ctx, func() error {
				calls++
				if calls <= tc.failures {
					return tc.err
				}
				return nil
			})
			if calls != tc.calls || errors.Is(err, ErrBusy) != tc.busy {
				t.Fatalf("%d calls, err %v; want %d calls, busy %v", calls, err, tc.calls, tc.busy)
			}
		})
	}
}
