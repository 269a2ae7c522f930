package memguard

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// collector exposes a Guard's figures to Prometheus. Counts and
// distributions are kept in metric vectors; the quarantine list and the
// settled live heap per kind are read from the Guard's own state at
// collection, so the metrics never disagree with it. Label values are
// kinds and quarantined names only, which callers keep bounded.
type collector struct {
	g           *Guard
	retained    *prometheus.HistogramVec
	verdicts    *prometheus.CounterVec
	quarantined *prometheus.Desc
	live        *prometheus.Desc
}

func newCollector(g *Guard) *collector {
	return &collector{
		g: g,
		retained: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "forecastd_memguard_retained_bytes",
			Help: "Settled live heap bytes retained by a guarded run (negative when it freed more than it kept).",
			// Retained bytes can be negative; the buckets span a freed
			// MiB to a kept GiB, fine near the 64 KiB noise floor.
			Buckets: []float64{-1 << 20, -64 << 10, 0, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20, 256 << 20, 1 << 30},
		}, []string{"kind"}),
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "forecastd_memguard_verdicts_total",
			Help: "Guarded runs by kind and verdict (clean, suspect, leak).",
		}, []string{"kind", "verdict"}),
		quarantined: prometheus.NewDesc("forecastd_memguard_quarantined",
			"1 for each quarantined name (model).", []string{"model"}, nil),
		live: prometheus.NewDesc("forecastd_memguard_heap_live_bytes",
			"Settled live heap bytes after the last guarded run of a kind.", []string{"kind"}, nil),
	}
}

// observe records a finished run.
func (c *collector) observe(rep *Report) {
	c.retained.WithLabelValues(rep.Kind).Observe(float64(rep.RetainedBytes))
	c.verdicts.WithLabelValues(rep.Kind, rep.Verdict.State).Inc()
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	c.retained.Describe(ch)
	c.verdicts.Describe(ch)
	ch <- c.quarantined
	ch <- c.live
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	c.retained.Collect(ch)
	c.verdicts.Collect(ch)
	c.g.mu.Lock()
	defer c.g.mu.Unlock()
	for name := range c.g.quarantine {
		ch <- prometheus.MustNewConstMetric(c.quarantined, prometheus.GaugeValue, 1, name)
	}
	for kind, ks := range c.g.kinds {
		if ks.runs > 0 {
			ch <- prometheus.MustNewConstMetric(c.live, prometheus.GaugeValue, float64(ks.last.heapLive), kind)
		}
	}
}

// Collector returns the Guard's metrics for the caller to register:
// forecastd_memguard_retained_bytes{kind} (histogram),
// forecastd_memguard_verdicts_total{kind,verdict},
// forecastd_memguard_quarantined{model} and
// forecastd_memguard_heap_live_bytes{kind}.
func (g *Guard) Collector() prometheus.Collector { return g.metrics }

// Register registers the Guard's metrics with reg.
func (g *Guard) Register(reg prometheus.Registerer) error {
	return reg.Register(g.metrics)
}

// RegisterRuntime registers the Go runtime collector, with all
// runtime/metrics exported, and the process collector with reg. It is a
// convenience for services that want memguard's readings next to the
// runtime's own; it is not tied to any Guard.
func RegisterRuntime(reg prometheus.Registerer) error {
	if err := reg.Register(collectors.NewGoCollector(
		collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsAll),
	)); err != nil {
		return err
	}
	return reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}
