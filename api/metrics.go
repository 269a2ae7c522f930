package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

// httpMetrics are the edge's own metrics. Labels are route templates and
// status codes: bounded, never a store, SKU or job ID.
type httpMetrics struct {
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	rejected prometheus.Counter
}

func (s *Server) registerMetrics() error {
	m := &httpMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "forecastd_http_request_duration_seconds",
			Help:    "HTTP request latency by route template, method and status code.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
		}, []string{"route", "method", "code"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "forecastd_http_requests_in_flight", Help: "HTTP requests being served.",
		}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "forecastd_http_requests_rejected_total", Help: "Requests refused with 503 because MaxInFlight was reached.",
		}),
	}
	s.metrics = m
	// The runtime, process, memguard and job metrics are registered by
	// jobs.OpenEngine, as in `forecastd worker`.
	for _, c := range []prometheus.Collector{m.duration, m.inFlight, m.rejected} {
		if err := s.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// methodLabel is the method as a label value: one of the methods of RFC
// 9110 and PATCH, or "other". The method is the client's to choose and is
// recorded before authentication, so an unbounded label would let anyone
// grow /metrics (and the server's memory) without end.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "other"
}

// routeLabel is the route template gin matched, or "unmatched": never the
// path, which the client chooses.
func routeLabel(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "unmatched"
}

// instrument records latency and bounds concurrency.
func (s *Server) instrument() gin.HandlerFunc {
	sem := make(chan struct{}, s.opts.MaxInFlight)
	return func(c *gin.Context) {
		select {
		case sem <- struct{}{}:
		default:
			s.metrics.rejected.Inc()
			c.Header("Retry-After", "1")
			problemLimit(c, http.StatusServiceUnavailable, limitInFlight, s.opts.MaxInFlight, "server busy: too many requests in flight, retry shortly")
			return
		}
		s.metrics.inFlight.Inc()
		start := time.Now()
		defer func() {
			<-sem
			s.metrics.inFlight.Dec()
			s.metrics.duration.WithLabelValues(routeLabel(c), methodLabel(c.Request.Method),
				strconv.Itoa(c.Writer.Status())).Observe(time.Since(start).Seconds())
		}()
		c.Next()
	}
}
