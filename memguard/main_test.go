package memguard_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain proves the package's own goroutines (budget samplers) stop:
// goleak fails the run if any goroutine outlives the tests.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
