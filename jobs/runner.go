package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/jobs/record"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

// Store is the storage a Runner works on: jobs, sales series and
// results. *sqlstore.Store implements it, on SQLite and PostgreSQL.
type Store interface {
	GetJob(ctx context.Context, id string) (*sqlstore.Job, error)
	StartJob(ctx context.Context, id string, total int) error
	JobProgress(ctx context.Context, id string, done, total int) error
	JobPhases(ctx context.Context, id string, phases []byte) error
	FinishJob(ctx context.Context, id, state, errText string, memory []byte) error
	LoadSeries(ctx context.Context, f sqlstore.SeriesFilter) ([]*data.Series, error)
	ListSeries(ctx context.Context, store string, after data.Key, limit int) ([]sqlstore.SeriesInfo, error)
	StageResult(ctx context.Context, jobID string, k data.Key, body, models []byte) error
	PublishResults(ctx context.Context, jobID string, at time.Time) (int64, error)
	ListResults(ctx context.Context, fn func(*sqlstore.Result) error) error
}

// Runner executes jobs: it loads the series, runs the tournament (or a
// refresh) inside a memguard guard, stages each series' result as it
// completes and publishes them all at once at the end.
type Runner struct {
	Store    Store
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
	p, err := r.storedParams(job)
	if err != nil {
		return r.fail(ctx, id, err, nil)
	}
	log := r.logger().With("job_id", id, "kind", p.Kind.String(), "request_id", job.RequestID)
	var ph Phases
	t0 := time.Now()
	series, err := r.Store.LoadSeries(ctx, sqlstore.SeriesFilter{Stores: p.Stores, SKUs: p.SKUs})
	ph.Load = time.Since(t0).Seconds()
	if err != nil {
		return r.fail(ctx, id, err, nil)
	}
	if len(series) == 0 {
		return r.fail(ctx, id, errNoSales, nil)
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
		return r.run(ctx, id, p, series, &failed, &firstFailure, r.progress(ctx, id))
	})
	mem := summarise(report)
	ph.Train = time.Since(start).Seconds()
	if runErr != nil {
		if ctx.Err() != nil {
			// Shutdown or cancellation: the caller decides; keep the
			// memory report for the status.
			if ferr := r.finish(context.WithoutCancel(ctx), id, sqlstore.JobQueued, "interrupted: "+ctx.Err().Error(), mem); ferr != nil {
				return errors.Join(ctx.Err(), ferr)
			}
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
	if err := r.recordPhases(ctx, id, &ph); err != nil {
		log.Warn("job phases not recorded", "err", err)
	}
	msg := ""
	if f := failed.Load(); f > 0 {
		msg = fmt.Sprintf("%d of %d series failed; first: %v", f, len(series), firstFailure.Load())
	}
	if n == 0 {
		return r.fail(ctx, id, fmt.Errorf("no series could be forecast: %s", msg), mem)
	}
	if err := r.finish(ctx, id, sqlstore.JobSucceeded, msg, mem); err != nil {
		return err
	}
	log.Info("job succeeded", "series", len(series), "published", n, "seconds", time.Since(start).Seconds(),
		"retained_bytes", report.RetainedBytes, "verdict", report.Verdict.State)
	r.huntIfLeaking(ctx, report, p, series)
	return nil
}

// errNoSales fails a job whose filters select no stored series.
var errNoSales = errors.New("no sales match the job's stores and skus: upload sales first")

// storedParams decodes and checks the params job was queued with (the
// registry may have changed since).
func (r *Runner) storedParams(job *sqlstore.Job) (Params, error) {
	var p Params
	if err := paramsRecord.Decode(job.Params, &p); err != nil {
		return p, fmt.Errorf("job %s: stored params: %w", job.ID, err)
	}
	if err := p.Validate(r.Registry); err != nil {
		return p, fmt.Errorf("job %s: %w", job.ID, err)
	}
	return p, nil
}

// run trains or refreshes series, as p's kind says.
func (r *Runner) run(ctx context.Context, id string, p Params, series []*data.Series, failed *atomic.Int64, first *atomic.Value, prog forecast.Progress) error {
	if p.Kind == KindRefresh {
		return r.refresh(ctx, id, series, failed, first, prog)
	}
	return r.train(ctx, id, p, series, failed, first, prog)
}

func (r *Runner) recordPhases(ctx context.Context, id string, ph *Phases) error {
	b, err := phasesRecord.Encode(ph)
	if err != nil {
		return err
	}
	return r.Store.JobPhases(ctx, id, b)
}

// finish records the end (or, with JobQueued, the interruption) of job id
// with its memory summary, if any.
func (r *Runner) finish(ctx context.Context, id, state, msg string, mem *MemorySummary) error {
	var b []byte
	if mem != nil {
		var err error
		if b, err = memoryRecord.Encode(mem); err != nil {
			return fmt.Errorf("jobs: job %s: %w", id, err)
		}
	}
	return r.Store.FinishJob(ctx, id, state, msg, b)
}

func (r *Runner) fail(ctx context.Context, id string, err error, mem *MemorySummary) error {
	r.logger().Error("job failed", "job_id", id, "err", err)
	if ferr := r.finish(context.WithoutCancel(ctx), id, sqlstore.JobFailed, err.Error(), mem); ferr != nil {
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
	body, err := record.Result.Encode(out.Result)
	if err != nil {
		return fmt.Errorf("jobs: %s: %w", k, err)
	}
	kept, err := record.Kept.Encode(&out.Kept)
	if err != nil {
		return fmt.Errorf("jobs: %s: %w", k, err)
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
		err := record.Result.Decode(res.Body, &prev)
		if err == nil {
			err = record.Kept.Decode(res.Models, &kept)
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
