package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/features"
)

// rowSink receives the feature rows of one series.
type rowSink interface {
	series(key data.Key, start time.Time, freq data.Frequency, y, m []float64, p int) error
}

// job is one series on its way through buildAll; its buffers are reused
// by later series.
type job struct {
	s     *ingest.Columns
	start time.Time
	y, m  []float64
	covs  [][]float64
	cov   map[string][]float64
	err   error
	done  chan struct{}
}

// buildAll builds the features of every series on GOMAXPROCS workers (at
// most 4), each with its own Builder made like proto, and hands them to sink in key order
// from the calling goroutine, so the output does not depend on scheduling.
// A fixed pool of jobs bounds the memory in flight and is reused, so the
// buffers are allocated once per job, not per series. Every goroutine
// started here has ended when it returns.
func buildAll(ctx context.Context, up *ingest.Upload, proto *features.Builder, freq data.Frequency, sink rowSink, progress io.Writer) (int, error) {
	cfg, p := proto.Config(), proto.NumFeatures()
	// raws now owns the rows, and drops them as it goes.
	raws, covNames := up.Series, up.Covariates
	up.Series = nil

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := min(runtime.GOMAXPROCS(0), 4)
	pool := make(chan *job, 2*workers)
	for range cap(pool) {
		pool <- &job{
			covs: make([][]float64, len(covNames)),
			cov:  make(map[string][]float64, len(covNames)),
			done: make(chan struct{}, 1),
		}
	}
	todo := make(chan *job)
	// order holds every job in circulation, so sending to it never blocks.
	order := make(chan *job, cap(pool))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(order)
		defer close(todo)
		for i, s := range raws {
			var j *job
			select {
			case j = <-pool:
			case <-ctx.Done():
				return
			}
			j.s, raws[i] = s, nil
			order <- j
			select {
			case todo <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := features.NewBuilder(cfg)
			for j := range todo {
				j.err = err
				if err == nil {
					j.build(b, freq, covNames)
				}
				j.done <- struct{}{}
			}
		}()
	}

	var (
		err   error
		rows  int
		count int
		next  = time.Now().Add(2 * time.Second)
	)
	for j := range order {
		select {
		case <-j.done:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err == nil {
			err = j.err
		}
		if err == nil {
			err = sink.series(j.s.Key, j.start, freq, j.y, j.m, p)
		}
		if err != nil {
			break
		}
		rows += len(j.y)
		count++
		j.s = nil
		pool <- j
		if now := time.Now(); now.After(next) {
			fmt.Fprintf(progress, "features: %d/%d series, %d rows\n", count, len(raws), rows)
			next = now.Add(2 * time.Second)
		}
	}
	cancel()
	wg.Wait()
	return rows, err
}

// build assembles the job's series and computes its feature matrix.
func (j *job) build(b *features.Builder, freq data.Frequency, covNames []string) {
	start, y, covs, err := j.s.Grid(freq, j.y, j.covs)
	j.start, j.y, j.covs, j.err = start, y, covs, err
	if err != nil {
		return
	}
	for c, name := range covNames {
		j.cov[name] = covs[c]
	}
	j.m = b.MatrixCov(j.m, y, j.cov, start, freq, 0, len(y))
}
