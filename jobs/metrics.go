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
	series   *prometheus.CounterVec
}

// NewMetrics registers the job metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "forecastd_job_duration_seconds",
		Help:    "Wall time of a job's run in this worker, by kind and outcome (succeeded, failed, interrupted); its count gives job throughput.",
		Buckets: prometheus.ExponentialBuckets(0.05, 2.5, 12),
	}, []string{"kind", "outcome"}),
		series: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "forecastd_job_series_total",
			Help: "Series of succeeded jobs by kind and outcome: full (the tournament as asked), reduced (a backtest cut to the history), fallback, failed, excluded (could not be assembled).",
		}, []string{"kind", "outcome"})}
	for _, c := range []prometheus.Collector{m.duration, m.series} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observeSeries counts the series of a succeeded job by outcome. A nil
// *Metrics records nothing.
func (m *Metrics) observeSeries(kind Kind, s *Summary) {
	if m == nil || s == nil {
		return
	}
	for _, c := range []struct {
		outcome string
		n       int
	}{{"full", s.Full}, {"reduced", s.Reduced}, {"fallback", s.Fallback}, {"failed", s.Failed}, {"excluded", s.Excluded}} {
		m.series.WithLabelValues(kind.String(), c.outcome).Add(float64(c.n))
	}
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
