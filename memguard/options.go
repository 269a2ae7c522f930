package memguard

import (
	"errors"
	"fmt"
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

	// WarmUp is the number of first runs of a kind excluded from the leak
	// slope, because caches and pools legitimately fill then. Default 3.
	WarmUp int
	// Window is the number of most recent post-warm-up runs of a kind the
	// slope is fitted over. Default 20.
	Window int
	// MinRuns is the number of post-warm-up runs needed before a heap leak
	// is called, and the number of consecutive runs that must each leak
	// goroutines before a goroutine leak is called. Default 5.
	MinRuns int
	// NoiseFloorBytes is the slope of retained bytes per run at or below
	// which growth is treated as noise. Default 64 KiB.
	NoiseFloorBytes int64
	// MinPositiveFraction is the fraction of per-run increments in the
	// window that must be positive for a leak: a leak grows every run,
	// noise goes both ways. Default 0.75.
	MinPositiveFraction float64
	// SuspectRetainedBytes is the retained growth of a single post-warm-up
	// run that makes it suspect on its own. Default 16 × NoiseFloorBytes.
	SuspectRetainedBytes int64

	// Profile says when heap profiles are taken. Default ProfileAuto.
	Profile ProfileMode
	// MemProfileRate, if positive, is set as runtime.MemProfileRate while
	// a profiled run executes and restored afterwards. The rate is
	// process-wide; 0 leaves the runtime's rate (512 KiB by default)
	// alone. Smaller values find small leaks but cost CPU.
	MemProfileRate int
	// HuntMemProfileRate is runtime.MemProfileRate during Hunt.
	// Default 512 (sample about one allocation per 512 bytes).
	HuntMemProfileRate int
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

	// MaxRetainedBytes, if positive, is the budget for live heap growth
	// while a run executes: when the sampled live heap exceeds the level
	// before the run by more than this, the run's context is cancelled
	// and Run returns an error wrapping ErrBudgetExceeded. 0 means none.
	MaxRetainedBytes int64
	// SampleInterval is how often the budget is checked. Default 100ms.
	SampleInterval time.Duration

	// Exclusive serializes runs so that each run's retained bytes are its
	// own. By default runs may overlap (see the package documentation).
	Exclusive bool
}

// Defaults.
const (
	defaultKeepReports         = 100
	defaultWarmUp              = 3
	defaultWindow              = 20
	defaultMinRuns             = 5
	defaultNoiseFloorBytes     = 64 << 10
	defaultMinPositiveFraction = 0.75
	defaultHuntMemProfileRate  = 512
	defaultTopSites            = 10
	defaultGoroutineGrace      = 250 * time.Millisecond
	defaultMaxGoroutineStacks  = 20
	defaultSampleInterval      = 100 * time.Millisecond
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
	neg("WarmUp", int64(o.WarmUp))
	neg("Window", int64(o.Window))
	neg("MinRuns", int64(o.MinRuns))
	neg("NoiseFloorBytes", o.NoiseFloorBytes)
	neg("SuspectRetainedBytes", o.SuspectRetainedBytes)
	neg("MemProfileRate", int64(o.MemProfileRate))
	neg("HuntMemProfileRate", int64(o.HuntMemProfileRate))
	neg("TopSites", int64(o.TopSites))
	neg("GoroutineGrace", int64(o.GoroutineGrace))
	neg("MaxGoroutineStacks", int64(o.MaxGoroutineStacks))
	neg("MaxRetainedBytes", o.MaxRetainedBytes)
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
	if o.KeepReports == 0 {
		o.KeepReports = defaultKeepReports
	}
	if o.WarmUp == 0 {
		o.WarmUp = defaultWarmUp
	}
	if o.Window == 0 {
		o.Window = defaultWindow
	}
	if o.MinRuns == 0 {
		o.MinRuns = defaultMinRuns
	}
	if o.MinRuns < 2 {
		// A slope needs two points.
		o.MinRuns = 2
	}
	if o.Window < o.MinRuns {
		o.Window = o.MinRuns
	}
	if o.NoiseFloorBytes == 0 {
		o.NoiseFloorBytes = defaultNoiseFloorBytes
	}
	if o.MinPositiveFraction == 0 {
		o.MinPositiveFraction = defaultMinPositiveFraction
	}
	if o.SuspectRetainedBytes == 0 {
		o.SuspectRetainedBytes = 16 * o.NoiseFloorBytes
	}
	if o.HuntMemProfileRate == 0 {
		o.HuntMemProfileRate = defaultHuntMemProfileRate
	}
	if o.TopSites == 0 {
		o.TopSites = defaultTopSites
	}
	if o.GoroutineGrace == 0 {
		o.GoroutineGrace = defaultGoroutineGrace
	}
	if o.MaxGoroutineStacks == 0 {
		o.MaxGoroutineStacks = defaultMaxGoroutineStacks
	}
	if o.SampleInterval == 0 {
		o.SampleInterval = defaultSampleInterval
	}
	return o, nil
}
