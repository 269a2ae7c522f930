package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

// Runner executes jobs: it loads the series, runs the tournament (or a
// refresh) inside a memguard guard, stages each series' result as it
// completes and publishes them all at once at the end.
type Runner struct {
	Store    *sqlstore.Store
	Registry *models.Registry
	Guard    *memguard.Guard
	Logger   *slog.Logger
	// Workers bounds the series trained at once; default GOMAXPROCS.
	Workers int
	// Excluded reports models left out of tournaments (memguard's
	// quarantine); nil means none.
	Excluded func(name string) bool
	// ProgressEvery throttles progress writes; default 500 ms.
	ProgressEvery time.Duration

	// Metrics, if set, counts finished jobs and their durations.
	Metrics *Metrics

	hunts hunter
}

// phases are the seconds a job spent in each of its steps.
type phases struct {
	Load    float64 `json:"load_seconds"`
	Train   float64 `json:"train_seconds"`
	Publish float64 `json:"publish_seconds"`
}

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

func summarise(r *memguard.Report) json.RawMessage {
	if r == nil {
		return nil
	}
	b, err := json.Marshal(MemorySummary{
		ReportID: r.ID, HeapLiveBefore: r.HeapLiveBefore, HeapLiveAfter: r.HeapLiveAfter, RetainedBytes: r.RetainedBytes,
		RSSBefore: r.RSSBefore, RSSAfter: r.RSSAfter, GoroutinesBefore: r.GoroutinesBefore, GoroutinesAfter: r.GoroutinesAfter,
		Verdict: r.Verdict.State, Reason: r.Verdict.Reason, SlopeBytesPerRun: r.Verdict.Slope,
	})
	if err != nil {
		return nil
	}
	return b
}

// ErrCancelled marks a job cancelled through the API.
var ErrCancelled = errors.New("jobs: job cancelled")

// Execute runs job id to completion and records its final state. It
// returns ctx's error when the context ends first (shutdown or cancel),
// leaving the caller to decide between retry and cancellation.
func (r *Runner) Execute(ctx context.Context, id string) (err error) {
	job, err := r.Store.GetJob(ctx, id)
	if err != nil {
		return err
	}
	if job.State == sqlstore.JobCancelled || job.State == sqlstore.JobSucceeded {
		return nil
	}
	var p Params
	if err := json.Unmarshal(job.Params, &p); err != nil {
		return r.fail(ctx, id, fmt.Errorf("job %s: stored params: %w", id, err), nil)
	}
	if err := p.Validate(r.Registry); err != nil {
		return r.fail(ctx, id, fmt.Errorf("job %s: %w", id, err), nil)
	}
	log := r.logger().With("job_id", id, "kind", p.Kind.String(), "request_id", job.RequestID)
	var ph phases
	t0 := time.Now()
	series, err := r.Store.LoadSeries(ctx, sqlstore.SeriesFilter{Stores: p.Stores, SKUs: p.SKUs})
	ph.Load = time.Since(t0).Seconds()
	if err != nil {
		return r.fail(ctx, id, err, nil)
	}
	if len(series) == 0 {
		return r.fail(ctx, id, fmt.Errorf("no sales match the job's stores and skus: upload sales first"), nil)
	}
	if err := r.Store.StartJob(ctx, id, len(series)); err != nil {
		return err
	}
	log.Info("job started", "series", len(series))
	start := time.Now()
	var failed atomic.Int64
	var firstFailure atomic.Value
	defer func() { r.Metrics.observe(p.Kind, outcome(ctx, err), start) }()
	report, runErr := r.Guard.Run(ctx, p.Kind.String(), func(ctx context.Context) error {
		if p.Kind == KindRefresh {
			return r.refresh(ctx, id, series, &failed, &firstFailure, r.progress(ctx, id))
		}
		return r.train(ctx, id, p, series, &failed, &firstFailure, r.progress(ctx, id))
	})
	mem := summarise(report)
	ph.Train = time.Since(start).Seconds()
	if runErr != nil {
		if ctx.Err() != nil {
			// Shutdown or cancellation: the caller decides; keep the
			// memory report for the status.
			_ = r.Store.FinishJob(context.WithoutCancel(ctx), id, sqlstore.JobQueued, "interrupted: "+ctx.Err().Error(), mem)
			return ctx.Err()
		}
		return r.fail(ctx, id, runErr, mem)
	}
	t1 := time.Now()
	n, err := r.Store.PublishResults(ctx, id, time.Now())
	if err != nil {
		return r.fail(ctx, id, err, mem)
	}
	ph.Publish = time.Since(t1).Seconds()
	if b, err := json.Marshal(ph); err == nil {
		if err := r.Store.JobPhases(ctx, id, b); err != nil {
			log.Warn("job phases not recorded", "err", err)
		}
	}
	msg := ""
	if f := failed.Load(); f > 0 {
		msg = fmt.Sprintf("%d of %d series failed; first: %v", f, len(series), firstFailure.Load())
	}
	if n == 0 {
		return r.fail(ctx, id, fmt.Errorf("no series could be forecast: %s", msg), mem)
	}
	if err := r.Store.FinishJob(ctx, id, sqlstore.JobSucceeded, msg, mem); err != nil {
		return err
	}
	log.Info("job succeeded", "series", len(series), "published", n, "seconds", time.Since(start).Seconds(),
		"retained_bytes", report.RetainedBytes, "verdict", report.Verdict.State)
	r.huntIfLeaking(ctx, report, p, series)
	return nil
}

func (r *Runner) fail(ctx context.Context, id string, err error, mem json.RawMessage) error {
	r.logger().Error("job failed", "job_id", id, "err", err)
	if ferr := r.Store.FinishJob(context.WithoutCancel(ctx), id, sqlstore.JobFailed, err.Error(), mem); ferr != nil {
		return errors.Join(err, ferr)
	}
	return permanent{err}
}

// permanent marks an error that retrying cannot fix (bad params, no data).
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// IsPermanent reports whether err should not be retried.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

func (r *Runner) candidates(p Params) ([]models.Spec, error) {
	specs, err := r.Registry.Select(p.Models)
	if err != nil {
		return nil, err
	}
	if r.Excluded == nil {
		return specs, nil
	}
	out := specs[:0:0]
	for _, s := range specs {
		if !r.Excluded(s.Name) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("every selected model is quarantined")
	}
	return out, nil
}

func (r *Runner) progress(ctx context.Context, id string) forecast.Progress {
	every := r.ProgressEvery
	if every <= 0 {
		every = 500 * time.Millisecond
	}
	var last time.Time
	return func(done, total int) {
		if done < total && time.Since(last) < every {
			return
		}
		last = time.Now()
		if err := r.Store.JobProgress(ctx, id, done, total); err != nil && ctx.Err() == nil {
			r.logger().Warn("job progress not recorded", "job_id", id, "err", err)
		}
	}
}

func (r *Runner) train(ctx context.Context, id string, p Params, series []*data.Series, failed *atomic.Int64, first *atomic.Value, prog forecast.Progress) error {
	specs, err := r.candidates(p)
	if err != nil {
		return err
	}
	o := p.options()
	o.Candidates = specs
	o.Workers = r.Workers
	return forecast.Run(ctx, series, o, func(s *data.Series, out *forecast.Outcome, err error) error {
		if err != nil {
			failed.Add(1)
			first.CompareAndSwap(nil, fmt.Sprintf("%s: %v", s.Key, err))
			return nil
		}
		return r.stage(ctx, id, s.Key, out)
	}, prog)
}

func (r *Runner) stage(ctx context.Context, id string, k data.Key, out *forecast.Outcome) error {
	body, err := json.Marshal(out.Result)
	if err != nil {
		return fmt.Errorf("jobs: encode result of %s: %w", k, err)
	}
	kept, err := json.Marshal(out.Kept)
	if err != nil {
		return fmt.Errorf("jobs: encode kept models of %s: %w", k, err)
	}
	return r.Store.StageResult(ctx, id, k, body, kept)
}

func (r *Runner) refresh(ctx context.Context, id string, series []*data.Series, failed *atomic.Int64, first *atomic.Value, prog forecast.Progress) error {
	byKey := make(map[data.Key]*data.Series, len(series))
	for _, s := range series {
		byKey[s.Key] = s
	}
	done := 0
	err := r.Store.ListResults(ctx, func(res *sqlstore.Result) error {
		s, ok := byKey[res.Key]
		if !ok {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		var prev forecast.Result
		var kept []forecast.Kept
		err := json.Unmarshal(res.Body, &prev)
		if err == nil {
			err = json.Unmarshal(res.Models, &kept)
		}
		var out *forecast.Outcome
		if err == nil {
			out, err = forecast.Refresh(ctx, s, &prev, kept, r.Registry)
		}
		done++
		prog(done, len(series))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed.Add(1)
			first.CompareAndSwap(nil, err.Error())
			return nil
		}
		return r.stage(ctx, id, s.Key, out)
	})
	prog(len(series), len(series))
	return err
}
