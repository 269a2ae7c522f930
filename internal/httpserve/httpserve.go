// Package httpserve runs an http.Server on a listener in its own
// goroutine and stops it: the one way forecastd's three listeners (the
// API, the admin pprof listener, a worker's metrics listener) start and
// shut down, so each Stop waits for its Serve to return and reports what
// it returned.
package httpserve

import (
	"context"
	"errors"
	"net"
	"net/http"
)

// Running is a server serving on its listener.
type Running struct {
	srv    *http.Server
	served chan error
}

// Serve starts srv on ln in a goroutine that Stop waits for.
func Serve(srv *http.Server, ln net.Listener) *Running {
	r := &Running{srv: srv, served: make(chan error, 1)}
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		r.served <- err
	}()
	return r
}

// Stop shuts the server down, waiting for requests in flight until ctx
// ends and then closing the connections left (a long profile download,
// a slow client), and returns once Serve has returned, with its error.
// Call it once.
func (r *Running) Stop(ctx context.Context) error {
	err := r.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, r.srv.Close())
	}
	return errors.Join(err, <-r.served)
}
