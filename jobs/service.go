package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/forecastd/forecastd/internal/httpserve"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

// WorkerOptions configure a Worker. Zero fields take the defaults noted.
type WorkerOptions struct {
	Backend Backend
	// DataDir holds the SQLite database when Backend has no DatabaseURL.
	DataDir string
	// Addr, if set, is where /healthz and /metrics are served (no API).
	Addr string
	// Jobs is how many partitions (or whole jobs) run at once; default 1.
	Jobs int
	// SeriesWorkers bounds the series trained at once; default GOMAXPROCS.
	SeriesWorkers int
	// BatchSize is EngineOptions.BatchSize; default DefaultBatchSize.
	BatchSize int
	// Guard configures this worker's memguard.
	Guard    memguard.Options
	Registry *models.Registry
	Logger   *slog.Logger
	// ShutdownTimeout bounds Stop; default 20 s.
	ShutdownTimeout time.Duration
}

// Worker is a process that only works jobs: `forecastd worker`. It has
// its own memguard, whose reports carry the worker's name.
type Worker struct {
	opts   WorkerOptions
	engine *Engine
	reg    *prometheus.Registry
	http   *http.Server
	ln     net.Listener

	running  *httpserve.Running // the metrics listener, once started
	stopOnce sync.Once
	stopErr  error
}

// NewWorker opens the backend and memguard (OpenEngine); nothing runs
// until Start.
func NewWorker(ctx context.Context, opts WorkerOptions) (*Worker, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 20 * time.Second
	}
	reg := prometheus.NewRegistry()
	e, err := OpenEngine(ctx, EngineOptions{Backend: opts.Backend, DataDir: opts.DataDir, Workers: opts.Jobs, Work: true,
		SeriesWorkers: opts.SeriesWorkers, BatchSize: opts.BatchSize, Guard: opts.Guard, Registry: opts.Registry, Logger: opts.Logger, Metrics: reg})
	if err != nil {
		return nil, err
	}
	w := &Worker{opts: opts, engine: e, reg: reg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, r *http.Request) {
		if err := e.Store.DB().PingContext(r.Context()); err != nil {
			http.Error(rw, "database: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(rw, "{\"status\":\"ok\",\"worker\":%q}\n", e.Queue.Name())
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	w.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	return w, nil
}

// Name is the worker's name.
func (w *Worker) Name() string { return w.engine.Queue.Name() }

// Addr is the metrics listener's address (after Start), or "".
func (w *Worker) Addr() string {
	if w.ln == nil {
		return ""
	}
	return w.ln.Addr().String()
}

// Start starts working jobs and the metrics listener.
func (w *Worker) Start(ctx context.Context) error {
	if w.opts.Addr != "" {
		ln, err := net.Listen("tcp", w.opts.Addr)
		if err != nil {
			return fmt.Errorf("jobs: listen on %s: %w", w.opts.Addr, err)
		}
		w.ln = ln
		w.running = httpserve.Serve(w.http, ln)
	}
	if err := w.engine.Queue.Start(ctx); err != nil {
		return err
	}
	w.opts.Logger.Info("forecastd worker started", "worker", w.Name(), "metrics", w.Addr())
	return nil
}

// Stop cancels running partitions (River retries them, on another worker
// if one runs), stops the listener and closes the databases; bounded by
// ShutdownTimeout and idempotent.
func (w *Worker) Stop(ctx context.Context) error {
	w.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.opts.ShutdownTimeout)
		defer cancel()
		w.stopErr = w.close(ctx)
	})
	return w.stopErr
}

func (w *Worker) close(ctx context.Context) error {
	var errs []error
	if w.running != nil {
		if err := w.running.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("jobs: metrics shutdown: %w", err))
		}
	}
	if err := w.engine.Close(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
