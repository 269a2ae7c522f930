package forecast

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/models"
)

// candidateRun holds a candidate's backtest forecasts, fold by fold.
type candidateRun struct {
	spec  models.Spec
	entry Entry
	// folds are the forecasts by fold (nil for a fold not run), and
	// foldSums their sums, which bound the metric while racing.
	folds    [][]float64
	foldSums []metricSums
	ran      int    // folds run
	stopped  string // why the race stopped the candidate; "" if it was not
	tried    bool   // refitBest tried its refit
	metric   float64
	ok       bool
	fitted   models.Fitted
	final    []float64
	weight   float64
	summary  Metrics
}

// Tournament ranks the candidates on one series by rolling-origin
// backtest (the one the history allows: planBacktest), keeps the best
// o.TopK, refits them on the whole series and combines their forecasts.
// A failing or declining candidate is recorded on the leaderboard and
// skipped; only a cancelled ctx (or no usable data) fails the
// tournament. The outcome's Class says whether the backtest was the one
// asked, a reduced one, or none (the fallback).
func Tournament(ctx context.Context, s *data.Series, o Options) (*Outcome, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.global == nil {
		// Outside Run: the global candidates learn from this series alone.
		pool, err := trainGlobal(ctx, []*data.Series{s}, o)
		if err != nil {
			return nil, err
		}
		o.global = pool
	}
	t, err := prepare(s, o)
	if err != nil {
		return nil, err
	}
	if len(t.folds) == 0 {
		if out, ok, err := t.coldStart(ctx, t.plan.info.Reason); ok || err != nil {
			return out, err
		}
		return t.fallback(t.plan.info.Reason)
	}
	runs, err := t.backtest(ctx)
	if err != nil {
		return nil, err
	}
	kept, err := t.keep(ctx, runs)
	if err != nil {
		return nil, err
	}
	t.res.Leaderboard = leaderboard(runs)
	if len(kept) == 0 {
		return t.fallback("no candidate could be fitted to this series")
	}
	setWeights(kept, o.Combine)
	q80, q95 := t.calibrate(kept)
	point := combine(kept, o.Combine, func(cr *candidateRun) []float64 { return cr.final }, t.h)
	t.res.Points = makePoints(s, point, q80, q95, nonNegative(s.Values))
	return t.outcome(kept)
}

// tournament is what the phases of a tournament on one series share: the
// validated options, the resolved season, the history with its known
// covariates, the backtest folds, and the result as it is filled in.
type tournament struct {
	s        *data.Series
	o        Options
	h        int // o.Horizon
	v        int // the validation horizon: h unless the history is too short
	season   int
	minTrain int
	full     models.Input // the whole history, given the known covariates
	folds    []fold
	scales   []scales     // per fold: the naive errors of its training history
	perfect  []metricSums // per fold: the sums of a perfect forecast (racing's bounds)
	plan     backtestPlan
	res      *Result
	resid    []FoldErrors // the combination's backtest errors (calibrate)
}

// prepare resolves the season, the shortest training history and the
// covariates known over the horizon, plans the backtest (no folds when
// the history is too short for one) and starts the result.
func prepare(s *data.Series, o Options) (*tournament, error) {
	n := len(s.Values)
	if n == 0 {
		return nil, fmt.Errorf("forecast: series %s has no data", s.Key)
	}
	t := &tournament{s: s, o: o, h: o.Horizon, season: o.Season, minTrain: o.MinTrain}
	if t.season <= 0 {
		t.season = s.Freq.DefaultSeason()
	}
	if t.minTrain == 0 {
		t.minTrain = max(2*t.season, 14)
	}
	cov, covNames, dropped := knownCovariates(s.Covariates, n, t.h)
	t.full = models.Input{Y: s.Values, Start: s.Start, Freq: s.Freq, Season: t.season, Covariates: cov, Shared: models.NewShared()}
	t.res = &Result{
		Store: s.Key.Store, SKU: s.Key.SKU, Freq: s.Freq, Season: t.season, Horizon: t.h,
		LastDate: s.End().Format(s.Freq.Layout()), Metric: o.Metric, Combine: o.Combine,
		Coverage80: math.NaN(), Coverage95: math.NaN(), Covariates: covNames, CovariatesDropped: dropped,
	}
	t.plan = planBacktest(n, o, t.season, t.minTrain)
	t.folds, t.v = t.plan.folds, t.plan.v
	// A fold's scales depend on its history, not on the candidate: once
	// per fold, not once per candidate and fold.
	t.scales = make([]scales, len(t.folds))
	for i, f := range t.folds {
		t.scales[i] = naiveScales(s.Values[:f.end], t.season)
	}
	t.perfect = t.perfectSums()
	info := t.plan.info
	t.res.Backtest, t.res.Class = &info, t.plan.class
	return t, nil
}

// backtest runs the candidates of the plan on the folds, raced (race)
// unless o.Racing is off, after recording those the plan left out as
// declined. The runs are in the order of o.Candidates. Only a cancelled
// ctx is an error: a failing candidate is recorded in its run.
func (t *tournament) backtest(ctx context.Context) ([]*candidateRun, error) {
	runs := make([]*candidateRun, 0, len(t.o.Candidates))
	for _, spec := range t.plan.dropped {
		runs = append(runs, &candidateRun{spec: spec, entry: Entry{Name: spec.Name, Family: spec.Family, Declined: true,
			Error: fmt.Sprintf("declined: needs %d seasons (%d points) of history, the shortest fold trains on %d",
				spec.MinSeasons, spec.MinSeasons*t.season, t.folds[0].end)}})
	}
	// With no more candidates than are kept, none can be stopped: the
	// race would only change the order of the fits.
	if t.o.Racing != RacingOff && len(t.plan.candidates) > t.o.TopK {
		raced, err := t.race(ctx, t.plan.candidates)
		if err != nil {
			return nil, err
		}
		return append(runs, raced...), nil
	}
	for _, spec := range t.plan.candidates {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cr, err := t.backtestCandidate(ctx, spec)
		if err != nil {
			return nil, err
		}
		runs = append(runs, cr)
	}
	return runs, nil
}

// backtestCandidate fits and forecasts spec on each fold, oldest first,
// and scores it (settle). The first failing fold ends the candidate's
// run, with the failure on its entry.
func (t *tournament) backtestCandidate(ctx context.Context, spec models.Spec) (*candidateRun, error) {
	cr := t.newRun(spec)
	for fi := range t.folds {
		if err := t.runFold(ctx, cr, fi); err != nil {
			return nil, err
		}
		if cr.entry.Error != "" {
			break
		}
	}
	t.settle(cr)
	return cr, nil
}

// newRun starts the run of spec, with no fold run.
func (t *tournament) newRun(spec models.Spec) *candidateRun {
	return &candidateRun{spec: spec, entry: Entry{Name: spec.Name, Family: spec.Family},
		folds: make([][]float64, len(t.folds)), foldSums: make([]metricSums, len(t.folds))}
}

// runFold fits and forecasts cr's candidate on fold fi. A failure is
// recorded on cr's entry (a decline as such); only a cancelled ctx is
// returned.
func (t *tournament) runFold(ctx context.Context, cr *candidateRun, fi int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s, f := t.s, t.folds[fi]
	start := time.Now()
	defer func() { cr.entry.Seconds += time.Since(start).Seconds() }()
	in := sliceInput(t.full, f.end)
	_, fc, err := labelledFit(ctx, t.bind(cr.spec, f.end), in, t.v, foldLabel(fi), PhaseBacktest)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		cr.entry.Error = fmt.Sprintf("fold ending %s: %v", s.Date(f.end-1).Format(s.Freq.Layout()), err)
		if declines(err) {
			cr.entry.Error, cr.entry.Declined = "declined: "+cr.entry.Error, true
		}
		return nil
	}
	cr.folds[fi] = fc
	cr.foldSums[fi].add(s.Values[f.end:f.end+t.v], fc, t.scales[fi])
	cr.ran++
	return nil
}

// settle scores cr on the folds it ran, pooled in fold order (oldest
// first, as full evaluation adds them, so the metrics are bit for bit
// the same), and writes them on its entry. Only a candidate that ran
// every fold and has a defined metric is ok, the one kind that can be
// kept; a stopped one keeps its metric over the folds it ran.
func (t *tournament) settle(cr *candidateRun) {
	cr.ok = false
	cr.entry.Stopped = cr.stopped
	if cr.entry.Error != "" {
		cr.entry.Backtest, cr.entry.Folds = (&metricSums{}).metrics(), 0
		return
	}
	var sums metricSums
	for fi, fc := range cr.folds {
		if fc != nil {
			f := t.folds[fi]
			sums.add(t.s.Values[f.end:f.end+t.v], fc, t.scales[fi])
		}
	}
	m := sums.metrics()
	cr.entry.Backtest, cr.entry.Folds = m, cr.ran
	cr.metric = m.rankValue(t.o.Metric)
	if cr.stopped != "" {
		return
	}
	cr.summary = m
	cr.ok = !math.IsNaN(cr.metric)
	if !cr.ok {
		cr.entry.Error = fmt.Sprintf("metric %s undefined on this series", t.o.Metric)
	}
}

// rank orders the candidates that have a ranking metric, best first (ties
// by name, so the order is reproducible), and writes their ranks on their
// entries. The candidates the race stopped rank after them, by their
// metric over the folds they ran; they are never kept.
func rank(runs []*candidateRun) []*candidateRun {
	ranked := make([]*candidateRun, 0, len(runs))
	var stopped []*candidateRun
	for _, cr := range runs {
		switch {
		case cr.ok:
			ranked = append(ranked, cr)
		case cr.stopped != "":
			stopped = append(stopped, cr)
		}
	}
	for _, group := range [][]*candidateRun{ranked, stopped} {
		sort.SliceStable(group, func(i, j int) bool {
			if group[i].metric != group[j].metric {
				return lessBound(group[i].metric, group[j].metric)
			}
			return group[i].spec.Name < group[j].spec.Name
		})
	}
	ranked = append(ranked, stopped...)
	for i, cr := range ranked {
		cr.entry.Rank = i + 1
	}
	return ranked
}

// refitBest keeps the best o.TopK of the ranked candidates that ran
// every fold, refitting each on the whole history for the final
// forecast; a refit that fails gives its place to the next candidate.
// A candidate whose refit was tried before keeps its outcome, so that
// after resume a second call only refits those it had not reached.
func (t *tournament) refitBest(ctx context.Context, ranked []*candidateRun) ([]*candidateRun, error) {
	var kept []*candidateRun
	for _, cr := range ranked {
		if len(kept) == t.o.TopK {
			break
		}
		if !cr.ok {
			continue
		}
		if cr.tried {
			if cr.entry.Kept {
				kept = append(kept, cr)
			}
			continue
		}
		cr.tried = true
		fitted, fc, err := labelledFit(ctx, t.bind(cr.spec, len(t.s.Values)), t.full, t.h, fitFinal, PhaseRefit)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			cr.entry.Error = fmt.Sprintf("refit on full history: %v", err)
			continue
		}
		cr.fitted, cr.final = fitted, fc
		cr.entry.Kept = true
		kept = append(kept, cr)
	}
	return kept, nil
}

// keep ranks the runs and refits the best o.TopK (refitBest). Should a
// refit fail with candidates the race stopped, the next best may be one
// of them: they run their remaining folds, and the refits go on down the
// new ranking, as they would have after full evaluation.
func (t *tournament) keep(ctx context.Context, runs []*candidateRun) ([]*candidateRun, error) {
	kept, err := t.refitBest(ctx, rank(runs))
	if err != nil || len(kept) == t.o.TopK {
		return kept, err
	}
	resumed, err := t.resume(ctx, runs)
	if err != nil || !resumed {
		return kept, err
	}
	return t.refitBest(ctx, rank(runs))
}

// leaderboard lists every candidate's entry, ranked ones first in rank
// order, then the failed ones in the order they ran.
func leaderboard(runs []*candidateRun) []Entry {
	var board []Entry
	for _, cr := range runs {
		board = append(board, cr.entry)
	}
	sort.SliceStable(board, func(i, j int) bool {
		ri, rj := board[i].Rank, board[j].Rank
		if (ri == 0) != (rj == 0) {
			return rj == 0
		}
		return ri < rj
	})
	return board
}

// calibrate backtests the combination of the kept candidates on the
// folds, records its accuracy and, with more than one fold, the
// cross-validated coverage of its intervals, and returns the
// split-conformal radii of the 80% and 95% intervals, calibrated on its
// backtest errors.
func (t *tournament) calibrate(kept []*candidateRun) (q80, q95 float64) {
	s := t.s
	var comb metricSums
	errs := make([][]float64, len(t.folds))
	for fi, f := range t.folds {
		fc := combine(kept, t.o.Combine, func(cr *candidateRun) []float64 { return cr.folds[fi] }, t.v)
		actual := s.Values[f.end : f.end+t.v]
		comb.add(actual, fc, t.scales[fi])
		errs[fi] = make([]float64, t.v)
		for i := range fc {
			errs[fi][i] = actual[i] - fc[i]
		}
		t.resid = append(t.resid, FoldErrors{Origin: s.Date(f.end - 1).Format(s.Freq.Layout()), Errors: errs[fi]})
	}
	t.res.Combination = comb.metrics()
	all := flatten(errs, -1)
	q80, q95 = conformalQuantile(all, 0.8), conformalQuantile(all, 0.95)
	if len(t.folds) > 1 {
		t.res.Coverage80, t.res.Coverage95 = crossCoverage(errs, 0.8), crossCoverage(errs, 0.95)
	}
	return q80, q95
}

// outcome completes the result with the kept models and serialises
// their fitted states.
func (t *tournament) outcome(kept []*candidateRun) (*Outcome, error) {
	out := &Outcome{Result: t.res, Class: t.res.Class, Reason: t.res.Backtest.Reason, CovariatesDropped: t.res.CovariatesDropped,
		Residuals: t.resid}
	for _, cr := range kept {
		t.res.Models = append(t.res.Models, KeptModel{Name: cr.spec.Name, Weight: cr.weight, Backtest: cr.summary})
		state, err := json.Marshal(cr.fitted)
		if err != nil {
			return nil, fmt.Errorf("forecast: serialise %s for %s: %w", cr.spec.Name, t.s.Key, err)
		}
		out.Kept = append(out.Kept, Kept{Name: cr.spec.Name, Weight: cr.weight, State: state})
	}
	return out, nil
}

// declines reports whether err says the candidate does not apply to the
// series (too short a history, values outside its domain such as
// negatives for a count model, a season its form cannot hold), which the
// leaderboard records as a decline rather than a failure.
func declines(err error) bool {
	return errors.Is(err, models.ErrUnsuitable) || errors.Is(err, models.ErrTooShort)
}

// nonNegative reports whether every value is at least zero (a NaN is
// not): a series that never went negative (sales) gets its forecast and
// lower bounds clipped at zero.
func nonNegative(values []float64) bool {
	for _, v := range values {
		if !(v >= 0) {
			return false
		}
	}
	return true
}

// knownCovariates returns the covariates of a series of n points whose
// values are known (finite) at every step n..n+h-1 of the forecast, and
// their sorted names; nil when there are none. The others are returned
// as dropped, sorted by name, each with the steps it has no plan for, so
// that leaving them out is reported rather than silent.
//
// A model may only be given covariates it will have in production: the
// backtest folds read the covariates whole, so a fold's "future" values
// are the real historical ones, and a covariate with no plan for the
// final horizon would score a model on information its forecast will
// lack. Every fold and the final fit get this same set, so the backtest
// measures what production does; with no plan the set is empty and the
// candidates see no covariates at all.
func knownCovariates(all map[string][]float64, n, h int) (map[string][]float64, []string, []DroppedCovariate) {
	var names []string
	var dropped []DroppedCovariate
	for name, col := range all {
		if missing := unplanned(col, n, h); missing > 0 {
			dropped = append(dropped, DroppedCovariate{Name: name,
				Reason: fmt.Sprintf("no plan for %d of %d steps", missing, h)})
			continue
		}
		names = append(names, name)
	}
	sort.Slice(dropped, func(i, j int) bool { return dropped[i].Name < dropped[j].Name })
	if len(names) == 0 {
		return nil, nil, dropped
	}
	sort.Strings(names)
	out := make(map[string][]float64, len(names))
	for _, name := range names {
		out[name] = all[name]
	}
	return out, names, dropped
}

// unplanned counts the steps n..n+h-1 at which col has no finite value.
func unplanned(col []float64, n, h int) int {
	missing := 0
	for i := n; i < n+h; i++ {
		if i >= len(col) || math.IsNaN(col[i]) || math.IsInf(col[i], 0) {
			missing++
		}
	}
	return missing
}

// sliceInput is the history of a fold: the series up to end. Covariates
// stay whole: they run past the history as known future values
// (promotions are planned), and models read them by date.
func sliceInput(full models.Input, end int) models.Input {
	in := full
	in.Y = full.Y[:end:end]
	return in
}

// fitForecastFull fits spec on in and forecasts h steps, returning the
// fitted model too (the final refit keeps its state). A panic inside a
// model is turned into an error so one bad candidate cannot take the job
// down; a forecast of the wrong length or with a non-finite value is an
// error too. Callers run it through labelledFit.
func fitForecastFull(ctx context.Context, spec models.Spec, in models.Input, h int) (f models.Fitted, fc []float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in %s: %v", spec.Name, r)
		}
	}()
	f, err = spec.New().Fit(ctx, in)
	if err != nil {
		return nil, nil, err
	}
	fc, err = f.Forecast(ctx, in, h)
	if err != nil {
		return nil, nil, err
	}
	if len(fc) != h {
		return nil, nil, fmt.Errorf("%s returned %d forecasts, want %d", spec.Name, len(fc), h)
	}
	for i, v := range fc {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, fmt.Errorf("%s forecast %d is not finite", spec.Name, i+1)
		}
	}
	return f, fc, nil
}

// fallback forecasts a series the tournament cannot handle with the mean
// of its last season (at least 7 points where there are), and intervals
// from the spread of those points around it. It is what a planner would
// do by hand for a brand-new or nearly empty series.
func (t *tournament) fallback(why string) (*Outcome, error) {
	s, res := t.s, t.res
	mean, q80, q95 := tailSpread(s.Values, max(res.Season, 7))
	point := make([]float64, res.Horizon)
	for i := range point {
		point[i] = mean
	}
	// Clipped at zero like any forecast of a series that never went
	// negative; a series with returns keeps its negative mean.
	res.Points = makePoints(s, point, q80, q95, nonNegative(s.Values))
	res.Fallback, res.Class = why, ClassFallback
	res.Models = []KeptModel{{Name: "fallback_mean", Weight: 1, Backtest: (&metricSums{}).metrics()}}
	res.Combination = (&metricSums{}).metrics()
	return &Outcome{Result: res, Class: ClassFallback, Reason: why, CovariatesDropped: res.CovariatesDropped}, nil
}
