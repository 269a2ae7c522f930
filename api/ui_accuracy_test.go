package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/jobs/record"
)

var _ accuracyStore = (*sqlstore.Store)(nil)
var _ accuracyPageStore = (*sqlstore.Store)(nil)

// seedVintages stores 120 days of two series and publishes, as job
// vintage-1, a made-up 14-day forecast of each with a backtest WAPE of
// 0.1, so that arrivals can be scored without training anything.
func seedVintages(t *testing.T, ts *testServer) (time.Time, []data.Key) {
	t.Helper()
	ctx := context.Background()
	end := time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	keys := []data.Key{{Store: "S01", SKU: "FINE"}, {Store: "S02", SKU: "WRONG"}}
	ingestDays(t, ts, keys, end, 120, func(d int) float64 { return 10 + float64(d%7) })
	job := &sqlstore.Job{ID: "vintage-1", Kind: "train", Params: json.RawMessage(`{"v":1,"data":{"horizon":14}}`)}
	if err := ts.Store().CreateJob(ctx, job, nil); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		res := forecast.Result{Store: k.Store, SKU: k.SKU, Freq: data.Daily, Season: 7, Horizon: 14, LastDate: "2026-10-31",
			Metric: "mase", Combine: "mean", Coverage80: 0.8, Coverage95: 0.95, Combination: forecast.Metrics{WAPE: 0.1},
			Models: []forecast.KeptModel{{Name: "seasonal_naive", Weight: 1, Backtest: forecast.Metrics{WAPE: 0.1}}},
			Points: madeUpPoints(end)}
		body, err := record.Result.Encode(&res)
		if err != nil {
			t.Fatal(err)
		}
		m := sqlstore.VintageMeta{Cutoff: end, First: end.AddDate(0, 0, 1), Last: end.AddDate(0, 0, 14), Scale: 2, BacktestWAPE: 0.1}
		if err := ts.Store().StageResultVintage(ctx, job.ID, k, body, nil, m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ts.Store().PublishResults(ctx, job.ID, end); err != nil {
		t.Fatal(err)
	}
	return end, keys
}

// TestUIAccuracy sends the actuals of a seeded vintage (one series as
// forecast, one tripled) and checks the accuracy page, the endpoints'
// figures (computed by hand here) and the empty page before.
func TestUIAccuracy(t *testing.T) {
	ts := startServer(t, t.TempDir(), 0)
	end, _ := seedVintages(t, ts)

	code, _, body := ts.get("/ui/accuracy", nil)
	if code != 200 {
		t.Fatalf("empty accuracy page: %d", code)
	}
	checkPage(t, body, []string{"<h1>Accuracy</h1>", "No forecast has been scored yet"}, []string{"<svg"})

	// 14 days of actuals: FINE as forecast, WRONG three times over.
	rows := [][]string{{"date", "store", "sku", "quantity"}}
	for h := 1; h <= 14; h++ {
		v := 10 + float64(h%7)
		d := end.AddDate(0, 0, h).Format("2006-01-02")
		rows = append(rows, []string{d, "S01", "FINE", fmt.Sprint(v)}, []string{d, "S02", "WRONG", fmt.Sprint(3 * v)})
	}
	code, _, b := ts.do("POST", "/v1/sales", "text/csv", writeCSV(t, rows))
	if code != 200 {
		t.Fatalf("post actuals: %d %s", code, b)
	}
	var up struct {
		Accuracy struct{ Series, Vintages, Steps, Drifting int }
	}
	mustDecode(t, b, &up)
	if up.Accuracy.Series != 2 || up.Accuracy.Steps != 28 || up.Accuracy.Drifting != 1 {
		t.Errorf("upload's accuracy %+v", up.Accuracy)
	}

	var sa struct {
		Drift *struct {
			Drifting bool
			Reasons  []string
		}
		Items []struct {
			JobID            string `json:"job_id"`
			Steps            int
			WAPE, MASE, Bias *float64
			Coverage80       *float64 `json:"coverage_80"`
			Pinball          *float64
			ByStep           []struct{ Actual, Forecast, AbsError float64 } `json:"by_step"`
		}
	}
	ts.getJSON("/v1/series/S02/WRONG/accuracy", &sa)
	if sa.Drift == nil || !sa.Drift.Drifting || len(sa.Drift.Reasons) != 2 || len(sa.Items) != 1 || len(sa.Items[0].ByStep) != 14 {
		t.Fatalf("accuracy of S02/WRONG: %+v", sa)
	}
	// y = 3f: |y-f|/|y| = 2/3; 2 covered of 14? none: 3f-f = 2f > 4 for every f >= 10.
	it := sa.Items[0]
	var sumF float64
	for h := 1; h <= 14; h++ {
		sumF += 10 + float64(h%7)
	}
	if math.Abs(*it.WAPE-2.0/3) > 1e-12 || math.Abs(*it.MASE-2*sumF/14/2) > 1e-12 || math.Abs(*it.Bias+2*sumF/14) > 1e-12 || *it.Coverage80 != 0 {
		t.Errorf("scores of S02/WRONG: wape %v mase %v bias %v coverage %v", *it.WAPE, *it.MASE, *it.Bias, *it.Coverage80)
	}
	ts.getJSON("/v1/series/S01/FINE/accuracy", &sa)
	if sa.Drift == nil || sa.Drift.Drifting || *sa.Items[0].WAPE != 0 || *sa.Items[0].Coverage80 != 1 {
		t.Errorf("accuracy of S01/FINE: %+v", sa)
	}
	if code, _, b := ts.do("GET", "/v1/series/S09/NONE/accuracy", "", nil); code != 404 {
		t.Errorf("accuracy of an unknown series: %d %s", code, b)
	}
	var fc vintageView
	if code := ts.getJSON("/v1/forecasts/S01/FINE?as_of=2026-10-31", &fc); code != 200 || fc.Cutoff != "2026-10-31" || fc.JobID != "vintage-1" {
		t.Errorf("as_of: %d %+v", code, fc)
	}

	code, _, body = ts.get("/ui/accuracy", nil)
	if code != 200 {
		t.Fatalf("accuracy page: %d", code)
	}
	if n := len(plotted.FindAllString(body, -1)); n < 1 || strings.Count(body, "<svg") != 1 {
		t.Errorf("coverage chart: %d plotted paths", n)
	}
	checkPage(t, body, []string{"Coverage by horizon step", "Drifting series", "Worst series", "By store",
		`href="/ui/series/S02/WRONG"`, "realized WAPE 0.667", "1 drifting", `href="/ui/accuracy?store=S01"`}, []string{"No forecast has been scored"})
	// The worst series comes first.
	if strings.Index(body, "/ui/series/S02/WRONG") > strings.Index(body, "/ui/series/S01/FINE") {
		t.Error("worst series not first")
	}
	code, _, body = ts.get("/ui/accuracy?store=S01", nil)
	if code != 200 || strings.Contains(body, "WRONG") || !strings.Contains(body, "none drifting") {
		t.Errorf("accuracy page of S01: %d", code)
	}
}

// TestDrainScoresPendingArrivals stores actuals past the API (as a batch
// tool would), which leaves them pending, and checks that the server's
// background scorer scores them and stops cleanly.
func TestDrainScoresPendingArrivals(t *testing.T) {
	ts := startServer(t, t.TempDir(), 0)
	end, keys := seedVintages(t, ts)
	ctx := context.Background()
	var obs []data.Observation
	for h := 1; h <= 14; h++ {
		obs = append(obs, data.Observation{Key: keys[0], Date: end.AddDate(0, 0, h), Quantity: 10 + float64(h%7)})
	}
	if _, err := ts.Store().Ingest(ctx, data.Each(obs)); err != nil {
		t.Fatal(err)
	}
	if arr, err := ts.Store().PendingArrivals(ctx, 100); err != nil || len(arr) != 1 {
		t.Fatalf("pending before the drain: %+v, %v", arr, err)
	}
	d := ts.startDrain(10 * time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, err := ts.Store().GetSeriesAccuracy(ctx, keys[0])
		if err == nil && a.Steps == 14 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not scored by the drain: %+v, %v", a, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := d.stop(ctx); err != nil {
		t.Fatal(err)
	}
	if arr, err := ts.Store().PendingArrivals(ctx, 100); err != nil || len(arr) != 0 {
		t.Errorf("pending after the drain: %+v, %v", arr, err)
	}
}
