package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/memguard"
)

// seedUI stores two series of 120 days (one of them with an awkward
// store name) and publishes a made-up forecast for the first, so the
// pages can be checked without training anything.
func seedUI(t *testing.T, ts *testServer) {
	t.Helper()
	ctx := context.Background()
	end := time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	keys := []data.Key{{Store: "S01", SKU: "SKU001"}, {Store: "<b>S/2</b>", SKU: "a&b"}}
	_, err := ts.Store().Ingest(ctx, func(fn func(data.Observation) error) error {
		for _, k := range keys {
			for d := 119; d >= 0; d-- {
				if err := fn(data.Observation{Date: end.AddDate(0, 0, -d), Key: k, Quantity: 10 + 5*math.Sin(float64(d)/3)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	job := &data.Job{ID: "job-ui-1", Kind: "train", Params: json.RawMessage(`{"horizon":14}`)}
	if err := ts.Store().CreateJob(ctx, job, nil); err != nil {
		t.Fatal(err)
	}
	res := forecast.Result{Store: "S01", SKU: "SKU001", Freq: data.Daily, Season: 7, Horizon: 14, LastDate: "2026-10-31",
		Metric: "mase", Combine: "mean", Coverage80: 0.8, Coverage95: math.NaN(),
		Combination: forecast.Metrics{MASE: 0.7, WAPE: 0.2}}
	for h := 1; h <= 14; h++ {
		v := 10 + float64(h%7)
		res.Points = append(res.Points, forecast.Point{Date: end.AddDate(0, 0, h).Format("2006-01-02"), Value: v,
			Lower: v - 2, Upper: v + 2, Lower95: v - 4, Upper95: v + 4})
	}
	for i, name := range []string{"ets_aan", "theta", "snaive", "arima_auto", "ses", "naive"} {
		m := forecast.Metrics{MASE: 0.6 + 0.1*float64(i), WAPE: 0.2 + 0.01*float64(i), MAPE: math.NaN()}
		e := forecast.Entry{Name: name, Family: "stat", Rank: i + 1, Kept: i < 5, Backtest: m, Folds: 3, Seconds: 0.01}
		res.Leaderboard = append(res.Leaderboard, e)
		if e.Kept {
			res.Models = append(res.Models, forecast.KeptModel{Name: name, Weight: 0.2, Backtest: m})
		}
	}
	res.Leaderboard = append(res.Leaderboard, forecast.Entry{Name: "mlp", Family: "ml", Error: "fit <failed>", Backtest: forecast.Metrics{MASE: math.NaN(), WAPE: math.NaN()}})
	body, err := json.Marshal(&res)
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.Store().StageResult(ctx, job.ID, data.Key{Store: "S01", SKU: "SKU001"}, body, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Store().PublishResults(ctx, job.ID, end); err != nil {
		t.Fatal(err)
	}
}

// plotted matches a data path as gonum/plot's SVG canvas writes it: a
// line, bar or band drawn in one of the dashboard's series colours (axes,
// ticks and grid are black or grey #808080).
var plotted = regexp.MustCompile(`<path d="M[-0-9.e]+,[-0-9.e]+L[^"]*" style="[^"]*(stroke|fill):#(0072B2|E69F00|D55E00|6E6E6E|CC79A7|009E73)`)

func TestUIPages(t *testing.T) {
	ts := startOpsServer(t, Options{Ops: OpsOptions{MonitorInterval: 10 * time.Millisecond}}, nil)
	seedUI(t, ts)
	// A guarded run gives the retained-bytes chart and the report list
	// something to show.
	if _, err := ts.guard.Run(context.Background(), "train", func(ctx context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	ts.guard.Quarantine("leaky<model>", "retains memory every run")
	deadline := time.Now().Add(5 * time.Second)
	for len(ts.ops().monitor.Samples()) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}

	cases := []struct {
		name, path string
		status     int
		svgs       int      // at least this many charts with plotted paths
		want       []string // substrings of the page
		not        []string
	}{
		{"overview", "/ui", 200, 3, []string{"<h1>Overview</h1>", "Memory", "Retained bytes per job", "job-ui-1",
			"Leak reports", "leaky&lt;model&gt;", "retains memory every run", "state-queued"}, []string{"leaky<model>"}},
		{"series list", "/ui/series", 200, 0, []string{"<h1>Series</h1>", `href="/ui/series/S01/SKU001"`,
			`href="/ui/series/%3Cb%3ES%2F2%3C%2Fb%3E/a&amp;b"`, "&lt;b&gt;S/2&lt;/b&gt;"}, []string{"<b>S/2</b>"}},
		{"series with forecast", "/ui/series/S01/SKU001", 200, 1, []string{"Store S01 · SKU SKU001", "Kept models", "Leaderboard",
			"ets_aan", "<code>mlp</code>", "fit &lt;failed&gt;", "80% interval", "95% interval", "Last 42 points"},
			[]string{"No forecast for this series"}},
		{"series without forecast", "/ui/series/%3Cb%3ES%2F2%3C%2Fb%3E/a&b", 200, 1,
			[]string{"No forecast for this series yet", "120 points of history", "&lt;b&gt;S/2&lt;/b&gt;"},
			[]string{"Leaderboard", "<b>S/2</b>"}},
		{"unknown series", "/ui/series/nope/none", 404, 0, []string{"There is no series nope/none"}, nil},
		{"bad cursor", "/ui/series?after=x", 400, 0, []string{"not valid"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, h, body := ts.get(c.path, nil)
			if code != c.status {
				t.Fatalf("GET %s: %d, want %d\n%s", c.path, code, c.status, body)
			}
			if ct := h.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if n := strings.Count(body, "<svg"); n < c.svgs {
				t.Errorf("%d charts, want at least %d", n, c.svgs)
			}
			if c.svgs > 0 && len(plotted.FindAllString(body, -1)) < c.svgs {
				t.Errorf("charts without plotted paths")
			}
			if strings.Contains(body, "<?xml") {
				t.Error("XML prologue inside HTML")
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range c.not {
				if strings.Contains(body, w) {
					t.Errorf("page contains %q", w)
				}
			}
		})
	}

	// Clients asking for JSON get a problem document from the UI too.
	code, h, body := ts.get("/ui/series/nope/none", http.Header{"Accept": {"application/json"}})
	if code != 404 || h.Get("Content-Type") != "application/problem+json" {
		t.Errorf("JSON client: %d %s %s", code, h.Get("Content-Type"), body)
	}
}

func TestUISeriesPaging(t *testing.T) {
	ts := startOpsServer(t, Options{}, nil)
	ctx := context.Background()
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err := ts.Store().Ingest(ctx, func(fn func(data.Observation) error) error {
		for i := range uiSeriesPage + 3 {
			if err := fn(data.Observation{Date: day, Key: data.Key{Store: "S", SKU: fmt.Sprintf("K%04d", i)}, Quantity: 1}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _, first := ts.get("/ui/series", nil)
	m := regexp.MustCompile(`href="(/ui/series\?after=[^"]+)">next page`).FindStringSubmatch(first)
	if m == nil {
		t.Fatal("first page has no next link")
	}
	next := strings.ReplaceAll(m[1], "&amp;", "&")
	code, _, second := ts.get(next, nil)
	if code != 200 {
		t.Fatalf("GET %s: %d", next, code)
	}
	if n := strings.Count(second, `href="/ui/series/S/K`); n != 3 {
		t.Fatalf("second page lists %d series, want 3", n)
	}
	if strings.Contains(second, "next page") || !strings.Contains(second, "first page") {
		t.Fatal("second page links wrong")
	}
}

func TestUIFormatting(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "0 B"}, {1023, "1023 B"}, {1536, "1.5 KiB"}, {-3 << 20, "−3.0 MiB"}, {5 << 30, "5.0 GiB"}} {
		if got := fmtBytes(c.n); got != c.want {
			t.Errorf("fmtBytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := fmtNum(math.NaN()); got != "—" {
		t.Errorf("fmtNum(NaN) = %q", got)
	}
	if got := fmtNum(0.123456); got != "0.1235" {
		t.Errorf("fmtNum = %q", got)
	}
}

// BenchmarkCharts backs the claim that a chart renders in well under
// 50 ms: a two-hour memory ring at 5 s, 30 report bars, and a forecast
// chart of 84 history points and 28 forecast points.
func BenchmarkCharts(b *testing.B) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	samples := make([]memSample, 1440)
	for i := range samples {
		samples[i] = memSample{At: t0.Add(time.Duration(i) * 5 * time.Second), HeapLive: int64(50+i%100) << 20,
			GoTotal: int64(80+i%100) << 20, RSS: int64(90+i%100) << 20, Goroutines: int64(20 + i%7)}
	}
	jobs := []jobSpan{{Start: t0.Add(10 * time.Minute), End: t0.Add(40 * time.Minute)}, {Start: t0.Add(time.Hour)}}
	reps := make([]*memguard.Report, 30)
	labels := make([]string, 30)
	for i := range reps {
		reps[i] = &memguard.Report{RetainedBytes: int64(i * 1000)}
		labels[i] = fmt.Sprintf("train …%08d", i)
	}
	s := &data.Series{Freq: data.Daily, Start: t0, Values: make([]float64, 730)}
	res := &forecast.Result{Freq: data.Daily, Horizon: 28}
	for h := 1; h <= 28; h++ {
		res.Points = append(res.Points, forecast.Point{Date: s.Date(729 + h).Format("2006-01-02"), Value: 5, Lower: 4, Upper: 6, Lower95: 3, Upper95: 7})
	}
	b.Run("memory", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := memoryChart(samples, jobs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("retained", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := retainedChart(reps, labels); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("forecast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := forecastChart(s, res, 84); err != nil {
				b.Fatal(err)
			}
		}
	})
}
