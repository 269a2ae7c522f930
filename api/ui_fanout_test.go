package api

import (
	"context"
	"encoding/json"
	"testing"
	"time"

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
