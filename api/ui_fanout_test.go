package api

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/jobs"
)

// TestJobFanOutShown (issue 20): a partitioned job's partitions and
// failovers are in its JSON (as the OpenAPI schema says: the test
// client validates every answer) and on its page.
func TestJobFanOutShown(t *testing.T) {
	ts := startOpsServer(t, Options{}, nil)
	ctx := context.Background()
	st := ts.Store()
	params, err := json.Marshal(jobs.Params{Horizon: 28})
	if err != nil {
		t.Fatal(err)
	}
	const id = "job-fanout"
	if err := st.CreateJob(ctx, &sqlstore.Job{ID: id, Kind: "train", Params: params}, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.StartJob(ctx, id, 30); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	beat := t0.Add(40 * time.Second)
	sum := jobs.Summary{SeriesTotal: 30, Trained: 30, Full: 30, Warnings: []jobs.Warning{}, FanOut: &jobs.FanOut{
		Plan: "cost", Partitions: 2, Workers: []string{"w1", "w2"}, SpanSeconds: 120, LongestSeconds: 61, LongestShare: 61.0 / 120,
		Timings: []jobs.PartitionTiming{
			{Part: 1, Worker: "w2", Series: 14, Seconds: 61, Attempt: 1, StartedAt: t0, Cost: 2e5},
			{Part: 2, Worker: "w2", Series: 16, Seconds: 58, Attempt: 2, StartedAt: t0.Add(62 * time.Second), Cost: 1.9e5},
		},
		Failovers: []jobs.Failover{{Part: 2, Worker: "w1", LastBeat: &beat, DetectedAt: beat.Add(21 * time.Second), RetakenBy: "w2", LostSeconds: 61}},
	}}
	b, err := json.Marshal(sum)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.JobSummary(ctx, id, b); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishJob(ctx, id, sqlstore.JobSucceeded, "partition 2/2 re-run", nil); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Summary struct {
			FanOut *jobs.FanOut `json:"fan_out"`
		}
	}
	if code := ts.getJSON("/v1/jobs/"+id, &got); code != 200 {
		t.Fatalf("GET job: %d", code)
	}
	if f := got.Summary.FanOut; f == nil || len(f.Failovers) != 1 || f.Failovers[0].RetakenBy != "w2" || len(f.Timings) != 2 || f.Timings[1].Attempt != 2 {
		t.Fatalf("job JSON fan_out = %+v", got.Summary.FanOut)
	}
	_, _, body := ts.get("/ui/jobs/"+id, nil)
	checkPage(t, body, []string{"<h2>Partitions</h2>", "2 partitions (plan <code>cost</code>) on <code>w1</code>, <code>w2</code>",
		"<h3>Failovers</h3>", `<td class="num">2</td><td class="warn-failed"><code>w1</code></td>`, "<td><code>w2</code></td><td class=\"num\">1m 01s</td>",
		"<td class=\"num\">16</td><td class=\"num\">58.0</td><td class=\"num\">2</td>"}, []string{"No failover"})
}

// TestJobFanOutLive (issue 20): while a fanned-out job runs, its JSON
// carries the live fan_out (validated against the OpenAPI schema by the
// test client) and its page a live partitions section; once it has
// finished, the fan-out is in the summary only. One process works
// twelve partitions of one series each, one at a time (River records a
// completion a moment later, so two may show running).
func TestJobFanOutLive(t *testing.T) {
	on := true
	ts := startWith(t, Options{JobWorkers: 1, SeriesWorkers: 1, ShutdownTimeout: 10 * time.Second,
		Backend: BackendOptions{Backend: jobs.Backend{FanOut: &on, PartitionSize: 1}}})
	if code, _, b := ts.do("POST", "/v1/sales", "text/csv", demoCSV(t, demo.Options{Stores: 1, SKUs: 12, Days: 365})); code != 200 {
		t.Fatalf("upload: %d %s", code, b)
	}
	code, _, b := ts.do("POST", "/v1/jobs", "application/json", []byte(`{"horizon": 14, "top_k": 2, "models": ["naive", "ses", "theta", "auto_ets"]}`))
	if code != 202 {
		t.Fatalf("post job: %d %s", code, b)
	}
	var posted struct{ ID string }
	mustDecode(t, b, &posted)
	var live *jobs.FanOut // the first reading with a partition done and one to go
	livePage := false
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var j jobs.Job
		if code := ts.getJSON("/v1/jobs/"+posted.ID, &j); code != 200 {
			t.Fatalf("GET job: %d", code)
		}
		if j.State == "succeeded" {
			if j.FanOut != nil || j.Summary == nil || j.Summary.FanOut == nil || j.Summary.FanOut.Live || j.Summary.FanOut.PartitionsDone != 12 {
				t.Fatalf("finished job: fan_out %+v, summary %+v", j.FanOut, j.Summary)
			}
			break
		}
		if j.State != "queued" && j.State != "running" || time.Now().After(deadline) {
			t.Fatalf("job %s: %s", j.State, j.Error)
		}
		if f := j.FanOut; f != nil {
			if !f.Live || f.Partitions != 12 || f.PartitionsDone+f.PartitionsRunning+f.PartitionsQueued != 12 {
				t.Fatalf("live fan_out = %+v", f)
			}
			for _, r := range f.Running {
				if r.Worker != ts.queue.Name() || r.Series != 1 || r.Attempt != 1 {
					t.Fatalf("running partition = %+v", r)
				}
			}
			if live == nil && f.PartitionsDone > 0 && f.PartitionsDone < 12 {
				live = f
			}
			if !livePage && f.PartitionsDone > 0 {
				_, _, page := ts.get("/ui/jobs/"+posted.ID, nil)
				if strings.Contains(page, "state-running") { // else it finished meanwhile: the next reading says so
					checkPage(t, page, []string{"<h2>Partitions (live)</h2>", "of 12 partitions done", "No failover: every partition ran so far once"}, nil)
					livePage = true
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if live == nil || !livePage {
		t.Fatalf("no live reading of the fan-out while the job ran (JSON %v, page %v)", live != nil, livePage)
	}
	if len(live.Timings) != live.PartitionsDone || live.SpanSeconds <= 0 || len(live.Workers) != 1 || len(live.Busy) != 1 || live.Busy[0].Partitions != live.PartitionsDone {
		t.Errorf("live fan_out = %+v", live)
	}
}
