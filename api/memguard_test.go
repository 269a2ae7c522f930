package api

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/memguard"
)

// TestMemguardEndpoints reads a job's memguard report, its heap diff
// profile, and the quarantine through the API.
func TestMemguardEndpoints(t *testing.T) {
	ts := startWith(t, Options{JobWorkers: 1, Guard: memguard.Options{Profile: memguard.ProfileAlways}})
	if code, _, b := ts.do("POST", "/v1/sales", "text/csv", demoCSV(t, demo.Options{Stores: 1, SKUs: 2, Days: 120})); code != 200 {
		t.Fatalf("upload: %d %s", code, b)
	}
	_, _, b := ts.do("POST", "/v1/jobs", "application/json", []byte(`{"horizon": 7, "models": ["naive", "seasonal_naive", "ses"]}`))
	var created struct{ ID string }
	mustDecode(t, b, &created)
	js := ts.waitJob(created.ID, "succeeded", time.Minute)
	var mem struct {
		ReportID string `json:"report_id"`
	}
	mustDecode(t, js.Memory, &mem)

	var list struct {
		Items []struct {
			ID, Kind, Verdict string
		}
	}
	ts.getJSON("/v1/memguard/reports", &list)
	if len(list.Items) == 0 || list.Items[0].ID != mem.ReportID || list.Items[0].Kind != "train" || list.Items[0].Verdict == "" {
		t.Fatalf("reports = %+v, job's report %q", list.Items, mem.ReportID)
	}
	var rep memguard.Report
	if code := ts.getJSON("/v1/memguard/reports/"+mem.ReportID, &rep); code != 200 || rep.Kind != "train" || !rep.Profiled || rep.HeapLiveAfter <= 0 {
		t.Fatalf("report: %d %+v", code, rep)
	}
	code, hdr, prof := ts.do("GET", "/v1/memguard/reports/"+mem.ReportID+"/heap.pb.gz", "", nil)
	if code != 200 || !strings.Contains(hdr.Get("Content-Disposition"), "heap-diff") {
		t.Fatalf("heap.pb.gz: %d %s", code, prof)
	}
	if p, err := profile.Parse(bytes.NewReader(prof)); err != nil || len(p.SampleType) == 0 {
		t.Fatalf("heap diff is not a pprof profile: %v", err)
	}
	if code, _, _ := ts.do("GET", "/v1/memguard/reports/nope", "", nil); code != 404 {
		t.Fatalf("unknown report: %d", code)
	}

	ts.guard.Quarantine("ses", "test")
	var q struct {
		Items []struct{ Name string }
	}
	ts.getJSON("/v1/memguard/quarantine", &q)
	if len(q.Items) != 1 || q.Items[0].Name != "ses" {
		t.Fatalf("quarantine = %+v", q.Items)
	}
	if code, _, b := ts.do("DELETE", "/v1/memguard/quarantine/ses", "", nil); code != 204 {
		t.Fatalf("unquarantine: %d %s", code, b)
	}
	if code, _, _ := ts.do("DELETE", "/v1/memguard/quarantine/ses", "", nil); code != 404 {
		t.Fatalf("second unquarantine: %d", code)
	}
	ts.getJSON("/v1/memguard/quarantine", &q)
	if len(q.Items) != 0 {
		t.Fatalf("quarantine after DELETE = %+v", q.Items)
	}
}
