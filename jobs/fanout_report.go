package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river/rivertype"
)

// FanOut is what a partitioned job's summary says about its partitions,
// so that the straggler and failover claims of issue 20 can be checked
// from the job JSON alone: how long each partition ran, where, and which
// were taken from a worker that stopped beating.
type FanOut struct {
	// Plan is how the series were split: "cost" (cost-sized, most
	// expensive first: plan.go), "series" (chunks of the job's
	// partition_size), "store" or "all" (one partition).
	Plan       string `json:"plan"`
	Partitions int    `json:"partitions"`
	// Workers are the processes that completed partitions, by name.
	Workers []string `json:"workers"`
	// SpanSeconds runs from the first partition's start to the last
	// one's end; LongestSeconds is the longest partition's last attempt
	// and LongestShare their ratio (the bound: at most 0.05).
	SpanSeconds    float64 `json:"span_seconds"`
	LongestSeconds float64 `json:"longest_seconds"`
	LongestShare   float64 `json:"longest_share"`
	// Timings lists the partitions in plan order, the first MaxTimings;
	// TimingsOmitted counts the rest.
	Timings        []PartitionTiming `json:"timings"`
	TimingsOmitted int               `json:"timings_omitted,omitempty"`
	// Failovers lists every partition taken from a worker that stopped
	// beating, in partition and then time order.
	Failovers []Failover `json:"failovers"`
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
	// the partition available; RetakenBy is the worker that ran it next.
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

// fanOutReport builds the FanOut of a job whose partitions (rows) have
// all completed.
func (q *Queue) fanOutReport(ctx context.Context, id string, pl plan, rows []*rivertype.JobRow) (*FanOut, error) {
	f := &FanOut{Plan: pl.By, Partitions: pl.Parts, Workers: []string{}, Timings: []PartitionTiming{}, Failovers: []Failover{}}
	var first, last time.Time
	byPart := map[int]string{}
	for _, row := range rows {
		if row.State != rivertype.JobStateCompleted || row.AttemptedAt == nil || row.FinalizedAt == nil {
			continue
		}
		var a PartArgs
		var o PartOutput
		if err := json.Unmarshal(row.EncodedArgs, &a); err != nil {
			return nil, fmt.Errorf("jobs: job %s: args of partition %d: %w", id, row.ID, err)
		}
		if b := row.Output(); len(b) > 0 {
			if err := json.Unmarshal(b, &o); err != nil {
				return nil, fmt.Errorf("jobs: job %s: output of partition %d: %w", id, row.ID, err)
			}
		}
		t := PartitionTiming{Part: a.Part + 1, Worker: o.Worker, Series: a.Series, Attempt: row.Attempt,
			StartedAt: row.AttemptedAt.UTC(), Seconds: row.FinalizedAt.Sub(*row.AttemptedAt).Seconds(), Cost: a.Cost}
		f.Timings = append(f.Timings, t)
		byPart[t.Part] = t.Worker
		if !slices.Contains(f.Workers, t.Worker) {
			f.Workers = append(f.Workers, t.Worker)
		}
		f.LongestSeconds = max(f.LongestSeconds, t.Seconds)
		if first.IsZero() || row.AttemptedAt.Before(first) {
			first = *row.AttemptedAt
		}
		if row.FinalizedAt.After(last) {
			last = *row.FinalizedAt
		}
	}
	slices.Sort(f.Workers)
	slices.SortFunc(f.Timings, func(a, b PartitionTiming) int { return cmp.Compare(a.Part, b.Part) })
	if n := len(f.Timings); n > MaxTimings {
		f.Timings, f.TimingsOmitted = f.Timings[:MaxTimings], n-MaxTimings
	}
	if !first.IsZero() {
		f.SpanSeconds = last.Sub(first).Seconds()
		if f.SpanSeconds > 0 {
			f.LongestShare = f.LongestSeconds / f.SpanSeconds
		}
	}
	if q.listener == nil { // heartbeats and their rescues are PostgreSQL's
		return f, nil
	}
	var err error
	if f.Failovers, err = q.failovers(ctx, id, byPart); err != nil {
		return nil, err
	}
	return f, nil
}

// failovers reads the heartbeat rescues of job id's partitions from
// their River jobs' errors (heartbeat.go's rescueDead writes them);
// done names the worker that completed each partition.
func (q *Queue) failovers(ctx context.Context, id string, done map[int]string) (_ []Failover, err error) {
	rows, err := q.store.DB().QueryContext(ctx, `SELECT (j.args->>'part')::int, COALESCE(x.e->>'worker', ''), x.e->>'error',
			(x.e->>'at')::timestamptz, (x.e->>'last_beat')::timestamptz, (x.e->>'started_at')::timestamptz
		FROM river_job j, unnest(j.errors) WITH ORDINALITY AS x(e, n)
		WHERE j.kind = $1 AND $2 = ANY(j.tags) AND x.e->>'error' LIKE $3 || '%'
		ORDER BY 1, x.n`, PartArgs{}.Kind(), jobTag(id), rescueMark)
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
