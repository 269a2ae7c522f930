package api

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

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/internal/httpserve"
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/memguard"
	"github.com/forecastd/forecastd/models"
)

// Options configure a Server. Zero fields take the defaults noted.
type Options struct {
	// Addr is the listen address; default 127.0.0.1:8080. Use
	// 127.0.0.1:0 for an ephemeral port (tests).
	Addr string
	// DataDir holds the SQLite database; default ./var.
	DataDir string
	// Demo loads the deterministic demo data when the database has no
	// sales, with a promotion plan for the weeks after it, and queues
	// one training job over it.
	Demo bool
	// DemoHorizon is the horizon of that job; default 28.
	DemoHorizon int
	// JobWorkers is how many jobs run at once; 0 means this process only
	// serves the API and never works jobs. Default (negative) 1.
	JobWorkers int
	// SeriesWorkers bounds the series trained at once inside a job;
	// default GOMAXPROCS.
	SeriesWorkers int
	// MaxBodyBytes bounds a request body; default 1 GiB (uploads are
	// streamed, so this bounds time and disk, not memory).
	MaxBodyBytes int64
	// MaxInFlight bounds concurrent requests; beyond it the server answers
	// 503. Default 256.
	MaxInFlight int
	// ShutdownTimeout bounds Stop; default 20 s.
	ShutdownTimeout time.Duration
	// Guard configures memguard.
	Guard memguard.Options
	// Registry is the candidate set; default models.Standard().
	Registry *models.Registry
	Logger   *slog.Logger

	// Backend selects storage and the job engine (embedded SQLite by default).
	Backend BackendOptions
	// Ops configures the dashboard, admin listener and logging.
	Ops OpsOptions
	// Security configures authentication and request limits.
	Security SecurityOptions
	// Limits bound connections, write times, the job queue and reads
	// (limits.go).
	Limits Limits
}

func (o *Options) defaults() {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:8080"
	}
	if o.DataDir == "" {
		o.DataDir = "var"
	}
	if o.DemoHorizon == 0 {
		o.DemoHorizon = 28
	}
	if o.JobWorkers < 0 {
		o.JobWorkers = 1
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 30
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 256
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 20 * time.Second
	}
	if o.Registry == nil {
		o.Registry = models.Standard()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Limits.defaults()
}

// Server is the forecastd service.
type Server struct {
	opts    Options
	log     *slog.Logger
	engine  *jobs.Engine
	store   *sqlstore.Store
	queue   *jobs.Queue
	guard   *memguard.Guard
	reg     *prometheus.Registry
	metrics *httpMetrics
	http    *http.Server
	ln      net.Listener
	ready   chan struct{}
	// explainSlots holds a token per explanation or scenario being
	// computed (explain.go), for the API and the dashboard alike.
	explainSlots chan struct{}
	drain        *arrivalDrain // scores arrivals uploads left pending (accuracy.go)

	// running is the HTTP server once Start has it serving on ln.
	running  *httpserve.Running
	stopOnce sync.Once
	stopErr  error
}

// New opens the database (running migrations), the job queue and
// memguard, and builds the router. Nothing listens until Start.
func New(ctx context.Context, opts Options) (*Server, error) {
	opts.defaults()
	if err := opts.Security.check(opts.Addr); err != nil {
		return nil, err
	}
	if err := opts.Ops.check(); err != nil {
		return nil, err
	}
	s := &Server{opts: opts, log: opts.Logger, reg: prometheus.NewRegistry(), ready: make(chan struct{}),
		explainSlots: make(chan struct{}, maxConcurrentExplains)}
	// The HTTP metrics first: they need nothing open, so a failure here
	// leaves nothing to close.
	if err := s.registerMetrics(); err != nil {
		return nil, err
	}
	e, err := jobs.OpenEngine(ctx, jobs.EngineOptions{Backend: opts.Backend.Backend, DataDir: opts.DataDir,
		Workers: opts.JobWorkers, Work: opts.JobWorkers > 0, SeriesWorkers: opts.SeriesWorkers, Guard: opts.Guard,
		Registry: opts.Registry, Logger: opts.Logger, Metrics: s.reg})
	if err != nil {
		return nil, err
	}
	s.engine, s.store, s.queue, s.guard = e, e.Store, e.Queue, e.Guard
	// writeDeadline shortens the WriteTimeout per route; the server's is
	// the longest, that of transfers.
	s.http = &http.Server{
		Handler:           s.router(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       10 * time.Minute, // large uploads stream slowly
		WriteTimeout:      opts.Limits.TransferWriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
		ConnState:         newConnLimiter(opts.Limits.MaxConns, opts.Limits.MaxConnsPerHost).ConnState,
	}
	return s, nil
}

// Start listens, starts the job workers, loads the demo data if asked,
// and serves in the background until Stop.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("api: listen on %s: %w", s.opts.Addr, err)
	}
	// s.running is set only once Serve runs: Stop waits for Serve to
	// return exactly when it is set, so a Start that fails half-way must
	// not leave it behind.
	if err := s.startBackground(ctx); err != nil {
		return errors.Join(err, ln.Close())
	}
	s.ln = ln
	s.running = httpserve.Serve(s.http, ln)
	close(s.ready)
	s.log.Info("forecastd listening", "addr", s.Addr())
	return nil
}

// startBackground starts what runs beside the listener: the job
// workers, the operator parts, and the demo data if asked.
func (s *Server) startBackground(ctx context.Context) error {
	if err := s.queue.Start(ctx); err != nil {
		return err
	}
	if err := s.startOps(ctx); err != nil {
		return err
	}
	s.drain = s.startDrain(drainEvery)
	if s.opts.Demo {
		return s.loadDemo(ctx)
	}
	return nil
}

// Addr is the address the server listens on (after Start).
func (s *Server) Addr() string {
	if s.ln == nil {
		return s.opts.Addr
	}
	return s.ln.Addr().String()
}

// Store exposes the store (for tests and batch tools).
func (s *Server) Store() *sqlstore.Store { return s.store }

// Stop shuts down gracefully: it stops accepting requests and lets
// in-flight ones finish, cancels running jobs (River retries them on the
// next start), and closes the databases; all bounded by ShutdownTimeout.
// It is idempotent.
func (s *Server) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ShutdownTimeout)
		defer cancel()
		var errs []error
		if s.running != nil {
			if err := s.running.Stop(ctx); err != nil {
				errs = append(errs, fmt.Errorf("api: http shutdown: %w", err))
			}
		}
		if err := s.stopOps(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := s.drain.stop(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := s.engine.Close(ctx); err != nil {
			errs = append(errs, err)
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

func (s *Server) loadDemo(ctx context.Context) error {
	n, err := s.store.CountSales(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	// The promotion calendar first: a crash between the two leaves no
	// sales, so the next start loads the demo again.
	if _, err := s.store.IngestCovariates(ctx, data.Each(demo.Plan(demo.Options{}))); err != nil {
		return fmt.Errorf("api: load demo promotion plan: %w", err)
	}
	st, err := s.store.Ingest(ctx, data.Each(demo.Sales(demo.Options{})))
	if err != nil {
		return fmt.Errorf("api: load demo data: %w", err)
	}
	p := jobs.Params{Horizon: s.opts.DemoHorizon}
	if err := p.Validate(s.opts.Registry); err != nil {
		return err
	}
	j, err := s.queue.Enqueue(ctx, p, "demo")
	if err != nil {
		return fmt.Errorf("api: queue demo job: %w", err)
	}
	s.log.Info("demo data loaded", "rows", st.Rows, "series", st.Series, "job_id", j.ID)
	return nil
}
