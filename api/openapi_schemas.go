package api

// The shared schemas of the OpenAPI document (components/schemas), one
// function per resource group; openAPISchemas merges them.

func openAPISchemas() oaObj {
	schemas := oaObj{}
	for _, group := range []oaObj{problemSchemas(), dataSchemas(), jobSchemas(), forecastSchemas(), memguardSchemas(), explainSchemas(), accuracySchemas()} {
		for name, s := range group {
			schemas[name] = s
		}
	}
	return schemas
}

// problemSchemas is the RFC 9457 error body.
func problemSchemas() oaObj {
	return oaObj{
		"Problem": object(oaObj{"type": str("URI of the problem type; about:blank"), "title": str(""), "status": integer(),
			"detail": str("what went wrong, for a person"),
			"errors": array(object(oaObj{"line": integer(), "column": str("the column or field at fault, when one is"),
				"reason": str("")}, "line", "reason")),
			"limit": object(oaObj{"name": str("the limit's name, as the README's Limits section lists it"),
				"value": str("the limit's value")}, "name", "value")}, "type", "title", "status"),
	}
}

// dataSchemas are the upload rows and the stored series and plans.
func dataSchemas() oaObj {
	return oaObj{
		"SalesRow": object(oaObj{"date": str("YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS for hourly data"), "store": str(""), "sku": str(""),
			"quantity": number(), "covariates": oaObj{"type": "object", "additionalProperties": number(),
				"description": "optional covariate values recorded with the sale, by name"}}, "date", "store", "sku", "quantity"),
		"CovariateRow": object(oaObj{"date": str("YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS for hourly data"), "store": str(""), "sku": str(""),
			"covariates": oaObj{"type": "object", "additionalProperties": number(), "minProperties": 1,
				"description": "covariate name to value; names as in the sales upload"}}, "date", "store", "sku", "covariates"),
		"IngestStats": object(oaObj{"rows": integer(), "series": integer()}),
		"Plan": object(oaObj{"store": str(""), "sku": str(""),
			"covariates": oaObj{"type": "object", "description": "covariate name to its planned values, sorted by date",
				"additionalProperties": array(object(oaObj{"date": str("YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS for a time of day"),
					"value": number()}, "date", "value"))}}, "store", "sku", "covariates"),
		"PlanDeleted": object(oaObj{"store": str(""), "sku": str(""), "deleted": oaObj{"type": "integer", "description": "planned values deleted"}},
			"store", "sku", "deleted"),
		"SeriesDeleted": object(oaObj{"store": str(""), "sku": str(""), "deleted": object(oaObj{
			"sales":              oaObj{"type": "integer", "description": "sales rows deleted"},
			"planned_covariates": oaObj{"type": "integer", "description": "planned values deleted (0 for a date range)"},
			"forecasts":          oaObj{"type": "integer", "description": "published forecasts deleted (0 for a date range)"},
			"vintages":           oaObj{"type": "integer", "description": "kept vintages deleted with their accuracy scores (0 for a date range)"},
			"scored_steps":       oaObj{"type": "integer", "description": "forecast steps whose score rested on the deleted sales; the series is scored again on the sales left"},
			"attributes":         oaObj{"type": "integer", "description": "series attributes deleted (0 for a date range)"},
		}, "sales", "planned_covariates", "forecasts", "vintages", "scored_steps", "attributes")}, "store", "sku", "deleted"),
		"SeriesInfo": object(oaObj{"store": str(""), "sku": str(""), "rows": integer(),
			"first_date": oaObj{"type": "string", "format": "date-time"}, "last_date": oaObj{"type": "string", "format": "date-time"}}),
	}
}

// jobSchemas are a job's request and state.
func jobSchemas() oaObj {
	return oaObj{
		"JobRequest": object(oaObj{
			"kind":             oaObj{"type": "string", "enum": []string{"train", "refresh"}, "default": "train"},
			"horizon":          oaObj{"type": "integer", "minimum": 1, "maximum": 1000, "description": "steps to forecast"},
			"top_k":            oaObj{"type": "integer", "minimum": 1, "maximum": 20, "default": 5, "description": "models kept in the combination"},
			"backtest_windows": oaObj{"type": "integer", "minimum": 1, "maximum": 20, "default": 3, "description": "rolling-origin folds"},
			"step":             oaObj{"type": "integer", "minimum": 1, "maximum": 1000, "description": "steps between fold origins; default the horizon"},
			"season":           oaObj{"type": "integer", "minimum": 0, "maximum": 1000, "description": "season length; 0 infers it from the frequency"},
			"metric":           oaObj{"type": "string", "enum": []string{"mase", "mae", "rmse", "mape", "smape", "rmsse", "wape"}, "default": "mase"},
			"combine":          oaObj{"type": "string", "enum": []string{"inverse", "mean", "median"}, "default": "inverse"},
			"stores":           array(oaObj{"type": "string"}),
			"skus":             array(oaObj{"type": "string"}),
			"models":           oaObj{"type": "array", "items": oaObj{"type": "string"}, "description": "candidate names (GET /v1/models); default the default tournament"},
			"partition_by":     oaObj{"type": "string", "enum": []string{"series", "store"}, "default": "series", "description": "how a job fans out to workers (PostgreSQL backend)"},
			"partition_size":   oaObj{"type": "integer", "minimum": 0, "maximum": 100000, "description": "series per partition; 0 takes the worker's default"},
			"negative": oaObj{"type": "string", "enum": []string{"allow", "clip", "refuse"}, "default": "allow",
				"description": "a series with negative values: allow trains it as it is (candidates that need non-negative data decline it), clip trains on max(y, 0), refuse excludes it from the job with a warning"},
			"reconcile": oaObj{"type": "string", "enum": []string{"none", "bottom_up", "top_down", "mint_ols", "mint_wls", "mint_shrink"}, "default": "none",
				"description": "hierarchical reconciliation: other than none, the job also trains the sums per store, per SKU and in total, makes every forecast coherent by this method, and publishes the sums as /v1/forecasts/{store}/_total, /v1/forecasts/_total/{sku} and /v1/forecasts/_total/_total; with series attributes (POST /v1/series/attributes), also per attribute value across stores and per store, at /v1/aggregates/{name}/{value}"},
			"series": oaObj{"type": "array", "items": object(oaObj{"store": str(""), "sku": str("")}, "store", "sku"),
				"description": "only these series (with stores and skus, which still apply); a retraining on drift names the drifting series"},
			"reason": oaObj{"type": "string", "enum": []string{"drift"}, "description": "why a job forecastd queued itself runs: drift (FORECASTD_RETRAIN_ON_DRIFT)"},
			"drift":  array(ref("DriftFigure")),
		}, "horizon"),
		"Job": object(oaObj{"id": str(""), "kind": str(""), "state": oaObj{"type": "string", "enum": []string{"queued", "running", "succeeded", "failed", "cancelled"}},
			"params": ref("JobRequest"), "progress": oaObj{"type": "number", "minimum": 0, "maximum": 1},
			"series_total": integer(), "series_done": integer(),
			"created_at": oaObj{"type": "string", "format": "date-time"}, "started_at": oaObj{"type": "string", "format": "date-time"},
			"finished_at": oaObj{"type": "string", "format": "date-time"}, "error": str(""),
			"eta_seconds": oaObj{"type": "number", "description": "estimated seconds left, while running"},
			"phases": object(oaObj{"load_seconds": number(), "train_seconds": number(), "publish_seconds": number(),
				"global": object(oaObj{"series": integer(), "groups": integer(), "models": integer(), "rows": integer(),
					"max_rows": integer(), "seconds": number(),
					"cpu_seconds": oaObj{"type": "number", "description": "process CPU while the global candidates' pools trained"}})}),
			"memory": object(oaObj{"report_id": str(""), "heap_live_before": integer(), "heap_live_after": integer(),
				"retained_bytes": integer(), "rss_before": integer(), "rss_after": integer(),
				"goroutines_before": integer(), "goroutines_after": integer(),
				"verdict": oaObj{"type": "string", "enum": []string{"clean", "suspect", "leak"}}, "reason": str(""),
				"slope_bytes_per_run": number(), "worker": str("the process whose memguard made the report")}),
			"summary":    ref("JobSummary"),
			"request_id": str("X-Request-ID of the request that created it"),
			"fan_out": oaObj{"allOf": []oaObj{ref("JobFanOut")},
				"description": "while a fanned-out job runs: its partitions as they stand (live true), read from the queue at as_of; failovers appear as soon as a heartbeat detects them. The finished job's are in summary.fan_out"}}),
		"JobSummary": object(oaObj{
			"series_total":       oaObj{"type": "integer", "description": "series the job selected, excluded ones included"},
			"trained":            oaObj{"type": "integer", "description": "series with a forecast from this job"},
			"excluded":           oaObj{"type": "integer", "description": "series left out: they cannot be assembled (dates out of range, mixed frequency, span or covariates past the limits), or have negative values under negative=refuse"},
			"failed":             oaObj{"type": "integer", "description": "series whose training failed"},
			"fallback":           oaObj{"type": "integer", "description": "trained series whose forecast is a fallback rather than the tournament's"},
			"full":               oaObj{"type": "integer", "description": "trained series whose tournament ran as asked"},
			"cold_start":         oaObj{"type": "integer", "description": "trained series too short for a tournament, forecast by a global model (global_gbdt) trained on the job's other series"},
			"reduced":            oaObj{"type": "integer", "description": "trained series whose backtest was cut to fit a short history (fewer folds, a shorter validation horizon or fewer candidates)"},
			"covariates_dropped": oaObj{"type": "integer", "description": "trained series whose tournament left out a covariate of the history, with no plan over the whole horizon (a warning of kind covariate names them)"},
			"warnings": oaObj{"type": "array", "description": "the first 100 warnings: series that are not full (excluded, failed, fallback, reduced) and series that dropped a covariate (covariate), with the reason",
				"items": object(oaObj{"series": str("store/sku"), "kind": oaObj{"type": "string", "enum": []string{"excluded", "failed", "fallback", "reduced", "cold_start", "covariate"}},
					"reason": str("")}, "series", "kind", "reason")},
			"warnings_omitted": oaObj{"type": "integer", "description": "warnings past the first 100, not listed"},
			"reconcile": object(oaObj{"method": str("the method asked"), "ran": str("the method that ran"),
				"state":         oaObj{"type": "string", "enum": []string{"reconciled", "degraded", "skipped"}, "description": "degraded: another method ran; skipped: no aggregates published, the series are as trained; reason says why"},
				"reason":        str("why the reconciliation did less than asked"),
				"aggregates":    oaObj{"type": "integer", "description": "aggregate series published under _total keys"},
				"residual_rows": oaObj{"type": "integer", "description": "backtest error samples common to every series, for the error covariance"},
				"lambda":        oaObj{"type": "number", "description": "shrinkage intensity of the error covariance"},
				"clipped":       oaObj{"type": "integer", "description": "reconciled values below zero set to zero (series of counts)"},
				"attributes":    array(str("series attribute that added levels: its aggregates are at /v1/aggregates/{name}/{value}"))},
				"method", "state", "aggregates"),
			"fan_out": ref("JobFanOut"),
		}, "series_total", "trained", "excluded", "failed", "fallback", "warnings"),
		"JobFanOut": jobFanOutSchema(),
	}
}

// jobFanOutSchema is a partitioned job's partitions: timings and
// failovers (jobs.FanOut).
func jobFanOutSchema() oaObj {
	ts := oaObj{"type": "string", "format": "date-time"}
	o := object(oaObj{
		"plan": oaObj{"type": "string", "enum": []string{"cost", "batches", "series", "store", "all"},
			"description": "how the series were split: cost (equal estimated cost, rows x candidates, most expensive first), batches (jobs planned before global candidates shared a pool per job: the one-process batches), series (the job's partition_size), store, all (one partition)"},
		"partitions":      integer(),
		"workers":         array(str("worker that completed partitions")),
		"span_seconds":    oaObj{"type": "number", "description": "first partition's start to the last one's end (live: to as_of while partitions run)"},
		"longest_seconds": oaObj{"type": "number", "description": "the longest partition's (last) attempt (live: or a running attempt so far)"},
		"longest_share":   oaObj{"type": "number", "description": "longest_seconds / span_seconds"},
		"timings": oaObj{"type": "array", "description": "each partition's last attempt, in plan order (the first 1,000)",
			"items": object(oaObj{"part": oaObj{"type": "integer", "description": "counted from 1"}, "worker": str(""),
				"series": integer(), "seconds": number(), "attempt": integer(), "started_at": ts,
				"cost": oaObj{"type": "number", "description": "the plan's estimate, rows x candidates"}},
				"part", "worker", "series", "seconds", "attempt", "started_at")},
		"timings_omitted":    oaObj{"type": "integer", "description": "partitions past the first 1,000, not listed"},
		"live":               oaObj{"type": "boolean", "description": "a running job's reading (the job's fan_out); absent in the summary"},
		"as_of":              oaObj{"type": "string", "format": "date-time", "description": "when the live reading was taken (the database's clock)"},
		"partitions_done":    oaObj{"type": "integer", "description": "partitions completed"},
		"partitions_running": oaObj{"type": "integer", "description": "partitions being worked now"},
		"partitions_queued":  oaObj{"type": "integer", "description": "partitions waiting for a worker, a rescued one included"},
		"partitions_failed":  oaObj{"type": "integer", "description": "partitions cancelled or discarded"},
		"running": oaObj{"type": "array", "description": "live: the partitions being worked, with their worker and its last heartbeat",
			"items": object(oaObj{"partition": oaObj{"type": "integer", "description": "counted from 1"},
				"worker": str("the worker running it"), "attempt": integer(), "started_at": ts,
				"seconds": oaObj{"type": "number", "description": "run so far"}, "series": integer(),
				"done":             oaObj{"type": "integer", "description": "series done so far in this attempt"},
				"last_beat":        ts,
				"beat_age_seconds": oaObj{"type": "number", "description": "age of the worker's last heartbeat; past the dead-after time (20 s by default) a live worker takes the partition"}},
				"partition", "worker", "attempt", "started_at", "seconds", "series", "done")},
		"worker_busy": oaObj{"type": "array", "description": "each worker's time in the partitions it completed",
			"items": object(oaObj{"worker": str(""), "partitions": integer(), "busy_seconds": number(),
				"idle_from": oaObj{"type": "string", "format": "date-time", "description": "the end of its last completed partition"}},
				"worker", "partitions", "busy_seconds", "idle_from")},
		"tail_seconds": oaObj{"type": "number", "description": "straggler tail: from the first worker running out of partitions (none queued) to the job's end (the last partition's; live, as_of)"},
		"tail_share":   oaObj{"type": "number", "description": "tail_seconds / span_seconds (issue 20: at most 0.05)"},
		"failovers": oaObj{"type": "array", "description": "partition attempts lost with a worker that stopped beating, and run again",
			"items": object(oaObj{"partition": oaObj{"type": "integer", "description": "counted from 1"},
				"worker":       str("the worker that stopped beating"),
				"last_beat":    ts,
				"detected_at":  ts,
				"retaken_by":   str("the worker that ran the partition next (live: empty while it waits for one)"),
				"lost_seconds": oaObj{"type": "number", "description": "from the lost attempt's start to detected_at"}},
				"partition", "worker", "detected_at", "retaken_by", "lost_seconds")},
	}, "plan", "partitions", "workers", "span_seconds", "longest_seconds", "longest_share", "timings", "failovers")
	o["description"] = "how a partitioned job's partitions ran (PostgreSQL workers, or fan-out in one process)"
	return o
}

// forecastSchemas are the published forecasts and their accuracy.
func forecastSchemas() oaObj {
	metrics := object(oaObj{"mae": nullNumber(), "rmse": nullNumber(), "mape": nullNumber(), "smape": nullNumber(),
		"mase": nullNumber(), "rmsse": nullNumber(), "wape": nullNumber(), "bias": nullNumber()})
	metrics["description"] = "backtest accuracy; null where undefined (MAPE over all-zero actuals)"
	class := oaObj{"type": "string", "enum": []string{"full", "reduced", "fallback", "cold_start", "failed"},
		"description": "how completely the tournament ran: full as asked, reduced (a backtest cut to a short history), fallback, cold_start (too short for a tournament: forecast by the job's global model); absent on results stored before classes"}
	backtest := object(oaObj{"folds_asked": integer(), "folds_run": integer(), "horizon": integer(),
		"validation_horizon": integer(), "min_train": integer(), "dropped": array(str("candidate left out: it needs more seasons than the folds train on")),
		"reason": str("why the backtest differs from what was asked")})
	backtest["nullable"] = true
	backtest["description"] = "the backtest as it ran; null for a fallback"
	return oaObj{
		"Metrics": metrics,
		"Point": object(oaObj{"date": str(""), "value": number(), "lower": number(), "upper": number(),
			"lower_95": number(), "upper_95": number()}),
		"KeptModel": object(oaObj{"name": str(""), "weight": number(), "backtest": ref("Metrics")}),
		"Forecast": object(oaObj{"store": str(""), "sku": str(""), "job_id": str(""), "generated_at": oaObj{"type": "string", "format": "date-time"},
			"horizon": integer(), "freq": oaObj{"type": "string", "enum": []string{"hourly", "daily", "weekly", "monthly"}},
			"points": array(ref("Point")), "models": array(ref("KeptModel")),
			"covariates": oaObj{"type": "array", "items": oaObj{"type": "string"},
				"description": "covariates planned over the whole horizon, which the candidates were given (POST /v1/covariates); absent when none"},
			"fallback": str("why the tournament was skipped, when it was"),
			"class":    class, "backtest": backtest,
			"covariates_dropped": array(object(oaObj{"name": str("covariate of the history"),
				"reason": str("why the forecast could not use it, e.g. no plan for 12 of 28 steps")})),
			"reconciled": oaObj{"type": "string", "enum": []string{"bottom_up", "top_down", "mint_ols", "mint_wls", "mint_shrink"},
				"description": "the reconciliation that made this forecast coherent with its job's aggregates; absent when none ran"}}),
		"Leaderboard": object(oaObj{"store": str(""), "sku": str(""), "job_id": str(""), "metric": str(""), "combine": str(""),
			"combination": ref("Metrics"), "coverage_80": nullNumber(), "coverage_95": nullNumber(),
			"class": class, "backtest": backtest,
			"items": array(object(oaObj{"name": str(""), "family": str(""), "rank": integer(), "kept": oaObj{"type": "boolean"},
				"backtest": ref("Metrics"), "folds": integer(), "error": str(""), "seconds": number(),
				"declined": oaObj{"type": "boolean", "description": "the candidate declined the series (error says why: too short, negative values, a season it cannot model); not a failure"},
				"stopped":  str("where and why the backtest race stopped the candidate (its bound said it would not reach the top k): its folds and backtest are those it ran; absent when it ran every fold")}))}),
		"ModelInfo": object(oaObj{"name": str(""), "family": str(""), "doc": str(""), "default": oaObj{"type": "boolean"},
			"params": oaObj{"type": "object"}}),
	}
}

// memguardSchemas are the leak guard's reports and quarantine.
func memguardSchemas() oaObj {
	return oaObj{
		"MemReportSummary": object(oaObj{"id": str(""), "kind": str(""), "started": oaObj{"type": "string", "format": "date-time"},
			"finished": oaObj{"type": "string", "format": "date-time"}, "retained_bytes": integer(), "heap_live_after": integer(),
			"verdict": oaObj{"type": "string", "enum": []string{"clean", "suspect", "leak"}}, "reason": str(""),
			"sites": integer(), "leaked_goroutines": integer()}),
		"MemReport":         oaObj{"type": "object", "description": "memguard.Report: heap, Go memory, RSS and goroutines before and after, top_growth allocation sites, leaked goroutines and the verdict"},
		"QuarantineEntry":   object(oaObj{"name": str(""), "reason": str(""), "since": oaObj{"type": "string", "format": "date-time"}}),
		"QuarantineRequest": object(oaObj{"reason": str("why; default \"quarantined by an operator\"")}),
		"HuntSummary":       object(huntSummaryProps(), "id", "kind", "started", "duration_seconds", "culprits", "shared"),
		"Hunt": object(withProp(huntSummaryProps(), "result", oaObj{"type": "object",
			"description": "memguard.HuntResult: culprits, candidates (each with its slope, runs retaining, verdict and top growth sites), shared (leaks in code several candidates call)",
			"properties": oaObj{"culprits": array(str("")), "candidates": array(oaObj{"type": "object"}), "shared": array(oaObj{"type": "object"}),
				"seconds": number(), "waited_seconds": oaObj{"type": "number", "description": "of seconds, waiting for the workers' runs (the hunt runs beside them at low priority)"}}}),
			"id", "kind", "started", "duration_seconds", "culprits", "shared", "result"),
	}
}

// huntSummaryProps are the fields of a hunt in the list.
func huntSummaryProps() oaObj {
	return oaObj{"id": str(""), "kind": str("the job kind whose leak verdict started the hunt"),
		"report_id": str("the memguard report that called the leak"), "started": oaObj{"type": "string", "format": "date-time"},
		"duration_seconds": number(), "culprits": array(str("quarantined models")), "shared": oaObj{"type": "integer", "description": "shared-code leaks found"}}
}

// withProp returns props with one more property.
func withProp(props oaObj, name string, schema oaObj) oaObj {
	props[name] = schema
	return props
}
