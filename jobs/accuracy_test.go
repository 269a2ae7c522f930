package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/jobs/record"
)

// countingStore counts the vintages the scorer reads.
type countingStore struct {
	*sqlstore.Store
	calls, vintages int
}

func (c *countingStore) VintagesCovering(ctx context.Context, k data.Key, from, to time.Time) ([]*sqlstore.Vintage, error) {
	vs, err := c.Store.VintagesCovering(ctx, k, from, to)
	c.calls++
	c.vintages += len(vs)
	return vs, err
}

// noQueue refuses to queue: the test runs without retraining.
type noQueue struct{}

func (noQueue) Enqueue(context.Context, Params, string) (*Job, error) {
	return nil, fmt.Errorf("no queue in this test")
}

// TestScoringReadsOnlyTouchedVintages keeps 5 vintages of each of 40
// series, sends actuals for 2 series, and checks that scoring read the
// vintages of those 2 that cover the dates, not the 200 kept.
func TestScoringReadsOnlyTouchedVintages(t *testing.T) {
	ctx := context.Background()
	s, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	day := func(d int) time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	for v := 0; v < 5; v++ {
		id := fmt.Sprintf("job%d", v)
		if err := s.CreateJob(ctx, &sqlstore.Job{ID: id, Kind: "train", Params: []byte(`{"v":1,"data":{"horizon":7}}`)}, nil); err != nil {
			t.Fatal(err)
		}
		cut := day(7 * v) // vintage v forecasts days 7v+1 .. 7v+7
		for i := 0; i < 40; i++ {
			stageFlatVintage(t, s, id, data.Key{Store: "S", SKU: fmt.Sprintf("K%02d", i)}, cut)
		}
		if _, err := s.PublishResults(ctx, id, day(7*v)); err != nil {
			t.Fatal(err)
		}
	}
	// Actuals of days 15..21 (vintage job2) for two series.
	var obs []data.Observation
	for _, sku := range []string{"K03", "K17"} {
		for d := 15; d <= 21; d++ {
			obs = append(obs, data.Observation{Key: data.Key{Store: "S", SKU: sku}, Date: day(d), Quantity: 30})
		}
	}
	if _, err := s.Ingest(ctx, data.Each(obs)); err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: s}
	reg := prometheus.NewRegistry()
	acc, err := NewAccuracy(cs, noQueue{}, AccuracyOptions{}, slog.New(slog.DiscardHandler), reg)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := acc.ScorePending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cs.calls != 2 || cs.vintages != 2 || rep.Series != 2 || rep.Steps != 14 || rep.Drifting != 2 {
		t.Errorf("scoring read %d vintages in %d calls, report %+v; want 2 vintages of the 2 series, 14 steps, both drifting", cs.vintages, cs.calls, rep)
	}
	// Nothing is pending: a second round reads nothing.
	cs.calls = 0
	if rep, err := acc.ScorePending(ctx); err != nil || rep.Series != 0 || cs.calls != 0 {
		t.Errorf("second round: %+v, %v, %d reads", rep, err, cs.calls)
	}
}

// TestDeletedSalesLeaveTheScores: two vintages of one series are scored
// on 14 days of actuals; deleting 3 days of sales inside the newer
// vintage's horizon deletes those 3 scored steps and the judgement, and
// the next scoring round judges the series again on the sales left: the
// newer vintage has 4 steps, too few to judge, so the older one's 7 are.
func TestDeletedSalesLeaveTheScores(t *testing.T) {
	ctx := context.Background()
	s, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	day := func(d int) time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	k := data.Key{Store: "S", SKU: "K"}
	for v := 0; v < 2; v++ {
		id := fmt.Sprintf("job%d", v)
		if err := s.CreateJob(ctx, &sqlstore.Job{ID: id, Kind: "train", Params: []byte(`{"v":1,"data":{"horizon":7}}`)}, nil); err != nil {
			t.Fatal(err)
		}
		cut := day(7 * v)
		stageFlatVintage(t, s, id, k, cut)
		if _, err := s.PublishResults(ctx, id, cut); err != nil {
			t.Fatal(err)
		}
	}
	// Days 1..14: the newer vintage (days 8..14) is off by 2 on days
	// 8..11 and by 20 on days 12..14.
	var obs []data.Observation
	for d := 1; d <= 14; d++ {
		q := 12.0
		if d >= 12 {
			q = 30
		}
		obs = append(obs, data.Observation{Key: k, Date: day(d), Quantity: q})
	}
	if _, err := s.Ingest(ctx, data.Each(obs)); err != nil {
		t.Fatal(err)
	}
	acc, err := NewAccuracy(s, noQueue{}, AccuracyOptions{}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acc.ScorePending(ctx); err != nil {
		t.Fatal(err)
	}
	before, err := s.GetSeriesAccuracy(ctx, k)
	if err != nil || before.JobID != "job1" || before.Steps != 7 || math.Abs(before.WAPE-68.0/138) > 1e-12 {
		t.Fatalf("before the delete: %+v, %v; want job1 judged on 7 steps, WAPE %.6f", before, err, 68.0/138)
	}
	got, err := s.DeleteSeries(ctx, k, sqlstore.DateRange{From: day(12), Until: day(15)})
	if err != nil {
		t.Fatal(err)
	}
	if got.Sales != 3 || got.ScoredSteps != 3 {
		t.Fatalf("deleted %+v, want 3 sales and 3 scored steps", got)
	}
	if a, err := s.GetSeriesAccuracy(ctx, k); err == nil {
		t.Fatalf("the judgement on deleted sales is still served: %+v", a)
	}
	if _, err := acc.ScorePending(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := s.GetSeriesAccuracy(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	// job0's 7 steps, each off by 2 on actuals of 12: WAPE 14/84.
	if after.JobID != "job0" || after.Steps != 7 || math.Abs(after.WAPE-14.0/84) > 1e-12 {
		t.Errorf("after rescoring: job %s, %d steps, WAPE %.6f; want job0, 7 steps, WAPE %.6f", after.JobID, after.Steps, after.WAPE, 14.0/84)
	}
	steps, err := s.VintageSteps(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	for job, ss := range steps {
		for _, st := range ss {
			if !st.Date.Before(day(12)) {
				t.Errorf("vintage %s still has a scored step on %s, whose sale was deleted", job, st.Date.Format("2006-01-02"))
			}
		}
	}
	if n := len(steps["job0"]) + len(steps["job1"]); n != 11 {
		t.Errorf("%d scored steps left, want 11 (7 of job0, 4 of job1)", n)
	}
}

// stageFlatVintage stages for job id a vintage of k cut at cut: 7 daily
// steps forecasting 10 (80% 8-12, 95% 6-14), backtest WAPE 0.1.
func stageFlatVintage(t *testing.T, s *sqlstore.Store, id string, k data.Key, cut time.Time) {
	t.Helper()
	res := forecast.Result{Store: k.Store, SKU: k.SKU, Freq: data.Daily, Horizon: 7, Combination: forecast.Metrics{WAPE: 0.1}}
	for h := 1; h <= 7; h++ {
		res.Points = append(res.Points, forecast.Point{Date: cut.AddDate(0, 0, h).Format("2006-01-02"), Value: 10,
			Lower: 8, Upper: 12, Lower95: 6, Upper95: 14})
	}
	body, err := record.Result.Encode(&res)
	if err != nil {
		t.Fatal(err)
	}
	m := sqlstore.VintageMeta{Cutoff: cut, First: cut.AddDate(0, 0, 1), Last: cut.AddDate(0, 0, 7), Scale: 1, BacktestWAPE: 0.1}
	if err := s.StageResultVintage(context.Background(), id, k, body, nil, m); err != nil {
		t.Fatal(err)
	}
}
