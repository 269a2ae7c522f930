// Package memguard watches units of work for memory and goroutine leaks and
// names the code that leaks.
//
// A Guard wraps a unit of work (a forecasting job, one model fit, a backtest)
// in Run. Before and after the work it settles the heap (two forced GC cycles,
// because sync.Pool victims and objects with finalizers need a second cycle to
// go) and reads runtime/metrics: the settled live heap, heap objects, total Go
// memory and goroutines, plus process RSS from /proc/self/statm, so memory
// outside the Go heap (cgo, mmap) shows as the gap RSS − Go memory. The
// difference of the settled live heaps is the bytes the run retained.
//
// One run's retained bytes prove little: caches fill, pools grow. The verdict
// therefore looks at the history of a kind of work, per measured series:
// retained heap, memory outside the Go heap (anonymous RSS less resident Go
// memory), open file descriptors and mapped regions. After Options.WarmUp
// runs, a series leaks when its growth persists (the mean of the last
// Options.MinRuns increments and of the last half of them, and at least
// that half of the last 2·MinRuns increments, are above a floor) and stands
// above the kind's own noise (Options.NoiseSigmas robust standard
// deviations of the window's increments). A cache that fills is suspect
// while it fills; a plateau of MinRuns runs clears it. The rule is in
// rule.go and README.md; the cumulative retained series is used rather than
// the raw live heap so that memory allocated or freed by other work between
// two runs of a kind does not count against it. After a quarantine or a
// deploy (Restart) a kind's window starts afresh. Within one run,
// Checkpoint judges the growth from fit to fit by the same rule.
//
// Goroutines started inside a run inherit pprof labels (memguard_kind,
// memguard_run and the caller's, see WithLabels). After the run and a short
// grace period, any goroutine still carrying the run's label was started by
// the run and never finished: it is reported with its stack and labels.
//
// When a kind looks suspicious, or when asked (Options.Profile), the Guard
// takes heap profiles before and after the run, subtracts them with
// github.com/google/pprof/profile and reports the allocation sites whose
// in-use bytes grew, each with its full stack. The diff is kept as a pprof
// profile (DiffProfile) readable by `go tool pprof`. The diffs of a kind's
// profiled runs are summed over the judged window, so a leak's line is
// named at every run from its verdict on (Report.WindowGrowth). Hunt runs
// each of a set of candidates alone and repeatedly with precise heap
// sampling, names the leaking ones and quarantines them, and reports lines
// that leak under several candidates as shared code (HuntResult.Shared).
//
// A run's memory budget (Options.MaxRetainedBytes) counts all the memory
// the run can hold, and when it trips names the labels (model, fit, phase)
// of the run's goroutines, which callers set with Do or pprof.Do.
//
// # Process-wide measurements
//
// The heap, the goroutine set and runtime.MemProfileRate belong to the whole
// process. Runs that overlap in time therefore see each other's allocations:
// bytes retained by one overlapping run are attributed to all of them. By
// default a Guard lets runs overlap, because serializing every job of a
// service behind a leak detector would cost more than the attribution error;
// set Options.Exclusive to serialize runs when exact attribution matters.
// Hunt runs each of its candidate runs exclusively, one at a time and at
// low priority: a hunt run starts when no run is in flight (or, after
// Options.HuntPatience, in turn), so other runs wait for at most one hunt
// run, not for the whole hunt. Its candidates are judged by the same leak
// rule as every kind.
//
// # Cost
//
// An unprofiled run costs four forced GC cycles (one of them returning free
// pages to the OS), a few runtime/metrics and /proc reads and, if fn
// started goroutines, one text goroutine profile; the
// GC cycles dominate and grow with the live heap and with GOMAXPROCS (see
// README.md for measurements). Guard units of work that last long
// compared with a GC cycle: whole jobs rather than single model fits.
//
// Metrics are exposed through Collector, which the caller registers with its
// own prometheus.Registerer; the package registers nothing globally.
package memguard
