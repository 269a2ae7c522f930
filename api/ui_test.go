package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/memguard"
)

// seedUI stores two series of 120 days (one of them with an awkward
// store name) and publishes a made-up forecast for the first, so the
// pages can be checked without training anything.
// The store implements the storage interfaces the /v1 handlers and the
// dashboard consume.
var (
	_ v1Store        = (*sqlstore.Store)(nil)
	_ dashboardStore = (*sqlstore.Store)(nil)
)

func seedUI(t *testing.T, ts *testServer) {
	t.Helper()
	ctx := context.Background()
	end := time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	keys := []data.Key{{Store: "S01", SKU: "SKU001"}, {Store: "<b>S/2</b>", SKU: "a&b"}}
	ingestDays(t, ts, keys, end, 120, func(d int) float64 { return 10 + 5*math.Sin(float64(d)/3) })
	job := &sqlstore.Job{ID: "job-ui-1", Kind: "train", Params: json.RawMessage(`{"horizon":14}`)}
	if err := ts.Store().CreateJob(ctx, job, nil); err != nil {
		t.Fatal(err)
	}
	res := forecast.Result{Store: "S01", SKU: "SKU001", Freq: data.Daily, Season: 7, Horizon: 14, LastDate: "2026-10-31",
		Metric: "mase", Combine: "mean", Coverage80: 0.8, Coverage95: math.NaN(),
		Combination: forecast.Metrics{MASE: 0.7, WAPE: 0.2}, Covariates: []string{"promo"}, Points: madeUpPoints(end)}
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
			checkPage(t, body, c.want, c.not)
		})
	}

	// Clients asking for JSON get a problem document from the UI too.
	code, h, body := ts.get("/ui/series/nope/none", http.Header{"Accept": {"application/json"}})
	if code != 404 || h.Get("Content-Type") != "application/problem+json" {
		t.Errorf("JSON client: %d %s %s", code, h.Get("Content-Type"), body)
	}
}

// checkPage fails t for each of want that body lacks and each of not
// that it contains.
func checkPage(t *testing.T, body string, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	for _, w := range not {
		if strings.Contains(body, w) {
			t.Errorf("page contains %q", w)
		}
	}
}

// svgRect matches a filled four-cornered path as gonum/plot's SVG canvas
// writes it: the date bands and legend swatches.
var svgRect = regexp.MustCompile(`<path d="M([-0-9.e]+),([-0-9.e]+)L([-0-9.e]+),([-0-9.e]+)L([-0-9.e]+),([-0-9.e]+)L([-0-9.e]+),([-0-9.e]+)Z" style="fill:#([0-9A-F]{6});fill-opacity:`)

// forecastLine matches the forecast's line (the legend's sample of it is
// a single segment).
var forecastLine = regexp.MustCompile(`<path d="M([^"]+)" style="fill:none;stroke:#0072B2;stroke-width:1.8"`)

// TestUIPlannedPromo checks that the series page shades the forecast dates
// with a planned promotion, and only those: each band is centred on the
// forecast's point of its date. A price, planned every day and never
// zero, is listed but not shaded; a promotion after the horizon is not
// shown.
func TestUIPlannedPromo(t *testing.T) {
	ts := startOpsServer(t, Options{}, nil)
	seedUI(t, ts) // forecast of 2026-11-01 to 2026-11-14, which used promo
	plan := "date,store,sku,promo,price\n"
	promoDays := []int{3, 4, 9}
	for d := 1; d <= 14; d++ {
		promo := 0
		if slices.Contains(promoDays, d) {
			promo = 1
		}
		plan += fmt.Sprintf("2026-11-%02d,S01,SKU001,%d,4.99\n", d, promo)
	}
	plan += "2026-11-20,S01,SKU001,1,4.99\n"
	if code, _, b := ts.do("POST", "/v1/covariates", "text/csv", []byte(plan)); code != 200 {
		t.Fatalf("plan upload: %d %s", code, b)
	}
	code, _, body := ts.get("/ui/series/S01/SKU001", nil)
	if code != 200 {
		t.Fatalf("series page: %d\n%s", code, body)
	}
	for _, w := range []string{"Covariates used by this forecast: <code>promo</code>.", "Planned covariates", ">promo planned</text>",
		`<span class="swatch" style="background:rgba(230,159,0,0.31)"></span><code>promo</code></td><td><span class="kept">used</span></td><td class="num">14 of 14</td>`,
		"<td>2026-11-03, 2026-11-04, 2026-11-09</td>", `<td><code>price</code></td><td>—</td>`} {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	for _, w := range []string{"price planned", "2026-11-20"} {
		if strings.Contains(body, w) {
			t.Errorf("page contains %q", w)
		}
	}

	// The forecast line starts at the last history point: vertex h is
	// 2026-11-h.
	m := forecastLine.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no forecast line")
	}
	var xs []float64
	for _, pt := range strings.Split(m[1], "L") {
		var x, y float64
		if _, err := fmt.Sscanf(pt, "%g,%g", &x, &y); err != nil {
			t.Fatalf("forecast vertex %q: %v", pt, err)
		}
		xs = append(xs, x)
	}
	if len(xs) != 15 {
		t.Fatalf("forecast line has %d vertices, want 15", len(xs))
	}
	var centres []float64
	for _, r := range svgRect.FindAllStringSubmatch(body, -1) {
		var v [8]float64
		for i := range v {
			v[i], _ = strconv.ParseFloat(r[i+1], 64)
		}
		c, _ := strconv.ParseUint(r[9], 16, 32)
		orange := math.Abs(float64(c>>16)-230) < 4 && math.Abs(float64(c>>8&0xff)-159) < 4 && c&0xff == 0
		tall := math.Abs(v[5]-v[1]) > 100 // the legend's swatch is a line high
		if orange && tall {
			centres = append(centres, (slices.Min([]float64{v[0], v[2], v[4], v[6]})+slices.Max([]float64{v[0], v[2], v[4], v[6]}))/2)
		}
	}
	if len(centres) != len(promoDays) {
		t.Fatalf("%d promo bands, want %d", len(centres), len(promoDays))
	}
	step := xs[2] - xs[1]
	for i, d := range promoDays {
		// SVG coordinates are written with 5 significant digits.
		if math.Abs(centres[i]-xs[d]) > 0.02 {
			t.Errorf("band %d centred at x=%.2f, want %.2f (2026-11-%02d; a day is %.2f wide)", i, centres[i], xs[d], d, step)
		}
	}
}

func TestPlanSummary(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	plan := func(name string, vals ...float64) []sqlstore.PlannedValue {
		out := make([]sqlstore.PlannedValue, len(vals))
		for i, v := range vals {
			out[i] = sqlstore.PlannedValue{Name: name, Date: day(i + 1), Value: v}
		}
		return out
	}
	cases := []struct {
		name   string
		plan   []sqlstore.PlannedValue
		used   []string
		marked []string // shaded covariates, in order
		listed []string // every covariate listed, in order
	}{
		{"a promotion calendar is shaded", plan("promo", 0, 1, 0), []string{"promo"}, []string{"promo"}, []string{"promo"}},
		{"a promotion every day is shaded", plan("promo", 1, 1), nil, []string{"promo"}, []string{"promo"}},
		{"a discount in percent is shaded", plan("discount", 0, 20), nil, []string{"discount"}, []string{"discount"}},
		{"a price is listed, not shaded", plan("price", 4.99, 3.99), nil, nil, []string{"price"}},
		{"all zero is listed, not shaded", plan("promo", 0, 0), nil, nil, []string{"promo"}},
		{"used but no longer planned is listed", plan("price", 1.5), []string{"promo"}, nil, []string{"price", "promo"}},
		{"at most four are shaded", slices.Concat(plan("a", 0, 1), plan("b", 0, 1), plan("c", 1), plan("d", 0, 2), plan("e", 0, 1)), nil,
			[]string{"a", "b", "c", "d"}, []string{"a", "b", "c", "d", "e"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			covs, marks := planSummary(c.plan, c.used, data.Daily.Layout())
			var listed, marked []string
			for _, cv := range covs {
				listed = append(listed, cv.Name)
				if (cv.Swatch != "") != slices.ContainsFunc(marks, func(m dateMarks) bool { return m.Label == cv.Name+" planned" }) {
					t.Errorf("%s: swatch %q disagrees with the chart's marks", cv.Name, cv.Swatch)
				}
				if cv.Used != slices.Contains(c.used, cv.Name) {
					t.Errorf("%s: used = %v", cv.Name, cv.Used)
				}
			}
			for _, m := range marks {
				marked = append(marked, strings.TrimSuffix(m.Label, " planned"))
			}
			if !slices.Equal(listed, c.listed) || !slices.Equal(marked, c.marked) {
				t.Errorf("listed %q, shaded %q; want %q, %q", listed, marked, c.listed, c.marked)
			}
		})
	}
	// The shaded dates are the non-zero ones.
	covs, marks := planSummary(plan("promo", 0, 1, 0, 2), nil, data.Daily.Layout())
	if len(marks) != 1 || !slices.Equal(marks[0].Dates, []time.Time{day(2), day(4)}) || covs[0].NonZeroDates() != "2026-11-02, 2026-11-04" {
		t.Errorf("marks %+v, covariates %+v", marks, covs)
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
			if _, err := forecastChart(s, res, 84, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestUINumberFormats(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{{0, "0"}, {0.123456, "0.1235"}, {999.94, "999.9"}, {1000, "1,000"}, {1643690.9, "1,643,690.9"},
		{-1643690.94, "-1,643,690.9"}, {123456789012, "123,456,789,012"}, {math.NaN(), "—"}, {math.Inf(1), "—"}} {
		if got := fmtNum(c.v); got != c.want {
			t.Errorf("fmtNum(%v) = %q, want %q", c.v, got, c.want)
		}
	}
	for _, c := range []struct {
		n    int
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {4500, "4,500"}, {-1234567, "-1,234,567"}} {
		if got := fmtCount(c.n); got != c.want {
			t.Errorf("fmtCount(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	for _, c := range []struct {
		s    float64
		want string
	}{{0, "0.0s"}, {3.24, "3.2s"}, {42.4, "42s"}, {83, "1m 23s"}, {3599.6, "1h 00m"}, {3725, "1h 02m"},
		{90061, "1d 1h"}, {-1, "—"}, {math.NaN(), "—"}} {
		if got := fmtDuration(c.s); got != c.want {
			t.Errorf("fmtDuration(%v) = %q, want %q", c.s, got, c.want)
		}
	}
}

// svgText matches a text element of a gonum/plot SVG: its position and
// content.
var svgText = regexp.MustCompile(`<text x="([-0-9.e]+)" y="([-0-9.e]+)"[^>]*>([^<]*)</text>`)

// TestUIChartWalmartScale: 143 weeks of sales around 1.6 million, as the
// Walmart file has, chart with grouped tick labels, a label every few
// months on the date axis, and the legend right of the data.
func TestUIChartWalmartScale(t *testing.T) {
	start := time.Date(2010, 2, 5, 0, 0, 0, 0, time.UTC)
	s := &data.Series{Freq: data.Weekly, Start: start, Values: make([]float64, 143)}
	for i := range s.Values {
		s.Values[i] = 1.6e6 + 2e5*math.Sin(float64(i)/8)
	}
	res := &forecast.Result{Freq: data.Weekly, Horizon: 28}
	for h := 1; h <= 28; h++ {
		v := 1.65e6
		res.Points = append(res.Points, forecast.Point{Date: s.Date(142 + h).Format(data.Weekly.Layout()), Value: v,
			Lower: v - 1e5, Upper: v + 1e5, Lower95: v - 2e5, Upper95: v + 2e5})
	}
	chart, err := forecastChart(s, res, 143, nil)
	if err != nil {
		t.Fatal(err)
	}
	svg := string(chart)
	var labels []string
	legendX := math.Inf(1)
	for _, m := range svgText.FindAllStringSubmatch(svg, -1) {
		labels = append(labels, m[3])
		if slices.Contains([]string{"history", "forecast", "80% interval", "95% interval"}, m[3]) {
			x := 0.0
			if _, err := fmt.Sscanf(m[1], "%g", &x); err != nil {
				t.Fatal(err)
			}
			legendX = math.Min(legendX, x)
		}
	}
	if strings.Contains(svg, "e+0") {
		t.Errorf("exponent notation in the chart: %q", labels)
	}
	grouped := regexp.MustCompile(`^\d{1,3}(,\d{3})+$`)
	var values, dates int
	for _, l := range labels {
		if grouped.MatchString(l) {
			values++
		}
		if regexp.MustCompile(`^[A-Z][a-z]{2} \d{4}$|^\d{4}(-\d{2}-\d{2})?$`).MatchString(l) {
			dates++
		}
	}
	if values < 3 {
		t.Errorf("%d grouped value labels, want at least 3: %q", values, labels)
	}
	if dates < 5 || dates > maxDateLabels {
		t.Errorf("%d date labels over three years, want 5 to %d: %q", dates, maxDateLabels, labels)
	}
	// Every plotted vertex is left of the legend.
	m := forecastLine.FindStringSubmatch(svg)
	if m == nil {
		t.Fatal("no forecast line")
	}
	for _, pt := range strings.Split(m[1], "L") {
		var x, y float64
		if _, err := fmt.Sscanf(pt, "%g,%g", &x, &y); err != nil {
			t.Fatalf("vertex %q: %v", pt, err)
		}
		if x >= legendX {
			t.Fatalf("forecast vertex at x=%g, legend text at x=%g: the legend overlaps the data", x, legendX)
		}
	}
}

func TestDateTicks(t *testing.T) {
	day := func(y int, m time.Month, d int) float64 {
		return float64(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix())
	}
	for _, c := range []struct {
		name     string
		lo, hi   float64
		min, max int
	}{
		{"two weeks of days", day(2026, 11, 1), day(2026, 11, 14), 5, maxDateLabels},
		{"a year of weeks", day(2025, 1, 1), day(2025, 12, 31), 4, maxDateLabels},
		{"three years", day(2010, 2, 5), day(2013, 5, 1), 4, maxDateLabels},
		{"a century", day(1950, 1, 1), day(2050, 1, 1), 4, maxDateLabels},
	} {
		var labels []string
		for _, tk := range (dateTicks{}).Ticks(c.lo, c.hi) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
				if tk.Value < c.lo || tk.Value > c.hi {
					t.Errorf("%s: tick %q outside the range", c.name, tk.Label)
				}
			}
		}
		if len(labels) < c.min || len(labels) > c.max {
			t.Errorf("%s: %d labels %q, want %d to %d", c.name, len(labels), labels, c.min, c.max)
		}
	}
}

// TestUIOverviewResources: the overview shows, per kind, the latest
// report's memory outside the Go heap, open descriptors and mapped
// regions, before and after the run, and the verdict on each.
func TestUIOverviewResources(t *testing.T) {
	ts := startOpsServer(t, Options{}, nil)
	code, _, body := ts.get("/ui", nil)
	if code != 200 {
		t.Fatalf("GET /ui: %d\n%s", code, body)
	}
	checkPage(t, body, []string{"Memory outside the Go heap", "No guarded runs yet: the readings appear"}, nil)
	for _, kind := range []string{"train", "refresh", "train"} {
		if _, err := ts.guard.Run(context.Background(), kind, func(ctx context.Context) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	reps := ts.guard.Reports() // latest first: train, refresh, train
	train, refresh := reps[0], reps[1]
	code, _, body = ts.get("/ui", nil)
	if code != 200 {
		t.Fatalf("GET /ui: %d\n%s", code, body)
	}
	row := func(r *memguard.Report) string {
		return fmt.Sprintf("<td>%s</td><td><code>%s</code></td>\n<td class=\"num\">%s → %s", r.Kind, r.ID,
			fmtBytes(r.OffHeapBefore), fmtBytes(r.OffHeapAfter))
	}
	checkPage(t, body, []string{"Open descriptors", "Mapped regions", row(train), row(refresh),
		fmt.Sprintf("<td class=\"num\">%d → %d", train.FDsBefore, train.FDsAfter),
		fmt.Sprintf("<td class=\"num\">%d → %d", train.MapsBefore, train.MapsAfter)},
		[]string{row(reps[2]), "No guarded runs yet: the readings appear", "<script"})
	if i, j := strings.Index(body, row(refresh)), strings.Index(body, row(train)); i > j {
		t.Errorf("kinds not in order: refresh at %d, train at %d", i, j)
	}
	if train.FDsAfter == 0 || train.MapsAfter == 0 {
		t.Logf("no descriptor or map readings on this platform: %+v", train)
	}
}

func TestResourceRowsStates(t *testing.T) {
	r := &memguard.Report{Kind: "train", Verdict: memguard.Verdict{Judgements: []memguard.Judgement{
		{Resource: memguard.ResourceHeap, State: memguard.StateClean},
		{Resource: memguard.ResourceOffHeap, State: memguard.StateSuspect},
		{Resource: memguard.ResourceFDs, State: memguard.StateLeak},
	}}}
	rows := resourceRows([]*memguard.Report{r, {Kind: "train"}})
	if len(rows) != 1 || rows[0].Report != r {
		t.Fatalf("rows %+v, want the latest train report only", rows)
	}
	if g := rows[0]; g.OffHeapState != memguard.StateSuspect || g.FDsState != memguard.StateLeak || g.MapsState != "" {
		t.Errorf("states off-heap %q fds %q maps %q", g.OffHeapState, g.FDsState, g.MapsState)
	}
}
