package forecast

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/models"
)

// TestRacingExactMatchesFull: the exact race keeps the same candidates
// as full evaluation, with bit-identical backtests, weights, forecasts,
// intervals and kept states, while stopping some candidates early; the
// leaderboard says where each stopped one stopped, and ranks it after
// every complete one.
func TestRacingExactMatchesFull(t *testing.T) {
	ss := demoSales(t, demo.Options{Stores: 1, SKUs: 2, Days: 500})
	cands := models.Standard().Defaults()
	ctx := context.Background()
	stoppedTotal := 0
	for _, s := range ss {
		full, err := Tournament(ctx, s, Options{Horizon: 28, Racing: RacingOff, Candidates: cands})
		if err != nil {
			t.Fatal(err)
		}
		raced, err := Tournament(ctx, s, Options{Horizon: 28, Racing: RacingExact, Candidates: cands})
		if err != nil {
			t.Fatal(err)
		}
		f, r := full.Result, raced.Result
		if !reflect.DeepEqual(f.Points, r.Points) || !reflect.DeepEqual(f.Models, r.Models) ||
			!reflect.DeepEqual(f.Combination, r.Combination) || !sameFloat(f.Coverage80, r.Coverage80) ||
			!sameFloat(f.Coverage95, r.Coverage95) {
			t.Fatalf("%s: raced result differs from full evaluation\nfull  %+v\nraced %+v", s.Key, f.Models, r.Models)
		}
		if !reflect.DeepEqual(full.Kept, raced.Kept) {
			t.Fatalf("%s: kept states differ", s.Key)
		}
		complete := 0
		for i, e := range r.Leaderboard {
			if e.Stopped == "" {
				if e.Rank != 0 {
					complete++
					if e.Rank != complete {
						t.Errorf("%s: complete candidate %s ranked %d after %d complete ones", s.Key, e.Name, e.Rank, complete-1)
					}
				}
				continue
			}
			stoppedTotal++
			if e.Kept || e.Rank <= 5 || e.Folds < 1 || e.Folds >= 3 || !strings.HasPrefix(e.Stopped, "after ") {
				t.Errorf("%s: stopped entry %d %+v", s.Key, i, e)
			}
			if fe := entryNamed(f.Leaderboard, e.Name); fe.Rank <= 5 {
				t.Errorf("%s: %s stopped but ranked %d by full evaluation", s.Key, e.Name, fe.Rank)
			}
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatal(err)
		}
	}
	if stoppedTotal == 0 {
		t.Error("the race stopped no candidate on any series")
	}
}

// TestRacingResumesAfterFailedRefit: a candidate that backtests best but
// cannot be refitted gives its place to the next best, which the race
// may have stopped; the result is still that of full evaluation.
func TestRacingResumesAfterFailedRefit(t *testing.T) {
	s := demoSeries(t, 1)[0]
	oracle := models.Spec{Name: "oracle", Family: "test", New: func() models.Forecaster { return &oracleModel{y: s.Values} },
		Load: func([]byte) (models.Fitted, error) { return nil, nil }}
	cands := append(specs(t, "naive", "mean", "seasonal_naive", "ses", "ridge"), oracle)
	o := Options{Horizon: 28, TopK: 1, Racing: RacingExact, Candidates: cands}
	ctx := context.Background()
	raced, err := Tournament(ctx, s, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Racing = RacingOff
	full, err := Tournament(ctx, s, o)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(full.Result.Points, raced.Result.Points) || !reflect.DeepEqual(full.Result.Models, raced.Result.Models) {
		t.Fatalf("after a failed refit: raced kept %+v, full kept %+v", raced.Result.Models, full.Result.Models)
	}
	e := entryNamed(raced.Result.Leaderboard, "oracle")
	if e.Rank != 1 || e.Kept || !strings.Contains(e.Error, "refit") {
		t.Errorf("oracle entry %+v", e)
	}
	for _, e := range raced.Result.Leaderboard {
		if e.Stopped != "" {
			t.Errorf("%s still stopped after the resume: %s", e.Name, e.Stopped)
		}
	}
}

// oracleModel forecasts each fold perfectly from the whole series it was
// built with, and fails to fit the full history.
type oracleModel struct{ y []float64 }

func (m *oracleModel) Fit(_ context.Context, in models.Input) (models.Fitted, error) {
	if len(in.Y) == len(m.y) {
		return nil, errTestRefit
	}
	return m, nil
}

func (m *oracleModel) Forecast(_ context.Context, in models.Input, h int) ([]float64, error) {
	return append([]float64(nil), m.y[len(in.Y):len(in.Y)+h]...), nil
}

var errTestRefit = &testError{"no refit on the full history"}

type testError struct{ s string }

func (e *testError) Error() string { return e.s }

func TestRacingBounds(t *testing.T) {
	best := []float64{}
	for _, v := range []float64{3, 1, 2, 0.5} {
		best = insertBest(best, v, 3)
	}
	if !reflect.DeepEqual(best, []float64{0.5, 1, 2}) || kthBest(best, 3) != 2 || !math.IsInf(kthBest(best[:2], 3), 1) {
		t.Fatalf("best %v", best)
	}
	if ordinal(1) != "1st" || ordinal(5) != "5th" || ordinal(12) != "12th" || ordinal(22) != "22nd" {
		t.Error("ordinal")
	}
	if _, err := ParseRacing("fast-ish"); err == nil {
		t.Error("ParseRacing accepted an unknown mode")
	}
	// The bound of a run with no fold is the perfect forecast's metric
	// (zero), and with every fold it is its metric.
	s := demoSeries(t, 1)[0]
	tr, cr := naiveRun(t, s, Options{Horizon: 14})
	if lb := tr.lowerBound(cr); lb != 0 {
		t.Errorf("bound with no fold run = %v", lb)
	}
	for fi := range tr.folds {
		if err := tr.runFold(context.Background(), cr, fi); err != nil {
			t.Fatal(err)
		}
	}
	lb := tr.lowerBound(cr)
	tr.settle(cr)
	if math.Abs(lb-cr.metric) > 1e-12*cr.metric || !cr.ok {
		t.Errorf("complete bound %v, metric %v", lb, cr.metric)
	}
}

// naiveRun prepares a tournament of s under o and a run of the naive
// candidate in it that has run no fold yet.
func naiveRun(t *testing.T, s *data.Series, o Options) (*tournament, *candidateRun) {
	t.Helper()
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	tr, err := prepare(s, o)
	if err != nil {
		t.Fatal(err)
	}
	return tr, tr.newRun(specs(t, "naive")[0])
}

func entryNamed(board []Entry, name string) Entry {
	for _, e := range board {
		if e.Name == name {
			return e
		}
	}
	return Entry{}
}

func sameFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

// TestRacingCancelled: a cancelled ctx fails a raced tournament, as it
// fails a full one, rather than leaving candidates half-run.
func TestRacingCancelled(t *testing.T) {
	s := demoSeries(t, 1)[0]
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Tournament(ctx, s, Options{Horizon: 14, TopK: 1, Candidates: specs(t, "naive", "mean", "seasonal_naive")})
	if err == nil {
		t.Fatal("a raced tournament on a cancelled context returned no error")
	}
}

// TestRacingFastBound: the fast bound of a candidate that ran some folds
// lies between the exact bound and its metric over the folds it ran
// (with raceOptimism 0.5, halfway between for MASE), and with every fold
// run both are its metric; a fast race keeps only candidates that ran
// every fold.
func TestRacingFastBound(t *testing.T) {
	s := demoSeries(t, 1)[0]
	bound := func(r Racing, folds int) (lb, partial float64) {
		tr, cr := naiveRun(t, s, Options{Horizon: 14, Racing: r})
		for fi := len(tr.folds) - 1; fi >= len(tr.folds)-folds; fi-- {
			if err := tr.runFold(context.Background(), cr, fi); err != nil {
				t.Fatal(err)
			}
		}
		lb = tr.lowerBound(cr)
		tr.settle(cr)
		return lb, cr.metric
	}
	exact, partial := bound(RacingExact, 1)
	fast, _ := bound(RacingFast, 1)
	if !(exact < fast && fast < partial) || math.Abs(fast-(exact+raceOptimism*(partial-exact))) > 1e-9*partial {
		t.Errorf("one fold of 3: exact bound %v, fast %v, metric over the fold %v", exact, fast, partial)
	}
	exact, metric := bound(RacingExact, 3)
	fast, _ = bound(RacingFast, 3)
	if math.Abs(exact-metric) > 1e-12*metric || math.Abs(fast-metric) > 1e-12*metric {
		t.Errorf("every fold: exact bound %v, fast %v, metric %v", exact, fast, metric)
	}
	out, err := Tournament(context.Background(), s, Options{Horizon: 28, Racing: RacingFast, Candidates: models.Standard().Defaults()})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range out.Result.Leaderboard {
		if e.Kept && (e.Folds != 3 || e.Stopped != "") {
			t.Errorf("kept after a fast race with %d folds: %+v", e.Folds, e)
		}
	}
}
