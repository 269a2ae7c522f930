package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the job runner's Prometheus metrics. Labels are the job
// kind and the outcome: bounded, never a job ID.
type Metrics struct {
	duration *prometheus.HistogramVec
}

// NewMetrics registers the job metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "forecastd_job_duration_seconds",
		Help:    "Wall time of a job's run in this worker, by kind and outcome (succeeded, failed, interrupted); its count gives job throughput.",
		Buckets: prometheus.ExponentialBuckets(0.05, 2.5, 12),
	}, []string{"kind", "outcome"})}
	if err := reg.Register(m.duration); err != nil {
		return nil, err
	}
	return m, nil
}

// outcome names how a run ended for the metrics.
func outcome(ctx context.Context, err error) string {
	switch {
	case err == nil:
		return "succeeded"
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return "interrupted"
	default:
		return "failed"
	}
}

// observe records a run that started at start. A nil *Metrics records
// nothing.
func (m *Metrics) observe(kind Kind, outcome string, start time.Time) {
	if m == nil {
		return
	}
	m.duration.WithLabelValues(kind.String(), outcome).Observe(time.Since(start).Seconds())
}
