package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
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

// openStore opens a SQLite store in a temporary directory.
func openStore(t *testing.T) *sqlstore.Store {
	t.Helper()
	store, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { check(t, store.Close) })
	return store
}

// newRunner is a one-worker runner on store with a fresh guard.
func newRunner(t *testing.T, store jobs.Store) *jobs.Runner {
	t.Helper()
	guard, err := memguard.New(memguard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &jobs.Runner{Store: store, Registry: models.Standard(), Guard: guard, Workers: 1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// quarantiningRunner is a one-worker runner on store over reg whose
// guard (made with opts) also excludes the models it quarantines.
func quarantiningRunner(t *testing.T, store jobs.Store, reg *models.Registry, opts memguard.Options) (*jobs.Runner, *memguard.Guard) {
	t.Helper()
	guard, err := memguard.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &jobs.Runner{Store: store, Registry: reg, Guard: guard, Excluded: guard.IsQuarantined, Workers: 1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, guard
}

// execute runs job id with r and returns it as the API shows it.
func execute(t *testing.T, r *jobs.Runner, store *sqlstore.Store, id string) *jobs.Job {
	t.Helper()
	ctx := context.Background()
	if err := r.Execute(ctx, id); err != nil {
		t.Fatal(err)
	}
	row, err := store.GetJob(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	j, err := jobs.DecodeJob(row)
	if err != nil {
		t.Fatal(err)
	}
	return j
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
	store := openStore(t)
	// The sales and plan gen_v0 trained on, and its series too short
	// for a tournament.
	o := demo.Options{Stores: 1, SKUs: 2, Days: 150}
	if _, err := store.IngestCovariates(ctx, data.Each(demo.Plan(o))); err != nil {
		t.Fatal(err)
	}
	obs := demo.Sales(o)
	day := time.Date(2026, 10, 27, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		obs = append(obs, data.Observation{Key: data.Key{Store: "S01", SKU: "TINY"}, Date: day.AddDate(0, 0, i), Quantity: float64(i)})
	}
	if _, err := store.Ingest(ctx, data.Each(obs)); err != nil {
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

	r := newRunner(t, store)
	// A refresh queued by the old code: bare params.
	if err := store.CreateJob(ctx, &sqlstore.Job{ID: "refresh", Kind: "refresh", Params: []byte(`{"kind":"refresh","horizon":7}`)}, nil); err != nil {
		t.Fatal(err)
	}
	j := execute(t, r, store, "refresh")
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

// badSeries are stored series that cannot be assembled, as rows stored
// before uploads refused them (written past the upload checks), and the
// reason each must be excluded for.
var badSeries = []struct {
	sku    string
	rows   []string // ts values; covariates given by covs
	covs   int      // covariates on the first row
	reason string
}{
	{"YEARS", []string{"0000-01-01", "9999-12-31"}, 0, "outside 1900-01-01 to 2200-01-01"},
	{"MIXED", []string{"2026-01-01", "2026-01-02", "2026-01-03", "2026-01-03T05:00:00", "2026-01-04"}, 0, "not on the daily grid"},
	{"SPAN", []string{"1901-01-01", "1901-01-02", "2150-01-01"}, 0, "more than the limit of 36525"},
	{"WIDE", []string{"2026-01-01", "2026-01-02", "2026-01-03"}, sqlstore.MaxSeriesCovariates + 1, "covariates, the limit per series"},
}

// storeBadSeries writes badSeries for store st straight into sales.
func storeBadSeries(t *testing.T, s *sqlstore.Store, st string) {
	t.Helper()
	for _, b := range badSeries {
		for i, d := range b.rows {
			var tm time.Time
			var err error
			if len(d) == 10 {
				tm, err = time.Parse("2006-01-02", d)
			} else {
				tm, err = time.Parse("2006-01-02T15:04:05", d)
			}
			if err != nil {
				t.Fatal(err)
			}
			var cov any
			if i == 0 && b.covs > 0 {
				parts := make([]string, b.covs)
				for c := range parts {
					parts[c] = `"c` + string(rune('a'+c/26)) + string(rune('a'+c%26)) + `":1`
				}
				cov = "{" + strings.Join(parts, ",") + "}"
			}
			if _, err := s.DB().Exec(`INSERT INTO sales (store, sku, ts, quantity, covariates) VALUES ($1, $2, $3, $4, $5)`,
				st, b.sku, tm.Unix(), 1.0, cov); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// checkSummary fails unless j succeeded, trained good series and
// excluded every bad series of badSeries, naming each and why.
func checkSummary(t *testing.T, j *jobs.Job, good int) {
	t.Helper()
	s := j.Summary
	if j.State != sqlstore.JobSucceeded || s == nil {
		t.Fatalf("job = %+v", j)
	}
	if s.SeriesTotal != good+len(badSeries) || s.Trained != good || s.Excluded != len(badSeries) || s.Failed != 0 {
		t.Errorf("summary = %+v", s)
	}
	if !strings.Contains(j.Error, "excluded") {
		t.Errorf("job error %q does not mention the excluded series", j.Error)
	}
	for _, b := range badSeries {
		found := false
		for _, w := range s.Warnings {
			if strings.HasSuffix(w.Series, "/"+b.sku) && w.Kind == jobs.WarnExcluded && strings.Contains(w.Reason, b.reason) {
				found = true
			}
		}
		if !found {
			t.Errorf("no warning for %s with %q in %+v", b.sku, b.reason, s.Warnings)
		}
	}
}

// TestBadSeriesExcluded: a job over good series and series that cannot
// be assembled succeeds for the good ones and lists the others, each
// with its reason, in its summary; loading one bad series says which.
func TestBadSeriesExcluded(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	if _, err := store.Ingest(ctx, data.Each(demo.Sales(demo.Options{Stores: 1, SKUs: 2, Days: 60}))); err != nil {
		t.Fatal(err)
	}
	storeBadSeries(t, store, "S01")
	r := newRunner(t, store)
	if err := store.CreateJob(ctx, &sqlstore.Job{ID: "j", Kind: "train", Params: []byte(fastJob)}, nil); err != nil {
		t.Fatal(err)
	}
	j := execute(t, r, store, "j")
	checkSummary(t, j, 2)

	_, err := store.LoadSeries(ctx, sqlstore.SeriesFilter{SKUs: []string{"YEARS"}})
	var ue *sqlstore.UnassemblableError
	if !errors.As(err, &ue) || ue.Key != (data.Key{Store: "S01", SKU: "YEARS"}) {
		t.Fatalf("load YEARS: %v, want an UnassemblableError", err)
	}
}

// TestBadSeriesExcludedFanOut is TestBadSeriesExcluded through the
// fan-out, on SQLite and PostgreSQL: partitions exclude their bad series
// and the parent merges the summaries.
func TestBadSeriesExcludedFanOut(t *testing.T) {
	on := true
	t.Run("sqlite", func(t *testing.T) {
		testBadSeriesFanOut(t, startServer(t, jobs.Backend{FanOut: &on, PartitionSize: 2}, 1))
	})
	t.Run("postgres", func(t *testing.T) {
		testBadSeriesFanOut(t, startServer(t, jobs.Backend{DatabaseURL: newDatabase(t), PartitionSize: 2}, 1))
	})
}

func testBadSeriesFanOut(t *testing.T, s *server) {
	s.ingest(demo.Options{Stores: 1, SKUs: 3, Days: 60})
	storeBadSeries(t, s.Store(), "S01")
	id := s.postJob(fastJob)
	row := s.waitJob(id, time.Minute, nil)
	j, err := jobs.DecodeJob(row)
	if err != nil {
		t.Fatal(err)
	}
	checkSummary(t, j, 3)
}

// guardedLoads is a store that records whether each series load ran
// inside a memguard run (the guard labels its run's context).
type guardedLoads struct {
	*sqlstore.Store
	loads, guarded int
}

func (g *guardedLoads) LoadSeriesExcluding(ctx context.Context, f sqlstore.SeriesFilter) ([]*data.Series, []*sqlstore.UnassemblableError, error) {
	g.loads++
	if _, ok := pprof.Label(ctx, memguard.LabelRun); ok {
		g.guarded++
	}
	return g.Store.LoadSeriesExcluding(ctx, f)
}

// TestLoadRunsInsideGuard: a job loads and assembles its series inside
// the guard's run, so the memory budget and the report count them.
func TestLoadRunsInsideGuard(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	if _, err := store.Ingest(ctx, data.Each(demo.Sales(demo.Options{Stores: 1, SKUs: 1, Days: 60}))); err != nil {
		t.Fatal(err)
	}
	g := &guardedLoads{Store: store}
	r := newRunner(t, g)
	if err := store.CreateJob(ctx, &sqlstore.Job{ID: "j", Kind: "train", Params: []byte(fastJob)}, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Execute(ctx, "j"); err != nil {
		t.Fatal(err)
	}
	if g.loads != 1 || g.guarded != 1 {
		t.Fatalf("%d loads, %d inside the guard's run; want 1 and 1", g.loads, g.guarded)
	}
}

// TestOnlyBadSeries: a job whose series all cannot be assembled fails,
// saying so, with the summary naming them.
func TestOnlyBadSeries(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	storeBadSeries(t, store, "S09")
	r := newRunner(t, store)
	if err := store.CreateJob(ctx, &sqlstore.Job{ID: "j", Kind: "train", Params: []byte(fastJob)}, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Execute(ctx, "j"); !jobs.IsPermanent(err) {
		t.Fatalf("execute = %v, want a permanent failure", err)
	}
	row, err := store.GetJob(ctx, "j")
	if err != nil {
		t.Fatal(err)
	}
	j, err := jobs.DecodeJob(row)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != sqlstore.JobFailed || !strings.HasPrefix(j.Error, "no series could be assembled: 4 excluded; first: S09/") ||
		j.Summary == nil || j.Summary.Excluded != 4 || j.Summary.SeriesTotal != 4 || len(j.Summary.Warnings) != 4 {
		t.Fatalf("job = %+v, summary %+v", j, j.Summary)
	}
}

// outcomeData stores demo series for the outcome tests on s, as copies
// of the same demo sales under three stores:
//   - S01 with its "promo" history and a plan for 10 of the 14 steps of
//     outcomeJob's horizon,
//   - S02 the same sales without any covariate,
//   - S03 without covariates, and SKU001 with negative weeks of returns.
func outcomeData(t *testing.T, store *sqlstore.Store) {
	t.Helper()
	ctx := context.Background()
	o := demo.Options{Stores: 1, SKUs: 2, Days: 60, PlanDays: 10}
	var obs []data.Observation
	for i, ob := range demo.Sales(o) {
		obs = append(obs, ob)
		bare := ob
		bare.Covariates = nil
		bare.Key.Store = "S02"
		obs = append(obs, bare)
		bare.Key.Store = "S03"
		if bare.Key.SKU == "SKU001" && i%5 == 0 {
			bare.Quantity = -3 - bare.Quantity
		}
		obs = append(obs, bare)
	}
	if _, err := store.Ingest(ctx, data.Each(obs)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.IngestCovariates(ctx, data.Each(demo.Plan(o))); err != nil {
		t.Fatal(err)
	}
}

// outcomeJob is fastJob over some stores, with a negative policy ("" for
// the default).
func outcomeJob(stores, negative string) string {
	neg := ""
	if negative != "" {
		neg = fmt.Sprintf(`, "negative": %q`, negative)
	}
	return fmt.Sprintf(`{"horizon": 14, "top_k": 2, "models": ["naive", "seasonal_naive", "ridge", "ses"], "stores": [%s]%s}`, stores, neg)
}

// jobRunner runs a job on the data of outcomeData, in one process or
// through a fan-out, and returns it as the API shows it.
type jobRunner struct {
	store *sqlstore.Store
	run   func(t *testing.T, params string) *jobs.Job
}

// directRunner runs jobs with a Runner on a SQLite store.
func directRunner(t *testing.T) jobRunner {
	store := openStore(t)
	r := newRunner(t, store)
	n := 0
	return jobRunner{store: store, run: func(t *testing.T, params string) *jobs.Job {
		t.Helper()
		n++
		id := fmt.Sprintf("j%d", n)
		p, err := jobs.DecodeParams([]byte(params), r.Registry)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(p) // the params as the API stores them, validated
		if err != nil {
			t.Fatal(err)
		}
		if err := store.CreateJob(context.Background(), &sqlstore.Job{ID: id, Kind: "train", Params: b}, nil); err != nil {
			t.Fatal(err)
		}
		return execute(t, r, store, id)
	}}
}

// serverRunner runs jobs through the API of a server.
func serverRunner(s *server) jobRunner {
	return jobRunner{store: s.Store(), run: func(t *testing.T, params string) *jobs.Job {
		t.Helper()
		row := s.waitJob(s.postJob(params), time.Minute, nil)
		j, err := jobs.DecodeJob(row)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}}
}

// TestJobOutcomes: a covariate planned over part of the horizon is
// reported per series and counted, with forecasts identical to those
// of the same series without it; and a series with negative values
// trains as it is (allow), on max(y, 0) (clip), or is excluded with a
// warning (refuse). In one process, and through the fan-out on SQLite
// and PostgreSQL.
func TestJobOutcomes(t *testing.T) {
	t.Run("direct", func(t *testing.T) { testJobOutcomes(t, directRunner(t)) })
	on := true
	t.Run("fanout-sqlite", func(t *testing.T) {
		testJobOutcomes(t, serverRunner(startServer(t, jobs.Backend{FanOut: &on, PartitionSize: 2}, 1)))
	})
	t.Run("postgres", func(t *testing.T) {
		testJobOutcomes(t, serverRunner(startServer(t, jobs.Backend{DatabaseURL: newDatabase(t), PartitionSize: 2}, 1)))
	})
}

func testJobOutcomes(t *testing.T, jr jobRunner) {
	outcomeData(t, jr.store)
	t.Run("covariate without a full plan", func(t *testing.T) { checkCovariateDropped(t, jr) })
	t.Run("negative", func(t *testing.T) { checkNegativePolicies(t, jr) })
}

func checkCovariateDropped(t *testing.T, jr jobRunner) {
	j := jr.run(t, outcomeJob(`"S01", "S02"`, ""))
	s := j.Summary
	if j.State != sqlstore.JobSucceeded || s == nil || s.Trained != 4 || s.CovariatesDropped != 2 {
		t.Fatalf("job %s %q, summary %+v", j.State, j.Error, s)
	}
	var named []string
	for _, w := range s.Warnings {
		if w.Kind != jobs.WarnCovariate {
			continue
		}
		named = append(named, w.Series)
		if w.Reason != "promo: no plan for 4 of 14 steps" {
			t.Errorf("warning %+v", w)
		}
	}
	slices.Sort(named)
	if strings.Join(named, ",") != "S01/SKU001,S01/SKU002" {
		t.Errorf("covariate warnings for %v, want S01's two series", named)
	}
	for _, sku := range []string{"SKU001", "SKU002"} {
		with := result(t, jr.store, data.Key{Store: "S01", SKU: sku})
		without := result(t, jr.store, data.Key{Store: "S02", SKU: sku})
		if len(with.CovariatesDropped) != 1 || with.CovariatesDropped[0].Name != "promo" || len(without.CovariatesDropped) != 0 {
			t.Errorf("%s: dropped %v and %v", sku, with.CovariatesDropped, without.CovariatesDropped)
		}
		if len(with.Points) != 14 || fmt.Sprint(with.Points) != fmt.Sprint(without.Points) || fmt.Sprint(with.Models) != fmt.Sprint(without.Models) {
			t.Errorf("%s: forecast with the dropped covariate differs:\n%v\n%v", sku, with.Points, without.Points)
		}
	}
}

func checkNegativePolicies(t *testing.T, jr jobRunner) {
	neg := data.Key{Store: "S03", SKU: "SKU001"}
	for _, c := range []struct {
		policy            string
		trained, excluded int
	}{{"", 2, 0}, {"allow", 2, 0}, {"clip", 2, 0}, {"refuse", 1, 1}} {
		t.Run("policy "+c.policy, func(t *testing.T) {
			j := jr.run(t, outcomeJob(`"S03"`, c.policy))
			s := j.Summary
			if j.State != sqlstore.JobSucceeded || s == nil || s.Trained != c.trained || s.Excluded != c.excluded {
				t.Fatalf("job %s %q, summary %+v", j.State, j.Error, s)
			}
			want := c.policy
			if want == "" {
				want = "allow"
			}
			if string(j.Params.Negative) != want {
				t.Errorf("params negative %q, want %q", j.Params.Negative, want)
			}
			res, err := jr.store.GetResult(context.Background(), neg)
			if err != nil {
				t.Fatal(err)
			}
			switch c.policy {
			case "refuse":
				if len(s.Warnings) != 1 || s.Warnings[0] != (jobs.Warning{Series: neg.String(), Kind: jobs.WarnExcluded, Reason: "negative values (negative=refuse)"}) {
					t.Errorf("warnings %+v", s.Warnings)
				}
				if res.JobID == j.ID {
					t.Errorf("the refused series has a forecast from the job")
				}
			case "clip":
				r := result(t, jr.store, neg)
				for _, p := range r.Points {
					if p.Value < 0 || p.Lower < 0 || p.Lower95 < 0 {
						t.Fatalf("clipped series forecast %+v below 0", p)
					}
				}
				fallthrough
			default:
				if c.policy == "allow" && !hasNegativeLower(result(t, jr.store, neg)) {
					t.Errorf("the series with negatives has no negative lower bound under allow: the clip test proves nothing")
				}
				if res.JobID != j.ID {
					t.Errorf("series with negatives not trained by job %s (forecast from %s)", j.ID, res.JobID)
				}
			}
		})
	}
}

// result is the published forecast of k.
func result(t *testing.T, store *sqlstore.Store, k data.Key) *forecast.Result {
	t.Helper()
	r, err := store.GetResult(context.Background(), k)
	if err != nil {
		t.Fatalf("forecast of %s: %v", k, err)
	}
	var res forecast.Result
	if err := record.Result.Decode(r.Body, &res); err != nil {
		t.Fatalf("forecast of %s: %v", k, err)
	}
	return &res
}

// hasNegativeLower reports whether a point of r has a lower bound below 0.
func hasNegativeLower(r *forecast.Result) bool {
	for _, p := range r.Points {
		if p.Lower < 0 {
			return true
		}
	}
	return false
}
