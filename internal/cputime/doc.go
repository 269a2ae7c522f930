// Package cputime reports CPU time per benchmark iteration. The machines
// forecastd is benchmarked on are shared, so wall-clock ns/op measures
// the run queue as much as the code; the benchmarks of models and its
// subpackages report cpu-ns/op beside it.
//
// Thread and Process read the clocks (Linux getrusage, RUSAGE_THREAD and
// RUSAGE_SELF); PerOp brackets a benchmark loop with one of them and
// reports the difference per iteration. It is internal to models: the
// commands in bench time whole processes their own way.
package cputime
