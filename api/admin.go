package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/forecastd/forecastd/internal/httpserve"
)

// ErrPublicAdmin is returned when the admin listener would listen beyond
// loopback without OpsOptions.AllowPublicAdmin.
var ErrPublicAdmin = errors.New("api: admin address is not loopback (set -admin-allow-public to allow it)")

// adminServer serves /debug/pprof on its own listener and its own mux,
// never on the public router: profiles reveal memory contents and a CPU
// profile or trace costs CPU for as long as the client asks.
type adminServer struct {
	ln      net.Listener
	running *httpserve.Running
}

// adminMux registers the pprof handlers on a fresh mux, not on
// http.DefaultServeMux, so nothing else in the process can expose them by
// accident.
func adminMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // also serves the named profiles (heap, goroutine, allocs, ...)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/debug/pprof/", http.StatusFound)
	})
	return mux
}

// checkAdminAddr refuses a host that is not a loopback IP or "localhost"
// unless allowPublic is set. An empty host (":6060") means every
// interface, so it is public.
func checkAdminAddr(addr string, allowPublic bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("api: admin address %q: %w", addr, err)
	}
	if allowPublic {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: %q", ErrPublicAdmin, addr)
}

func startAdmin(addr string, allowPublic bool, log *slog.Logger) (*adminServer, error) {
	if err := checkAdminAddr(addr, allowPublic); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("api: admin listen on %s: %w", addr, err)
	}
	a := &adminServer{ln: ln}
	a.running = httpserve.Serve(&http.Server{
		Handler:           adminMux(),
		ReadHeaderTimeout: 10 * time.Second,
		// No WriteTimeout: /debug/pprof/profile?seconds=N and trace
		// stream for as long as asked.
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}, ln)
	return a, nil
}

// Addr is the address the admin listener listens on.
func (a *adminServer) Addr() string { return a.ln.Addr().String() }

// Stop shuts the listener down, waiting for requests in flight up to ctx,
// then closing what remains (a long CPU profile, say).
func (a *adminServer) Stop(ctx context.Context) error {
	return a.running.Stop(ctx)
}
