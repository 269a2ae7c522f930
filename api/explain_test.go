package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/forecast"
)

// trainedDemo is a server holding S01/SKU001 of the demo data set (the
// default options) with its promotion plan, trained by the default
// tournament with horizon 28.
func trainedDemo(t *testing.T) *testServer {
	t.Helper()
	ts := startServer(t, t.TempDir(), 1)
	o := demo.Options{Stores: 1, SKUs: 1}
	if code, _, b := ts.do("POST", "/v1/sales", "text/csv", demoCSV(t, o)); code != 200 {
		t.Fatalf("upload: %d %s", code, b)
	}
	if code, _, b := ts.do("POST", "/v1/covariates", "text/csv", demoPlanCSV(t, o)); code != 200 {
		t.Fatalf("plan: %d %s", code, b)
	}
	// A series too short for a backtest: a cold start from the global
	// candidates, or without them a fallback, which keeps no models.
	short := "date,store,sku,quantity\n2026-10-29,S01,SHORT,3\n2026-10-30,S01,SHORT,4\n2026-10-31,S01,SHORT,5\n"
	if code, _, b := ts.do("POST", "/v1/sales", "text/csv", []byte(short)); code != 200 {
		t.Fatalf("upload: %d %s", code, b)
	}
	code, _, b := ts.do("POST", "/v1/jobs", "application/json", []byte(`{"horizon": 28}`))
	if code != 202 {
		t.Fatalf("job: %d %s", code, b)
	}
	var job struct{ ID string }
	mustDecode(t, b, &job)
	ts.waitJob(job.ID, "succeeded", 2*time.Minute)
	return ts
}

// promoDays returns the steps of the demo plan's promotions in the
// horizon of the first series, and its dates.
func promoDays(t *testing.T, fc []forecast.Point) (map[string]bool, []int) {
	t.Helper()
	on := map[string]bool{}
	for _, ob := range demo.Plan(demo.Options{Stores: 1, SKUs: 1}) {
		if ob.Covariates["promo"] == 1 {
			on[ob.Date.Format("2006-01-02")] = true
		}
	}
	var steps []int
	for i, p := range fc {
		if on[p.Date] {
			steps = append(steps, i)
		}
	}
	if len(steps) == 0 {
		t.Fatal("no planned promo day in the horizon")
	}
	return on, steps
}

// TestExplainAndScenarioEndpoints: over HTTP, on the demo data, explain
// accounts for the served forecast and gives the promo days' uplift to
// promo; a scenario moving a promo moves the peak and stores nothing;
// bad scenarios are 400s naming the field; the limits answer as the
// README says.
func TestExplainAndScenarioEndpoints(t *testing.T) {
	ts := trainedDemo(t)
	var fc struct {
		Points []forecast.Point `json:"points"`
		JobID  string           `json:"job_id"`
	}
	if code := ts.getJSON("/v1/forecasts/S01/SKU001", &fc); code != 200 {
		t.Fatalf("forecast: %d", code)
	}
	_, steps := promoDays(t, fc.Points)

	var ex struct {
		forecast.Explanation
		JobID string `json:"job_id"`
	}
	if code := ts.getJSON("/v1/forecasts/S01/SKU001/explain", &ex); code != 200 {
		t.Fatalf("explain: %d", code)
	}
	if ex.JobID != fc.JobID || len(ex.Steps) != len(fc.Points) || len(ex.Models) == 0 || ex.Seasonal == nil {
		t.Fatalf("explanation: job %s (forecast %s), %d steps, %d models, seasonal %v", ex.JobID, fc.JobID, len(ex.Steps), len(ex.Models), ex.Seasonal)
	}
	for i, st := range ex.Steps {
		if d := st.Value - fc.Points[i].Value; d > 1e-9 || d < -1e-9 {
			t.Errorf("step %d: explained %.6f, served %.6f", i+1, st.Value, fc.Points[i].Value)
		}
	}
	for _, i := range steps {
		if c := ex.Steps[i].Contributions["promo"]; c <= 0.3*ex.Steps[i].Value {
			t.Errorf("promo day %s: promo contributes %.2f of %.2f", ex.Steps[i].Date, c, ex.Steps[i].Value)
		}
	}

	// Move the first promotion three days later.
	from, to := steps[0], steps[0]+3
	body := `{"changes": [{"date": "` + fc.Points[from].Date + `", "covariates": {"promo": 0}},` +
		`{"date": "` + fc.Points[to].Date + `", "store": "S01", "sku": "SKU001", "covariates": {"promo": 1}}]}`
	code, _, b := ts.do("POST", "/v1/forecasts/S01/SKU001/scenarios", "application/json", []byte(body))
	if code != 200 {
		t.Fatalf("scenario: %d %s", code, b)
	}
	var sc forecast.ScenarioResult
	mustDecode(t, b, &sc)
	for i, p := range sc.Baseline {
		if d := p.Value - fc.Points[i].Value; d > 1e-9 || d < -1e-9 {
			t.Errorf("baseline step %d: %.6f, served %.6f", i+1, p.Value, fc.Points[i].Value)
		}
	}
	if sc.Scenario[to].Value < 1.3*sc.Baseline[to].Value || sc.Scenario[from].Value > 0.85*sc.Baseline[from].Value {
		t.Errorf("the peak did not move: day %d %.2f → %.2f, day %d %.2f → %.2f", from+1, sc.Baseline[from].Value,
			sc.Scenario[from].Value, to+1, sc.Baseline[to].Value, sc.Scenario[to].Value)
	}
	var after struct{ Points []forecast.Point }
	ts.getJSON("/v1/forecasts/S01/SKU001", &after)
	for i := range after.Points {
		if after.Points[i] != fc.Points[i] {
			t.Fatalf("the scenario changed the stored forecast at step %d", i+1)
		}
	}

	bad := func(body, field string) {
		t.Helper()
		req, err := http.NewRequest("POST", ts.base+"/v1/forecasts/S01/SKU001/scenarios", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		code, hdr, b := roundTrip(t, apiClientResponsesOnly(t), req)
		var p Problem
		if code != 400 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") || json.Unmarshal(b, &p) != nil ||
			!strings.Contains(p.Detail, field) {
			t.Errorf("%.80s: %d %s, want 400 naming %s", body, code, b, field)
		}
	}
	d0, dEnd := fc.Points[0].Date, fc.Points[len(fc.Points)-1].Date
	bad(`{"changes": [{"date": "`+d0+`", "covariates": {"price": 1}}]}`, `changes[0].covariates.price: unknown covariate "price"`)
	bad(`{"changes": [{"date": "2026-10-01", "covariates": {"promo": 1}}]}`, "changes[0].date: 2026-10-01 is off the horizon ("+d0+" to "+dEnd+")")
	bad(`{"changes": [{"date": "`+d0+`", "covariates": {"promo": "yes"}}]}`, "changes[0].covariates.promo: want a number")
	bad(`{"changes": [{"date": "`+d0+`", "covariates": {"promo": null}}]}`, "changes[0].covariates.promo: want a number")
	bad(`{"changes": [{"date": "01/11/2026", "covariates": {"promo": 1}}]}`, "changes[0].date")
	bad(`{"changes": [{"date": "`+d0+`", "store": "S02", "covariates": {"promo": 1}}]}`, "changes[0].store")
	bad(`{"changes": [{"date": "`+d0+`", "covariates": {}}]}`, "changes[0].covariates")
	bad(`{"changes": []}`, "changes")
	bad(`{"changes": [{"date": "`+d0+`", "covariates": {"promo": 1}}], "extra": 1}`, `unknown field "extra"`)
	bad(`{"changes": [{"date": "`+d0+`", "covariates": {"promo": 1}}]} {}`, "data after the JSON object")
	bad(`{"changes": [{"date": "`+d0+`", "covariates": {"promo": 1}}, {"date": "`+d0+`", "covariates": {"promo": 0}}]}`,
		"changes[1].date: promo given twice")

	// Past max_scenario_changes and max_scenario_body_bytes.
	var many bytes.Buffer
	many.WriteString(`{"changes": [`)
	for i := 0; i <= maxScenarioChanges; i++ {
		if i > 0 {
			many.WriteByte(',')
		}
		many.WriteString(`{"date":"` + d0 + `","covariates":{"promo":1}}`)
	}
	many.WriteString(`]}`)
	code, _, b = ts.do("POST", "/v1/forecasts/S01/SKU001/scenarios", "application/json", many.Bytes())
	if code != 400 || !strings.Contains(string(b), limitScenarioChanges) {
		t.Errorf("%d rows: %d %.200s", maxScenarioChanges+1, code, b)
	}
	huge := `{"changes": [{"date": "` + d0 + `", "covariates": {"promo": 1}}], "pad": "` + strings.Repeat("x", maxScenarioBodyBytes) + `"}`
	req, err := http.NewRequest("POST", ts.base+"/v1/forecasts/S01/SKU001/scenarios", strings.NewReader(huge))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if code, _, b := roundTrip(t, apiClientResponsesOnly(t), req); code != 413 || !strings.Contains(string(b), limitScenarioBody) {
		t.Errorf("huge body: %d %.200s", code, b)
	}

	if code, _, b := ts.do("GET", "/v1/forecasts/S09/NOPE/explain", "", nil); code != 404 {
		t.Errorf("unknown series: %d %s", code, b)
	}
	// A quarantined model is left out, as a refresh leaves it out.
	gone := ex.Models[0].Name
	if code, _, b := ts.do("PUT", "/v1/memguard/quarantine/"+gone, "application/json", []byte(`{"reason": "test"}`)); code != 201 {
		t.Fatalf("quarantine %s: %d %s", gone, code, b)
	}
	var left forecast.Explanation
	ts.getJSON("/v1/forecasts/S01/SKU001/explain", &left)
	if len(left.Models) != len(ex.Models)-1 || left.Models[0].Name == gone ||
		!strings.Contains(strings.Join(left.Notes, "\n"), "memguard quarantined them (a refresh leaves them out too): "+gone) {
		t.Errorf("with %s quarantined: models %d (of %d), notes %q", gone, len(left.Models), len(ex.Models), left.Notes)
	}

	// SHORT is too short for a backtest: the default tournament's global
	// candidates give it a cold start, which is explained like any other
	// forecast (no covariates: the plan is empty, a scenario is refused).
	var cold forecast.Explanation
	if code := ts.getJSON("/v1/forecasts/S01/SHORT/explain", &cold); code != 200 || len(cold.Models) == 0 ||
		!strings.HasPrefix(cold.Models[0].Name, "global_") || cold.BaselinePlan == nil || len(cold.BaselinePlan) != 0 {
		t.Errorf("cold start: %d %+v", code, cold)
	}
	code, _, b = ts.do("POST", "/v1/forecasts/S01/SHORT/scenarios", "application/json",
		[]byte(`{"changes": [{"date": "2026-11-01", "covariates": {"promo": 1}}]}`))
	if code != 400 || !strings.Contains(string(b), "uses no covariates") {
		t.Errorf("scenario of a cold start without covariates: %d %s", code, b)
	}
	// Trained without global candidates, SHORT gets the flat fallback,
	// which keeps no models.
	code, _, b = ts.do("POST", "/v1/jobs", "application/json", []byte(`{"horizon": 28, "skus": ["SHORT"], "models": ["naive", "seasonal_naive", "ses"]}`))
	if code != 202 {
		t.Fatalf("job: %d %s", code, b)
	}
	var job struct{ ID string }
	mustDecode(t, b, &job)
	ts.waitJob(job.ID, "succeeded", time.Minute)
	code, _, b = ts.do("GET", "/v1/forecasts/S01/SHORT/explain", "", nil)
	if code != 409 || !strings.Contains(string(b), "kept no models") {
		t.Errorf("fallback forecast: %d %s", code, b)
	}
	code, _, b = ts.do("POST", "/v1/forecasts/S01/SHORT/scenarios", "application/json",
		[]byte(`{"changes": [{"date": "2026-11-01", "covariates": {"promo": 1}}]}`))
	if code != 409 {
		t.Errorf("scenario of a fallback forecast: %d %s", code, b)
	}

	// Sales deleted up to past the forecast's last date: the kept models
	// cannot be re-run as they forecast.
	if code, _, b := ts.do("DELETE", "/v1/series/S01/SKU001?from=2026-10-20", "", nil); code != 200 {
		t.Fatalf("delete sales: %d %s", code, b)
	}
	code, _, b = ts.do("GET", "/v1/forecasts/S01/SKU001/explain", "", nil)
	if code != 409 || !strings.Contains(string(b), "no longer reaches the forecast's last date") {
		t.Errorf("history cut short: %d %s", code, b)
	}
}

// TestExplainBounded: past explain_timeout the request is a 503 naming
// the limit, and with every explain slot taken a 503 with Retry-After
// naming max_concurrent_explains; nothing runs past either.
func TestExplainBounded(t *testing.T) {
	s := &Server{explainSlots: make(chan struct{}, maxConcurrentExplains)}
	s.opts.defaults()
	s.opts.Limits.ExplainTimeout = time.Millisecond
	h := &explainAPI{Server: s}
	serve := func(fn func(ctx context.Context) error) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.Request = httptest.NewRequest("GET", "/v1/forecasts/S/A/explain", nil)
		h.run(c, fn)
		return w
	}
	w := serve(func(ctx context.Context) error {
		<-ctx.Done() // a computation that checks its context, as the models do
		return ctx.Err()
	})
	if w.Code != 503 || !strings.Contains(w.Body.String(), `"name":"explain_timeout"`) {
		t.Errorf("past the timeout: %d %s", w.Code, w.Body)
	}
	for range maxConcurrentExplains {
		s.explainSlots <- struct{}{}
	}
	ran := false
	w = serve(func(context.Context) error { ran = true; return nil })
	if ran || w.Code != 503 || w.Header().Get("Retry-After") != "1" || !strings.Contains(w.Body.String(), `"name":"max_concurrent_explains"`) {
		t.Errorf("slots full: ran %v, %d %s", ran, w.Code, w.Body)
	}
}
