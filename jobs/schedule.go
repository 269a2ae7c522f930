package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/robfig/cron/v3"
)

// Schedule is a periodic job: at each time of Cron, a job of Kind with
// Params is created and worked like a POSTed one. Schedules fire as River
// periodic jobs, which only the elected leader inserts, so a schedule
// fires once however many replicas run it.
type Schedule struct {
	// Name identifies the schedule ("retrain", "refresh").
	Name string
	// Cron is a standard 5-field cron expression (robfig/cron/v3's
	// ParseStandard: also @daily, @every 1h, CRON_TZ=...); times are UTC
	// unless it says otherwise.
	Cron string
	// Params are the job's; Kind says train or refresh.
	Params Params
	// RunOnStart fires once when a leader starts (tests; a deploy would
	// otherwise retrain every time it restarts).
	RunOnStart bool

	sched cron.Schedule
}

// ParseSchedule validates s's cron expression and params.
func (s *Schedule) parse() error {
	sc, err := cron.ParseStandard(s.Cron)
	if err != nil {
		return fmt.Errorf("jobs: schedule %s: cron %q: %w", s.Name, s.Cron, err)
	}
	s.sched = sc
	return nil
}

// ScheduleInfo describes a schedule for GET /v1/schedules.
type ScheduleInfo struct {
	Name    string    `json:"name"`
	Cron    string    `json:"cron"`
	Kind    Kind      `json:"kind"`
	Horizon int       `json:"horizon"`
	NextRun time.Time `json:"next_run"`
}

// Schedules describes the configured schedules with their next run after
// now. The schedules are the same in every replica (they come from the
// flags), so any process can answer.
func (q *Queue) Schedules(now time.Time) []ScheduleInfo {
	out := make([]ScheduleInfo, 0, len(q.cfg.Schedules))
	for _, s := range q.cfg.Schedules {
		out = append(out, ScheduleInfo{Name: s.Name, Cron: s.Cron, Kind: s.Params.Kind, Horizon: s.Params.Horizon,
			NextRun: s.sched.Next(now).UTC()})
	}
	return out
}

// ScheduleArgs is the River job a schedule's fire inserts; working it
// creates the forecastd job.
type ScheduleArgs struct {
	Name string `json:"name" river:"unique"`
	// Slot is the minute of the fire: with unique args, a leader change
	// within a minute cannot fire the same schedule twice.
	Slot time.Time `json:"slot" river:"unique"`
}

// Kind names the River job kind.
func (ScheduleArgs) Kind() string { return "forecastd.schedule" }

type scheduleWorker struct {
	river.WorkerDefaults[ScheduleArgs]
	q *Queue
}

// Work creates the scheduled job, completing this River job in the same
// transaction: a retry after a crash can neither lose the fire nor
// create the job twice.
func (w *scheduleWorker) Work(ctx context.Context, j *river.Job[ScheduleArgs]) error {
	var s *Schedule
	for i := range w.q.cfg.Schedules {
		if w.q.cfg.Schedules[i].Name == j.Args.Name {
			s = &w.q.cfg.Schedules[i]
		}
	}
	if s == nil {
		return river.JobCancel(fmt.Errorf("jobs: schedule %q is not configured in this worker", j.Args.Name))
	}
	p := s.Params
	if err := p.Validate(w.q.cfg.Runner.Registry); err != nil {
		return river.JobCancel(fmt.Errorf("jobs: schedule %s: %w", s.Name, err))
	}
	job, err := w.q.enqueue(ctx, p, "schedule:"+s.Name, func(tx *sql.Tx) error { return w.q.completeTx(ctx, tx, j) })
	if err != nil {
		return fmt.Errorf("jobs: schedule %s: %w", s.Name, err)
	}
	w.q.cfg.Runner.logger().Info("scheduled job queued", "schedule", s.Name, "job_id", job.ID, "kind", p.Kind.String(), "worker", w.q.cfg.Name)
	return nil
}

func (q *Queue) periodicJobs() ([]*river.PeriodicJob, error) {
	var out []*river.PeriodicJob
	for _, s := range q.cfg.Schedules {
		name := s.Name
		out = append(out, river.NewPeriodicJob(s.sched, func() (river.JobArgs, *river.InsertOpts) {
			return ScheduleArgs{Name: name, Slot: time.Now().UTC().Truncate(time.Minute)},
				&river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
		}, &river.PeriodicJobOpts{ID: "forecastd_" + name, RunOnStart: s.RunOnStart}))
	}
	return out, nil
}
