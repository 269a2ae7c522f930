package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/forecast/hierarchy"
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
	LoadSeriesExcluding(ctx context.Context, f sqlstore.SeriesFilter) ([]*data.Series, []*sqlstore.UnassemblableError, error)
	JobSummary(ctx context.Context, id string, summary []byte) error
	ListSeries(ctx context.Context, store string, after data.Key, limit int) ([]sqlstore.SeriesInfo, error)
	StageResult(ctx context.Context, jobID string, k data.Key, body, models []byte) error
	// StageResults stages several results in one transaction and
	// ListKeys pages through a job's series (stream.go).
	ListKeys(ctx context.Context, f sqlstore.SeriesFilter, after *data.Key, limit int) ([]data.Key, error)
	StageResults(ctx context.Context, jobID string, rows []sqlstore.Staged) error
	PublishResults(ctx context.Context, jobID string, at time.Time) (int64, error)
	ListResults(ctx context.Context, fn func(*sqlstore.Result) error) error
	// Quarantine and SaveHunt persist what the leak hunt decided;
	// QuarantineList is read before each job (syncQuarantine).
	Quarantine(ctx context.Context, q sqlstore.Quarantined) error
	QuarantineList(ctx context.Context) ([]sqlstore.Quarantined, error)
	SaveHunt(ctx context.Context, h sqlstore.Hunt) error
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
	// BatchSize is how many series a training job loads, trains and
	// stages at once (stream.go); default DefaultBatchSize.
	BatchSize int

	// Metrics, if set, counts finished jobs and their durations.
	Metrics *Metrics

	hunts hunter
	qsync quarantineSync
	pools poolCache // the global candidates' pools of the jobs whose partitions ran here (pool.go)
}

// ErrCancelled marks a job cancelled through the API.
var ErrCancelled = errors.New("jobs: job cancelled")

// Execute runs job id to completion and records its final state. It
// returns ctx's error when the context ends first (shutdown or cancel),
// leaving the caller to decide between retry and cancellation. Loading
// the series runs inside the guard with the training, so the memory
// budget counts both; a series that cannot be assembled is left out with
// a warning in the job's summary.
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
	var (
		ph       Phases
		sum      tally
		loaded   = -1 // series selected, once loaded
		trained  int  // series handed to training
		sample   data.Key
		loadErr  error // a load failure, or no series to train
		startErr error // StartJob's failure, returned as it is
		start    time.Time
	)
	defer func() {
		if !start.IsZero() {
			r.Metrics.observe(p.Kind, outcome(ctx, err), start)
		}
	}()
	r.syncQuarantine(ctx)
	report, runErr := r.Guard.Run(ctx, p.Kind.String(), func(ctx context.Context) error {
		// A train job is streamed in batches (stream.go), unless it
		// reconciles: reconciliation needs every series of the job at once.
		if p.Kind == KindTrain && p.reconcileMethod() == hierarchy.None {
			st, err := r.trainStreamed(ctx, id, p, log, &ph, &sum)
			loaded, trained, sample, loadErr, startErr, start = st.loaded, st.trained, st.sample, st.loadErr, st.startErr, st.start
			return err
		}
		t0 := time.Now()
		series, err := r.load(ctx, p.filter(), &sum)
		ph.Load = time.Since(t0).Seconds()
		if err != nil {
			loadErr = err
			return err
		}
		series = r.screenNegative(series, p.Negative, &sum)
		loaded, trained = len(series)+sum.excluded(), len(series)
		if len(series) == 0 {
			loadErr = noSeries(sum.summary(loaded))
			return loadErr
		}
		if startErr = r.Store.StartJob(ctx, id, len(series)); startErr != nil {
			return startErr
		}
		log.Info("job started", "series", len(series), "excluded", loaded-len(series))
		start = time.Now()
		sample = longest(series)
		return r.run(ctx, id, p, series, &sum, r.progress(ctx, id))
	})
	mem := summarise(report)
	// The run is over: the tally no longer changes, so one copy of its
	// summary serves the record, the message and the metrics.
	var summary *Summary
	if loaded >= 0 {
		summary = sum.summary(loaded)
		if err := r.recordSummary(context.WithoutCancel(ctx), id, summary); err != nil {
			log.Warn("job summary not recorded", "err", err)
		}
	}
	switch {
	case startErr != nil:
		return startErr
	case runErr != nil && ctx.Err() != nil:
		// Shutdown or cancellation: the caller decides; keep the
		// memory report for the status.
		if ferr := r.finish(context.WithoutCancel(ctx), id, sqlstore.JobQueued, "interrupted: "+ctx.Err().Error(), mem); ferr != nil {
			return errors.Join(ctx.Err(), ferr)
		}
		return ctx.Err()
	case loadErr != nil && !errors.Is(runErr, memguard.ErrBudgetExceeded):
		return r.fail(ctx, id, loadErr, mem)
	case runErr != nil:
		return r.fail(ctx, id, runErr, mem)
	}
	ph.Train = time.Since(start).Seconds()
	t1 := time.Now()
	n, err := r.Store.PublishResults(ctx, id, time.Now())
	if err != nil {
		return r.fail(ctx, id, err, mem)
	}
	ph.Publish = time.Since(t1).Seconds()
	if err := r.recordPhases(ctx, id, &ph); err != nil {
		log.Warn("job phases not recorded", "err", err)
	}
	failed, first := sum.failures()
	msg := outcomeText(summary, failed, first, trained)
	if n == 0 && keptPublished(summary) == 0 {
		return r.fail(ctx, id, fmt.Errorf("no series could be forecast: %s", msg), mem)
	}
	if err := r.finish(ctx, id, sqlstore.JobSucceeded, msg, mem); err != nil {
		return err
	}
	r.Metrics.observeSeries(p.Kind, summary)
	log.Info("job succeeded", "series", trained, "published", n, "seconds", time.Since(start).Seconds(),
		"retained_bytes", report.RetainedBytes, "verdict", report.Verdict.State)
	r.huntIfLeaking(ctx, report, p, sample)
	return nil
}

// load reads the series f selects, recording those that cannot be
// assembled in sum.
func (r *Runner) load(ctx context.Context, f sqlstore.SeriesFilter, sum *tally) ([]*data.Series, error) {
	series, bad, err := r.Store.LoadSeriesExcluding(ctx, f)
	if err != nil {
		return nil, err
	}
	r.exclude(bad, sum)
	return series, nil
}

// exclude records and logs the series left out of the job because they
// cannot be assembled.
func (r *Runner) exclude(bad []*sqlstore.UnassemblableError, sum *tally) {
	sum.exclude(bad)
	for _, e := range bad {
		r.logger().Warn("series excluded from job", "series", e.Key.String(), "reason", e.Reason)
	}
}

// screenNegative applies the job's negative policy to the loaded series:
// under NegativeClip a series with negative values trains on max(y, 0)
// (its values are the job's own copy, loaded for it); under
// NegativeRefuse it is left out of the job with a warning in sum; under
// NegativeAllow it trains as it is. It returns the series to train.
func (r *Runner) screenNegative(series []*data.Series, policy ingest.NegativePolicy, sum *tally) []*data.Series {
	if policy == ingest.NegativeAllow || policy == "" {
		return series
	}
	out := series[:0]
	for _, s := range series {
		if !hasNegative(s.Values) {
			out = append(out, s)
			continue
		}
		if policy == ingest.NegativeClip {
			for i, v := range s.Values {
				s.Values[i] = max(v, 0)
			}
			out = append(out, s)
			continue
		}
		sum.excludeSeries(s.Key, "negative values (negative=refuse)")
		r.logger().Warn("series excluded from job", "series", s.Key.String(), "reason", "negative values (negative=refuse)")
	}
	clear(series[len(out):]) // the refused series are garbage
	return out
}

// hasNegative reports whether any value is below zero.
func hasNegative(values []float64) bool {
	for _, v := range values {
		if v < 0 {
			return true
		}
	}
	return false
}

// longest is the key of the longest of series (the leak hunt's sample),
// kept rather than the series so that nothing the run loaded outlives it.
func longest(series []*data.Series) data.Key {
	var k data.Key
	n := -1
	for _, s := range series {
		if len(s.Values) > n {
			k, n = s.Key, len(s.Values)
		}
	}
	return k
}

// noSeries is the error of a job with nothing to train: no sales at all,
// or only series that cannot be assembled.
func noSeries(s *Summary) error {
	if s.Excluded == 0 {
		return errNoSales
	}
	w := s.Warnings[0]
	return fmt.Errorf("no series could be assembled: %d excluded; first: %s: %s", s.Excluded, w.Series, w.Reason)
}

// outcomeText is a succeeded job's error text: the series that failed
// (failed of trained, the first named), and those excluded; empty when
// there were none.
func outcomeText(s *Summary, failed int, first string, trained int) string {
	msg := ""
	if failed > 0 {
		msg = fmt.Sprintf("%d of %d series failed; first: %s", failed, trained, first)
	}
	if s.Excluded > 0 {
		if msg != "" {
			msg += "; "
		}
		msg += fmt.Sprintf("%d of %d series excluded (cannot be assembled, or negative under negative=refuse; see summary)", s.Excluded, s.SeriesTotal)
	}
	for _, c := range []struct {
		n    int
		what string
	}{{s.Fallback, "fell back to a flat forecast (history too short for any backtest)"},
		{s.Reduced, "had a reduced backtest (history shorter than the backtest asked)"}} {
		if c.n == 0 {
			continue
		}
		if msg != "" {
			msg += "; "
		}
		msg += fmt.Sprintf("%d of %d series %s; see summary", c.n, s.SeriesTotal, c.what)
	}
	if rt := reconcileText(s); rt != "" {
		if msg != "" {
			msg += "; "
		}
		msg += rt
	}
	if n := keptPublished(s); n > 0 {
		if msg != "" {
			msg += "; "
		}
		msg += fmt.Sprintf("%d of %d series kept their published forecast (all their kept models are quarantined); see summary", n, s.SeriesTotal)
	}
	return msg
}

// keptPublished counts the series a refresh left as published because
// all their kept models are quarantined (as listed: past MaxWarnings
// the count stops growing, but stays above zero).
func keptPublished(s *Summary) int {
	n := 0
	for _, w := range s.Warnings {
		if w.Kind == WarnQuarantined {
			n++
		}
	}
	return n
}

// recordSummary stores what the job did with its series.
func (r *Runner) recordSummary(ctx context.Context, id string, s *Summary) error {
	b, err := summaryRecord.Encode(s)
	if err != nil {
		return err
	}
	return r.Store.JobSummary(ctx, id, b)
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

// run trains or refreshes series, as p's kind says, counting the
// outcomes in sum.
func (r *Runner) run(ctx context.Context, id string, p Params, series []*data.Series, sum *tally, prog forecast.Progress) error {
	if p.Kind == KindRefresh {
		return r.refreshRun(ctx, id, p, series, sum, prog) // reconcile_refresh.go
	}
	return r.train(ctx, id, p, series, sum, prog)
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
	every := r.progressEvery()
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

func (r *Runner) train(ctx context.Context, id string, p Params, series []*data.Series, sum *tally, prog forecast.Progress) error {
	if m := p.reconcileMethod(); m != hierarchy.None {
		return r.trainReconciled(ctx, id, p, m, series, sum, prog)
	}
	specs, err := r.candidates(p)
	if err != nil {
		return err
	}
	o := p.options()
	o.Candidates = specs
	o.Workers = r.Workers
	if hasGlobal(specs) {
		// A partition: the global candidates' models are the job's
		// (pool.go), trained here once for all its partitions.
		if o.Pool, err = r.pools.get(ctx, id, func(ctx context.Context) (*forecast.Pool, error) {
			return r.trainJobPool(ctx, p, o)
		}); err != nil {
			return err
		}
	}
	check := r.newInRunCheck(r.logger().With("job_id", id, "kind", p.Kind.String()), specs)
	check.hold(series)
	return forecast.Run(ctx, series, o, func(s *data.Series, out *forecast.Outcome, err error) error {
		if err != nil {
			sum.fail(s.Key, err, fmt.Sprintf("%s: %v", s.Key, err))
			return nil
		}
		n, err := r.stageSized(ctx, id, s, out, sum)
		if err != nil {
			return err
		}
		check.staged(ctx, n)
		return nil
	}, prog)
}

// stageSized stores the outcome of series s, counts it trained and
// returns the bytes of the encoded result and models it staged.
func (r *Runner) stageSized(ctx context.Context, id string, s *data.Series, out *forecast.Outcome, sum *tally) (int64, error) {
	kept, err := record.Kept.Encode(&out.Kept)
	if err != nil {
		return 0, fmt.Errorf("jobs: %s: %w", s.Key, err)
	}
	return r.stageKept(ctx, id, s, out, kept, sum)
}

// stageKept is stageSized for an outcome whose models are already
// encoded as kept: a refresh keeps the stored record of its models
// rather than encoding again what it has just decoded.
func (r *Runner) stageKept(ctx context.Context, id string, s *data.Series, out *forecast.Outcome, kept []byte, sum *tally) (int64, error) {
	k := s.Key
	body, err := record.Result.Encode(out.Result)
	if err != nil {
		return 0, fmt.Errorf("jobs: %s: %w", k, err)
	}
	if err := r.stageResult(ctx, id, s, out.Result, body, kept); err != nil {
		return 0, err
	}
	sum.trained(k, out)
	return int64(len(body) + len(kept)), nil
}

// inRunCheck asks memguard, every memguard.Options.CheckpointEvery staged
// series (default 4), whether
// the training job is leaking while it runs (issue 17: a leak that grows
// across the fits of one job is flagged within that job), and logs the
// first leak judgement with the models whose fits ran under the job's
// profile labels. The judgement also joins the run's verdict, and so the
// job's memory report and memguard's metrics. It is used from the single
// goroutine forecast.Run calls its sink on.
type inRunCheck struct {
	log        *slog.Logger
	candidates []models.Spec
	n          int
	// every is the guard's Options.CheckpointEvery. Checkpoint bounds
	// its own cost (Options.CheckpointOverhead of the run's time: a call
	// that would exceed it returns the last judgement without a GC), so
	// the calls can be frequent; every few series spares jobs of many
	// tiny series even the call's lock.
	every int
	// held is what the job legitimately holds at a checkpoint, not a
	// leak: the series it has loaded (hold), and, where the outcomes
	// stay in memory until the end (keepResults: a reconciliation), the
	// bytes of results staged so far. A streamed job's staged results
	// are in the store, not the heap: counting them as held made the
	// level fall by ~50 KB a series, hiding a real leak that small, and
	// a batch loaded after a smaller one looked like growth (a 30,490-
	// series job was judged leaking at its 1,490-series last batch).
	held        int64
	resultBytes int64
	keepResults bool
	reported    bool
}

// newInRunCheck is the in-run check of a job training specs, asking
// every Options.CheckpointEvery series: every path that stages a job's
// series builds it here, so none judges after every series (whose
// warm-up would then cover only the first few series and call their
// warming caches a leak).
func (r *Runner) newInRunCheck(log *slog.Logger, specs []models.Spec) *inRunCheck {
	return &inRunCheck{log: log, candidates: specs, every: r.Guard.Options().CheckpointEvery}
}

// hold records the series the job has loaded for the fits that follow
// (a streamed job's batch, a partition's series), replacing those of the
// batch before.
func (c *inRunCheck) hold(series []*data.Series) {
	c.held = 0
	for _, s := range series {
		c.held += int64(8 * cap(s.Values))
		for _, v := range s.Covariates {
			c.held += int64(8 * cap(v))
		}
	}
}

func (c *inRunCheck) staged(ctx context.Context, bytes int64) {
	c.n++
	if c.keepResults {
		c.resultBytes += bytes
	}
	if c.reported || c.n%max(1, c.every) != 0 {
		return
	}
	j, ok := memguard.Checkpoint(ctx, c.held+c.resultBytes)
	if !ok || j.State != memguard.StateLeak {
		return
	}
	c.reported = true
	names := make([]string, len(c.candidates))
	for i, sp := range c.candidates {
		names[i] = sp.Name
	}
	c.log.Warn("memory leak within the job", "resource", j.Resource, "reason", j.Reason,
		"series_staged", c.n, "held_bytes", c.held+c.resultBytes, forecast.LabelModel, names)
}

func (r *Runner) refresh(ctx context.Context, id string, series []*data.Series, sum *tally, prog forecast.Progress) error {
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
			use, left := r.withoutQuarantined(kept)
			if len(use) == 0 && len(left) > 0 {
				done++
				prog(done, len(series))
				sum.keepPublished(s.Key, left)
				return nil
			}
			out, err = forecast.Refresh(ctx, s, &prev, use, r.Registry)
			if err == nil {
				// Keep every kept model on record (res.Models, staged as
				// stored): a model released from quarantine takes part in
				// the next refresh again.
				out.Kept = kept
			}
		}
		done++
		prog(done, len(series))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			sum.fail(s.Key, err, err.Error())
			return nil
		}
		_, err = r.stageKept(ctx, id, s, out, res.Models, sum)
		return err
	})
	prog(len(series), len(series))
	return err
}

// withoutQuarantined drops the quarantined models from a series' kept
// models: a refresh must not run code memguard found leaking. The
// refresh re-weights the models that remain (forecast.Refresh divides by
// their weights' sum). It returns the names left out.
func (r *Runner) withoutQuarantined(kept []forecast.Kept) ([]forecast.Kept, []string) {
	if r.Excluded == nil {
		return kept, nil
	}
	var left []string
	out := make([]forecast.Kept, 0, len(kept))
	for _, k := range kept {
		if r.Excluded(k.Name) {
			left = append(left, k.Name)
			continue
		}
		out = append(out, k)
	}
	return out, left
}

// WarnQuarantined: every model a series kept is quarantined, so a
// refresh left its published forecast as it was; a training job gives
// it models again.
const WarnQuarantined = "quarantined"

// keepPublished records a series whose refresh was skipped because all
// its kept models are quarantined.
func (t *tally) keepPublished(k data.Key, models []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.s.warn(Warning{Series: k.String(), Kind: WarnQuarantined,
		Reason: "all kept models are quarantined (" + strings.Join(models, ", ") + "): the published forecast is kept; run a training job"})
}
