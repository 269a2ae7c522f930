package memguard

import "time"

// Verdict states.
const (
	StateClean   = "clean"
	StateSuspect = "suspect"
	StateLeak    = "leak"
)

// Report describes one guarded run. A Report returned by a Guard is complete
// and must not be modified: the Guard shares it with other callers.
type Report struct {
	ID       string    `json:"id"`
	Kind     string    `json:"kind"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Run is the 1-based number of this run among runs of its kind.
	Run int `json:"run"`

	// Settled live heap bytes (/gc/heap/live:bytes after two GC cycles).
	HeapLiveBefore int64 `json:"heap_live_before"`
	HeapLiveAfter  int64 `json:"heap_live_after"`
	// RetainedBytes is HeapLiveAfter - HeapLiveBefore; negative when the
	// run freed more than it kept.
	RetainedBytes     int64 `json:"retained_bytes"`
	HeapObjectsBefore int64 `json:"heap_objects_before"`
	HeapObjectsAfter  int64 `json:"heap_objects_after"`
	// All memory mapped by the Go runtime (/memory/classes/total:bytes).
	GoMemoryBefore int64 `json:"go_memory_before"`
	GoMemoryAfter  int64 `json:"go_memory_after"`
	// Process resident set size; 0 where /proc/self/statm is unavailable.
	// RSS well above Go memory means memory held outside the Go runtime.
	RSSBefore int64 `json:"rss_before"`
	RSSAfter  int64 `json:"rss_after"`
	// OffHeapBefore and OffHeapAfter are RSS less the resident part of Go
	// memory: what cgo, mmap and the like hold. 0 where RSS is unknown.
	OffHeapBefore int64 `json:"offheap_before"`
	OffHeapAfter  int64 `json:"offheap_after"`
	// Open file descriptors and mapped regions of the process; -1 where
	// /proc/self is unavailable.
	FDsBefore  int `json:"fds_before"`
	FDsAfter   int `json:"fds_after"`
	MapsBefore int `json:"maps_before"`
	MapsAfter  int `json:"maps_after"`

	GoroutinesBefore int `json:"goroutines_before"`
	GoroutinesAfter  int `json:"goroutines_after"`
	// LeakedGoroutines groups the goroutines started by the run that were
	// still alive after the grace period, by stack and labels.
	LeakedGoroutines []Goroutine `json:"leaked_goroutines,omitempty"`

	// Profiled says whether heap profiles were taken around the run.
	Profiled bool `json:"profiled"`
	// TopGrowth lists the allocation sites whose in-use bytes grew most
	// during the run, largest first. Empty unless Profiled.
	TopGrowth []Site `json:"top_growth,omitempty"`
	// WindowGrowth lists the allocation sites whose in-use memory grew
	// most over the judged window: the sum of the heap diffs of the
	// kind's profiled runs since WindowSince, largest first. It is set
	// while the verdict is not clean, so a leak's line is named at the
	// run it is called and at every run after, even when that run's own
	// sampled diff missed it. WindowRuns is the number of profiled runs
	// summed.
	WindowGrowth []Site `json:"window_growth,omitempty"`
	WindowSince  int    `json:"window_since,omitempty"`
	WindowRuns   int    `json:"window_runs,omitempty"`
	// Checkpoints is the number of Checkpoint calls within the run that
	// measured the heap; the in-run verdict is among Verdict.Judgements.
	Checkpoints int `json:"checkpoints,omitempty"`
	// Budget says why the run was stopped for exceeding
	// Options.MaxRetainedBytes; nil if it was not.
	Budget *BudgetTrip `json:"budget,omitempty"`

	Verdict Verdict           `json:"verdict"`
	Labels  map[string]string `json:"labels,omitempty"`
	// Error is the text of the error the run returned, if any.
	Error string `json:"error,omitempty"`
	// MeasureError says what could not be measured (a profile that failed
	// to parse, say); the figures it concerns are missing.
	MeasureError string `json:"measure_error,omitempty"`
}

// Verdict is the Guard's judgement of a kind of work after a run.
type Verdict struct {
	// State is StateClean, StateSuspect or StateLeak.
	State string `json:"state"`
	// Reason says why, with the numbers behind it.
	Reason string `json:"reason"`
	// Slope is the fitted growth of retained bytes per run over the
	// window (0 before enough runs).
	Slope float64 `json:"slope_bytes_per_run"`
	// Points is the number of runs the slope was fitted over.
	Points int `json:"points"`
	// PositiveFraction is the fraction of per-run heap increments in the
	// window that grew: above max(NoiseFloorBytes, NoiseSigmas·σ).
	PositiveFraction float64 `json:"positive_fraction"`
	// LeakedGoroutines is the number of goroutines this run leaked.
	LeakedGoroutines int `json:"leaked_goroutines"`
	// Resource names the series the state is about: ResourceHeap,
	// ResourceGoroutines, ResourceOffHeap, ResourceFDs, ResourceMaps or
	// ResourceInRun. The state is the most severe of all judgements.
	Resource string `json:"resource,omitempty"`
	// Judgements holds the verdict on each measured series: retained
	// heap first, then memory outside the Go heap, file descriptors and
	// mapped regions, then the in-run checkpoints if any.
	Judgements []Judgement `json:"judgements,omitempty"`
}

// BudgetTrip describes a run stopped by its memory budget.
type BudgetTrip struct {
	// LimitBytes is Options.MaxRetainedBytes; GrownBytes the run's growth
	// when it tripped, of which HeapBytes on the Go heap (objects and
	// stacks) and OffHeapBytes outside it.
	LimitBytes   int64 `json:"limit_bytes"`
	GrownBytes   int64 `json:"grown_bytes"`
	HeapBytes    int64 `json:"heap_bytes"`
	OffHeapBytes int64 `json:"offheap_bytes"`
	// At is when the budget tripped.
	At time.Time `json:"at"`
	// Running groups the run's goroutines alive at that moment by their
	// labels (memguard's own left out): the model, fit or phase the
	// caller labelled them with (WithLabels, pprof.Do).
	Running []LabelGroup `json:"running,omitempty"`
}

// LabelGroup counts goroutines with the same labels.
type LabelGroup struct {
	Labels map[string]string `json:"labels"`
	Count  int               `json:"count"`
	// Function is the innermost user frame of one of them.
	Function string `json:"function,omitempty"`
}

// Frame is one frame of a stack.
type Frame struct {
	Function string `json:"function"`
	File     string `json:"file"`
	Line     int    `json:"line"`
}

// Site is an allocation site whose in-use memory grew during a run.
type Site struct {
	// Function, File and Line name the innermost frame that is neither in
	// the Go runtime nor in memguard.
	Function string `json:"function"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	// Stack is the full allocation stack, innermost first.
	Stack []Frame `json:"stack"`
	// Bytes and Objects are the growth of in-use bytes and objects,
	// estimated from the sampled heap profile.
	Bytes   int64 `json:"bytes"`
	Objects int64 `json:"objects"`
}

// Goroutine is a group of leaked goroutines with the same stack and labels.
type Goroutine struct {
	// Count is the number of goroutines in the group.
	Count int `json:"count"`
	// IDs are the goroutine IDs, where they could be matched.
	IDs []int64 `json:"ids,omitempty"`
	// State is the wait state of the first matched goroutine, such as
	// "chan receive" or "select".
	State  string            `json:"state,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
	// Function names the innermost frame outside the Go runtime.
	Function string `json:"function"`
	// Stack is the goroutine's stack, innermost first.
	Stack []Frame `json:"stack"`
}
