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

// Label keys for the caller's work. Labels are free-form, but these are
// the ones forecastd puts on every training goroutine (with pprof.Do, or
// Do below), so that a leaked goroutine and a budget trip name the model,
// the fit and the phase that was running.
const (
	LabelModel = "model"
	LabelFit   = "fit"
	LabelPhase = "phase"
)

// Do calls f with ctx's labels plus kv set on the current goroutine, as
// runtime/pprof.Do does; goroutines f starts inherit them, and they are
// restored when f returns. Label each model fit of a guarded run with it:
//
//	memguard.Do(ctx, func(ctx context.Context) { fit(ctx) },
//		memguard.LabelModel, name, memguard.LabelFit, strconv.Itoa(i))
//
// It panics if kv has an odd length, like pprof.Labels.
func Do(ctx context.Context, f func(ctx context.Context), kv ...string) {
	pprof.Do(ctx, pprof.Labels(kv...), f)
}
