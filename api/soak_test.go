package api

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/models"
)

// soakMaxSlope bounds the growth of the settled live heap per job: 16 KiB.
//
// Why 16 KiB: a real leak keeps something of every job, and the smallest
// thing a job has is bigger. The soak job's input is 4 series × 200 days
// (6.4 KB of float64 quantities alone, several times that as Observations
// with their keys, dates and covariates) and its output is 4 staged
// results of a few KiB of JSON each; the Python service kept whole fitted
// models. Noise, measured below on this workload, is two orders of
// magnitude smaller: about 0.6 KiB/job over 200 jobs while memguard's
// ring of its last 100 reports fills, and about 0 after it is full. The
// negative control (a model that retains 4 KiB per fit, ~36 KiB per job)
// shows that a leak of this size is seen and exceeds the bound.
const soakMaxSlope = 16 << 10

// soakModels are the fast models the soak jobs train: the test measures
// the service around the models, so each job should take milliseconds.
var soakModels = []string{"naive", "seasonal_naive", "ses", "ridge"}

// TestSoakNoLeak runs many consecutive training jobs in one in-process
// server, the workload that made the original Python service grow until
// it was killed, and checks that memory stays flat: no job's memguard
// verdict is "leak", and the settled live heap after each job
// (memory.heap_live_after of GET /v1/jobs/{id}), fitted by least squares
// against the job index, grows by less than soakMaxSlope per job.
//
// The control case adds a model that leaks a known amount per fit, to show
// that the measurement sees a leak of about the bound's size: its slope
// must be within a factor of two of the bytes it retained per job and
// above the bound.
func TestSoakNoLeak(t *testing.T) {
	cases := []struct {
		name string
		jobs int
		// leakPerFit > 0 adds the "leaky" model, which retains that many
		// bytes each time it is fitted.
		leakPerFit int
	}{
		{name: "fast models", jobs: 200},
		{name: "control: model retaining 4 KiB per fit", jobs: 40, leakPerFit: 4 << 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reg := models.Standard()
			names := soakModels
			sink := &leakSink{size: c.leakPerFit}
			if c.leakPerFit > 0 {
				if err := reg.Register(sink.spec(reg)); err != nil {
					t.Fatal(err)
				}
				names = append(append([]string(nil), soakModels...), "leaky")
			}
			body, err := json.Marshal(map[string]any{"horizon": 7, "models": names, "top_k": 2, "backtest_windows": 2})
			if err != nil {
				t.Fatal(err)
			}
			ts := startWith(t, Options{JobWorkers: 1, Registry: reg})
			opts := demo.Options{Stores: 1, SKUs: 4, Days: 200}
			if code, _, b := ts.do("POST", "/v1/sales", "text/csv", demoCSV(t, opts)); code != 200 {
				t.Fatalf("upload: %d %s", code, b)
			}
			// A promotion plan over the horizon, so that every job also
			// takes the covariate path: the plan merged into each series,
			// and ridge learning from it and reading its future.
			if code, _, b := ts.do("POST", "/v1/covariates", "text/csv", demoPlanCSV(t, opts)); code != 200 {
				t.Fatalf("plan upload: %d %s", code, b)
			}

			idx := make([]float64, 0, c.jobs)
			heap := make([]float64, 0, c.jobs)
			verdicts := map[string]int{}
			start := time.Now()
			for i := 0; i < c.jobs; i++ {
				m := ts.soakJob(i, body)
				verdicts[m.Verdict]++
				if m.Verdict == "leak" && c.leakPerFit == 0 {
					t.Errorf("job %d: memguard verdict leak: %s (slope %.0f B/run)", i, m.Reason, m.Slope)
				}
				idx = append(idx, float64(i))
				heap = append(heap, float64(m.HeapLiveAfter))
			}
			elapsed := time.Since(start)
			var fc struct{ Covariates []string }
			ts.getJSON("/v1/forecasts/S01/SKU001", &fc)
			if len(fc.Covariates) != 1 || fc.Covariates[0] != "promo" {
				t.Fatalf("forecast covariates %v: the soak did not take the covariate path", fc.Covariates)
			}
			_, slope := stat.LinearRegression(idx, heap, nil, false)
			t.Logf("%d jobs in %v (%.1f ms/job); memguard verdicts %v", c.jobs, elapsed.Round(time.Millisecond),
				float64(elapsed.Microseconds())/1000/float64(c.jobs), verdicts)
			t.Logf("heap_live_after: job 0 %.0f KiB, job %d %.0f KiB; least-squares slope %.0f B/job (bound %d)",
				heap[0]/1024, c.jobs-1, heap[c.jobs-1]/1024, slope, soakMaxSlope)

			if c.leakPerFit == 0 {
				if slope >= soakMaxSlope {
					t.Errorf("settled live heap grows %.0f B/job over %d jobs, want < %d", slope, c.jobs, soakMaxSlope)
				}
				// Over the second half memguard's report ring is full, so
				// only unbounded growth is left.
				h := c.jobs / 2
				_, slope2 := stat.LinearRegression(idx[h:], heap[h:], nil, false)
				t.Logf("slope over jobs %d-%d: %.0f B/job", h, c.jobs-1, slope2)
				if slope2 >= soakMaxSlope {
					t.Errorf("settled live heap grows %.0f B/job over jobs %d-%d, want < %d", slope2, h, c.jobs-1, soakMaxSlope)
				}
				return
			}
			perJob := float64(sink.retained()) / float64(c.jobs)
			t.Logf("control: the leaky model retained %.0f B/job", perJob)
			if slope <= soakMaxSlope || slope < perJob/2 || slope > 2*perJob {
				t.Errorf("control: slope %.0f B/job for a leak of %.0f B/job: want above %d and within a factor of 2",
					slope, perJob, soakMaxSlope)
			}
		})
	}
}

// soakMemory is the part of a job's memory summary the soak test reads.
type soakMemory struct {
	HeapLiveAfter int64   `json:"heap_live_after"`
	Verdict       string  `json:"verdict"`
	Reason        string  `json:"reason"`
	Slope         float64 `json:"slope_bytes_per_run"`
}

// soakJob posts one training job, waits for it to succeed and returns its
// memory summary.
func (ts *testServer) soakJob(i int, body []byte) soakMemory {
	ts.t.Helper()
	code, _, b := ts.do("POST", "/v1/jobs", "application/json", body)
	if code != 202 {
		ts.t.Fatalf("job %d: post: %d %s", i, code, b)
	}
	var created struct{ ID string }
	if err := json.Unmarshal(b, &created); err != nil {
		ts.t.Fatalf("job %d: %v", i, err)
	}
	js := ts.pollJob(created.ID, "succeeded", 30*time.Second, 2*time.Millisecond)
	var m soakMemory
	if err := json.Unmarshal(js.Memory, &m); err != nil || m.HeapLiveAfter <= 0 {
		ts.t.Fatalf("job %d (%s): memory %s: %v", i, created.ID, js.Memory, err)
	}
	return m
}

// pollJob polls job id every every until its state is want, failing the
// test if it ends otherwise (soak jobs last milliseconds, so they poll
// faster than waitJob's 50 ms).
func (ts *testServer) pollJob(id, want string, timeout, every time.Duration) jobStatus {
	ts.t.Helper()
	deadline := time.Now().Add(timeout)
	var js jobStatus
	for time.Now().Before(deadline) {
		ts.getJSON("/v1/jobs/"+id, &js)
		if js.State == want {
			return js
		}
		if want != "running" && (js.State == "failed" || js.State == "cancelled") {
			ts.t.Fatalf("job %s ended %s: %s", id, js.State, js.Error)
		}
		time.Sleep(every)
	}
	ts.t.Fatalf("job %s not %s after %s: %+v", id, want, timeout, js)
	return js
}

// leakSink is the memory the control's leaky model keeps: the test owns
// it, so the leak ends with the test.
type leakSink struct {
	size int
	mu   sync.Mutex
	kept [][]byte
}

func (s *leakSink) retained() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.kept) * s.size
}

// spec is a naive forecaster that retains s.size bytes per fit.
func (s *leakSink) spec(reg *models.Registry) models.Spec {
	naive, _ := reg.Lookup("naive")
	return models.Spec{Name: "leaky", Family: "baseline", Doc: "naive, retaining memory on every fit (soak control)",
		New: func() models.Forecaster { return leakyNaive{sink: s, inner: naive.New()} }, Load: naive.Load}
}

type leakyNaive struct {
	sink  *leakSink
	inner models.Forecaster
}

func (m leakyNaive) Fit(ctx context.Context, in models.Input) (models.Fitted, error) {
	b := make([]byte, m.sink.size)
	for i := range b {
		b[i] = byte(i) // touched, so the bytes are really resident
	}
	m.sink.mu.Lock()
	m.sink.kept = append(m.sink.kept, b)
	m.sink.mu.Unlock()
	return m.inner.Fit(ctx, in)
}
