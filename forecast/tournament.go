package forecast

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/models"
)

// Options configure a tournament. Zero fields take the documented
// defaults; Validate reports what is out of range.
type Options struct {
	// Horizon is the number of steps to forecast (required, 1..1000).
	Horizon int `json:"horizon"`
	// TopK is how many candidates are kept and combined; default 5.
	TopK int `json:"top_k"`
	// Windows is the number of rolling-origin backtest folds; default 3.
	Windows int `json:"backtest_windows"`
	// Step is the distance between fold origins; default Horizon.
	Step int `json:"step"`
	// Season overrides the frequency's default season length when > 0.
	Season int `json:"season"`
	// Metric ranks the candidates: mase (default), mae, rmse, mape,
	// smape, rmsse or wape.
	Metric string `json:"metric"`
	// Combine is how the kept forecasts are combined: inverse (default:
	// weights proportional to 1/metric, the best of the three on both
	// holdouts in bench/accuracy), mean, or median.
	Combine string `json:"combine"`
	// MinTrain is the shortest history a fold trains on; default two
	// seasons and at least 14 points.
	MinTrain int `json:"min_train"`
	// Workers bounds the series trained at once; default GOMAXPROCS.
	Workers int `json:"-"`
	// Candidates are the models in the tournament; default the
	// registry's default set.
	Candidates []models.Spec `json:"-"`
}

// Limits on job parameters, so one request cannot ask for unbounded work.
const (
	MaxHorizon = 1000
	MaxTopK    = 20
	MaxWindows = 20
)

// Validate checks o and fills defaults (except Candidates and Workers,
// which need the registry and the machine).
func (o *Options) Validate() error {
	if o.Horizon < 1 || o.Horizon > MaxHorizon {
		return fmt.Errorf("forecast: horizon %d out of range 1..%d", o.Horizon, MaxHorizon)
	}
	if o.TopK == 0 {
		o.TopK = 5
	}
	if o.TopK < 1 || o.TopK > MaxTopK {
		return fmt.Errorf("forecast: top_k %d out of range 1..%d", o.TopK, MaxTopK)
	}
	if o.Windows == 0 {
		o.Windows = 3
	}
	if o.Windows < 1 || o.Windows > MaxWindows {
		return fmt.Errorf("forecast: backtest_windows %d out of range 1..%d", o.Windows, MaxWindows)
	}
	if o.Step == 0 {
		o.Step = o.Horizon
	}
	if o.Step < 1 || o.Step > MaxHorizon {
		return fmt.Errorf("forecast: step %d out of range 1..%d", o.Step, MaxHorizon)
	}
	if o.Season < 0 || o.Season > 1000 {
		return fmt.Errorf("forecast: season %d out of range 0..1000", o.Season)
	}
	if o.Metric == "" {
		o.Metric = "mase"
	}
	known := false
	for _, m := range metricNames {
		known = known || m == o.Metric
	}
	if !known {
		return fmt.Errorf("forecast: unknown metric %q (want one of %v)", o.Metric, metricNames)
	}
	switch o.Combine {
	case "":
		o.Combine = "inverse"
	case "mean", "median", "inverse":
	default:
		return fmt.Errorf("forecast: unknown combine %q (want mean, median or inverse)", o.Combine)
	}
	if o.MinTrain < 0 {
		return fmt.Errorf("forecast: min_train %d is negative", o.MinTrain)
	}
	return nil
}

// Point is one forecast step with its 80% and 95% intervals.
type Point struct {
	Date    string  `json:"date"`
	Value   float64 `json:"value"`
	Lower   float64 `json:"lower"`
	Upper   float64 `json:"upper"`
	Lower95 float64 `json:"lower_95"`
	Upper95 float64 `json:"upper_95"`
}

// KeptModel is a member of the combination.
type KeptModel struct {
	Name     string  `json:"name"`
	Weight   float64 `json:"weight"`
	Backtest Metrics `json:"backtest"`
}

// Entry is a candidate's line on the leaderboard.
type Entry struct {
	Name     string  `json:"name"`
	Family   string  `json:"family"`
	Rank     int     `json:"rank,omitempty"` // 1 is best; 0 when the candidate failed
	Kept     bool    `json:"kept"`
	Backtest Metrics `json:"backtest"`
	Folds    int     `json:"folds"`
	Error    string  `json:"error,omitempty"`
	Seconds  float64 `json:"seconds"`
}

// Result is the outcome of a tournament on one series, as served.
type Result struct {
	Store       string         `json:"store"`
	SKU         string         `json:"sku"`
	Freq        data.Frequency `json:"freq"`
	Season      int            `json:"season"`
	Horizon     int            `json:"horizon"`
	LastDate    string         `json:"last_date"`
	Points      []Point        `json:"points"`
	Models      []KeptModel    `json:"models"`
	Leaderboard []Entry        `json:"leaderboard"`
	// Combination is the backtest accuracy of the combined forecast.
	Combination Metrics `json:"combination"`
	// Coverage80 and Coverage95 are the empirical coverages of the
	// intervals on the backtest folds, each fold scored with intervals
	// calibrated on the other folds; NaN (null) with a single fold.
	Coverage80 float64 `json:"coverage_80"`
	Coverage95 float64 `json:"coverage_95"`
	// Covariates are the covariates the candidates were given: those
	// whose values are known over the whole horizon (planned), sorted.
	Covariates []string `json:"covariates,omitempty"`
	// Fallback says why the tournament was skipped, when it was.
	Fallback string `json:"fallback,omitempty"`
	Metric   string `json:"metric"`
	Combine  string `json:"combine"`
}

// Kept is a fitted member of the combination, serialised by its model.
type Kept struct {
	Name   string          `json:"name"`
	Weight float64         `json:"weight"`
	State  json.RawMessage `json:"state"`
}

// Outcome is what a tournament produces for one series.
type Outcome struct {
	Result *Result
	Kept   []Kept
}

// MarshalJSON writes non-finite coverage as null.
func (r *Result) MarshalJSON() ([]byte, error) {
	type plain Result
	aux := struct {
		*plain
		Coverage80 *float64 `json:"coverage_80"`
		Coverage95 *float64 `json:"coverage_95"`
	}{plain: (*plain)(r)}
	if !math.IsNaN(r.Coverage80) && !math.IsInf(r.Coverage80, 0) {
		aux.Coverage80 = &r.Coverage80
	}
	if !math.IsNaN(r.Coverage95) && !math.IsInf(r.Coverage95, 0) {
		aux.Coverage95 = &r.Coverage95
	}
	return json.Marshal(aux)
}

// candidateRun holds a candidate's backtest forecasts, fold by fold.
type candidateRun struct {
	spec    models.Spec
	entry   Entry
	folds   [][]float64
	metric  float64
	ok      bool
	fitted  models.Fitted
	final   []float64
	weight  float64
	summary Metrics
}

// fold is one backtest split: train on y[:end], test on y[end:end+h].
type fold struct{ end int }

// Tournament ranks the candidates on one series by rolling-origin
// backtest, keeps the best o.TopK, refits them on the whole series and
// combines their forecasts. A failing candidate is recorded on the
// leaderboard and skipped; only a cancelled ctx (or no usable data) fails
// the tournament.
func Tournament(ctx context.Context, s *data.Series, o Options) (*Outcome, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	t, err := prepare(s, o)
	if err != nil {
		return nil, err
	}
	if len(t.folds) == 0 {
		return fallback(s, t.res, fmt.Sprintf("history of %d points is too short to backtest a horizon of %d (needs %d)",
			len(s.Values), t.h, t.minTrain+t.h))
	}
	runs, err := t.backtest(ctx)
	if err != nil {
		return nil, err
	}
	kept, err := t.refitBest(ctx, rank(runs))
	if err != nil {
		return nil, err
	}
	t.res.Leaderboard = leaderboard(runs)
	if len(kept) == 0 {
		return fallback(s, t.res, "no candidate could be fitted to this series")
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
	season   int
	minTrain int
	full     models.Input // the whole history, given the known covariates
	folds    []fold
	res      *Result
}

// prepare resolves the season, the shortest training history and the
// covariates known over the horizon, lays out the backtest folds (none
// when the history is too short for one) and starts the result.
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
	cov, covNames := knownCovariates(s.Covariates, n, t.h)
	t.full = models.Input{Y: s.Values, Start: s.Start, Freq: s.Freq, Season: t.season, Covariates: cov}
	t.res = &Result{
		Store: s.Key.Store, SKU: s.Key.SKU, Freq: s.Freq, Season: t.season, Horizon: t.h,
		LastDate: s.End().Format(s.Freq.Layout()), Metric: o.Metric, Combine: o.Combine,
		Coverage80: math.NaN(), Coverage95: math.NaN(), Covariates: covNames,
	}
	t.folds = backtestFolds(n, t.h, o.Windows, o.Step, t.minTrain)
	return t, nil
}

// backtestFolds lays out up to windows rolling-origin folds, oldest
// first, step apart, the last one testing the final h points; a fold
// that would train on fewer than minTrain points is dropped.
func backtestFolds(n, h, windows, step, minTrain int) []fold {
	var folds []fold
	for j := windows - 1; j >= 0; j-- {
		end := n - h - j*step
		if end >= minTrain {
			folds = append(folds, fold{end: end})
		}
	}
	return folds
}

// backtest runs every candidate on every fold, in the order of
// o.Candidates. Only a cancelled ctx is an error: a failing candidate is
// recorded in its run.
func (t *tournament) backtest(ctx context.Context) ([]*candidateRun, error) {
	runs := make([]*candidateRun, 0, len(t.o.Candidates))
	for _, spec := range t.o.Candidates {
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

// backtestCandidate fits and forecasts spec on each fold, pools its
// errors over the folds and scores it with the ranking metric. The first
// failing fold ends the candidate's run, with the failure on its entry.
func (t *tournament) backtestCandidate(ctx context.Context, spec models.Spec) (*candidateRun, error) {
	s := t.s
	cr := &candidateRun{spec: spec, entry: Entry{Name: spec.Name, Family: spec.Family}}
	start := time.Now()
	var sums metricSums
	for _, f := range t.folds {
		in := sliceInput(t.full, f.end)
		fc, err := fitForecast(ctx, spec, in, t.h)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			cr.entry.Error = fmt.Sprintf("fold ending %s: %v", s.Date(f.end-1).Format(s.Freq.Layout()), err)
			break
		}
		sums.add(s.Values[f.end:f.end+t.h], fc, naiveScales(in.Y, t.season))
		cr.folds = append(cr.folds, fc)
	}
	cr.entry.Seconds = time.Since(start).Seconds()
	if cr.entry.Error != "" {
		cr.entry.Backtest = (&metricSums{}).metrics()
		return cr, nil
	}
	cr.summary = sums.metrics()
	cr.entry.Backtest = cr.summary
	cr.entry.Folds = len(t.folds)
	cr.metric = cr.summary.rankValue(t.o.Metric)
	cr.ok = !math.IsNaN(cr.metric)
	if !cr.ok {
		cr.entry.Error = fmt.Sprintf("metric %s undefined on this series", t.o.Metric)
	}
	return cr, nil
}

// rank orders the candidates that have a ranking metric, best first (ties
// by name, so the order is reproducible), and writes their ranks on their
// entries.
func rank(runs []*candidateRun) []*candidateRun {
	ranked := make([]*candidateRun, 0, len(runs))
	for _, cr := range runs {
		if cr.ok {
			ranked = append(ranked, cr)
		}
	}
	sort.SliceStable(ranked, func(i, j int) bool {
		if ranked[i].metric != ranked[j].metric {
			return ranked[i].metric < ranked[j].metric
		}
		return ranked[i].spec.Name < ranked[j].spec.Name
	})
	for i, cr := range ranked {
		cr.entry.Rank = i + 1
	}
	return ranked
}

// refitBest keeps the best o.TopK of the ranked candidates, refitting
// each on the whole history for the final forecast; a refit that fails
// gives its place to the next candidate.
func (t *tournament) refitBest(ctx context.Context, ranked []*candidateRun) ([]*candidateRun, error) {
	var kept []*candidateRun
	for _, cr := range ranked {
		if len(kept) == t.o.TopK {
			break
		}
		fitted, fc, err := fitForecastFull(ctx, cr.spec, t.full, t.h)
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
		fc := combine(kept, t.o.Combine, func(cr *candidateRun) []float64 { return cr.folds[fi] }, t.h)
		actual := s.Values[f.end : f.end+t.h]
		comb.add(actual, fc, naiveScales(s.Values[:f.end], t.season))
		errs[fi] = make([]float64, t.h)
		for i := range fc {
			errs[fi][i] = actual[i] - fc[i]
		}
	}
	t.res.Combination = comb.metrics()
	q80, q95 = conformalQuantile(flatten(errs, -1), 0.8), conformalQuantile(flatten(errs, -1), 0.95)
	if len(t.folds) > 1 {
		t.res.Coverage80, t.res.Coverage95 = crossCoverage(errs, 0.8), crossCoverage(errs, 0.95)
	}
	return q80, q95
}

// outcome completes the result with the kept models and serialises
// their fitted states.
func (t *tournament) outcome(kept []*candidateRun) (*Outcome, error) {
	out := &Outcome{Result: t.res}
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
// their sorted names; nil when there are none.
//
// A model may only be given covariates it will have in production: the
// backtest folds read the covariates whole, so a fold's "future" values
// are the real historical ones, and a covariate with no plan for the
// final horizon would score a model on information its forecast will
// lack. Every fold and the final fit get this same set, so the backtest
// measures what production does; with no plan the set is empty and the
// candidates see no covariates at all.
func knownCovariates(all map[string][]float64, n, h int) (map[string][]float64, []string) {
	var names []string
	for name, col := range all {
		if len(col) < n+h {
			continue
		}
		known := true
		for _, v := range col[n : n+h] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				known = false
				break
			}
		}
		if known {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	sort.Strings(names)
	out := make(map[string][]float64, len(names))
	for _, name := range names {
		out[name] = all[name]
	}
	return out, names
}

// sliceInput is the history of a fold: the series up to end. Covariates
// stay whole: they run past the history as known future values
// (promotions are planned), and models read them by date.
func sliceInput(full models.Input, end int) models.Input {
	in := full
	in.Y = full.Y[:end:end]
	return in
}

// fitForecast fits spec on in and forecasts h steps, turning a panic
// inside a model into an error so one bad candidate cannot take the
// job down.
func fitForecast(ctx context.Context, spec models.Spec, in models.Input, h int) ([]float64, error) {
	_, fc, err := fitForecastFull(ctx, spec, in, h)
	return fc, err
}

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

func setWeights(kept []*candidateRun, how string) {
	if how == "inverse" {
		var sum float64
		for _, cr := range kept {
			sum += 1 / math.Max(cr.metric, 1e-9)
		}
		for _, cr := range kept {
			cr.weight = 1 / math.Max(cr.metric, 1e-9) / sum
		}
		return
	}
	for _, cr := range kept {
		cr.weight = 1 / float64(len(kept))
	}
}

func combine(kept []*candidateRun, how string, get func(*candidateRun) []float64, h int) []float64 {
	out := make([]float64, h)
	if how == "median" {
		col := make([]float64, len(kept))
		for i := range out {
			for k, cr := range kept {
				col[k] = get(cr)[i]
			}
			sort.Float64s(col)
			m := len(col)
			if m%2 == 1 {
				out[i] = col[m/2]
			} else {
				out[i] = (col[m/2-1] + col[m/2]) / 2
			}
		}
		return out
	}
	for _, cr := range kept {
		fc := get(cr)
		for i := range out {
			out[i] += cr.weight * fc[i]
		}
	}
	return out
}

func flatten(errs [][]float64, skip int) []float64 {
	var out []float64
	for i, e := range errs {
		if i != skip {
			out = append(out, e...)
		}
	}
	return out
}

// conformalQuantile is the split-conformal radius for coverage level:
// the ceil((n+1)*level)-th smallest absolute error (the largest when n is
// too small for the level).
func conformalQuantile(errs []float64, level float64) float64 {
	if len(errs) == 0 {
		return math.NaN()
	}
	abs := make([]float64, len(errs))
	for i, e := range errs {
		abs[i] = math.Abs(e)
	}
	sort.Float64s(abs)
	k := int(math.Ceil(float64(len(abs)+1)*level)) - 1
	if k >= len(abs) {
		k = len(abs) - 1
	}
	return abs[k]
}

// crossCoverage scores each fold with the radius calibrated on the others.
func crossCoverage(errs [][]float64, level float64) float64 {
	in, n := 0, 0
	for i, e := range errs {
		q := conformalQuantile(flatten(errs, i), level)
		for _, v := range e {
			n++
			if math.Abs(v) <= q {
				in++
			}
		}
	}
	return float64(in) / float64(n)
}

func makePoints(s *data.Series, point []float64, q80, q95 float64, nonNeg bool) []Point {
	pts := make([]Point, len(point))
	n := len(s.Values)
	for i, v := range point {
		if nonNeg && v < 0 {
			v = 0
		}
		p := Point{Date: s.Date(n + i).Format(s.Freq.Layout()), Value: v,
			Lower: v - q80, Upper: v + q80, Lower95: v - q95, Upper95: v + q95}
		if nonNeg {
			p.Lower, p.Lower95 = math.Max(p.Lower, 0), math.Max(p.Lower95, 0)
		}
		pts[i] = p
	}
	return pts
}

// fallback forecasts a series the tournament cannot handle with the mean
// of its last season (at least 7 points where there are), and intervals
// from the spread of those points around it. It is what a planner would
// do by hand for a brand-new or nearly empty series.
func fallback(s *data.Series, res *Result, why string) (*Outcome, error) {
	n := len(s.Values)
	w := min(n, max(res.Season, 7))
	tail := s.Values[n-w:]
	var mean float64
	for _, v := range tail {
		mean += v
	}
	mean /= float64(w)
	dev := make([]float64, w)
	for i, v := range tail {
		dev[i] = v - mean
	}
	q80, q95 := conformalQuantile(dev, 0.8), conformalQuantile(dev, 0.95)
	point := make([]float64, res.Horizon)
	for i := range point {
		point[i] = mean
	}
	res.Points = makePoints(s, point, q80, q95, true)
	res.Fallback = why
	res.Models = []KeptModel{{Name: "fallback_mean", Weight: 1, Backtest: (&metricSums{}).metrics()}}
	res.Combination = (&metricSums{}).metrics()
	return &Outcome{Result: res}, nil
}

// Progress reports how many series are done.
type Progress func(done, total int)

// Run trains every series with a bounded pool of o.Workers goroutines and
// hands each outcome to sink, from a single goroutine and in completion
// order. A failure on one series is passed to sink as an outcome with a
// nil Result and its error; Run stops early only when ctx is cancelled or
// sink returns an error.
func Run(ctx context.Context, series []*data.Series, o Options, sink func(*data.Series, *Outcome, error) error, progress Progress) error {
	if err := o.Validate(); err != nil {
		return err
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, max(len(series), 1))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type done struct {
		s   *data.Series
		out *Outcome
		err error
	}
	next := make(chan *data.Series)
	results := make(chan done)
	finished := make(chan struct{})
	go func() {
		defer close(next)
		for _, s := range series {
			select {
			case next <- s:
			case <-ctx.Done():
				return
			}
		}
	}()
	for w := 0; w < workers; w++ {
		go func() {
			defer func() { finished <- struct{}{} }()
			for s := range next {
				out, err := Tournament(ctx, s, o)
				select {
				case results <- done{s, out, err}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		for w := 0; w < workers; w++ {
			<-finished
		}
		close(results)
	}()
	var firstErr error
	count := 0
	for d := range results {
		if firstErr != nil {
			continue // drain so the workers can exit
		}
		if ctx.Err() != nil {
			firstErr = ctx.Err()
			cancel()
			continue
		}
		if d.err != nil && errors.Is(d.err, context.Canceled) {
			firstErr = d.err
			cancel()
			continue
		}
		if err := sink(d.s, d.out, d.err); err != nil {
			firstErr = err
			cancel()
			continue
		}
		count++
		if progress != nil {
			progress(count, len(series))
		}
	}
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}
