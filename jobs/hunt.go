package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/jobs/record"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

// hunter runs memguard's leak hunt beside the workers when a job kind is
// called leaking: in a goroutine of its own, one hunt at a time, at most
// once per cooldown per kind (the verdict's sliding window keeps saying
// "leak" for a while after the culprit is quarantined). The hunt is one
// goroutine fitting one candidate on one series at a time, and each of its
// runs waits for the guard to be idle (memguard.Guard.Hunt), so the job
// that saw the leak finishes and the next job starts without waiting for
// it. Stop cancels a running hunt and waits for it.
type hunter struct {
	mu      sync.Mutex
	last    map[string]time.Time
	running bool
	stopped bool
	// cancel cancels the running (or last) hunt; done is closed when it
	// has returned.
	cancel context.CancelFunc
	done   chan struct{}
}

// huntRuns is how many times the hunt runs each candidate alone: the
// guard's warm-up of 3 and then 5 measured runs.
const huntRuns = 8

// huntCooldown is the shortest time between two hunts of one kind.
const huntCooldown = 30 * time.Minute

// start runs hunt in a new goroutine unless a hunt is running, the kind
// was hunted within the cooldown or the hunter is stopped. hunt's context
// carries ctx's values, not its cancellation: the job that started it
// ends first.
func (h *hunter) start(ctx context.Context, kind string, now time.Time, hunt func(ctx context.Context)) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last == nil {
		h.last = map[string]time.Time{}
	}
	if h.stopped || h.running {
		return false
	}
	if t, ok := h.last[kind]; ok && now.Sub(t) < huntCooldown {
		return false
	}
	h.last[kind] = now
	h.running = true
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	h.cancel, h.done = cancel, done
	go func() {
		defer close(done)
		defer func() {
			h.mu.Lock()
			h.running = false
			h.mu.Unlock()
			cancel()
		}()
		hunt(hctx)
	}()
	return true
}

// wait waits for a running hunt to end, or for ctx.
func (h *hunter) wait(ctx context.Context) error {
	h.mu.Lock()
	done := h.done
	h.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// StopHunts cancels a running leak hunt, waits for it (up to ctx) and
// starts no more. The hunt's figures so far are not stored.
func (r *Runner) StopHunts(ctx context.Context) error {
	r.hunts.mu.Lock()
	r.hunts.stopped = true
	if r.hunts.cancel != nil {
		r.hunts.cancel()
	}
	r.hunts.mu.Unlock()
	if err := r.hunts.wait(ctx); err != nil {
		return fmt.Errorf("jobs: stop leak hunt: %w", err)
	}
	return nil
}

// WaitHunts waits for a running leak hunt to finish, or for ctx.
func (r *Runner) WaitHunts(ctx context.Context) error { return r.hunts.wait(ctx) }

// huntIfLeaking starts the leak hunt beside the workers after a guarded
// training run whose verdict is leak: each candidate of the job alone, on
// the job's longest series, several times under the guard. Culprits are
// quarantined (the next tournaments run without them), stored and
// logged; the quarantine gauge is memguard's metric. It returns at once.
//
// sample names the job's longest series; it is loaded again by the hunt
// rather than kept from the run, so that the run's report does not count
// it as retained.
func (r *Runner) huntIfLeaking(ctx context.Context, rep *memguard.Report, p Params, sample data.Key) {
	if rep == nil || rep.Verdict.State != memguard.StateLeak || p.Kind != KindTrain || sample == (data.Key{}) ||
		r.Guard.Options().DisableHunt {
		return
	}
	r.hunts.start(ctx, rep.Kind, time.Now(), func(ctx context.Context) { r.hunt(ctx, rep, p, sample) })
}

// hunt is the leak hunt huntIfLeaking starts.
func (r *Runner) hunt(ctx context.Context, rep *memguard.Report, p Params, sample data.Key) {
	specs, err := r.candidates(p)
	if err != nil {
		r.logger().Warn("leak hunt skipped", "report_id", rep.ID, "err", err)
		return
	}
	loaded, err := r.Store.LoadSeries(ctx, sqlstore.SeriesFilter{Stores: []string{sample.Store}, SKUs: []string{sample.SKU}})
	if err != nil || len(loaded) == 0 {
		r.logger().Warn("leak hunt skipped: sample series not loaded", "report_id", rep.ID, "series", sample.String(), "err", err)
		return
	}
	log := r.logger().With("kind", rep.Kind, "report_id", rep.ID)
	log.Warn("memguard called a leak; hunting the model that causes it, beside the workers",
		"reason", rep.Verdict.Reason, "candidates", len(specs), "sample", sample.String())
	started := time.Now()
	res, err := huntLeaks(ctx, r.Guard, specs, loaded[0], p.Horizon, huntRuns)
	if err != nil {
		log.Error("leak hunt failed", "err", err)
		return
	}
	took := time.Since(started)
	logHunt(log, res, took)
	if err := r.saveHunt(context.WithoutCancel(ctx), rep, res, started, took); err != nil {
		log.Error("leak hunt not recorded", "err", err)
	}
}

// logHunt logs the culprits a hunt quarantined and the shared-code leaks
// it found.
func logHunt(log *slog.Logger, res *memguard.HuntResult, took time.Duration) {
	for _, c := range res.Candidates {
		if !c.Culprit {
			continue
		}
		site := ""
		if len(c.TopGrowth) > 0 {
			site = c.TopGrowth[0].Function
		}
		log.Warn("model quarantined by the leak hunt", "model", c.Name, "reason", c.Reason, "top_site", site)
	}
	for _, sh := range res.Shared {
		log.Warn("leak in shared code", "reason", sh.Reason, "models", sh.Models, "bytes_per_run", sh.BytesPerRun)
	}
	switch {
	case len(res.Culprits) == 0 && len(res.Shared) == 0:
		log.Warn("leak hunt found no leaking model and no shared leaking line (look at the report's window growth)", "seconds", took.Seconds())
	default:
		log.Info("leak hunt finished", "culprits", res.Culprits, "shared", len(res.Shared), "seconds", took.Seconds())
	}
}

// saveHunt stores the hunt's result and the quarantine of its culprits
// (the guard has quarantined them already), so both survive a restart.
func (r *Runner) saveHunt(ctx context.Context, rep *memguard.Report, res *memguard.HuntResult, started time.Time, took time.Duration) error {
	q := r.Guard.Quarantined()
	for _, name := range res.Culprits {
		e, ok := q[name]
		if !ok {
			continue
		}
		if err := r.Store.Quarantine(ctx, sqlstore.Quarantined{Model: name, Reason: e.Reason, Since: e.Since}); err != nil {
			return err
		}
	}
	body, err := record.Hunt.Encode(res)
	if err != nil {
		return err
	}
	return r.Store.SaveHunt(ctx, sqlstore.Hunt{ID: NewID(), Kind: rep.Kind, ReportID: rep.ID, Started: started,
		Duration: took, Culprits: res.Culprits, Shared: len(res.Shared), Body: body})
}

// huntLeaks is the original team's "comment out the models one by one",
// done by memguard: each candidate alone fits and forecasts the sample
// series runs times under the guard with precise heap profiling; the ones
// whose retained memory grows run after run, or that leave goroutines
// behind, are named with their allocation sites and quarantined (left out
// of tournaments until re-enabled through the API).
func huntLeaks(ctx context.Context, g *memguard.Guard, specs []models.Spec, sample *data.Series, horizon, runs int) (*memguard.HuntResult, error) {
	cands := make(map[string]func(context.Context) error, len(specs))
	for _, spec := range specs {
		cands[spec.Name] = func(ctx context.Context) error {
			return forecast.Exercise(memguard.WithLabels(ctx, "model", spec.Name), spec, sample, horizon)
		}
	}
	return g.Hunt(ctx, cands, runs)
}
