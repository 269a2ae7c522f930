package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/memguard"
)

// Fan-out: the parent River job (WorkArgs) of a job lists the job's series,
// splits them into partitions and inserts one PartArgs River job per
// partition, in one transaction with the plan it records on itself. Any
// worker process runs partitions; each stages its series' results
// (StageResult upserts, so a partition run twice leaves each series once).
// The parent does not wait in a worker slot: it snoozes, and on each wake
// sums its partitions' progress, and when all have completed publishes
// every staged result at once (PublishResults), as the embedded mode does.
//
// A worker killed mid-partition leaves the partition "running"; a live
// worker's heartbeat makes it available again once the dead worker has
// not beaten for DeadAfter (heartbeat.go), or, without heartbeats,
// River's leader rescues it after Config.RescueAfter. Parents are rescued
// the same way, and as a parent attempt lasts milliseconds, a short
// RescueAfter never takes a live parent for dead. How the series are
// split is plan.go's; what the partitions did, fanout_report.go's.

// Partitioning of a job's series (Params.PartitionBy).
const (
	PartitionBySeries = "series" // chunks of PartitionSize series (default)
	PartitionByStore  = "store"  // one partition per store
)

// PartArgs is the River job that trains one partition of a job.
type PartArgs struct {
	JobID string `json:"job_id" river:"unique"`
	Part  int    `json:"part" river:"unique"`
	Parts int    `json:"parts"`
	// All selects every series of the job (a refresh); Stores, when set,
	// selects whole stores (with the job's SKU filter); otherwise Keys
	// lists the partition's series.
	All    bool       `json:"all,omitempty"`
	Stores []string   `json:"stores,omitempty"`
	Keys   []data.Key `json:"keys,omitempty"`
	Series int        `json:"series"`
	// Cost is the partition's estimated cost (plan.go), when the plan
	// was sized by cost.
	Cost float64 `json:"cost,omitempty"`
}

// Kind names the River job kind.
func (PartArgs) Kind() string { return "forecastd.partition" }

// jobTag tags a job's partitions so the parent can list them.
func jobTag(id string) string { return "job_" + id }

// PartOutput is what a partition records on its River job (eagerly while
// it runs, for progress, and when it ends).
type PartOutput struct {
	Worker       string         `json:"worker"`
	Series       int            `json:"series"`
	Done         int            `json:"done"`
	Failed       int64          `json:"failed"`
	FirstFailure string         `json:"first_failure,omitempty"`
	Memory       *MemorySummary `json:"memory,omitempty"`
	// Summary is what the partition did with its series, once loaded.
	Summary *Summary `json:"summary,omitempty"`
}

// plan is what the parent records on itself once its partitions exist.
type plan struct {
	Parts  int `json:"parts"`
	Series int `json:"series"`
	// By is how the series were split (FanOut.Plan).
	By string `json:"by,omitempty"`
}

type partWorker struct {
	river.WorkerDefaults[PartArgs]
	q *Queue
}

// Timeout is RescueAfter: River's rescuer never rescues a job without a
// timeout, and a partition running longer would be rescued (and run twice)
// anyway, so it is cancelled instead.
func (w *partWorker) Timeout(*river.Job[PartArgs]) time.Duration {
	if w.q.beats() {
		// A dead worker's partitions are rescued by heartbeat
		// (heartbeat.go); a live one's are never, however long they run.
		return -1
	}
	return w.q.cfg.RescueAfter
}

func (w *partWorker) Work(ctx context.Context, j *river.Job[PartArgs]) error {
	q := w.q
	id := j.Args.JobID
	// A rescued duplicate of a partition whose job already ended does
	// nothing.
	job, end, err := q.liveJob(ctx, id, river.JobCancel(ErrCancelled))
	if job == nil {
		return errors.Join(err, end)
	}
	p, err := q.cfg.Runner.storedParams(job)
	if err != nil {
		return river.JobCancel(err)
	}
	out, err := q.cfg.Runner.runPartition(ctx, q, j, p)
	if rerr := river.RecordOutput(ctx, out); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil && ctx.Err() == nil && !IsPermanent(err) {
		return fmt.Errorf("job %s partition %d/%d: %w", id, j.Args.Part+1, j.Args.Parts, err)
	}
	if IsPermanent(err) {
		return river.JobCancel(err)
	}
	return err
}

// runPartition loads the partition's series and trains (or refreshes)
// them under the guard, which counts the load too, recording progress on
// the partition's River job. Series that cannot be assembled are left
// out and listed in the output's summary.
func (r *Runner) runPartition(ctx context.Context, q *Queue, j *river.Job[PartArgs], p Params) (PartOutput, error) {
	out := PartOutput{Worker: q.cfg.Name, Series: j.Args.Series}
	var sum tally
	var done atomic.Int64
	var last time.Time
	prog := func(d, total int) {
		done.Store(int64(d))
		if d < total && time.Since(last) < q.cfg.PollInterval {
			return
		}
		last = time.Now()
		o := out
		f, _ := sum.failures()
		o.Done, o.Failed = d, int64(f)
		if _, err := q.client.JobUpdate(ctx, j.ID, &river.JobUpdateParams{Output: o}); err != nil && ctx.Err() == nil {
			r.logger().Warn("partition progress not recorded", "job_id", j.Args.JobID, "part", j.Args.Part, "err", err)
		}
	}
	var sample data.Key
	var loadErr error
	loaded := -1
	gctx := memguard.WithLabels(ctx, "worker", q.cfg.Name)
	r.syncQuarantine(ctx)
	report, runErr := r.Guard.Run(gctx, p.Kind.String(), func(ctx context.Context) error {
		series, err := r.loadPartition(ctx, j.Args, p, &sum)
		if err != nil {
			loadErr = err
			return err
		}
		series = r.screenNegative(series, p.Negative, &sum)
		loaded = len(series) + sum.excluded()
		out.Series = loaded
		sample = longest(series)
		return r.run(ctx, j.Args.JobID, p, series, &sum, prog)
	})
	if runErr == nil {
		r.huntIfLeaking(ctx, report, p, sample)
	}
	f, first := sum.failures()
	out.Done, out.Failed, out.FirstFailure = int(done.Load()), int64(f), first
	if loaded >= 0 {
		out.Summary = sum.summary(loaded)
	}
	if out.Memory = summarise(report); out.Memory != nil {
		out.Memory.Worker = q.cfg.Name
	}
	if runErr != nil {
		switch {
		case ctx.Err() != nil:
			return out, ctx.Err()
		case errors.Is(runErr, memguard.ErrBudgetExceeded):
			return out, permanent{runErr}
		case loadErr != nil:
			return out, loadErr
		}
		return out, runErr
	}
	return out, nil
}

// loadPartition loads the series of partition a, recording those that
// cannot be assembled in sum.
func (r *Runner) loadPartition(ctx context.Context, a PartArgs, p Params, sum *tally) ([]*data.Series, error) {
	switch {
	case a.All:
		return r.load(ctx, p.filter(), sum)
	case len(a.Stores) > 0:
		return r.load(ctx, sqlstore.SeriesFilter{Stores: a.Stores, SKUs: p.SKUs, Keys: p.Series}, sum)
	}
	// Exactly the partition's series, by store: the stores × SKUs
	// of a partition spanning two stores would load series of the other
	// partitions too.
	return r.loadKeys(ctx, a.Keys, sum)
}

// riverJob reads the row of job id for one of its River jobs: a job that
// no longer exists cancels the River job.
func (q *Queue) riverJob(ctx context.Context, id string) (*sqlstore.Job, error) {
	job, err := q.store.GetJob(ctx, id)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, river.JobCancel(err)
	}
	return job, err
}

// workParent runs one wake of a parent: plan and insert the partitions on
// the first, then sum their progress, and publish when all are done.
func (q *Queue) workParent(ctx context.Context, j *river.Job[WorkArgs]) error {
	id := j.Args.JobID
	job, end, err := q.liveJob(ctx, id, river.JobCancel(ErrCancelled))
	if job == nil {
		if end != nil { // cancelled: its partitions go too
			end = errors.Join(q.cancelPartitions(ctx, id), end)
		}
		return errors.Join(err, end)
	}
	var pl plan
	if out := j.JobRow.Output(); len(out) > 0 {
		if err := json.Unmarshal(out, &pl); err != nil {
			return fmt.Errorf("job %s: parent plan: %w", id, err)
		}
	}
	prevDone := job.SeriesDone
	if pl.Parts == 0 {
		if pl, err = q.fanOut(ctx, j, job); err != nil {
			return q.riverResult(ctx, id, j.Attempt, j.MaxAttempts, err)
		}
		prevDone = 0 // StartJob reset it
	}
	kind, err := ParseKind(job.Kind)
	if err != nil {
		kind = KindTrain // the row's kind is the service's own; only the metric label depends on it
	}
	return q.collect(ctx, id, kind, pl, prevDone)
}

// fanOut lists the job's series, marks the job running and inserts the
// partitions together with the plan: if the process dies before the
// commit, the next wake starts over with nothing staged; after it, the
// plan is there and the partitions run.
func (q *Queue) fanOut(ctx context.Context, j *river.Job[WorkArgs], job *sqlstore.Job) (_ plan, err error) {
	r := q.cfg.Runner
	id := job.ID
	p, err := r.storedParams(job)
	if err != nil {
		return plan{}, r.fail(ctx, id, err, nil)
	}
	infos, err := r.selectSeries(ctx, p)
	if err != nil {
		return plan{}, err
	}
	if len(infos) == 0 {
		return plan{}, r.fail(ctx, id, errNoSales, nil)
	}
	keys := make([]data.Key, len(infos))
	for i, si := range infos {
		keys[i] = data.Key{Store: si.Store, SKU: si.SKU}
	}
	specs, err := r.candidates(p)
	if err != nil {
		return plan{}, r.fail(ctx, id, err, nil)
	}
	var parts []PartArgs
	by := planBy(p)
	switch by {
	case planCost:
		workers, err := q.liveWorkers(ctx)
		if err != nil {
			return plan{}, err
		}
		parts = planByCost(costs(infos, len(specs)), q.cfg.PartitionSize, workers)
	default:
		parts = partition(keys, p, q.cfg.PartitionSize)
	}
	if err := r.Store.StartJob(ctx, id, len(keys)); err != nil {
		return plan{}, err
	}
	pl := plan{Parts: len(parts), Series: len(keys), By: by}
	tx, err := q.store.DB().BeginTx(ctx, nil)
	if err != nil {
		return plan{}, fmt.Errorf("jobs: fan out %s: %w", id, err)
	}
	defer rollback(tx, &err)
	params := make([]river.InsertManyParams, len(parts))
	for i, a := range parts {
		a.JobID = id
		params[i] = river.InsertManyParams{Args: a, InsertOpts: &river.InsertOpts{
			Queue: partitionQueue, Tags: []string{jobTag(id)}, UniqueOpts: river.UniqueOpts{ByArgs: true}}}
	}
	if _, err := q.client.InsertManyTx(ctx, tx, params); err != nil {
		return plan{}, fmt.Errorf("jobs: fan out %s: %w", id, err)
	}
	if _, err := q.client.JobUpdateTx(ctx, tx, j.ID, &river.JobUpdateParams{Output: pl}); err != nil {
		return plan{}, fmt.Errorf("jobs: fan out %s: record plan: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return plan{}, fmt.Errorf("jobs: fan out %s: %w", id, err)
	}
	r.logger().Info("job fanned out", "job_id", id, "kind", p.Kind.String(), "series", len(keys), "partitions", len(parts), "worker", q.cfg.Name)
	return pl, nil
}

// collect sums the partitions' progress and publishes the job when all
// have completed; otherwise it snoozes the parent. Progress never goes
// below prevDone: a rescued partition starts its count again.
func (q *Queue) collect(ctx context.Context, id string, kind Kind, pl plan, prevDone int) error {
	rows, err := q.partitions(ctx, id)
	if err != nil {
		return err
	}
	var done, completed int
	var failed int64
	var firstFailure string
	var worst *MemorySummary
	sum := &Summary{SeriesTotal: pl.Series, Warnings: []Warning{}}
	var dead []string
	for _, row := range rows {
		var o PartOutput
		if b := row.Output(); len(b) > 0 {
			if err := json.Unmarshal(b, &o); err != nil {
				return fmt.Errorf("jobs: job %s: output of partition %d: %w", id, row.ID, err)
			}
		}
		switch row.State {
		case rivertype.JobStateCompleted:
			completed++
			done += o.Series
			failed += o.Failed
			if firstFailure == "" {
				firstFailure = o.FirstFailure
			}
			if o.Summary != nil {
				sum.merge(o.Summary)
			}
			if o.Memory != nil && (worst == nil || worse(o.Memory, worst)) {
				worst = o.Memory
			}
		case rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
			msg := string(row.State)
			if n := len(row.Errors); n > 0 {
				msg = row.Errors[n-1].Error
			}
			dead = append(dead, msg)
		default:
			done += o.Done
		}
	}
	if len(dead) > 0 {
		err := fmt.Errorf("%d of %d partitions failed; first: %s", len(dead), pl.Parts, dead[0])
		if cerr := q.cancelPartitions(ctx, id); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return river.JobCancel(q.cfg.Runner.fail(ctx, id, err, worst))
	}
	if err := q.store.JobProgress(ctx, id, max(done, min(prevDone, pl.Series)), pl.Series); err != nil {
		return err
	}
	if completed < pl.Parts {
		return river.JobSnooze(q.wakeInterval(pl.Parts))
	}
	if sum.FanOut, err = q.fanOutReport(ctx, id, pl, rows); err != nil {
		return err
	}
	// Recorded before publishing: a parent retried after publishing
	// would find nothing staged.
	if err := q.cfg.Runner.recordSummary(ctx, id, sum); err != nil {
		return err
	}
	n, err := q.store.PublishResults(ctx, id, time.Now())
	if err != nil {
		return err
	}
	msg := outcomeText(sum, int(failed), firstFailure, pl.Series)
	if notes := rescueNotes(rows); notes != "" {
		msg = strings.TrimPrefix(msg+"; "+notes, "; ")
	}
	if n == 0 && keptPublished(sum) == 0 {
		return river.JobCancel(q.cfg.Runner.fail(ctx, id, fmt.Errorf("no series could be forecast: %s", msg), worst))
	}
	if err := q.cfg.Runner.finish(ctx, id, sqlstore.JobSucceeded, msg, worst); err != nil {
		return err
	}
	q.cfg.Runner.Metrics.observeSeries(kind, sum)
	q.cfg.Runner.logger().Info("job succeeded", "job_id", id, "series", pl.Series, "published", n, "partitions", pl.Parts, "worker", q.cfg.Name)
	return nil
}

// wakeInterval is how long the parent sleeps between looks at its
// partitions: PollInterval, and a millisecond per partition beyond, so a
// job of 10,000 partitions reads its partition rows every 10 s rather
// than every second.
func (q *Queue) wakeInterval(parts int) time.Duration {
	return max(q.cfg.PollInterval, time.Duration(parts)*time.Millisecond)
}

// worse orders memory summaries for the job status: a leak verdict over a
// suspect over clean, then more retained bytes.
func worse(a, b *MemorySummary) bool {
	rank := func(v string) int {
		switch v {
		case memguard.StateClean:
			return 0
		case "":
			return -1
		}
		return 1
	}
	if ra, rb := rank(a.Verdict), rank(b.Verdict); ra != rb {
		return ra > rb
	}
	return a.RetainedBytes > b.RetainedBytes
}

// partitions lists the partition jobs of job id.
func (q *Queue) partitions(ctx context.Context, id string) ([]*rivertype.JobRow, error) {
	var out []*rivertype.JobRow
	params := river.NewJobListParams().Kinds(PartArgs{}.Kind()).TagsAll(jobTag(id)).First(1000)
	for {
		res, err := q.client.JobList(ctx, params)
		if err != nil {
			return nil, fmt.Errorf("jobs: list partitions of %s: %w", id, err)
		}
		out = append(out, res.Jobs...)
		if len(res.Jobs) < 1000 {
			return out, nil
		}
		params = params.After(res.LastCursor)
	}
}

// cancelPartitions cancels the partitions of job id that have not ended.
func (q *Queue) cancelPartitions(ctx context.Context, id string) error {
	rows, err := q.partitions(ctx, id)
	if err != nil {
		return err
	}
	for _, row := range rows {
		if row.FinalizedAt != nil {
			continue
		}
		if _, err := q.client.JobCancel(ctx, row.ID); err != nil && !errors.Is(err, river.ErrNotFound) {
			return fmt.Errorf("jobs: cancel partition %d of %s: %w", row.ID, id, err)
		}
	}
	return nil
}

// selectSeries lists the series a job covers, in store and SKU order.
func (r *Runner) selectSeries(ctx context.Context, p Params) ([]sqlstore.SeriesInfo, error) {
	f := p.filter()
	store := ""
	if len(p.Stores) == 1 {
		store = p.Stores[0]
	}
	var out []sqlstore.SeriesInfo
	var after data.Key
	const page = 5000
	for {
		infos, err := r.Store.ListSeries(ctx, store, after, page)
		if err != nil {
			return nil, err
		}
		for _, si := range infos {
			if f.Match(data.Key{Store: si.Store, SKU: si.SKU}) {
				out = append(out, si)
			}
		}
		if len(infos) < page {
			return out, nil
		}
		last := infos[len(infos)-1]
		after = data.Key{Store: last.Store, SKU: last.SKU}
	}
}

// partition splits keys (sorted by store) as p asks. A refresh is one
// partition: it refits kept models, which is cheap, and reads every
// published result once.
func partition(keys []data.Key, p Params, defaultSize int) []PartArgs {
	var parts []PartArgs
	switch {
	case p.Kind == KindRefresh || p.reconciles():
		// A reconciled job needs all its series in one run: the
		// aggregates sum them, and the reconciliation moves every one.
		parts = append(parts, PartArgs{All: true, Series: len(keys)})
	case p.PartitionBy == PartitionByStore:
		for i := 0; i < len(keys); {
			j := i
			for j < len(keys) && keys[j].Store == keys[i].Store {
				j++
			}
			parts = append(parts, PartArgs{Stores: []string{keys[i].Store}, Series: j - i})
			i = j
		}
	default:
		size := p.PartitionSize
		if size <= 0 {
			size = defaultSize
		}
		for i := 0; i < len(keys); i += size {
			chunk := keys[i:min(i+size, len(keys))]
			parts = append(parts, PartArgs{Keys: chunk, Series: len(chunk)})
		}
	}
	for i := range parts {
		parts[i].Part, parts[i].Parts = i, len(parts)
	}
	return parts
}

// liveJob reads the row of job id for a worker about to work on it: the
// row when the job is still to be worked; else nil, with cancelled (what
// River is told) when the job was cancelled and nil when it already
// ended; or nil and the read's error.
func (q *Queue) liveJob(ctx context.Context, id string, cancelled error) (job *sqlstore.Job, end, err error) {
	job, err = q.riverJob(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	switch job.State {
	case sqlstore.JobCancelled:
		return nil, cancelled, nil
	case sqlstore.JobSucceeded, sqlstore.JobFailed:
		return nil, nil, nil
	}
	return job, nil, nil
}
