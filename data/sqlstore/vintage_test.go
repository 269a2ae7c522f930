package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
)

// testVintages publishes three jobs' forecasts of one series with a
// retention of two, then checks what is kept, as_of reads, the arrivals
// an upload notes (only dates a kept vintage forecast), their batching,
// scores, the ranking and the retraining claims.
func testVintages(t *testing.T, s *Store) {
	ctx := context.Background()
	k := data.Key{Store: "S1", SKU: "A"}
	day := func(d int) time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	s.KeepVintages(2)
	for i, id := range []string{"j1", "j2", "j3"} {
		if err := s.CreateJob(ctx, &Job{ID: id, Kind: "train", Params: []byte(`{}`)}, nil); err != nil {
			t.Fatal(err)
		}
		cut := day(10 * i) // cut-offs 0, 10, 20; each forecasts the next 7 days
		m := VintageMeta{Cutoff: cut, First: cut.AddDate(0, 0, 1), Last: cut.AddDate(0, 0, 7), Scale: 2, BacktestWAPE: math.NaN()}
		if err := s.StageResultVintage(ctx, id, k, []byte(`{"v":1,"data":{}}`), nil, m); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PublishResults(ctx, id, day(100+i)); err != nil {
			t.Fatal(err)
		}
	}
	vs, err := s.Vintages(ctx, k, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].JobID != "j3" || vs[1].JobID != "j2" || !math.IsNaN(vs[0].BacktestWAPE) || vs[0].Scale != 2 {
		t.Fatalf("kept vintages %+v, want j3 and j2", vs)
	}
	for _, c := range []struct {
		asOf time.Time
		want string
	}{{day(10), "j2"}, {day(19), "j2"}, {day(25), "j3"}} {
		v, err := s.VintageAsOf(ctx, k, c.asOf)
		if err != nil || v.JobID != c.want || len(v.Body) == 0 {
			t.Errorf("as of %s: %+v, %v; want %s", c.asOf, v, err, c.want)
		}
	}
	if _, err := s.VintageAsOf(ctx, k, day(9)); !errors.Is(err, ErrNotFound) {
		t.Errorf("as of before the kept vintages: %v", err)
	}

	// Sales on days 5 (j1's dates, pruned), 12 and 13 (j2), 25 (j3) and 40
	// (none), and of another series.
	obs := []data.Observation{}
	for _, d := range []int{5, 12, 13, 25, 40} {
		obs = append(obs, data.Observation{Key: k, Date: day(d), Quantity: float64(d)})
	}
	obs = append(obs, data.Observation{Key: data.Key{Store: "S1", SKU: "B"}, Date: day(12), Quantity: 1})
	if _, err := s.Ingest(ctx, data.Each(obs)); err != nil {
		t.Fatal(err)
	}
	arr, err := s.PendingArrivals(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(arr) != 1 || arr[0].Key != k || len(arr[0].Dates) != 3 || !arr[0].Dates[0].Equal(day(12)) || !arr[0].Dates[2].Equal(day(25)) {
		t.Fatalf("arrivals %+v, want days 12, 13 and 25 of %s", arr, k)
	}
	cov, err := s.VintagesCovering(ctx, k, day(12), day(13))
	if err != nil || len(cov) != 1 || cov[0].JobID != "j2" {
		t.Fatalf("vintages covering days 12-13: %+v, %v", cov, err)
	}
	sales, err := s.SalesBetween(ctx, k, day(11), day(17))
	if err != nil || len(sales) != 2 || sales[day(13)] != 13 {
		t.Fatalf("sales between: %v, %v", sales, err)
	}
	acc := SeriesAccuracy{Key: k, JobID: "j2", Cutoff: day(10), Steps: 2, Covered80: 1, WAPE: 0.5, MASE: math.NaN(), Bias: 1,
		Coverage80: 0.5, Coverage95: 1, Pinball: 0.2, AbsError: 12.5, AbsActual: 25, BacktestWAPE: math.NaN(),
		WAPELimit: math.NaN(), CoverageP: 0.04, Judged: true, Drifting: true, Reasons: "x", UpdatedAt: day(30)}
	err = s.SaveScores(ctx, ScoreBatch{Steps: []VintageStep{{Key: k, JobID: "j2", Step: 2, Date: day(12), Value: 10, Lower80: 9,
		Upper80: 11, Lower95: 8, Upper95: 12, Actual: 12}}, Accuracy: []SeriesAccuracy{acc}, Done: arr})
	if err != nil {
		t.Fatal(err)
	}
	if arr, err := s.PendingArrivals(ctx, 100); err != nil || len(arr) != 0 {
		t.Errorf("arrivals left after scoring: %+v, %v", arr, err)
	}
	steps, err := s.VintageSteps(ctx, k)
	if err != nil || len(steps["j2"]) != 1 || steps["j2"][0].Actual != 12 {
		t.Errorf("steps %+v, %v", steps, err)
	}
	got, err := s.GetSeriesAccuracy(ctx, k)
	if err != nil || got.WAPE != 0.5 || !math.IsNaN(got.MASE) || !got.Drifting || !got.Cutoff.Equal(day(10)) {
		t.Errorf("series accuracy %+v, %v", got, err)
	}
	for _, f := range []AccuracyFilter{{}, {Store: "S1", DriftingOnly: true}} {
		rank, err := s.RankAccuracy(ctx, f, 0, 10)
		if err != nil || len(rank) != 1 || rank[0].Key != k {
			t.Errorf("ranking %+v: %+v, %v", f, rank, err)
		}
		stores, total, err := s.AggregateAccuracy(ctx, f, 10)
		if err != nil || len(stores) != 1 || total.Series != 1 || total.Drifting != 1 || total.AbsError != 12.5 {
			t.Errorf("aggregates %+v: %+v %+v, %v", f, stores, total, err)
		}
	}
	if rank, err := s.RankAccuracy(ctx, AccuracyFilter{Store: "S2"}, 0, 10); err != nil || len(rank) != 0 {
		t.Errorf("ranking of another store: %+v, %v", rank, err)
	}
	if n, err := s.CountDrifting(ctx); err != nil || n != 1 {
		t.Errorf("drifting %d, %v", n, err)
	}
	byStep, err := s.CoverageByStep(ctx, "")
	if err != nil || len(byStep) != 1 || byStep[0].Step != 2 || byStep[0].In80 != 0 || byStep[0].In95 != 1 {
		t.Errorf("coverage by step %+v, %v", byStep, err)
	}

	claim := []RetrainClaim{{Key: k, VintageJobID: "j2"}}
	for i, want := range []int{1, 0} {
		fresh, err := s.ClaimRetrains(ctx, claim)
		if err != nil || len(fresh) != want {
			t.Errorf("claim %d: %+v, %v; want %d fresh", i+1, fresh, err, want)
		}
	}
	if err := s.SettleRetrains(ctx, claim, ""); err != nil {
		t.Fatal(err)
	}
	if fresh, err := s.ClaimRetrains(ctx, claim); err != nil || len(fresh) != 1 {
		t.Errorf("claim after withdrawal: %+v, %v", fresh, err)
	}
}

func TestVintagesSQLite(t *testing.T) { testVintages(t, openTestStore(t)) }

func TestVintagesPostgres(t *testing.T) {
	s, _ := openTestPostgres(t)
	testVintages(t, s)
}

// TestPendingArrivalsDoNotSplitSeries checks that a batch cut by the
// limit leaves the cut series whole for the next batch.
func TestPendingArrivalsDoNotSplitSeries(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	day := func(d int) time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	var obs []data.Observation
	for _, sku := range []string{"A", "B"} {
		k := data.Key{Store: "S", SKU: sku}
		if err := s.CreateJob(ctx, &Job{ID: "j" + sku, Kind: "train", Params: []byte(`{}`)}, nil); err != nil {
			t.Fatal(err)
		}
		m := VintageMeta{Cutoff: day(0), First: day(1), Last: day(5), Scale: 1, BacktestWAPE: 0.1}
		if err := s.StageResultVintage(ctx, "j"+sku, k, []byte(`{}`), nil, m); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PublishResults(ctx, "j"+sku, day(0)); err != nil {
			t.Fatal(err)
		}
		for d := 1; d <= 5; d++ {
			obs = append(obs, data.Observation{Key: k, Date: day(d), Quantity: 1})
		}
	}
	if _, err := s.Ingest(ctx, data.Each(obs)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ limit, series, dates int }{{7, 1, 5}, {10, 2, 10}, {3, 1, 3}} {
		arr, err := s.PendingArrivals(ctx, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, a := range arr {
			n += len(a.Dates)
		}
		if len(arr) != c.series || n != c.dates {
			t.Errorf("limit %d: %d series, %d dates; want %d, %d", c.limit, len(arr), n, c.series, c.dates)
		}
	}
}

// BenchmarkIngestWithVintages measures what noting the arrivals costs a
// history upload (50 series x 400 days): into a store without vintages,
// and into one keeping 20 vintages of each series that forecast the last
// 47 days of the upload.
//
//	go test -run '^$' -bench IngestWithVintages -benchtime 5x ./data/sqlstore/
func BenchmarkIngestWithVintages(b *testing.B) {
	ctx := context.Background()
	start := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	var obs []data.Observation
	for i := range 50 {
		for d := range 400 {
			obs = append(obs, data.Observation{Key: data.Key{Store: "S", SKU: strconv.Itoa(i)}, Date: start.AddDate(0, 0, d), Quantity: 1})
		}
	}
	for _, vintages := range []int{0, 20} {
		b.Run(fmt.Sprintf("vintages=%d", vintages), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				s, err := OpenSQLite(ctx, filepath.Join(b.TempDir(), "b.db"))
				if err != nil {
					b.Fatal(err)
				}
				for v := range vintages {
					for i := range 50 {
						_, err := s.db.ExecContext(ctx, `INSERT INTO vintages (store, sku, job_id, published_at, cutoff, first_ts, last_ts, body)
							VALUES ($1, $2, $3, 0, $4, $5, $6, '')`, "S", strconv.Itoa(i), strconv.Itoa(v),
							start.AddDate(0, 0, 352+v).Unix(), start.AddDate(0, 0, 353+v).Unix(), start.AddDate(0, 0, 380+v).Unix())
						if err != nil {
							b.Fatal(err)
						}
					}
				}
				b.StartTimer()
				if _, err := s.Ingest(ctx, data.Each(obs)); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// testSaveStepsBatches saves 250 steps (three statements) twice, the
// second time with other actuals, and reads them back.
func testSaveStepsBatches(t *testing.T, s *Store) {
	ctx := context.Background()
	k := data.Key{Store: "B", SKU: "1"}
	for _, actual := range []float64{1, 2} {
		var steps []VintageStep
		for i := range 250 {
			steps = append(steps, VintageStep{Key: k, JobID: "j", Step: i + 1, Date: time.Unix(int64(i)*86400, 0).UTC(), Value: 1, Actual: actual})
		}
		if err := s.SaveScores(ctx, ScoreBatch{Steps: steps}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.VintageSteps(ctx, k)
	if err != nil || len(got["j"]) != 250 || got["j"][249].Step != 250 || got["j"][0].Actual != 2 || got["j"][249].Actual != 2 {
		t.Fatalf("steps read back: %d, %v", len(got["j"]), err)
	}
}

func TestSaveStepsBatchesSQLite(t *testing.T) { testSaveStepsBatches(t, openTestStore(t)) }

func TestSaveStepsBatchesPostgres(t *testing.T) {
	s, _ := openTestPostgres(t)
	testSaveStepsBatches(t, s)
}
