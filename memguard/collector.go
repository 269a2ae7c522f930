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
	offHeap     *prometheus.Desc
	fds         *prometheus.Desc
	maps        *prometheus.Desc
	state       *prometheus.Desc
	budget      *prometheus.CounterVec
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
		offHeap: prometheus.NewDesc("forecastd_memguard_offheap_bytes",
			"Process RSS less resident Go memory (cgo, mmap) after the last guarded run of a kind.", []string{"kind"}, nil),
		fds: prometheus.NewDesc("forecastd_memguard_open_fds",
			"Open file descriptors of the process after the last guarded run of a kind.", []string{"kind"}, nil),
		maps: prometheus.NewDesc("forecastd_memguard_mapped_regions",
			"Mapped memory regions of the process after the last guarded run of a kind.", []string{"kind"}, nil),
		state: prometheus.NewDesc("forecastd_memguard_state",
			"Verdict of the last guarded run of a kind per judged resource (heap, offheap, fds, maps, in_run): 0 clean, 1 suspect, 2 leak.",
			[]string{"kind", "resource"}, nil),
		budget: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "forecastd_memguard_budget_exceeded_total",
			Help: "Guarded runs stopped for exceeding their memory budget, by kind.",
		}, []string{"kind"}),
	}
}

// observe records a finished run.
func (c *collector) observe(rep *Report) {
	c.retained.WithLabelValues(rep.Kind).Observe(float64(rep.RetainedBytes))
	c.verdicts.WithLabelValues(rep.Kind, rep.Verdict.State).Inc()
	if rep.Budget != nil {
		c.budget.WithLabelValues(rep.Kind).Inc()
	}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	c.retained.Describe(ch)
	c.verdicts.Describe(ch)
	c.budget.Describe(ch)
	for _, d := range []*prometheus.Desc{c.quarantined, c.live, c.offHeap, c.fds, c.maps, c.state} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	c.retained.Collect(ch)
	c.verdicts.Collect(ch)
	c.budget.Collect(ch)
	c.g.mu.Lock()
	defer c.g.mu.Unlock()
	for name := range c.g.quarantine {
		ch <- prometheus.MustNewConstMetric(c.quarantined, prometheus.GaugeValue, 1, name)
	}
	for kind, ks := range c.g.kinds {
		if ks.runs == 0 {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.live, prometheus.GaugeValue, float64(ks.last.heapLive), kind)
		if ks.last.rss > 0 {
			ch <- prometheus.MustNewConstMetric(c.offHeap, prometheus.GaugeValue, float64(ks.last.offHeap), kind)
		}
		if ks.last.fds >= 0 {
			ch <- prometheus.MustNewConstMetric(c.fds, prometheus.GaugeValue, float64(ks.last.fds), kind)
		}
		if ks.last.maps >= 0 {
			ch <- prometheus.MustNewConstMetric(c.maps, prometheus.GaugeValue, float64(ks.last.maps), kind)
		}
		for _, j := range ks.lastVerdict.Judgements {
			ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, float64(severity(j.State)), kind, j.Resource)
		}
	}
}

// Collector returns the Guard's metrics for the caller to register:
// forecastd_memguard_retained_bytes{kind} (histogram),
// forecastd_memguard_verdicts_total{kind,verdict},
// forecastd_memguard_quarantined{model},
// forecastd_memguard_heap_live_bytes{kind},
// forecastd_memguard_offheap_bytes{kind},
// forecastd_memguard_open_fds{kind},
// forecastd_memguard_mapped_regions{kind},
// forecastd_memguard_state{kind,resource} (0 clean, 1 suspect, 2 leak) and
// forecastd_memguard_budget_exceeded_total{kind}.
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
