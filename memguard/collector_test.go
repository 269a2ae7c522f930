package memguard_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/forecastd/forecastd/memguard"
)

// labelsOf returns a metric's labels as a map.
func labelsOf(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

func TestCollector(t *testing.T) {
	g, err := memguard.New(memguard.Options{GoroutineGrace: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := g.Register(reg); err != nil {
		t.Fatal(err)
	}
	if err := memguard.RegisterRuntime(reg); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := g.Run(context.Background(), "fit", func(context.Context) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	g.Quarantine("arima", "test")
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		got[mf.GetName()] = mf
	}
	if mf := got["forecastd_memguard_retained_bytes"]; mf == nil || mf.GetMetric()[0].GetHistogram().GetSampleCount() != 3 {
		t.Errorf("retained histogram: %v", mf)
	}
	if mf := got["forecastd_memguard_verdicts_total"]; mf == nil ||
		labelsOf(mf.GetMetric()[0])["verdict"] != "clean" || mf.GetMetric()[0].GetCounter().GetValue() != 3 {
		t.Errorf("verdicts: %v", mf)
	}
	if mf := got["forecastd_memguard_quarantined"]; mf == nil || labelsOf(mf.GetMetric()[0])["model"] != "arima" {
		t.Errorf("quarantined: %v", mf)
	}
	if mf := got["forecastd_memguard_heap_live_bytes"]; mf == nil || mf.GetMetric()[0].GetGauge().GetValue() <= 0 {
		t.Errorf("live heap: %v", mf)
	}
	for _, name := range []string{"forecastd_memguard_offheap_bytes", "forecastd_memguard_open_fds", "forecastd_memguard_mapped_regions"} {
		if mf := got[name]; mf == nil || len(mf.GetMetric()) != 1 || labelsOf(mf.GetMetric()[0])["kind"] != "fit" {
			t.Errorf("%s: %v", name, mf)
		}
	}
	if mf := got["forecastd_memguard_state"]; mf == nil || len(mf.GetMetric()) != 4 {
		t.Errorf("state per resource: %v", mf)
	}
	if got["go_goroutines"] == nil || got["go_gc_heap_live_bytes"] == nil {
		t.Error("RegisterRuntime did not register the Go collector with runtime metrics")
	}
}
