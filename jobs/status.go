package jobs

import (
	"fmt"
	"time"

	"github.com/forecastd/forecastd/data/sqlstore"
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
}

// The codecs of what a job row persists; every reader and writer of the
// row's params, memory and phases goes through them.
var (
	paramsRecord = record.New[Params]("job params")
	memoryRecord = record.New[MemorySummary]("job memory summary")
	phasesRecord = record.New[Phases]("job phases")
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
	RequestID  string         `json:"request_id,omitempty"`
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
