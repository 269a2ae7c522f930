package api

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/internal/leaktest"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

// TestQuarantineSurvivesRestart: a model an operator quarantines through
// the API is still quarantined by a new server on the same data, and a
// training job there runs without it.
func TestQuarantineSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	sec := SecurityOptions{Tokens: []string{"tok"}}
	first := startWith(t, Options{DataDir: dir, JobWorkers: 0, Security: sec})
	if code, b := first.doAuth("PUT", "/v1/memguard/quarantine/ses", "", "", nil); code != 401 {
		t.Fatalf("PUT without token: %d %s", code, b)
	}
	if code, b := first.doAuth("PUT", "/v1/memguard/quarantine/nope", "tok", "", nil); code != 404 {
		t.Fatalf("PUT of an unknown model: %d %s", code, b)
	}
	if code, b := first.doAuth("PUT", "/v1/memguard/quarantine/ses", "tok", "", nil); code != 201 {
		t.Fatalf("PUT: %d %s", code, b)
	}
	code, b := first.doAuth("PUT", "/v1/memguard/quarantine/ses", "tok", "application/json", []byte(`{"reason": "leaks in prod"}`))
	var e memguard.QuarantineEntry
	mustDecode(t, b, &e)
	if code != 200 || e.Name != "ses" || e.Reason != "leaks in prod" {
		t.Fatalf("second PUT: %d %+v", code, e)
	}
	if code, b := first.doAuth("PUT", "/v1/memguard/quarantine/naive", "tok", "", nil); code != 201 {
		t.Fatalf("PUT naive: %d %s", code, b)
	}
	if code, b := first.doAuth("DELETE", "/v1/memguard/quarantine/naive", "tok", "", nil); code != 204 {
		t.Fatalf("DELETE naive: %d %s", code, b)
	}
	since := e.Since
	if err := first.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	second := startWith(t, Options{DataDir: dir, JobWorkers: 1, Security: sec})
	q := second.guard.Quarantined()
	if len(q) != 1 || q["ses"].Reason != "leaks in prod" {
		t.Fatalf("quarantine after restart = %+v", q)
	}
	code, b = second.doAuth("GET", "/v1/memguard/quarantine", "tok", "", nil)
	var list struct{ Items []memguard.QuarantineEntry }
	mustDecode(t, b, &list)
	if code != 200 || len(list.Items) != 1 || !list.Items[0].Since.Equal(since.Truncate(time.Millisecond)) {
		t.Fatalf("GET quarantine after restart: %d %+v, want since %v", code, list.Items, since)
	}
	if code, b := second.doAuth("POST", "/v1/sales", "tok", "text/csv", demoCSV(t, demo.Options{Stores: 1, SKUs: 1, Days: 120})); code != 200 {
		t.Fatalf("upload: %d %s", code, b)
	}
	_, b = second.doAuth("POST", "/v1/jobs", "tok", "application/json", []byte(`{"horizon": 7, "models": ["naive", "seasonal_naive", "ses"]}`))
	var created struct{ ID string }
	mustDecode(t, b, &created)
	waitJobAuth(t, second, created.ID, "tok")
	code, b = second.doAuth("GET", "/v1/series/S01/SKU001/leaderboard", "tok", "", nil)
	var lb struct {
		Items []struct{ Name string }
	}
	mustDecode(t, b, &lb)
	if code != 200 || len(lb.Items) != 2 {
		t.Fatalf("leaderboard: %d %+v", code, lb.Items)
	}
	for _, it := range lb.Items {
		if it.Name == "ses" {
			t.Fatal("the quarantined model ran after the restart")
		}
	}
}

func waitJobAuth(t *testing.T, ts *testServer, id, token string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		_, b := ts.doAuth("GET", "/v1/jobs/"+id, token, "", nil)
		var js jobStatus
		mustDecode(t, b, &js)
		switch js.State {
		case "succeeded":
			return
		case "failed", "cancelled":
			t.Fatalf("job %s: %s", id, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job %s did not finish", id)
}

// TestHuntThroughAPI: training jobs with a leaky candidate until the
// runner's hunt quarantines it; the hunt is then listed and readable
// through the API, with every candidate's verdict.
func TestHuntThroughAPI(t *testing.T) {
	var cache leaktest.Cache
	defer cache.Release()
	std := models.Standard()
	var specs []models.Spec
	for _, n := range []string{"naive", "seasonal_naive", "ses"} {
		s, _ := std.Lookup(n)
		specs = append(specs, s)
	}
	reg, err := models.NewRegistry(append(specs, cache.Spec("leaky"))...)
	if err != nil {
		t.Fatal(err)
	}
	ts := startWith(t, Options{JobWorkers: 1, Registry: reg})
	if code, _, b := ts.do("POST", "/v1/sales", "text/csv", demoCSV(t, demo.Options{Stores: 1, SKUs: 2, Days: 120})); code != 200 {
		t.Fatalf("upload: %d %s", code, b)
	}
	for i := 1; i <= 15 && !ts.guard.IsQuarantined("leaky"); i++ {
		_, _, b := ts.do("POST", "/v1/jobs", "application/json", []byte(`{"horizon": 7, "top_k": 2, "models": ["naive", "seasonal_naive", "ses", "leaky"]}`))
		var created struct{ ID string }
		mustDecode(t, b, &created)
		ts.waitJob(created.ID, "succeeded", time.Minute)
	}
	// The hunt runs after the job is marked succeeded: wait for it.
	var list struct {
		Items []struct {
			ID              string
			Kind            string
			Culprits        []string
			Shared          int
			DurationSeconds float64 `json:"duration_seconds"`
		}
		Next *string
	}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ts.getJSON("/v1/memguard/hunts", &list); len(list.Items) > 0 {
			break
		}
	}
	if len(list.Items) != 1 || list.Items[0].Kind != "train" || fmt.Sprint(list.Items[0].Culprits) != "[leaky]" || list.Items[0].DurationSeconds <= 0 {
		t.Fatalf("hunts = %+v", list.Items)
	}
	var hunt struct {
		ID     string
		Result memguard.HuntResult
	}
	if code := ts.getJSON("/v1/memguard/hunts/"+list.Items[0].ID, &hunt); code != 200 || hunt.ID != list.Items[0].ID {
		t.Fatalf("hunt: %d %+v", code, hunt)
	}
	if len(hunt.Result.Candidates) != 4 || fmt.Sprint(hunt.Result.Culprits) != "[leaky]" {
		t.Fatalf("hunt result: culprits %v, %d candidates", hunt.Result.Culprits, len(hunt.Result.Candidates))
	}
	for _, c := range hunt.Result.Candidates {
		if c.Culprit != (c.Name == "leaky") {
			t.Errorf("candidate %s: culprit %v", c.Name, c.Culprit)
		}
	}
	if code, _, _ := ts.do("GET", "/v1/memguard/hunts/nope", "", nil); code != 404 {
		t.Fatalf("unknown hunt: %d", code)
	}
	if code, _, _ := ts.do("GET", "/v1/memguard/hunts?limit=1&before="+list.Items[0].ID, "", nil); code != 200 {
		t.Fatalf("second page: %d", code)
	}
}
