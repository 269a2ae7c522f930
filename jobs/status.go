package jobs

import (
	"fmt"
	"sync"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/jobs/record"
	"github.com/forecastd/forecastd/memguard"
)

// MemorySummary is the memguard summary a job status carries.
type MemorySummary struct {
	ReportID         string  `json:"report_id"`
	HeapLiveBefore   int64   `json:"heap_live_before"`
	HeapLiveAfter    int64   `json:"heap_live_after"`
	RetainedBytes    int64   `json:"retained_bytes"`
	RSSBefore        int64   `json:"rss_before"`
	RSSAfter         int64   `json:"rss_after"`
	GoroutinesBefore int     `json:"goroutines_before"`
	GoroutinesAfter  int     `json:"goroutines_after"`
	Verdict          string  `json:"verdict"`
	Reason           string  `json:"reason"`
	SlopeBytesPerRun float64 `json:"slope_bytes_per_run"`
	// Worker names the process whose guard made the report (with
	// fan-out, the partition with the worst verdict).
	Worker string `json:"worker,omitempty"`
}

// summarise is the summary of r, or nil without a report.
func summarise(r *memguard.Report) *MemorySummary {
	if r == nil {
		return nil
	}
	return &MemorySummary{
		ReportID: r.ID, HeapLiveBefore: r.HeapLiveBefore, HeapLiveAfter: r.HeapLiveAfter, RetainedBytes: r.RetainedBytes,
		RSSBefore: r.RSSBefore, RSSAfter: r.RSSAfter, GoroutinesBefore: r.GoroutinesBefore, GoroutinesAfter: r.GoroutinesAfter,
		Verdict: r.Verdict.State, Reason: r.Verdict.Reason, SlopeBytesPerRun: r.Verdict.Slope,
	}
}

// Phases are the seconds a job spent in each of its steps.
type Phases struct {
	Load    float64 `json:"load_seconds"`
	Train   float64 `json:"train_seconds"`
	Publish float64 `json:"publish_seconds"`
	// Global is what training the global candidates' pools cost: the
	// job's shared pool (forecast.Pool), or the one batch's, plus those
	// a batch trains for a frequency the pool lacks; nil when the job
	// has no global candidate.
	Global *forecast.GlobalStats `json:"global,omitempty"`
}

// Summary counts what a job did with its series, and names the series
// that need attention: one that cannot be assembled is excluded, one
// whose training fails is failed, and neither stops the others. New
// kinds of outcome add a count and a warning kind; readers ignore what
// they do not know.
type Summary struct {
	// SeriesTotal is every series the job selected, excluded ones included.
	SeriesTotal int `json:"series_total"`
	// Trained series have a staged (and, once the job succeeds,
	// published) forecast: Full of them from the tournament as asked,
	// Reduced from a smaller backtest (fewer folds, a shorter validation
	// horizon or fewer candidates: the history was short), Fallback from
	// a flat fallback rather than the tournament (forecast.Class).
	Trained  int `json:"trained"`
	Full     int `json:"full"`
	Reduced  int `json:"reduced"`
	Fallback int `json:"fallback"`
	// ColdStart counts series too short for a tournament that a global
	// model trained on the job's other series forecast
	// (forecast.ClassColdStart); each has a WarnColdStart warning.
	ColdStart int `json:"cold_start,omitempty"`
	Excluded  int `json:"excluded"`
	Failed    int `json:"failed"`
	// CovariatesDropped counts the trained series whose tournament left
	// out a covariate of their history because it has no plan over the
	// whole horizon (forecast.Outcome.CovariatesDropped); each has a
	// WarnCovariate warning naming the covariates.
	CovariatesDropped int `json:"covariates_dropped"`
	// Warnings name every series that is not full (excluded, failed,
	// fallback, reduced) with the reason, and every series that dropped a
	// covariate, the first MaxWarnings of them; WarningsOmitted counts
	// the others.
	Warnings        []Warning `json:"warnings"`
	WarningsOmitted int       `json:"warnings_omitted,omitempty"`
	// Reconcile says what the hierarchical reconciliation did, when the
	// job asked for one (Params.Reconcile).
	Reconcile *ReconcileSummary `json:"reconcile,omitempty"`
	// FanOut says how a partitioned job's partitions ran: timings and
	// failovers (fanout_report.go).
	FanOut *FanOut `json:"fan_out,omitempty"`
}

// Warning names a series and what went wrong with it.
type Warning struct {
	Series string `json:"series"`
	// Kind is WarnExcluded, WarnFailed, WarnFallback, WarnReduced or
	// WarnCovariate.
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
}

// Warning kinds.
const (
	WarnExcluded = "excluded" // the series cannot be assembled (sqlstore.ErrUnassemblable)
	WarnFailed   = "failed"   // training or refreshing the series failed
	WarnFallback = "fallback" // the series got the flat fallback, not the tournament
	WarnReduced  = "reduced"  // the backtest was cut to fit the history
	// WarnColdStart: too short for a tournament, forecast by a global
	// model from the job's other series.
	WarnColdStart = "cold_start"
	// WarnCovariate: covariates of the history were left out, with no
	// plan over the horizon; the series is trained, and may also have
	// a warning of its class.
	WarnCovariate = "covariate"
)

// MaxWarnings bounds the warnings a job summary lists, so a job over a
// million bad series keeps a small status.
const MaxWarnings = 100

// warn adds a warning, or counts it once MaxWarnings are listed.
func (s *Summary) warn(w Warning) {
	if len(s.Warnings) >= MaxWarnings {
		s.WarningsOmitted++
		return
	}
	s.Warnings = append(s.Warnings, w)
}

// merge adds the counts and warnings of o (a partition's) to s.
func (s *Summary) merge(o *Summary) {
	s.Trained += o.Trained
	s.Full += o.Full
	s.Reduced += o.Reduced
	s.Excluded += o.Excluded
	s.Failed += o.Failed
	s.Fallback += o.Fallback
	s.ColdStart += o.ColdStart
	s.CovariatesDropped += o.CovariatesDropped
	for _, w := range o.Warnings {
		s.warn(w)
	}
	s.WarningsOmitted += o.WarningsOmitted
	if o.Reconcile != nil {
		s.Reconcile = o.Reconcile
	}
}

// tally builds a Summary while a job's series workers report into it.
type tally struct {
	mu sync.Mutex
	s  Summary
	// first is the first failure as the job's error text gives it.
	first string
}

// exclude records series left out of the job.
func (t *tally) exclude(bad []*sqlstore.UnassemblableError) {
	for _, e := range bad {
		t.excludeSeries(e.Key, e.Reason)
	}
}

// excludeSeries records a loaded series left out of the job, and why.
func (t *tally) excludeSeries(k data.Key, reason string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.s.Excluded++
	t.s.warn(Warning{Series: k.String(), Kind: WarnExcluded, Reason: reason})
}

// fail records a series whose training failed; first is how the job's
// error text names it if it is the first.
func (t *tally) fail(k data.Key, err error, first string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.s.Failed++
	t.s.warn(Warning{Series: k.String(), Kind: WarnFailed, Reason: err.Error()})
	if t.first == "" {
		t.first = first
	}
}

// trained records a series whose result was staged, by how completely
// its tournament ran.
func (t *tally) trained(k data.Key, out *forecast.Outcome) {
	class, reason := forecast.Classify(out, nil)
	if class == forecast.ClassFull && out.Result != nil && out.Result.Fallback != "" {
		// A refresh of a fallback (or of a result stored before classes):
		// what it serves is still the fallback.
		class, reason = forecast.ClassFallback, "fallback: "+out.Result.Fallback
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.s.Trained++
	switch class {
	case forecast.ClassFallback:
		t.s.Fallback++
		t.s.warn(Warning{Series: k.String(), Kind: WarnFallback, Reason: reason})
	case forecast.ClassColdStart:
		t.s.ColdStart++
		t.s.warn(Warning{Series: k.String(), Kind: WarnColdStart, Reason: reason})
	case forecast.ClassReduced:
		t.s.Reduced++
		t.s.warn(Warning{Series: k.String(), Kind: WarnReduced, Reason: reason})
	default:
		t.s.Full++
	}
	if len(out.CovariatesDropped) > 0 {
		t.s.CovariatesDropped++
		t.s.warn(Warning{Series: k.String(), Kind: WarnCovariate, Reason: forecast.DroppedText(out.CovariatesDropped)})
	}
}

// summary is a copy of the summary so far, with total series.
func (t *tally) summary(total int) *Summary {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.s
	s.SeriesTotal = total
	s.Warnings = append([]Warning{}, t.s.Warnings...)
	return &s
}

// excluded is the number of series excluded so far.
func (t *tally) excluded() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.s.Excluded
}

// failures is the failed count and the first failure.
func (t *tally) failures() (int, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.s.Failed, t.first
}

// The codecs of what a job row persists; every reader and writer of the
// row's params, memory, phases and summary goes through them.
var (
	paramsRecord  = record.New[Params]("job params")
	memoryRecord  = record.New[MemorySummary]("job memory summary")
	phasesRecord  = record.New[Phases]("job phases")
	summaryRecord = record.New[Summary]("job summary")
)

// Job is a job as the API shows it: its stored row with the params,
// memory summary and phases decoded.
type Job struct {
	ID          string     `json:"id"`
	Kind        Kind       `json:"kind"`
	State       string     `json:"state"`
	Params      Params     `json:"params"`
	Progress    float64    `json:"progress"`
	SeriesTotal int        `json:"series_total"`
	SeriesDone  int        `json:"series_done"`
	CreatedAt   time.Time  `json:"created_at"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	Error       string     `json:"error,omitempty"`
	// ETASeconds estimates the time left of a running job from its
	// progress so far.
	ETASeconds *float64       `json:"eta_seconds,omitempty"`
	Memory     *MemorySummary `json:"memory,omitempty"`
	Phases     *Phases        `json:"phases,omitempty"`
	// Summary says what the job did with each series; absent until the
	// job has loaded them.
	Summary   *Summary `json:"summary,omitempty"`
	RequestID string   `json:"request_id,omitempty"`
	// FanOut is a running partitioned job's partitions as they stand
	// (Queue.LiveFanOut); the finished job's are in Summary.FanOut.
	FanOut *FanOut `json:"fan_out,omitempty"`
}

// DecodeJob decodes a stored job row.
func DecodeJob(row *sqlstore.Job) (*Job, error) {
	kind, err := ParseKind(row.Kind)
	if err != nil {
		return nil, fmt.Errorf("jobs: job %s: %w", row.ID, err)
	}
	j := &Job{ID: row.ID, Kind: kind, State: row.State, Progress: row.Progress, SeriesTotal: row.SeriesTotal,
		SeriesDone: row.SeriesDone, CreatedAt: row.CreatedAt, StartedAt: row.StartedAt, FinishedAt: row.FinishedAt,
		Error: row.Error, ETASeconds: row.ETASeconds, RequestID: row.RequestID}
	if err := paramsRecord.Decode(row.Params, &j.Params); err != nil {
		return nil, fmt.Errorf("jobs: job %s: %w", row.ID, err)
	}
	if len(row.Memory) > 0 {
		j.Memory = new(MemorySummary)
		if err := memoryRecord.Decode(row.Memory, j.Memory); err != nil {
			return nil, fmt.Errorf("jobs: job %s: %w", row.ID, err)
		}
	}
	if len(row.Phases) > 0 {
		j.Phases = new(Phases)
		if err := phasesRecord.Decode(row.Phases, j.Phases); err != nil {
			return nil, fmt.Errorf("jobs: job %s: %w", row.ID, err)
		}
	}
	if len(row.Summary) > 0 {
		j.Summary = new(Summary)
		if err := summaryRecord.Decode(row.Summary, j.Summary); err != nil {
			return nil, fmt.Errorf("jobs: job %s: %w", row.ID, err)
		}
	}
	return j, nil
}

// DecodeJobs decodes stored job rows.
func DecodeJobs(rows []*sqlstore.Job) ([]*Job, error) {
	out := make([]*Job, len(rows))
	for i, row := range rows {
		j, err := DecodeJob(row)
		if err != nil {
			return nil, err
		}
		out[i] = j
	}
	return out, nil
}
