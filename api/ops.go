package api

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// OpsOptions configure the operator-facing parts: dashboard, admin
// listener, logging. Zero fields take the defaults noted.
type OpsOptions struct {
	// AdminAddr is the listen address of the admin listener that serves
	// /debug/pprof; empty disables it. RegisterFlags defaults it to
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

// RegisterFlags adds the options' flags (with FORECASTD_* environment
// defaults) to fs.
func (o *OpsOptions) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.AdminAddr, "admin-addr", opsEnv("FORECASTD_ADMIN_ADDR", "127.0.0.1:0"),
		"listen address of the admin listener serving /debug/pprof (port 0: any free port, printed at start); empty disables it (FORECASTD_ADMIN_ADDR)")
	fs.BoolVar(&o.AllowPublicAdmin, "admin-allow-public", opsEnvBool("FORECASTD_ADMIN_ALLOW_PUBLIC", false),
		"allow a non-loopback -admin-addr (FORECASTD_ADMIN_ALLOW_PUBLIC)")
	fs.DurationVar(&o.MonitorInterval, "monitor-interval", opsEnvDuration("FORECASTD_MONITOR_INTERVAL", 5*time.Second),
		"how often the dashboard's memory monitor samples (FORECASTD_MONITOR_INTERVAL)")
	fs.DurationVar(&o.MonitorWindow, "monitor-window", opsEnvDuration("FORECASTD_MONITOR_WINDOW", 2*time.Hour),
		"how much memory history the dashboard keeps (FORECASTD_MONITOR_WINDOW)")
	on := opsEnvBool("FORECASTD_ACCESS_LOG", true)
	o.AccessLog = &on
	fs.BoolVar(o.AccessLog, "access-log", on, "log one line per HTTP request (FORECASTD_ACCESS_LOG)")
}

// The env helpers are local so that the api package does not depend on
// cmd's; a malformed value falls back to the default, as in cmd.
func opsEnv(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v // an empty FORECASTD_ADMIN_ADDR disables the listener
	}
	return def
}

func opsEnvBool(name string, def bool) bool {
	if b, err := strconv.ParseBool(os.Getenv(name)); err == nil {
		return b
	}
	return def
}

func opsEnvDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
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
