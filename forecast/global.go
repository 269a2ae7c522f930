package forecast

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/internal/cputime"
	"github.com/forecastd/forecastd/models"
	"github.com/forecastd/forecastd/models/global"
)

// MaxGlobalGroup is how many series one global model is trained on: a
// larger job is split into groups of this many (in the order Run gets
// them; the last takes a tail of up to half a group, TakesRest), each
// with its own models, which bounds the features computed per group.
const MaxGlobalGroup = 1000

// TakesRest reports whether a group (or a streamed job's batch) of size
// series, with remaining series left to place, takes them all: a tail of
// at most half a group joins the group before it rather than paying for
// a pool of its own, since a pool's cost hardly shrinks with its series
// (global.Settings.PoolRows caps its rows, not its floor). Groups then
// hold up to 1.5 size series: 3,050 series train three pools, not four,
// the fourth for 50 series. Grouping and batching (package jobs) both cut
// by this rule, so a job's series share the same pools however it is
// run.
func TakesRest(remaining, size int) bool { return remaining <= size+size/2 }

// globalPool holds the global models of a job (the candidates with
// models.Spec.Global), trained before the per-series tournaments: for
// each group of series, one model per backtest origin and one on the full
// histories.
//
// Origins are offsets, counted in steps back from each series' end, not
// dates: the folds of a tournament end at n-v-j*step for a series of n
// points (planBacktest), so series that end on the same date (the usual
// job) share fold dates, and series that do not (M4's) still share fold
// offsets. A model of offset d is trained on every series of the group
// cut d steps before its own end. Offsets used by fewer than a tenth of
// a group's series (a short series' reduced plan) get no model: their
// global candidate declines those folds.
//
// One model per fold, not one at the deepest fold serving them all: on
// store/item (h=90, folds 90 days apart) a model 180 days older than its
// fold's origin overforecast that fold by 30% and the candidates were
// never kept (bench/global/RESULTS.md).
type globalPool struct {
	groups map[data.Key]*globalGroup
}

// globalGroup is the models of one group of series, by candidate name
// and offset.
type globalGroup struct {
	models map[string]map[int]*global.Model
	// failed says why a candidate has no model at an offset it trained
	// for.
	failed map[string]map[int]string
	// pooled is the models of the candidates that train their own
	// (pooledLearner), by name and offset.
	pooled map[string]map[int]any
}

// globalLearner is what the pool needs of a global candidate
// (models.GlobalGBDT): its training settings, and itself bound to a
// trained model for one series.
type globalLearner interface {
	GlobalSettings(season, h int) global.Settings
	Bind(m *global.Model, k data.Key, why string) models.Forecaster
}

// pooledLearner is a global candidate that trains its own pooled model
// (models.WindowRidge) on the group's histories cut at one origin, and
// binds it per series; the pool holds the model without knowing its type.
type pooledLearner interface {
	TrainPooled(ctx context.Context, ys [][]float64, season, h int) (any, error)
	BindPooled(m any, k data.Key, why string) models.Forecaster
}

// model returns candidate name's model trained at offset d for series k,
// or nil and why not.
func (p *globalPool) model(name string, k data.Key, d int) (*global.Model, string) {
	if p == nil {
		return nil, "trained across the series of a job, not on one series"
	}
	g := p.groups[k]
	if g == nil {
		return nil, "series not in the job's pool"
	}
	if m := g.models[name][d]; m != nil {
		return m, ""
	}
	if why := g.failed[name][d]; why != "" {
		return nil, why
	}
	return nil, fmt.Sprintf("no global model at this origin (%d steps before the end): too few of the job's series have a fold there", d)
}

// trainGlobal trains the pool of the global candidates among
// o.Candidates on series (o validated); nil when there are none. A group
// or origin whose model cannot be trained (too few rows) is left without
// one; only a cancelled ctx is an error.
func trainGlobal(ctx context.Context, series []*data.Series, o Options) (*globalPool, error) {
	specs, pooled := globalSpecs(o.Candidates)
	if len(specs)+len(pooled) == 0 || len(series) == 0 {
		return nil, nil
	}
	pool := &globalPool{groups: map[data.Key]*globalGroup{}}
	// The series of a kind the job's shared pool holds use its models;
	// the rest train their own groups here.
	rest := series
	if o.Pool != nil {
		rest = nil
		for _, s := range series {
			if g := o.Pool.groups[kindOf(s, o)]; g != nil {
				pool.groups[s.Key] = g
			} else {
				rest = append(rest, s)
			}
		}
	}
	if len(rest) == 0 {
		return pool, nil
	}
	t0, cpu0 := time.Now(), cputime.Process()
	var stats GlobalStats
	for _, grp := range globalGroups(rest, o) {
		g, err := trainGroup(ctx, grp.series, grp.season, o, specs, pooled)
		if err != nil {
			return nil, err
		}
		for _, s := range grp.series {
			pool.groups[s.Key] = g
		}
		stats.addGroup(g)
	}
	if o.OnGlobal != nil {
		stats.Series = len(rest)
		stats.Seconds = time.Since(t0).Seconds()
		stats.CPUSeconds = (cputime.Process() - cpu0).Seconds()
		o.OnGlobal(stats)
	}
	return pool, nil
}

// globalSpecs returns the global candidates among candidates: the
// boosters (globalLearner) and those that train their own pooled model
// (pooledLearner).
func globalSpecs(candidates []models.Spec) (specs, pooled []models.Spec) {
	for _, s := range candidates {
		if !s.Global {
			continue
		}
		switch s.New().(type) {
		case globalLearner:
			specs = append(specs, s)
		case pooledLearner:
			pooled = append(pooled, s)
		}
	}
	return specs, pooled
}

// GlobalStats is what training the global candidates' pool cost: Run
// trains it before the tournaments, and a streamed job once per batch.
type GlobalStats struct {
	// Series is how many series the pool was trained on, in Groups
	// groups (MaxGlobalGroup).
	Series int `json:"series"`
	Groups int `json:"groups"`
	// Models is how many models were trained (per group, one per global
	// candidate and fold offset, and one on the full histories), on Rows training
	// rows in all, MaxRows for the largest.
	Models  int `json:"models"`
	Rows    int `json:"rows"`
	MaxRows int `json:"max_rows"`
	// Seconds is the wall time; CPUSeconds the process' CPU time over it
	// (user and system: the pool trains before any tournament starts, so
	// it is the pool's, unless the process ran other jobs meanwhile).
	Seconds    float64 `json:"seconds"`
	CPUSeconds float64 `json:"cpu_seconds"`
}

// addGroup counts a trained group and its models.
func (s *GlobalStats) addGroup(g *globalGroup) {
	s.Groups++
	for _, byOffset := range g.models {
		for _, m := range byOffset {
			s.Models++
			s.Rows += m.Rows
			s.MaxRows = max(s.MaxRows, m.Rows)
		}
	}
}

// Add adds the figures of another pool's training to s (MaxRows is the
// larger of the two).
func (s *GlobalStats) Add(o GlobalStats) {
	s.Series += o.Series
	s.Groups += o.Groups
	s.Models += o.Models
	s.Rows += o.Rows
	s.MaxRows = max(s.MaxRows, o.MaxRows)
	s.Seconds += o.Seconds
	s.CPUSeconds += o.CPUSeconds
}

// seriesGroup is series that share a frequency and season, at most
// MaxGlobalGroup of them.
type seriesGroup struct {
	season int
	series []*data.Series
}

// poolKind is what the series of one group share: a frequency and a
// season.
type poolKind struct {
	f data.Frequency
	m int
}

func kindOf(s *data.Series, o Options) poolKind {
	k := poolKind{s.Freq, o.Season}
	if k.m <= 0 {
		k.m = s.Freq.DefaultSeason()
	}
	return k
}

// byKind splits series by frequency and season, in the order the kinds
// first appear.
func byKind(series []*data.Series, o Options) ([]poolKind, map[poolKind][]*data.Series) {
	var order []poolKind
	by := map[poolKind][]*data.Series{}
	for _, s := range series {
		k := kindOf(s, o)
		if _, ok := by[k]; !ok {
			order = append(order, k)
		}
		by[k] = append(by[k], s)
	}
	return order, by
}

// globalGroups splits series by frequency and season, then into groups
// of MaxGlobalGroup, the last taking a short tail (TakesRest).
func globalGroups(series []*data.Series, o Options) []seriesGroup {
	order, by := byKind(series, o)
	var out []seriesGroup
	for _, k := range order {
		all := by[k]
		for i := 0; i < len(all); {
			n := MaxGlobalGroup
			if TakesRest(len(all)-i, n) {
				n = len(all) - i
			}
			out = append(out, seriesGroup{season: k.m, series: all[i : i+n]})
			i += n
		}
	}
	return out
}

// trainGroup trains, for each origin offset the group's backtests use
// (and offset 0, the full histories), one model of every GBDT candidate
// (specs) and of every pooledLearner candidate (pooled), o.Workers (at
// most two) at a time. The models are one queue, the boosters first and
// the pooled ridges (a second or two each) after them, so the ridges fill
// the tail where one worker would otherwise wait for the other's last
// booster: run one after the other, the ridges left a core idle for a
// quarter of the pool's time on 3,050 M5 series.
func trainGroup(ctx context.Context, series []*data.Series, season int, o Options, specs, pooled []models.Spec) (*globalGroup, error) {
	// The models see the series in key order, whatever order they came
	// in (a batch in the database's collation, a job's pool sample, a
	// partition): the same series give the same models on every path.
	series = slices.Clone(series)
	slices.SortFunc(series, func(a, b *data.Series) int { return compareKeys(a.Key, b.Key) })
	offsets := globalOffsets(series, season, o)
	covariates := sharedCovariates(series, o.Horizon)
	g := &globalGroup{models: map[string]map[int]*global.Model{}, failed: map[string]map[int]string{},
		pooled: map[string]map[int]any{}}
	var mu sync.Mutex
	// record keeps a model trained at offset d (keep), or why there is
	// none: the candidate then declines the folds of that origin.
	record := func(name string, d int, err error, keep func()) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			g.failed[name][d] = fmt.Sprintf("pooled model %d steps before the end: %v", d, err)
			return
		}
		keep()
	}
	var tasks []func()
	for _, spec := range specs {
		st := spec.New().(globalLearner).GlobalSettings(season, o.Horizon)
		st.Covariates = covariates
		g.models[spec.Name], g.failed[spec.Name] = map[int]*global.Model{}, map[int]string{}
		for _, d := range offsets {
			tasks = append(tasks, func() {
				m, err := global.Train(ctx, cutPool(series, d), st)
				record(spec.Name, d, err, func() { g.models[spec.Name][d] = m })
			})
		}
	}
	for _, spec := range pooled {
		learner := spec.New().(pooledLearner)
		g.pooled[spec.Name], g.failed[spec.Name] = map[int]any{}, map[int]string{}
		for _, d := range offsets {
			tasks = append(tasks, func() {
				m, err := learner.TrainPooled(ctx, cutValues(series, d), season, o.Horizon)
				record(spec.Name, d, err, func() { g.pooled[spec.Name][d] = m })
			})
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, min(o.Workers, 2)))
	for _, task := range tasks {
		wg.Add(1)
		sem <- struct{}{} // in queue order: the boosters start first
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if ctx.Err() == nil {
				task()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return g, nil
}

// globalOffsets returns the origin offsets the group's backtests use
// that a global model is trained for (globalPool), 0 first.
func globalOffsets(series []*data.Series, season int, o Options) []int {
	minTrain := o.MinTrain
	if minTrain == 0 {
		minTrain = max(2*season, 14)
	}
	count := map[int]int{0: len(series)}
	for _, s := range series {
		for _, f := range planBacktest(len(s.Values), o, season, minTrain).folds {
			count[len(s.Values)-f.end]++
		}
	}
	var offsets []int
	for d, c := range count {
		if d == 0 || 10*c >= len(series) {
			offsets = append(offsets, d)
		}
	}
	sort.Ints(offsets)
	return offsets
}

// cutValues is the values of every series of the group cut d steps
// before its end (those longer than d), sharing their arrays.
func cutValues(series []*data.Series, d int) [][]float64 {
	ys := make([][]float64, 0, len(series))
	for _, s := range series {
		if n := len(s.Values) - d; n > 0 {
			ys = append(ys, s.Values[:n:n])
		}
	}
	return ys
}

// pooledModel is model for a pooledLearner candidate.
func (p *globalPool) pooledModel(name string, k data.Key, d int) (any, string) {
	if p != nil {
		if g := p.groups[k]; g != nil && g.pooled[name][d] != nil {
			return g.pooled[name][d], ""
		}
	}
	// The reasons are model's: not in the pool, failed, no such origin.
	_, why := p.model(name, k, d)
	return nil, why
}

// cutPool is every series of the group cut d steps before its end (those
// longer than d), covariates whole: the features read them by index, so
// no training row sees past its own target.
func cutPool(series []*data.Series, d int) []global.Series {
	out := make([]global.Series, 0, len(series))
	for _, s := range series {
		n := len(s.Values) - d
		if n <= 0 {
			continue
		}
		out = append(out, global.Series{Key: s.Key, Y: s.Values[:n:n], Start: s.Start, Freq: s.Freq, Covariates: s.Covariates})
	}
	return out
}

// sharedCovariates names the covariates planned over the horizon for
// every series of the group (knownCovariates of each), sorted: a column
// the model reads must exist for all the rows it learns from.
func sharedCovariates(series []*data.Series, h int) []string {
	var shared []string
	for i, s := range series {
		_, names, _ := knownCovariates(s.Covariates, len(s.Values), h)
		if i == 0 {
			shared = names
			continue
		}
		keep := shared[:0:0]
		for _, n := range shared {
			if contains(names, n) {
				keep = append(keep, n)
			}
		}
		shared = keep
	}
	return shared
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// bind returns spec unchanged unless it is a global candidate and the
// job's pool has a model for the origin end of this series: then a copy
// whose New returns the candidate bound to that model. Unbound, the
// global candidate declines, as when Tournament runs outside Run.
func (t *tournament) bind(spec models.Spec, end int) models.Spec {
	if !spec.Global {
		return spec
	}
	if pl, ok := spec.New().(pooledLearner); ok {
		m, why := t.o.global.pooledModel(spec.Name, t.s.Key, len(t.s.Values)-end)
		key := t.s.Key
		spec.New = func() models.Forecaster { return pl.BindPooled(m, key, why) }
		return spec
	}
	learner, ok := spec.New().(globalLearner)
	if !ok {
		return spec
	}
	m, why := t.o.global.model(spec.Name, t.s.Key, len(t.s.Values)-end)
	key := t.s.Key
	spec.New = func() models.Forecaster { return learner.Bind(m, key, why) }
	return spec
}

// coldStart forecasts a series too short for any backtest with the first
// global candidate whose pool has a model on the full histories: the
// series' level from the points it has, its shape from the pool. The
// intervals are the fallback's (the spread of the last season around its
// mean), since there is no backtest to calibrate them on. It reports
// false when there is no such model or it fails on the series, and the
// tournament falls back to the flat mean.
func (t *tournament) coldStart(ctx context.Context, why string) (*Outcome, bool, error) {
	for _, spec := range t.o.Candidates {
		if m, _ := t.o.global.model(spec.Name, t.s.Key, 0); !spec.Global || m == nil {
			continue
		}
		fitted, fc, err := labelledFit(ctx, t.bind(spec, len(t.s.Values)), t.full, t.h, fitFinal, PhaseRefit)
		if err != nil {
			if ctx.Err() != nil {
				return nil, false, ctx.Err()
			}
			continue
		}
		state, err := json.Marshal(fitted)
		if err != nil {
			return nil, false, fmt.Errorf("forecast: serialise %s for %s: %w", spec.Name, t.s.Key, err)
		}
		res := t.res
		_, q80, q95 := tailSpread(t.s.Values, max(res.Season, 7))
		res.Points = makePoints(t.s, fc, q80, q95, nonNegative(t.s.Values))
		res.Class = ClassColdStart
		res.Models = []KeptModel{{Name: spec.Name, Weight: 1, Backtest: (&metricSums{}).metrics()}}
		res.Combination = (&metricSums{}).metrics()
		reason := "cold start: " + why + "; forecast by " + spec.Name + " from the job's other series"
		return &Outcome{Result: res, Kept: []Kept{{Name: spec.Name, Weight: 1, State: state}},
			Class: ClassColdStart, Reason: reason, CovariatesDropped: res.CovariatesDropped}, true, nil
	}
	return nil, false, nil
}

// tailSpread returns the mean of the last w points of values (all of
// them when fewer) and the 80% and 95% conformal radii of those points
// around it: the fallback's forecast and intervals, and a cold start's
// intervals.
func tailSpread(values []float64, w int) (mean, q80, q95 float64) {
	w = min(w, len(values))
	tail := values[len(values)-w:]
	for _, v := range tail {
		mean += v
	}
	mean /= float64(w)
	dev := make([]float64, w)
	for i, v := range tail {
		dev[i] = v - mean
	}
	return mean, conformalQuantile(dev, 0.8), conformalQuantile(dev, 0.95)
}
