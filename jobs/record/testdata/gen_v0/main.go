// Command gen_v0 writes v0_rows.json: job and result rows exactly as
// forecastd stored them before the record codec (commit 143c951), when
// every persisted value was bare JSON with no version. The record tests
// read them back to prove that rows written by that code stay readable.
//
// It only builds against the code of that commit (it uses the Runner's
// old API); to regenerate, from the repository root:
//
//	git worktree add /tmp/v0 143c951
//	mkdir -p /tmp/v0/jobs/record/testdata/gen_v0
//	cp jobs/record/testdata/gen_v0/main.go /tmp/v0/jobs/record/testdata/gen_v0/
//	(cd /tmp/v0 && go run ./jobs/record/testdata/gen_v0) > jobs/record/testdata/v0_rows.json
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

type jobRow struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Params string `json:"params"`
	Memory string `json:"memory"`
	Phases string `json:"phases"`
}

type resultRow struct {
	Store  string `json:"store"`
	SKU    string `json:"sku"`
	JobID  string `json:"job_id"`
	Body   string `json:"body"`
	Models string `json:"models"`
}

type rows struct {
	Commit string      `json:"commit"`
	Jobs   []jobRow    `json:"jobs"`
	Result []resultRow `json:"results"`
	// FanOutMemory is a memory summary as a fan-out parent stored it
	// (the worst partition's, with its worker).
	FanOutMemory string `json:"fan_out_memory"`
}

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

func main() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "gen_v0")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "forecastd.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	o := demo.Options{Stores: 1, SKUs: 2, Days: 150}
	if _, err := store.IngestCovariates(ctx, each(demo.Plan(o))); err != nil {
		log.Fatal(err)
	}
	obs := demo.Sales(o)
	// A series too short for a tournament: its result is a fallback with
	// no kept models.
	day := time.Date(2026, 10, 27, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		obs = append(obs, data.Observation{Key: data.Key{Store: "S01", SKU: "TINY"}, Date: day.AddDate(0, 0, i), Quantity: float64(i)})
	}
	if _, err := store.Ingest(ctx, each(obs)); err != nil {
		log.Fatal(err)
	}
	guard, err := memguard.New(memguard.Options{})
	if err != nil {
		log.Fatal(err)
	}
	reg := models.Standard()
	r := &jobs.Runner{Store: store, Registry: reg, Guard: guard, Workers: 1,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	params := []jobs.Params{
		// One backtest fold: coverage is undefined (null).
		{Kind: jobs.KindTrain, Horizon: 7, BacktestWindows: 1, SKUs: []string{"SKU001", "TINY"},
			Models: []string{"naive", "ses", "seasonal_naive"}},
		// Kept models with states of several families, covariates included.
		{Kind: jobs.KindTrain, Horizon: 7, TopK: 3, SKUs: []string{"SKU002"},
			Models: []string{"ridge", "ses", "theta", "auto_ets"}},
	}
	var out rows
	out.Commit = "143c951"
	for i, p := range params {
		if err := p.Validate(reg); err != nil {
			log.Fatal(err)
		}
		raw, err := json.Marshal(p) // as Queue.Enqueue stored params
		if err != nil {
			log.Fatal(err)
		}
		j := &sqlstore.Job{ID: fmt.Sprintf("job-v0-%d", i+1), Kind: p.Kind, Params: raw}
		if err := store.CreateJob(ctx, j, nil); err != nil {
			log.Fatal(err)
		}
		if err := r.Execute(ctx, j.ID); err != nil {
			log.Fatal(err)
		}
	}
	db := store.DB()
	jr, err := db.QueryContext(ctx, `SELECT id, kind, params, memory, phases FROM jobs ORDER BY id`)
	if err != nil {
		log.Fatal(err)
	}
	for jr.Next() {
		var row jobRow
		var mem, ph sql.NullString
		if err := jr.Scan(&row.ID, &row.Kind, &row.Params, &mem, &ph); err != nil {
			log.Fatal(err)
		}
		row.Memory, row.Phases = mem.String, ph.String
		out.Jobs = append(out.Jobs, row)
	}
	if err := jr.Err(); err != nil {
		log.Fatal(err)
	}
	rr, err := db.QueryContext(ctx, `SELECT store, sku, job_id, body, models FROM results ORDER BY store, sku`)
	if err != nil {
		log.Fatal(err)
	}
	for rr.Next() {
		var row resultRow
		if err := rr.Scan(&row.Store, &row.SKU, &row.JobID, &row.Body, &row.Models); err != nil {
			log.Fatal(err)
		}
		out.Result = append(out.Result, row)
	}
	if err := rr.Err(); err != nil {
		log.Fatal(err)
	}
	// What collect stored for a fan-out job: the worst partition's
	// summary, which the partition had tagged with its worker.
	var m jobs.MemorySummary
	if err := json.Unmarshal([]byte(out.Jobs[0].Memory), &m); err != nil {
		log.Fatal(err)
	}
	m.Worker = "w1"
	fm, err := json.Marshal(&m)
	if err != nil {
		log.Fatal(err)
	}
	out.FanOutMemory = string(fm)
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		log.Fatal(err)
	}
}
