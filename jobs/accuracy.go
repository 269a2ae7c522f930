package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/forecast/accuracy"
	"github.com/forecastd/forecastd/jobs/record"
)

// AccuracyStore is what the scorer reads and writes; *sqlstore.Store
// implements it.
type AccuracyStore interface {
	PendingArrivals(ctx context.Context, limit int) ([]sqlstore.Arrival, error)
	VintagesCovering(ctx context.Context, k data.Key, from, to time.Time) ([]*sqlstore.Vintage, error)
	SalesBetween(ctx context.Context, k data.Key, from, to time.Time) (map[time.Time]float64, error)
	GetSeriesAccuracy(ctx context.Context, k data.Key) (*sqlstore.SeriesAccuracy, error)
	SaveScores(ctx context.Context, b sqlstore.ScoreBatch) error
	ClaimRetrains(ctx context.Context, claims []sqlstore.RetrainClaim) ([]sqlstore.RetrainClaim, error)
	SettleRetrains(ctx context.Context, claims []sqlstore.RetrainClaim, jobID string) error
	CountDrifting(ctx context.Context) (int, error)
	GetJob(ctx context.Context, id string) (*sqlstore.Job, error)
}

// enqueuer queues jobs; *Queue is one.
type enqueuer interface {
	Enqueue(ctx context.Context, p Params, requestID string) (*Job, error)
}

// AccuracyOptions configure the scorer.
type AccuracyOptions struct {
	// Rule judges drift; the zero Rule is accuracy.DefaultRule.
	Rule accuracy.Rule
	// RetrainOnDrift queues a training job for the series found drifting,
	// once per series and vintage judged.
	RetrainOnDrift bool
	// Budget bounds one ScorePending call; default 20 s. What is left
	// stays pending for the next call (the server's drain, every minute).
	Budget time.Duration
}

// Accuracy scores kept forecast vintages as their actuals arrive (issue
// 19). Uploads note the arrivals in their own transaction; ScorePending
// drains them in batches of arrivalBatch dates, and for each series
// touched reads only the vintages that forecast those dates and the
// sales over their horizons: the cost follows the arrivals, never the
// number of vintages kept.
type Accuracy struct {
	store   AccuracyStore
	queue   enqueuer
	opts    AccuracyOptions
	log     *slog.Logger
	metrics *accuracyMetrics
}

// arrivalBatch is how many arrival dates one round of scoring reads.
const arrivalBatch = 5000

// NewAccuracy returns the scorer over store, queueing retraining on q,
// with its metrics registered on reg (nil: none).
func NewAccuracy(store AccuracyStore, q enqueuer, opts AccuracyOptions, log *slog.Logger, reg prometheus.Registerer) (*Accuracy, error) {
	if opts.Budget <= 0 {
		opts.Budget = 20 * time.Second
	}
	if log == nil {
		log = slog.Default()
	}
	a := &Accuracy{store: store, queue: q, opts: opts, log: log}
	if reg != nil {
		m, err := newAccuracyMetrics(reg, store)
		if err != nil {
			return nil, err
		}
		a.metrics = m
	}
	return a, nil
}

// ScoreReport says what a round of scoring did; the sales upload answers
// it. Error is set when scoring failed part-way: the sales are stored and
// what was not scored stays pending.
type ScoreReport struct {
	Series   int `json:"series"`
	Vintages int `json:"vintages"`
	Steps    int `json:"steps"`
	// Drifting counts the series of this round judged drifting.
	Drifting int `json:"drifting"`
	// Pending is set when the time budget ran out with arrivals left.
	Pending bool `json:"pending,omitempty"`
	// RetrainJobs are the jobs queued for drifting series, and
	// RetrainSeries how many series they train.
	RetrainJobs   []string `json:"retrain_jobs,omitempty"`
	RetrainSeries int      `json:"retrain_series,omitempty"`
	Error         string   `json:"error,omitempty"`
}

// ScorePending scores every pending arrival within the time budget, then
// queues one retraining per training job whose series drifted (when
// RetrainOnDrift). A failure is returned and also said in the report,
// with what was done.
func (a *Accuracy) ScorePending(ctx context.Context) (ScoreReport, error) {
	var rep ScoreReport
	var drifting []judged
	deadline := time.Now().Add(a.opts.Budget)
	for {
		if time.Now().After(deadline) {
			rep.Pending = true
			break
		}
		arr, err := a.store.PendingArrivals(ctx, arrivalBatch)
		if err == nil && len(arr) > 0 {
			var d []judged
			d, err = a.scoreBatch(ctx, arr, &rep)
			drifting = append(drifting, d...)
		}
		if err == nil && len(arr) == 0 && a.opts.RetrainOnDrift && len(drifting) > 0 {
			err = a.retrain(ctx, drifting, &rep)
		}
		if err != nil {
			a.metrics.fail()
			rep.Error = err.Error()
			return rep, fmt.Errorf("jobs: score arrivals: %w", err)
		}
		if len(arr) == 0 {
			return rep, nil
		}
	}
	if a.opts.RetrainOnDrift && len(drifting) > 0 {
		if err := a.retrain(ctx, drifting, &rep); err != nil {
			a.metrics.fail()
			rep.Error = err.Error()
			return rep, fmt.Errorf("jobs: score arrivals: %w", err)
		}
	}
	return rep, nil
}

// judged is the judgement of one series in a batch, with what a
// retraining needs of it.
type judged struct {
	acc     sqlstore.SeriesAccuracy
	reasons []string
	params  []byte // the params record of the vintage's job
}

// scoreBatch scores the vintages the arrivals touch, judges their
// series and saves it all in one transaction. It returns the series
// judged drifting.
func (a *Accuracy) scoreBatch(ctx context.Context, arr []sqlstore.Arrival, rep *ScoreReport) ([]judged, error) {
	var batch sqlstore.ScoreBatch
	var drifting []judged
	for _, ar := range arr {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		steps, j, err := a.scoreSeries(ctx, ar, rep)
		if err != nil {
			return nil, err
		}
		batch.Steps = append(batch.Steps, steps...)
		if j != nil {
			batch.Accuracy = append(batch.Accuracy, j.acc)
			a.metrics.observe(j.acc)
			if j.acc.Drifting {
				rep.Drifting++
				drifting = append(drifting, *j)
			}
		}
	}
	batch.Done = arr
	if err := a.store.SaveScores(ctx, batch); err != nil {
		return nil, err
	}
	a.metrics.scored(len(batch.Steps))
	rep.Steps += len(batch.Steps)
	return drifting, nil
}

// scoreSeries scores the vintages of one series that forecast the
// arrived dates, over every date of their horizons that has a sale, and
// judges the series on the newest of them with enough steps (nil when
// the stored judgement is of a newer vintage).
func (a *Accuracy) scoreSeries(ctx context.Context, ar sqlstore.Arrival, rep *ScoreReport) ([]sqlstore.VintageStep, *judged, error) {
	from, to := slices.MinFunc(ar.Dates, time.Time.Compare), slices.MaxFunc(ar.Dates, time.Time.Compare)
	vs, err := a.store.VintagesCovering(ctx, ar.Key, from, to)
	if err != nil || len(vs) == 0 {
		return nil, nil, err // no vintage left (pruned since): nothing to score
	}
	lo, hi := vs[0].First, vs[0].Last
	for _, v := range vs {
		lo, hi = minTime(lo, v.First), maxTime(hi, v.Last)
	}
	actuals, err := a.store.SalesBetween(ctx, ar.Key, lo, hi)
	if err != nil {
		return nil, nil, err
	}
	rep.Series++
	var all []sqlstore.VintageStep
	var best *judged
	rule := a.opts.Rule
	for _, v := range vs { // oldest cut-off first: the newest judged wins
		steps, err := realizedSteps(v, actuals)
		if err != nil {
			return nil, nil, err
		}
		if len(steps) == 0 {
			continue
		}
		rep.Vintages++
		all = append(all, steps...)
		sc := accuracy.Score(AccuracySteps(steps), v.Scale)
		verdict := rule.Judge(sc, v.BacktestWAPE)
		if best != nil && best.acc.Judged && !verdict.Judged {
			continue
		}
		best = &judged{acc: seriesAccuracy(v, sc, verdict), reasons: verdict.Reasons}
	}
	if best == nil {
		return all, nil, nil
	}
	prev, err := a.store.GetSeriesAccuracy(ctx, ar.Key)
	switch {
	case errors.Is(err, sqlstore.ErrNotFound):
	case err != nil:
		return nil, nil, err
	case prev.Judged && (!best.acc.Judged || prev.Cutoff.After(best.acc.Cutoff)):
		return all, nil, nil // a newer vintage was judged already
	}
	if best.acc.Drifting {
		job, err := a.store.GetJob(ctx, best.acc.JobID)
		if err != nil && !errors.Is(err, sqlstore.ErrNotFound) {
			return nil, nil, err
		}
		if job != nil {
			best.params = job.Params
		}
	}
	return all, best, nil
}

// realizedSteps pairs the points of vintage v with the actuals that have
// arrived for their dates.
func realizedSteps(v *sqlstore.Vintage, actuals map[time.Time]float64) ([]sqlstore.VintageStep, error) {
	var res forecast.Result
	if err := record.DecodeResultServed(v.Body, &res); err != nil {
		return nil, fmt.Errorf("vintage %s of %s: %w", v.JobID, v.Key, err)
	}
	var out []sqlstore.VintageStep
	for i, p := range res.Points {
		d, err := pointDate(res.Freq, p)
		if err != nil {
			return nil, fmt.Errorf("vintage %s of %s: point %d: %w", v.JobID, v.Key, i+1, err)
		}
		y, ok := actuals[d]
		if !ok {
			continue
		}
		out = append(out, sqlstore.VintageStep{Key: v.Key, JobID: v.JobID, Step: i + 1, Date: d, Value: p.Value,
			Lower80: p.Lower, Upper80: p.Upper, Lower95: p.Lower95, Upper95: p.Upper95, Actual: y})
	}
	return out, nil
}

// AccuracySteps converts stored steps to what package accuracy scores.
func AccuracySteps(steps []sqlstore.VintageStep) []accuracy.Step {
	out := make([]accuracy.Step, len(steps))
	for i, s := range steps {
		out[i] = accuracy.Step{Forecast: s.Value, Lower80: s.Lower80, Upper80: s.Upper80, Lower95: s.Lower95, Upper95: s.Upper95, Actual: s.Actual}
	}
	return out
}

func seriesAccuracy(v *sqlstore.Vintage, s accuracy.Scores, verdict accuracy.Verdict) sqlstore.SeriesAccuracy {
	wl, p := verdict.WAPELimit, verdict.CoverageP
	if !verdict.Judged {
		wl, p = math.NaN(), math.NaN()
	}
	return sqlstore.SeriesAccuracy{Key: v.Key, JobID: v.JobID, Cutoff: v.Cutoff, Steps: s.N, Covered80: s.Covered80,
		WAPE: s.WAPE, MASE: s.MASE, Bias: s.Bias, Coverage80: s.Coverage80, Coverage95: s.Coverage95, Pinball: s.Pinball,
		AbsError: s.AbsError, AbsActual: s.AbsActual, BacktestWAPE: v.BacktestWAPE, WAPELimit: wl, CoverageP: p,
		Judged: verdict.Judged, Drifting: verdict.Drifting, Reasons: strings.Join(verdict.Reasons, "; "), UpdatedAt: time.Now().UTC()}
}

// retrain queues, for the drifting series not retrained for the vintage
// they drifted on, one training job per job that trained them, with that
// job's parameters and the series named.
func (a *Accuracy) retrain(ctx context.Context, drifting []judged, rep *ScoreReport) error {
	claims := make([]sqlstore.RetrainClaim, len(drifting))
	for i, d := range drifting {
		claims[i] = sqlstore.RetrainClaim{Key: d.acc.Key, VintageJobID: d.acc.JobID}
	}
	fresh, err := a.store.ClaimRetrains(ctx, claims)
	if err != nil || len(fresh) == 0 {
		return err
	}
	byJob := map[string][]judged{}
	var order []string
	for _, d := range drifting {
		if !slices.Contains(fresh, sqlstore.RetrainClaim{Key: d.acc.Key, VintageJobID: d.acc.JobID}) {
			continue
		}
		if _, ok := byJob[d.acc.JobID]; !ok {
			order = append(order, d.acc.JobID)
		}
		byJob[d.acc.JobID] = append(byJob[d.acc.JobID], d)
	}
	for _, id := range order {
		group := byJob[id]
		p := retrainParams(group)
		cl := make([]sqlstore.RetrainClaim, len(group))
		for i, d := range group {
			cl[i] = sqlstore.RetrainClaim{Key: d.acc.Key, VintageJobID: id}
		}
		j, err := a.queue.Enqueue(ctx, p, "drift")
		if err != nil {
			return errors.Join(fmt.Errorf("queue retraining on drift: %w", err), a.store.SettleRetrains(context.WithoutCancel(ctx), cl, ""))
		}
		if err := a.store.SettleRetrains(ctx, cl, j.ID); err != nil {
			return err
		}
		a.metrics.retrained(len(group))
		rep.RetrainJobs = append(rep.RetrainJobs, j.ID)
		rep.RetrainSeries += len(group)
		a.log.Info("retraining queued on drift", "job_id", j.ID, "series", len(group), "vintage_job_id", id)
	}
	return nil
}

// retrainParams are the parameters of the job that trained group's
// vintage (its horizon, candidates, metric...), for exactly group's
// series, with the reason and the figures.
func retrainParams(group []judged) Params {
	var p Params
	if err := paramsRecord.Decode(group[0].params, &p); err != nil || group[0].params == nil {
		p = Params{Horizon: 28} // the vintage's job is gone: the default tournament
	}
	p.Kind, p.Stores, p.SKUs, p.Series, p.Drift = KindTrain, nil, nil, nil, nil
	p.Reason = ReasonDrift
	seenStore, seenSKU := map[string]bool{}, map[string]bool{}
	for _, d := range group {
		k := d.acc.Key
		p.Series = append(p.Series, k)
		if !seenStore[k.Store] {
			seenStore[k.Store] = true
			p.Stores = append(p.Stores, k.Store)
		}
		if !seenSKU[k.SKU] {
			seenSKU[k.SKU] = true
			p.SKUs = append(p.SKUs, k.SKU)
		}
		p.Drift = append(p.Drift, DriftFigure{Store: k.Store, SKU: k.SKU, VintageJobID: d.acc.JobID, Steps: d.acc.Steps,
			WAPE: finite(d.acc.WAPE), WAPELimit: finite(d.acc.WAPELimit), Coverage80: finite(d.acc.Coverage80),
			CoverageP: finite(d.acc.CoverageP), Reasons: d.reasons})
	}
	return p
}

// finite is v, or nil (JSON null) when it is not a number.
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// accuracyMetrics are the scorer's Prometheus metrics; none has a label
// (stores and SKUs are unbounded).
type accuracyMetrics struct {
	steps     prometheus.Counter
	failures  prometheus.Counter
	retrains  prometheus.Counter
	wape      prometheus.Histogram
	coverage  prometheus.Histogram
	judgments *prometheus.CounterVec
}

func newAccuracyMetrics(reg prometheus.Registerer, store AccuracyStore) (*accuracyMetrics, error) {
	m := &accuracyMetrics{
		steps: prometheus.NewCounter(prometheus.CounterOpts{Name: "forecastd_accuracy_steps_scored_total",
			Help: "Forecast steps scored against arrived actuals (a step rescored when its actual changes counts again)."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "forecastd_accuracy_scoring_failures_total",
			Help: "Scoring rounds that failed; their arrivals stay pending and are retried (the server drains them every minute)."}),
		retrains: prometheus.NewCounter(prometheus.CounterOpts{Name: "forecastd_accuracy_retrain_series_total",
			Help: "Series a retraining on drift was queued for (FORECASTD_RETRAIN_ON_DRIFT)."}),
		wape: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "forecastd_accuracy_realized_wape",
			Help:    "Realized WAPE of each series judgement (a vintage's scored steps), all stores together.",
			Buckets: []float64{0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2}}),
		coverage: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "forecastd_accuracy_realized_coverage80",
			Help:    "Realized coverage of the 80% interval of each series judgement.",
			Buckets: []float64{0.2, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1}}),
		judgments: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "forecastd_accuracy_judgements_total",
			Help: "Series judgements by verdict: ok, drifting, or unjudged (fewer scored steps than the rule needs)."}, []string{"verdict"}),
	}
	drifting := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "forecastd_accuracy_drifting_series",
		Help: "Series whose latest judgement is drifting (read from the database at scrape, so every replica agrees)."},
		func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := store.CountDrifting(ctx)
			if err != nil {
				return math.NaN()
			}
			return float64(n)
		})
	for _, c := range []prometheus.Collector{m.steps, m.failures, m.retrains, m.wape, m.coverage, m.judgments, drifting} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("jobs: accuracy metrics: %w", err)
		}
	}
	for _, v := range []string{"ok", "drifting", "unjudged"} {
		m.judgments.WithLabelValues(v)
	}
	return m, nil
}

func (m *accuracyMetrics) observe(a sqlstore.SeriesAccuracy) {
	if m == nil {
		return
	}
	switch {
	case !a.Judged:
		m.judgments.WithLabelValues("unjudged").Inc()
		return
	case a.Drifting:
		m.judgments.WithLabelValues("drifting").Inc()
	default:
		m.judgments.WithLabelValues("ok").Inc()
	}
	if !math.IsNaN(a.WAPE) {
		m.wape.Observe(a.WAPE)
	}
	m.coverage.Observe(a.Coverage80)
}

func (m *accuracyMetrics) scored(n int) {
	if m != nil {
		m.steps.Add(float64(n))
	}
}

func (m *accuracyMetrics) fail() {
	if m != nil {
		m.failures.Inc()
	}
}

func (m *accuracyMetrics) retrained(n int) {
	if m != nil {
		m.retrains.Add(float64(n))
	}
}
