#!/usr/bin/env python3
"""Writes deploy/grafana/forecastd.json, the Grafana dashboard over the
metrics forecastd exports. Edit the panels here and rerun:

    python3 scripts/gen-grafana.py

Metric names are those of a running server's /metrics (Go collector with
all runtime/metrics, process collector, memguard, HTTP edge); see
scripts/check-prometheus.sh, which also checks that every metric named
here is exported.
"""
import json
import os

SEL = 'job="forecastd", instance=~"$instance"'
DS = {"type": "prometheus", "uid": "${datasource}"}

panels = []
_next_id = [1]
_y = [0]


def row(title):
    panels.append({"type": "row", "title": title, "collapsed": False, "id": _next_id[0],
                   "gridPos": {"h": 1, "w": 24, "x": 0, "y": _y[0]}, "panels": []})
    _next_id[0] += 1
    _y[0] += 1


def panel(title, targets, unit="short", x=0, w=12, h=8, kind="timeseries", desc="", stack=False, bars=False):
    p = {
        "type": kind, "title": title, "description": desc, "id": _next_id[0], "datasource": DS,
        "gridPos": {"h": h, "w": w, "x": x, "y": _y[0]},
        "targets": [{"datasource": DS, "refId": chr(ord("A") + i), "expr": e, "legendFormat": l}
                    for i, (e, l) in enumerate(targets)],
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {},
    }
    if kind == "timeseries":
        custom = {"lineWidth": 1, "fillOpacity": 10, "showPoints": "never"}
        if stack:
            custom["stacking"] = {"mode": "normal", "group": "A"}
        if bars:
            custom.update({"drawStyle": "bars", "fillOpacity": 80})
        p["fieldConfig"]["defaults"]["custom"] = custom
        p["options"] = {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "max"]},
                        "tooltip": {"mode": "multi", "sort": "desc"}}
    if kind == "stat":
        p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "colorMode": "value", "graphMode": "area"}
    _next_id[0] += 1
    panels.append(p)
    if x + w >= 24:
        _y[0] += h


row("Memory")
panel("Process memory", [
    (f'go_gc_heap_live_bytes{{{SEL}}}', "live heap (after last GC)"),
    (f'go_gc_heap_goal_bytes{{{SEL}}}', "heap goal"),
    (f'go_memory_classes_total_bytes{{{SEL}}}', "Go runtime total"),
    (f'process_resident_memory_bytes{{{SEL}}}', "RSS"),
], unit="bytes", x=0, w=12,
    desc="Live heap is what the last GC found reachable; RSS well above Go runtime total means memory held outside Go (cgo, mmap).")
panel("Memory outside the Go runtime", [
    (f'process_resident_memory_bytes{{{SEL}}} - go_memory_classes_total_bytes{{{SEL}}}', "RSS − Go total"),
], unit="bytes", x=12, w=6,
    desc="Positive and growing: memory held by C code or mappings the Go runtime does not know about.")
panel("Goroutines", [
    (f'go_sched_goroutines_goroutines{{{SEL}}}', "goroutines"),
], x=18, w=6)
panel("GC cycles", [
    (f'rate(go_gc_cycles_automatic_gc_cycles_total{{{SEL}}}[$__rate_interval])', "automatic"),
    (f'rate(go_gc_cycles_forced_gc_cycles_total{{{SEL}}}[$__rate_interval])', "forced (memguard settles the heap)"),
], unit="ops", x=0, w=8)
panel("GC pauses", [
    (f'histogram_quantile(0.5, sum by (le) (rate(go_gc_pauses_seconds_bucket{{{SEL}}}[$__rate_interval])))', "p50"),
    (f'histogram_quantile(0.99, sum by (le) (rate(go_gc_pauses_seconds_bucket{{{SEL}}}[$__rate_interval])))', "p99"),
], unit="s", x=8, w=8)
panel("GC CPU share", [
    (f'rate(go_cpu_classes_gc_total_cpu_seconds_total{{{SEL}}}[$__rate_interval]) / rate(go_cpu_classes_total_cpu_seconds_total{{{SEL}}}[$__rate_interval])', "GC / all"),
], unit="percentunit", x=16, w=8)

row("memguard and jobs")
panel("Retained bytes per guarded run, by kind (mean)", [
    (f'sum by (kind) (rate(forecastd_memguard_retained_bytes_sum{{{SEL}}}[$__rate_interval])) / sum by (kind) (rate(forecastd_memguard_retained_bytes_count{{{SEL}}}[$__rate_interval]))', "{{kind}}"),
], unit="bytes", x=0, w=12,
    desc="Settled live heap after a job minus before it. One run proves little; a kind that keeps retaining is what memguard calls a leak.")
panel("Settled live heap after the last run, by kind", [
    (f'forecastd_memguard_heap_live_bytes{{{SEL}}}', "{{kind}}"),
], unit="bytes", x=12, w=12)
panel("Leak verdicts", [
    (f'sum by (kind, verdict) (increase(forecastd_memguard_verdicts_total{{{SEL}}}[$__rate_interval]))', "{{kind}} {{verdict}}"),
], x=0, w=8, stack=True, bars=True)
panel("Jobs finished per hour, by kind and outcome", [
    (f'sum by (kind, outcome) (increase(forecastd_job_duration_seconds_count{{{SEL}}}[1h]))', "{{kind}} {{outcome}}"),
], x=8, w=8, desc="Job throughput: runs finished in this worker, succeeded, failed or interrupted (retried).")
panel("Job duration p50 / p95, by kind", [
    (f'histogram_quantile(0.5, sum by (le, kind) (rate(forecastd_job_duration_seconds_bucket{{{SEL}}}[$__rate_interval])))', "p50 {{kind}}"),
    (f'histogram_quantile(0.95, sum by (le, kind) (rate(forecastd_job_duration_seconds_bucket{{{SEL}}}[$__rate_interval])))', "p95 {{kind}}"),
], unit="s", x=16, w=8)
panel("Quarantined models", [
    (f'sum(forecastd_memguard_quarantined{{{SEL}}}) or vector(0)', "quarantined"),
], x=0, w=8, kind="stat")

row("HTTP")
panel("Latency p95 by route", [
    (f'histogram_quantile(0.95, sum by (le, route) (rate(forecastd_http_request_duration_seconds_bucket{{{SEL}}}[$__rate_interval])))', "{{route}}"),
], unit="s", x=0, w=12)
panel("Latency p50 by route", [
    (f'histogram_quantile(0.5, sum by (le, route) (rate(forecastd_http_request_duration_seconds_bucket{{{SEL}}}[$__rate_interval])))', "{{route}}"),
], unit="s", x=12, w=12)
panel("Requests by route and code", [
    (f'sum by (route, code) (rate(forecastd_http_request_duration_seconds_count{{{SEL}}}[$__rate_interval]))', "{{route}} {{code}}"),
], unit="reqps", x=0, w=12, stack=True)
panel("In flight and rejected", [
    (f'forecastd_http_requests_in_flight{{{SEL}}}', "in flight"),
    (f'rate(forecastd_http_requests_rejected_total{{{SEL}}}[$__rate_interval])', "rejected with 503 (per s)"),
], x=12, w=12)

# Accuracy of the served forecasts on the actuals that arrived (issue 19).
# No store label: stores are unbounded. The drifting count is read from the
# database at scrape, so every replica reports the same: max() over them.
row("Accuracy")
panel("Drifting series", [
    (f'max(forecastd_accuracy_drifting_series{{{SEL}}})', "drifting series"),
    (f'sum(increase(forecastd_accuracy_retrain_series_total{{{SEL}}}[$__rate_interval]))', "series queued for retraining on drift"),
], x=0, w=12, desc="Series whose realized error on their latest scored forecast left what their backtest promised "
   "(GET /v1/accuracy?drifting=true, /ui/accuracy).")
panel("Realized WAPE and 80% coverage of scored forecasts", [
    (f'histogram_quantile(0.5, sum by (le) (rate(forecastd_accuracy_realized_wape_bucket{{{SEL}}}[$__rate_interval])))', "median WAPE"),
    (f'histogram_quantile(0.9, sum by (le) (rate(forecastd_accuracy_realized_wape_bucket{{{SEL}}}[$__rate_interval])))', "90th percentile WAPE"),
    (f'histogram_quantile(0.5, sum by (le) (rate(forecastd_accuracy_realized_coverage80_bucket{{{SEL}}}[$__rate_interval])))', "median 80% coverage"),
], unit="percentunit", x=12, w=12, desc="Quantiles over the series judged in the window, all stores together. Coverage should sit near 0.8.")

dashboard = {
    "title": "forecastd",
    "uid": "forecastd",
    "description": "Memory, memguard leak verdicts, jobs, HTTP latency and forecast accuracy of forecastd. Generated by scripts/gen-grafana.py.",
    "tags": ["forecastd"],
    "timezone": "utc",
    "schemaVersion": 39,
    "version": 1,
    "editable": True,
    "refresh": "30s",
    "time": {"from": "now-3h", "to": "now"},
    "templating": {"list": [
        {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
         "current": {}, "hide": 0},
        {"name": "instance", "label": "Instance", "type": "query", "datasource": DS,
         "query": {"query": 'label_values(go_info{job="forecastd"}, instance)', "refId": "instance"},
         "definition": 'label_values(go_info{job="forecastd"}, instance)',
         "includeAll": True, "multi": True, "allValue": ".*", "refresh": 2, "current": {}, "hide": 0},
    ]},
    "annotations": {"list": [{"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                              "enable": True, "hide": True, "name": "Annotations & Alerts", "type": "dashboard"}]},
    "panels": panels,
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "deploy", "grafana", "forecastd.json")
with open(out, "w") as f:
    json.dump(dashboard, f, indent=2)
    f.write("\n")
