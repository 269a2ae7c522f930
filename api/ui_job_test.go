package api

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/forecastd/forecastd/data/sqlstore"
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
			checkPage(t, body, c.want, c.not)
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
