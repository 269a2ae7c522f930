package memguard

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ProfileMode says when a Guard takes heap profiles around a run.
type ProfileMode int

const (
	// ProfileAuto profiles a run only when its kind looks suspicious: the
	// previous run of the kind retained more than the noise floor, leaked
	// goroutines, or had a verdict other than clean. Clean workloads pay
	// only for settling the heap; a leaking kind gets heap diffs from its
	// second leaking run on. This is the default.
	ProfileAuto ProfileMode = iota
	// ProfileAlways profiles every run.
	ProfileAlways
	// ProfileNever never profiles (cheapest: verdicts and goroutine
	// leaks still work, TopGrowth stays empty).
	ProfileNever
)

// String returns the mode's name.
func (m ProfileMode) String() string {
	switch m {
	case ProfileAuto:
		return "auto"
	case ProfileAlways:
		return "always"
	case ProfileNever:
		return "never"
	}
	return fmt.Sprintf("ProfileMode(%d)", int(m))
}

// Options configures a Guard. The zero value gives the defaults documented on
// each field.
type Options struct {
	// KeepReports is the number of most recent reports kept. Default 100.
	KeepReports int
	// KeepProfiles is the number of most recent heap diff profiles kept
	// with their reports (DiffProfile). Default 10.
	KeepProfiles int

	// WarmUp is the number of first runs of a kind, after the first run
	// or a restart of its window (Restart, Quarantine), that are not
	// judged, because caches and pools legitimately fill then. Default 3.
	WarmUp int
	// Window is the number of most recent post-warm-up runs of a kind
	// kept for judging (the noise estimate is taken over them). Default 20.
	Window int
	// MinRuns is the number of post-warm-up runs needed before a leak is
	// called, the number of most recent runs whose mean growth is judged,
	// and the number of non-growing runs (a plateau) that clears a
	// suspect verdict. A goroutine leak is called when each of the last
	// MinRuns runs, or MinRuns of the last 2·MinRuns, leaked goroutines.
	// Default 5.
	MinRuns int
	// NoiseFloorBytes is the floor of the leak threshold for retained
	// heap: growth of at most this many bytes per run (or per
	// checkpoint) is noise, whatever the kind's variance. Default 64 KiB.
	NoiseFloorBytes int64
	// NoiseSigmas is the threshold relative to the kind's own noise:
	// mean growth must exceed NoiseSigmas robust standard deviations of
	// the per-run increments (scaled to the mean of MinRuns runs), and a
	// single increment grows when it exceeds NoiseSigmas deviations.
	// Default 3.
	NoiseSigmas float64
	// SlowLeakFloorBytes is the floor of the slow-leak condition on
	// retained heap (rule.go): growth of more than this per run on
	// average, over the last 2·MinRuns runs, in both halves, never given
	// back, is a leak even below NoiseFloorBytes. Default 2 KiB;
	// negative turns the condition off.
	SlowLeakFloorBytes int64
	// MinPositiveFraction is the fraction of a hunt candidate's
	// post-warm-up runs in which one of its allocation sites must grow to
	// be named a leaking site (and, in two candidates, a shared leak).
	// Default 0.75. Candidates themselves, like kinds, are judged by the
	// leak rule (rule.go).
	MinPositiveFraction float64
	// SuspectRetainedBytes is the retained growth of a single post-warm-up
	// run that makes it suspect on its own. Default 16 × NoiseFloorBytes.
	SuspectRetainedBytes int64
	// OffHeapNoiseFloorBytes is the floor of the leak threshold for
	// memory outside the Go heap (RSS less resident Go memory), judged
	// per run by the same rule. Default 256 KiB: on 200 clean jobs with
	// heavy garbage no increment grew by more than 100 KiB (its noise σ
	// was 15–85 KiB); RSS moves by whole pages, hence a floor above the
	// heap's.
	OffHeapNoiseFloorBytes int64
	// SkipOffHeap turns off the judgement of memory outside the Go heap,
	// descriptors and mapped regions, and with it the release of free
	// heap pages to the OS when a run is settled (debug.FreeOSMemory),
	// which that judgement needs and which makes the next run fault its
	// working pages in again (see README.md for the cost). The readings
	// are still reported.
	SkipOffHeap bool
	// HandleNoiseFloor is the floor of the leak threshold for open file
	// descriptors and mapped regions per run. Default 0.5: a kind that
	// keeps one more descriptor every run leaks.
	HandleNoiseFloor float64
	// CheckpointOverhead bounds the time Checkpoint may spend settling
	// the heap, as a fraction of the run's elapsed time: a checkpoint
	// that would exceed it returns without measuring. Default 0.02; 1 or
	// more measures at every call.
	CheckpointOverhead float64
	// CheckpointEvery is how many units of work (a training job: series
	// staged) the caller lets pass between two calls of Checkpoint;
	// memguard does not count calls, its callers read it here so that
	// one configuration reaches them. Default 4.
	CheckpointEvery int
	// DisableHunt turns the leak hunt off: Hunt returns ErrHuntDisabled
	// and callers that start hunts on a leak verdict do not.
	DisableHunt bool

	// Profile says when heap profiles are taken. Default ProfileAuto.
	Profile ProfileMode
	// MemProfileRate is set as runtime.MemProfileRate while a profiled
	// run executes and restored afterwards: about one allocated byte in
	// MemProfileRate is sampled. The rate is process-wide. Default
	// 64 KiB, fine enough that a leak of a few hundred KiB per run shows
	// its sites in every profiled run (the runtime's own 512 KiB misses
	// most of them); -1 leaves the runtime's rate alone. Smaller values
	// find smaller leaks but cost CPU.
	MemProfileRate int
	// HuntMemProfileRate is runtime.MemProfileRate during Hunt.
	// Default 512 (sample about one allocation per 512 bytes).
	HuntMemProfileRate int
	// HuntPatience is how long a hunt run waits for the guard to be free
	// of other runs before it queues for it like an exclusive run,
	// holding back the runs that arrive after it for one hunt run;
	// default 30 s. A hunt runs at low priority: see Guard.Hunt.
	HuntPatience time.Duration
	// TopSites is the number of growing allocation sites reported.
	// Default 10.
	TopSites int

	// GoroutineGrace is how long goroutines started by a run may take to
	// finish after it returns before they are reported as leaked.
	// Default 250ms.
	GoroutineGrace time.Duration
	// MaxGoroutineStacks bounds the number of leaked goroutine groups
	// reported per run. Default 20.
	MaxGoroutineStacks int

	// MaxRetainedBytes, if positive, is the memory budget of a run: the
	// growth, over the settled level before the run, of all the memory
	// the run can hold: Go heap objects (live or not yet collected),
	// goroutine stacks and memory outside the Go heap (RSS less resident
	// Go memory). Heap growth that a forced GC shows to be garbage does
	// not count. When the budget is exceeded the run's context is
	// cancelled with a cause wrapping ErrBudgetExceeded that names the
	// labels (model, phase) of the run's goroutines at that moment, the
	// report's Budget says the same, and Run returns the error. 0 means
	// none. The budget is enforced by cancellation: fn must watch its
	// context (or call Checkpoint) to stop.
	MaxRetainedBytes int64
	// SampleInterval is how often the budget is checked. Default 10ms:
	// a check reads runtime/metrics and /proc/self/statm (a few µs).
	SampleInterval time.Duration

	// Exclusive serializes runs so that each run's retained bytes are its
	// own. By default runs may overlap (see the package documentation).
	Exclusive bool
}

// Defaults.
const (
	defaultKeepReports         = 100
	defaultKeepProfiles        = 10
	defaultWarmUp              = 3
	defaultWindow              = 20
	defaultMinRuns             = 5
	defaultNoiseFloorBytes     = 64 << 10
	defaultMinPositiveFraction = 0.75
	defaultHuntMemProfileRate  = 512
	defaultTopSites            = 10
	defaultGoroutineGrace      = 250 * time.Millisecond
	defaultMaxGoroutineStacks  = 20
	defaultSampleInterval      = 10 * time.Millisecond
	defaultNoiseSigmas         = 3
	defaultOffHeapNoiseFloor   = 256 << 10
	defaultHandleNoiseFloor    = 0.5
	defaultCheckpointOverhead  = 0.02
	defaultMemProfileRate      = 64 << 10
	defaultHuntPatience        = 30 * time.Second
	defaultCheckpointEvery     = 4
	defaultSlowLeakFloorBytes  = 2 << 10
)

// withDefaults validates o and fills in its zero fields.
func (o Options) withDefaults() (Options, error) {
	var errs []error
	neg := func(name string, v int64) {
		if v < 0 {
			errs = append(errs, fmt.Errorf("memguard: Options.%s must not be negative, got %d", name, v))
		}
	}
	neg("KeepReports", int64(o.KeepReports))
	neg("KeepProfiles", int64(o.KeepProfiles))
	neg("WarmUp", int64(o.WarmUp))
	neg("Window", int64(o.Window))
	neg("MinRuns", int64(o.MinRuns))
	neg("NoiseFloorBytes", o.NoiseFloorBytes)
	neg("SuspectRetainedBytes", o.SuspectRetainedBytes)
	if o.MemProfileRate < -1 {
		errs = append(errs, fmt.Errorf("memguard: Options.MemProfileRate must be positive, 0 (default) or -1 (leave the runtime's), got %d", o.MemProfileRate))
	}
	neg("OffHeapNoiseFloorBytes", o.OffHeapNoiseFloorBytes)
	for _, f := range []struct {
		name string
		v    float64
	}{{"NoiseSigmas", o.NoiseSigmas}, {"HandleNoiseFloor", o.HandleNoiseFloor}, {"CheckpointOverhead", o.CheckpointOverhead}} {
		if f.v < 0 || math.IsNaN(f.v) {
			errs = append(errs, fmt.Errorf("memguard: Options.%s must not be negative, got %g", f.name, f.v))
		}
	}
	neg("HuntMemProfileRate", int64(o.HuntMemProfileRate))
	neg("TopSites", int64(o.TopSites))
	neg("GoroutineGrace", int64(o.GoroutineGrace))
	neg("MaxGoroutineStacks", int64(o.MaxGoroutineStacks))
	neg("MaxRetainedBytes", o.MaxRetainedBytes)
	neg("HuntPatience", int64(o.HuntPatience))
	neg("CheckpointEvery", int64(o.CheckpointEvery))
	neg("SampleInterval", int64(o.SampleInterval))
	if o.MinPositiveFraction < 0 || o.MinPositiveFraction > 1 {
		errs = append(errs, fmt.Errorf("memguard: Options.MinPositiveFraction must be in [0, 1], got %g", o.MinPositiveFraction))
	}
	if o.Profile < ProfileAuto || o.Profile > ProfileNever {
		errs = append(errs, fmt.Errorf("memguard: unknown Options.Profile %v", o.Profile))
	}
	if len(errs) > 0 {
		return o, errors.Join(errs...)
	}
	orDefault(&o.KeepReports, defaultKeepReports)
	orDefault(&o.KeepProfiles, defaultKeepProfiles)
	orDefault(&o.WarmUp, defaultWarmUp)
	orDefault(&o.Window, defaultWindow)
	orDefault(&o.MinRuns, defaultMinRuns)
	if o.MinRuns < 2 {
		// A slope needs two points.
		o.MinRuns = 2
	}
	if o.Window < o.MinRuns {
		o.Window = o.MinRuns
	}
	orDefault(&o.NoiseFloorBytes, defaultNoiseFloorBytes)
	orDefault(&o.MinPositiveFraction, defaultMinPositiveFraction)
	orDefault(&o.SuspectRetainedBytes, 16*o.NoiseFloorBytes)
	orDefault(&o.NoiseSigmas, defaultNoiseSigmas)
	orDefault(&o.OffHeapNoiseFloorBytes, defaultOffHeapNoiseFloor)
	orDefault(&o.HandleNoiseFloor, defaultHandleNoiseFloor)
	orDefault(&o.CheckpointOverhead, defaultCheckpointOverhead)
	orDefault(&o.MemProfileRate, defaultMemProfileRate)
	orDefault(&o.HuntMemProfileRate, defaultHuntMemProfileRate)
	orDefault(&o.TopSites, defaultTopSites)
	orDefault(&o.GoroutineGrace, defaultGoroutineGrace)
	orDefault(&o.MaxGoroutineStacks, defaultMaxGoroutineStacks)
	orDefault(&o.SampleInterval, defaultSampleInterval)
	orDefault(&o.HuntPatience, defaultHuntPatience)
	orDefault(&o.CheckpointEvery, defaultCheckpointEvery)
	orDefault(&o.SlowLeakFloorBytes, defaultSlowLeakFloorBytes)
	return o, nil
}

// orDefault sets *v to d if it is the zero value.
func orDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}
