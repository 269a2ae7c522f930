package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/jobs"
)

const refreshMeta = `<meta http-equiv="refresh" content="5">`

// seedJob creates a train job and drives its row as a worker would, up to
// state: running (half done, a partial summary), succeeded (phases, a
// summary with a fallback and a reduced series, a memguard summary) or
// failed.
func seedJob(t *testing.T, ts *testServer, id, state string) {
	t.Helper()
	ctx := context.Background()
	st := ts.Store()
	mustJSON := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	row := &sqlstore.Job{ID: id, Kind: "train", Params: mustJSON(jobs.Params{Horizon: 28, Stores: []string{"1", "2"}, Metric: "mase"})}
	if err := st.CreateJob(ctx, row, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.StartJob(ctx, id, 4500); err != nil {
		t.Fatal(err)
	}
	sum := jobs.Summary{SeriesTotal: 4500}
	switch state {
	case sqlstore.JobRunning:
		sum.Trained, sum.Full = 1234, 1234
		if err := st.JobProgress(ctx, id, 1234, 4500); err != nil {
			t.Fatal(err)
		}
	case sqlstore.JobSucceeded:
		sum.Trained, sum.Full, sum.Reduced, sum.Fallback, sum.Excluded = 4498, 4496, 1, 1, 2
		sum.Warnings = []jobs.Warning{
			{Series: "7/TOTAL", Kind: jobs.WarnFallback, Reason: "fallback: 5 points of history, too short to backtest"},
			{Series: "12/TOTAL", Kind: jobs.WarnReduced, Reason: "2 of 3 folds fit the history"},
			{Series: "a/b/c", Kind: jobs.WarnExcluded, Reason: "duplicate <dates>"},
		}
		sum.WarningsOmitted = 1
		if err := st.JobProgress(ctx, id, 4500, 4500); err != nil {
			t.Fatal(err)
		}
		if err := st.JobPhases(ctx, id, mustJSON(jobs.Phases{Load: 2.5, Train: 83.4, Publish: 3725})); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.JobSummary(ctx, id, mustJSON(sum)); err != nil {
		t.Fatal(err)
	}
	switch state {
	case sqlstore.JobSucceeded:
		mem := jobs.MemorySummary{ReportID: "rep-" + id, RetainedBytes: 3 << 20, HeapLiveBefore: 10 << 20, HeapLiveAfter: 13 << 20,
			GoroutinesBefore: 8, GoroutinesAfter: 8, Verdict: "clean", Reason: "retained memory within noise"}
		if err := st.FinishJob(ctx, id, state, "", mustJSON(mem)); err != nil {
			t.Fatal(err)
		}
	case sqlstore.JobFailed:
		if err := st.FinishJob(ctx, id, state, "load series: database is locked", nil); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUIJobPage(t *testing.T) {
	ts := startOpsServer(t, Options{}, nil)
	for _, st := range []string{sqlstore.JobRunning, sqlstore.JobSucceeded, sqlstore.JobFailed} {
		seedJob(t, ts, "job-"+st, st)
	}
	cases := []struct {
		id        string
		status    int
		refreshes bool
		want, not []string
	}{
		{"job-running", 200, true, []string{"<h1>Job <code>job-running</code> · train · <span class=\"state state-running\">running</span></h1>",
			"1,234 of 4,500 series", "Time left (ETA)", "reloads every 5 seconds", "<h2>Summary</h2>", "<td class=\"num\">4,500</td><td class=\"num\">1,234</td>",
			"Phase timings are recorded when the job succeeds", "No memguard report yet", `&#34;horizon&#34;: 28`},
			[]string{"<h2>Warnings</h2>\n<table>"}},
		{"job-succeeded", 200, false, []string{"state-succeeded", "4,500 of 4,500 series", "<td>2.5s</td><td>1m 23s</td><td>1h 02m</td>",
			`<a href="/ui/series/7/TOTAL">7/TOTAL</a></td><td class="warn-fallback">fallback</td><td>fallback: 5 points of history, too short to backtest</td>`,
			`<a href="/ui/series/12/TOTAL">12/TOTAL</a></td><td class="warn-reduced">reduced</td>`,
			"<td>a/b/c</td>", "duplicate &lt;dates&gt;", "1 more warnings omitted",
			`class="num warn-fallback">1</td>`, `class="num warn-excluded">2</td>`,
			"memguard verdict <span class=\"state state-clean\">clean</span>", "3.0 MiB", `href="/v1/memguard/reports/rep-job-succeeded"`},
			[]string{"Time left", "reloads every", "duplicate <dates>"}},
		{"job-failed", 200, false, []string{"state-failed", `<p class="err">load series: database is locked</p>`, "No memguard report yet"},
			[]string{"Time left", "reloads every"}},
		{"no-such-job", 404, false, []string{"no-such-job"}, nil},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			code, _, body := ts.get("/ui/jobs/"+c.id, nil)
			if code != c.status {
				t.Fatalf("GET /ui/jobs/%s: %d, want %d\n%s", c.id, code, c.status, body)
			}
			if got := strings.Contains(body, refreshMeta); got != c.refreshes {
				t.Errorf("refresh meta present = %v, want %v", got, c.refreshes)
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

	// The overview links each job to its page, counts its outcomes, and
	// reloads while one runs.
	_, _, body := ts.get("/ui", nil)
	for _, w := range []string{`href="/ui/jobs/job-running"`, `href="/ui/jobs/job-succeeded"`, refreshMeta,
		`<span class="warn-fallback">1 fallback</span>`, "1,234/4,500"} {
		if !strings.Contains(body, w) {
			t.Errorf("overview lacks %q", w)
		}
	}
	if err := ts.Store().FinishJob(context.Background(), "job-running", sqlstore.JobSucceeded, "", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, body := ts.get("/ui", nil); strings.Contains(body, refreshMeta) {
		t.Error("the overview reloads with no job queued or running")
	}
	if _, _, body := ts.get("/ui/jobs/job-running", nil); strings.Contains(body, refreshMeta) {
		t.Error("a finished job's page reloads")
	}
}

// TestUISeriesLinksJob: the series page links the job that made its
// forecast to the job's page.
func TestUISeriesLinksJob(t *testing.T) {
	ts := startOpsServer(t, Options{}, nil)
	seedUI(t, ts)
	_, _, body := ts.get("/ui/series/S01/SKU001", nil)
	if !strings.Contains(body, `Job <a href="/ui/jobs/job-ui-1"><code>job-ui-1</code></a>`) {
		t.Error("series page does not link its job's page")
	}
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
