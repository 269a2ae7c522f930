package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
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
)

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
	if _, err := store.Ingest(ctx, each(obs)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.IngestCovariates(ctx, each(demo.Plan(o))); err != nil {
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
