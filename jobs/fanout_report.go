package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/forecastd/forecastd/data/sqlstore"
)

// FanOut is what a partitioned job's summary says about its partitions,
// so that the straggler and failover claims of issue 20 can be checked
// from the job JSON alone: how long each partition ran, where, and which
// were taken from a worker that stopped beating. While the job runs, the
// job JSON carries a live one (Live set, read from the River job rows
// and the heartbeats at AsOf: LiveFanOut), so a watcher sees partitions
// move and failovers as soon as a heartbeat detects them.
type FanOut struct {
	// Plan is how the series were split: "cost" (cost-sized, most
	// expensive first: plan.go), "series" (chunks of the job's
	// partition_size), "store" or "all" (one partition).
	Plan       string `json:"plan"`
	Partitions int    `json:"partitions"`
	// Live marks a running job's reading, taken at AsOf (the database's
	// clock); a finished job's summary has neither.
	Live bool       `json:"live,omitempty"`
	AsOf *time.Time `json:"as_of,omitempty"`
	// PartitionsDone, PartitionsRunning and PartitionsQueued count the
	// partitions by state (queued includes those waiting for a retry);
	// PartitionsFailed those cancelled or discarded.
	PartitionsDone    int `json:"partitions_done"`
	PartitionsRunning int `json:"partitions_running"`
	PartitionsQueued  int `json:"partitions_queued"`
	PartitionsFailed  int `json:"partitions_failed,omitempty"`
	// Running lists the partitions being worked now (live only).
	Running []RunningPartition `json:"running,omitempty"`
	// Workers are the processes that completed partitions (and, live,
	// that are running one), by name.
	Workers []string `json:"workers"`
	// SpanSeconds runs from the first partition's start to the last
	// one's end (live: to AsOf while partitions run); LongestSeconds is
	// the longest partition's last attempt (live: or a running attempt
	// so far) and LongestShare their ratio (the bound: at most
	// 0.05).
	SpanSeconds    float64 `json:"span_seconds"`
	LongestSeconds float64 `json:"longest_seconds"`
	LongestShare   float64 `json:"longest_share"`
	// Busy is each worker's time in partitions it completed.
	Busy []WorkerBusy `json:"worker_busy,omitempty"`
	// TailSeconds is the straggler tail: from the moment the first
	// worker ran out of partitions (its last partition's end, with none
	// left queued) to the job's end (the last partition's end; live,
	// AsOf), and TailShare its share of SpanSeconds. Zero with one worker,
	// and live while partitions are still queued.
	TailSeconds float64 `json:"tail_seconds"`
	TailShare   float64 `json:"tail_share"`
	// Timings lists the partitions in plan order, the first MaxTimings;
	// TimingsOmitted counts the rest.
	Timings        []PartitionTiming `json:"timings"`
	TimingsOmitted int               `json:"timings_omitted,omitempty"`
	// Failovers lists every partition taken from a worker that stopped
	// beating, in partition and then time order.
	Failovers []Failover `json:"failovers"`
}

// WorkerBusy is one worker's share of a job.
type WorkerBusy struct {
	Worker      string  `json:"worker"`
	Partitions  int     `json:"partitions"`
	BusySeconds float64 `json:"busy_seconds"`
	// IdleFrom is the end of its last completed partition.
	IdleFrom time.Time `json:"idle_from"`
}

// RunningPartition is a partition attempt in progress.
type RunningPartition struct {
	Part      int       `json:"partition"` // counted from 1
	Worker    string    `json:"worker"`
	Attempt   int       `json:"attempt"`
	StartedAt time.Time `json:"started_at"`
	Seconds   float64   `json:"seconds"` // so far
	Series    int       `json:"series"`
	Done      int       `json:"done"`
	// LastBeat is its worker's last heartbeat (PostgreSQL), and
	// BeatAgeSeconds its age: past DeadAfter, the partition is about to
	// be taken by a live worker.
	LastBeat       *time.Time `json:"last_beat,omitempty"`
	BeatAgeSeconds *float64   `json:"beat_age_seconds,omitempty"`
}

// PartitionTiming is one completed partition's last (successful)
// attempt.
type PartitionTiming struct {
	Part      int       `json:"part"` // counted from 1, as the job's messages do
	Worker    string    `json:"worker"`
	Series    int       `json:"series"`
	Seconds   float64   `json:"seconds"`
	Attempt   int       `json:"attempt"`
	StartedAt time.Time `json:"started_at"`
	// Cost is the plan's estimate (rows × candidates) when sized by cost.
	Cost float64 `json:"cost,omitempty"`
}

// Failover is one partition attempt lost with its worker and run again.
type Failover struct {
	Part int `json:"partition"` // counted from 1
	// Worker stopped beating at LastBeat; a live worker's heartbeat saw
	// it at DetectedAt (DeadAfter later, give or take a beat) and made
	// the partition available; RetakenBy is the worker that ran it next
	// (live: empty while it waits for one).
	Worker     string     `json:"worker"`
	LastBeat   *time.Time `json:"last_beat,omitempty"`
	DetectedAt time.Time  `json:"detected_at"`
	RetakenBy  string     `json:"retaken_by"`
	// LostSeconds runs from the lost attempt's start to DetectedAt: the
	// work thrown away and the wait for the rescue.
	LostSeconds float64 `json:"lost_seconds"`
}

// MaxTimings bounds the partitions a job summary lists.
const MaxTimings = 1000

// partRow is what the report needs of one partition's River job, read
// through River's API (rowOf) or by one query (livePartsPG).
type partRow struct {
	part, series, attempt, done int
	cost                        float64
	state                       rivertype.JobState
	started, ended              *time.Time
	// worker completed the partition (its output's) or runs it now.
	worker   string
	lastBeat *time.Time
}

// rowOf reads a partition's River job.
func rowOf(id string, row *rivertype.JobRow) (partRow, error) {
	var a PartArgs
	var o PartOutput
	if err := json.Unmarshal(row.EncodedArgs, &a); err != nil {
		return partRow{}, fmt.Errorf("jobs: job %s: args of partition %d: %w", id, row.ID, err)
	}
	if b := row.Output(); len(b) > 0 {
		if err := json.Unmarshal(b, &o); err != nil {
			return partRow{}, fmt.Errorf("jobs: job %s: output of partition %d: %w", id, row.ID, err)
		}
	}
	return partRow{part: a.Part + 1, series: a.Series, attempt: row.Attempt, done: o.Done, cost: a.Cost,
		state: row.State, started: row.AttemptedAt, ended: row.FinalizedAt, worker: o.Worker}, nil
}

// fanOutReport builds the FanOut of a job whose partitions (rows) have
// all completed.
func (q *Queue) fanOutReport(ctx context.Context, id string, pl plan, rows []*rivertype.JobRow) (*FanOut, error) {
	parts := make([]partRow, 0, len(rows))
	for _, row := range rows {
		r, err := rowOf(id, row)
		if err != nil {
			return nil, err
		}
		parts = append(parts, r)
	}
	f := buildFanOut(pl, parts, time.Time{})
	if q.listener == nil { // heartbeats and their rescues are PostgreSQL's
		return f, nil
	}
	var err error
	if f.Failovers, err = q.failovers(ctx, id, workerOfPart(f)); err != nil {
		return nil, err
	}
	return f, nil
}

// workerOfPart names, by partition, the worker that completed it or runs
// it now: who retook a partition after its last failover.
func workerOfPart(f *FanOut) map[int]string {
	m := make(map[int]string, len(f.Timings)+len(f.Running))
	for _, t := range f.Timings {
		m[t.Part] = t.Worker
	}
	for _, r := range f.Running {
		m[r.Part] = r.Worker
	}
	return m
}

// buildFanOut lays out the partitions' rows: the final report when now
// is zero, else the live one at now.
func buildFanOut(pl plan, rows []partRow, now time.Time) *FanOut {
	live := !now.IsZero()
	f := &FanOut{Plan: pl.By, Partitions: pl.Parts, Workers: []string{}, Busy: []WorkerBusy{}, Timings: []PartitionTiming{}, Failovers: []Failover{}}
	if live {
		f.Live, f.AsOf = true, &now
	}
	var first, last time.Time
	busy := map[string]*WorkerBusy{}
	running := map[string]bool{}
	for _, r := range rows {
		switch {
		case r.state == rivertype.JobStateCompleted && r.started != nil && r.ended != nil:
			f.PartitionsDone++
			t := PartitionTiming{Part: r.part, Worker: r.worker, Series: r.series, Attempt: r.attempt,
				StartedAt: r.started.UTC(), Seconds: r.ended.Sub(*r.started).Seconds(), Cost: r.cost}
			f.Timings = append(f.Timings, t)
			b := busy[t.Worker]
			if b == nil {
				b = &WorkerBusy{Worker: t.Worker}
				busy[t.Worker] = b
			}
			b.Partitions++
			b.BusySeconds += t.Seconds
			if r.ended.After(b.IdleFrom) {
				b.IdleFrom = r.ended.UTC()
			}
			f.LongestSeconds = max(f.LongestSeconds, t.Seconds)
			if first.IsZero() || r.started.Before(first) {
				first = *r.started
			}
			last = maxTime(last, *r.ended)
		case r.state == rivertype.JobStateRunning && r.started != nil:
			f.PartitionsRunning++
			if !live {
				continue
			}
			rp := RunningPartition{Part: r.part, Worker: r.worker, Attempt: r.attempt, StartedAt: r.started.UTC(),
				Seconds: max(0, now.Sub(*r.started).Seconds()), Series: r.series, Done: r.done}
			if r.lastBeat != nil {
				lb := r.lastBeat.UTC()
				age := max(0, now.Sub(lb).Seconds())
				rp.LastBeat, rp.BeatAgeSeconds = &lb, &age
			}
			f.Running = append(f.Running, rp)
			running[r.worker] = true
			f.LongestSeconds = max(f.LongestSeconds, rp.Seconds)
			if first.IsZero() || r.started.Before(first) {
				first = *r.started
			}
			last = maxTime(last, now)
		case r.state == rivertype.JobStateCancelled || r.state == rivertype.JobStateDiscarded:
			f.PartitionsFailed++
		default: // available, scheduled, retryable, pending: waiting for a worker
			f.PartitionsQueued++
		}
	}
	for w, b := range busy {
		f.Busy = append(f.Busy, *b)
		if !running[w] {
			f.Workers = append(f.Workers, w)
		}
	}
	for w := range running {
		f.Workers = append(f.Workers, w)
	}
	slices.Sort(f.Workers)
	f.Workers = slices.Compact(f.Workers)
	slices.SortFunc(f.Busy, func(a, b WorkerBusy) int { return cmp.Compare(a.Worker, b.Worker) })
	slices.SortFunc(f.Running, func(a, b RunningPartition) int { return cmp.Compare(a.Part, b.Part) })
	slices.SortFunc(f.Timings, func(a, b PartitionTiming) int { return cmp.Compare(a.Part, b.Part) })
	if n := len(f.Timings); n > MaxTimings {
		f.Timings, f.TimingsOmitted = f.Timings[:MaxTimings], n-MaxTimings
	}
	if first.IsZero() {
		return f
	}
	if live && f.PartitionsRunning+f.PartitionsQueued > 0 {
		last = maxTime(last, now) // the job has not ended: its span so far
	}
	f.SpanSeconds = last.Sub(first).Seconds()
	f.TailSeconds = tail(f.Busy, running, f.PartitionsQueued, last).Seconds()
	if f.SpanSeconds > 0 {
		f.LongestShare = f.LongestSeconds / f.SpanSeconds
		f.TailShare = f.TailSeconds / f.SpanSeconds
	}
	return f
}

// tail is the time from the first worker running out of partitions to
// end: the earliest IdleFrom of the workers not running one now. While
// partitions wait in the queue no worker has run out (an idle one will
// take them), so there is no tail yet.
func tail(busy []WorkerBusy, running map[string]bool, queued int, end time.Time) time.Duration {
	if queued > 0 {
		return 0
	}
	var firstIdle time.Time
	for _, b := range busy {
		if running[b.Worker] {
			continue
		}
		if firstIdle.IsZero() || b.IdleFrom.Before(firstIdle) {
			firstIdle = b.IdleFrom
		}
	}
	if firstIdle.IsZero() || !end.After(firstIdle) {
		return 0
	}
	return end.Sub(firstIdle)
}

// failovers reads the heartbeat rescues of job id's partitions from
// their River jobs' errors (heartbeat.go's rescueDead writes them);
// done names the worker that completed each partition.
func (q *Queue) failovers(ctx context.Context, id string, done map[int]string) (_ []Failover, err error) {
	rows, err := q.store.DB().QueryContext(ctx, `SELECT (j.args->>'part')::int, COALESCE(x.e->>'worker', ''), x.e->>'error',
			(x.e->>'at')::timestamptz, (x.e->>'last_beat')::timestamptz, (x.e->>'started_at')::timestamptz
		FROM river_job j, unnest(j.errors) WITH ORDINALITY AS x(e, n)
		WHERE j.kind = $1 AND j.args @> $2::jsonb AND x.e->>'error' LIKE $3 || '%'
		ORDER BY 1, x.n`, PartArgs{}.Kind(), argsOf(id), rescueMark)
	if err != nil {
		return nil, fmt.Errorf("jobs: job %s: failovers: %w", id, err)
	}
	defer func() {
		if cerr := rows.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	out := []Failover{}
	for rows.Next() {
		var f Failover
		var msg string
		var lastBeat, started sql.NullTime
		if err := rows.Scan(&f.Part, &f.Worker, &msg, &f.DetectedAt, &lastBeat, &started); err != nil {
			return nil, fmt.Errorf("jobs: job %s: failovers: %w", id, err)
		}
		f.Part++
		f.DetectedAt = f.DetectedAt.UTC()
		if f.Worker == "" { // rescued before the error carried the worker
			f.Worker, _, _ = strings.Cut(strings.TrimPrefix(msg, rescueMark), " (")
		}
		if lastBeat.Valid {
			t := lastBeat.Time.UTC()
			f.LastBeat = &t
		}
		if started.Valid {
			f.LostSeconds = f.DetectedAt.Sub(started.Time).Seconds()
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("jobs: job %s: failovers: %w", id, err)
	}
	// Each attempt was retaken by whoever ran the partition next: the
	// worker of its next failover, or the one that completed it.
	for i := range out {
		if i+1 < len(out) && out[i+1].Part == out[i].Part {
			out[i].RetakenBy = out[i+1].Worker
		} else {
			out[i].RetakenBy = done[out[i].Part]
		}
	}
	return out, nil
}

// LiveFanOut reads how a running fanned-out job's partitions stand now:
// done, running (where, since when, with the worker's last heartbeat)
// and queued, the straggler figures so far, and every failover a
// heartbeat has detected. It reads the River job rows, so it sees every
// worker process's partitions: on PostgreSQL in two queries (partitions
// with their workers' heartbeats, then failovers), on SQLite through
// River's job list. It returns nil for a job that is not running or has
// not fanned out (yet).
func (q *Queue) LiveFanOut(ctx context.Context, job *sqlstore.Job) (*FanOut, error) {
	if job == nil || job.State != sqlstore.JobRunning || !q.cfg.FanOut || job.RiverID == 0 {
		return nil, nil
	}
	var pl plan
	var rows []partRow
	var now time.Time
	var err error
	if q.listener != nil {
		pl, rows, now, err = q.livePartsPG(ctx, job)
	} else {
		pl, rows, now, err = q.livePartsRiver(ctx, job)
	}
	if err != nil || pl.Parts == 0 {
		return nil, err
	}
	f := buildFanOut(pl, rows, now)
	if q.listener == nil {
		return f, nil
	}
	if f.Failovers, err = q.failovers(ctx, job.ID, workerOfPart(f)); err != nil {
		return nil, err
	}
	return f, nil
}

// livePartsPG reads the partitions of job in one query: each with its
// running worker's name and last heartbeat, the parent's plan and the
// database's clock, so the ages do not depend on this process's.
func (q *Queue) livePartsPG(ctx context.Context, job *sqlstore.Job) (pl plan, out []partRow, now time.Time, err error) {
	rows, err := q.store.DB().QueryContext(ctx, `SELECT (j.args->>'part')::int, COALESCE((j.args->>'series')::int, 0),
			COALESCE((j.args->>'cost')::float8, 0), j.state, j.attempt, j.attempted_at, j.finalized_at,
			COALESCE(j.metadata->'output'->>'worker', ''), COALESCE((j.metadata->'output'->>'done')::int, 0),
			COALESCE(j.attempted_by[array_length(j.attempted_by, 1)], ''), w.name, w.last_beat,
			COALESCE((SELECT p.metadata->>'output' FROM river_job p WHERE p.id = $3), ''), now()
		FROM river_job j LEFT JOIN forecastd_workers w
			ON j.state = 'running' AND w.client_id = j.attempted_by[array_length(j.attempted_by, 1)]
		WHERE j.kind = $1 AND j.args @> $2::jsonb`, PartArgs{}.Kind(), argsOf(job.ID), job.RiverID)
	if err != nil {
		return plan{}, nil, now, fmt.Errorf("jobs: job %s: live partitions: %w", job.ID, err)
	}
	defer func() {
		if cerr := rows.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	var planJSON string
	for rows.Next() {
		var r partRow
		var state, outWorker, client string
		var name sql.NullString
		var started, ended, beat sql.NullTime
		if err := rows.Scan(&r.part, &r.series, &r.cost, &state, &r.attempt, &started, &ended, &outWorker, &r.done,
			&client, &name, &beat, &planJSON, &now); err != nil {
			return plan{}, nil, now, fmt.Errorf("jobs: job %s: live partitions: %w", job.ID, err)
		}
		r.part++
		r.state, r.worker = rivertype.JobState(state), outWorker
		r.started, r.ended = nullTime(started), nullTime(ended)
		if r.state == rivertype.JobStateRunning {
			// The output may be an earlier attempt's: the running
			// worker is the attempt's client, named by its heartbeat
			// row (gone once it stopped cleanly: then by its client ID).
			r.worker = workerName(client, name)
			if r.worker != outWorker {
				r.done = 0
			}
			r.lastBeat = nullTime(beat)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return plan{}, nil, now, fmt.Errorf("jobs: job %s: live partitions: %w", job.ID, err)
	}
	if planJSON != "" {
		if err := json.Unmarshal([]byte(planJSON), &pl); err != nil {
			return plan{}, nil, now, fmt.Errorf("jobs: job %s: parent plan: %w", job.ID, err)
		}
	}
	return pl, out, now.UTC(), nil
}

// livePartsRiver reads the partitions of job through River's API (the
// embedded backend: one process, no heartbeats).
func (q *Queue) livePartsRiver(ctx context.Context, job *sqlstore.Job) (plan, []partRow, time.Time, error) {
	now := time.Now().UTC()
	parent, err := q.client.JobGet(ctx, job.RiverID)
	if errors.Is(err, river.ErrNotFound) {
		return plan{}, nil, now, nil
	}
	if err != nil {
		return plan{}, nil, now, fmt.Errorf("jobs: job %s: parent: %w", job.ID, err)
	}
	var pl plan
	if b := parent.Output(); len(b) > 0 {
		if err := json.Unmarshal(b, &pl); err != nil {
			return plan{}, nil, now, fmt.Errorf("jobs: job %s: parent plan: %w", job.ID, err)
		}
	}
	if pl.Parts == 0 {
		return pl, nil, now, nil
	}
	rows, err := q.partitions(ctx, job.ID)
	if err != nil {
		return plan{}, nil, now, err
	}
	out := make([]partRow, 0, len(rows))
	for _, row := range rows {
		r, err := rowOf(job.ID, row)
		if err != nil {
			return plan{}, nil, now, err
		}
		if r.state == rivertype.JobStateRunning {
			r.worker = q.cfg.Name // the one process
		}
		out = append(out, r)
	}
	return pl, out, now, nil
}

// argsOf selects the partitions of job id by their args, which River
// indexes (GIN), unlike their tags: a job's live reading then costs its
// own partitions' rows, not every partition River retains.
func argsOf(id string) string {
	b, _ := json.Marshal(map[string]string{"job_id": id}) // a map of strings always marshals
	return string(b)
}

// workerName names the worker of River client ID client: its heartbeat
// row's name, else the ID without clientID's random suffix.
func workerName(client string, name sql.NullString) string {
	if name.Valid {
		return name.String
	}
	if i := strings.LastIndexByte(client, '_'); i > 0 {
		return client[:i]
	}
	return client
}

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}
