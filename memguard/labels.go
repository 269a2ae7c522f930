package memguard

import (
	"context"
	"runtime/debug"
	"runtime/pprof"
)

// WithLabels returns ctx with pprof labels added, given as key, value
// pairs. Labels on the ctx passed to Run are recorded on the report and
// carried by the run's goroutines, so a leaked goroutine names, say, the
// model that started it. Inside a run, use pprof.Do with the returned
// labels to label one goroutine's work:
//
//	ctx = memguard.WithLabels(ctx, "model", name)
//	rep, err := g.Run(ctx, "fit", fit)
//
// It panics if kv has an odd length, like pprof.Labels.
func WithLabels(ctx context.Context, kv ...string) context.Context {
	return pprof.WithLabels(ctx, pprof.Labels(kv...))
}

// SetMemoryLimit sets the Go runtime's soft memory limit (GOMEMLIMIT) to
// bytes and returns the previous limit. A negative value only reads the
// limit. The limit is process-wide; call it once from configuration.
func SetMemoryLimit(bytes int64) int64 {
	return debug.SetMemoryLimit(bytes)
}
