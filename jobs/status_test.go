package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/jobs/record"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

// The store implements the storage interfaces the jobs package consumes.
var (
	_ jobs.Store      = (*sqlstore.Store)(nil)
	_ jobs.QueueStore = (*sqlstore.Store)(nil)
)

// check calls close and fails t if it fails: deferred, it checks a
// Close that would otherwise be dropped.
func check(t testing.TB, close func() error) {
	t.Helper()
	if err := close(); err != nil {
		t.Error(err)
	}
}

// each feeds obs to a store upload.
func each(obs []data.Observation) func(fn func(data.Observation) error) error {
	return func(fn func(data.Observation) error) error {
		for _, o := range obs {
			if err := fn(o); err != nil {
				return err
			}
		}
		return nil
	}
}

// v0Rows are job and result rows as forecastd stored them before records
// had versions: ../record/testdata/v0_rows.json, written by the runner at
// commit 143c951 (record/testdata/gen_v0.go.txt says how).
type v0Rows struct {
	Jobs []struct {
		ID, Kind, Params, Memory, Phases string
	} `json:"jobs"`
	Results []struct {
		Store, SKU, Body, Models string
		JobID                    string `json:"job_id"`
	} `json:"results"`
	FanOutMemory string `json:"fan_out_memory"`
}

func readV0(t *testing.T) v0Rows {
	t.Helper()
	b, err := os.ReadFile("record/testdata/v0_rows.json")
	if err != nil {
		t.Fatal(err)
	}
	var rows v0Rows
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows.Jobs) != 2 || len(rows.Results) != 3 {
		t.Fatalf("v0 rows: %d jobs, %d results", len(rows.Jobs), len(rows.Results))
	}
	return rows
}

// sameJSON fails unless v encodes to exactly want: the API served the
// stored bytes of params, memory and phases as they were, and serves the
// decoded values now.
func sameJSON(t *testing.T, what string, v any, want string) {
	t.Helper()
	got, err := json.Marshal(v)
	if err != nil || !bytes.Equal(got, []byte(want)) {
		t.Errorf("%s:\n got %s (%v)\nwant %s", what, got, err, want)
	}
}

// TestReadsV0JobRows decodes job rows written before records to the
// values that code stored: the API shows the same params, memory summary
// and phases it showed then.
func TestReadsV0JobRows(t *testing.T) {
	rows := readV0(t)
	for _, row := range rows.Jobs {
		j, err := jobs.DecodeJob(&sqlstore.Job{ID: row.ID, Kind: row.Kind, State: sqlstore.JobSucceeded,
			Params: []byte(row.Params), Memory: []byte(row.Memory), Phases: []byte(row.Phases)})
		if err != nil {
			t.Fatalf("%s: %v", row.ID, err)
		}
		if j.Kind != jobs.KindTrain || j.Params.Kind != jobs.KindTrain || j.Params.Horizon != 7 || len(j.Params.Models) == 0 {
			t.Errorf("%s: params %+v", row.ID, j.Params)
		}
		if j.Memory == nil || j.Memory.ReportID == "" || j.Memory.HeapLiveAfter <= 0 || j.Phases == nil || j.Phases.Train <= 0 {
			t.Errorf("%s: memory %+v, phases %+v", row.ID, j.Memory, j.Phases)
		}
		sameJSON(t, row.ID+" params", j.Params, row.Params)
		sameJSON(t, row.ID+" memory", j.Memory, row.Memory)
		sameJSON(t, row.ID+" phases", j.Phases, row.Phases)
	}
	j, err := jobs.DecodeJob(&sqlstore.Job{ID: "fan-out", Kind: "train", Params: []byte(rows.Jobs[0].Params),
		Memory: []byte(rows.FanOutMemory)})
	if err != nil || j.Memory == nil || j.Memory.Worker != "w1" || j.Phases != nil {
		t.Fatalf("fan-out memory: %+v (%v)", j, err)
	}
	sameJSON(t, "fan-out memory", j.Memory, rows.FanOutMemory)
}

// TestRefreshReadsV0Results stores the v0 rows as they were, then runs a
// refresh job with this runner: it must read the old results and kept
// models (model states included) and publish new results that keep their
// models, weights and undefined coverage.
func TestRefreshReadsV0Results(t *testing.T) {
	ctx := context.Background()
	rows := readV0(t)
	store, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { check(t, store.Close) })
	// The sales and plan gen_v0 trained on, and its series too short
	// for a tournament.
	o := demo.Options{Stores: 1, SKUs: 2, Days: 150}
	if _, err := store.IngestCovariates(ctx, each(demo.Plan(o))); err != nil {
		t.Fatal(err)
	}
	obs := demo.Sales(o)
	day := time.Date(2026, 10, 27, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		obs = append(obs, data.Observation{Key: data.Key{Store: "S01", SKU: "TINY"}, Date: day.AddDate(0, 0, i), Quantity: float64(i)})
	}
	if _, err := store.Ingest(ctx, each(obs)); err != nil {
		t.Fatal(err)
	}
	for _, row := range rows.Jobs {
		if err := store.CreateJob(ctx, &sqlstore.Job{ID: row.ID, Kind: row.Kind, Params: []byte(row.Params)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	v0 := map[data.Key]forecast.Result{}
	for _, row := range rows.Results {
		k := data.Key{Store: row.Store, SKU: row.SKU}
		if err := store.StageResult(ctx, row.JobID, k, []byte(row.Body), []byte(row.Models)); err != nil {
			t.Fatal(err)
		}
		if _, err := store.PublishResults(ctx, row.JobID, time.Now()); err != nil {
			t.Fatal(err)
		}
		var res forecast.Result
		if err := record.Result.Decode([]byte(row.Body), &res); err != nil {
			t.Fatal(err)
		}
		v0[k] = res
	}

	guard, err := memguard.New(memguard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &jobs.Runner{Store: store, Registry: models.Standard(), Guard: guard, Workers: 1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	// A refresh queued by the old code: bare params.
	if err := store.CreateJob(ctx, &sqlstore.Job{ID: "refresh", Kind: "refresh", Params: []byte(`{"kind":"refresh","horizon":7}`)}, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Execute(ctx, "refresh"); err != nil {
		t.Fatal(err)
	}
	row, err := store.GetJob(ctx, "refresh")
	if err != nil {
		t.Fatal(err)
	}
	j, err := jobs.DecodeJob(row)
	if err != nil {
		t.Fatal(err)
	}
	// TINY's v0 result is a fallback that kept no model: it cannot be
	// refreshed, and says so.
	if j.State != sqlstore.JobSucceeded || j.Kind != jobs.KindRefresh || j.Memory == nil || j.Phases == nil ||
		!bytes.Contains([]byte(j.Error), []byte("1 of 3 series failed; first: forecast: refresh S01/TINY: no kept models")) {
		t.Fatalf("refresh job = %+v", j)
	}
	for _, k := range []data.Key{{Store: "S01", SKU: "SKU001"}, {Store: "S01", SKU: "SKU002"}} {
		got, err := store.GetResult(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if got.JobID != "refresh" {
			t.Errorf("%s: result of job %s, want the refresh", k, got.JobID)
		}
		var res forecast.Result
		if err := record.Result.Decode(got.Body, &res); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		old := v0[k]
		if len(res.Points) != 7 || len(res.Models) != len(old.Models) || len(res.Leaderboard) != len(old.Leaderboard) ||
			math.IsNaN(res.Coverage80) != math.IsNaN(old.Coverage80) {
			t.Errorf("%s: refreshed %+v\nfrom %+v", k, res, old)
		}
		for i := range res.Models {
			if res.Models[i].Name != old.Models[i].Name || res.Models[i].Weight != old.Models[i].Weight {
				t.Errorf("%s: model %d is %+v, was %+v", k, i, res.Models[i], old.Models[i])
			}
		}
	}
	if n := len(v0); n != 3 {
		t.Fatalf("%d v0 results", n)
	}
	if !math.IsNaN(v0[data.Key{Store: "S01", SKU: "SKU001"}].Coverage80) {
		t.Fatal("SKU001's v0 coverage is defined: the undefined case is untested")
	}
}
