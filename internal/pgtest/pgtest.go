// Package pgtest gives tests the PostgreSQL server they run against.
package pgtest

import (
	"testing"

	"github.com/forecastd/forecastd/internal/environ"
)

// URL returns FORECASTD_TEST_DATABASE_URL. When it is unset the test fails
// if CI is set (CI installs PostgreSQL, see .ci/run, so a missing URL is a
// broken setup, not a reason to pass) and is skipped otherwise, so that
// `go test ./...` works on a laptop without PostgreSQL.
func URL(t testing.TB) string {
	t.Helper()
	u := environ.Get("FORECASTD_TEST_DATABASE_URL")
	if u == "" {
		if environ.Get("CI") != "" {
			t.Fatal("FORECASTD_TEST_DATABASE_URL is not set but CI is: PostgreSQL tests cannot run (see scripts/pg-setup.sh)")
		}
		t.Skip("FORECASTD_TEST_DATABASE_URL not set (run scripts/pg-setup.sh); PostgreSQL tests skipped outside CI")
	}
	return u
}
