package api

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gin-gonic/gin"
)

// OpsOptions configure the operator-facing parts: dashboard, admin
// listener, logging. Zero fields take the defaults noted.
type OpsOptions struct {
	// AdminAddr is the listen address of the admin listener that serves
	// /debug/pprof; empty disables it. `forecastd serve` defaults it to
	// 127.0.0.1:0, an ephemeral loopback port printed at start, so two
	// instances side by side never collide on it. It must be a loopback address unless
	// AllowPublicAdmin is set: profiles expose memory contents and
	// cost CPU, so they are not for the network at large.
	AdminAddr string
	// AllowPublicAdmin permits a non-loopback AdminAddr.
	AllowPublicAdmin bool
	// MonitorInterval is how often the memory monitor samples; default 5 s.
	MonitorInterval time.Duration
	// MonitorWindow is how much history the monitor keeps; default 2 h.
	MonitorWindow time.Duration
	// AccessLog writes one log line per request; default (nil) true.
	AccessLog *bool

	// state holds the running parts; the server sets it.
	state *opsState
}

// opsState is what the operator-facing parts keep while the server runs.
type opsState struct {
	monitor *monitor
	admin   *adminServer
}

func (o *OpsOptions) defaults() {
	if o.MonitorInterval <= 0 {
		o.MonitorInterval = 5 * time.Second
	}
	if o.MonitorWindow <= 0 {
		o.MonitorWindow = 2 * time.Hour
	}
	if o.AccessLog == nil {
		on := true
		o.AccessLog = &on
	}
}

// check validates the options without side effects, so New can refuse
// bad ones before anything is opened. startOps checks the admin address
// again (it may be called without New's check).
func (o *OpsOptions) check() error {
	if o.AdminAddr != "" {
		if err := checkAdminAddr(o.AdminAddr, o.AllowPublicAdmin); err != nil {
			return err
		}
	}
	if o.MonitorInterval < 0 || o.MonitorWindow < 0 {
		return fmt.Errorf("api: negative monitor interval %s or window %s", o.MonitorInterval, o.MonitorWindow)
	}
	return nil
}

// ops returns the operator-facing state, creating it on first use. The
// router and Start call it from the goroutine that builds the server,
// before anything is served, so no lock is needed.
func (s *Server) ops() *opsState {
	if s.opts.Ops.state == nil {
		s.opts.Ops.defaults()
		s.opts.Ops.state = &opsState{monitor: newMonitor(s.opts.Ops.MonitorInterval, s.opts.Ops.MonitorWindow)}
	}
	return s.opts.Ops.state
}

// opsMiddleware runs before every handler (request IDs, access log).
func (s *Server) opsMiddleware() []gin.HandlerFunc {
	s.ops()
	return []gin.HandlerFunc{s.requestLog(*s.opts.Ops.AccessLog)}
}

// startOps starts the operator-facing background work (memory sampler,
// admin listener); stopOps stops it. Both are called once.
func (s *Server) startOps(ctx context.Context) error {
	st := s.ops()
	if addr := s.opts.Ops.AdminAddr; addr != "" {
		a, err := startAdmin(addr, s.opts.Ops.AllowPublicAdmin, s.log)
		if err != nil {
			return err
		}
		st.admin = a
		s.log.Info("admin listener serving /debug/pprof", "addr", a.Addr())
	}
	st.monitor.Start()
	return nil
}

func (s *Server) stopOps(ctx context.Context) error {
	st := s.opts.Ops.state
	if st == nil {
		return nil
	}
	var errs []error
	if st.admin != nil {
		if err := st.admin.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("api: stop admin listener: %w", err))
		}
	}
	if err := st.monitor.Stop(ctx); err != nil {
		errs = append(errs, fmt.Errorf("api: stop memory monitor: %w", err))
	}
	return errors.Join(errs...)
}

// AdminAddr is the address of the admin listener, empty when it is off.
func (s *Server) AdminAddr() string {
	if st := s.opts.Ops.state; st != nil && st.admin != nil {
		return st.admin.Addr()
	}
	return ""
}
