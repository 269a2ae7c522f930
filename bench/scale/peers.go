package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/internal/cputime"
	"github.com/forecastd/forecastd/models"
)

// peerModel is one peer model and the forecastd candidate it is set
// against.
type peerModel struct {
	peer, model, forecastd string
}

var peerModels = []peerModel{
	{"R forecast", "ets", "auto_ets"},
	{"R forecast", "auto.arima", "arima"},
	{"R forecast", "thetaf", "theta"},
	{"R forecast", "croston", "croston_sba"},
	{"statsmodels", "SimpleExpSmoothing", "ses"},
	{"statsmodels", "ExponentialSmoothing(add 7)", "holt_winters_add"},
	{"statsmodels", "ThetaModel(7)", "theta"},
	{"statsmodels", "ARIMA(1 1 1)(1 0 1 7)", "arima"},
}

// runPeers times the peers on the first peerSeries series of the first
// size's store and prints them beside forecastd's fit time per fold of
// the matching candidate on the same series.
func runPeers(ctx context.Context, c config, w io.Writer) error {
	db := filepath.Join(c.dir, fmt.Sprintf("store_%d.db", c.sizes[0]))
	fd, err := fitSeconds(ctx, db, c.peerSeries)
	if err != nil {
		return err
	}
	fcpu, err := foldCPU(ctx, db, c.peerSeries, c.horizon, c.windows)
	if err != nil {
		return err
	}
	csvPath := filepath.Join(c.dir, "peer_series.csv")
	if err := writePeerSeries(ctx, db, csvPath, c.peerSeries); err != nil {
		return err
	}
	dir, err := scriptDir()
	if err != nil {
		return err
	}
	got := map[string]peerCost{}
	for _, p := range c.peers {
		var cmd *exec.Cmd
		args := []string{csvPath, strconv.Itoa(c.horizon), strconv.Itoa(c.windows)}
		if p == "r" {
			cmd = exec.CommandContext(ctx, "Rscript", append([]string{filepath.Join(dir, "peers.R")}, args...)...)
		} else {
			cmd = exec.CommandContext(ctx, "/usr/bin/python3", append([]string{filepath.Join(dir, "peers_statsmodels.py")}, args...)...)
		}
		// One thread each, as each forecastd fit runs on one core.
		cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1", "MKL_NUM_THREADS=1")
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("peer %s: %w", p, err)
		}
		if err := parsePeer(out, got); err != nil {
			return fmt.Errorf("peer %s: %w", p, err)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			fmt.Fprintf(w, "peer %s: process CPU %.1fs (start-up and reading included), peak RSS %.0f MB\n", p, cpuSeconds(ru), float64(ru.Maxrss)/1024)
		}
	}
	fmt.Fprintf(w, "\nper candidate-fold on the same %d series (%d folds, h=%d): peers' CPU-s of fit+forecast; forecastd's CPU-s of fit+forecast of the candidate on the same folds (thread CPU time), and beside it the wall seconds per fold its leaderboards record\n",
		c.peerSeries, c.windows, c.horizon)
	fmt.Fprintf(w, "| peer | model | CPU-s per candidate-fold | failed fits | forecastd candidate | forecastd CPU-s per fold | failed fits | peer / forecastd (CPU) | leaderboard wall s per fold |\n")
	fmt.Fprintf(w, "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |\n")
	for _, pm := range peerModels {
		pc, ok := got[pm.model]
		if !ok {
			continue
		}
		per := pc.cpu / pc.fits
		f := fd[pm.forecastd]
		fc := fcpu[pm.forecastd]
		fper := fc.cpu / fc.fits
		fmt.Fprintf(w, "| %s | %s | %.6f | %d/%d | %s | %.6f | %d/%d | %.1fx | %.6f |\n", pm.peer, pm.model, per,
			int(pc.failed), int(pc.fits), pm.forecastd, fper, int(fc.failed), int(fc.fits), per/fper, f[0]/f[1])
	}
	return nil
}

// foldCPU measures, per forecastd candidate matched to a peer, the thread
// CPU seconds of fitting it and forecasting h steps on the first n series
// of db (key order, as the peers read them) over the folds the peers use:
// origins h apart, the last one testing the final h days (a fast
// candidate's folds are run several times over and averaged). The
// goroutine is locked to its thread, so the thread's CPU time is the
// fits' alone, whatever else the machine runs.
func foldCPU(ctx context.Context, db string, n, h, windows int) (map[string]peerCost, error) {
	store, err := sqlstore.OpenSQLite(ctx, db)
	if err != nil {
		return nil, err
	}
	defer func() { _ = store.Close() }() // read-only
	keys, err := store.ListKeys(ctx, sqlstore.SeriesFilter{}, nil, n)
	if err != nil {
		return nil, err
	}
	var obs []data.Observation
	last := keys[len(keys)-1]
	if err := store.LoadObservations(ctx, sqlstore.SeriesFilter{Through: &last}, func(o data.Observation) error {
		o.Covariates = nil // the peers get quantities only, and no plan makes them known
		obs = append(obs, o)
		return nil
	}); err != nil {
		return nil, err
	}
	series, err := ingest.Assemble(obs, data.Daily)
	if err != nil {
		return nil, err
	}
	reg := models.Standard()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	out := map[string]peerCost{}
	for _, pm := range peerModels {
		name := pm.forecastd
		if _, done := out[name]; done {
			continue
		}
		spec, ok := reg.Lookup(name)
		if !ok {
			return nil, fmt.Errorf("forecastd candidate %q not registered", name)
		}
		// The thread's CPU clock advances in steps coarser than a
		// Croston fit: time whole passes over the folds, repeated until
		// they add up to a measurable span.
		var pc peerCost
		t0 := cputime.Thread()
		for pass := 0; pass == 0 || (cputime.Thread()-t0).Seconds() < 0.2 && pass < 10000; pass++ {
			for _, s := range series {
				for j := windows - 1; j >= 0; j-- {
					end := len(s.Values) - h - j*h
					if end < 14 {
						continue
					}
					in := models.Input{Y: s.Values[:end:end], Start: s.Start, Freq: s.Freq, Season: 7}
					fitted, err := spec.New().Fit(ctx, in)
					if err == nil {
						_, err = fitted.Forecast(ctx, in, h)
					}
					pc.fits++
					if err != nil {
						pc.failed++
					}
				}
			}
		}
		pc.cpu = (cputime.Thread() - t0).Seconds()
		if pc.fits == 0 {
			return nil, fmt.Errorf("forecastd %s: no folds", name)
		}
		out[name] = pc
	}
	return out, nil
}

type peerCost struct{ cpu, fits, failed float64 }

// parsePeer reads a peer's model,cpu_seconds,fits,failed lines.
func parsePeer(out []byte, got map[string]peerCost) error {
	recs, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
	if err != nil {
		return err
	}
	if len(recs) < 2 {
		return fmt.Errorf("no timings in %q", out)
	}
	for _, r := range recs[1:] {
		var pc peerCost
		for i, p := range []*float64{&pc.cpu, &pc.fits, &pc.failed} {
			if *p, err = strconv.ParseFloat(r[i+1], 64); err != nil {
				return fmt.Errorf("line %q: %w", r, err)
			}
		}
		if pc.fits == 0 {
			return fmt.Errorf("model %s: no fits", r[0])
		}
		got[r[0]] = pc
	}
	return nil
}

// writePeerSeries writes the first n series of db (in key order, as
// fitSeconds reads them) as date,store,sku,quantity.
func writePeerSeries(ctx context.Context, db, path string, n int) error {
	store, err := sqlstore.OpenSQLite(ctx, db)
	if err != nil {
		return err
	}
	defer func() { _ = store.Close() }() // read-only
	keys, err := store.ListKeys(ctx, sqlstore.SeriesFilter{}, nil, n)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	_, err = bw.WriteString("date,store,sku,quantity\n")
	last := keys[len(keys)-1]
	err = errors.Join(err, store.LoadObservations(ctx, sqlstore.SeriesFilter{Through: &last}, func(o data.Observation) error {
		_, err := fmt.Fprintf(bw, "%s,%s,%s,%g\n", o.Date.Format("2006-01-02"), o.Key.Store, o.Key.SKU, o.Quantity)
		return err
	}))
	err = errors.Join(err, bw.Flush(), f.Close())
	return err
}

// scriptDir is bench/scale, where the peers' scripts are: run.sh runs
// the harness from the repository's root.
func scriptDir() (string, error) {
	for _, d := range []string{"bench/scale", "."} {
		if _, err := os.Stat(filepath.Join(d, "peers.R")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("peers.R not found: run from the repository root (bench/scale/run.sh does)")
}
